//! P11-ACCESS: every route, every role, anonymous included. The expected table is written
//! here again, independently of `access.rs`, so that a change of either shows.

use hemaflow_domain::Role::{self, *};

use crate::helpers::{Database, spawn, user_of};

const EVERY_ROLE: &[Role] = &Role::ALL;

/// (path, roles that may open it).
pub const ROUTES: &[(&str, &[Role])] = &[
    ("/", EVERY_ROLE),
    ("/donors", &[CollectionStaff, QualityAssurance]),
    ("/collection", &[CollectionStaff]),
    ("/testing", &[LabTechnologist]),
    ("/production", &[Manufacturing]),
    ("/labels", &[Manufacturing, QualityAssurance]),
    ("/release", &[Manufacturing, QualityAssurance]),
    ("/quality", &[QualityAssurance]),
    (
        "/inventory",
        &[Manufacturing, QualityAssurance, Distribution, Admin],
    ),
    ("/admin/users", &[Admin]),
    (
        "/reports",
        &[Manufacturing, QualityAssurance, Distribution, Admin],
    ),
    (
        "/reports/discards/csv",
        &[Manufacturing, QualityAssurance, Distribution, Admin],
    ),
    ("/portal", &[HospitalUser]),
    ("/distribution", &[Distribution]),
    ("/distribution/transfers", &[Distribution]),
    ("/returns", &[QualityAssurance]),
    ("/api/me", EVERY_ROLE),
    ("/api/release-queue", &[Manufacturing, QualityAssurance]),
    ("/api/donors?name=ri", &[CollectionStaff, QualityAssurance]),
    (
        "/api/inventory",
        &[Manufacturing, QualityAssurance, Distribution, Admin],
    ),
    (
        "/api/reports/collections",
        &[Manufacturing, QualityAssurance, Distribution, Admin],
    ),
    (
        "/api/orders",
        &[HospitalUser, Distribution, QualityAssurance, Admin],
    ),
    (
        "/api/shipments",
        &[HospitalUser, Distribution, QualityAssurance, Admin],
    ),
    ("/api/returns", &[QualityAssurance, Distribution]),
    ("/api/hospital-inventory", &[HospitalUser]),
];

#[tokio::test]
async fn p11_access_every_route_refuses_every_role_it_does_not_name_and_anonymous_callers() {
    let app = spawn(Database::Sqlite).await;
    let mut checked = 0;
    for role in Role::ALL {
        let (browser, _) = app.browser(user_of(role)).await;
        let token = app.token(user_of(role)).await;
        for (path, allowed) in ROUTES {
            let request = if path.starts_with("/api/") {
                reqwest::Client::new()
                    .get(app.url(path))
                    .bearer_auth(&token)
            } else {
                browser.get(app.url(path))
            };
            let status = request.send().await.expect("get").status().as_u16();
            let expected = if allowed.contains(&role) { 200 } else { 403 };
            assert_eq!(status, expected, "{role:?} GET {path}");
            checked += 1;
        }
    }
    let anonymous = crate::helpers::browser_client();
    for (path, _) in ROUTES {
        let status = anonymous
            .get(app.url(path))
            .send()
            .await
            .expect("get")
            .status()
            .as_u16();
        let expected = if path.starts_with("/api/") { 401 } else { 303 };
        assert_eq!(status, expected, "anonymous GET {path}");
    }
    assert_eq!(checked, Role::ALL.len() * ROUTES.len());
    app.stop().await;
}

/// (POST path, roles that may use it). A forbidden role is refused before its form is read.
const FORMS: &[(&str, &[Role])] = &[
    (
        "/release/W123426000001-D2000V00",
        &[Manufacturing, QualityAssurance],
    ),
    (
        "/discard/W123426000001-D2000V00",
        &[Manufacturing, QualityAssurance],
    ),
    ("/donors", &[CollectionStaff, QualityAssurance]),
    ("/donors/requalify", &[CollectionStaff, QualityAssurance]),
    ("/labels", &[Manufacturing, QualityAssurance]),
    ("/collection/screening", &[CollectionStaff]),
    ("/collection/donation", &[CollectionStaff]),
    ("/testing", &[LabTechnologist]),
    ("/testing/csv", &[LabTechnologist]),
    ("/production", &[Manufacturing]),
    ("/production/modify", &[Manufacturing]),
    ("/production/divide", &[Manufacturing]),
    ("/production/pool", &[Manufacturing]),
    ("/production/bacterial-control", &[Manufacturing]),
    ("/admin/users", &[Admin]),
    ("/admin/tokens", &[Admin]),
    ("/quality/holds", &[QualityAssurance]),
    ("/quality/holds/release", &[QualityAssurance]),
    ("/quality/resolve", &[QualityAssurance]),
    ("/admin/tokens/0123456789abcdef/revoke", &[Admin]),
    ("/portal/orders", &[HospitalUser]),
    ("/portal/standing-orders", &[HospitalUser]),
    ("/portal/shipments/SHP-X/receive", &[HospitalUser]),
    ("/portal/returns", &[HospitalUser]),
    ("/orders/ORD-X/cancel", &[HospitalUser, Distribution]),
    ("/orders/ORD-X/allocate", &[Distribution]),
    ("/orders/ORD-X/pick", &[Distribution]),
    ("/shipments/SHP-X/ship", &[Distribution]),
    ("/distribution/transfers", &[Distribution]),
    ("/distribution/transfers/receive", &[Distribution]),
    (
        "/returns/W123426000001-D2000V00/review",
        &[QualityAssurance],
    ),
    ("/admin/users/collector/disable", &[Admin]),
    ("/admin/users/collector/password", &[Admin]),
];

#[tokio::test]
async fn p11_access_every_form_refuses_every_role_it_does_not_name_before_reading_it() {
    let app = spawn(Database::Sqlite).await;
    let before = app.entries().await.len();
    for role in Role::ALL {
        let (browser, csrf) = app.browser(user_of(role)).await;
        for (path, allowed) in FORMS {
            let response = browser
                .post(app.url(path))
                .form(&[("csrf", csrf.as_str())])
                .send()
                .await
                .expect("post");
            let status = response.status().as_u16();
            let refused_by_role = response
                .text()
                .await
                .expect("html")
                .contains("may not open this");
            if allowed.contains(&role) {
                assert!(!refused_by_role, "{role:?} POST {path} refused by role");
            } else {
                assert_eq!(
                    (status, refused_by_role),
                    (403, true),
                    "{role:?} POST {path}"
                );
            }
        }
    }
    let anonymous = crate::helpers::browser_client();
    for (path, _) in FORMS {
        let status = anonymous
            .post(app.url(path))
            .send()
            .await
            .expect("post")
            .status();
        assert_eq!(
            status, 303,
            "anonymous POST {path} goes to the sign-in page"
        );
    }
    assert_eq!(
        app.entries().await.len(),
        before,
        "no form without its fields recorded anything"
    );
    app.stop().await;
}
