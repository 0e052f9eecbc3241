//! The transfusion service's invariants (DESIGN.md, extended): 9, no unit is issued to a
//! patient it is not compatible with; 10, every issue of a unit ends in exactly one final
//! fate, and only the newest may still be open.

use crate::kernel::compat;
use crate::kernel::{Abo, RhD};
use crate::manufacturing::{Component, Family};
use crate::release::confirmed_group;
use crate::state::State;
use crate::transfusion::units::{Fate, IssueRecord, ServiceUnit};

/// A broken invariant: its number and what is wrong.
pub type Broken = (u8, String);

pub fn check(state: &State) -> Result<(), Broken> {
    for unit in state.transfusion.units.values() {
        one_fate_each(unit)?;
        if let Some(component) = state.components.get(&unit.component) {
            for record in &unit.issues {
                compatible(state, component, record)?;
            }
        }
    }
    Ok(())
}

/// Invariant 10.
fn one_fate_each(unit: &ServiceUnit) -> Result<(), Broken> {
    let id = &unit.component;
    let last = unit.issues.len().saturating_sub(1);
    for (n, record) in unit.issues.iter().enumerate() {
        if n < last && record.fate.is_none() {
            return Err((
                10,
                format!("{id}: issue {n} has no fate but a later issue exists"),
            ));
        }
        match (&record.start, &record.fate) {
            (None, Some(Fate::Transfused { .. })) => {
                return Err((10, format!("{id}: transfused without a bedside check")));
            }
            (Some(_), Some(Fate::ReturnedToStock { .. })) => {
                return Err((10, format!("{id}: hung, then returned to stock")));
            }
            (Some(_), Some(Fate::Wasted { .. })) => {
                return Err((10, format!("{id}: hung, then wasted")));
            }
            _ => {}
        }
        if n < last && !matches!(record.fate, Some(Fate::ReturnedToStock { .. })) {
            return Err((10, format!("{id}: issued again after its final fate")));
        }
    }
    if unit.wasted.is_some() && unit.open_issue().is_some() {
        return Err((10, format!("{id}: wasted from stock while issued")));
    }
    Ok(())
}

/// Invariant 9: the unit's group suits the patient's: by the patient's determinations for a
/// routine issue, and by the emergency rules (group O red cells, AB plasma) when the patient's
/// group was not known.
fn compatible(state: &State, c: &Component, record: &IssueRecord) -> Result<(), Broken> {
    let Some(patient) = state.transfusion.patients.get(&record.issue.patient) else {
        return Err((9, format!("{} issued to a patient not on record", c.id)));
    };
    let Some(unit) = confirmed_group(state, c) else {
        return Err((9, format!("{} issued without a confirmed group", c.id)));
    };
    let group = patient
        .determinations
        .iter()
        .find(|d| d.at <= record.issue.at)
        .map(|d| (d.abo, d.rhd));
    let ok = match group {
        Some(recipient) => abo_suits(c.family, recipient, unit),
        None if record.issue.emergency.is_some() => {
            abo_suits(c.family, (Abo::AB, RhD::Positive), unit)
                && (!matches!(c.family, Family::RedCells | Family::WholeBlood) || unit.0 == Abo::O)
                && (c.family != Family::Plasma || unit.0 == Abo::AB)
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err((
            9,
            format!(
                "{} ({} {:?}) issued to {} whose group is {:?}",
                c.id,
                unit.0.as_str(),
                unit.1,
                patient.name(),
                group
            ),
        ))
    }
}

fn abo_suits(family: Family, recipient: (Abo, RhD), unit: (Abo, RhD)) -> bool {
    match family {
        Family::RedCells => compat::red_cells(recipient.0, unit.0),
        Family::WholeBlood => compat::whole_blood(recipient.0, unit.0),
        Family::Plasma => compat::plasma(recipient.0, unit.0),
        Family::Platelets | Family::Cryo => true,
    }
}
