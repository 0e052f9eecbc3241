//! The unit page's history is the ledger's story of the unit as `hemaflow_service::history`
//! tells it: the same entries, refusals included, in the same order.

use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::{ClientCommand, ReleaseCommand};
use hemaflow_domain::{Command, Context, Role};
use hemaflow_web::demo::{self, Stop};
use time::OffsetDateTime;

use crate::helpers::{Database, spawn};

#[tokio::test]
async fn the_unit_page_lists_the_entries_history_lists() {
    let app = spawn(Database::Sqlite).await;
    let (din, units) = demo::donation(
        &app.app.ledger,
        "Storyline",
        (Abo::A, RhD::Positive),
        Stop::Produced,
    )
    .await
    .expect("produced");
    // A refusal naming a component (its label is not verified): history lists it too.
    let receipt = app
        .app
        .ledger
        .execute(
            "unit-page-refused-release",
            &Command::Client(ClientCommand::Release(ReleaseCommand::ReleaseComponent {
                component: units[0].clone(),
            })),
            &Context {
                actor: "quality".to_owned(),
                role: Role::QualityAssurance,
                now: OffsetDateTime::now_utc(),
                stamp: hemaflow_domain::Stamp::Clock,
            },
        )
        .await
        .expect("answered");
    assert!(matches!(
        receipt.outcome,
        hemaflow_service::ledger::Outcome::Refused { .. }
    ));

    let parsed = hemaflow_isbt128::Din::parse(&din).expect("a DIN");
    let story = hemaflow_service::history::history(app.app.ledger.store(), &parsed)
        .await
        .expect("history")
        .expect("a story");
    assert!(story.lines.iter().any(|l| l.kind == "refusal"));
    // The donor's registration is in the story, though it does not name the DIN.
    assert!(
        story
            .lines
            .iter()
            .any(|l| l.event_type == "donor_registered")
    );

    let (browser, _) = app.browser("quality").await;
    let page = browser
        .get(app.url(&format!("/units/{din}")))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    let listed: Vec<i64> = html
        .split("<tr class=\"")
        .skip(1)
        .filter(|row| row.starts_with("event\"") || row.starts_with("refusal\""))
        .filter_map(|row| {
            let cell = row.split("<td>").nth(1)?;
            cell.split("</td>").next()?.parse().ok()
        })
        .collect();
    let expected: Vec<i64> = story.lines.iter().map(|l| l.sequence).collect();
    assert_eq!(listed, expected);
    for line in &story.lines {
        assert!(html.contains(&line.recorded_at), "{}", line.recorded_at);
    }
}
