//! P11-ACCESS: every route, every role, anonymous included. The expected table is written
//! here again, independently of `access.rs`, so that a change of either shows.

use hemaflow_domain::Role::{self, *};
use hemaflow_domain::lab::testing::{Abo, RhD};
use serde_json::json;

use hemaflow_web::demo;

use crate::helpers::{Database, TestApp, spawn, user_of};

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
    ("/quality/emergency-releases", &[QualityAssurance]),
    ("/quality/lookbacks", &[QualityAssurance]),
    ("/quality/retention", &[QualityAssurance]),
    (
        "/corrections",
        &[CollectionStaff, LabTechnologist, QualityAssurance],
    ),
    ("/api/deadlines", &[QualityAssurance]),
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
    ("/transfusion", &[TransfusionTechnologist]),
    ("/bedside", &[Nurse]),
    ("/bedside/remote", &[Nurse]),
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
    assert_anonymous_refused(&app, ROUTES.iter().map(|(path, _)| path.to_string())).await;
    assert_eq!(checked, Role::ALL.len() * ROUTES.len());
    app.stop().await;
}

/// Without a session or token, every page sends the caller to the sign-in page (303) and
/// every API route answers 401.
async fn assert_anonymous_refused(app: &TestApp, paths: impl Iterator<Item = String>) {
    let anonymous = crate::helpers::browser_client();
    for path in paths {
        let status = anonymous
            .get(app.url(&path))
            .send()
            .await
            .expect("get")
            .status()
            .as_u16();
        let expected = if path.starts_with("/api/") { 401 } else { 303 };
        assert_eq!(status, expected, "anonymous GET {path}");
    }
}

/// The records the routes below need: one order of the first demo hospital, allocated,
/// picked and shipped (so that every page of it exists), and one left open, both placed by
/// its hospital user.
pub const ORDER: &str = "ORD-MATRIX-1";
pub const SHIPMENT: &str = "SHP-MATRIX-1";
/// A second order of the same hospital, left open: its allocation proposal.
pub const OPEN_ORDER: &str = "ORD-MATRIX-2";

const ORDERS: &[Role] = &[HospitalUser, Distribution, QualityAssurance, Admin];
const REPORTS: &[Role] = &[Manufacturing, QualityAssurance, Distribution, Admin];

/// (path, roles that may open it) of the pages and documents of an existing record. `{din}`
/// is the shipped unit's DIN. A hospital user of another hospital is told that the order,
/// the shipment and the unit are not on record (404), see [`OTHER_HOSPITAL`].
pub const RECORD_ROUTES: &[(&str, &[Role])] = &[
    ("/orders/ORD-MATRIX-1", ORDERS),
    ("/orders/ORD-MATRIX-2", ORDERS),
    ("/shipments/SHP-MATRIX-1", ORDERS),
    ("/shipments/SHP-MATRIX-1/packing-list.pdf", ORDERS),
    ("/shipments/SHP-MATRIX-1/label.pdf", ORDERS),
    ("/portal/shipments/SHP-MATRIX-1", &[HospitalUser]),
    ("/units/{din}", EVERY_ROLE),
    (PATIENT_PAGE, &[TransfusionTechnologist]),
    (PATIENT_API, &[TransfusionTechnologist, Nurse]),
    ("/reports/collections", REPORTS),
    ("/reports/production", REPORTS),
    ("/reports/shipments", REPORTS),
    ("/reports/discards", REPORTS),
    ("/reports/fill-rate", REPORTS),
    ("/reports/shipments/csv", REPORTS),
    ("/reports/shipments/pdf", REPORTS),
    ("/reports/fill-rate/csv", REPORTS),
    ("/reports/fill-rate/pdf", REPORTS),
    ("/api/orders/ORD-MATRIX-1", ORDERS),
    ("/api/orders/ORD-MATRIX-2", ORDERS),
    (
        "/api/orders/ORD-MATRIX-2/proposal?site=central",
        &[Distribution],
    ),
    ("/api/shipments/SHP-MATRIX-1", ORDERS),
    ("/api/units/{din}", EVERY_ROLE),
    ("/api/reports/shipments", REPORTS),
    ("/api/reports/fill-rate", REPORTS),
];

/// The page of the first hospital's patient registered by [`seed_order_and_shipment`].
pub const PATIENT_PAGE: &str = "/transfusion/patients/mercy/01/1001";
/// The same patient through the API, by the scan of the wristband (024 and 025, URL-encoded).
pub const PATIENT_API: &str = "/api/patients?wristband=%3D%230119700501%26%2301041001";

/// The routes of [`RECORD_ROUTES`] that show the first hospital's records: "not on record"
/// (404) for the users of the second hospital, although their role may open them.
pub const OTHER_HOSPITAL: &[&str] = &[
    PATIENT_PAGE,
    PATIENT_API,
    "/orders/ORD-MATRIX-1",
    "/orders/ORD-MATRIX-2",
    "/shipments/SHP-MATRIX-1",
    "/shipments/SHP-MATRIX-1/packing-list.pdf",
    "/shipments/SHP-MATRIX-1/label.pdf",
    "/portal/shipments/SHP-MATRIX-1",
    "/units/{din}",
    "/api/orders/ORD-MATRIX-1",
    "/api/orders/ORD-MATRIX-2",
    "/api/shipments/SHP-MATRIX-1",
    "/api/units/{din}",
];

/// Places [`ORDER`] as the first hospital's user and has distribution allocate, pick and ship
/// it as [`SHIPMENT`], all through the API; the DIN of the unit shipped.
pub async fn seed_order_and_shipment(app: &TestApp) -> String {
    let units = crate::supply::released_units(app, "Matrix", (Abo::O, RhD::Negative)).await;
    let unit = crate::supply::red_cells(app, &units).await;
    let hospital = crate::supply::hospital_of(app, user_of(HospitalUser)).await;
    let orderer = app.token(user_of(HospitalUser)).await;
    let shipper = app.token(user_of(Distribution)).await;
    for (token, command) in [
        (
            &orderer,
            json!({"type": "place_order", "order_id": ORDER, "hospital": hospital,
                "lines": [{"component_type": "red_cells", "abo": "O", "rhd": "negative", "attributes": [], "quantity": 1}],
                "priority": "routine"}),
        ),
        (
            &shipper,
            json!({"type": "allocate_order", "order_id": ORDER, "units": [{"line": 0, "component": unit}]}),
        ),
        (
            &shipper,
            json!({"type": "pick_unit", "shipment_id": SHIPMENT, "order_id": ORDER, "component": unit}),
        ),
        (
            &shipper,
            json!({"type": "ship_shipment", "shipment_id": SHIPMENT, "box_id": "BOX-M",
                "temperature_range": {"min_c": "1", "max_c": "10"}, "courier": "MedExpress"}),
        ),
        (
            &orderer,
            json!({"type": "place_order", "order_id": OPEN_ORDER, "hospital": hospital,
                "lines": [{"component_type": "red_cells", "abo": "O", "rhd": "negative", "attributes": [], "quantity": 1}],
                "priority": "routine"}),
        ),
    ] {
        let (status, body, _) = app.command(token, json!({ "command": command })).await;
        assert_eq!(status, 200, "{command}: {body}");
    }
    demo::eligible_patient(
        &app.app.ledger,
        "1001",
        "Matrix",
        "S-MATRIX-1",
        (Abo::O, RhD::Negative),
    )
    .await
    .expect("a patient of the first hospital");
    unit.split_once('-').expect("DIN-product code").0.to_owned()
}

/// A route of [`RECORD_ROUTES`] with the shipped unit's DIN.
pub fn record_path(path: &str, din: &str) -> String {
    path.replace("{din}", din)
}

#[tokio::test]
async fn p11_access_every_record_page_admits_its_roles_and_hides_another_hospitals_records() {
    let app = spawn(Database::Sqlite).await;
    let din = seed_order_and_shipment(&app).await;
    // The second hospital's users: their roles open these routes, their hospital's records
    // only.
    let others = [
        (HospitalUser, "hospital2"),
        (TransfusionTechnologist, "bloodbank2"),
        (Nurse, "nurse2"),
    ];
    let mut callers: Vec<(Role, &str)> = Role::ALL.iter().map(|r| (*r, user_of(*r))).collect();
    callers.extend(others);
    let mut checked = 0;
    for (role, user) in callers {
        let (browser, _) = app.browser(user).await;
        let token = app.token(user).await;
        for (path, allowed) in RECORD_ROUTES {
            let url = app.url(&record_path(path, &din));
            let request = if path.starts_with("/api/") {
                reqwest::Client::new().get(url).bearer_auth(&token)
            } else {
                browser.get(url)
            };
            let response = request.send().await.expect("get");
            let status = response.status().as_u16();
            let other_user = others.iter().any(|(_, u)| *u == user);
            let expected = match (allowed.contains(&role), other_user) {
                (false, _) => 403,
                (true, true) if OTHER_HOSPITAL.contains(path) => 404,
                (true, _) => 200,
            };
            assert_eq!(status, expected, "{user} ({role:?}) GET {path}");
            if status == 200 && (path.ends_with(".pdf") || path.ends_with("/pdf")) {
                let bytes = response.bytes().await.expect("body");
                assert!(bytes.starts_with(b"%PDF"), "{user} GET {path} is a PDF");
            }
            checked += 1;
        }
    }
    let paths = RECORD_ROUTES
        .iter()
        .map(|(path, _)| record_path(path, &din));
    assert_anonymous_refused(&app, paths).await;
    assert_eq!(
        checked,
        (Role::ALL.len() + others.len()) * RECORD_ROUTES.len()
    );
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
    ("/quality/lookback/act", &[QualityAssurance]),
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
    ("/transfusion/patients", &[TransfusionTechnologist]),
    ("/transfusion/samples", &[TransfusionTechnologist]),
    ("/transfusion/samples/type", &[TransfusionTechnologist]),
    ("/transfusion/samples/screen", &[TransfusionTechnologist]),
    (
        "/transfusion/samples/antibodies",
        &[TransfusionTechnologist],
    ),
    ("/transfusion/receive", &[TransfusionTechnologist]),
    ("/transfusion/mtp", &[TransfusionTechnologist]),
    ("/transfusion/mtp/round", &[TransfusionTechnologist]),
    ("/transfusion/mtp/stand-down", &[TransfusionTechnologist]),
    ("/transfusion/antigen", &[TransfusionTechnologist]),
    ("/transfusion/discrepancy", &[TransfusionTechnologist]),
    ("/transfusion/retype", &[TransfusionTechnologist]),
    ("/transfusion/crossmatch", &[TransfusionTechnologist]),
    ("/transfusion/issue", &[TransfusionTechnologist]),
    ("/transfusion/return", &[TransfusionTechnologist]),
    ("/transfusion/waste", &[TransfusionTechnologist]),
    ("/transfusion/emergency", &[TransfusionTechnologist]),
    ("/transfusion/emergency/sign", &[TransfusionTechnologist]),
    ("/quality/emergency-releases/review", &[QualityAssurance]),
    ("/transfusion/requirements", &[TransfusionTechnologist]),
    ("/bedside/start", &[Nurse]),
    ("/bedside/end", &[Nurse]),
    ("/bedside/reaction", &[Nurse]),
    ("/bedside/waste", &[Nurse]),
    ("/bedside/remote", &[Nurse]),
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
