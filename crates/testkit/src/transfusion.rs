//! A hospital transfusion service for the tests: its staff, units delivered from the blood
//! centre and received, and shorthand for the bench's steps. Every step goes through
//! `decide` and `evolve`.

use hemaflow_domain::access::roles::Role;
use hemaflow_domain::command::LineUnit;
use hemaflow_domain::command::{Command, Event};
use hemaflow_domain::distribution::orders::{OrderLine, Priority};
use hemaflow_domain::distribution::sites::{KeptAs, TemperatureRange, shipping_range};
use hemaflow_domain::kernel::refusal::Refusal;
use hemaflow_domain::lab::testing::{Abo, RhD};
use hemaflow_domain::transfusion::patients::{PatientSex, RecentHistory};
use hemaflow_domain::transfusion::units::{Vitals, XmMethod};
use hemaflow_domain::{AccessCommand, DistributionCommand, TransfusionCommand};
use time::Date;

use crate::scenario::Centre;

/// The hospital of the transfusion tests and its staff.
pub const HOSPITAL: &str = "mercy";
pub const TECH: &str = "mercy.tech";
pub const NURSE: &str = "mercy.nurse";
pub const NURSE2: &str = "mercy.nurse2";
/// A technologist of the other hospital.
pub const OTHER_TECH: &str = "stlukes.tech";

/// An ISBT 128 wristband: 024 date of birth and 025 patient number, concatenated.
pub fn wristband(number: &str, born: Date) -> String {
    format!(
        "=#01{:04}{:02}{:02}&#01{:02}{number}",
        born.year(),
        born.month() as u8,
        born.day(),
        number.len()
    )
}

/// Normal vital signs.
pub fn vitals() -> Vitals {
    Vitals {
        temperature_c: hemaflow_domain::distribution::sites::Celsius::tenths(368),
        pulse: 78,
        systolic: 124,
        diastolic: 78,
    }
}

impl Centre {
    /// The supply network and a transfusion technologist and two nurses bound to Mercy, a
    /// technologist bound to St Luke's.
    pub fn open_transfusion_service(&mut self) -> Result<(), Refusal> {
        self.open_supply()?;
        for (user, role, hospital) in [
            (TECH, Role::TransfusionTechnologist, HOSPITAL),
            (NURSE, Role::Nurse, HOSPITAL),
            (NURSE2, Role::Nurse, HOSPITAL),
            (OTHER_TECH, Role::TransfusionTechnologist, "stlukes"),
        ] {
            self.run(
                Role::Admin,
                AccessCommand::CreateUser {
                    user_id: user.to_owned(),
                    name: format!("{user} (printed name)"),
                    role,
                    hospital: Some(hospital.to_owned()),
                },
            )?;
        }
        Ok(())
    }

    /// Units released at the blood centre, ordered by Mercy, shipped and scanned in there:
    /// one order and box per shipping temperature (red cells cold, plasma frozen, platelets
    /// warm), `ORDER_ID-0`, `ORDER_ID-1`, ...
    pub fn deliver(&mut self, order_id: &str, units: &[String]) -> Result<(), Refusal> {
        self.deliver_to(HOSPITAL, order_id, units)
    }

    /// As [`Centre::deliver`], to `hospital` (`mercy` or `stlukes`), scanned in by its
    /// technologist.
    pub fn deliver_to(
        &mut self,
        hospital: &str,
        order_id: &str,
        units: &[String],
    ) -> Result<(), Refusal> {
        let mut boxes: Vec<(TemperatureRange, Vec<String>)> = Vec::new();
        for id in units {
            let range = self
                .component(id)
                .map(|c| shipping_range(&self.state.config, KeptAs::of(c)))
                .unwrap_or(TemperatureRange::degrees(1, 10));
            match boxes.iter_mut().find(|(r, _)| *r == range) {
                Some((_, ids)) => ids.push(id.clone()),
                None => boxes.push((range, vec![id.clone()])),
            }
        }
        for (n, (range, ids)) in boxes.into_iter().enumerate() {
            self.deliver_box(hospital, &format!("{order_id}-{n}"), range, &ids)?;
        }
        Ok(())
    }

    fn deliver_box(
        &mut self,
        hospital: &str,
        order_id: &str,
        range: TemperatureRange,
        units: &[String],
    ) -> Result<(), Refusal> {
        let mut lines = Vec::new();
        for id in units {
            let c = self.component(id).cloned().ok_or_else(|| {
                Refusal::new(hemaflow_domain::Rule::NotFound, format!("no unit {id}"))
            })?;
            let (abo, rhd) = hemaflow_domain::release::gate::confirmed_group(&self.state, &c)
                .unwrap_or((Abo::O, RhD::Negative));
            lines.push(OrderLine {
                component_type: c.family,
                abo,
                rhd,
                attributes: Vec::new(),
                quantity: 1,
            });
        }
        let user = format!("{hospital}.user");
        self.run_as(
            &user,
            Role::HospitalUser,
            DistributionCommand::PlaceOrder {
                order_id: order_id.to_owned(),
                hospital: hospital.to_owned(),
                lines,
                priority: Priority::Routine,
                needed_by: None,
            }
            .into(),
        )?;
        let allocated = units
            .iter()
            .enumerate()
            .map(|(line, id)| LineUnit {
                line: line as u32,
                component: id.clone(),
            })
            .collect();
        self.run(
            Role::Distribution,
            DistributionCommand::AllocateOrder {
                order_id: order_id.to_owned(),
                units: allocated,
            },
        )?;
        let shipment = format!("SHP-{order_id}");
        for id in units {
            self.run(
                Role::Distribution,
                DistributionCommand::PickUnit {
                    shipment_id: shipment.clone(),
                    order_id: order_id.to_owned(),
                    component: id.clone(),
                },
            )?;
        }
        self.run(
            Role::Distribution,
            DistributionCommand::ShipShipment {
                shipment_id: shipment.clone(),
                box_id: format!("BOX-{order_id}"),
                temperature_range: range,
                courier: "Medical Courier Co".to_owned(),
            },
        )?;
        let tech = if hospital == HOSPITAL {
            TECH
        } else {
            OTHER_TECH
        };
        for id in units {
            self.tx_as(
                tech,
                Role::TransfusionTechnologist,
                DistributionCommand::ConfirmReceipt {
                    shipment_id: shipment.clone(),
                    component: id.clone(),
                },
            )?;
        }
        Ok(())
    }

    /// A command of the Mercy technologist.
    pub fn tech(&mut self, command: TransfusionCommand) -> Result<Vec<Event>, Refusal> {
        self.tx_as(TECH, Role::TransfusionTechnologist, command)
    }

    /// A command of the Mercy nurse.
    pub fn nurse(&mut self, command: TransfusionCommand) -> Result<Vec<Event>, Refusal> {
        self.tx_as(NURSE, Role::Nurse, command)
    }

    pub fn tx_as(
        &mut self,
        actor: &str,
        role: Role,
        command: impl Into<Command>,
    ) -> Result<Vec<Event>, Refusal> {
        self.run_as(actor, role, command.into())
    }

    /// A patient of Mercy registered by the technologist; the wristband scan.
    pub fn admit(
        &mut self,
        number: &str,
        sex: PatientSex,
        born: Date,
        historical: Option<(Abo, RhD)>,
    ) -> Result<String, Refusal> {
        let band = wristband(number, born);
        self.tech(TransfusionCommand::RegisterPatient {
            wristband: band.clone(),
            mrn: format!("MRN-{number}"),
            family_name: format!("Patient{number}"),
            given_name: "Sam".to_owned(),
            sex,
            born: Some(born),
            recent_history: RecentHistory::Unknown,
            historical_group: historical.map(|(abo, rhd)| {
                hemaflow_domain::transfusion::command::HistoricalGroup { abo, rhd }
            }),
            known_antibodies: Vec::new(),
            requirements: Vec::new(),
        })?;
        Ok(band)
    }

    /// A sample drawn an hour ago, received, typed and screened.
    pub fn type_and_screen_patient(
        &mut self,
        sample_id: &str,
        band: &str,
        group: (Abo, RhD),
        positive_screen: bool,
    ) -> Result<(), Refusal> {
        self.tech(TransfusionCommand::ReceiveSample {
            sample_id: sample_id.to_owned(),
            wristband: band.to_owned(),
            drawn_at: self.now - time::Duration::hours(1),
            drawn_by: "RN Lee".to_owned(),
        })?;
        self.tech(TransfusionCommand::TypeSample {
            sample_id: sample_id.to_owned(),
            abo: group.0,
            rhd: group.1,
        })?;
        self.tech(TransfusionCommand::ScreenSample {
            sample_id: sample_id.to_owned(),
            positive: positive_screen,
        })?;
        Ok(())
    }

    /// XM-RETYPE with the unit's own label group.
    pub fn retype(&mut self, unit: &str) -> Result<Vec<Event>, Refusal> {
        let c = self.component(unit).cloned();
        let (abo, rhd) = c
            .and_then(|c| hemaflow_domain::release::gate::confirmed_group(&self.state, &c))
            .unwrap_or((Abo::O, RhD::Negative));
        self.tech(TransfusionCommand::RetypeUnit {
            component: unit.to_owned(),
            abo,
            rhd: Some(rhd),
        })
    }

    pub fn electronic_crossmatch(
        &mut self,
        sample_id: &str,
        band: &str,
        unit: &str,
    ) -> Result<Vec<Event>, Refusal> {
        self.tech(TransfusionCommand::CrossmatchUnit {
            sample_id: sample_id.to_owned(),
            wristband: band.to_owned(),
            component: unit.to_owned(),
            method: XmMethod::Electronic,
            compatible: None,
            rhd_approved_by: None,
        })
    }

    pub fn issue(&mut self, unit: &str, band: &str) -> Result<Vec<Event>, Refusal> {
        self.tech(TransfusionCommand::IssueUnit {
            component: unit.to_owned(),
            wristband: band.to_owned(),
            to: "RN Lee".to_owned(),
            remote: None,
        })
    }
}
