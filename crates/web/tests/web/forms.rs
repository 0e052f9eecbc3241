//! No form states a measurement or a reading nobody took: the benches' inputs start empty,
//! each reading is a choice with none made, and a submission without one is refused with the
//! field named and records nothing.

use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_web::demo::{self, Stop};

use crate::helpers::{Database, TestApp, post_htmx as post, spawn};

/// The opening tag of the element whose `attribute="value"` is given.
fn tag<'a>(html: &'a str, attribute: &str) -> &'a str {
    let at = html
        .find(attribute)
        .unwrap_or_else(|| panic!("{attribute} in {html}"));
    let start = html[..at].rfind('<').expect("tag start");
    let end = html[at..].find('>').expect("tag end") + at;
    &html[start..=end]
}

/// The element from its opening tag to `closing` (a whole `<select>`).
fn element<'a>(html: &'a str, attribute: &str, closing: &str) -> &'a str {
    let at = html.find(attribute).expect("element");
    let start = html[..at].rfind('<').expect("tag start");
    let end = html[at..].find(closing).expect("closing tag") + at;
    &html[start..end]
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    client
        .get(app.url(path))
        .header("hx-request", "true")
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html")
}

#[tokio::test]
async fn the_screening_and_collection_forms_carry_no_measurement() {
    let app = spawn(Database::Sqlite).await;
    let (desk, csrf) = app.browser("collector").await;
    let page = get(&app, &desk, "/collection").await;
    for field in [
        "temperature_c",
        "systolic",
        "diastolic",
        "pulse",
        "weight_kg",
        "hemoglobin_g_dl",
        "hematocrit_pct",
    ] {
        let input = tag(&page, &format!("name=\"{field}\""));
        assert!(!input.contains("value="), "{input}");
    }
    for field in ["pulse_rhythm", "questionnaire_reviewed"] {
        let first = tag(&page, &format!("name=\"{field}\""));
        assert!(first.contains("required"), "{first}");
    }
    assert!(
        !page.contains("checked"),
        "no rhythm, no confirmation is preset"
    );
    let before = app.entries().await.len();
    let (status, html) = post(
        &app,
        &desk,
        "/collection/screening",
        &[
            ("csrf", &csrf),
            ("donor_id", "D-000001"),
            ("temperature_c", "36.6"),
            ("systolic", "118"),
            ("diastolic", "76"),
            ("pulse", ""),
            ("pulse_rhythm", "regular"),
            ("weight_kg", "68.5"),
            ("hemoglobin_g_dl", "13.5"),
            ("questionnaire_reviewed", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("pulse is missing"), "{html}");
    assert_eq!(app.entries().await.len(), before, "nothing recorded");
    app.stop().await;
}

#[tokio::test]
async fn a_collection_without_its_measured_duration_records_nothing() {
    let app = spawn(Database::Sqlite).await;
    let (desk, csrf) = app.browser("collector").await;
    let before = app.entries().await.len();
    let (status, html) = post(
        &app,
        &desk,
        "/collection/donation",
        &[
            ("csrf", &csrf),
            ("donor_id", "D-000001"),
            ("screening_id", "S-000001"),
            ("din", "=W12342600000100"),
            ("volume_ml", "475"),
            ("minutes", ""),
            ("reaction", "none"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("duration is missing"), "{html}");
    assert_eq!(app.entries().await.len(), before, "nothing recorded");
    app.stop().await;
}

#[tokio::test]
async fn manual_result_entry_preselects_no_reading_and_a_missing_one_records_nothing() {
    let app = spawn(Database::Sqlite).await;
    let (din, _) = demo::donation(
        &app.app.ledger,
        "Unread",
        (Abo::O, RhD::Positive),
        Stop::Collected,
    )
    .await
    .expect("a collected donation");
    let (lab, csrf) = app.browser("labtech").await;
    let form = get(&app, &lab, &format!("/testing/lookup?scan=%3D{din}00")).await;
    assert!(form.contains("name=\"reading:"), "{form}");
    assert!(
        !form.contains("checked"),
        "no reading is preselected: {form}"
    );
    assert!(
        !form.contains("selected"),
        "no choice is preselected: {form}"
    );
    let antibody = element(&form, "name=\"antibody\"", "</select>");
    assert!(antibody.contains("required"), "{antibody}");
    assert!(
        antibody.contains("<option value=\"\">"),
        "the first antibody option is empty: {antibody}"
    );
    let markers: Vec<&str> = form
        .split("name=\"marker\" value=\"")
        .skip(1)
        .map(|part| part.split('"').next().expect("marker"))
        .collect();
    assert!(markers.len() > 5, "the ordered panel is listed");

    let before = app.entries().await.len();
    let mut fields: Vec<(String, String)> =
        vec![("csrf".into(), csrf.clone()), ("din".into(), din.clone())];
    fields.push(("what".into(), "markers".into()));
    for marker in &markers[1..] {
        fields.push(("marker".into(), (*marker).to_owned()));
        fields.push((format!("reading:{marker}"), "nonreactive".into()));
    }
    fields.push(("marker".into(), markers[0].to_owned()));
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, html) = post(&app, &lab, "/testing", &borrowed).await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains(&format!("the initial reading of {} is missing", markers[0])),
        "{html}"
    );
    let (status, html) = post(
        &app,
        &lab,
        "/testing",
        &[
            ("csrf", &csrf),
            ("din", &din),
            ("what", "antibody"),
            ("antibody", ""),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("the antibody screen is missing"), "{html}");
    let (status, html) = post(
        &app,
        &lab,
        "/testing",
        &[
            ("csrf", &csrf),
            ("din", &din),
            ("what", "group"),
            ("abo", "O"),
            ("rhd", ""),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("the RhD type is missing"), "{html}");
    assert_eq!(app.entries().await.len(), before, "nothing recorded");
    app.stop().await;
}

#[tokio::test]
async fn no_bacterial_control_method_is_preselected_and_none_chosen_records_nothing() {
    let app = spawn(Database::Sqlite).await;
    let (maker, csrf) = app.browser("maker").await;
    let page = get(&app, &maker, "/production").await;
    let method = element(&page, "name=\"method\"", "</select>");
    assert!(method.contains("required"), "{method}");
    assert!(method.contains("<option value=\"\">"), "{method}");
    assert!(!method.contains("selected"), "{method}");
    let seen = crate::helpers::seen_of(&page);
    let before = app.entries().await.len();
    let (status, html) = post(
        &app,
        &maker,
        "/production/bacterial-control",
        &[
            ("csrf", &csrf),
            ("seen", &seen),
            ("din", "=W12342600000100"),
            ("product_code", "=<E0869V00"),
            ("method", ""),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains("the bacterial risk-control method is missing"),
        "{html}"
    );
    assert_eq!(app.entries().await.len(), before, "nothing recorded");
    app.stop().await;
}

#[tokio::test]
async fn a_return_states_its_seal_and_container_as_observed_or_records_nothing() {
    let app = spawn(Database::Sqlite).await;
    demo::supply(&app.app.ledger).await.expect("supply");
    let (hospital, csrf) = app.browser("hospital").await;
    let page = get(&app, &hospital, "/portal").await;
    let minutes = tag(&page, "name=\"minutes_out_of_storage\"");
    assert!(!minutes.contains("value="), "{minutes}");
    for field in ["seal", "container"] {
        let first = tag(&page, &format!("name=\"{field}\""));
        assert!(first.contains("type=\"radio\""), "{first}");
        assert!(first.contains("required"), "{first}");
    }
    assert!(!page.contains("checked"), "no observation is preselected");
    let before = app.entries().await.len();
    let unit = [
        ("csrf", csrf.as_str()),
        ("din", "=W12342600000100"),
        ("product_code", "=<E0869V00"),
        ("minutes_out_of_storage", "20"),
        ("reason", "not needed"),
    ];
    for (missing, named) in [
        (("seal", ""), "the seal is missing"),
        (("container", ""), "the transport container is missing"),
    ] {
        let mut form = unit.to_vec();
        form.push(("seal", "intact"));
        form.push(("container", "validated"));
        form.retain(|(key, _)| *key != missing.0);
        let (status, html) = post(&app, &hospital, "/portal/returns", &form).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains(named), "{html}");
    }
    assert_eq!(app.entries().await.len(), before, "nothing recorded");
    app.stop().await;
}

/// A donor registered at the desk; the donor ID.
async fn registered(app: &TestApp, client: &reqwest::Client, csrf: &str) -> String {
    let (status, html) = post(
        app,
        client,
        "/donors",
        &[
            ("csrf", csrf),
            ("family_name", "Asked"),
            ("given_name", "Robin"),
            ("date_of_birth", "1979-09-12"),
            ("sex", "female"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let marker = "Donor registered: ";
    let start = html.find(marker).expect("registered") + marker.len();
    html[start..]
        .split(' ')
        .next()
        .expect("donor ID")
        .to_owned()
}

#[tokio::test]
async fn elig_a_screening_records_only_what_the_form_asked() {
    let app = spawn(Database::Sqlite).await;
    let (desk, csrf) = app.browser("collector").await;
    let donor = registered(&app, &desk, &csrf).await;
    let since = (time::OffsetDateTime::now_utc().date() - time::Duration::days(10)).to_string();
    let full = [
        ("csrf", csrf.as_str()),
        ("donor_id", donor.as_str()),
        ("temperature_c", "36.6"),
        ("systolic", "118"),
        ("diastolic", "76"),
        ("pulse", "70"),
        ("pulse_rhythm", "irregular"),
        ("weight_kg", "68.5"),
        ("hemoglobin_g_dl", "13.5"),
        ("questionnaire_reviewed", "yes"),
        ("finding_reason_1", "tattoo_piercing"),
        ("finding_since_1", since.as_str()),
    ];
    let before = app.entries().await.len();
    for (left_out, named) in [
        ("pulse_rhythm", "the pulse rhythm is missing"),
        (
            "questionnaire_reviewed",
            "the questionnaire review is missing",
        ),
    ] {
        let form: Vec<(&str, &str)> = full
            .iter()
            .copied()
            .filter(|(key, _)| *key != left_out)
            .collect();
        let (status, html) = post(&app, &desk, "/collection/screening", &form).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains(named), "{html}");
    }
    assert_eq!(app.entries().await.len(), before, "nothing recorded");

    // SCREEN-INPUT is the domain's: neither haemoglobin nor haematocrit is refused there, and
    // the refusal is on the record.
    let form: Vec<(&str, &str)> = full
        .iter()
        .copied()
        .filter(|(key, _)| *key != "hemoglobin_g_dl")
        .collect();
    let (status, html) = post(&app, &desk, "/collection/screening", &form).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("SCREEN-INPUT"), "{html}");
    let entries = app.entries().await;
    assert_eq!(entries.len(), before + 1, "only the refusal");
    assert_eq!(
        entries[before].kind,
        hemaflow_service::ledger::EntryKind::Refusal
    );

    let (status, html) = post(&app, &desk, "/collection/screening", &full).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("deferred"), "{html}");
    let input = app
        .app
        .ledger
        .read(|state| {
            state
                .screenings
                .values()
                .find(|s| s.donor_id == donor)
                .map(|s| s.input.clone())
        })
        .await
        .expect("read")
        .expect("the screening");
    assert!(!input.pulse_regular, "the rhythm as chosen");
    assert_eq!(input.pulse, 70);
    assert_eq!(input.hemoglobin_g_dl, Some(13.5));
    assert_eq!(input.hematocrit_pct, None, "not asked, not measured");
    assert_eq!(input.height_cm, None, "not asked");
    assert_eq!(input.platelet_count, None, "not asked");
    assert!(input.answers.is_empty());
    assert_eq!(input.questionnaire.len(), 1);
    assert_eq!(input.questionnaire[0].reason, "tattoo_piercing");
    assert_eq!(
        input.questionnaire[0].since.map(|d| d.to_string()),
        Some(since)
    );
    app.stop().await;
}

#[test]
fn no_route_borrows_the_domain_test_fixtures() {
    let routes = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut folders = vec![std::path::PathBuf::from(routes)];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                assert!(
                    !text.contains("scenario::"),
                    "{} uses the domain's test scenario",
                    path.display()
                );
            }
        }
    }
}

#[tokio::test]
async fn the_collection_form_states_no_volume_duration_or_reaction_nobody_recorded() {
    let app = spawn(Database::Sqlite).await;
    let (desk, csrf) = app.browser("collector").await;
    let donor = registered(&app, &desk, &csrf).await;
    let (status, form) = post(
        &app,
        &desk,
        "/collection/screening",
        &[
            ("csrf", &csrf),
            ("donor_id", &donor),
            ("temperature_c", "36.6"),
            ("systolic", "118"),
            ("diastolic", "76"),
            ("pulse", "70"),
            ("pulse_rhythm", "regular"),
            ("weight_kg", "68.5"),
            ("hemoglobin_g_dl", "13.5"),
            ("questionnaire_reviewed", "yes"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{form}");
    for field in ["volume_ml", "minutes"] {
        let input = tag(&form, &format!("name=\"{field}\""));
        assert!(!input.contains("value="), "{input}");
        assert!(input.contains("required"), "{input}");
    }
    assert!(tag(&form, "name=\"reaction\"").contains("required"));
    assert!(
        !form.contains("checked"),
        "no reaction choice is preset: {form}"
    );
    let marker = "name=\"screening_id\" value=\"";
    let start = form.find(marker).expect("the collection form") + marker.len();
    let screening = form[start..]
        .split('"')
        .next()
        .expect("screening")
        .to_owned();
    let din = app
        .app
        .ledger
        .read(|state| {
            let year = (time::OffsetDateTime::now_utc().year() % 100) as u8;
            hemaflow_domain::donor_centre::collection::next_din(state, year)
                .map(|d| d.as_str().to_owned())
        })
        .await
        .expect("read")
        .expect("a DIN");
    let scanned = format!("={din}00");
    let collect = |reaction: &'static str, description: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("donor_id", donor.clone()),
            ("screening_id", screening.clone()),
            ("din", scanned.clone()),
            ("volume_ml", "470".to_owned()),
            ("minutes", "8".to_owned()),
            ("reaction", reaction.to_owned()),
            ("reaction_description", description.to_owned()),
        ]
    };
    let before = app.entries().await.len();
    for ((reaction, description), named) in [
        (("", ""), "the adverse reaction is missing"),
        (
            ("observed", " "),
            "the adverse reaction&#39;s description is missing",
        ),
    ] {
        let fields = collect(reaction, description);
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, html) = post(&app, &desk, "/collection/donation", &borrowed).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains(named), "{html}");
    }
    assert_eq!(app.entries().await.len(), before, "nothing recorded");
    let fields = collect("observed", "vasovagal, recovered after 5 min");
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, html) = post(&app, &desk, "/collection/donation", &borrowed).await;
    assert_eq!(status, 200, "{html}");
    let reactions = app
        .app
        .ledger
        .read(|state| state.donations[&din].adverse_reactions.clone())
        .await
        .expect("read");
    assert_eq!(reactions, ["vasovagal, recovered after 5 min"]);
    app.stop().await;
}

#[tokio::test]
async fn a_shipment_without_the_temperature_range_it_was_packed_for_records_nothing() {
    let app = spawn(Database::Sqlite).await;
    let (shipper, csrf) = app.browser("shipper").await;
    let before = app.entries().await.len();
    let (status, html) = post(
        &app,
        &shipper,
        "/shipments/SHP-X/ship",
        &[
            ("csrf", &csrf),
            ("seen", "1"),
            ("box_id", "BOX-1"),
            ("temperature", ""),
            ("courier", "MedExpress"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("the temperature range is missing"), "{html}");
    assert_eq!(app.entries().await.len(), before, "nothing recorded");
    app.stop().await;
}
