//! A signed checkpoint: one JSON line of the witness file.
//!
//! ```text
//! {"ledger":"<hash of entry 1>","sequence":<n>,"head":"<hash of entry n>",
//!  "recorded_at":"<entry n's time>","signed_at":"<when signed>","key":"<public key>",
//!  "signature":"<Ed25519 signature, 128 hex digits>"}
//! ```
//!
//! The signature is over the UTF-8 bytes of
//! `hemaflow-checkpoint-v1\nledger=L\nsequence=N\nhead=H\nrecorded_at=R\nsigned_at=S\n` with
//! every value written exactly as in the line (hashes and keys as 64 lowercase hex digits,
//! times in RFC 3339 UTC): a fixed text rather than the JSON line, so that no JSON library's
//! choices (key order, escapes) enter what is signed.

use std::io::BufRead;
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use hemaflow_ledger::{Checkpoint, Digest32, Witnessed, WitnessedHead};
use serde::{Deserialize, Serialize};

use crate::key::{hex, parse_hex};

/// The longest witness line read; a real one is about 420 bytes.
pub const MAX_LINE: usize = 2048;

/// One line of a witness file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedCheckpoint {
    pub ledger: String,
    pub sequence: i64,
    pub head: String,
    pub recorded_at: jiff::Timestamp,
    pub signed_at: jiff::Timestamp,
    pub key: String,
    pub signature: String,
}

/// The bytes a checkpoint's signature is over.
fn signed_text(
    ledger: &str,
    sequence: i64,
    head: &str,
    recorded_at: jiff::Timestamp,
    signed_at: jiff::Timestamp,
) -> String {
    format!(
        "hemaflow-checkpoint-v1\nledger={ledger}\nsequence={sequence}\nhead={head}\nrecorded_at={recorded_at}\nsigned_at={signed_at}\n"
    )
}

impl SignedCheckpoint {
    /// Signs `checkpoint` at `signed_at`.
    pub fn sign(
        checkpoint: &Checkpoint,
        signed_at: jiff::Timestamp,
        key: &SigningKey,
    ) -> SignedCheckpoint {
        let ledger = checkpoint.ledger.to_hex();
        let head = checkpoint.head.to_hex();
        let text = signed_text(
            &ledger,
            checkpoint.sequence,
            &head,
            checkpoint.recorded_at,
            signed_at,
        );
        SignedCheckpoint {
            ledger,
            sequence: checkpoint.sequence,
            head,
            recorded_at: checkpoint.recorded_at,
            signed_at,
            key: hex(key.verifying_key().as_bytes()),
            signature: hex(&key.sign(text.as_bytes()).to_bytes()),
        }
    }

    /// The line written to the witness (without its newline).
    pub fn to_line(&self) -> String {
        // A struct of strings, integers and timestamps always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks the signature against `key`; the reason when it does not hold.
    pub fn check(&self, key: &VerifyingKey) -> Result<(Digest32, Digest32), String> {
        let ledger = Digest32::from_hex(&self.ledger).map_err(|e| format!("ledger: {e}"))?;
        let head = Digest32::from_hex(&self.head).map_err(|e| format!("head: {e}"))?;
        if self.sequence < 1 {
            return Err(format!(
                "sequence {} names no entry (entries start at 1)",
                self.sequence
            ));
        }
        let expected_key = hex(key.as_bytes());
        if self.key != expected_key {
            return Err(format!(
                "signed by key {}, not by the key given ({expected_key})",
                self.key
            ));
        }
        let signature = parse_hex::<64>(&self.signature)
            .map(|bytes| Signature::from_bytes(&bytes))
            .map_err(|e| format!("signature: {e}"))?;
        let text = signed_text(
            &self.ledger,
            self.sequence,
            &self.head,
            self.recorded_at,
            self.signed_at,
        );
        key.verify(text.as_bytes(), &signature).map_err(|_| {
            "the signature does not match the checkpoint: the line was altered or forged".to_owned()
        })?;
        Ok((ledger, head))
    }
}

/// A witness line that cannot be trusted, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name} line {line}: {reason}")]
pub struct WitnessError {
    pub source_name: String,
    pub line: usize,
    pub reason: String,
}

/// Reads every checkpoint of a witness and checks its signature against `key`. The first line
/// that is not a checkpoint signed by that key is the error, by line number: a witness with
/// one bad line is not evidence of anything.
pub fn read_witness(
    reader: impl BufRead,
    source_name: &str,
    key: &VerifyingKey,
) -> Result<Witnessed, WitnessError> {
    let mut witnessed = Witnessed::default();
    let error = |line: usize, reason: String| WitnessError {
        source_name: source_name.to_owned(),
        line,
        reason,
    };
    let mut reader = reader.take(u64::MAX);
    let mut number = 0;
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        number += 1;
        // Read at most one byte past the limit: a longer line is refused without reading it all.
        let limit = u64::try_from(MAX_LINE + 1).unwrap_or(u64::MAX);
        reader.set_limit(limit);
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|e| error(number, format!("cannot be read: {e}")))?;
        if read == 0 {
            break;
        }
        let whole = buffer.last() == Some(&b'\n');
        if !whole && buffer.len() > MAX_LINE {
            return Err(error(number, format!("longer than {MAX_LINE} bytes")));
        }
        let text = std::str::from_utf8(&buffer)
            .map_err(|_| error(number, "is not UTF-8".to_owned()))?
            .trim_end_matches(['\n', '\r']);
        if !whole {
            // The last line of a file: a write cut short leaves no newline.
            if text.trim().is_empty() {
                break;
            }
        }
        if text.trim().is_empty() {
            return Err(error(number, "is empty".to_owned()));
        }
        let checkpoint: SignedCheckpoint = serde_json::from_str(text)
            .map_err(|e| error(number, format!("is not a checkpoint: {e}")))?;
        let (ledger, head) = checkpoint
            .check(key)
            .map_err(|reason| error(number, reason))?;
        witnessed.heads.push(WitnessedHead {
            ledger,
            sequence: checkpoint.sequence,
            head,
            source: format!("{source_name} line {number}"),
        });
    }
    Ok(witnessed)
}

/// [`read_witness`] of a file, named by its path in messages.
pub fn read_witness_file(path: &Path, key: &VerifyingKey) -> Result<Witnessed, WitnessError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| WitnessError {
        source_name: name.clone(),
        line: 0,
        reason: format!("cannot be opened: {e}"),
    })?;
    read_witness(std::io::BufReader::new(file), &name, key)
}
