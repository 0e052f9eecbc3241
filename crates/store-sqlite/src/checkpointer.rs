//! Copying the write-ahead log into the database file on a thread of its own.
//!
//! In WAL mode a commit appends the pages it changed to the log, and a checkpoint copies
//! them into the database file. Left to SQLite, the checkpoint runs inside the commit that
//! fills the log past `wal_autocheckpoint`, so that append waits for it: about a tenth of a
//! replay's time, and the slowest answers of a busy site. Here the writer wakes the
//! checkpointer after each commit, and it runs a PASSIVE checkpoint on its own connection
//! while the next commands are decided and written. A passive checkpoint copies what is
//! committed and never waits for, nor blocks, the writer or a reader; once everything in
//! the log has been copied, the next commit starts the log again from its beginning.
//!
//! SQLite's own checkpoint stays on the other connections as a backstop
//! (`WAL_AUTOCHECKPOINT_PAGES`), for a log this thread cannot keep up with (a reader that
//! holds an old snapshot for long keeps a passive checkpoint from finishing).

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use hemaflow_ledger::StoreError;
use rusqlite::Connection;

/// The shortest time between two checkpoints. A site that commits one command at a time
/// would otherwise checkpoint (and sync the database file) after every one; a replay
/// commits a batch every tenth of a second or so, and is not held back.
const PAUSE: Duration = Duration::from_millis(50);

/// Wakes the checkpointing thread; the thread ends when the last clone is dropped.
#[derive(Debug, Clone)]
pub(crate) struct Checkpointer {
    wake: SyncSender<()>,
}

impl Checkpointer {
    /// Starts the thread, which checkpoints through `connection` (a connection of its own
    /// to the database, with the writer's settings: a checkpoint syncs the file as the
    /// writer's commits do).
    pub(crate) fn start(connection: Connection, name: &str) -> Result<Checkpointer, StoreError> {
        let (wake, woken) = sync_channel(1);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || checkpoint_when_woken(&connection, &woken))
            .map_err(|e| {
                StoreError::Connect(format!(
                    "cannot start the checkpointing thread of SQLite database {name}: {e}"
                ))
            })?;
        Ok(Checkpointer { wake })
    }

    /// Something was committed. A wake-up still pending covers it: the checkpoint copies
    /// whatever is committed when it runs.
    pub(crate) fn committed(&self) {
        match self.wake.try_send(()) {
            Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
        }
    }
}

fn checkpoint_when_woken(connection: &Connection, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        // A checkpoint that fails (the disk, say) leaves the log as it was: the writer meets
        // the same failure at its next commit and reports it, and SQLite's own checkpoint
        // remains. A busy database is not a failure: a passive checkpoint copies what it can.
        let _copied_or_not = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
        std::thread::sleep(PAUSE);
    }
}
