//! User accounts and electronic signatures (P11-ACCESS, P11-SIGN).

use hemaflow_domain::{
    AccessCommand, AccessEvent, ClientCommand, DistributionCommand, ManufacturingCommand,
    ReleaseCommand, ReleaseEvent, ServerCommand,
};
use hemaflow_domain::{Command, Event, Role, all_rows, rows_touched};
use hemaflow_testkit::scenario::Centre;

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

fn create(
    centre: &mut Centre,
    id: &str,
    role: Role,
) -> Result<Vec<Event>, hemaflow_domain::Refusal> {
    centre.run(
        Role::Admin,
        Command::Client(ClientCommand::Access(AccessCommand::CreateUser {
            user_id: id.to_owned(),
            name: format!("Pat {id}"),
            role,
            hospital: (role == Role::HospitalUser).then(|| "general".to_owned()),
        })),
    )
}

/// Puts hospital `id` on record (named "General Hospital" for `general`).
fn register_hospital(centre: &mut Centre, id: &str, name: &str) {
    centre
        .run(
            Role::Admin,
            Command::Client(ClientCommand::Distribution(
                DistributionCommand::RegisterHospital {
                    hospital_id: id.to_owned(),
                    name: name.to_owned(),
                    address: "1 Hospital Way".to_owned(),
                    contacts: vec![],
                },
            )),
        )
        .expect("hospital registered");
}

fn bind(
    centre: &mut Centre,
    role: Role,
    hospital: Option<&str>,
) -> Result<Vec<Event>, hemaflow_domain::Refusal> {
    centre.run(
        Role::Admin,
        Command::Client(ClientCommand::Access(AccessCommand::CreateUser {
            user_id: "hosp".to_owned(),
            name: "H".to_owned(),
            role,
            hospital: hospital.map(str::to_owned),
        })),
    )
}

#[test]
fn p11_access_only_an_admin_manages_accounts() {
    let mut centre = Centre::new();
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
        let refusal = centre
            .run(
                role,
                Command::Client(ClientCommand::Access(AccessCommand::CreateUser {
                    user_id: "intruder".to_owned(),
                    name: "X".to_owned(),
                    role: Role::Admin,
                    hospital: None,
                })),
            )
            .expect_err("only an admin creates accounts");
        assert_eq!(refusal.rule, "P11-ACCESS");
    }
    assert!(centre.state.users.is_empty());
    create(&mut centre, "qa.one", Role::QualityAssurance).expect("admin may");
    assert!(centre.state.users["qa.one"].enabled);
}

#[test]
fn p11_access_a_hospital_user_is_bound_to_exactly_one_hospital() {
    let mut centre = Centre::new();
    register_hospital(&mut centre, "general", "General Hospital");
    let before = centre.state.clone();
    let unbound = bind(&mut centre, Role::HospitalUser, None).expect_err("needs a hospital");
    assert_eq!(unbound.rule, "P11-ACCESS");
    assert!(
        unbound.message.contains("general (General Hospital)"),
        "{}",
        unbound.message
    );
    let bound_lab =
        bind(&mut centre, Role::LabTechnologist, Some("general")).expect_err("not a hospital user");
    assert_eq!(bound_lab.rule, "P11-ACCESS");
    assert!(
        bound_lab.message.contains("lab technologist"),
        "{}",
        bound_lab.message
    );
    assert_eq!(centre.state, before, "a refused account is not created");
    create(&mut centre, "hosp", Role::HospitalUser).expect("bound");
    assert_eq!(
        centre.state.users["hosp"].hospital.as_deref(),
        Some("general")
    );
}

#[test]
fn p11_access_a_hospital_user_is_bound_only_to_a_hospital_on_record_by_its_id() {
    let mut centre = Centre::new();
    let none_yet =
        bind(&mut centre, Role::HospitalUser, Some("general")).expect_err("none on record");
    assert_eq!(none_yet.rule, "P11-ACCESS");
    assert!(
        none_yet.message.contains("\"general\"")
            && none_yet.message.contains("register the hospital first"),
        "{}",
        none_yet.message
    );
    register_hospital(&mut centre, "general", "General Hospital");
    register_hospital(&mut centre, "mercy", "Mercy Hospital");
    let before = centre.state.clone();
    let by_name = bind(&mut centre, Role::HospitalUser, Some("General Hospital"))
        .expect_err("a name is not an ID");
    assert_eq!(by_name.rule, "P11-ACCESS");
    assert!(
        by_name
            .message
            .contains("\"General Hospital\" is the name of hospital general: bind to its ID")
            && by_name.message.contains("mercy (Mercy Hospital)"),
        "{}",
        by_name.message
    );
    let unknown =
        bind(&mut centre, Role::HospitalUser, Some("stlukes")).expect_err("not on record");
    assert_eq!(unknown.rule, "P11-ACCESS");
    assert!(
        unknown.message.contains("\"stlukes\"")
            && unknown
                .message
                .contains("general (General Hospital), mercy (Mercy Hospital)"),
        "{}",
        unknown.message
    );
    assert_eq!(
        centre.state, before,
        "nothing is written for a refused binding"
    );
    bind(&mut centre, Role::HospitalUser, Some(" mercy ")).expect("an ID on record, trimmed");
    assert_eq!(
        centre.state.users["hosp"].hospital.as_deref(),
        Some("mercy")
    );
}

#[test]
fn p11_access_a_user_id_is_never_reused_and_a_disabled_account_stays_on_record() {
    let mut centre = Centre::new();
    create(&mut centre, "tech.a", Role::LabTechnologist).expect("new");
    assert_eq!(
        create(&mut centre, "tech.a", Role::Admin)
            .expect_err("taken")
            .rule,
        "ACCOUNT-EXISTS"
    );
    centre
        .run(
            Role::Admin,
            Command::Client(ClientCommand::Access(AccessCommand::DisableUser {
                user_id: "tech.a".to_owned(),
                reason: "left".to_owned(),
            })),
        )
        .expect("disable");
    assert!(!centre.state.users["tech.a"].enabled);
    assert_eq!(
        create(&mut centre, "Bad Id!", Role::Admin)
            .expect_err("bad id")
            .rule,
        "ACCOUNT-INPUT"
    );
}

#[test]
fn p11_sign_a_password_is_kept_only_as_an_argon2id_hash_and_never_in_a_row() {
    let mut centre = Centre::new();
    create(&mut centre, "qa.one", Role::QualityAssurance).expect("new");
    let plain = centre.run(
        Role::Admin,
        Command::Server(ServerCommand::SetPassword {
            user_id: "qa.one".to_owned(),
            password_hash: "hunter22hunter22".to_owned(),
        }),
    );
    assert_eq!(plain.expect_err("not a hash").rule, "P11-SIGN");
    let events = centre
        .run(
            Role::Admin,
            Command::Server(ServerCommand::SetPassword {
                user_id: "qa.one".to_owned(),
                password_hash: HASH.to_owned(),
            }),
        )
        .expect("hash");
    assert_eq!(
        centre.state.users["qa.one"].password_hash.as_deref(),
        Some(HASH)
    );
    let rows = all_rows(&centre.state);
    let user_row = rows.iter().find(|r| r.kind == "user").expect("a user row");
    assert_eq!(user_row.status.as_deref(), Some("enabled"));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&user_row.body).expect("the body is JSON")["has_password"],
        true
    );
    let all_text = serde_json::to_string(&rows).expect("json");
    assert!(!all_text.contains("argon2"), "no hash in any row");
    let touched = rows_touched(&centre.state, &events[0]);
    assert_eq!(touched.len(), 1);
    assert!(
        !serde_json::to_string(&touched)
            .expect("json")
            .contains("argon2")
    );
}

fn ready_unit(centre: &mut Centre) -> String {
    let born = time::macros::date!(1980 - 01 - 01);
    let (_, din) = centre
        .walk_in(
            "Signer",
            born,
            hemaflow_domain::donor_centre::eligibility::Procedure::WholeBlood,
        )
        .expect("walk in");
    centre.all_negative(&din).expect("tests");
    centre
        .type_and_screen(
            &din,
            hemaflow_domain::lab::testing::Abo::O,
            hemaflow_domain::lab::testing::RhD::Positive,
        )
        .expect("typed");
    let recipe = "rbc_ffp";
    let ids = centre.produce(&din, recipe).expect("produce");
    let id = ids.into_iter().find(|id| {
        centre.component(id).is_some_and(|c| {
            c.family == hemaflow_domain::manufacturing::components::Family::RedCells
        })
    });
    let id = id.expect("a red cell unit");
    centre.verify_label(&id).expect("label");
    id
}

#[test]
fn p11_sign_a_signed_release_records_printed_name_time_and_meaning_before_the_release() {
    let mut centre = Centre::new();
    let id = ready_unit(&mut centre);
    create(&mut centre, "qualityassurance", Role::QualityAssurance).expect("signer");
    let release = ClientCommand::Release(ReleaseCommand::ReleaseComponent {
        component: id.clone(),
    });
    let wrong = centre.run(
        Role::QualityAssurance,
        Command::Server(ServerCommand::Signed {
            meaning: "approved by".to_owned(),
            command: Box::new(release.clone()),
        }),
    );
    assert_eq!(wrong.expect_err("wrong meaning").rule, "P11-SIGN");
    let events = centre
        .run(
            Role::QualityAssurance,
            Command::Server(ServerCommand::Signed {
                meaning: "released by".to_owned(),
                command: Box::new(release),
            }),
        )
        .expect("signed release");
    let Event::Access(AccessEvent::Signed { signature }) = &events[0] else {
        panic!("the signature comes first: {events:?}");
    };
    assert_eq!(signature.printed_name, "Pat qualityassurance");
    assert_eq!(signature.meaning, "released by");
    assert_eq!(signature.signed_at, centre.now);
    assert!(matches!(
        events[1],
        Event::Release(ReleaseEvent::ComponentReleased { .. })
    ));
}

#[test]
fn p11_sign_no_account_no_signature_and_unsigned_commands_are_not_signed() {
    let mut centre = Centre::new();
    let id = ready_unit(&mut centre);
    let release = ClientCommand::Release(ReleaseCommand::ReleaseComponent { component: id });
    let no_account = centre.run(
        Role::QualityAssurance,
        Command::Server(ServerCommand::Signed {
            meaning: "released by".to_owned(),
            command: Box::new(release),
        }),
    );
    assert_eq!(no_account.expect_err("no account").rule, "P11-SIGN");
    let needless = centre.run(
        Role::Manufacturing,
        Command::Server(ServerCommand::Signed {
            meaning: "released by".to_owned(),
            command: Box::new(ClientCommand::Manufacturing(
                ManufacturingCommand::RecordBacterialControl {
                    component: "x".to_owned(),
                    method: "y".to_owned(),
                },
            )),
        }),
    );
    assert_eq!(needless.expect_err("not a signed command").rule, "P11-SIGN");
}
