use super::*;
use mailsim_sim::log::{Actor, Event};

fn accounts() -> Vec<(String, String)> {
    vec![("alice@alice.example".into(), "apw".into()), ("bob@bob.example".into(), "bpw".into())]
}

fn actor(id: &str, kind: &str) -> Event {
    let actor = Actor {
        id: id.into(),
        name: id.into(),
        host: "h".into(),
        ip: "127.0.0.1".into(),
        kind: kind.into(),
        mailboxes: vec![],
    };
    Event::ActorJoined { actor }
}

fn opened(conn: u32) -> Event {
    crate::web::test_events::opened(conn, "POP3", 2110)
}

/// A POP3 line on `conn`.
fn line(conn: u32, to_server: bool, text: &str) -> Event {
    crate::web::test_events::sent(conn, to_server, ("POP3", 2110), format!("{text}\r\n").as_bytes(), text, "")
}

/// A POP3 session on `conn`, from an address of its own, that logs in as `user`.
fn session(feed: &Feed, conn: u32, user: &str, pass: &str) {
    feed.publish(&client_at(conn, &format!("10.1.0.{conn}")));
    feed.publish(&opened(conn));
    feed.publish(&line(conn, false, "+OK ready"));
    feed.publish(&line(conn, true, &format!("USER {user}")));
    feed.publish(&line(conn, false, "+OK"));
    feed.publish(&line(conn, true, &format!("PASS {pass}")));
    feed.publish(&line(conn, false, if pass.ends_with("pw") { "+OK locked" } else { "-ERR no" }));
    feed.publish(&line(conn, true, "STAT"));
}

/// Everything `v` gets from `cursor` on, as (seq, data, with id), reading in small batches.
fn drain(feed: &Feed, v: &Viewer, mut cursor: u64) -> Vec<(u64, String, bool)> {
    let mut out = vec![];
    loop {
        let b = feed.read(v, cursor, 3);
        out.extend(b.items.iter().map(|(e, id)| (e.seq, e.data.to_string(), *id)));
        if b.cursor == cursor {
            return out;
        }
        cursor = b.cursor;
    }
}

#[test]
fn the_instructor_sees_everything_in_order_redacted() {
    let feed = Feed::new(&accounts(), false, 1000);
    feed.publish(&actor("server", "server"));
    session(&feed, 1, "bob", "bpw");
    let got = drain(&feed, &Viewer::Instructor, 0);
    let seqs: Vec<u64> = got.iter().map(|g| g.0).collect();
    assert_eq!(seqs, (1..=feed.last()).collect::<Vec<_>>(), "every entry once, in order");
    assert!(got.iter().all(|g| g.2));
    let all: String = got.iter().map(|g| g.1.clone()).collect();
    assert!(!all.contains("bpw") && all.contains("PASS [redacted]"), "{all}");
    assert!(all.contains(r#"{"conn":1,"seq":9,"user":"bob@bob.example"}"#), "the owner entry: {all}");
    // Resuming from any id gives exactly the rest.
    for k in 0..feed.last() {
        let rest: Vec<u64> = drain(&feed, &Viewer::Instructor, k).iter().map(|g| g.0).collect();
        assert_eq!(rest, (k + 1..=feed.last()).collect::<Vec<_>>());
    }
    let shown = Feed::new(&accounts(), true, 1000);
    session(&shown, 1, "bob", "bpw");
    assert!(drain(&shown, &Viewer::Instructor, 0).iter().any(|g| g.1.contains("PASS bpw")));
}

#[test]
fn a_student_sees_only_their_own_sessions_each_event_once() {
    let feed = Feed::new(&accounts(), false, 1000);
    feed.publish(&actor("server", "server"));
    session(&feed, 1, "bob", "bpw");
    session(&feed, 2, "alice@alice.example", "apw");
    session(&feed, 3, "bob", "wrong");
    feed.publish(&line(1, true, "QUIT"));
    let bob = Viewer::Student("bob@bob.example".into());
    let got = drain(&feed, &bob, 0);
    let mut seqs: Vec<u64> = got.iter().filter(|g| !g.1.contains("\"user\"")).map(|g| g.0).collect();
    let n = seqs.len();
    seqs.sort();
    seqs.dedup();
    assert_eq!(seqs.len(), n, "nothing twice");
    let all: String = got.iter().map(|g| g.1.clone()).collect();
    assert!(all.contains("\"conn\":1") && !all.contains("\"conn\":2") && !all.contains("\"conn\":3"), "{all}");
    assert!(all.contains("client-1") && all.contains("\"server\""), "lifelines: {all}");
    assert!(all.contains("+OK ready") && all.contains("QUIT"), "the whole session, from its greeting: {all}");
    // The held-back events come without an id, then the owner entry with one.
    let owner = got.iter().position(|g| g.1.contains("\"user\"")).unwrap();
    assert!(got[owner].2 && !got[owner - 1].2);
    // Resuming after any id that was sent: what follows, nothing missed, nothing twice.
    resumes_exactly(&feed, &bob);
    let alice = drain(&feed, &Viewer::Student("alice@alice.example".into()), 0);
    assert!(alice.iter().all(|g| !g.1.contains("client-1") && !g.1.contains("client-3")));
}

#[test]
fn a_viewer_behind_the_history_is_told_and_catches_up() {
    let feed = Feed::new(&accounts(), false, 10);
    feed.publish(&actor("server", "server"));
    for c in 1..=5 {
        session(&feed, c, "bob", "bpw");
    }
    let b = feed.read(&Viewer::Instructor, 0, 100);
    let first = feed.last() - 9;
    assert_eq!(b.missed, first - 1);
    assert_eq!(b.items[0].0.seq, 1, "the server's lifeline is kept");
    assert!(!b.items[0].1);
    assert_eq!(b.items[1].0.seq, first);
    assert_eq!(b.cursor, feed.last());
    let small = Feed::with_limits(&accounts(), false, 1000, 200);
    session(&small, 1, "bob", "bpw");
    assert!(small.read(&Viewer::Instructor, 0, 100).missed > 0, "bounded in bytes too");
}

/// A class's connections come and go all day: what the feed keeps of them is bounded by its
/// history, not by how many there were (an owner is forgotten once its connection's close has
/// left the history), and a student still sees each of their sessions while it is in it.
#[test]
fn what_is_kept_of_closed_connections_is_bounded_by_the_history() {
    let feed = Feed::new(&accounts(), false, 50);
    feed.publish(&actor("server", "server"));
    for c in 1..=500 {
        session(&feed, c, if c % 2 == 0 { "bob" } else { "alice" }, if c % 2 == 0 { "bpw" } else { "apw" });
        feed.publish(&Event::ConnectionClosed { t: 0, conn: c, by: "client".into() });
    }
    let (owners, closes) = {
        let g = feed.inner.lock().unwrap();
        (g.owners.len(), g.closes.len())
    };
    assert!(owners <= 6 && closes <= 6, "{owners} owners, {closes} closes kept after 500 connections");
    // The sessions still in the history are their owners' as before.
    let bob = drain(&feed, &Viewer::Student("bob@bob.example".into()), 0);
    assert!(bob.iter().any(|g| g.1.contains("\"conn\":500")), "bob's last session: {bob:?}");
    assert!(!bob.iter().any(|g| g.1.contains("\"conn\":499")), "alice's is not bob's");
    // A connection still open keeps its owner, however long ago it logged in.
    let open = Feed::new(&accounts(), false, 50);
    session(&open, 1, "bob", "bpw");
    for c in 2..=100 {
        session(&open, c, "alice", "apw");
        open.publish(&Event::ConnectionClosed { t: 0, conn: c, by: "client".into() });
    }
    assert_eq!(open.inner.lock().unwrap().owners.get(&1).map(|o| o.0.as_str()), Some("bob@bob.example"));
    open.publish(&line(1, true, "QUIT"));
    let bob = drain(&open, &Viewer::Student("bob@bob.example".into()), open.last() - 1);
    assert!(bob.iter().any(|g| g.1.contains("QUIT")), "{bob:?}");
}

#[test]
fn logins_are_checked_against_the_accounts() {
    let feed = Feed::new(&accounts(), false, 10);
    assert_eq!(feed.check_login("bob", "bpw").as_deref(), Some("bob@bob.example"));
    assert_eq!(feed.check_login("Alice@alice.example", "apw").as_deref(), Some("alice@alice.example"));
    assert_eq!(feed.check_login("bob", "apw"), None);
    assert_eq!(feed.check_login("carol", "x"), None);
}

/// The server's lifeline lists every mailbox for the instructor, and only a student's own for
/// the student: nobody else's address, and no mailbox whose deliveries they are not sent.
#[test]
fn a_student_sees_only_their_own_mailbox_on_the_servers_lifeline() {
    let feed = Feed::new(&accounts(), false, 1000);
    let Event::ActorJoined { actor: mut server } = actor("server", "server") else { unreachable!() };
    server.mailboxes = vec!["alice@alice.example".into(), "bob@bob.example".into()];
    feed.publish(&Event::ActorJoined { actor: server });
    let mailboxes = |v: &Viewer| drain(&feed, v, 0).into_iter().find(|g| g.1.contains("actor_joined")).unwrap().1;
    let all = mailboxes(&Viewer::Instructor);
    assert!(all.contains("alice@alice.example") && all.contains("bob@bob.example"), "{all}");
    let bob = mailboxes(&Viewer::Student("bob@bob.example".into()));
    assert!(bob.contains(r#""mailboxes":["bob@bob.example"]"#) && !bob.contains("alice"), "{bob}");
    assert!(bob.starts_with(r#"{"seq":1,"event":{"event":"actor_joined""#), "{bob}");
    // A viewer who fell behind the ring gets the pinned lifeline the same way.
    let small = Feed::new(&accounts(), false, 2);
    let Event::ActorJoined { actor: mut server } = actor("server", "server") else { unreachable!() };
    server.mailboxes = vec!["alice@alice.example".into(), "bob@bob.example".into()];
    small.publish(&Event::ActorJoined { actor: server });
    session(&small, 1, "bob", "bpw");
    let b = small.read(&Viewer::Student("bob@bob.example".into()), 0, 100);
    assert!(b.missed > 0);
    assert!(!b.items.iter().any(|(e, _)| e.data.contains("alice")), "pinned, filtered");
}

/// Connection `conn`'s client, from `ip`.
fn client_at(conn: u32, ip: &str) -> Event {
    let Event::ActorJoined { mut actor } = actor(&format!("client-{conn}"), "ua") else { unreachable!() };
    actor.ip = ip.into();
    Event::ActorJoined { actor }
}

/// Connection `conn` from `ip`, refused over a limit, as `Hub::refused` records it.
fn refusal(feed: &Feed, conn: u32, ip: &str) {
    feed.refusing(conn, ip);
    feed.publish(&client_at(conn, ip));
    feed.publish(&opened(conn));
    let busy = format!("-ERR [SYS/TEMP] refused {conn}");
    feed.publish(&line(conn, false, &busy));
    feed.publish(&Event::ConnectionClosed { t: 0, conn, by: "server".into() });
}

/// A POP3 session on `conn`, from `ip`, that logs in as `user` (and goes on).
fn session_at(feed: &Feed, conn: u32, ip: &str, user: &str) {
    feed.publish(&client_at(conn, ip));
    feed.publish(&opened(conn));
    feed.publish(&line(conn, false, "+OK ready"));
    feed.publish(&line(conn, true, &format!("USER {user}")));
    feed.publish(&line(conn, false, "+OK"));
    feed.publish(&line(conn, true, "PASS x"));
    feed.publish(&line(conn, false, "+OK locked"));
}

/// A feed with three students (alice, bob, carol; password "x") and the server's lifeline.
fn class_feed() -> Feed {
    let accounts: Vec<(String, String)> =
        ["alice@alice.example", "bob@bob.example", "carol@alice.example"].map(|a| (a.into(), "x".into())).into();
    let feed = Feed::new(&accounts, false, 1000);
    feed.publish(&actor("server", "server"));
    feed
}

/// `v`'s stream resumed after any id it was sent gives exactly what followed it.
fn resumes_exactly(feed: &Feed, v: &Viewer) {
    let got = drain(feed, v, 0);
    for (i, g) in got.iter().enumerate().filter(|(_, g)| g.2) {
        let rest: Vec<u64> = drain(feed, v, g.0).iter().map(|g| g.0).collect();
        let expected: Vec<u64> = got[i + 1..].iter().map(|g| g.0).collect();
        assert_eq!(rest, expected, "{v:?} after {}", g.0);
    }
}

/// The refusals a student is sent: those of the addresses they were seen at before (a
/// connection that logged in as them, their page's stream), each record once, in order, with
/// an id; nobody else's; the same after a resumption from any id.
#[test]
fn a_student_sees_the_refusals_of_their_addresses() {
    let feed = class_feed();
    // Nobody was seen at 10.0.0.2 yet: nobody's (but the instructor's).
    refusal(&feed, 1, "10.0.0.2");
    session_at(&feed, 2, "10.0.0.2", "bob");
    refusal(&feed, 3, "10.0.0.2");
    session_at(&feed, 4, "10.0.0.3", "alice");
    refusal(&feed, 5, "10.0.0.3");
    // Carol's page reads the stream from 10.0.0.4 (no mail client of hers logged in yet).
    feed.student_at("carol@alice.example", "10.0.0.4");
    refusal(&feed, 6, "10.0.0.4");
    // Bob's connection 2 is still open: bob is seen at 10.0.0.2 whatever happens to it.
    feed.publish(&Event::ConnectionClosed { t: 0, conn: 2, by: "client-2".into() });
    refusal(&feed, 7, "10.0.0.2");
    let refused = |v: &Viewer| -> Vec<u32> {
        let got = drain(&feed, v, 0);
        (1..=7).filter(|c| got.iter().any(|g| g.1.contains(&format!("refused {c}")))).collect()
    };
    assert_eq!(refused(&Viewer::Instructor), vec![1, 3, 5, 6, 7]);
    let bob = Viewer::Student("bob@bob.example".into());
    assert_eq!(refused(&bob), vec![3, 7]);
    assert_eq!(refused(&Viewer::Student("alice@alice.example".into())), vec![5]);
    assert_eq!(refused(&Viewer::Student("carol@alice.example".into())), vec![6]);
    // Bob gets each of his refusals' records (its client, opened, the reply, closed) in order,
    // each with an id; nothing of refusal 1 (before he was seen there) nor of alice's.
    let got = drain(&feed, &bob, 0);
    let all: String = got.iter().map(|g| format!("{}\n", g.1)).collect();
    for c in [3, 7] {
        let lines = all.lines().filter(|l| l.contains(&format!("client-{c}\""))).count();
        assert_eq!(lines, 3, "actor, opened, reply: {all}");
        assert!(all.contains(&format!("\"conn\":{c},\"by\":\"server\"")), "closed: {all}");
    }
    assert!(!all.contains("client-1\"") && !all.contains("client-4") && !all.contains("client-5"), "{all}");
    let seqs: Vec<u64> = got.iter().map(|g| g.0).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order, once: {seqs:?}");
    let of = |c: u32| {
        move |g: &&(u64, String, bool)| {
            g.1.contains(&format!("client-{c}\"")) || g.1.contains(&format!("\"conn\":{c},"))
        }
    };
    for c in [3, 7] {
        assert_eq!(got.iter().filter(of(c)).count(), 4);
        assert!(got.iter().filter(of(c)).all(|g| g.2), "each with an id");
    }
    resumes_exactly(&feed, &bob);
    // Seen again later (another page, another login) changes nothing already published.
    feed.student_at("bob@bob.example", "10.0.0.3");
    feed.student_at("bob@bob.example", "10.0.0.2");
    assert_eq!(refused(&bob), vec![3, 7]);
    refusal(&feed, 8, "10.0.0.3");
    let got = drain(&feed, &bob, 0);
    assert!(got.iter().any(|g| g.1.contains("refused 8")), "bob is at 10.0.0.3 from his page on");
    assert!(!drain(&feed, &Viewer::Student("carol@alice.example".into()), 0).iter().any(|g| g.1.contains("refused 8")));
}

/// The notes at a flood's end: each address's goes to the students seen there (and the
/// instructor), the total to the instructor only; the next note is not scoped by the last.
#[test]
fn a_floods_note_per_address_goes_to_the_students_seen_there() {
    let feed = class_feed();
    session_at(&feed, 1, "10.0.0.2", "bob");
    session_at(&feed, 2, "10.0.0.3", "alice");
    let note = |text: &str| Event::Narrated { t: 0, actor: "server".into(), text: text.into() };
    feed.addressed("10.0.0.2");
    feed.publish(&note("note-2"));
    feed.addressed("10.0.0.9");
    feed.publish(&note("note-9"));
    feed.publish(&note("note-total"));
    let notes = |v: &Viewer| -> Vec<String> {
        drain(&feed, v, 0).iter().filter_map(|g| g.1.split("note-").nth(1).map(|r| r[..1].to_string())).collect()
    };
    assert_eq!(notes(&Viewer::Instructor), ["2", "9", "t"]);
    assert_eq!(notes(&Viewer::Student("bob@bob.example".into())), ["2"]);
    assert!(notes(&Viewer::Student("alice@alice.example".into())).is_empty());
    resumes_exactly(&feed, &Viewer::Student("bob@bob.example".into()));
}

/// A POP3 connection from `ip` that does not log in (a wrong password), closed by the client.
fn anonymous_at(feed: &Feed, conn: u32, ip: &str) {
    feed.publish(&client_at(conn, ip));
    feed.publish(&opened(conn));
    feed.publish(&line(conn, false, &format!("+OK ready {conn}")));
    feed.publish(&line(conn, true, "USER someone"));
    feed.publish(&line(conn, false, "+OK"));
    feed.publish(&line(conn, true, "PASS wrong"));
    feed.publish(&line(conn, false, "-ERR [AUTH] no"));
    feed.publish(&Event::ConnectionClosed { t: 0, conn, by: format!("client-{conn}") });
}

/// Connections that never log in: the student seen alone at their address sees them live;
/// nobody else does, and nobody where two students share the address; a login later makes the
/// rest its owner's, each event sent once to each viewer, in order, the same after resuming.
#[test]
fn a_student_sees_the_connections_without_a_login_from_their_address_when_alone_there() {
    let feed = class_feed();
    // Bob's page reads the stream from 10.0.0.2; his socket program connects from there.
    feed.student_at("bob@bob.example", "10.0.0.2");
    anonymous_at(&feed, 1, "10.0.0.2");
    // Nobody is seen at 10.0.0.9.
    anonymous_at(&feed, 2, "10.0.0.9");
    // Bob's mail client logs in from his machine: his from its first event, each event once.
    session_at(&feed, 3, "10.0.0.2", "bob");
    feed.publish(&line(3, true, "QUIT"));
    feed.publish(&Event::ConnectionClosed { t: 0, conn: 3, by: "client-3".into() });
    // Carol's connection 4 opens from 10.0.0.7 before her page is seen there: not hers.
    feed.publish(&client_at(4, "10.0.0.7"));
    feed.publish(&opened(4));
    feed.student_at("carol@alice.example", "10.0.0.7");
    feed.publish(&line(4, false, "+OK ready 4"));
    feed.publish(&Event::ConnectionClosed { t: 0, conn: 4, by: "client-4".into() });
    anonymous_at(&feed, 5, "10.0.0.7");
    // Alice's client on bob's machine: bob is shown its start and its close, alice all of it.
    session_at(&feed, 6, "10.0.0.2", "alice");
    feed.publish(&line(6, true, "RETR 1"));
    feed.publish(&Event::ConnectionClosed { t: 0, conn: 6, by: "client-6".into() });
    // Two students have now been seen at 10.0.0.2: whose this is cannot be told.
    anonymous_at(&feed, 7, "10.0.0.2");

    let bob = Viewer::Student("bob@bob.example".into());
    let alice = Viewer::Student("alice@alice.example".into());
    let carol = Viewer::Student("carol@alice.example".into());
    let conns = |v: &Viewer| -> Vec<u32> {
        let got = drain(&feed, v, 0);
        (1..=7).filter(|c| got.iter().any(|g| g.1.contains(&format!("\"conn\":{c},")))).collect()
    };
    assert_eq!(conns(&Viewer::Instructor), vec![1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(conns(&bob), vec![1, 3, 6]);
    assert_eq!(conns(&alice), vec![6]);
    assert_eq!(conns(&carol), vec![5]);
    let records = |v: &Viewer, c: u32| -> Vec<String> {
        drain(&feed, v, 0)
            .into_iter()
            .filter(|g| g.1.contains(&format!("client-{c}\"")) || g.1.contains(&format!("\"conn\":{c},")))
            .map(|g| g.1)
            .collect()
    };
    // Connection 1, bob's, whole: its client, opened, five lines, closed; live, each with an id.
    let one = records(&bob, 1);
    assert_eq!(one.len(), 8, "{one:?}");
    assert!(one[6].contains("-ERR [AUTH] no") && one[7].contains("connection_closed"), "{one:?}");
    assert!(one.iter().all(|r| !r.contains("PASS wrong")), "redacted: {one:?}");
    // Connection 3, bob's by address and by login: each record once, and the owner entry.
    let three = records(&bob, 3);
    let mut unique = three.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), three.len(), "nothing twice: {three:?}");
    assert_eq!(three.len(), 10, "client, opened, five lines, owner, QUIT, closed: {three:?}");
    // Connection 6: bob sees it up to alice's login, and its close; alice sees all of it.
    let six_bob = records(&bob, 6);
    assert!(six_bob.iter().any(|r| r.contains("USER alice")) && six_bob.last().unwrap().contains("connection_closed"));
    assert!(!six_bob.iter().any(|r| r.contains("RETR 1") || r.contains("\"user\"")), "{six_bob:?}");
    let six_alice = records(&alice, 6);
    assert!(six_alice.iter().any(|r| r.contains("+OK ready")) && six_alice.iter().any(|r| r.contains("RETR 1")));
    assert!(six_alice.last().unwrap().contains("connection_closed"), "{six_alice:?}");
    // In order and once for every viewer; the same from every id on.
    for v in [&bob, &alice, &carol] {
        let got = drain(&feed, v, 0);
        let mut seqs: Vec<u64> = got.iter().map(|g| g.0).collect();
        let n = seqs.len();
        seqs.sort();
        seqs.dedup();
        assert_eq!(seqs.len(), n, "nothing twice for {v:?}");
        resumes_exactly(&feed, v);
    }
}
