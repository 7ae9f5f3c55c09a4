//! The disk thread of `mailsim serve --maildir`, and what the session tasks are handed: output
//! with the ticket that holds it back until what it acknowledges is on disk.
//!
//! Each step's changes are a job, numbered in the order the steps took the host's lock (the
//! jobs are queued under it). The disk thread writes whatever is queued together (one
//! directory and index fsync for many messages: group commit) and then says how far it got
//! ([`DiskQueue::submit`]'s [`Ticket`]s wait for that number). Because the numbers only grow
//! and each session's output is queued in lock order, a session's replies are written in the
//! order they were decided, each once everything before it is on disk.

use crate::maildir::Maildir;
use mailsim_proto::store::StoreChange;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// What a session task is told to do with its socket.
pub enum Out {
    Bytes(Vec<u8>),
    /// The engine's go-ahead for STARTTLS/STLS was written: the TLS handshake comes next.
    StartTls,
    /// The engine ended the session: close after what was written.
    Close,
}

/// What a session task is handed: an instruction, to carry out once the disk got as far as
/// the step that made it needed ([`Item::ready`]).
pub struct Item {
    pub out: Out,
    pub after: Option<Ticket>,
    /// Made by a step of this session: if the changes it waits for could not be written, it
    /// is not sent (the step takes its acknowledgement back, see [`super::Shared::with`]).
    pub own: bool,
}

impl Item {
    /// The instruction, once it may be carried out; `None` if it is to be dropped.
    pub async fn ready(self) -> Option<Out> {
        match &self.after {
            Some(t) if t.wait().await.is_err() && self.own => None,
            _ => Some(self.out),
        }
    }
}

pub type Outbox = mpsc::UnboundedSender<Item>;

/// How far the disk thread got, and which jobs it could not write.
struct Progress {
    /// The last job on disk (or failed): every job up to it is finished.
    done: watch::Sender<u64>,
    /// Failed jobs and why (rare: a full or broken disk).
    failed: Mutex<BTreeMap<u64, String>>,
}

/// A point in the disk thread's work that output waits for.
#[derive(Clone)]
pub struct Ticket {
    job: u64,
    progress: Arc<Progress>,
}

impl Ticket {
    /// Waits until the job is finished: `Err` if it could not be written.
    pub async fn wait(&self) -> Result<(), String> {
        let mut rx = self.progress.done.subscribe();
        // The sender lives as long as this ticket's `progress`: the wait ends.
        let _ = rx.wait_for(|d| *d >= self.job).await;
        match self.progress.failed.lock().unwrap_or_else(|e| e.into_inner()).get(&self.job) {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

/// Changes for the disk thread (see the module's documentation).
pub struct DiskQueue {
    tx: std::sync::mpsc::Sender<(u64, Vec<StoreChange>)>,
    /// The last job queued; incremented under the host's lock.
    submitted: AtomicU64,
    progress: Arc<Progress>,
}

impl DiskQueue {
    /// Starts the disk thread; `delay` (a test hook) slows each of its writes.
    pub fn start(mut maildir: Maildir, delay: Option<Duration>) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<(u64, Vec<StoreChange>)>();
        let progress = Arc::new(Progress { done: watch::channel(0).0, failed: Mutex::new(BTreeMap::new()) });
        let p = progress.clone();
        std::thread::spawn(move || {
            while let Ok((first, changes)) = rx.recv() {
                // Everything queued by now goes to disk together (an empty list is the stop's
                // barrier: what the store holds in memory is written).
                let (mut last, mut all) = (first, changes);
                let mut jobs = vec![first];
                while let Ok((n, more)) = rx.try_recv() {
                    all.extend(more);
                    jobs.push(n);
                    last = n;
                }
                if let Some(d) = delay {
                    std::thread::sleep(d);
                }
                let r = catch_unwind(AssertUnwindSafe(|| maildir.apply(&all)))
                    .unwrap_or_else(|_| Err(std::io::Error::other("the disk thread failed")));
                if let Err(e) = r {
                    let mut failed = p.failed.lock().unwrap_or_else(|e| e.into_inner());
                    failed.extend(jobs.iter().map(|&j| (j, e.to_string())));
                }
                p.done.send_replace(last);
            }
        });
        DiskQueue { tx, submitted: AtomicU64::new(0), progress }
    }

    /// Called under the host's lock with a step's changes: what the step's output must wait
    /// for (its own changes, and those of earlier steps still being written), or `None` when
    /// everything is on disk already. `barrier`: queue a job even without changes.
    pub fn submit(&self, changes: Vec<StoreChange>, barrier: bool) -> Option<Ticket> {
        let last = if !changes.is_empty() || barrier {
            let n = self.submitted.fetch_add(1, Ordering::AcqRel) + 1;
            if self.tx.send((n, changes)).is_err() {
                self.progress
                    .failed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(n, "the disk thread is gone".into());
                self.progress.done.send_modify(|d| *d = (*d).max(n));
            }
            n
        } else {
            self.submitted.load(Ordering::Acquire)
        };
        (*self.progress.done.borrow() < last).then(|| Ticket { job: last, progress: self.progress.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mailsim_proto::store::MailStore;

    const A: &str = "alice@a.example";

    fn bytes(o: Option<Out>) -> Option<Vec<u8>> {
        match o {
            Some(Out::Bytes(b)) => Some(b),
            _ => None,
        }
    }

    /// Output waits for its job (and for the jobs before it); when a job cannot be written,
    /// the output of the step that made it is dropped, the others' is sent.
    #[tokio::test]
    async fn output_waits_for_the_disk_and_a_failed_steps_own_output_is_dropped() {
        let dir = std::env::temp_dir().join(format!("mailsim-disk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (mut m, _) = Maildir::open(&dir).unwrap();
        let mut s = MailStore::default();
        s.add_account(A, "pw");
        m.load(&mut s).unwrap();
        s.record_changes();
        let q = DiskQueue::start(m, Some(Duration::from_millis(200)));
        let item = |t: &Ticket, own: bool| Item { out: Out::Bytes(b"250 ok".to_vec()), after: Some(t.clone()), own };
        s.deliver(A, b"one".to_vec());
        let t = q.submit(s.take_changes(), false).expect("a write in flight");
        let after = q.submit(vec![], false).expect("a step without changes waits for the write before it");
        let early = tokio::time::timeout(Duration::from_millis(50), item(&after, false).ready()).await;
        assert!(early.is_err(), "not before the disk");
        assert_eq!(bytes(item(&t, true).ready().await).as_deref(), Some(&b"250 ok"[..]));
        assert!(q.submit(vec![], false).is_none(), "everything on disk: nothing to wait for");
        // A write that fails: the folder's directory is a file now.
        std::fs::remove_dir_all(dir.join(A)).unwrap();
        std::fs::write(dir.join(A), b"not a directory").unwrap();
        s.deliver(A, b"two".to_vec());
        let t = q.submit(s.take_changes(), false).unwrap();
        assert!(t.wait().await.is_err());
        assert!(item(&t, true).ready().await.is_none(), "the acknowledgement is taken back");
        assert!(item(&t, false).ready().await.is_some(), "another session's output goes on");
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_file(&dir);
    }
}
