//! The index of every rule the domain refuses with: one [`Rule`] per rule ID, each with what it
//! is and where it comes from. Rule-book rules (`/work/shared/DOMAIN.md`, its rule index and
//! the detail section named in brackets) keep the ID of the rule book; local rules (not in the
//! rule book) say what they refuse and which module's docs state them.
//!
//! A refusal names its rule by variant, so a misspelt ID does not compile. On the wire (the
//! ledger's refusal payloads, the API's problems) a rule is its ID string, exactly as
//! [`Rule::as_str`] gives it; serde writes and reads that string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident => $id:literal,)+) => {
        /// A rule the domain refuses with (see the module docs): a rule-book ID or a local one.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($(#[$doc])* $variant,)+
        }

        impl Rule {
            /// Every rule, in the order of this index.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)+];

            /// The rule's ID, exactly as refusals have always carried it (`ELIG-HB-F`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Rule::$variant => $id,)+
                }
            }
        }

        impl FromStr for Rule {
            type Err = UnknownRule;

            fn from_str(id: &str) -> Result<Rule, UnknownRule> {
                match id {
                    $($id => Ok(Rule::$variant),)+
                    _ => Err(UnknownRule(id.to_owned())),
                }
            }
        }
    };
}

rules! {
    // Donor eligibility (rule book section 1).
    /// ELIG-AGE: the donor's age is within the configured range (default 16 with consent, 17
    /// without, no upper limit). Rule book 1; AABB Standards 5.4.
    EligAge => "ELIG-AGE",
    /// ELIG-WEIGHT: at least 110 lb (50 kg) for a whole-blood collection. Rule book 1;
    /// 21 CFR 630.15(a)(1).
    EligWeight => "ELIG-WEIGHT",
    /// ELIG-TEMP: oral temperature at most 37.5 °C. Rule book 1; 21 CFR 630.10(f)(1).
    EligTemp => "ELIG-TEMP",
    /// ELIG-BP: systolic 90-180 and diastolic 50-100 mmHg unless the responsible physician
    /// qualifies the donor. Rule book 1, V; 21 CFR 630.10(f)(2) and FDA's blood pressure and
    /// pulse compliance policy (FDA-2022-D-0362).
    EligBp => "ELIG-BP",
    /// ELIG-PULSE: pulse 50-100 and regular unless a physician qualifies the donor; a healthy
    /// athlete below 50 under a physician-approved procedure. Rule book 1, V;
    /// 21 CFR 630.10(f)(4).
    EligPulse => "ELIG-PULSE",
    /// ELIG-HB-F: female: Hb >= 12.5 g/dL or Hct >= 38 % (12.0-12.5 only under a
    /// physician-approved procedure). Rule book 1; 21 CFR 630.10(f)(3).
    EligHbF => "ELIG-HB-F",
    /// ELIG-HB-M: male: Hb >= 13.0 g/dL or Hct >= 39 %. Rule book 1; 21 CFR 630.10(f)(3).
    EligHbM => "ELIG-HB-M",
    /// ELIG-HB-HIGH: Hb > 20 g/dL or Hct > 60 % defers. Rule book 1.
    EligHbHigh => "ELIG-HB-HIGH",
    /// ELIG-2RBC: double red cells: Hct >= 40 % and the sex-specific weight and height
    /// minimums. Rule book 1; FDA guidance on red cells by automated apheresis (2001).
    Elig2Rbc => "ELIG-2RBC",
    /// ELIG-PLT: plateletpheresis: platelet count >= 150 x10^3/uL; no aspirin in 48 h, no
    /// clopidogrel in 14 days. Rule book 1; FDA guidance on platelets by automated methods
    /// (2007).
    EligPlt => "ELIG-PLT",
    /// ELIG-DEFERRED: a donor with a current deferral cannot be collected. Rule book 1.2.
    EligDeferred => "ELIG-DEFERRED",

    // Donation intervals (rule book 1.1).
    /// INT-WB: whole blood: 56 days since the last red-cell donation. Rule book 1.1;
    /// 21 CFR 630.15(a)(1)(ii).
    IntWb => "INT-WB",
    /// INT-2RBC: double red cells: 112 days before the next red-cell donation. Rule book 1.1.
    Int2Rbc => "INT-2RBC",
    /// INT-PLT: plateletpheresis at least 2 days apart, at most 2 in 7 days and 24 in 12
    /// (calendar) months. Rule book 1.1; FDA platelet guidance (2007).
    IntPlt => "INT-PLT",
    /// INT-PLASMA: plasmapheresis limits (infrequent: 1 in 4 weeks; frequent: 1 in 2 days, 2 in
    /// 7 days). Rule book 1.1; 21 CFR 630.15(b), 630.25.
    IntPlasma => "INT-PLASMA",
    /// INT-RBC-LOSS: red cells lost in apheresis above 200 mL: 8 weeks. Rule book 1.1.
    IntRbcLoss => "INT-RBC-LOSS",

    // Deferrals (rule book 1.2, 1.3).
    /// DEF-KINDS: a deferral is temporary (with an end date), indefinite (requalification) or
    /// permanent. Rule book 1.2.
    DefKinds => "DEF-KINDS",
    /// DEF-REASONS: the deferral reasons and durations of the rule book's table 1.3 (current
    /// FDA guidance).
    DefReasons => "DEF-REASONS",
    /// DEF-NOTIFY: a donor deferred for a test result gets a notification task. Rule book 1.2;
    /// 21 CFR 630.40.
    DefNotify => "DEF-NOTIFY",

    // Testing (rule book 2.1, 2.2).
    /// TEST-PANEL: every allogeneic donation is tested for the markers of 21 CFR 610.40. Rule
    /// book 2.1.
    TestPanel => "TEST-PANEL",
    /// TEST-RR: serology: an initial reactive gets a duplicate repeat; either repeat reactive
    /// makes the unit unsuitable. Rule book 2.2.
    TestRr => "TEST-RR",
    /// TEST-NAT: an individual-donation NAT reactive is reactive; a minipool reactive resolves
    /// to its donations. Rule book 2.2.
    TestNat => "TEST-NAT",
    /// TEST-SUPPL: supplemental results manage the donor and never make a repeat-reactive unit
    /// suitable. Rule book 2.2.
    TestSuppl => "TEST-SUPPL",
    /// TEST-ABO-TWICE: ABO/RhD determined twice (or once plus matching history); a discrepancy
    /// holds the donation. Rule book 2.1, 8; 21 CFR 640.5(a)-(b), 606.151.
    TestAboTwice => "TEST-ABO-TWICE",
    /// TEST-ABSCREEN: an antibody screen on each donation; a positive one flags
    /// plasma-containing components. Rule book 2.1, 8.
    TestAbscreen => "TEST-ABSCREEN",
    /// TEST-BACT: platelets need a bacterial risk-control step, without one they cannot go past
    /// day 5 (day 3 for a 24 h single culture). Rule book 2.1, 9; 21 CFR 606.145.
    TestBact => "TEST-BACT",

    // Release (rule book 2.3).
    /// REL-GATE: release only when every required test is done and acceptable, ABO/RhD is
    /// confirmed, the donor eligible, the component within specification, the final label
    /// verified, in date, under no hold. Rule book 2.3; 21 CFR 606.100, 610.40(h).
    RelGate => "REL-GATE",
    /// REL-UNSAFE: unsafe, discarded, issued, transfused and processed are final states; unsafe
    /// never returns. Rule book 2.3, 8.
    RelUnsafe => "REL-UNSAFE",
    /// REL-EXPIRE: an expired unit is never available, shipped or issued. Rule book 2.3, 8.
    RelExpire => "REL-EXPIRE",
    /// REL-PDI: post-donation information quarantines in-date components and opens a deviation
    /// review. Rule book 2.3.
    RelPdi => "REL-PDI",

    // Lookback, recall, deviations (rule book 5, 6).
    /// LB-WINDOW: a lookback on a reactive donor takes the donations collected in the 12
    /// months before the donor's most recent nonreactive screening (or before a reactive
    /// direct viral detection test with nonreactive antibody, whichever is the lesser
    /// period). Rule book 5.1; 21 CFR 610.46(a)(1), 610.47(a)(1).
    LbWindow => "LB-WINDOW",
    /// LB-DEADLINES: in-date products quarantined and consignees told within 3 calendar days;
    /// the supplemental result to consignees within 45 days; recipients' physicians within 12
    /// weeks of the result. Rule book 5.1; 21 CFR 610.46(a)-(b), 610.47(a)-(b).
    LbDeadlines => "LB-DEADLINES",
    /// BPD-45: a deviation on a distributed product is reported within 45 days of its
    /// discovery. Rule book 5.2; 21 CFR 606.171.
    Bpd45 => "BPD-45",
    /// FATAL-7: a transfusion fatality is told to CBER at once and in writing within 7 days.
    /// Rule book 5.3; 21 CFR 606.170(b).
    Fatal7 => "FATAL-7",
    /// RECALL-CLASS: recalls are Class I, II or III; a market withdrawal is a minor
    /// violation. Rule book 5.4; 21 CFR 7.3(j), 7.3(m).
    RecallClass => "RECALL-CLASS",
    /// RECALL-TRACK (local): while a recall is open its units are held (never released,
    /// shipped or issued); it closes only when every consignee is told and every unit has its
    /// end (destroyed, transfused before the recall, or corrected). 21 CFR 7.49, 7.55.
    RecallTrack => "RECALL-TRACK",
    /// LB-INPUT (local): a lookback, recall or deviation field is empty, too long, or names
    /// an agent or selection the command cannot take.
    LbInput => "LB-INPUT",

    // Corrections (local; 21 CFR 11.10(e), 606.160(a)(1)).
    /// CORR-ENTRY (local): a value entered wrongly is corrected by a command that names the
    /// record and the value, with a reason and the corrector's signature; the record keeps the
    /// value it replaced beside the new one. `donor_centre::correction`, `lab::correction`.
    CorrEntry => "CORR-ENTRY",
    /// CORR-REDECIDE (local): what the old value decided is decided again on the new one: a
    /// deferral no longer called for is withdrawn, one now called for is placed, a release no
    /// longer supported is withdrawn (the units held) and, for units already distributed, a
    /// deviation opened (BPD-45).
    CorrRedecide => "CORR-REDECIDE",
    /// CORR-SAFE (local): a correction takes units out of use by itself but never puts one
    /// back: a donation made unsuitable or a unit marked unsafe stays so until QA decides.
    CorrSafe => "CORR-SAFE",

    // Components and modifications (rule book 3, 3.1, 8).
    /// COMP-SHELF: storage temperature and shelf life per component and anticoagulant. Rule
    /// book 3; 21 CFR 610.53(c), the Circular of Information.
    CompShelf => "COMP-SHELF",
    /// COMP-PROC: FFP frozen within 8 h of collection, PF24 within 24 h; platelets separated
    /// within 8 h. Rule book 3; 21 CFR 640.34(b).
    CompProc => "COMP-PROC",
    /// COMP-WEIGHT: a component outside its container's weight range is discarded; low volume
    /// discards plasma-containing components. Rule book 8.
    CompWeight => "COMP-WEIGHT",
    /// MOD-ALLOWED: only the modifications of table 3.1 on each component. Rule book 3.1.
    ModAllowed => "MOD-ALLOWED",
    /// MOD-THAW: thawed FFP/PF24 24 h, relabelled thawed plasma 5 days; thawed cryo 6 h, pooled
    /// after thaw 4 h. Rule book 3, 3.1; the Circular of Information.
    ModThaw => "MOD-THAW",
    /// MOD-SPLIT: a closed-system division keeps the original expiry and links to its parent.
    /// Rule book 3.1; FDA guidance on sterile connecting devices (2000).
    ModSplit => "MOD-SPLIT",
    /// MOD-POOL: a pool takes the earliest expiry of its parts (open pool 4 h) and links every
    /// part. Rule book 3.1.
    ModPool => "MOD-POOL",
    /// MOD-CODE: each modification gives a new ISBT 128 product code and a new label. Rule book
    /// 3.1; ISBT 128 ST-001.
    ModCode => "MOD-CODE",

    // Compatibility (rule book 4).
    /// COMPAT-RBC: red cells: O to all, A to A/AB, B to B/AB, AB to AB; whole blood
    /// ABO-identical. Rule book 4.1.
    CompatRbc => "COMPAT-RBC",
    /// COMPAT-PLASMA: plasma: AB to all, A to A/O, B to B/O, O to O; RhD not considered. Rule
    /// book 4.2.
    CompatPlasma => "COMPAT-PLASMA",
    /// COMPAT-PLT: platelets: identical preferred, incompatible allowed with a warning;
    /// RhD-negative recipients get RhD-negative or a RhIG note. Rule book 4.3.
    CompatPlt => "COMPAT-PLT",
    /// COMPAT-CRYO: cryo: any ABO; RhD not considered. Rule book 4.4.
    CompatCryo => "COMPAT-CRYO",
    /// COMPAT-RHD: an RhD-negative recipient gets RhD-negative red cells unless a physician
    /// approves. Rule book 4.1.
    CompatRhd => "COMPAT-RHD",

    // Crossmatch, samples and emergency release (rule book 4.6, 4.7).
    /// XM-SAMPLE: a pretransfusion sample is valid for 3 days (draw day = day 0, through
    /// 23:59 local time of day 3) when the patient was transfused or pregnant in the last 3
    /// months or that is unknown; otherwise for the days the transfusion service configures.
    /// Rule book 4.7; 21 CFR 606.151(b).
    XmSample => "XM-SAMPLE",
    /// XM-ELECTRONIC: electronic crossmatch only with two concordant ABO/RhD determinations
    /// (one on the current sample), a negative antibody screen and no clinically significant
    /// antibody in history, a retyped unit and a validated system. Rule book 4.7; FDA guidance
    /// "Computer Crossmatch" (2011); 21 CFR 606.151(c).
    XmElectronic => "XM-ELECTRONIC",
    /// XM-RETYPE: the transfusion service confirms the ABO of red-cell units and the RhD of
    /// units labelled RhD negative before they are crossmatched or issued. Rule book 4.7; AABB
    /// Standards 5.14.1.
    XmRetype => "XM-RETYPE",
    /// EMERG-RELEASE: uncrossmatched group O red cells (RhD negative for a female under 50 or a
    /// patient of unknown sex or age) and group AB plasma until the patient's group is known,
    /// on a physician's request whose signature is recorded, after the fact if need be. Rule
    /// book 4.6; 21 CFR 606.151(e).
    EmergRelease => "EMERG-RELEASE",

    // Records and Part 11 (rule book 6).
    /// REC-TRACE: every unit traces from donor to final disposition and consignee. Rule book 6;
    /// 21 CFR 606.160.
    RecTrace => "REC-TRACE",
    /// P11-ACCESS: limited access, authority checks, operational sequence checks. Rule book 6;
    /// 21 CFR 11.10(d), (f), (g).
    P11Access => "P11-ACCESS",
    /// P11-SIGN: an electronic signature shows printed name, date and time, and meaning, uses
    /// two components (ID and password) and is bound to its record. Rule book 6;
    /// 21 CFR 11.50, 11.70, 11.200.
    P11Sign => "P11-SIGN",

    // Local rules: donor centre.
    /// DONOR-IDENTITY (local): a donor's identity is incomplete or impossible (a missing family
    /// or given name, a date of birth in the future).
    DonorIdentity => "DONOR-IDENTITY",
    /// DONOR-DUPLICATE (local): the donor is already registered (same identity); use the
    /// existing record.
    DonorDuplicate => "DONOR-DUPLICATE",
    /// SCREEN-INPUT (local): a screening measurement that is not a number.
    ScreenInput => "SCREEN-INPUT",
    /// COLL-DIN (local): a collection's DIN belongs to a facility the establishment does not
    /// collect under (`Config::facility`, `additional_facilities`) or is already used.
    CollDin => "COLL-DIN",
    /// COLL-SCREENED (local): a collection needs today's accepted screening of its donor, not
    /// yet used for another collection.
    CollScreened => "COLL-SCREENED",
    /// COLL-TIMES (local): a collection ends after it starts and not in the future.
    CollTimes => "COLL-TIMES",
    /// COLL-RECORD (local): a collection record lacks what 21 CFR 606.160(b) asks for
    /// (phlebotomist, container catalogue number and lot) or has a malformed collection state.
    CollRecord => "COLL-RECORD",

    // Local rules: manufacturing and labels.
    /// COMP-PROD (local): components of a donation are produced once, by a recipe that applies
    /// to its kind of collection.
    CompProd => "COMP-PROD",
    /// LABEL-FINAL (local, part of REL-GATE's "final label verified"): a final label is printed
    /// only for a quarantined or available, in-date unit that is not unsafe and whose ABO/RhD
    /// is confirmed (at release, also after every other release check).
    LabelFinal => "LABEL-FINAL",
    /// LABEL-VERIFY (local, part of REL-GATE's "final label verified"): every structure of the
    /// applied label, scanned, equals the one built from the record.
    LabelVerify => "LABEL-VERIFY",

    // Local rules: distribution (the rules of `distribution`'s module docs).
    /// DIST-INPUT (local): a malformed supply command (a range that is not a range, a contact
    /// without a name, a unit chosen twice).
    DistInput => "DIST-INPUT",
    /// DIST-EXISTS (local): a site, storage, transfer or hospital ID already used.
    DistExists => "DIST-EXISTS",
    /// DIST-STORAGE (local): a unit is put away only in a storage whose whole temperature range
    /// lies in its product's range, at the site where the unit is (`distribution::sites`).
    DistStorage => "DIST-STORAGE",
    /// DIST-TRANSFER (local): units move between our sites only by a scanned dispatch and
    /// receipt against their transfer (`distribution::sites`).
    DistTransfer => "DIST-TRANSFER",
    /// DIST-PICK (local): a unit is picked into a shipment of its order only if released, in
    /// date, under no hold, allocated to that order, not yet picked, at the shipment's site
    /// (`distribution::shipping`).
    DistPick => "DIST-PICK",
    /// DIST-SHIP (local): a shipment closes only with every allocated unit picked, still
    /// released and in date, in a box whose range suits every unit (21 CFR 600.15;
    /// `distribution::shipping`).
    DistShip => "DIST-SHIP",
    /// DIST-RECEIPT (local): a hospital confirms receipt by scanning each unit of a shipment to
    /// it (`distribution::shipping`).
    DistReceipt => "DIST-RECEIPT",
    /// DIST-RETURN (local): a returned unit goes back to stock only after QA finds it in date,
    /// sealed and kept in controlled storage (`distribution::shipping`).
    DistReturn => "DIST-RETURN",
    /// ORDER-STATE (local): an order past the step the command needs (cancelled, shipped).
    OrderState => "ORDER-STATE",
    /// ALLOC-FEFO (local): only released, in-date units with no open hold, not allocated
    /// elsewhere, meeting the line and at the picking site are allocated, earliest expiry first
    /// (`distribution::allocation`).
    AllocFefo => "ALLOC-FEFO",
    /// ALLOC-SUBST (local): the exact ABO/RhD first, a substitute only when it is short and the
    /// compatibility tables allow it (`distribution::allocation`).
    AllocSubst => "ALLOC-SUBST",

    // Local rules: the transfusion service (the rules of `transfusion`'s module docs).
    /// TX-PATIENT (local): a patient is identified by the ISBT 128 wristband (025 Patient
    /// Identification Number, with 024 Patient Date of Birth when printed): anything else in
    /// the patient field is refused, and one hospital never holds two patients with the same
    /// MRN or wristband number (merged-record safety).
    TxPatient => "TX-PATIENT",
    /// TX-TYPE (local): a patient's ABO/RhD on a sample is checked against every earlier
    /// determination; a discrepancy blocks every crossmatch and issue of red cells, plasma and
    /// platelets until it is resolved; a sample is typed and screened once, and only a sample
    /// of the same patient counts. AABB Standards 5.14.5 (two determinations).
    TxType => "TX-TYPE",
    /// TX-REQUIRE (local): a patient's special requirements (irradiated, CMV-safe, washed,
    /// antigen-negative for each clinically significant antibody) stay for life and every unit
    /// crossmatched or issued meets them; a patient with a positive screen or a clinically
    /// significant antibody gets an antiglobulin crossmatch, never immediate spin. AABB
    /// Technical Manual; rule book 4.7.
    TxRequire => "TX-REQUIRE",
    /// TX-UNIT (local): a unit is crossmatched, issued or transfused only while it is in the
    /// hospital's transfusion service (received there), in date, under no open hold, not
    /// discrepant on retype, and not reserved or issued for another patient.
    TxUnit => "TX-UNIT",
    /// TX-WRONG-PATIENT (local): a unit is issued and hung only for the one patient whose
    /// wristband is scanned and for whom it was crossmatched or emergency-released; any other
    /// wristband is refused. SHOT and Dzik 2005: mis-transfusion comes from identification
    /// lapses.
    TxWrongPatient => "TX-WRONG-PATIENT",
    /// TX-BEDSIDE (local): the bedside check: the unit issued to the wristband's patient, in
    /// date, started once, with a second person's own scan where the hospital requires one,
    /// and vital signs in plausible ranges.
    TxBedside => "TX-BEDSIDE",
    /// TX-FATE (local): every issued unit has exactly one final fate: transfused, wasted with a
    /// reason, or returned to stock within the hospital's time limit and kept in range.
    TxFate => "TX-FATE",
    /// TX-REACTION (local): a transfusion reaction is reported against a unit transfused to
    /// the patient, with a category of the NHSN Hemovigilance Module / ISBT definitions,
    /// its severity and imputability.
    TxReaction => "TX-REACTION",
    /// TX-MTP (local): a massive transfusion protocol issues the hospital's configured pack
    /// round after round under the emergency-release rules until it is stood down.
    TxMtp => "TX-MTP",
    /// TX-INPUT (local): a transfusion-service field is empty, too long or out of range.
    TxInput => "TX-INPUT",

    // Local rules: accounts, configuration, lookups.
    /// ACCOUNT-INPUT (local): a malformed account or token command (an ID, name, password hash
    /// or reason missing or of the wrong form).
    AccountInput => "ACCOUNT-INPUT",
    /// ACCOUNT-EXISTS (local): a user or token ID already taken (accounts are never reused), or
    /// an active token's name already in use.
    AccountExists => "ACCOUNT-EXISTS",
    /// ACCOUNT-DISABLED (local): the user is already disabled, or the token already revoked.
    AccountDisabled => "ACCOUNT-DISABLED",
    /// CONFIG-VALID (local): a configuration that does not hold together (a limit above its
    /// maximum, an unknown reference, an hour that is not an hour).
    ConfigValid => "CONFIG-VALID",
    /// NOT-FOUND (local): the command names a donor, donation, unit, order or other record
    /// that is not on record.
    NotFound => "NOT-FOUND",
    /// INTERNAL (local): a command reached a decision that is not its own (a bug, never a
    /// bench's mistake).
    Internal => "INTERNAL",

    // Local rules of the server's own protections (21 CFR 11.10(d) limiting access, 11.300(d)
    // safeguards against attempts): refused before any command is read, so never recorded.
    /// WEB-RATE (local): too many sign-in attempts from one address or for one user ID in a
    /// minute, or no password-hashing slot free (`hemaflow_web::security`).
    WebRate => "WEB-RATE",
    /// WEB-SIZE (local): a request body larger than the server accepts.
    WebSize => "WEB-SIZE",
    /// WEB-TIME (local): a request whose body did not arrive in the time allowed.
    WebTime => "WEB-TIME",
}

/// A string that is no rule's ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownRule(pub String);

impl fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a rule ID", self.0)
    }
}

impl std::error::Error for UnknownRule {}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for Rule {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<Rule> for &'static str {
    fn from(rule: Rule) -> &'static str {
        rule.as_str()
    }
}

impl From<Rule> for String {
    fn from(rule: Rule) -> String {
        rule.as_str().to_owned()
    }
}

impl PartialEq<&str> for Rule {
    fn eq(&self, id: &&str) -> bool {
        self.as_str() == *id
    }
}

impl PartialEq<str> for Rule {
    fn eq(&self, id: &str) -> bool {
        self.as_str() == id
    }
}

impl PartialEq<Rule> for &str {
    fn eq(&self, rule: &Rule) -> bool {
        *self == rule.as_str()
    }
}

impl PartialEq<Rule> for str {
    fn eq(&self, rule: &Rule) -> bool {
        self == rule.as_str()
    }
}

impl Serialize for Rule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Rule, D::Error> {
        let id = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        id.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_rule_round_trips_through_its_id() {
        for &rule in Rule::ALL {
            assert_eq!(rule.as_str().parse::<Rule>(), Ok(rule));
            assert_eq!(rule.to_string(), rule.as_str());
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(json, format!("\"{}\"", rule.as_str()));
            assert_eq!(serde_json::from_str::<Rule>(&json).unwrap(), rule);
            assert_eq!(rule, rule.as_str());
            assert_eq!(rule.as_str(), rule);
        }
    }

    #[test]
    fn no_two_rules_share_an_id() {
        let ids: BTreeSet<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(ids.len(), Rule::ALL.len());
    }

    #[test]
    fn an_unknown_id_is_refused() {
        assert!("ELIG-AGES".parse::<Rule>().is_err());
        assert!(serde_json::from_str::<Rule>("\"elig-age\"").is_err());
    }
}
