//! Lookback and recall through QA's forms and the API: a recall opened on a DIN whose red
//! cells are in Mercy's stock, refused closing with what is outstanding, a malformed form
//! refused with nothing written; a lookback started on other evidence, its tree and clocks on
//! its page, the trace and the deadlines through the API (LB-WINDOW, LB-DEADLINES,
//! RECALL-TRACK, LB-INPUT).

use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_service::ledger::EntryKind;
use hemaflow_web::demo;

use crate::helpers::{Database, post_htmx as post, seen_of, spawn};

#[tokio::test]
async fn recall_track_and_lb_window_qa_opens_a_recall_and_a_lookback_and_sees_every_unit_where_it_is()
 {
    let app = spawn(Database::Sqlite).await;
    let units = crate::supply::released_units(&app, "Lookback", (Abo::A, RhD::Positive)).await;
    let rbc = crate::supply::red_cells(&app, &units).await;
    demo::deliver_to_transfusion_service(&app.app.ledger, "ORD-LB", std::slice::from_ref(&rbc))
        .await
        .expect("delivered");
    let din = rbc.split_once('-').expect("DIN-code").0.to_owned();
    let (qa, csrf) = app.browser("quality").await;
    let board = qa
        .get(app.url("/quality/lookbacks"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(board.contains("No lookback on record"), "{board}");
    let seen = seen_of(&board);

    // A malformed form (no reason) is refused by the command's own rule; nothing is written.
    let before = app.entries().await.len();
    let mut recall = vec![
        ("csrf", csrf.as_str()),
        ("seen", seen.as_str()),
        ("type", "open_recall"),
        ("kind.kind", "recall"),
        ("kind.class", "I"),
        ("selection.by", "donations"),
        ("selection.dins[]", din.as_str()),
    ];
    let (status, html) = post(&app, &qa, "/quality/lookback/act", &recall).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("reason"), "{html}");
    assert_eq!(app.entries().await.len(), before);

    recall.push(("reason", "ABO label error on the donation"));
    recall.push(("command_id", "recall-1"));
    let (status, html) = post(&app, &qa, "/quality/lookback/act", &recall).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("RC-000001"), "{html}");
    let page = qa
        .get(app.url("/quality/recalls/RC-000001"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    for unit in &units {
        assert!(page.contains(unit.as_str()), "{unit}: {page}");
    }
    assert!(page.contains("mercy not yet told"), "{page}");
    let seen = seen_of(&page);
    let close = [
        ("csrf", csrf.as_str()),
        ("seen", seen.as_str()),
        ("command_id", "close-1"),
        ("type", "close_recall"),
        ("recall_id", "RC-000001"),
        ("summary", "done"),
    ];
    let before = app.entries().await.len();
    let (status, html) = post(&app, &qa, "/quality/lookback/act", &close).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("RECALL-TRACK") && html.contains("cannot close"),
        "{html}"
    );
    let entries = app.entries().await;
    assert_eq!(entries.len(), before + 1, "only the refusal");
    assert_eq!(entries[before].kind, EntryKind::Refusal);

    // A lookback on other evidence, from the DIN.
    let start = [
        ("csrf", csrf.as_str()),
        ("seen", seen.as_str()),
        ("command_id", "lookback-1"),
        ("type", "start_lookback"),
        ("din", din.as_str()),
        ("agent", "HIV"),
        (
            "evidence",
            "the donor reports a positive HIV test elsewhere",
        ),
    ];
    let (status, html) = post(&app, &qa, "/quality/lookback/act", &start).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("LB-000001"), "{html}");
    let page = qa
        .get(app.url("/quality/lookbacks/LB-000001"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(page.contains(&rbc) && page.contains("stock"), "{page}");
    assert!(page.contains("tell mercy to quarantine"), "{page}");

    // One API call traces the donation; the deadlines list the notices, soonest first.
    let token = app.token("quality").await;
    let client = reqwest::Client::new();
    let trace: serde_json::Value = client
        .get(app.url("/api/trace"))
        .query(&[("din", din.as_str())])
        .bearer_auth(&token)
        .send()
        .await
        .expect("trace")
        .json()
        .await
        .expect("json");
    let traced = trace["donations"][0]["units"].as_array().expect("units");
    assert_eq!(traced.len(), units.len(), "{trace}");
    let red = traced
        .iter()
        .find(|u| u["component"] == rbc.as_str())
        .expect("the red cells");
    assert_eq!(red["whereabouts"]["place"], "hospital_stock", "{red}");
    assert_eq!(red["whereabouts"]["hospital"], "mercy");
    let deadlines: serde_json::Value = client
        .get(app.url("/api/deadlines"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("deadlines")
        .json()
        .await
        .expect("json");
    let list = deadlines["deadlines"].as_array().expect("list");
    assert!(
        list.iter()
            .any(|d| d["record"] == "LB-000001" && d["rule"] == "LB-DEADLINES"),
        "{deadlines}"
    );
    let dues: Vec<&str> = list.iter().filter_map(|d| d["due"].as_str()).collect();
    let mut sorted = dues.clone();
    sorted.sort_unstable();
    assert_eq!(dues, sorted, "none overdue yet: soonest first");
    // REC-RETAIN: every donation is kept; none is near ten years old.
    let page = crate::helpers::page(&app, &qa, "/quality/retention").await;
    assert!(page.contains(" 0 past retention"), "{page}");
    let retention: serde_json::Value = client
        .get(app.url("/api/retention"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("retention")
        .json()
        .await
        .expect("json");
    assert_eq!(retention["retention"]["past_retention"], 0, "{retention}");
    assert!(
        retention["retention"]["donations"].as_u64() >= Some(1),
        "{retention}"
    );
    assert!(
        retention["retention"]["next_due"].is_string(),
        "{retention}"
    );
    let wrong = client
        .get(app.url("/api/trace"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("trace");
    assert_eq!(wrong.status(), 400);
    app.stop().await;
}
