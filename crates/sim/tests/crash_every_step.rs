//! Crash each server at every step of alice-to-bob (issue 13): before and after every event
//! of the story, Alice's server or Bob's server dies (connections reset, mailboxes and queue
//! kept) and restarts 90 seconds later. Whatever happens, nothing a server took is lost, and
//! Bob gets a second copy only where a crash swallowed a 250 (RFC 5321 §6.1: at-least-once).
#![cfg(not(target_arch = "wasm32"))]

use mailsim_sim::actions::{Action, Fault};
use mailsim_sim::log::Event;
use mailsim_sim::{scenario, EventLog};

const SUBJECT: &str = "Catch up this week?";

struct Outcome {
    /// Copies stored in Bob's mailbox.
    stored: usize,
    /// Alice's server took the message (queued it).
    taken: bool,
    /// Alice's user agent saw the 250.
    ua_sent: bool,
    /// The UA told Alice something went wrong.
    ua_error: bool,
    /// Relay attempts whose end-of-data reply never arrived.
    lost_250: usize,
    queued: usize,
    removed: usize,
}

fn outcome(log: &EventLog) -> Outcome {
    let narrated = |actor: &str, text: &str| {
        log.events
            .iter()
            .any(|e| matches!(e, Event::Narrated { actor: a, text: t, .. } if a == actor && t.contains(text)))
    };
    let count = |f: &dyn Fn(&Event) -> bool| log.events.iter().filter(|e| f(e)).count();
    Outcome {
        stored: count(&|e| {
            matches!(e, Event::MessageStored { node, mailbox, subject, .. }
                if node == "bob-server" && mailbox == "bob@bob.example" && subject == SUBJECT)
        }),
        taken: count(&|e| matches!(e, Event::MessageQueued { node, .. } if node == "alice-server")) > 0,
        ua_sent: narrated("alice-ua", "message sent"),
        ua_error: narrated("alice-ua", "error") || narrated("alice-ua", "was lost"),
        lost_250: count(&|e| matches!(e, Event::MessageDeferred { reason, .. } if reason.contains("more than once"))),
        queued: count(&|e| matches!(e, Event::MessageQueued { .. })),
        removed: count(&|e| matches!(e, Event::QueueEntryRemoved { outcome, .. } if outcome.starts_with("delivered"))),
    }
}

fn run(faults: &[(u64, &str, Fault)]) -> EventLog {
    let actions: Vec<Action> = faults
        .iter()
        .map(|(at, server, fault)| Action::Fault { at: *at, server: server.to_string(), fault: *fault })
        .collect();
    scenario::run_with("alice-to-bob", &actions).expect("alice-to-bob is built in")
}

/// What every run must show, wherever the crash fell.
fn check(what: &str, o: &Outcome) {
    if o.taken {
        assert!(o.stored >= 1, "{what}: Alice's server took the message, and Bob never got it");
        assert_eq!(o.queued, o.removed, "{what}: a queue entry was not delivered");
    } else {
        assert_eq!(o.stored, 0, "{what}: delivered without being taken");
        assert!(o.ua_error, "{what}: the message was not taken and Alice was not told");
    }
    assert!(!o.ua_sent || o.taken, "{what}: the user agent saw a 250 for a message nobody took");
    assert!(o.stored <= 1 + o.lost_250, "{what}: {} copies, but only {} 250(s) were lost", o.stored, o.lost_250);
}

#[test]
fn crashing_either_server_at_any_step_loses_nothing_and_duplicates_only_after_a_lost_250() {
    let base = scenario::run("alice-to-bob").unwrap();
    let mut times: Vec<u64> =
        base.events.iter().filter(|e| !matches!(e, Event::ActorJoined { .. })).map(Event::time).collect();
    times.extend(times.clone().iter().map(|t| t + 1));
    times.sort_unstable();
    times.dedup();
    assert!(times.len() > 60, "alice-to-bob has its steps ({})", times.len());
    let (mut runs, mut duplicates, mut not_taken) = (0, 0, 0);
    for server in ["alice-server", "bob-server"] {
        for &t in &times {
            let log = run(&[(t, server, Fault::Crash), (t + 90_000, server, Fault::Up)]);
            let o = outcome(&log);
            check(&format!("{server} crashes at {t} ms"), &o);
            runs += 1;
            duplicates += usize::from(o.stored > 1);
            not_taken += usize::from(!o.taken);
        }
    }
    println!(
        "{runs} runs: {not_taken} before the submission was taken, {duplicates} with a duplicate after a lost 250"
    );
    // The crashes did land in the interesting places: some before Alice's server took the
    // message, and some between Bob's server taking it and its 250 arriving.
    assert!(not_taken > 0, "no crash stopped the submission ({runs} runs)");
    assert!(duplicates > 0, "no crash swallowed a 250 ({runs} runs)");
}

#[test]
fn a_crash_before_the_submission_250_still_delivers_once() {
    // Alice's server queues the message and dies before its 250: Alice is told of an error,
    // but the message was taken, and it is delivered after the restart, once.
    let log = run(&[(0, "alice-server", Fault::CrashBeforeReply), (60_000, "alice-server", Fault::Up)]);
    let o = outcome(&log);
    check("alice-server crashes before its 250", &o);
    assert!(o.taken && !o.ua_sent && o.ua_error);
    assert_eq!(o.stored, 1);
}

#[test]
fn a_crash_before_the_relay_250_delivers_twice() {
    let log = run(&[(0, "bob-server", Fault::CrashBeforeReply), (60_000, "bob-server", Fault::Up)]);
    let o = outcome(&log);
    check("bob-server crashes before its 250", &o);
    assert_eq!((o.stored, o.lost_250), (2, 1));
    let deferred = log.events.iter().find_map(|e| match e {
        Event::MessageDeferred { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(
        deferred.as_deref(),
        Some("lost connection with mail.bob.example[198.51.100.25] while sending end of data -- message may be sent more than once")
    );
}

#[test]
fn the_scenario_shows_the_duplicate_and_says_why() {
    let log = scenario::run("crash-before-250").unwrap();
    let o = outcome(&log);
    assert_eq!((o.stored, o.lost_250, o.queued, o.removed), (2, 1, 1, 1));
    let downloaded = log
        .events
        .iter()
        .filter(|e| matches!(e, Event::MessageDownloaded { subject, .. } if subject == SUBJECT))
        .count();
    assert_eq!(downloaded, 2, "Bob's mail program downloads both copies");
    let narration: String = log
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Narrated { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    for needle in ["crashes before its 250", "RFC 5321 §6.1", "§4.5.4.1", "twice"] {
        assert!(narration.contains(needle), "the narration says {needle:?}:\n{narration}");
    }
}
