//! SCRAM-SHA-256 (RFC 5802, RFC 7677), both sides, computed for real with `sha2`, `hmac`
//! and `pbkdf2`: the proofs on the diagram are the ones a real server would check. The
//! nonces and the salt come from the caller (engines have no randomness).

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::block_api::compress256;
use sha2::{Digest, Sha256};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// SHA-256's initial hash value (FIPS 180-4 §5.3.3).
const SHA256_IV: [u32; 8] =
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// HMAC-SHA-256's two keyed states (RFC 2104 §2): SHA-256 after the block of the key XOR
/// ipad, and after the block of the key XOR opad.
fn hmac_states(key: &[u8]) -> ([u32; 8], [u32; 8]) {
    // A key longer than a block is hashed first.
    let hashed;
    let key = if key.len() > 64 {
        hashed = Sha256::digest(key);
        hashed.as_slice()
    } else {
        key
    };
    let mut k = [0u8; 64];
    for (k, b) in k.iter_mut().zip(key) {
        *k = *b;
    }
    let (mut inner, mut outer) = (SHA256_IV, SHA256_IV);
    compress256(&mut inner, &[k.map(|b| b ^ 0x36)]);
    compress256(&mut outer, &[k.map(|b| b ^ 0x5c)]);
    (inner, outer)
}

/// SHA-256 from `state` (one 64-byte block already taken) over 32 more bytes: one block
/// with the padding and the length of 96 bytes (FIPS 180-4 §5.1.1).
fn finish_32(state: &[u32; 8], data: &[u8; 32]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(data);
    block[32] = 0x80;
    block[56..].copy_from_slice(&(96u64 * 8).to_be_bytes());
    let mut s = *state;
    compress256(&mut s, &[block]);
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(s) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// Hi(password, salt, i) of RFC 5802 §2.2: PBKDF2 with HMAC-SHA-256 (RFC 8018 §5.2, one
/// block). It is the costly part of SCRAM: 4,096 rounds, each an HMAC of 32 bytes, which is
/// two SHA-256 blocks from the key's two precomputed states (what the `pbkdf2` crate also
/// computes, without its buffering around each block; a test checks the two agree). Results
/// are kept per thread, the last [`KEPT`]: both ends of one exchange compute the same value
/// (in the simulated world both run in this process), and a world run again with the same
/// seed (the page runs the scenario again at every learner action, and at every replay) draws
/// the same salts, so its logins find every value kept instead of computing it again.
fn salted_password(password: &str, salt: &[u8], iterations: u32) -> Vec<u8> {
    type Entry = (String, Vec<u8>, u32, [u8; 32]);
    thread_local! {
        static RECENT: std::cell::RefCell<Vec<Entry>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let hit = RECENT
        .with(|r| r.borrow().iter().find(|(p, s, i, _)| p == password && s == salt && *i == iterations).map(|e| e.3));
    if let Some(out) = hit {
        return out.to_vec();
    }
    HI_COMPUTED.with(|n| n.set(n.get().saturating_add(1)));
    let (inner, outer) = hmac_states(password.as_bytes());
    // U1 = HMAC(password, salt || INT(1)); Ui = HMAC(password, Ui-1); Hi = U1 XOR ... XOR Ui.
    let mut u = [0u8; 32];
    u.copy_from_slice(&hmac(password.as_bytes(), &[salt, &1u32.to_be_bytes()].concat()));
    let mut out = u;
    for _ in 1..iterations {
        u = finish_32(&outer, &finish_32(&inner, &u));
        for (o, x) in out.iter_mut().zip(u) {
            *o ^= x;
        }
    }
    RECENT.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() == KEPT {
            r.remove(0);
        }
        r.push((password.to_string(), salt.to_vec(), iterations, out));
    });
    out.to_vec()
}

/// How many Hi() results [`salted_password`] keeps (per thread): a run of the whole class
/// (100 IMAP logins) and more. An entry is the password, the salt and 32 bytes.
const KEPT: usize = 256;

thread_local! {
    static HI_COMPUTED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many times this thread has computed Hi() (not found among the kept results): what
/// SCRAM costs the simulated world, for tests (one per login: the client's; the server finds
/// the same value kept).
pub fn hi_computed() -> u64 {
    HI_COMPUTED.with(|n| n.get())
}

/// Reads `key=value` attributes of a SCRAM message.
fn attr(msg: &str, key: char) -> Option<&str> {
    msg.split(',').find_map(|part| part.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

/// The client side.
#[derive(Debug, Clone)]
pub struct ScramClient {
    user: String,
    password: String,
    nonce: String,
    first_bare: String,
    server_signature: Vec<u8>,
}

/// The most PBKDF2 rounds the client agrees to compute: about 24 times RFC 7677's minimum
/// of 4096, more than servers use (Dovecot and Cyrus default to 4096).
pub const MAX_SCRAM_ITERATIONS: u32 = 100_000;

impl ScramClient {
    pub fn new(user: &str, password: &str, nonce: &str) -> Self {
        let first_bare = format!("n={},r={nonce}", user.replace('=', "=3D").replace(',', "=2C"));
        ScramClient {
            user: user.into(),
            password: password.into(),
            nonce: nonce.into(),
            first_bare,
            server_signature: vec![],
        }
    }

    /// `n,,n=user,r=nonce`: no channel binding, no authorization identity.
    pub fn client_first(&self) -> String {
        format!("n,,{}", self.first_bare)
    }

    /// Answers the server-first message with the proof; `None` if it is malformed or the
    /// server's nonce does not extend ours.
    pub fn client_final(&mut self, server_first: &str) -> Option<String> {
        let r = attr(server_first, 'r')?;
        let salt = B64.decode(attr(server_first, 's')?).ok()?;
        let i: u32 = attr(server_first, 'i')?.parse().ok()?;
        // The count comes from the server, and the client pays for it: a hostile server could
        // ask for 4 billion PBKDF2 rounds (hours of work). RFC 7677 §4 asks for at least
        // 4096; anything past MAX_SCRAM_ITERATIONS is refused as a client would.
        if i == 0 || i > MAX_SCRAM_ITERATIONS {
            return None;
        }
        if !r.starts_with(&self.nonce) || r.len() == self.nonce.len() {
            return None;
        }
        let without_proof = format!("c=biws,r={r}");
        let auth = format!("{},{server_first},{without_proof}", self.first_bare);
        let salted = salted_password(&self.password, &salt, i);
        let client_key = hmac(&salted, b"Client Key");
        let stored_key = Sha256::digest(&client_key);
        let signature = hmac(&stored_key, auth.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
        self.server_signature = hmac(&hmac(&salted, b"Server Key"), auth.as_bytes());
        let _ = &self.user;
        Some(format!("{without_proof},p={}", B64.encode(proof)))
    }

    /// Checks `v=...`: the server proves it knew the password too.
    pub fn verify_server_final(&self, server_final: &str) -> bool {
        attr(server_final, 'v').and_then(|v| B64.decode(v).ok()).is_some_and(|v| v == self.server_signature)
    }
}

/// The server side, for one exchange.
#[derive(Debug, Clone)]
pub struct ScramServer {
    pub user: String,
    /// The GS2 header the client sent (`n,,` or `n,a=user,`), which client-final's `c=` carries
    /// back in base64 (RFC 5802 §7).
    gs2_header: String,
    first_bare: String,
    server_first: String,
    nonce: String,
}

/// Why a SCRAM exchange failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScramError {
    Malformed,
    WrongProof,
}

impl ScramServer {
    /// Reads client-first (`n,,n=user,r=cnonce`, or `n,a=user,n=user,r=cnonce` with an
    /// authorization identity, as Cyrus SASL sends it) and makes server-first with our nonce
    /// part, salt and iteration count. Channel binding (`p=`) is not offered, so a client that
    /// asks for it fails (RFC 5802 §6); an authorization identity other than the user's own
    /// (acting as someone else) is refused.
    pub fn start(
        client_first: &str,
        server_nonce: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Result<(ScramServer, String), ScramError> {
        let (flag, rest) = client_first.split_once(',').ok_or(ScramError::Malformed)?;
        if flag != "n" && flag != "y" {
            return Err(ScramError::Malformed);
        }
        let (authzid, bare) = rest.split_once(',').ok_or(ScramError::Malformed)?;
        let gs2_header = format!("{flag},{authzid},");
        let unescape = |s: &str| s.replace("=2C", ",").replace("=3D", "=");
        let user = unescape(attr(bare, 'n').ok_or(ScramError::Malformed)?);
        match authzid.strip_prefix("a=") {
            None if authzid.is_empty() => {}
            Some(a) if unescape(a) == user => {}
            _ => return Err(ScramError::Malformed),
        }
        let cnonce = attr(bare, 'r').ok_or(ScramError::Malformed)?;
        let nonce = format!("{cnonce}{server_nonce}");
        let server_first = format!("r={nonce},s={},i={iterations}", B64.encode(salt));
        Ok((
            ScramServer { user, gs2_header, first_bare: bare.into(), server_first: server_first.clone(), nonce },
            server_first,
        ))
    }

    /// Checks client-final against the user's password; returns server-final (`v=...`).
    pub fn finish(&self, client_final: &str, password: &str) -> Result<String, ScramError> {
        let (without_proof, proof) = client_final.rsplit_once(",p=").ok_or(ScramError::Malformed)?;
        let binding = B64.encode(self.gs2_header.as_bytes());
        if attr(without_proof, 'r') != Some(self.nonce.as_str()) || attr(without_proof, 'c') != Some(binding.as_str()) {
            return Err(ScramError::Malformed);
        }
        let proof = B64.decode(proof).map_err(|_| ScramError::Malformed)?;
        let salt = B64.decode(attr(&self.server_first, 's').unwrap_or_default()).map_err(|_| ScramError::Malformed)?;
        let i: u32 = attr(&self.server_first, 'i').and_then(|i| i.parse().ok()).ok_or(ScramError::Malformed)?;
        let auth = format!("{},{},{without_proof}", self.first_bare, self.server_first);
        let salted = salted_password(password, &salt, i);
        let stored_key = Sha256::digest(hmac(&salted, b"Client Key"));
        let signature = hmac(&stored_key, auth.as_bytes());
        let client_key: Vec<u8> = proof.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
        if proof.len() != 32 || Sha256::digest(&client_key).as_slice() != stored_key.as_slice() {
            return Err(ScramError::WrongProof);
        }
        Ok(format!("v={}", B64.encode(hmac(&hmac(&salted, b"Server Key"), auth.as_bytes()))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hi() computed block by block agrees with the `pbkdf2` crate, for keys shorter and
    /// longer than a block and any number of rounds.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn salted_password_agrees_with_pbkdf2() {
        for password in ["", "pencil", &"k".repeat(64), &"long password ".repeat(6)] {
            for salt in [&b""[..], b"W22ZaJ0SNY7soEsUEjb6gQ==", &[7u8; 70]] {
                for rounds in [1, 2, 3, 4096] {
                    let mut want = [0u8; 32];
                    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, rounds, &mut want);
                    assert_eq!(salted_password(password, salt, rounds), want, "{password:?} {salt:?} {rounds}");
                    // Again: from the kept results.
                    assert_eq!(salted_password(password, salt, rounds), want);
                }
            }
        }
    }

    /// RFC 7677 §3, the example exchange, byte for byte.
    #[test]
    fn rfc7677_example() {
        let mut c = ScramClient::new("user", "pencil", "rOprNGfwEbeRWgbNEkqO");
        assert_eq!(c.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let (server, first) =
            ScramServer::start(&c.client_first(), "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", &salt, 4096).unwrap();
        assert_eq!(first, "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        let fin = c.client_final(&first).unwrap();
        assert_eq!(fin, "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        let v = server.finish(&fin, "pencil").unwrap();
        assert_eq!(v, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
        assert!(c.verify_server_final(&v));
        assert_eq!(server.finish(&fin, "wrong"), Err(ScramError::WrongProof));
    }

    /// Cyrus SASL (mbsync, offlineimap) names the user as authorization identity too:
    /// `n,a=user,n=user,r=...`, and client-final's `c=` is then base64 of `n,a=user,`.
    #[test]
    fn authorization_identity_of_the_user_itself() {
        let salt = B64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let first = "n,a=user,n=user,r=rOprNGfwEbeRWgbNEkqO";
        let (server, server_first) = ScramServer::start(first, "srv", &salt, 4096).unwrap();
        assert_eq!(server.user, "user");
        // What the client computes, with its own GS2 header.
        let salted = salted_password("pencil", &salt, 4096);
        let without_proof = format!("c={},r=rOprNGfwEbeRWgbNEkqOsrv", B64.encode("n,a=user,"));
        let auth = format!("n=user,r=rOprNGfwEbeRWgbNEkqO,{server_first},{without_proof}");
        let client_key = hmac(&salted, b"Client Key");
        let signature = hmac(&Sha256::digest(&client_key), auth.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
        let fin = format!("{without_proof},p={}", B64.encode(proof));
        assert!(server.finish(&fin, "pencil").unwrap().starts_with("v="));
        // The plain header's `c=biws` does not match what this client sent first.
        assert_eq!(
            server.finish(&fin.replacen(&B64.encode("n,a=user,"), "biws", 1), "pencil"),
            Err(ScramError::Malformed)
        );
        // Acting as someone else, or asking for channel binding, is refused.
        assert!(ScramServer::start("n,a=admin,n=user,r=x", "s", &salt, 4096).is_err());
        assert!(ScramServer::start("p=tls-unique,,n=user,r=x", "s", &salt, 4096).is_err());
        assert!(ScramServer::start("n,,n=user,r=x", "s", &salt, 4096).is_ok());
    }
}
