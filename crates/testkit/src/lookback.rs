//! Lookback and recall for the tests: a donor with a history of released donations, a
//! reactive donation, and shorthand for QA's steps. Every step goes through `decide` and
//! `evolve`.

use hemaflow_domain::LookbackCommand;
use hemaflow_domain::access::roles::Role;
use hemaflow_domain::command::Event;
use hemaflow_domain::donor_centre::donor::Sex;
use hemaflow_domain::donor_centre::eligibility::Procedure;
use hemaflow_domain::kernel::refusal::Refusal;
use hemaflow_domain::lab::testing::{Abo, Reading, RhD, Stage};
use hemaflow_domain::lookback::lookbacks::Lookback;
use hemaflow_domain::manufacturing::components::Family;
use time::Duration;

use crate::scenario::{Centre, healthy_screening, identity};

/// A donor's donations, oldest first: each DIN with the IDs of its units.
pub type History = Vec<(String, Vec<String>)>;

impl Centre {
    /// A donor of A+ with `donations` whole-blood donations 60 days apart, each made by
    /// `recipe`, tested negative and released; the donor ID and each donation's DIN and units,
    /// oldest first. The clock stays at the last.
    pub fn donor_with_history(
        &mut self,
        family: &str,
        donations: usize,
        recipe: &str,
    ) -> Result<(String, History), Refusal> {
        self.donations_every_60_days(family, donations, recipe, |_, _, _, _| Ok(()))
    }

    /// A regular donor of A+ with `donations` whole-blood donations 60 days apart, each made
    /// into red cells, plasma and platelets, released, the red cells and platelets shipped
    /// to Mercy and the plasma to St Luke's, one red-cell unit in four transfused at Mercy:
    /// the donor ID and each donation's DIN and units, oldest first. Needs
    /// [`Centre::open_transfusion_service`]. The clock stays at the last.
    pub fn regular_donor_shipped(
        &mut self,
        family: &str,
        donations: usize,
    ) -> Result<(String, History), Refusal> {
        let ship = |centre: &mut Centre, n: usize, din: &str, units: &[String]| {
            let (plasma, cellular): (Vec<String>, Vec<String>) =
                units.iter().cloned().partition(|id| {
                    centre
                        .component(id)
                        .is_some_and(|c| c.family == Family::Plasma)
                });
            centre.deliver_to("mercy", &format!("ORD-{din}-M"), &cellular)?;
            centre.deliver_to("stlukes", &format!("ORD-{din}-S"), &plasma)?;
            if n.is_multiple_of(4) {
                centre.transfuse(&units[0], &format!("{}", 3000 + n))?;
            }
            Ok(())
        };
        self.donations_every_60_days(family, donations, "rbc_ffp_platelets", ship)
    }

    /// A new donor's `donations` released donations 60 days apart, each followed by `then`
    /// (its index, DIN and units).
    fn donations_every_60_days(
        &mut self,
        family: &str,
        donations: usize,
        recipe: &str,
        mut then: impl FnMut(&mut Centre, usize, &str, &[String]) -> Result<(), Refusal>,
    ) -> Result<(String, History), Refusal> {
        let donor = self.regular_donor(family)?;
        let mut history = Vec::new();
        for n in 0..donations {
            if n > 0 {
                self.advance(Duration::days(60));
            }
            let din = self.donate(&donor)?;
            let units = self.release_donation(&din, recipe, Abo::A, RhD::Positive)?;
            then(self, n, &din, &units)?;
            history.push((din, units));
        }
        Ok((donor, history))
    }

    /// A male donor born 12 April 1975, registered now; the donor ID.
    pub fn regular_donor(&mut self, family: &str) -> Result<String, Refusal> {
        self.register(identity(
            family,
            "Sam",
            time::macros::date!(1975 - 04 - 12),
            Sex::Male,
        ))
    }

    /// A healthy whole-blood donation of `donor`, collected now; the DIN.
    pub fn donate(&mut self, donor: &str) -> Result<String, Refusal> {
        let screening = self.screen(donor, Procedure::WholeBlood, healthy_screening())?;
        self.collect(donor, &screening, 475, "TX")
    }

    /// A new donation of `donor` whose `test` (a serology marker) is repeat reactive: initial
    /// reactive and both duplicate repeats reactive. The DIN.
    pub fn repeat_reactive(&mut self, donor: &str, test: &str) -> Result<String, Refusal> {
        let din = self.donate(donor)?;
        self.result(&din, test, Stage::Initial, Reading::Reactive)?;
        self.result(&din, test, Stage::Repeat, Reading::Reactive)?;
        self.result(&din, test, Stage::Repeat, Reading::Reactive)?;
        Ok(din)
    }

    /// The newest lookback on record.
    pub fn last_lookback(&self) -> Option<&Lookback> {
        self.state.lookback.lookbacks.values().next_back()
    }

    pub fn qa(&mut self, command: LookbackCommand) -> Result<Vec<Event>, Refusal> {
        self.run(Role::QualityAssurance, command)
    }
}

impl Centre {
    /// `unit` (red cells of A+, received at Mercy) transfused to a new A+ patient numbered
    /// `number`: admitted, typed and screened, the unit retyped, crossmatched electronically,
    /// issued, hung and ended. The patient's wristband.
    pub fn transfuse(&mut self, unit: &str, number: &str) -> Result<String, Refusal> {
        use hemaflow_domain::TransfusionCommand as Tx;
        use hemaflow_domain::transfusion::patients::PatientSex;
        let band = self.admit(
            number,
            PatientSex::Male,
            time::macros::date!(1960 - 02 - 03),
            Some((Abo::A, RhD::Positive)),
        )?;
        let sample = format!("S-{number}");
        self.type_and_screen_patient(&sample, &band, (Abo::A, RhD::Positive), false)?;
        self.retype(unit)?;
        self.electronic_crossmatch(&sample, &band, unit)?;
        self.issue(unit, &band)?;
        self.nurse(Tx::StartTransfusion {
            component: unit.to_owned(),
            wristband: band.clone(),
            second_checker: None,
            vitals: crate::transfusion::vitals(),
        })?;
        self.advance(Duration::hours(2));
        self.nurse(Tx::EndTransfusion {
            component: unit.to_owned(),
            volume_ml: 300,
            vitals: crate::transfusion::vitals(),
        })?;
        Ok(band)
    }
}
