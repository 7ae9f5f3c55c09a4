//! `mailsim serve --log FILE`: the playground's event log (JSON lines), appended as it grows.
//!
//! Events go through a channel to a writer thread, so no session waits for the disk and no
//! lock is held across the write. Each event costs one serialization and one buffered
//! append (O(1) in the log's length); the buffer is flushed whenever the writer has nothing
//! more queued, and at least when a connection closes, so the file can be read (and opened
//! in the page) while it grows.

use mailsim_sim::log::{Event, EventLog};
use std::io::Write;
use std::path::Path;
use std::sync::mpsc;

enum Msg {
    Event(Box<Event>),
    /// A line as it is (an owner record, [`mailsim_sim::log::owner_record`]).
    Line(String),
    Flush,
}

/// The sending side of the log's writer thread.
pub struct LogWriter {
    tx: mpsc::Sender<Msg>,
    thread: std::thread::JoinHandle<()>,
}

impl LogWriter {
    /// Creates (or empties) `path`, writes the log's header line and starts the writer.
    pub fn create(path: &Path) -> Result<Self, String> {
        let file = std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
        let header = EventLog { scenario: "serve".into(), seed: 0, epoch: 0, events: vec![] }.to_jsonl();
        out.write_all(header.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let (tx, rx) = mpsc::channel::<Msg>();
        let thread = std::thread::spawn(move || {
            let mut broken = false;
            while let Ok(first) = rx.recv() {
                let mut next = Some(first);
                // Everything queued now, then one flush.
                while let Some(m) = next {
                    let line = match (m, broken) {
                        (Msg::Event(e), false) => Some(serde_json::to_string(&e).unwrap_or_default()),
                        (Msg::Line(l), false) => Some(l),
                        _ => None,
                    };
                    if let Some(line) = line {
                        if let Err(err) = out.write_all(line.as_bytes()).and_then(|()| out.write_all(b"\n")) {
                            eprintln!("mailsim: cannot write the log: {err}");
                            broken = true;
                        }
                    }
                    next = rx.try_recv().ok();
                }
                if !broken {
                    if let Err(err) = out.flush() {
                        eprintln!("mailsim: cannot write the log: {err}");
                        broken = true;
                    }
                }
            }
            let _ = out.flush();
        });
        Ok(LogWriter { tx, thread })
    }

    pub fn log(&self, e: Event) {
        let _ = self.tx.send(Msg::Event(Box::new(e)));
    }

    /// Connection `conn` logged in as `user` (read back by `EventLog::from_jsonl`, which names
    /// the connection's client after it, as the live view does).
    pub fn owner(&self, conn: u32, user: &str) {
        let _ = self.tx.send(Msg::Line(mailsim_sim::log::owner_record(conn, user)));
    }

    /// Asks for a flush (the writer flushes anyway when it has caught up).
    pub fn flush(&self) {
        let _ = self.tx.send(Msg::Flush);
    }

    /// Writes what is queued and waits for the file to be complete.
    pub fn finish(self) {
        drop(self.tx);
        let _ = self.thread.join();
    }
}
