//! What IMAP commands and responses mean, for the learner. To add a command: one arm in
//! [`command`] (and, if its response says something of its own, one in [`response`]).

use crate::engine::Closing;
use crate::explain::{ex, shorten, shortened, Explanation};

pub fn command(name: &str, line: &str) -> Explanation {
    let label = shorten(line, 72);
    let (meaning, rfc) = match name {
        "CAPABILITY" => ("Asks which capabilities the server has (IMAP4rev2, STARTTLS, AUTH=...).", "RFC 9051 §6.1.1"),
        "NOOP" => ("Does nothing, but lets the server report changes to the selected mailbox.", "RFC 9051 §6.1.2"),
        "LOGOUT" => ("Ends the session: the server says BYE and closes the connection.", "RFC 9051 §6.1.3"),
        "STARTTLS" => ("Asks to start TLS on this connection; after the OK, both sides negotiate TLS and everything after is encrypted.", "RFC 9051 §6.2.1"),
        "AUTHENTICATE" => ("Starts a SASL authentication exchange. With SCRAM-SHA-256 the password never crosses the network: both sides prove they know it. The client's first message may follow on the same line (an initial response, as in RFC 9051 §8's sample) or come after the server's empty \"+\".", "RFC 9051 §6.2.2; RFC 7677"),
        "LOGIN" => ("Logs in with a user name and a password in the clear: only acceptable inside TLS.", "RFC 9051 §6.2.3"),
        "ENABLE" => ("Turns on an extension for this session; ENABLE IMAP4rev2 asks for the IMAP4rev2 behaviour (for example ESEARCH results), ENABLE QRESYNC for quick resynchronization (VANISHED instead of EXPUNGE).", "RFC 9051 §6.3.1; RFC 5161; RFC 7162 §3.2.3"),
        "SELECT" => ("Opens a mailbox for reading and changing; the server reports how many messages it holds, the flags, UIDVALIDITY and UIDNEXT.", "RFC 9051 §6.3.2"),
        "EXAMINE" => ("Opens a mailbox read-only: nothing can change, not even \\Seen.", "RFC 9051 §6.3.3"),
        "LIST" => ("Asks for the names of mailboxes (folders).", "RFC 9051 §6.3.9"),
        "NAMESPACE" => ("Asks how mailbox names are organized (prefix and hierarchy delimiter).", "RFC 9051 §6.3.10"),
        "FETCH" if line.to_ascii_uppercase().contains("FULL") => ("Fetches data about a message; FULL is a macro for FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY: the flags, arrival date, size, parsed header and MIME structure, without downloading the body.", "RFC 9051 §6.4.5"),
        "FETCH" if line.to_ascii_uppercase().contains("HEADER") => ("Fetches only the header of a message: a client can show the list of mails without downloading them whole.", "RFC 9051 §6.4.5"),
        "FETCH" if line.to_ascii_uppercase().contains("CHANGEDSINCE") => ("Fetches only the messages changed since a mod-sequence the client remembers (and, with VANISHED, the UIDs expunged since): how a client syncs without downloading every flag again.", "RFC 7162 §3.1.4.1, §3.2.6"),
        "FETCH" if line.to_ascii_uppercase().contains("BINARY") => ("Fetches a body part with its transfer encoding (base64, quoted-printable) undone by the server: the client gets the octets themselves.", "RFC 3516 §4.2; RFC 9051 §6.4.5"),
        "FETCH" => ("Fetches data about messages (flags, sizes, headers, bodies, structure).", "RFC 9051 §6.4.5"),
        "STORE" if line.to_ascii_uppercase().contains("UNCHANGEDSINCE") => ("Changes flags only on messages not changed since the given mod-sequence: if another client changed one meanwhile, it is left alone and listed in MODIFIED.", "RFC 7162 §3.1.3"),
        "STORE" => ("Changes the flags of messages; +FLAGS \\Deleted marks a message for removal, which EXPUNGE or CLOSE then carries out.", "RFC 9051 §6.4.6"),
        "SEARCH" => ("Searches the mailbox on the server: only the matching message numbers come back.", "RFC 9051 §6.4.4"),
        "EXPUNGE" => ("Permanently removes the messages flagged \\Deleted.", "RFC 9051 §6.4.3"),
        "CLOSE" => ("Closes the mailbox, removing messages flagged \\Deleted, and returns to the Authenticated state.", "RFC 9051 §6.4.1"),
        "UNSELECT" => ("Closes the mailbox without removing anything.", "RFC 9051 §6.4.2"),
        "IDLE" => ("The client waits for news: while idling, the server reports changes (new mail, flags set from another device) the moment they happen, instead of the client polling.", "RFC 9051 §6.3.13; RFC 2177"),
        "DONE" => ("Ends IDLE, so the client can send commands again.", "RFC 9051 §6.3.13"),
        "CHECK" => ("Asks for a checkpoint of the selected mailbox (an IMAP4rev1 command; IMAP4rev2 dropped it, as servers save at once). Mbsync sends it at the end of a sync.", "RFC 3501 §6.4.1"),
        "LSUB" => ("Asks for the subscribed mailbox names that match the pattern: the folders the user chose to see. IMAP4rev1 clients use it; IMAP4rev2 asks LIST (SUBSCRIBED) instead.", "RFC 3501 §6.3.9"),
        "SUBSCRIBE" => ("Adds a mailbox name to the user's subscriptions, the folders a client shows (LSUB, LIST (SUBSCRIBED)).", "RFC 9051 §6.3.7"),
        "UNSUBSCRIBE" => ("Removes a mailbox name from the user's subscriptions; the mailbox itself stays.", "RFC 9051 §6.3.8"),
        "ID" => ("The client says which program it is (name, version...) and asks the server to say the same: used for statistics and for working around bugs, never for access decisions.", "RFC 2971 §3.1"),
        "CREATE" => ("Creates a mailbox (folder). A name with the hierarchy delimiter, such as Work/2026, creates the folders above it too; a trailing / only says that folders will be created below it.", "RFC 9051 §6.3.4"),
        "DELETE" => ("Deletes a mailbox and its messages. The folders below it stay; INBOX cannot be deleted. A folder created again later gets a new UIDVALIDITY, so clients do not mix up its UIDs.", "RFC 9051 §6.3.5"),
        "RENAME" => ("Renames a mailbox, with the folders below it; renaming INBOX moves its messages to the new folder and leaves INBOX empty.", "RFC 9051 §6.3.6"),
        "STATUS" => ("Asks for counts of a mailbox (messages, unseen, next UID...) without selecting it.", "RFC 9051 §6.3.11"),
        "APPEND" => ("Uploads a message into a mailbox (for example a sent message into Sent); the answer's APPENDUID gives its UID.", "RFC 9051 §6.3.12; RFC 4315 §3"),
        "COPY" => ("Copies messages to another mailbox; COPYUID in the answer maps old UIDs to new ones.", "RFC 9051 §6.4.7; RFC 4315 §3"),
        "MOVE" => ("Moves messages to another mailbox in one step (copy, then expunge the originals), so nothing is left half done.", "RFC 9051 §6.4.8; RFC 6851"),
        "UID EXPUNGE" => ("Removes only the listed messages (by UID) among those flagged \\Deleted, so that another client's \\Deleted marks are left alone.", "RFC 4315 §2.1; RFC 9051 §6.4.9"),
        "SORT" => ("Searches, then returns the matching messages sorted on the server (by date, sender, subject...), so the client need not download headers to sort.", "RFC 5256 §3"),
        "THREAD" => ("Searches, then groups the matching messages into conversations: ORDEREDSUBJECT by subject, REFERENCES by the References and In-Reply-To fields.", "RFC 5256 §3, §4"),
        "GETQUOTAROOT" => ("Asks which quota applies to a mailbox and how much of it is used: here one STORAGE quota, in KiB, for the whole account.", "RFC 9208 §4.3.2"),
        "GETQUOTA" => ("Asks how much of a quota root is used and what its limit is.", "RFC 9208 §4.3.1"),
        _ => ("A line the server could not parse as an IMAP command: it answers BAD.", "RFC 9051 §7.1.3"),
    };
    ex(label, meaning, rfc)
}

pub fn response(command: &str, status: &str, untagged: usize, first: &str) -> Explanation {
    let mut label = shorten(status, 60);
    if untagged > 0 {
        label = format!("{} (+{untagged} untagged)", shorten(status, 48));
    }
    let word = status.split(' ').nth(1).unwrap_or("");
    let (meaning, rfc): (String, &str) = match (command, word) {
        ("greeting", _) => (format!("The server greets and lists its capabilities in a response code: {}", shorten(first, 120)), "RFC 9051 §7.1.1, §7.2.2"),
        (_, "BAD") => ("BAD: the command was not understood (bad syntax, unknown command, or not allowed in this state). The text says why.".into(), "RFC 9051 §7.1.3"),
        (_, "NO") => ("NO: the command was understood but failed; the response code in brackets says why.".into(), "RFC 9051 §7.1.2, §7.1"),
        ("SELECT" | "EXAMINE", _) => ("The mailbox is selected: EXISTS gives the number of messages, FLAGS the flags in use, UIDVALIDITY and UIDNEXT the UID bookkeeping, HIGHESTMODSEQ the mailbox's change counter (CONDSTORE); an IMAP4rev1 client also hears RECENT and, if a message is unseen, UNSEEN with the first one's number (RFC 3501 §6.3.1), an IMAP4rev2 client a LIST line with the mailbox's name. The tagged OK says READ-WRITE or READ-ONLY. RFC 9051 §8's sample LIST line adds (\"OLDNAME\" (\"inbox\")): OLDNAME is required only for a de-normalized UTF-8 name (§6.3.2); inbox is INBOX in another case (INBOX is case-insensitive, §5.1), so this server leaves it out.".into(), "RFC 9051 §6.3.2, §7.2, §5.1; RFC 7162 §3.1.2.1; RFC 3501 §6.3.1, §7.3.2"),
        ("FETCH", _) => ("The data asked for, in untagged FETCH responses (one per message), then the tagged OK. A literal {n} announces n bytes that follow verbatim.".into(), "RFC 9051 §7.5.2"),
        ("STORE", _) => ("The flags now set on each message (untagged FETCH), then OK.".into(), "RFC 9051 §6.4.6"),
        ("LOGOUT", _) => ("BYE, then OK: the server closes the connection.".into(), "RFC 9051 §6.1.3, §7.1.5"),
        ("AUTHENTICATE", _) => ("Authenticated: the session moves to the Authenticated state; the response code lists the capabilities now available: no STARTTLS, AUTH= or LOGINDISABLED any more, as those commands belong to the Not Authenticated state.".into(), "RFC 9051 §6.2.2, §6.2, §7.2.2"),
        ("ENABLE", _) => ("The server confirms which extensions are now on (ENABLED).".into(), "RFC 9051 §6.3.1"),
        ("STARTTLS", _) => ("The server is ready: TLS negotiation starts now, and everything after it is encrypted.".into(), "RFC 9051 §6.2.1"),
        ("SEARCH", _) => ("The numbers of the matching messages (ESEARCH in IMAP4rev2, SEARCH in rev1).".into(), "RFC 9051 §7.3.4"),
        ("LSUB", _) => ("The subscribed names that match, one LSUB line each; \\Noselect marks a name that is subscribed but no longer exists.".into(), "RFC 3501 §7.2.3"),
        ("LIST", _) if first.starts_with("* LIST") => ("One LIST line per mailbox: its attributes (\\HasChildren, \\Subscribed, special uses such as \\Sent and \\Trash), the hierarchy delimiter and the name; with RETURN (STATUS ...) a STATUS line follows each.".into(), "RFC 9051 §7.3.1; RFC 5258; RFC 6154 §2; RFC 5819"),
        ("ID", _) => ("The server's identification (ID), then OK.".into(), "RFC 2971 §3.2"),
        ("SORT", _) => ("The numbers of the matching messages, in sort order.".into(), "RFC 5256 §4"),
        ("THREAD", _) => ("The threads: each parenthesized list is a conversation; a number followed by another is its reply, and replies side by side are in lists of their own.".into(), "RFC 5256 §4"),
        ("GETQUOTAROOT" | "GETQUOTA", _) => ("QUOTAROOT names the quota root of the mailbox; QUOTA gives each resource's use and limit (STORAGE in units of 1024 octets).".into(), "RFC 9208 §5.1, §5.2"),
        ("APPEND" | "COPY", _) if untagged > 0 => ("Done; as the target is the selected mailbox, EXISTS announces the new message count at once.".into(), "RFC 9051 §6.3.12, §7.4.1"),
        ("EXPUNGE" | "CLOSE" | "UID EXPUNGE", _) => ("Each removed message is reported with its sequence number at the time (the numbers of later messages shift down).".into(), "RFC 9051 §7.5.1"),
        ("IDLE", _) if status.contains(" OK ") => ("IDLE is over; the client may send commands again.".into(), "RFC 9051 §6.3.13"),
        ("IDLE", _) => (format!("News pushed to the idling client the moment it happened: {}. Another session changed the mailbox (for example, the laptop read a message, setting \\Seen).", shorten(first, 80)), "RFC 9051 §6.3.13, §7.5"),
        _ => ("OK: the command completed.".into(), "RFC 9051 §7.1.1"),
    };
    ex(label, meaning, rfc)
}

/// A continuation request (`+ ...`), with its base64 decoded.
pub fn continuation(text: &str, decoded: &str) -> Explanation {
    ex(
        shortened(format!("+ {text}"), 72),
        if decoded.is_empty() {
            "A continuation request: the server is ready for the client's next line (here, the first message of the authentication exchange).".to_string()
        } else if decoded.starts_with("v=") {
            format!("The last SCRAM message, server-final (base64 of \"{decoded}\"): the server proves that it knows the password too; the client answers with an empty line.{}", fields_text(decoded))
        } else {
            format!("A continuation request carrying SCRAM's server-first message (base64 of \"{decoded}\"): the combined nonce, the salt and the iteration count for PBKDF2.{}", fields_text(decoded))
        },
        "RFC 9051 §7.6; RFC 5802 §5, §7",
    )
}

/// The attributes of a SCRAM message (RFC 5802 §5.1, §7; RFC 7677), each with what it
/// means: what the page's terminal prints under a decoded SCRAM line, and what the
/// explanations list. Empty for anything that is not a SCRAM message.
pub fn scram_fields(msg: &str) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    let mut rest = msg;
    if let Some(after) = msg.strip_prefix("n,,").or_else(|| msg.strip_prefix("y,,")) {
        let what = if msg.starts_with('n') {
            "GS2 header: n = no channel binding, and no authorization identity (the empty field between the commas)"
        } else {
            "GS2 header: y = the client could bind to the TLS channel but thinks the server cannot; no authorization identity"
        };
        out.push((msg.get(..3).unwrap_or_default().to_string(), what));
        rest = after;
    }
    let client_first = !out.is_empty();
    for part in rest.split(',') {
        let what = match part.split_once('=').map(|(k, _)| k) {
            Some("n") => "the user name (a \",\" or \"=\" in it would be written =2C or =3D)",
            Some("r") if client_first => "the client's nonce: random, new for every exchange, so that an old proof cannot be replayed",
            Some("r") => "the combined nonce: the client's nonce with the server's own appended (it must start with the client's)",
            Some("s") => "the salt, base64: chosen by the server for this user, mixed into the password hash",
            Some("i") => "the iteration count of Hi() = PBKDF2-HMAC-SHA-256 over the password (RFC 7677: at least 4096)",
            Some("c") => "channel binding, base64 of the GS2 header (biws = \"n,,\"): repeats what client-first said",
            Some("p") => "ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage): shows the client knows the password without sending it",
            Some("v") => "ServerSignature = HMAC(ServerKey, AuthMessage): the server proves it holds the password's keys too",
            Some("e") => "an error from the server: the exchange failed",
            _ => return Vec::new(),
        };
        out.push((part.to_string(), what));
    }
    out
}

/// The fields of a SCRAM message as a sentence for an explanation.
fn fields_text(msg: &str) -> String {
    let fields = scram_fields(msg);
    if fields.is_empty() {
        return String::new();
    }
    let list: Vec<String> = fields.iter().map(|(f, what)| format!("{} = {what}", shorten(f, 24))).collect();
    format!(" Field by field: {}.", list.join("; "))
}

/// The untagged BYE of a server that ends the session on its own.
pub fn closing(reason: Closing, line: &str) -> Explanation {
    let (meaning, rfc) = match reason {
        Closing::IdleTimeout => ("The server's autologout timer ran out: it says BYE and closes the connection. A server may log out an idle client, but not before 30 minutes once the client has logged in; a client that wants to wait for news uses IDLE and renews it.", "RFC 9051 §5.4, §7.1.5"),
        Closing::Shutdown => ("The server is shutting down: an untagged BYE says so, with the response code UNAVAILABLE, and the connection closes.", "RFC 9051 §7.1.5, §7.1"),
        Closing::Busy => ("A BYE in place of the greeting: the server has too many connections and refuses this one (UNAVAILABLE); the client may try again later.", "RFC 9051 §7.1.5, §7.1"),
    };
    ex(shorten(line, 72), meaning, rfc)
}

/// A client's base64 line inside AUTHENTICATE.
pub fn sasl(line: &str, decoded: &str) -> Explanation {
    ex(
        if line.is_empty() { "(empty line)".to_string() } else { shorten(line, 72) },
        if decoded.starts_with("n,,") {
            format!("SCRAM client-first (base64 of \"{decoded}\"): the user name and a fresh client nonce. No password travels.{}", fields_text(decoded))
        } else if decoded.starts_with("c=") {
            format!("SCRAM client-final (base64 of \"{decoded}\"): the proof p= shows the client knows the password, computed with PBKDF2, HMAC and SHA-256 over the whole exchange (AuthMessage = client-first without its GS2 header, server-first, client-final without p=).{}", fields_text(decoded))
        } else if line.is_empty() {
            "An empty line: the client checked the server's signature and ends the exchange; the server answers with the tagged OK.".to_string()
        } else {
            format!("The client's answer inside AUTHENTICATE (base64 of \"{decoded}\").")
        },
        "RFC 9051 §6.2.2; RFC 5802 §3, §5, §7; RFC 7677",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 §3's messages, field by field.
    #[test]
    fn scram_messages_are_explained_field_by_field() {
        let first = scram_fields("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let names: Vec<&str> = first.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(names, ["n,,", "n=user", "r=rOprNGfwEbeRWgbNEkqO"]);
        assert!(first[2].1.contains("client's nonce"));
        let server =
            scram_fields("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        assert!(server[0].1.contains("combined nonce") && server[1].1.contains("salt") && server[2].1.contains("4096"));
        let fin = scram_fields("c=biws,r=x,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        assert!(fin[0].1.contains("biws") && fin[2].1.contains("ClientProof"));
        assert!(scram_fields("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")[0].1.contains("ServerSignature"));
        // Anything else is no SCRAM message.
        assert!(scram_fields("\0bob\0pw").is_empty() && scram_fields("hello").is_empty());
        let e = sasl("biws", "n,,n=bob,r=abc");
        assert!(e.meaning.contains("Field by field: n,, = GS2 header"), "{}", e.meaning);
        assert!(e.rfc.contains("RFC 5802"));
    }
}
