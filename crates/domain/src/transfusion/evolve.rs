//! How the transfusion service's events change its records. Events carry every value, so
//! nothing here decides; each arm asserts what the decisions guarantee.

use crate::state::State;
use crate::transfusion::Event;
use crate::transfusion::patients::{Antibody, Determination, Discrepancy, RecentHistory};
use crate::transfusion::units::{IssueRecord, ServiceUnit};

pub(crate) fn evolve(state: &mut State, event: &Event) {
    let service = &mut state.transfusion;
    match event {
        Event::TransfusionServiceConfigured { hospital, settings } => {
            service.settings.insert(hospital.clone(), settings.clone());
        }
        Event::PatientRegistered { patient } => {
            let previous = service
                .patients
                .insert(patient.id.clone(), (**patient).clone());
            assert!(
                previous.is_none(),
                "patient {} registered twice",
                patient.id
            );
        }
        Event::RequirementAdded { patient, record } => {
            if let Some(p) = service.patients.get_mut(patient) {
                p.requirements.push(record.clone());
            }
        }
        Event::SampleReceived { sample } => {
            assert!(
                service.patients.contains_key(&sample.patient),
                "sample {} of a patient not on record",
                sample.id
            );
            let previous = service.samples.insert(sample.id.clone(), sample.clone());
            assert!(previous.is_none(), "sample {} received twice", sample.id);
        }
        Event::SampleTyped {
            sample_id,
            patient,
            abo,
            rhd,
            discrepant_with,
            at,
            by,
        } => {
            if let Some(s) = service.samples.get_mut(sample_id) {
                assert!(s.typing.is_none(), "sample {sample_id} typed twice");
                s.typing = Some((*abo, *rhd));
            }
            if let Some(p) = service.patients.get_mut(patient) {
                if let Some(expected) = discrepant_with {
                    p.discrepancies.push(Discrepancy {
                        sample: sample_id.clone(),
                        found: (*abo, *rhd),
                        expected: *expected,
                        resolution: None,
                    });
                }
                p.determinations.push(Determination {
                    sample: Some(sample_id.clone()),
                    abo: *abo,
                    rhd: *rhd,
                    at: *at,
                    by: by.clone(),
                });
            }
        }
        Event::SampleScreened { sample_id, screen } => {
            if let Some(s) = service.samples.get_mut(sample_id) {
                s.screen = Some(screen.clone());
            }
        }
        Event::AntibodiesIdentified {
            sample_id,
            patient,
            antigens,
            at,
            by,
        } => {
            if let Some(s) = service.samples.get_mut(sample_id) {
                s.identified.extend(antigens.iter().copied());
            }
            if let Some(p) = service.patients.get_mut(patient) {
                for antigen in antigens {
                    if !p.antibodies.iter().any(|a| a.antigen == *antigen) {
                        p.antibodies.push(Antibody {
                            antigen: *antigen,
                            sample: Some(sample_id.clone()),
                            at: *at,
                            by: by.clone(),
                        });
                    }
                }
            }
        }
        Event::DiscrepancyResolved {
            sample_id,
            patient,
            sample_wrong,
            reason,
            ..
        } => {
            let Some(p) = service.patients.get_mut(patient) else {
                return;
            };
            let Some(d) = p
                .discrepancies
                .iter_mut()
                .find(|d| &d.sample == sample_id && d.resolution.is_none())
            else {
                return;
            };
            d.resolution = Some(reason.clone());
            let kept = if *sample_wrong { d.expected } else { d.found };
            // The determinations that disagree with the group kept are set aside.
            p.determinations.retain(|x| (x.abo, x.rhd) == kept);
            if *sample_wrong && let Some(s) = service.samples.get_mut(sample_id) {
                s.voided = Some(format!("typing discrepancy: {reason}"));
            }
        }
        Event::UnitRetyped {
            component,
            hospital,
            retype,
        } => unit(service, component, hospital).retype = Some(retype.clone()),
        Event::UnitAntigenTyped {
            component,
            hospital,
            antigen,
            negative,
            ..
        } => {
            unit(service, component, hospital)
                .antigens
                .insert(*antigen, *negative);
        }
        Event::CrossmatchRecorded {
            component,
            hospital,
            crossmatch,
        } => unit(service, component, hospital)
            .crossmatches
            .push(crossmatch.clone()),
        Event::UnitIssued {
            component,
            hospital,
            issue,
        } => {
            let unit = unit(service, component, hospital);
            assert!(
                unit.open_issue().is_none(),
                "unit {component} issued while issued"
            );
            unit.issues.push(IssueRecord {
                issue: issue.clone(),
                start: None,
                fate: None,
            });
        }
        Event::TransfusionStarted {
            component,
            patient,
            start,
        } => {
            if let Some(record) = service
                .units
                .get_mut(component)
                .and_then(|u| u.issues.last_mut())
            {
                assert!(record.start.is_none(), "unit {component} hung twice");
                record.start = Some(start.clone());
            }
            // XM-SAMPLE: transfused now, so samples are valid for 3 days from here on.
            if let Some(p) = service.patients.get_mut(patient) {
                p.recent_history = RecentHistory::TransfusedOrPregnant;
            }
        }
        Event::TransfusionEnded {
            component, fate, ..
        }
        | Event::UnitReturnedToStock {
            component, fate, ..
        } => close_issue(service, component, fate),
        Event::UnitWasted {
            component,
            hospital,
            fate,
        } => {
            let unit = unit(service, component, hospital);
            if unit.open_issue().is_some() {
                close_issue(service, component, fate);
            } else {
                unit.wasted = Some(fate.clone());
            }
        }
        Event::ReactionReported { reaction } => {
            let previous = service
                .reactions
                .insert(reaction.id.clone(), reaction.clone());
            assert!(
                previous.is_none(),
                "reaction {} reported twice",
                reaction.id
            );
        }
        Event::EmergencyReleased { release } => {
            let previous = service
                .emergencies
                .insert(release.id.clone(), (**release).clone());
            assert!(
                previous.is_none(),
                "emergency release {} recorded twice",
                release.id
            );
        }
        Event::EmergencyReleaseSigned {
            release_id,
            signature,
        } => {
            if let Some(e) = service.emergencies.get_mut(release_id) {
                e.signature = Some(signature.clone());
            }
        }
        Event::EmergencyReleaseReviewed { release_id, review } => {
            if let Some(e) = service.emergencies.get_mut(release_id) {
                e.review = Some(review.clone());
            }
        }
        Event::MtpRoundIssued {
            release_id,
            components,
        } => {
            if let Some(e) = service.emergencies.get_mut(release_id) {
                e.components.extend(components.iter().cloned());
                if let Some(p) = e.protocol.as_mut() {
                    p.rounds.push(components.clone());
                }
            }
        }
        Event::MtpStoodDown { release_id, review } => {
            if let Some(p) = service
                .emergencies
                .get_mut(release_id)
                .and_then(|e| e.protocol.as_mut())
            {
                p.stood_down = Some(review.clone());
            }
        }
    }
}

/// The service's record of a unit, made on its first event.
fn unit<'a>(
    service: &'a mut crate::transfusion::TransfusionState,
    component: &str,
    hospital: &str,
) -> &'a mut ServiceUnit {
    service
        .units
        .entry(component.to_owned())
        .or_insert_with(|| ServiceUnit {
            component: component.to_owned(),
            hospital: hospital.to_owned(),
            ..ServiceUnit::default()
        })
}

/// TX-FATE: the open issue ends with exactly one fate.
fn close_issue(
    service: &mut crate::transfusion::TransfusionState,
    component: &str,
    fate: &crate::transfusion::units::Fate,
) {
    if let Some(record) = service
        .units
        .get_mut(component)
        .and_then(|u| u.issues.last_mut())
    {
        assert!(record.fate.is_none(), "unit {component} given two fates");
        record.fate = Some(fate.clone());
    }
}
