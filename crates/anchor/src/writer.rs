//! [`FileWitness`]: the ledger's [`Witness`] that signs chain heads into witness files.
//!
//! The engine reports every commit; a thread of the witness's own signs the latest head and
//! appends it to each file (opened with `O_APPEND`, one `write` per line, then `fsync`), at
//! most once per `interval`: under load, the heads reported meanwhile are coalesced into the
//! latest, so an append never waits for a disk. [`FileWitness::flush`] waits until the last
//! head reported is on disk (a command-line tool calls it before it exits).

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use hemaflow_ledger::{Checkpoint, SharedClock, Witness};

use crate::checkpoint::SignedCheckpoint;

/// How long at most between a commit and its checkpoint under a steady load.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Default)]
struct State {
    /// The latest head reported and not yet written.
    latest: Option<Checkpoint>,
    /// How many heads were reported, and how many of those the files hold.
    reported: u64,
    written: u64,
    /// A flush is waiting: write without waiting out the interval.
    hurry: bool,
    closing: bool,
    /// The last write that failed, until one succeeds.
    failure: Option<String>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic of the writer thread while holding the lock leaves the state usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Signs chain heads into one or more witness files.
pub struct FileWitness {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    paths: Vec<PathBuf>,
}

/// The files, opened for appending.
struct Files {
    files: Vec<(PathBuf, std::fs::File)>,
}

impl Files {
    fn open(paths: &[PathBuf]) -> std::io::Result<Files> {
        let mut files = Vec::with_capacity(paths.len());
        for path in paths {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let file = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            files.push((path.clone(), file));
        }
        Ok(Files { files })
    }

    /// One `write` per file of the whole line, then `fsync`.
    fn append(&mut self, line: &str) -> Result<(), String> {
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\n');
        for (path, file) in &mut self.files {
            file.write_all(&bytes)
                .and_then(|()| file.sync_data())
                .map_err(|e| format!("cannot write the witness {}: {e}", path.display()))?;
        }
        Ok(())
    }
}

impl FileWitness {
    /// Opens (creating) the witness files and starts the thread that writes them.
    pub fn open(
        paths: Vec<PathBuf>,
        key: SigningKey,
        clock: SharedClock,
        interval: Duration,
    ) -> std::io::Result<FileWitness> {
        let files = Files::open(&paths)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("hemaflow-witness".to_owned())
                .spawn(move || write_loop(&shared, files, &key, &clock, interval))?
        };
        Ok(FileWitness {
            shared,
            thread: Mutex::new(Some(thread)),
            paths,
        })
    }

    /// The files written.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Waits until every head reported so far is signed and on disk; the error if the last
    /// write failed.
    pub fn flush(&self) -> Result<(), String> {
        let mut state = self.shared.lock();
        let target = state.reported;
        state.hurry = true;
        self.shared.changed.notify_all();
        while state.written < target && state.failure.is_none() {
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        state.failure.clone().map_or(Ok(()), Err)
    }
}

impl Witness for FileWitness {
    fn committed(&self, checkpoint: Checkpoint) {
        let mut state = self.shared.lock();
        state.latest = Some(checkpoint);
        state.reported += 1;
        self.shared.changed.notify_all();
    }
}

impl Drop for FileWitness {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::error!(error = %e, "the last checkpoint was not written");
        }
        self.shared.lock().closing = true;
        self.shared.changed.notify_all();
        let thread = self
            .thread
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

/// The writer thread: waits for a head, signs and writes it, then lets `interval` pass
/// (unless a flush hurries it) so that the heads reported meanwhile become one line.
fn write_loop(
    shared: &Shared,
    mut files: Files,
    key: &SigningKey,
    clock: &SharedClock,
    interval: Duration,
) {
    let mut last_write: Option<Instant> = None;
    let mut state = shared.lock();
    loop {
        let due = last_write.map_or(Instant::now(), |at| at + interval);
        let waiting = state.latest.is_none() || (!state.hurry && Instant::now() < due);
        if waiting {
            if state.closing && state.latest.is_none() {
                return;
            }
            let timeout = due.saturating_duration_since(Instant::now());
            let wait = if state.latest.is_none() {
                Duration::from_secs(3600)
            } else {
                timeout
            };
            state = shared
                .changed
                .wait_timeout(state, wait)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
            continue;
        }
        let Some(checkpoint) = state.latest.take() else {
            continue;
        };
        let reported = state.reported;
        drop(state);
        let line = SignedCheckpoint::sign(&checkpoint, clock.now(), key).to_line();
        let written = files.append(&line);
        last_write = Some(Instant::now());
        state = shared.lock();
        match written {
            Ok(()) => {
                state.written = reported;
                state.failure = None;
            }
            Err(e) => {
                tracing::error!(error = %e, sequence = checkpoint.sequence, "checkpoint not written");
                state.failure = Some(e);
            }
        }
        if state.written >= state.reported {
            state.hurry = false;
        }
        shared.changed.notify_all();
    }
}
