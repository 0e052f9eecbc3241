//! The tamper suite: each way someone who can write to the database might alter the record,
//! made on a real SQLite file and on PostgreSQL (a schema of its own), and `audit verify`
//! with the public key and the witness naming it.
//!
//! The attacker here is strong: where a tampering needs hashes recomputed, the test reads the
//! entries, edits them, recomputes every hash by the ledger's rule (`Entry::compute_hash`,
//! ARCHITECTURE.md), empties the tables and imports the result, so that command records,
//! projection rows and the term index all agree with the forged chain. Verify without the
//! witness then passes (asserted: the chain alone proves nothing against such an attacker);
//! only the signed checkpoints outside the database catch it.

// In tests a panic is the failure report.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hemaflow_service::Blood;
use hemaflow_service::ledger::{Digest32, Entry, ImportOptions, Store, import_with};
use hemaflow_service::store::AnyStore;
use hemaflow_store_tests::{Backend, TestDb};

const NOW: &str = "2026-03-20T15:30:00Z";

/// A seeded demo centre with its key and witness beside it.
struct Site {
    url: String,
    key: PathBuf,
    witness: PathBuf,
    db: Option<TestDb>,
    _dir: tempfile::TempDir,
}

fn hemaflow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hemaflow"))
        .args(args)
        .env_remove("HEMAFLOW_DATABASE_URL")
        .env_remove("HEMAFLOW_SIGNING_KEY")
        .env_remove("HEMAFLOW_WITNESS")
        .env_remove("HEMAFLOW_WITNESS_COPY")
        .output()
        .expect("the hemaflow binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A demo centre seeded through the binary, which signs its checkpoints; `None` when the
/// backend is PostgreSQL and no server is configured.
fn seeded(backend: Backend, runtime: &tokio::runtime::Runtime) -> Option<Site> {
    let dir = tempfile::tempdir().unwrap();
    let (url, db) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}", dir.path().join("site.db").display()),
            None,
        ),
        Backend::Postgres => {
            let db = runtime.block_on(TestDb::fresh(Backend::Postgres))?;
            (db.store_url(), Some(db))
        }
    };
    let key = dir.path().join("keys").join("ledger.key");
    let witness = dir.path().join("witness").join("site.witness");
    let out = hemaflow(&[
        "demo",
        "--seed-only",
        "--database",
        &url,
        "--signing-key",
        path(&key),
        "--witness",
        path(&witness),
        "--now",
        NOW,
        "--donors",
        "30",
        "--days",
        "6",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    Some(Site {
        url,
        key,
        witness,
        db,
        _dir: dir,
    })
}

impl Site {
    fn public_key(&self) -> PathBuf {
        let mut name = self.key.as_os_str().to_owned();
        name.push(".pub");
        PathBuf::from(name)
    }

    /// `audit verify` with the public key and the witness.
    fn verify(&self) -> Output {
        hemaflow(&[
            "audit",
            "verify",
            "--database",
            &self.url,
            "--witness",
            path(&self.witness),
            "--public-key",
            path(&self.public_key()),
        ])
    }

    /// `audit verify` of the database alone.
    fn verify_chain_only(&self) -> Output {
        hemaflow(&["audit", "verify", "--database", &self.url])
    }

    fn store(&self, runtime: &tokio::runtime::Runtime) -> AnyStore {
        runtime.block_on(async { hemaflow_service::store::connect(&self.url).await.unwrap() })
    }

    fn execute(&self, runtime: &tokio::runtime::Runtime, sql: &str) -> u64 {
        let store = self.store(runtime);
        runtime.block_on(TestDb::execute(&store, sql))
    }

    fn cleanup(self, runtime: &tokio::runtime::Runtime) {
        if let Some(db) = self.db {
            runtime.block_on(db.cleanup());
        }
    }
}

async fn all_entries(store: &AnyStore) -> Vec<Entry> {
    let mut entries = Vec::new();
    loop {
        let page = store
            .entries_after(entries.last().map_or(0, |e: &Entry| e.sequence), 1000)
            .await
            .unwrap();
        if page.is_empty() {
            return entries;
        }
        entries.extend(page);
    }
}

/// Numbers the entries from 1 and recomputes every link and hash, as an attacker would.
fn rechain(entries: &mut [Entry]) {
    let mut prev = Digest32::GENESIS;
    for (entry, sequence) in entries.iter_mut().zip(1..) {
        entry.sequence = sequence;
        entry.prev_hash = prev;
        entry.hash = entry.compute_hash().unwrap();
        prev = entry.hash;
    }
}

const TABLES: [&str; 4] = ["entry_terms", "projection_rows", "commands", "entries"];

/// Replaces the whole database by `edit` of its entries, every hash recomputed: command
/// records, projection rows and the term index rebuilt by an import, all consistent.
fn forge(site: &Site, runtime: &tokio::runtime::Runtime, edit: impl FnOnce(&mut Vec<Entry>)) {
    let store = site.store(runtime);
    runtime.block_on(async {
        let mut entries = all_entries(&store).await;
        edit(&mut entries);
        rechain(&mut entries);
        let mut export = Vec::new();
        for entry in &entries {
            export.extend(entry.to_json_line().unwrap().as_bytes());
            export.push(b'\n');
        }
        for table in TABLES {
            TestDb::execute(&store, &format!("DELETE FROM {table}")).await;
        }
        let options = ImportOptions {
            without_trailer: true,
        };
        import_with::<Blood, _, _>(&store, export.as_slice(), options)
            .await
            .unwrap();
    });
}

/// The entry after the last, a copy of `template` with another command ID and a later time.
fn forged_after(entries: &[Entry], template: &Entry, payload: String) -> Entry {
    let last = entries.last().unwrap();
    Entry {
        command_id: format!("forged-{}", last.sequence + 1),
        recorded_at: last.recorded_at + jiff::SignedDuration::from_mins(1),
        payload,
        ..template.clone()
    }
}

/// Runs `tamper` on a fresh site of each backend, then checks what verify says.
fn on_both_backends(mut tamper: impl FnMut(&Site, &tokio::runtime::Runtime)) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(site) = seeded(backend, &runtime) else {
            println!("PostgreSQL NOT tested: HEMAFLOW_TEST_POSTGRES_URL is not set");
            continue;
        };
        let before = site.verify();
        assert_eq!(before.status.code(), Some(0), "{}", text(&before));
        tamper(&site, &runtime);
        site.cleanup(&runtime);
    }
}

fn assert_caught(out: &Output, code: i32, named: &[&str]) {
    let said = text(out);
    assert_eq!(out.status.code(), Some(code), "{said}");
    for words in named {
        assert!(said.contains(words), "{words:?} not in: {said}");
    }
}

#[test]
fn a_reading_edited_in_the_middle_with_every_later_hash_recomputed_is_named() {
    on_both_backends(|site, runtime| {
        forge(site, runtime, |entries| {
            let middle = entries.len() / 2;
            let reading = entries[middle..]
                .iter_mut()
                .find(|e| e.payload.contains("\"reading\":\"nonreactive\""))
                .unwrap();
            reading.payload = reading
                .payload
                .replace("\"reading\":\"nonreactive\"", "\"reading\":\"reactive\"");
        });
        assert_eq!(site.verify_chain_only().status.code(), Some(0));
        assert_caught(
            &site.verify(),
            1,
            &["checkpoint signed at", "was rewritten at or before entry"],
        );
    });
}

#[test]
fn a_forged_qa_release_appended_with_its_row_fixed_is_not_witnessed() {
    on_both_backends(|site, runtime| {
        let held = {
            let store = site.store(runtime);
            let rows = runtime
                .block_on(store.rows("component", Some("quarantined"), "", 1))
                .unwrap();
            rows[0].row.id.clone()
        };
        forge(site, runtime, |entries| {
            let release = entries
                .iter()
                .find(|e| e.event_type == "component_released")
                .unwrap()
                .clone();
            let at = entries.last().unwrap().recorded_at + jiff::SignedDuration::from_mins(1);
            let payload = format!(
                r#"{{"at":"{at}","by":"{}","id":"{held}","type":"component_released"}}"#,
                release.actor
            );
            let forged = forged_after(entries, &release, payload);
            entries.push(forged);
        });
        assert_eq!(site.verify_chain_only().status.code(), Some(0));
        let out = site.verify();
        assert_caught(
            &out,
            3,
            &["not yet witnessed: 1 entries after checkpoint at seq"],
        );
    });
}

#[test]
fn a_forged_password_for_the_admin_appended_is_not_witnessed() {
    on_both_backends(|site, runtime| {
        forge(site, runtime, |entries| {
            let template = entries
                .iter()
                .find(|e| e.event_type == "password_set")
                .unwrap()
                .clone();
            let forged = forged_after(entries, &template, template.payload.clone());
            entries.push(forged);
        });
        assert_eq!(site.verify_chain_only().status.code(), Some(0));
        assert_caught(&site.verify(), 3, &["not yet witnessed: 1 entries"]);
    });
}

#[test]
fn a_refusal_deleted_and_the_ledger_renumbered_is_named() {
    on_both_backends(|site, runtime| {
        forge(site, runtime, |entries| {
            let refusal = entries
                .iter()
                .position(|e| e.kind == hemaflow_service::ledger::EntryKind::Refusal)
                .unwrap();
            entries.remove(refusal);
        });
        assert_eq!(site.verify_chain_only().status.code(), Some(0));
        // Named at the first checkpoint after the refusal, or, when that is the last one, as
        // an entry missing from a ledger one entry shorter than witnessed.
        let out = site.verify();
        assert_caught(&out, 1, &[]);
        let said = text(&out);
        assert!(
            said.contains("was rewritten at or before entry")
                || said.contains(
                    "1 entries were removed from its end (or from anywhere, the rest renumbered)"
                ),
            "{said}"
        );
    });
}

#[test]
fn the_last_entries_cut_off_with_their_command_records_are_named() {
    on_both_backends(|site, runtime| {
        forge(site, runtime, |entries| {
            let keep = entries.len() - 5;
            entries.truncate(keep);
        });
        assert_eq!(site.verify_chain_only().status.code(), Some(0));
        assert_caught(&site.verify(), 1, &["5 entries were removed from its end"]);
    });
}

#[test]
fn an_emptied_database_does_not_verify() {
    on_both_backends(|site, runtime| {
        for table in TABLES {
            site.execute(runtime, &format!("DELETE FROM {table}"));
        }
        assert_caught(&site.verify_chain_only(), 1, &["holds no ledger entry"]);
        assert_caught(&site.verify(), 1, &["holds no ledger entry"]);
    });
}

#[test]
fn a_refusals_command_hash_edited_is_named() {
    on_both_backends(|site, runtime| {
        let store = site.store(runtime);
        let refused = runtime.block_on(async {
            let entries = all_entries(&store).await;
            entries
                .into_iter()
                .find(|e| e.kind == hemaflow_service::ledger::EntryKind::Refusal)
                .unwrap()
                .command_id
        });
        let forged_hash = "ab".repeat(32);
        let changed = site.execute(
            runtime,
            &format!(
                "UPDATE commands SET command_hash = '{forged_hash}' WHERE command_id = '{refused}'"
            ),
        );
        assert_eq!(changed, 1);
        assert_caught(
            &site.verify(),
            1,
            &[&format!("the record of command {refused}"), "command hash"],
        );
    });
}

#[test]
fn a_projection_rows_version_set_back_is_named() {
    on_both_backends(|site, runtime| {
        let changed = site.execute(
            runtime,
            "UPDATE projection_rows SET updated_seq = 1 WHERE kind = 'component' AND id = (SELECT min(id) FROM projection_rows WHERE kind = 'component')",
        );
        assert_eq!(changed, 1);
        assert_caught(&site.verify(), 1, &["updated_seq", "cannot be earlier"]);
    });
}

#[test]
fn a_dins_term_index_rows_deleted_are_named() {
    on_both_backends(|site, runtime| {
        let din = "W123426000002";
        let deleted = site.execute(
            runtime,
            &format!("DELETE FROM entry_terms WHERE term = '{din}'"),
        );
        assert!(deleted > 0);
        // What the index is for: the unit's history now finds nothing...
        let history = hemaflow(&["audit", "history", din, "--database", &site.url]);
        assert_eq!(history.status.code(), Some(2), "{}", text(&history));
        // ...and verify says why.
        assert_caught(
            &site.verify_chain_only(),
            1,
            &["entry-term index lacks a row", din],
        );
    });
}

#[test]
fn a_witness_line_altered_or_of_another_ledger_is_named_by_its_line() {
    on_both_backends(|site, _runtime| {
        let original = std::fs::read_to_string(&site.witness).unwrap();
        let lines: Vec<&str> = original.lines().collect();
        assert!(!lines.is_empty());
        // A head hash changed by one digit in the last line: its signature no longer holds.
        let last = lines.len();
        let line = lines[last - 1];
        let at = line.find("\"head\":\"").unwrap() + 8;
        let digit = if &line[at..at + 1] == "0" { "1" } else { "0" };
        let altered = format!("{}{digit}{}", &line[..at], &line[at + 1..]);
        let mut changed: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        changed[last - 1] = altered;
        std::fs::write(&site.witness, changed.join("\n") + "\n").unwrap();
        assert_caught(
            &site.verify(),
            1,
            &[&format!("line {last}"), "signature does not match"],
        );
        std::fs::write(&site.witness, "not json\n").unwrap();
        assert_caught(&site.verify(), 1, &["line 1", "not a checkpoint"]);
        std::fs::write(&site.witness, &original).unwrap();
        assert_eq!(site.verify().status.code(), Some(0));
    });
}

#[test]
fn a_group_or_world_readable_key_is_refused_and_nothing_is_appended() {
    use std::os::unix::fs::PermissionsExt;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let site = seeded(Backend::Sqlite, &runtime).unwrap();
    let mode = std::fs::metadata(&site.key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    std::fs::set_permissions(&site.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = hemaflow(&[
        "import",
        "--database",
        &format!("sqlite://{}", site._dir.path().join("other.db").display()),
        "--signing-key",
        path(&site.key),
        "--witness",
        path(&site.witness),
    ]);
    assert_caught(&out, 1, &["can be read by others", "chmod 600"]);
    assert!(!site._dir.path().join("other.db").exists());
}

#[test]
fn an_entrys_time_set_back_with_hashes_recomputed_is_named() {
    on_both_backends(|site, runtime| {
        let mut moved = 0;
        forge(site, runtime, |entries| {
            let middle = entries.len() / 2;
            entries[middle].recorded_at =
                entries[middle - 1].recorded_at - jiff::SignedDuration::from_hours(3);
            moved = i64::try_from(middle).unwrap() + 1;
        });
        assert_caught(
            &site.verify_chain_only(),
            1,
            &[
                &format!("entry {moved} is recorded at"),
                "times never run backwards",
            ],
        );
        // A ledger written before Hemaflow refused such times is accepted by name, with a note.
        let legacy = hemaflow(&["audit", "verify", "--legacy-times", "--database", &site.url]);
        assert_caught(&legacy, 0, &["note: entry", "--legacy-times"]);
    });
}
