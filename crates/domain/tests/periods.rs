//! Periods as the rule book states them (issue 26): a deferral of N months or years ends on
//! the same calendar day N months or years later, not after N x 30 or N x 365 days; the
//! platelet limit counts 12 calendar months; a configuration keeps the unit it was given in,
//! and one recorded in days still reads and defers in days. Then the properties of
//! `Period::end`.

#![allow(clippy::unwrap_used)]

use hemaflow_domain::command::{Command, Event};
use hemaflow_domain::config::DeferralReason;
use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::kernel::Period;
use hemaflow_domain::kernel::period::{Unit, add_months};
use hemaflow_domain::{AccessCommand, ClientCommand, Config, DonorCentreCommand, DonorCentreEvent};
use hemaflow_domain::{Role, queries};
use hemaflow_testkit::scenario::{Centre, healthy_screening};
use proptest::prelude::*;
use time::macros::{date, datetime};
use time::{Date, Duration};

/// Quality assurance defers `donor` for `reason` from `starts`; the deferral's end.
fn defer(centre: &mut Centre, donor: &str, reason: &str, starts: Date) -> Option<Date> {
    let events = centre
        .run(
            Role::QualityAssurance,
            Command::Client(ClientCommand::DonorCentre(DonorCentreCommand::DeferDonor {
                donor_id: donor.to_owned(),
                reason: reason.to_owned(),
                starts: Some(starts),
                notes: String::new(),
            })),
        )
        .unwrap();
    match &events[0] {
        Event::DonorCentre(DonorCentreEvent::DonorDeferred { deferral }) => deferral.ends,
        other => panic!("not a deferral: {other:?}"),
    }
}

/// A registered donor in a centre whose clock reads `now`.
fn centre_at(now: time::OffsetDateTime) -> (Centre, String) {
    let mut centre = Centre::new();
    centre.now = now;
    let donor = centre
        .register(hemaflow_testkit::scenario::identity(
            "Reyes",
            "Sam",
            date!(1980 - 01 - 01),
            hemaflow_domain::donor_centre::donor::Sex::Male,
        ))
        .unwrap();
    (centre, donor)
}

#[test]
fn def_reasons_three_months_from_15_march_ends_on_15_june() {
    let (mut centre, donor) = centre_at(datetime!(2026-06-20 09:00 UTC));
    let ends = defer(
        &mut centre,
        &donor,
        "tattoo_piercing",
        date!(2026 - 03 - 15),
    );
    assert_eq!(ends, Some(date!(2026 - 06 - 15)), "not 90 days: 13 June");
    let deferred_on = |centre: &Centre, day: Date| {
        !queries::current_deferrals(&centre.state, &donor, day).is_empty()
    };
    assert!(deferred_on(&centre, date!(2026 - 06 - 14)));
    assert!(!deferred_on(&centre, date!(2026 - 06 - 15)));
}

#[test]
fn def_reasons_every_default_period_ends_as_the_rule_book_states_it() {
    let (mut centre, donor) = centre_at(datetime!(2026-03-02 08:00 UTC));
    for (reason, starts, ends) in [
        // Months: the same calendar day, or the last day of a shorter month.
        ("ira_hiv_risk", date!(2025 - 11 - 30), date!(2026 - 02 - 28)),
        (
            "sex_for_money_or_drugs",
            date!(2025 - 12 - 15),
            date!(2026 - 03 - 15),
        ),
        (
            "partner_hiv_risk",
            date!(2025 - 12 - 31),
            date!(2026 - 03 - 31),
        ),
        (
            "oral_prep_pep",
            date!(2026 - 01 - 01),
            date!(2026 - 04 - 01),
        ),
        (
            "syphilis_gonorrhea",
            date!(2025 - 12 - 01),
            date!(2026 - 03 - 01),
        ),
        (
            "malaria_travel",
            date!(2026 - 02 - 28),
            date!(2026 - 05 - 28),
        ),
        (
            "transfusion_received",
            date!(2026 - 03 - 01),
            date!(2026 - 06 - 01),
        ),
        ("isotretinoin", date!(2026 - 01 - 31), date!(2026 - 02 - 28)),
        ("finasteride", date!(2026 - 03 - 01), date!(2026 - 04 - 01)),
        ("dutasteride", date!(2025 - 08 - 31), date!(2026 - 02 - 28)),
        // Years: the same day, 29 February to 28 February in a common year.
        (
            "injectable_prep",
            date!(2024 - 02 - 29),
            date!(2026 - 02 - 28),
        ),
        (
            "malaria_residence",
            date!(2026 - 03 - 02),
            date!(2029 - 03 - 02),
        ),
        (
            "malaria_history",
            date!(2025 - 02 - 28),
            date!(2028 - 02 - 28),
        ),
        ("acitretin", date!(2026 - 01 - 15), date!(2029 - 01 - 15)),
        // Weeks and days: exact.
        ("pregnancy", date!(2026 - 03 - 01), date!(2026 - 04 - 12)),
        ("live_vaccine", date!(2026 - 03 - 01), date!(2026 - 03 - 29)),
        ("wnv_reactive", date!(2026 - 03 - 01), date!(2026 - 06 - 29)),
        (
            "low_hemoglobin",
            date!(2026 - 03 - 02),
            date!(2026 - 03 - 03),
        ),
    ] {
        assert_eq!(
            defer(&mut centre, &donor, reason, starts),
            Some(ends),
            "{reason} from {starts}"
        );
    }
    assert_eq!(
        defer(&mut centre, &donor, "cjd_risk", date!(2026 - 03 - 02)),
        None
    );
}

#[test]
fn def_reasons_the_default_periods_are_in_the_rule_books_units() {
    let config = Config::default();
    let period = |code: &str| config.deferral_reasons[code].period.unwrap().to_string();
    assert_eq!(period("tattoo_piercing"), "3 months");
    assert_eq!(period("injectable_prep"), "2 years");
    assert_eq!(period("acitretin"), "3 years");
    assert_eq!(period("dutasteride"), "6 months");
    assert_eq!(period("isotretinoin"), "1 month");
    assert_eq!(period("pregnancy"), "6 weeks");
    assert_eq!(period("wnv_reactive"), "120 days");
    assert_eq!(period("low_hemoglobin"), "1 day");
    assert_eq!(
        serde_json::to_string(&config.deferral_reasons["oral_prep_pep"]).unwrap(),
        r#"{"description":"Oral PrEP or PEP","kind":"temporary","months":3}"#
    );
}

#[test]
fn def_reasons_a_reason_configured_in_days_still_defers_for_days() {
    let (mut centre, donor) = centre_at(datetime!(2026-06-20 09:00 UTC));
    let recorded: DeferralReason = serde_json::from_str(
        r#"{"description":"Tattoo, piercing, needle-stick or blood exposure","kind":"temporary","days":90}"#,
    )
    .unwrap();
    assert_eq!(recorded.period, Some(Period::days(90)));
    let mut config = Config::default();
    config
        .deferral_reasons
        .insert("tattoo_piercing".into(), recorded);
    centre
        .run(
            Role::Admin,
            Command::Client(ClientCommand::Access(AccessCommand::Configure {
                config: Box::new(config),
            })),
        )
        .unwrap();
    let ends = defer(
        &mut centre,
        &donor,
        "tattoo_piercing",
        date!(2026 - 03 - 15),
    );
    assert_eq!(ends, Some(date!(2026 - 06 - 13)));
}

#[test]
fn def_reasons_a_reason_with_two_units_does_not_read() {
    let two = r#"{"description":"x","kind":"temporary","days":90,"months":3}"#;
    let error = serde_json::from_str::<DeferralReason>(two).unwrap_err();
    assert!(error.to_string().contains("one unit"), "{error}");
}

#[test]
fn config_valid_refuses_a_deferral_period_of_nothing_or_over_100_years() {
    let with = |period: Option<Period>| {
        let mut config = Config::default();
        config
            .deferral_reasons
            .get_mut("tattoo_piercing")
            .unwrap()
            .period = period;
        config
            .validate()
            .map_err(|r| (r.rule.as_str().to_owned(), r.message))
    };
    let refused = |message: &str| Err(("CONFIG-VALID".to_owned(), message.to_owned()));
    assert_eq!(
        with(Some(Period::months(0))),
        refused("deferral tattoo_piercing: a period of 0 months ends the day it starts")
    );
    assert_eq!(
        with(Some(Period::years(101))),
        refused("deferral tattoo_piercing: 101 years is longer than 100 years (at most 100 years)")
    );
    assert_eq!(
        with(Some(Period::days(36_526))),
        refused(
            "deferral tattoo_piercing: 36526 days is longer than 100 years (at most 36525 days)"
        )
    );
    assert_eq!(
        with(None),
        refused("temporary deferral tattoo_piercing needs a period (days, weeks, months or years)")
    );
    assert_eq!(with(Some(Period::years(100))), Ok(()));
    assert_eq!(with(Some(Period::months(1_200))), Ok(()));
    assert_eq!(with(Some(Period::weeks(5_217))), Ok(()));
}

#[test]
fn int_plt_24_in_12_calendar_months_not_365_days() {
    // From 2 March 2027 the 12 months run over 29 February 2028: 366 days.
    let mut centre = Centre::new();
    centre.now = datetime!(2027-03-02 08:00 UTC);
    let (donor, _) = centre
        .walk_in("Kim", date!(1980 - 01 - 01), Procedure::Plateletpheresis)
        .unwrap();
    let donate = |centre: &mut Centre, after_days: i64| {
        centre.advance(Duration::days(after_days));
        let s = centre.screen(&donor, Procedure::Plateletpheresis, healthy_screening())?;
        centre.collect(&donor, &s, 470, "TX")
    };
    for _ in 0..23 {
        donate(&mut centre, 7).unwrap();
    }
    // 365 days after the first donation (1 March 2028) it is still within its 12 months.
    let days_to_365th = (date!(2028 - 03 - 01) - centre.now.date()).whole_days();
    let refusal = donate(&mut centre, days_to_365th).unwrap_err();
    assert_eq!(refusal.rule, "INT-PLT");
    assert!(
        refusal
            .message
            .contains("24 plateletpheresis donations in the last 12 months")
    );
    // On 2 March 2028 its 12 months have ended: 23 in the window.
    assert!(donate(&mut centre, 1).is_ok());
}

proptest! {
    #[test]
    fn def_reasons_a_period_never_ends_before_it_starts(
        day in 0i64..100_000,
        count in 0u32..1_300,
        unit in prop_oneof![Just(Unit::Days), Just(Unit::Weeks), Just(Unit::Months), Just(Unit::Years)],
    ) {
        let start = date!(1900 - 01 - 01) + Duration::days(day);
        let end = Period { count, unit }.end(start).unwrap();
        prop_assert!(end >= start);
        if count > 0 {
            prop_assert!(end > start);
        }
        match unit {
            Unit::Days => prop_assert_eq!((end - start).whole_days(), i64::from(count)),
            Unit::Weeks => prop_assert_eq!((end - start).whole_days(), 7 * i64::from(count)),
            Unit::Months | Unit::Years => {}
        }
    }

    #[test]
    fn def_reasons_months_add_by_the_calendar(
        day in 0i64..100_000,
        months in 0u32..1_300,
    ) {
        let start = date!(1900 - 01 - 01) + Duration::days(day);
        let end = Period::months(months).end(start).unwrap();
        let index = |d: Date| i64::from(d.year()) * 12 + i64::from(u8::from(d.month()));
        prop_assert_eq!(index(end) - index(start), i64::from(months));
        let last = time::util::days_in_month(end.month(), end.year());
        prop_assert_eq!(end.day(), start.day().min(last));
        // Years are twelve months.
        prop_assert_eq!(
            Period::years(months / 12).end(start),
            Period::months(months / 12 * 12).end(start)
        );
        prop_assert_eq!(add_months(start, i64::from(months)), Some(end));
    }

    #[test]
    fn def_reasons_years_from_29_february_land_on_28_february_in_common_years(
        leap in (0i32..100).prop_map(|i| 1904 + 4 * i).prop_filter("leap", |y| time::util::is_leap_year(*y)),
        years in 1u32..100,
    ) {
        let start = Date::from_calendar_date(leap, time::Month::February, 29).unwrap();
        let end = Period::years(years).end(start).unwrap();
        prop_assert_eq!(end.year(), leap + years as i32);
        prop_assert_eq!(end.month(), time::Month::February);
        let expected = if time::util::is_leap_year(end.year()) { 29 } else { 28 };
        prop_assert_eq!(end.day(), expected);
    }

    #[test]
    fn def_reasons_a_period_reads_back_as_it_was_written(
        count in 1u32..1_000,
        unit in prop_oneof![Just(Unit::Days), Just(Unit::Weeks), Just(Unit::Months), Just(Unit::Years)],
    ) {
        let period = Period { count, unit };
        let json = serde_json::to_string(&period).unwrap();
        prop_assert_eq!(&json, &format!("{{\"{}\":{count}}}", unit.as_str()));
        prop_assert_eq!(serde_json::from_str::<Period>(&json).unwrap(), period);
    }
}
