//! The witness file: written by a real `FileWitness` to a real file, read back with its
//! signatures checked; any line altered, forged, malformed or too long is named by number.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use hemaflow_anchor::{FileWitness, SignedCheckpoint, read_witness, read_witness_file};
use hemaflow_ledger::{Checkpoint, Digest32, FixedClock, Witness};
use proptest::prelude::*;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn checkpoint(sequence: i64) -> Checkpoint {
    Checkpoint {
        ledger: Digest32([1; 32]),
        sequence,
        head: Digest32([u8::try_from(sequence % 250).unwrap(); 32]),
        recorded_at: jiff::Timestamp::from_second(1_800_000_000 + sequence).unwrap(),
    }
}

fn line(sequence: i64, key: &SigningKey) -> String {
    let at = jiff::Timestamp::from_second(1_900_000_000).unwrap();
    SignedCheckpoint::sign(&checkpoint(sequence), at, key).to_line()
}

fn file_of(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[test]
fn the_writer_coalesces_heads_and_flush_puts_the_last_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let paths = vec![
        dir.path().join("a.witness"),
        dir.path().join("copy/b.witness"),
    ];
    let clock = Arc::new(FixedClock(
        jiff::Timestamp::from_second(1_900_000_000).unwrap(),
    ));
    let witness =
        FileWitness::open(paths.clone(), key(7), clock, Duration::from_millis(200)).unwrap();
    for sequence in 1..=500 {
        witness.committed(checkpoint(sequence));
    }
    witness.flush().unwrap();
    drop(witness);
    for path in &paths {
        let read = read_witness_file(path, &key(7).verifying_key()).unwrap();
        let last = read.last().unwrap();
        assert_eq!(last.sequence, 500);
        assert_eq!(last.head, checkpoint(500).head);
        // 500 commits in a moment: a few lines, not one per commit.
        assert!(read.heads.len() < 10, "{} lines", read.heads.len());
        assert!(read.heads[0].source.ends_with("line 1"));
    }
}

#[test]
fn a_line_signed_by_another_key_is_named() {
    let text = file_of(&[line(1, &key(1)), line(2, &key(2))]);
    let error = read_witness(text.as_bytes(), "w", &key(1).verifying_key()).unwrap_err();
    assert_eq!(error.line, 2);
    assert!(
        error.to_string().contains("not by the key given"),
        "{error}"
    );
}

#[test]
fn a_line_too_long_or_empty_is_named() {
    let long = format!("{}\n", "x".repeat(5000));
    let error = read_witness(long.as_bytes(), "w", &key(1).verifying_key()).unwrap_err();
    assert_eq!(error.line, 1);
    assert!(error.reason.contains("longer than"), "{error}");
    let text = format!("{}\n\n{}\n", line(1, &key(1)), line(2, &key(1)));
    let error = read_witness(text.as_bytes(), "w", &key(1).verifying_key()).unwrap_err();
    assert_eq!(error.line, 2);
}

#[test]
fn a_key_file_readable_by_others_is_refused_and_a_new_one_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys/ledger.key");
    let made = hemaflow_anchor::load_or_create(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let again = hemaflow_anchor::load_or_create(&path).unwrap();
    assert_eq!(made.to_bytes(), again.to_bytes());
    let public =
        hemaflow_anchor::read_public_key(&hemaflow_anchor::public_key_path(&path)).unwrap();
    assert_eq!(public, made.verifying_key());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let refused = hemaflow_anchor::load_or_create(&path).unwrap_err();
    assert!(refused.to_string().contains("chmod 600"), "{refused}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the bytes, the reader answers (no panic), and an error names a line that is
    /// in the input.
    #[test]
    fn any_bytes_are_read_or_refused_by_line(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let lines = bytes.split(|b| *b == b'\n').count();
        match read_witness(bytes.as_slice(), "w", &key(1).verifying_key()) {
            Ok(read) => prop_assert!(read.heads.len() <= lines),
            Err(error) => prop_assert!(error.line >= 1 && error.line <= lines, "{error}"),
        }
    }

    /// A valid witness with one character of one line changed is refused at that line
    /// (the signature covers every field; a change elsewhere breaks the JSON).
    #[test]
    fn one_character_changed_is_named_at_its_line(
        count in 1usize..8,
        pick in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        replacement in proptest::char::range('!', '~'),
    ) {
        let signer = key(3);
        let mut lines: Vec<String> = (1..=count).map(|s| line(i64::try_from(s).unwrap(), &signer)).collect();
        let target = pick.index(count);
        let chars: Vec<char> = lines[target].chars().collect();
        let position = at.index(chars.len());
        prop_assume!(chars[position] != replacement);
        let mut changed = chars.clone();
        changed[position] = replacement;
        let changed: String = changed.into_iter().collect();
        // A change a JSON reader cannot see (a hex digit's case is not one: the signed text
        // is the exact string) is skipped only if it leaves the same value.
        let same_value = serde_json::from_str::<SignedCheckpoint>(&changed).ok()
            == serde_json::from_str::<SignedCheckpoint>(&lines[target]).ok();
        prop_assume!(!same_value);
        lines[target] = changed;
        let text = file_of(&lines);
        let error = read_witness(text.as_bytes(), "w", &signer.verifying_key()).unwrap_err();
        prop_assert_eq!(error.line, target + 1, "{}", error);
    }

    /// Lines written by the signer read back as the heads signed, in order.
    #[test]
    fn signed_lines_read_back(sequences in proptest::collection::vec(1i64..1_000_000, 0..20)) {
        let signer = key(5);
        let lines: Vec<String> = sequences.iter().map(|s| line(*s, &signer)).collect();
        let read = read_witness(file_of(&lines).as_bytes(), "w", &signer.verifying_key()).unwrap();
        let got: Vec<i64> = read.heads.iter().map(|h| h.sequence).collect();
        prop_assert_eq!(got, sequences);
    }
}
