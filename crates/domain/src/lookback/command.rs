//! The commands and events of lookback, recall, deviations and fatality reports.

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::kernel::Role;
use crate::lookback::deviations::{Deviation, Fatality, Subject};
use crate::lookback::lookbacks::{Lookback, Supplemental, Task};
use crate::lookback::recalls::{Recall, RecallKind, RecallOutcome, Selection};

/// Who did a step, when, and how (a notice's contact and channel, a report's reference).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Done {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    /// Whom the notice reached, or the report's reference.
    pub contact: String,
    /// How: telephone, letter, fax, e-mail, an HL7 message, the FDA's eSubmitter.
    pub method: String,
}

/// What users ask of this area: one variant per command, serialised as `{"type": "<snake_case
/// name>", ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LookbackCommand))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// LB-WINDOW: a lookback started by hand, on other reliable evidence of infection (a
    /// donor's own report, a physician's), from the donor or one of their DINs.
    StartLookback {
        #[serde(default)]
        donor_id: Option<String>,
        #[serde(default)]
        din: Option<String>,
        /// The agent, as the lookback table names it (`HIV`, `HCV`).
        agent: String,
        evidence: String,
    },
    /// LB-DEADLINES: supplemental testing cannot be done (no sample, no licensed test); the
    /// regulation then treats the donor as positive for notification.
    RecordNoSupplementalTest {
        lookback_id: String,
        reason: String,
    },
    /// LB-DEADLINES: a notice of the lookback given (consignee, supplemental result, a
    /// recipient's physician).
    CompleteLookbackTask {
        lookback_id: String,
        task_id: String,
        contact: String,
        method: String,
    },
    /// RECALL-CLASS: a recall or market withdrawal of a set of units.
    OpenRecall {
        kind: RecallKind,
        reason: String,
        selection: Selection,
    },
    /// A consignee told of the recall.
    NotifyRecallConsignee {
        recall_id: String,
        hospital: String,
        contact: String,
        method: String,
    },
    /// A unit of the recall came back from its consignee.
    RecordRecallReturn {
        recall_id: String,
        component: String,
        note: String,
    },
    /// A unit of the recall reached its end: destroyed, transfused before the recall, or
    /// corrected (a market withdrawal or class III).
    RecordRecallOutcome {
        recall_id: String,
        component: String,
        outcome: RecallOutcome,
        note: String,
    },
    CloseRecall {
        recall_id: String,
        summary: String,
    },
    /// BPD-45: a deviation found on a record.
    OpenDeviation {
        subject: Subject,
        discovered_on: Date,
        #[serde(default)]
        occurred_on: Option<Date>,
        description: String,
        #[serde(default)]
        units: Vec<String>,
    },
    InvestigateDeviation {
        deviation_id: String,
        root_cause: String,
        corrective_action: String,
    },
    /// BPD-45: the report filed with FDA (CBER), for a distributed product only.
    ReportDeviation {
        deviation_id: String,
        reference: String,
    },
    CloseDeviation {
        deviation_id: String,
        reason: String,
    },
    /// FATAL-7: a transfusion fatality, by hand (a reaction reported with severity death opens
    /// one by itself).
    ReportFatality {
        hospital: String,
        patient: String,
        component: String,
        #[serde(with = "time::serde::rfc3339")]
        died_at: OffsetDateTime,
        description: String,
    },
    /// FATAL-7: CBER told at once (telephone or e-mail).
    NotifyFatality {
        fatality_id: String,
        contact: String,
        method: String,
    },
    /// FATAL-7: the written report sent, within 7 days.
    SendFatalityReport {
        fatality_id: String,
        reference: String,
    },
}

impl Command {
    /// The `type` of each command, as serialised.
    pub const TYPES: &[&str] = &[
        "start_lookback",
        "record_no_supplemental_test",
        "complete_lookback_task",
        "open_recall",
        "notify_recall_consignee",
        "record_recall_return",
        "record_recall_outcome",
        "close_recall",
        "open_deviation",
        "investigate_deviation",
        "report_deviation",
        "close_deviation",
        "report_fatality",
        "notify_fatality",
        "send_fatality_report",
    ];

    /// Who may give the command (P11-ACCESS): quality assurance runs lookbacks, recalls and
    /// deviations; distribution tells consignees and records what comes back; a hospital's
    /// transfusion technologist reports a fatality of their own hospital.
    pub fn roles(&self) -> &'static [Role] {
        use Role::*;
        match self {
            Command::CompleteLookbackTask { .. }
            | Command::NotifyRecallConsignee { .. }
            | Command::RecordRecallReturn { .. }
            | Command::RecordRecallOutcome { .. } => &[QualityAssurance, Distribution],
            Command::ReportFatality { .. } => &[QualityAssurance, TransfusionTechnologist],
            _ => &[QualityAssurance],
        }
    }

    /// P11-SIGN: closing a recall or a deviation and filing a report are signed.
    pub fn signature_meaning(&self) -> Option<&'static str> {
        match self {
            Command::CloseRecall { .. } => Some("recall closed by"),
            Command::CloseDeviation { .. } => Some("deviation closed by"),
            _ => None,
        }
    }

    /// What the command does, for messages ("may not open a recall").
    pub fn describe(&self) -> &'static str {
        match self {
            Command::StartLookback { .. } => "start a lookback",
            Command::RecordNoSupplementalTest { .. } => {
                "record that no supplemental test is possible"
            }
            Command::CompleteLookbackTask { .. } => "record a lookback notice",
            Command::OpenRecall { .. } => "open a recall",
            Command::NotifyRecallConsignee { .. } => "record a recall notice",
            Command::RecordRecallReturn { .. } => "record a recalled unit's return",
            Command::RecordRecallOutcome { .. } => "record a recalled unit's outcome",
            Command::CloseRecall { .. } => "close a recall",
            Command::OpenDeviation { .. } => "open a deviation",
            Command::InvestigateDeviation { .. } => "record a deviation's investigation",
            Command::ReportDeviation { .. } => "report a deviation to FDA",
            Command::CloseDeviation { .. } => "close a deviation",
            Command::ReportFatality { .. } => "report a transfusion fatality",
            Command::NotifyFatality { .. } => "record a fatality notice to FDA",
            Command::SendFatalityReport { .. } => "record a fatality's written report",
        }
    }
}

/// What happened in this area: facts carrying every value `evolve` needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LookbackEvent))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    LookbackStarted {
        lookback: Box<Lookback>,
    },
    /// A supplemental result (or none possible) linked to the lookback, with the notices it
    /// opens.
    SupplementalLinked {
        lookback_id: String,
        supplemental: Supplemental,
        #[serde(default)]
        tasks: Vec<Task>,
    },
    LookbackTaskCompleted {
        lookback_id: String,
        task_id: String,
        done: Done,
    },
    LookbackClosed {
        lookback_id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    RecallOpened {
        recall: Box<Recall>,
    },
    RecallConsigneeNotified {
        recall_id: String,
        hospital: String,
        done: Done,
    },
    RecallUnitReturned {
        recall_id: String,
        component: String,
        note: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    RecallUnitOutcome {
        recall_id: String,
        component: String,
        outcome: RecallOutcome,
        note: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    RecallClosed {
        recall_id: String,
        summary: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    DeviationOpened {
        deviation: Box<Deviation>,
    },
    DeviationInvestigated {
        deviation_id: String,
        root_cause: String,
        corrective_action: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    DeviationReported {
        deviation_id: String,
        reference: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    DeviationClosed {
        deviation_id: String,
        reason: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
    FatalityOpened {
        fatality: Box<Fatality>,
    },
    FatalityNotified {
        fatality_id: String,
        done: Done,
    },
    FatalityReportSent {
        fatality_id: String,
        reference: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        by: String,
    },
}

impl Event {
    /// The `type` of each event, as serialised.
    pub const TYPES: &[&str] = &[
        "lookback_started",
        "supplemental_linked",
        "lookback_task_completed",
        "lookback_closed",
        "recall_opened",
        "recall_consignee_notified",
        "recall_unit_returned",
        "recall_unit_outcome",
        "recall_closed",
        "deviation_opened",
        "deviation_investigated",
        "deviation_reported",
        "deviation_closed",
        "fatality_opened",
        "fatality_notified",
        "fatality_report_sent",
    ];

    /// The event's name, as in its serialized `type`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::LookbackStarted { .. } => "lookback_started",
            Event::SupplementalLinked { .. } => "supplemental_linked",
            Event::LookbackTaskCompleted { .. } => "lookback_task_completed",
            Event::LookbackClosed { .. } => "lookback_closed",
            Event::RecallOpened { .. } => "recall_opened",
            Event::RecallConsigneeNotified { .. } => "recall_consignee_notified",
            Event::RecallUnitReturned { .. } => "recall_unit_returned",
            Event::RecallUnitOutcome { .. } => "recall_unit_outcome",
            Event::RecallClosed { .. } => "recall_closed",
            Event::DeviationOpened { .. } => "deviation_opened",
            Event::DeviationInvestigated { .. } => "deviation_investigated",
            Event::DeviationReported { .. } => "deviation_reported",
            Event::DeviationClosed { .. } => "deviation_closed",
            Event::FatalityOpened { .. } => "fatality_opened",
            Event::FatalityNotified { .. } => "fatality_notified",
            Event::FatalityReportSent { .. } => "fatality_report_sent",
        }
    }
}
