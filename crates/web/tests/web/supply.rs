//! Hospital supply through the API, as a hospital system and the distribution bench would
//! use it: an order goes from placed to received; another hospital sees none of it; a unit
//! that may not leave is refused at picking with the reason.

use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::{ClientCommand, DistributionCommand};
use hemaflow_domain::{Command, Context, Role};
use hemaflow_service::ledger::Outcome;
use hemaflow_web::demo::{self, Stop};
use serde_json::{Value, json};

use crate::helpers::{Database, PASSWORD, TestApp, postgres_url, seen_of, spawn};

/// Units of a new donation of `group`, released by quality with a signature.
pub async fn released_units(app: &TestApp, family: &str, group: (Abo, RhD)) -> Vec<String> {
    let (_, units) = demo::donation(&app.app.ledger, family, group, Stop::ReadyForRelease)
        .await
        .expect("ready for release");
    let quality = app.token("quality").await;
    for unit in &units {
        let (status, body, _) = app
            .command(
                &quality,
                json!({"command": {"type": "release_component", "component": unit}, "signature_user_id": "quality", "signature_password": PASSWORD}),
            )
            .await;
        assert_eq!(status, 200, "release {unit}: {body}");
    }
    units
}

/// The red cell unit among a donation's units.
pub async fn red_cells(app: &TestApp, units: &[String]) -> String {
    app.app
        .ledger
        .read(|state| {
            units
                .iter()
                .find(|u| {
                    state.components[*u].family
                        == hemaflow_domain::manufacturing::components::Family::RedCells
                })
                .cloned()
                .expect("a red cell unit")
        })
        .await
        .expect("read")
}

pub async fn hospital_of(app: &TestApp, user: &str) -> String {
    app.app
        .ledger
        .read(|state| {
            state.users[user]
                .hospital
                .clone()
                .expect("bound to a hospital")
        })
        .await
        .expect("read")
}

async fn get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn order(order_id: &str, hospital: &str) -> Value {
    json!({"command": {"type": "place_order", "order_id": order_id, "hospital": hospital,
        "lines": [{"component_type": "red_cells", "abo": "O", "rhd": "negative", "attributes": [], "quantity": 1}],
        "priority": "stat"}})
}

async fn order_to_receipt(app: &TestApp) {
    let units = released_units(app, "Supply", (Abo::O, RhD::Negative)).await;
    let unit = red_cells(app, &units).await;
    let mercy = hospital_of(app, "hospital").await;
    let hospital = app.token("hospital").await;
    let other = app.token("hospital2").await;
    let shipper = app.token("shipper").await;

    // The hospital orders; the order's clock is running.
    let (status, body, _) = app.command(&hospital, order("ORD-API-1", &mercy)).await;
    assert_eq!(status, 200, "{body}");
    let (status, detail) = get(app, &hospital, "/api/orders/ORD-API-1").await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["status"], "open");
    assert_eq!(detail["order"]["priority"], "stat");

    // Distribution: the proposal, then the allocation as proposed.
    let (status, proposal) = get(
        app,
        &shipper,
        &format!("/api/orders/ORD-API-1/proposal?site={}", demo::SITE.0),
    )
    .await;
    assert_eq!(status, 200, "{proposal}");
    let proposed: Vec<&str> = proposal["lines"][0]["units"]
        .as_array()
        .expect("units")
        .iter()
        .filter_map(|u| u["component"].as_str())
        .collect();
    assert_eq!(
        proposed,
        [unit.as_str()],
        "the one O neg red cell unit, exact"
    );
    assert_eq!(proposal["lines"][0]["units"][0]["match"], "exact");
    let (status, body, _) = app
        .command(&shipper, json!({"command": {"type": "allocate_order", "order_id": "ORD-API-1", "units": [{"line": 0, "component": unit}]}}))
        .await;
    assert_eq!(status, 200, "{body}");

    // DIST-SHIP: nothing picked, nothing ships.
    let ship = json!({"command": {"type": "ship_shipment", "shipment_id": "SHP-API-1", "box_id": "BOX-1",
        "temperature_range": {"min_c": "1", "max_c": "10"}, "courier": "MedExpress"}});
    let (status, problem, _) = app.command(&shipper, ship.clone()).await;
    assert_eq!(status, 404, "no shipment before the first pick: {problem}");

    let (status, body, _) = app
        .command(&shipper, json!({"command": {"type": "pick_unit", "shipment_id": "SHP-API-1", "order_id": "ORD-API-1", "component": unit}}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = app.command(&shipper, ship).await;
    assert_eq!(status, 200, "{body}");

    // The other hospital sees nothing of it, and cannot act on it.
    let (status, _) = get(app, &other, "/api/orders/ORD-API-1").await;
    assert_eq!(
        status, 404,
        "another hospital's order is not on record for it"
    );
    let (status, _) = get(app, &other, "/api/shipments/SHP-API-1").await;
    assert_eq!(status, 404);
    let (_, list) = get(app, &other, "/api/orders").await;
    assert_eq!(list["orders"], json!([]));
    let (_, list) = get(app, &other, "/api/shipments").await;
    assert_eq!(list["shipments"], json!([]));
    let receive = json!({"command": {"type": "confirm_receipt", "shipment_id": "SHP-API-1", "component": unit}});
    let (status, problem, _) = app.command(&other, receive.clone()).await;
    assert!(status == 403 || status == 422, "{status} {problem}");
    let (status, problem, _) = app.command(&other, order("ORD-API-2", &mercy)).await;
    assert_eq!(
        (status, problem["rule"].as_str()),
        (403, Some("P11-ACCESS")),
        "{problem}"
    );

    // The hospital sees the shipment and confirms receipt by scan.
    let (_, list) = get(app, &hospital, "/api/shipments").await;
    assert_eq!(list["shipments"][0]["id"], "SHP-API-1");
    assert_eq!(list["shipments"][0]["status"], "shipped");
    let (status, body, _) = app.command(&hospital, receive).await;
    assert_eq!(status, 200, "{body}");
    let (_, detail) = get(app, &hospital, "/api/orders/ORD-API-1").await;
    assert_eq!(detail["status"], "received");
    let reached: Vec<&str> = detail["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| !s["at"].is_null())
        .filter_map(|s| s["status"].as_str())
        .collect();
    assert_eq!(
        reached,
        ["open", "allocated", "picking", "shipped", "received"]
    );
    let (_, held) = get(app, &hospital, "/api/hospital-inventory").await;
    assert_eq!(held["units"][0]["id"], unit.as_str());

    let report =
        hemaflow_service::ledger::verify::<hemaflow_service::Blood, _>(app.app.ledger.store())
            .await
            .expect("verify");
    assert!(report.is_ok(), "{report}");
}

#[tokio::test]
async fn dist_receipt_an_order_goes_from_the_portal_to_received_on_sqlite() {
    let app = spawn(Database::Sqlite).await;
    order_to_receipt(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn dist_receipt_an_order_goes_from_the_portal_to_received_on_postgres() {
    let Some(url) = postgres_url() else { return };
    let app = spawn(Database::Postgres(url)).await;
    order_to_receipt(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn dist_pick_a_quarantined_held_or_expired_unit_is_refused_with_the_reason() {
    let app = spawn(Database::Sqlite).await;
    let mercy = hospital_of(&app, "hospital").await;
    let released = released_units(&app, "Pick", (Abo::A, RhD::Positive)).await;
    let good = red_cells(&app, &released).await;
    let (_, quarantined) = demo::donation(
        &app.app.ledger,
        "Quar",
        (Abo::A, RhD::Positive),
        Stop::Produced,
    )
    .await
    .expect("produced");
    let quarantined = red_cells(&app, &quarantined).await;
    let shipper = app.token("shipper").await;
    let mut order = order("ORD-PICK", &mercy);
    order["command"]["lines"][0]["abo"] = json!("A");
    order["command"]["lines"][0]["rhd"] = json!("positive");
    let (status, body, _) = app.command(&shipper, order).await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = app
        .command(&shipper, json!({"command": {"type": "allocate_order", "order_id": "ORD-PICK", "units": [{"line": 0, "component": good}]}}))
        .await;
    assert_eq!(status, 200, "{body}");

    // Quarantined: refused at the picking bench, the reason next to the field.
    let (browser, csrf) = app.browser("shipper").await;
    let scanned_din = format!("={}00", &quarantined[..13]);
    let scanned_code = format!("=<{}", &quarantined[14..]);
    let before = app.entries().await.len();
    let refused = browser
        .post(app.url("/orders/ORD-PICK/pick"))
        .header("hx-request", "true")
        .form(&[
            ("csrf", csrf.as_str()),
            ("shipment_id", "SHP-PICK"),
            ("din", &scanned_din),
            ("product_code", &scanned_code),
        ])
        .send()
        .await
        .expect("pick");
    let status = refused.status();
    let html = refused.text().await.expect("html");
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("class=\"refusal\"")
            && html.contains("DIST-PICK")
            && html.contains("quarantined"),
        "{html}"
    );
    let entries = app.entries().await;
    assert_eq!(entries.len(), before + 1, "only the refusal is recorded");
    assert_eq!(entries[before].event_type, "DIST-PICK");

    // Expired: the same pick decided after the unit's expiry.
    let expires_at = app
        .app
        .ledger
        .read(|state| state.components[&good].expires_at)
        .await
        .expect("read");
    let late = Context {
        actor: "shipper".to_owned(),
        role: Role::Distribution,
        now: expires_at + time::Duration::hours(1),
        stamp: hemaflow_domain::Stamp::Planned,
    };
    let pick = Command::Client(ClientCommand::Distribution(DistributionCommand::PickUnit {
        shipment_id: "SHP-PICK".to_owned(),
        order_id: "ORD-PICK".to_owned(),
        component: good.clone(),
    }));
    let receipt = app
        .app
        .ledger
        .execute("late-pick", &pick, &late)
        .await
        .expect("execute");
    match receipt.outcome {
        Outcome::Refused { rule, message } => {
            assert_eq!(rule, "DIST-PICK");
            assert!(message.contains("expired"), "{message}");
        }
        other => panic!("an expired unit was picked: {other:?}"),
    }

    // Held after post-donation information: refused with the hold in words.
    let donor = app
        .app
        .ledger
        .read(|state| state.donations[&good[..13]].donor_id.clone())
        .await
        .expect("read");
    let quality = app.token("quality").await;
    let (status, body, _) = app
        .command(&quality, json!({"command": {"type": "record_post_donation_information", "donor_id": donor, "information": "travel to a malaria area"}}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, problem, _) = app
        .command(&shipper, json!({"command": {"type": "pick_unit", "shipment_id": "SHP-PICK", "order_id": "ORD-PICK", "component": good}}))
        .await;
    assert_eq!(
        (status, problem["rule"].as_str()),
        (422, Some("DIST-PICK")),
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("malaria")),
        "{problem}"
    );
    app.stop().await;
}

/// A released red cell unit of `group` shipped to the hospital of `hospital_user` and received.
pub async fn shipped_and_received(app: &TestApp, group: (Abo, RhD), order_id: &str) -> String {
    let units = released_units(app, order_id, group).await;
    let unit = red_cells(app, &units).await;
    let hospital_id = hospital_of(app, "hospital").await;
    let hospital = app.token("hospital").await;
    let shipper = app.token("shipper").await;
    let mut place = order(order_id, &hospital_id);
    place["command"]["lines"][0]["abo"] = serde_json::to_value(group.0).expect("abo");
    place["command"]["lines"][0]["rhd"] = serde_json::to_value(group.1).expect("rhd");
    let shipment = format!("SHP-{order_id}");
    for (token, command) in [
        (&hospital, place),
        (
            &shipper,
            json!({"command": {"type": "allocate_order", "order_id": order_id, "units": [{"line": 0, "component": unit}]}}),
        ),
        (
            &shipper,
            json!({"command": {"type": "pick_unit", "shipment_id": shipment, "order_id": order_id, "component": unit}}),
        ),
        (
            &shipper,
            json!({"command": {"type": "ship_shipment", "shipment_id": shipment, "box_id": "B", "temperature_range": {"min_c": "1", "max_c": "10"}, "courier": "C"}}),
        ),
        (
            &hospital,
            json!({"command": {"type": "confirm_receipt", "shipment_id": shipment, "component": unit}}),
        ),
    ] {
        let (status, body, _) = app.command(token, command).await;
        assert_eq!(status, 200, "{body}");
    }
    unit
}

fn scans(unit: &str) -> (String, String) {
    (format!("={}00", &unit[..13]), format!("=<{}", &unit[14..]))
}

#[tokio::test]
async fn dist_return_a_unit_out_too_long_cannot_be_accepted_and_is_discarded_on_review() {
    let app = spawn(Database::Sqlite).await;
    let unit = shipped_and_received(&app, (Abo::B, RhD::Positive), "ORD-RET").await;
    let (din, code) = scans(&unit);
    let (hospital, csrf) = app.browser("hospital").await;
    let bad = hospital
        .post(app.url("/portal/returns"))
        .header("hx-request", "true")
        .form(&[
            ("csrf", csrf.as_str()),
            ("din", &din),
            ("product_code", &code),
            ("minutes_out_of_storage", "forty"),
            ("reason", "not needed"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.expect("html").contains("forty"));
    let returned = hospital
        .post(app.url("/portal/returns"))
        .header("hx-request", "true")
        .form(&[
            ("csrf", csrf.as_str()),
            ("din", &din),
            ("product_code", &code),
            ("minutes_out_of_storage", "45"),
            ("reason", "patient discharged"),
            ("seal", "intact"),
            ("container", "not_validated"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(returned.status(), 200);
    assert!(
        returned
            .text()
            .await
            .expect("html")
            .contains("waits for review")
    );

    let (quality, qcsrf) = app.browser("quality").await;
    let page = quality
        .get(app.url("/returns"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(&unit) && page.contains("45 min out of controlled storage"),
        "{page}"
    );
    let seen = seen_of(&page);
    let path = format!("/returns/{unit}/review");
    let unseen = quality
        .post(app.url(&path))
        .form(&[
            ("csrf", qcsrf.as_str()),
            ("decision", "reject"),
            ("reason", "out of storage 45 min"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(unseen.status(), 400, "a review must say what it saw");
    let accept = quality
        .post(app.url(&path))
        .form(&[
            ("csrf", qcsrf.as_str()),
            ("seen", seen.as_str()),
            ("decision", "accept"),
            ("reason", "looks fine"),
            ("signature_user_id", "quality"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(accept.status(), 422, "DIST-RETURN refuses to take it back");
    assert!(accept.text().await.expect("html").contains("DIST-RETURN"));
    // P11-SIGN: rejecting discards the unit, so it is signed as every discard is.
    let unsigned = quality
        .post(app.url(&path))
        .form(&[
            ("csrf", qcsrf.as_str()),
            ("seen", seen.as_str()),
            ("decision", "reject"),
            ("reason", "out of storage 45 min"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(unsigned.status(), 403, "a discard needs the signature");
    let reject = quality
        .post(app.url(&path))
        .form(&[
            ("csrf", qcsrf.as_str()),
            ("seen", seen.as_str()),
            ("decision", "reject"),
            ("reason", "out of storage 45 min"),
            ("signature_user_id", "quality"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(reject.status(), 303);
    let signed = app.entries().await;
    let signature = signed.iter().rev().find(|e| e.event_type == "signed");
    assert!(
        signature.is_some_and(|e| e.payload.contains("\"meaning\":\"discarded by\"")),
        "the discard is signed"
    );
    let status = app
        .app
        .ledger
        .read(|state| state.components[&unit].status)
        .await
        .expect("read");
    assert_eq!(
        status,
        hemaflow_domain::manufacturing::components::Status::Discarded
    );
    app.stop().await;
}

#[tokio::test]
async fn dist_transfer_units_scanned_out_of_one_site_and_in_at_another_through_the_pages() {
    let app = spawn(Database::Sqlite).await;
    let admin = app.token("admin").await;
    let (status, body, _) = app
        .command(&admin, json!({"command": {"type": "register_site", "site_id": "north", "name": "North depot", "kind": "distribution", "address": "9 North Road"}}))
        .await;
    assert_eq!(status, 200, "{body}");
    let units = released_units(&app, "Transfer", (Abo::O, RhD::Positive)).await;
    let unit = red_cells(&app, &units).await;
    let (din, code) = scans(&unit);
    let (shipper, csrf) = app.browser("shipper").await;
    let lone = shipper
        .post(app.url("/distribution/transfers"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("transfer_id", "TRF-1"),
            ("from", demo::SITE.0),
            ("to", "north"),
            ("scans", &din),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(lone.status(), 400, "a DIN without its product code");
    let out = shipper
        .post(app.url("/distribution/transfers"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("transfer_id", "TRF-1"),
            ("from", demo::SITE.0),
            ("to", "north"),
            ("scans", &format!("{din}\n{code}\n")),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(out.status(), 303);
    let page = shipper
        .get(app.url("/distribution/transfers"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(page.contains("TRF-1") && page.contains("0 of 1"), "{page}");
    let received = shipper
        .post(app.url("/distribution/transfers/receive"))
        .header("hx-request", "true")
        .form(&[
            ("csrf", csrf.as_str()),
            ("transfer_id", "TRF-1"),
            ("din", &din),
            ("product_code", &code),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(received.status(), 200);
    let site = app
        .app
        .ledger
        .read(|state| state.components[&unit].location.site().map(str::to_owned))
        .await
        .expect("read");
    assert_eq!(site.as_deref(), Some("north"));
    app.stop().await;
}

#[tokio::test]
async fn order_clock_the_portal_places_orders_and_standing_orders_and_lists_them_due_first() {
    let app = spawn(Database::Sqlite).await;
    let (hospital, csrf) = app.browser("hospital").await;
    let before = app.entries().await.len();
    let bad = hospital
        .post(app.url("/portal/orders"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("component_type", "red_cells"),
            ("abo", "O"),
            ("rhd", "negative"),
            ("quantity", "two"),
            ("priority", "stat"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status(), 400);
    let html = bad.text().await.expect("html");
    assert!(
        html.contains("quantity") && html.contains("two") && html.contains("whole number"),
        "{html}"
    );
    assert_eq!(app.entries().await.len(), before, "nothing recorded");
    for (priority, quantity) in [("routine", "3"), ("stat", "1")] {
        let placed = hospital
            .post(app.url("/portal/orders"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("component_type", "platelets"),
                ("abo", "A"),
                ("rhd", "positive"),
                ("quantity", quantity),
                ("priority", priority),
                ("irradiated", "on"),
            ])
            .send()
            .await
            .expect("post");
        assert_eq!(placed.status(), 303);
    }
    let standing = hospital
        .post(app.url("/portal/standing-orders"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("component_type", "red_cells"),
            ("abo", "O"),
            ("rhd", "positive"),
            ("quantity", "4"),
            ("priority", "routine"),
            ("weekday", "monday"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(standing.status(), 303);
    let page = hospital
        .get(app.url("/portal"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    let stat = page.find("STAT").expect("the STAT order listed");
    let routine = page.find("routine</td>").expect("the routine order listed");
    assert!(stat < routine, "the order due first is listed first");
    assert!(page.contains("1 x platelets A pos, irradiated"), "{page}");
    let standing_orders = app
        .app
        .ledger
        .read(|state| {
            state
                .standing_orders
                .values()
                .map(|s| (s.weekday, s.lines[0].quantity))
                .collect::<Vec<_>>()
        })
        .await
        .expect("read");
    assert_eq!(standing_orders, [(time::Weekday::Monday, 4)]);
    app.stop().await;
}

/// A hospital system with an API token of its hospital orders for it, and only for it, and
/// sees only its orders; an order placed by the token is recorded as the token's.
#[tokio::test]
async fn p11_access_a_hospital_api_token_orders_and_reads_only_for_its_own_hospital() {
    let app = spawn(Database::Sqlite).await;
    let mercy = hospital_of(&app, "hospital").await;
    let other = hospital_of(&app, "hospital2").await;
    let admin = app.token("admin").await;
    let issued: Value = reqwest::Client::new()
        .post(app.url("/api/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"name": "Mercy LIS", "role": "hospital_user", "hospital": mercy}))
        .send()
        .await
        .expect("issue")
        .json()
        .await
        .expect("json");
    let lis = issued["token"].as_str().expect("secret").to_owned();
    let token_id = issued["token_id"].as_str().expect("id").to_owned();

    let (status, problem, _) = app.command(&lis, order("ORD-LIS-X", &other)).await;
    assert_eq!(
        (status, problem["rule"].as_str()),
        (403, Some("P11-ACCESS")),
        "{problem}"
    );
    let (status, body, _) = app.command(&lis, order("ORD-LIS-1", &mercy)).await;
    assert_eq!(status, 200, "{body}");
    let stlukes = app.token("hospital2").await;
    let (status, body, _) = app.command(&stlukes, order("ORD-SL-1", &other)).await;
    assert_eq!(status, 200, "{body}");

    let (status, list) = get(&app, &lis, "/api/orders").await;
    assert_eq!(status, 200, "{list}");
    let ids: Vec<&str> = list["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter_map(|o| o["id"].as_str().or(o["order"]["id"].as_str()))
        .collect();
    assert_eq!(ids, ["ORD-LIS-1"], "{list}");
    let (status, _) = get(&app, &lis, "/api/orders/ORD-SL-1").await;
    assert_eq!(
        status, 404,
        "another hospital's order is not on record for it"
    );
    let placed_by = app
        .app
        .ledger
        .read(|state| state.orders["ORD-LIS-1"].placed_by.clone())
        .await
        .expect("read");
    assert_eq!(placed_by, format!("token:{token_id}"));
    app.stop().await;
}

/// No lost update on the order page: a cancel made from a page read before distribution
/// allocated the order is refused with who changed it, and nothing is recorded; from a page
/// read after, it is cancelled.
#[tokio::test]
async fn no_lost_update_an_order_cancelled_from_an_old_page_is_refused_with_409() {
    let app = spawn(Database::Sqlite).await;
    let units = released_units(&app, "Stale", (Abo::O, RhD::Negative)).await;
    let unit = red_cells(&app, &units).await;
    let mercy = hospital_of(&app, "hospital").await;
    let hospital_token = app.token("hospital").await;
    let (status, body, _) = app.command(&hospital_token, order("ORD-OLD", &mercy)).await;
    assert_eq!(status, 200, "{body}");
    let (hospital, csrf) = app.browser("hospital").await;
    let read_page = || async {
        hospital
            .get(app.url("/orders/ORD-OLD"))
            .send()
            .await
            .expect("get")
            .text()
            .await
            .expect("html")
    };
    let old_seen = seen_of(&read_page().await);
    let (status, read) = get(&app, &hospital_token, "/api/orders/ORD-OLD").await;
    assert_eq!(status, 200, "{read}");
    let api_seen = read["ledger_sequence"].as_i64().expect("ledger_sequence");

    let shipper = app.token("shipper").await;
    let (status, body, _) = app
        .command(&shipper, json!({"command": {"type": "allocate_order", "order_id": "ORD-OLD", "units": [{"line": 0, "component": unit}]}}))
        .await;
    assert_eq!(status, 200, "{body}");

    let before = app.entries().await.len();
    let (status, problem, _) = app
        .command(&hospital_token, json!({"command": {"type": "cancel_order", "order_id": "ORD-OLD", "reason": "no longer needed"},
            "records_seen": [{"kind": "order", "id": "ORD-OLD", "seen": api_seen}]}))
        .await;
    assert_eq!(
        (status, problem["rule"].as_str()),
        (409, Some("STALE")),
        "{problem}"
    );
    let cancel = |seen: String| {
        hospital
            .post(app.url("/orders/ORD-OLD/cancel"))
            .form(&[
                ("csrf", csrf.clone()),
                ("seen", seen),
                ("reason", "patient transferred".to_owned()),
            ])
            .send()
    };
    let stale = cancel(old_seen).await.expect("post");
    assert_eq!(stale.status(), 409);
    let text = stale.text().await.expect("html");
    assert!(
        text.contains("look again") && text.contains("Dana Distribution"),
        "{text}"
    );
    assert_eq!(app.entries().await.len(), before, "nothing recorded");

    let fresh = cancel(seen_of(&read_page().await)).await.expect("post");
    assert_eq!(fresh.status(), 303);
    let status = app
        .app
        .ledger
        .read(|state| state.orders["ORD-OLD"].status())
        .await
        .expect("read");
    assert_eq!(
        status,
        hemaflow_domain::distribution::orders::OrderStatus::Cancelled
    );
    app.stop().await;
}
