//! Events of the log as `mailsim serve` writes them, for the live stream's tests.

use mailsim_sim::log::Event;

/// Connection `conn` of client `client-CONN` to the server's `port`.
pub fn opened(conn: u32, protocol: &str, port: u16) -> Event {
    Event::ConnectionOpened {
        t: 0,
        conn,
        client: format!("client-{conn}"),
        client_port: 4000u16.saturating_add(conn as u16),
        server: "server".into(),
        port,
        protocol: protocol.into(),
    }
}

/// A message on connection `conn`, from its client (`to_server`) or to it.
pub fn sent(
    conn: u32,
    to_server: bool,
    (protocol, port): (&str, u16),
    raw: &[u8],
    label: &str,
    meaning: &str,
) -> Event {
    let client = format!("client-{conn}");
    let (from, to) = if to_server { (client, "server".to_string()) } else { ("server".to_string(), client) };
    Event::MessageSent {
        t_sent: 0,
        t: 0,
        conn: Some(conn),
        from,
        to,
        protocol: protocol.into(),
        port,
        raw: raw.to_vec(),
        label: label.into(),
        meaning: meaning.into(),
        rfc: String::new(),
        from_state: String::new(),
        to_state: String::new(),
        tls: false,
    }
}
