//! The state's indexes give the answers a scan of every record gave.

use hemaflow_domain::donor_centre::donor::{Match, Sex, compare};
use hemaflow_domain::index::Indexes;
use hemaflow_domain::{ClientCommand, Command, DonorCentreCommand};
use hemaflow_domain::{Context, Role, State, decide, evolve};
use hemaflow_testkit::scenario::identity;
use proptest::prelude::*;
use time::{Date, Month, OffsetDateTime};

fn date(year: i32, month: u8, day: u8) -> Date {
    let month = Month::try_from(month).expect("a month of the year");
    Date::from_calendar_date(year, month, day).expect("a calendar date")
}

fn registered(identities: &[hemaflow_domain::donor_centre::donor::Identity]) -> State {
    let mut state = State::default();
    let ctx = Context {
        actor: "desk".into(),
        role: Role::CollectionStaff,
        now: OffsetDateTime::new_utc(date(2026, 3, 2), time::Time::MIDNIGHT),
        stamp: hemaflow_domain::Stamp::Planned,
    };
    for identity in identities {
        // Same-person identities are refused: the register keeps the others.
        if let Ok(events) = decide(
            &state,
            &Command::Client(ClientCommand::DonorCentre(
                DonorCentreCommand::RegisterDonor {
                    identity: identity.clone(),
                },
            )),
            &ctx,
        ) {
            for event in &events {
                evolve(&mut state, event);
            }
        }
    }
    state
}

prop_compose! {
    // Few names and nearby dates, so that same and near matches are frequent.
    fn arb_identity()(
        family in prop::sample::select(vec!["Smith", "smith", "Jones", "O'Neil", "Oneil"]),
        given in prop::sample::select(vec!["Ann", "ANN", "Bob", "Eve"]),
        year in 1970i32..1973,
        month in 1u8..4,
        day in 1u8..4,
        national in prop::option::of(prop::sample::select(vec!["123-45", "12345", "999"])),
    ) -> hemaflow_domain::donor_centre::donor::Identity {
        let mut id = identity(family, given, date(year, month, day), Sex::Female);
        id.national_id = national.map(str::to_owned);
        id
    }
}

proptest! {
    /// DONOR-DUPLICATE: every registered donor that `compare` matches with a new identity
    /// (same or near) is among the index's candidates, so the register's check finds it.
    #[test]
    fn donor_duplicate_index_candidates_include_every_match(
        register in prop::collection::vec(arb_identity(), 1..25),
        new in arb_identity(),
    ) {
        let state = registered(&register);
        let candidates = state.index.donor_candidates(&new);
        for donor in state.donors.values() {
            if compare(&donor.identity, &new) != Match::None {
                prop_assert!(candidates.contains(donor.id.as_str()), "{} missed", donor.id);
            }
        }
        prop_assert_eq!(&state.index, &Indexes::build(&state));
        // The desk's search by name and birth date reads the birth-date index: it finds what
        // a scan of every donor finds.
        let needle = new.family_name.to_lowercase();
        let found: Vec<&str> = hemaflow_domain::queries::search_donors(
            &state, &new.family_name, Some(new.date_of_birth),
        )
        .iter()
        .map(|d| d.id.as_str())
        .collect();
        let scanned: Vec<&str> = state
            .donors
            .values()
            .filter(|d| d.identity.date_of_birth == new.date_of_birth)
            .filter(|d| {
                d.identity.family_name.to_lowercase().contains(&needle)
                    || d.identity.given_name.to_lowercase().contains(&needle)
            })
            .map(|d| d.id.as_str())
            .collect();
        prop_assert_eq!(found, scanned);
    }
}

/// A state read back from JSON gets the indexes `evolve` built.
#[test]
fn a_state_read_back_from_json_rebuilds_its_indexes() {
    let state = registered(&[
        identity("Smith", "Ann", date(1970, 1, 2), Sex::Female),
        identity("Jones", "Bob", date(1971, 2, 3), Sex::Male),
    ]);
    assert_ne!(state.index, Indexes::default());
    let json = serde_json::to_string(&state).expect("a state serialises");
    let back: State = serde_json::from_str(&json).expect("a state reads back");
    assert_eq!(back.index, state.index);
}
