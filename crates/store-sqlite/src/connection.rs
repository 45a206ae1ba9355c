//! How the store reaches its SQLite file: one writer thread that commits concurrent writes
//! together (group commit), and read-only connections used on the calling thread.
//!
//! Why not an async driver: SQLite is a library, not a server. A statement on a warm page cache
//! takes microseconds, less than handing it to another thread and back, which an async driver
//! does for every statement. Profiles of the server under load showed those hand-offs (two
//! thread switches per statement) as most of its time. So a read runs where it is asked for,
//! and a write transaction runs as one closure on the writer's thread, batched with whatever
//! else is waiting, under a single commit.

use idgate_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use tokio::sync::oneshot;

/// At most this many writes share one commit; more would only delay the first answers.
const MAX_BATCH: usize = 256;
/// How long a connection waits for a lock held by another process (a second idgate on the same
/// file, the migrator, a bulk loader) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements kept per connection; the store has fewer distinct statements.
const STATEMENT_CACHE: usize = 96;
/// Bytes of WAL file kept after it restarts (64 MiB).
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;
/// How often committed writes are checkpointed into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

pub(crate) fn backend(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn stopped() -> StoreError {
    StoreError::Backend("the SQLite writer thread has stopped".into())
}

/// Opens the read-write connection: WAL, and `synchronous=FULL` so that a write is on disk
/// before its caller hears of it (with group commit, one WAL sync covers a whole batch).
fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "synchronous", "full")?;
    conn.pragma_update(None, "foreign_keys", "on")?;
    // After a burst (a million sessions expiring), the WAL file shrinks back to this size.
    conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Copies committed WAL frames back into the database file beside the writer, at most every
/// `CHECKPOINT_EVERY` after a commit; it ends with the writer. A PASSIVE checkpoint takes no
/// write lock, so writes go on meanwhile. The writer keeps SQLite's automatic checkpoint
/// (when the WAL passes 1 000 pages): only a checkpoint between two of the writer's own
/// transactions lets the WAL start over from its beginning under a steady stream of writes,
/// and by then this thread has already copied most pages, so it has little left to do.
fn checkpointer(path: &Path, commits: mpsc::Receiver<()>) -> rusqlite::Result<()> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", "full")?;
    while commits.recv().is_ok() {
        std::thread::sleep(CHECKPOINT_EVERY);
        while commits.try_recv().is_ok() {}
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "SQLite checkpoint failed; retrying after the next commit");
        }
    }
    Ok(())
}

fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

/// Read-only connections, each used by one caller at a time on the caller's thread.
#[derive(Debug)]
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Idle connections kept for reuse; a burst beyond it opens (and then closes) more.
    keep: usize,
}

impl Readers {
    pub(crate) fn new(path: PathBuf, keep: usize) -> Self {
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
            keep: keep.max(1),
        }
    }

    /// Runs `f` on a reader here and now. Meant for reads that an index bounds (a row by key,
    /// a page of rows); anything that may scan goes through [`Readers::off_thread`].
    pub(crate) fn with<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match idle {
            Some(conn) => conn,
            None => open_reader(&self.path).map_err(backend)?,
        };
        let result = f(&conn);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.keep
        {
            idle.push(conn);
        }
        result
    }

    /// Runs `f` on a reader on tokio's blocking pool, for reads whose length the data decides.
    pub(crate) async fn off_thread<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let readers = Arc::clone(self);
        tokio::task::spawn_blocking(move || readers.with(f))
            .await
            .map_err(|e| StoreError::Backend(format!("a read task failed: {e}")))?
    }

    /// Closes the idle connections.
    pub(crate) fn close(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }
}

/// A write waiting for the writer thread: it runs inside the batch's transaction under a
/// savepoint of its own, and hears the outcome only once the batch is committed.
trait PendingWrite: Send {
    /// Runs the write; whether it succeeded (if not, its savepoint is rolled back).
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller: the write's own result, or `failure` if the batch did not commit.
    fn answer(self: Box<Self>, failure: Option<&str>);
    /// Why the write failed, if it ran and failed.
    fn failure(&self) -> Option<String>;
}

struct Write<F, T> {
    work: Option<F>,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<F, T> PendingWrite for Write<F, T>
where
    F: FnOnce(&Connection) -> StoreResult<T> + Send,
    T: Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(work) = self.work.take() else {
            return false;
        };
        // The caller went away (its request was dropped) before the write started: skip it,
        // as a request cancelled while waiting for a connection would never have written.
        if self.reply.is_closed() {
            self.result = Some(Err(StoreError::Backend("the caller went away".into())));
            return false;
        }
        // A bug in one write must not take the writer thread (and every later write) down.
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| work(conn)))
            .unwrap_or_else(|_| Err(StoreError::Backend("a write panicked".into())));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn answer(self: Box<Self>, failure: Option<&str>) {
        let result = match (failure, self.result) {
            (Some(failure), _) => Err(StoreError::Backend(failure.to_owned())),
            (None, Some(result)) => result,
            (None, None) => Err(StoreError::Backend("the write did not run".into())),
        };
        // The caller may have gone away meanwhile; the write stands either way.
        let _ = self.reply.send(result);
    }

    fn failure(&self) -> Option<String> {
        match &self.result {
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        }
    }
}

enum Request {
    Write(Box<dyn PendingWrite>),
    /// Copies the WAL into the database file and truncates it (outside any transaction).
    Checkpoint(oneshot::Sender<StoreResult<()>>),
}

/// The handle to the writer thread. The thread ends when the last handle is dropped.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    requests: mpsc::Sender<Request>,
}

impl Writer {
    /// Opens the database file read-write (creating it) and starts the writer thread.
    pub(crate) fn start(path: &Path) -> StoreResult<Self> {
        let conn = open_writer(path).map_err(backend)?;
        let (requests, inbox) = mpsc::channel();
        // Capacity one: a commit while a checkpoint is already due needs no second signal.
        let (committed, commits) = mpsc::sync_channel(1);
        let checkpoint_path = path.to_owned();
        let cannot_start =
            |e: std::io::Error| StoreError::Backend(format!("cannot start the SQLite writer: {e}"));
        std::thread::Builder::new()
            .name("idgate-sqlite-checkpointer".into())
            .spawn(move || {
                if let Err(e) = checkpointer(&checkpoint_path, commits) {
                    tracing::error!(error = %e, "the SQLite checkpointer stopped");
                }
            })
            .map_err(cannot_start)?;
        std::thread::Builder::new()
            .name("idgate-sqlite-writer".into())
            .spawn(move || serve(&conn, &inbox, &committed))
            .map_err(cannot_start)?;
        Ok(Writer { requests })
    }

    /// Runs `work` in a write transaction and answers once it is durably committed. `work`
    /// returning an error undoes what it wrote and nothing else.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (reply, answer) = oneshot::channel();
        let pending = Write {
            work: Some(work),
            result: None,
            reply,
        };
        self.requests
            .send(Request::Write(Box::new(pending)))
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    pub(crate) async fn checkpoint(&self) -> StoreResult<()> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::Checkpoint(reply))
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn serve(conn: &Connection, inbox: &mpsc::Receiver<Request>, committed: &mpsc::SyncSender<()>) {
    let mut next = None;
    loop {
        let request = match next.take() {
            Some(request) => request,
            None => match inbox.recv() {
                Ok(request) => request,
                Err(_) => return,
            },
        };
        match request {
            Request::Checkpoint(reply) => {
                // The first column says whether a reader kept the checkpoint from finishing.
                let done = conn
                    .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                        r.get::<_, i64>(0)
                    })
                    .map_err(backend)
                    .and_then(|busy| match busy {
                        0 => Ok(()),
                        _ => Err(StoreError::Backend(
                            "a reader kept the WAL checkpoint from finishing".into(),
                        )),
                    });
                let _ = reply.send(done);
            }
            Request::Write(first) => {
                // Whatever queued up while the previous batch was committing shares this commit.
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match inbox.try_recv() {
                        Ok(Request::Write(write)) => batch.push(write),
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                commit_batch(conn, batch);
                let _ = committed.try_send(());
            }
        }
    }
}

fn commit_batch(conn: &Connection, mut batch: Vec<Box<dyn PendingWrite>>) {
    let outcome = run_batch(conn, &mut batch);
    let failure = outcome.err().map(|e| {
        tracing::error!(error = %e, writes = batch.len(), "SQLite batch rolled back");
        // Leave the connection usable for the next batch.
        let _ = conn.execute_batch("ROLLBACK");
        e.to_string()
    });
    for write in batch {
        write.answer(failure.as_deref());
    }
}

fn run_batch(conn: &Connection, batch: &mut [Box<dyn PendingWrite>]) -> Result<(), BatchError> {
    let exec = |sql: &str| conn.prepare_cached(sql)?.execute([]);
    exec("BEGIN IMMEDIATE")?;
    for write in batch.iter_mut() {
        exec("SAVEPOINT one_write")?;
        if !write.run(conn) {
            if conn.is_autocommit() {
                // Some errors (a full disk, an I/O error) make SQLite roll back the whole
                // transaction: the batch ends here, with that write's own error.
                return Err(BatchError::Aborted(
                    write
                        .failure()
                        .unwrap_or_else(|| "the transaction was rolled back".into()),
                ));
            }
            exec("ROLLBACK TO one_write")?;
        }
        exec("RELEASE one_write")?;
    }
    exec("COMMIT")?;
    Ok(())
}

/// Why a batch did not commit.
#[derive(Debug)]
enum BatchError {
    Sqlite(rusqlite::Error),
    /// A write's failure rolled the whole transaction back.
    Aborted(String),
}

impl From<rusqlite::Error> for BatchError {
    fn from(e: rusqlite::Error) -> Self {
        BatchError::Sqlite(e)
    }
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchError::Sqlite(e) => write!(f, "{e}"),
            BatchError::Aborted(why) => write!(f, "{why}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(conn: &Connection) -> StoreResult<i64> {
        conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .map_err(backend)
    }

    async fn writer_with_table() -> (tempfile::TempDir, Writer, Readers) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("t.db");
        let writer = Writer::start(&path).unwrap_or_else(|e| panic!("{e}"));
        writer
            .write(|c| {
                c.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
                    .map_err(backend)
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        (dir, writer, Readers::new(path, 2))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_write_undoes_only_itself_even_inside_a_shared_commit() {
        let (_dir, writer, readers) = writer_with_table().await;
        // Many writers at once so that batches form; every seventh fails after writing a row.
        let tasks: Vec<_> = (0..300i64)
            .map(|i| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    writer
                        .write(move |c| {
                            c.execute("INSERT INTO t (id, v) VALUES (?1, 'x')", [i])
                                .map_err(backend)?;
                            if i % 7 == 0 {
                                return Err(StoreError::Corrupt(format!("refused {i}")));
                            }
                            Ok(i)
                        })
                        .await
                })
            })
            .collect();
        let mut refused = 0;
        for (i, task) in tasks.into_iter().enumerate() {
            match task.await.unwrap_or_else(|e| panic!("{e}")) {
                Ok(n) => assert_eq!(n, i as i64),
                Err(StoreError::Corrupt(msg)) => {
                    assert_eq!(msg, format!("refused {i}"));
                    assert_eq!(i % 7, 0);
                    refused += 1;
                }
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(refused, 43);
        let stored = readers.with(count).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(stored, 300 - 43);
        let gone = readers
            .with(|c| {
                c.query_row("SELECT count(*) FROM t WHERE id % 7 = 0", [], |r| {
                    r.get::<_, i64>(0)
                })
                .map_err(backend)
            })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(gone, 0);
    }

    #[tokio::test]
    async fn a_panicking_write_fails_alone_and_the_writer_carries_on() {
        let (_dir, writer, readers) = writer_with_table().await;
        let panicked = writer
            .write(|c| -> StoreResult<()> {
                c.execute("INSERT INTO t (id, v) VALUES (1, 'x')", [])
                    .map_err(backend)?;
                panic!("a bug in a write");
            })
            .await;
        assert!(matches!(panicked, Err(StoreError::Backend(m)) if m.contains("panicked")));
        writer
            .write(|c| {
                c.execute("INSERT INTO t (id, v) VALUES (2, 'y')", [])
                    .map_err(backend)
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let ids = readers
            .with(|c| {
                c.query_row("SELECT group_concat(id) FROM t", [], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(backend)
            })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ids, "2");
    }

    #[tokio::test]
    async fn commits_are_synchronous_full_and_visible_to_a_new_reader() {
        let (dir, writer, _readers) = writer_with_table().await;
        let mode = writer
            .write(|c| {
                c.query_row("PRAGMA synchronous", [], |r| r.get::<_, i64>(0))
                    .map_err(backend)
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mode, 2, "synchronous=FULL");
        writer
            .write(|c| {
                c.execute("INSERT INTO t (id, v) VALUES (5, 'z')", [])
                    .map_err(backend)
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let fresh = Readers::new(dir.path().join("t.db"), 1);
        assert_eq!(fresh.with(count).unwrap_or_else(|e| panic!("{e}")), 1);
        writer.checkpoint().await.unwrap_or_else(|e| panic!("{e}"));
        let wal = std::fs::metadata(dir.path().join("t.db-wal")).map_or(0, |m| m.len());
        assert_eq!(wal, 0, "a TRUNCATE checkpoint empties the WAL");
    }

    #[tokio::test]
    async fn the_checkpointer_copies_commits_into_the_database_file() {
        let (dir, writer, _readers) = writer_with_table().await;
        writer
            .write(|c| {
                c.execute("INSERT INTO t (id, v) VALUES (9, 'needle-4711')", [])
                    .map_err(backend)
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("t.db");
        let in_file = || {
            std::fs::read(&file).is_ok_and(|bytes| bytes.windows(11).any(|w| w == b"needle-4711"))
        };
        // The commit is in the WAL at once, and in the database file after a checkpoint.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !in_file() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            in_file(),
            "no checkpoint copied the row into the database file"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_whose_caller_left_before_it_started_is_skipped() {
        let (_dir, writer, readers) = writer_with_table().await;
        // Keep the writer busy, then give up on a second write while it waits in the queue.
        let busy = writer.clone();
        let first = tokio::spawn(async move {
            busy.write(|c| {
                std::thread::sleep(Duration::from_millis(300));
                c.execute("INSERT INTO t (id, v) VALUES (1, 'kept')", [])
                    .map_err(backend)
            })
            .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let abandoned = tokio::time::timeout(
            Duration::from_millis(20),
            writer.write(|c| {
                c.execute("INSERT INTO t (id, v) VALUES (2, 'abandoned')", [])
                    .map_err(backend)
            }),
        )
        .await;
        assert!(
            abandoned.is_err(),
            "the second write should still be queued"
        );
        first
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|e| panic!("{e}"));
        // A later write goes through the same queue, so the abandoned one has been handled.
        writer
            .write(|c| {
                c.execute("INSERT INTO t (id, v) VALUES (3, 'later')", [])
                    .map_err(backend)
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let ids = readers
            .with(|c| {
                c.query_row("SELECT group_concat(id) FROM t", [], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(backend)
            })
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ids, "1,3");
    }

    #[tokio::test]
    async fn a_full_database_fails_the_write_with_its_own_error_and_the_writer_recovers() {
        let (_dir, writer, readers) = writer_with_table().await;
        let full = writer
            .write(|c| {
                let pages: i64 = c
                    .query_row("PRAGMA page_count", [], |r| r.get(0))
                    .map_err(backend)?;
                c.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
                    .map_err(backend)?;
                c.execute(
                    "INSERT INTO t (id, v) VALUES (1, ?1)",
                    ["x".repeat(1 << 20)],
                )
                .map_err(backend)
            })
            .await;
        match full {
            Err(StoreError::Backend(msg)) => assert!(msg.contains("full"), "{msg}"),
            other => panic!("expected a full database, got {other:?}"),
        }
        writer
            .write(|c| {
                c.query_row("PRAGMA max_page_count = 1000000", [], |_| Ok(()))
                    .map_err(backend)?;
                c.execute("INSERT INTO t (id, v) VALUES (2, 'fits')", [])
                    .map_err(backend)
            })
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(readers.with(count).unwrap_or_else(|e| panic!("{e}")), 1);
    }
}
