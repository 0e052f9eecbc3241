//! The entry envelope and its hash chain.
//!
//! # The hash
//!
//! `hash = SHA-256(prev_hash ‖ canonical(body))` where `prev_hash` is the 32 raw bytes of the
//! previous entry's hash (32 zero bytes for the first entry) and `canonical(body)` is the
//! canonical JSON (see [`crate::canonical`]) of this object, every field of the entry but the
//! two hashes:
//!
//! ```text
//! {"actor":…,"command_id":…,"event_type":…,"kind":"event"|"refusal","payload":<payload>,
//!  "recorded_at":"<RFC 3339 UTC, e.g. 2026-11-25T14:12:00.5Z>","role":…,"sequence":<integer>}
//! ```
//!
//! The payload is embedded as a JSON value (it is already canonical), so the hashed bytes are
//! independent of any database's representation. Hashes are written as 64 lowercase hex digits.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::canonical::{CanonicalError, canonical_value, write_string};

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest32(pub [u8; 32]);

impl Digest32 {
    /// The `prev_hash` of the first entry.
    pub const GENESIS: Digest32 = Digest32([0; 32]);

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(64);
        for byte in self.0 {
            out.push(char::from(DIGITS[usize::from(byte >> 4)]));
            out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
        }
        out
    }

    /// Reads 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<Digest32, String> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return Err(format!("a hash has 64 hex digits, not {}", bytes.len()));
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let high = hex_digit(pair[0])?;
            let low = hex_digit(pair[1])?;
            out[i] = (high << 4) | low;
        }
        Ok(Digest32(out))
    }
}

fn hex_digit(c: u8) -> Result<u8, String> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(format!("{:?} is not a hex digit", char::from(c))),
    }
}

impl fmt::Display for Digest32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest32({})", self.to_hex())
    }
}

impl Serialize for Digest32 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Digest32 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Digest32::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// What an entry records: accepted events, or the refusal of a command.
///
/// A refused command is recorded in the chain itself (one entry of kind `refusal`, whose
/// `event_type` is the rule ID and whose payload is `{"command":…,"message":…,"rule":…}`),
/// so that attempts are as tamper-evident as acts, and nothing else is appended for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Event,
    Refusal,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Event => "event",
            EntryKind::Refusal => "refusal",
        }
    }

    pub fn parse(text: &str) -> Option<EntryKind> {
        match text {
            "event" => Some(EntryKind::Event),
            "refusal" => Some(EntryKind::Refusal),
            _ => None,
        }
    }
}

/// Who did it and when: the part of an entry that comes from the command's context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMeta {
    pub actor: String,
    pub role: String,
    pub recorded_at: jiff::Timestamp,
}

/// One line of the ledger. Field order here is the export order; the hash does not depend on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// 1 for the first entry, then contiguous.
    pub sequence: i64,
    pub recorded_at: jiff::Timestamp,
    pub actor: String,
    pub role: String,
    pub command_id: String,
    pub kind: EntryKind,
    /// The event's name (`Event::name()`), or the rule ID of a refusal.
    pub event_type: String,
    /// Canonical JSON text.
    pub payload: String,
    pub prev_hash: Digest32,
    pub hash: Digest32,
}

/// Everything of an entry but its hash: what [`EntryDraft::seal`] hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryDraft {
    pub sequence: i64,
    pub meta: EntryMeta,
    pub command_id: String,
    pub kind: EntryKind,
    pub event_type: String,
    /// Canonical JSON text.
    pub payload: String,
}

impl EntryDraft {
    /// Chains the draft after `prev_hash`.
    pub fn seal(self, prev_hash: Digest32) -> Result<Entry, CanonicalError> {
        let mut entry = Entry {
            sequence: self.sequence,
            recorded_at: self.meta.recorded_at,
            actor: self.meta.actor,
            role: self.meta.role,
            command_id: self.command_id,
            kind: self.kind,
            event_type: self.event_type,
            payload: self.payload,
            prev_hash,
            hash: Digest32::GENESIS,
        };
        // The engine writes payloads with `to_canonical`; checking that again here (a parse
        // and a rewrite of every payload) cost a tenth of a `sim run`.
        debug_assert_eq!(
            serde_json::from_str::<Value>(&entry.payload)
                .ok()
                .and_then(|v| canonical_value(&v).ok())
                .as_deref(),
            Some(entry.payload.as_str()),
            "a draft's payload must be canonical JSON"
        );
        entry.hash = entry.hash_of_canonical_payload();
        Ok(entry)
    }
}

impl Entry {
    /// The hash this entry should carry, recomputed from its fields (see the module docs).
    ///
    /// The stored payload text must be canonical: a payload reformatted after the fact (same
    /// value, other bytes) is refused, so the hash covers the exact stored bytes.
    pub fn compute_hash(&self) -> Result<Digest32, CanonicalError> {
        let payload: Value = serde_json::from_str(&self.payload)
            .map_err(|e| CanonicalError::Serialize(format!("payload is not JSON: {e}")))?;
        if canonical_value(&payload)? != self.payload {
            return Err(CanonicalError::NotCanonical);
        }
        Ok(self.hash_of_canonical_payload())
    }

    /// The hash of this entry, its payload taken as the canonical text it must be: the body
    /// of the module docs written straight into the hash (keys in canonical order, the
    /// payload's text embedded as it is), with no JSON value built or parsed. Sealing a new
    /// entry uses this; [`Entry::compute_hash`] checks the payload's form first.
    fn hash_of_canonical_payload(&self) -> Digest32 {
        let mut body = String::with_capacity(self.payload.len() + 160);
        body.push_str("{\"actor\":");
        write_string(&self.actor, &mut body);
        body.push_str(",\"command_id\":");
        write_string(&self.command_id, &mut body);
        body.push_str(",\"event_type\":");
        write_string(&self.event_type, &mut body);
        body.push_str(",\"kind\":\"");
        body.push_str(self.kind.as_str());
        body.push_str("\",\"payload\":");
        body.push_str(&self.payload);
        body.push_str(",\"recorded_at\":");
        write_string(&self.recorded_at.to_string(), &mut body);
        body.push_str(",\"role\":");
        write_string(&self.role, &mut body);
        body.push_str(",\"sequence\":");
        body.push_str(&self.sequence.to_string());
        body.push('}');
        let mut hasher = Sha256::new();
        hasher.update(self.prev_hash.0);
        hasher.update(body.as_bytes());
        Digest32(hasher.finalize().into())
    }

    /// The JSON line of an export: the envelope with the payload embedded as JSON.
    pub fn to_json_line(&self) -> Result<String, CanonicalError> {
        let payload: Value = serde_json::from_str(&self.payload)
            .map_err(|e| CanonicalError::Serialize(format!("payload is not JSON: {e}")))?;
        let line = ExportLine {
            sequence: self.sequence,
            recorded_at: self.recorded_at,
            actor: self.actor.clone(),
            role: self.role.clone(),
            command_id: self.command_id.clone(),
            kind: self.kind,
            event_type: self.event_type.clone(),
            payload,
            prev_hash: self.prev_hash,
            hash: self.hash,
        };
        serde_json::to_string(&line).map_err(|e| CanonicalError::Serialize(e.to_string()))
    }

    /// Reads a line written by [`Entry::to_json_line`]; the payload is made canonical again.
    pub fn from_json_line(line: &str) -> Result<Entry, String> {
        let line: ExportLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let payload = canonical_value(&line.payload).map_err(|e| e.to_string())?;
        Ok(Entry {
            sequence: line.sequence,
            recorded_at: line.recorded_at,
            actor: line.actor,
            role: line.role,
            command_id: line.command_id,
            kind: line.kind,
            event_type: line.event_type,
            payload,
            prev_hash: line.prev_hash,
            hash: line.hash,
        })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportLine {
    sequence: i64,
    recorded_at: jiff::Timestamp,
    actor: String,
    role: String,
    command_id: String,
    kind: EntryKind,
    event_type: String,
    payload: Value,
    prev_hash: Digest32,
    hash: Digest32,
}

/// Where a chain of entries stops being a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("entry {found} follows entry {previous}: entry {expected} is missing or out of order")]
    Gap {
        previous: i64,
        expected: i64,
        found: i64,
    },
    #[error(
        "entry {sequence} does not point at the entry before it (its previous hash is {stored}, the entry before has {expected})"
    )]
    BrokenLink {
        sequence: i64,
        stored: Digest32,
        expected: Digest32,
    },
    #[error(
        "entry {sequence} was altered: its hash is {stored} but its content hashes to {computed}"
    )]
    HashMismatch {
        sequence: i64,
        stored: Digest32,
        computed: Digest32,
    },
    #[error("entry {sequence} cannot be hashed: {reason}")]
    Unreadable { sequence: i64, reason: String },
}

impl ChainError {
    /// The sequence number of the entry that disagrees.
    pub fn sequence(&self) -> i64 {
        match self {
            ChainError::Gap { found, .. } => *found,
            ChainError::BrokenLink { sequence, .. }
            | ChainError::HashMismatch { sequence, .. }
            | ChainError::Unreadable { sequence, .. } => *sequence,
        }
    }
}

/// The last link of a chain checked so far: where the next entry must attach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    /// 0 for an empty chain.
    pub sequence: i64,
    pub hash: Digest32,
}

impl ChainHead {
    pub const EMPTY: ChainHead = ChainHead {
        sequence: 0,
        hash: Digest32::GENESIS,
    };

    /// Checks that `entry` is the next link after `self` and carries its true hash.
    pub fn check_next(&self, entry: &Entry) -> Result<ChainHead, ChainError> {
        self.check_next_known(entry, false)
    }

    /// [`ChainHead::check_next`] for an entry whose payload the caller has already found to
    /// be canonical (`verify` decodes each event and writes it back canonically: the same
    /// text means the payload is canonical), which spares parsing it again into a JSON value.
    pub(crate) fn check_next_known(
        &self,
        entry: &Entry,
        payload_is_canonical: bool,
    ) -> Result<ChainHead, ChainError> {
        if entry.sequence != self.sequence + 1 {
            return Err(ChainError::Gap {
                previous: self.sequence,
                expected: self.sequence + 1,
                found: entry.sequence,
            });
        }
        if entry.prev_hash != self.hash {
            return Err(ChainError::BrokenLink {
                sequence: entry.sequence,
                stored: entry.prev_hash,
                expected: self.hash,
            });
        }
        let computed = if payload_is_canonical {
            entry.hash_of_canonical_payload()
        } else {
            entry.compute_hash().map_err(|e| ChainError::Unreadable {
                sequence: entry.sequence,
                reason: e.to_string(),
            })?
        };
        if computed != entry.hash {
            return Err(ChainError::HashMismatch {
                sequence: entry.sequence,
                stored: entry.hash,
                computed,
            });
        }
        Ok(ChainHead {
            sequence: entry.sequence,
            hash: entry.hash,
        })
    }
}

/// Checks that `entries` continue the chain after `head`; returns the new head.
pub fn verify_chain<'a>(
    head: ChainHead,
    entries: impl IntoIterator<Item = &'a Entry>,
) -> Result<ChainHead, ChainError> {
    entries
        .into_iter()
        .try_fold(head, |head, entry| head.check_next(entry))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // in tests a panic is the failure report
mod tests {
    use super::*;

    fn draft(sequence: i64, payload: &str) -> EntryDraft {
        EntryDraft {
            sequence,
            meta: EntryMeta {
                actor: "tech1".into(),
                role: "technologist".into(),
                recorded_at: "2026-11-25T14:12:00.5Z".parse().unwrap(),
            },
            command_id: format!("c{sequence}"),
            kind: EntryKind::Event,
            event_type: "Deposited".into(),
            payload: payload.into(),
        }
    }

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = Digest32::GENESIS;
        (1..=n)
            .map(|i| {
                let e = draft(i, &format!("{{\"amount\":{i}}}")).seal(prev).unwrap();
                prev = e.hash;
                e
            })
            .collect()
    }

    #[test]
    fn the_hash_is_sha256_of_prev_hash_and_the_canonical_body() {
        let entry = draft(1, r#"{"amount":5}"#).seal(Digest32::GENESIS).unwrap();
        let body = r#"{"actor":"tech1","command_id":"c1","event_type":"Deposited","kind":"event","payload":{"amount":5},"recorded_at":"2026-11-25T14:12:00.5Z","role":"technologist","sequence":1}"#;
        let mut hasher = Sha256::new();
        hasher.update([0u8; 32]);
        hasher.update(body.as_bytes());
        assert_eq!(entry.hash, Digest32(hasher.finalize().into()));
    }

    #[test]
    fn a_chain_verifies_and_each_kind_of_damage_names_its_entry() {
        let entries = chain(5);
        assert_eq!(
            verify_chain(ChainHead::EMPTY, &entries).unwrap().sequence,
            5
        );

        let mut altered = entries.clone();
        altered[2].payload = r#"{"amount":300}"#.into();
        assert!(matches!(
            verify_chain(ChainHead::EMPTY, &altered),
            Err(ChainError::HashMismatch { sequence: 3, .. })
        ));

        let mut deleted = entries.clone();
        deleted.remove(1);
        assert_eq!(
            verify_chain(ChainHead::EMPTY, &deleted)
                .unwrap_err()
                .sequence(),
            3
        );

        let mut swapped = entries.clone();
        swapped.swap(1, 2);
        assert!(matches!(
            verify_chain(ChainHead::EMPTY, &swapped),
            Err(ChainError::Gap { found: 3, .. })
        ));

        // Renumbering swapped entries still breaks the links.
        for (i, e) in swapped.iter_mut().enumerate() {
            e.sequence = i as i64 + 1;
        }
        assert!(matches!(
            verify_chain(ChainHead::EMPTY, &swapped),
            Err(ChainError::BrokenLink { sequence: 2, .. })
        ));
    }

    #[test]
    fn a_reformatted_payload_is_refused_even_if_its_value_is_the_same() {
        let mut entry = chain(1).remove(0);
        entry.payload = "{ \"amount\": 1 }".into();
        let err = verify_chain(ChainHead::EMPTY, [&entry]).unwrap_err();
        assert!(
            matches!(err, ChainError::Unreadable { sequence: 1, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("canonical"), "{err}");
    }

    #[test]
    fn an_export_line_reads_back_to_the_same_entry() {
        for entry in chain(3) {
            let line = entry.to_json_line().unwrap();
            assert!(!line.contains('\n'));
            assert_eq!(Entry::from_json_line(&line).unwrap(), entry);
        }
    }

    /// The hash as the module docs define it, computed the long way: the body built as a
    /// JSON value and written canonically.
    fn hash_by_definition(entry: &Entry) -> Digest32 {
        let payload: Value = serde_json::from_str(&entry.payload).unwrap();
        let body = serde_json::json!({
            "actor": entry.actor,
            "command_id": entry.command_id,
            "event_type": entry.event_type,
            "kind": entry.kind.as_str(),
            "payload": payload,
            "recorded_at": entry.recorded_at.to_string(),
            "role": entry.role,
            "sequence": entry.sequence,
        });
        let mut hasher = Sha256::new();
        hasher.update(entry.prev_hash.0);
        hasher.update(canonical_value(&body).unwrap().as_bytes());
        Digest32(hasher.finalize().into())
    }

    proptest::proptest! {
        /// Sealing writes the body straight into the hash; whatever the strings hold (quotes,
        /// backslashes, control characters, any Unicode), the hash is the one of the definition.
        #[test]
        fn a_sealed_hash_is_the_hash_of_the_definition(
            actor in "\\PC{0,12}|[\"\\\\\u{0}-\u{1f}a-z]{0,8}",
            role in "\\PC{0,8}",
            command_id in "\\PC{0,12}",
            event_type in "[a-z_]{1,12}|\\PC{0,6}",
            text in "\\PC{0,16}|[\"\\\\\u{0}-\u{1f}\u{7f}-\u{a0}]{0,8}",
            number in proptest::num::i64::ANY,
            sequence in 1i64..i64::MAX,
            refusal in proptest::bool::ANY,
            prev in proptest::array::uniform32(proptest::num::u8::ANY),
        ) {
            let payload = canonical_value(&serde_json::json!({"z": text, "a": [number, text]})).unwrap();
            let entry = EntryDraft {
                sequence,
                meta: EntryMeta { actor, role, recorded_at: "2026-11-25T14:12:00.5Z".parse().unwrap() },
                command_id,
                kind: if refusal { EntryKind::Refusal } else { EntryKind::Event },
                event_type,
                payload,
            }
            .seal(Digest32(prev))
            .unwrap();
            proptest::prop_assert_eq!(entry.hash, hash_by_definition(&entry));
            proptest::prop_assert_eq!(entry.compute_hash().unwrap(), entry.hash);
        }
    }

    #[test]
    fn hex_round_trips_and_refuses_junk() {
        let d = chain(1)[0].hash;
        assert_eq!(Digest32::from_hex(&d.to_hex()).unwrap(), d);
        assert!(Digest32::from_hex("zz").is_err());
        assert!(Digest32::from_hex(&"g".repeat(64)).is_err());
    }
}
