//! APOP (RFC 1939 §7): logging in without sending the password. The greeting carries a
//! timestamp; the client sends MD5(timestamp + password) in lower-case hex.

use crate::store::{LoginError, MailStore, StoredMessage};

/// The APOP digest: MD5 of the greeting's timestamp followed by the password, in
/// lower-case hex.
pub fn apop_digest(timestamp: &str, password: &str) -> String {
    use md5::{Digest, Md5};
    let d = Md5::digest(format!("{timestamp}{password}").as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks an APOP login against the store and, if the digest matches, takes the maildrop
/// lock: the verdict to hand to [`super::Pop3Server::answer_login`].
pub fn login_apop(
    store: &mut MailStore,
    user: &str,
    digest: &str,
    timestamp: &str,
) -> Result<(String, Vec<StoredMessage>), LoginError> {
    store.login_with(user, |password| apop_digest(timestamp, password) == digest.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_example_digest_and_a_login() {
        let ts = "<1896.697170952@dbc.mtview.ca.us>";
        assert_eq!(apop_digest(ts, "tanstaaf"), "c4c9334bac560ecc979e58001b3e22fb");
        let mut store = MailStore::default();
        store.add_account("mrose@dbc.example", "tanstaaf");
        assert_eq!(
            login_apop(&mut store, "mrose", "C4C9334BAC560ECC979E58001B3E22FB", ts).unwrap().0,
            "mrose@dbc.example"
        );
        assert_eq!(login_apop(&mut store, "mrose", "c4c9334bac560ecc979e58001b3e22fb", ts), Err(LoginError::InUse));
        assert_eq!(login_apop(&mut store, "mrose", "00", ts), Err(LoginError::BadCredentials));
    }
}
