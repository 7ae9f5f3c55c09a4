//! SCRAM-SHA-256 (RFC 5802, RFC 7677), both sides, computed for real with `sha2`, `hmac`
//! and `pbkdf2`: the proofs on the diagram are the ones a real server would check. The
//! nonces and the salt come from the caller (engines have no randomness).

use base64::Engine as _;
use sha2::block_api::compress256;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// SHA-256's initial hash value (FIPS 180-4 §5.3.3).
const SHA256_IV: [u32; 8] =
    [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/// SHA-256 (FIPS 180-4) from `state`, after `done` bytes already taken in whole 64-byte
/// blocks, over the rest of the message `data`: its whole blocks, then the last one or two
/// with the padding and the length of the whole message (§5.1.1).
fn sha256_from(state: &[u32; 8], done: u64, data: &[u8]) -> [u8; 32] {
    let mut s = *state;
    let blocks = data.chunks_exact(64);
    let rest = blocks.remainder();
    for b in blocks {
        compress256(&mut s, &[b.try_into().expect("a block of 64 bytes")]);
    }
    let mut block = [0u8; 64];
    for (b, x) in block.iter_mut().zip(rest) {
        *b = *x;
    }
    // The remainder is shorter than a block: the 0x80 always has its place.
    if let Some(b) = block.get_mut(rest.len()) {
        *b = 0x80;
    }
    if rest.len() >= 56 {
        compress256(&mut s, &[block]);
        block = [0u8; 64];
    }
    // The length in bits, modulo 2^64 (§5.1.1 allows messages shorter than 2^64 bits).
    block[56..].copy_from_slice(&done.wrapping_add(data.len() as u64).wrapping_mul(8).to_be_bytes());
    compress256(&mut s, &[block]);
    let mut out = [0u8; 32];
    for (o, w) in out.chunks_exact_mut(4).zip(s) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// SHA-256 of `data`.
fn sha256(data: &[u8]) -> [u8; 32] {
    sha256_from(&SHA256_IV, 0, data)
}

/// An HMAC-SHA-256 key (RFC 2104 §2) as its two keyed states: SHA-256 after the block of
/// the key XOR ipad, and after the block of the key XOR opad. Each HMAC with it is then the
/// data's blocks and one more block, with no work per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HmacKey {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl HmacKey {
    fn new(key: &[u8]) -> HmacKey {
        // A key longer than a block is hashed first.
        let hashed;
        let key = if key.len() > 64 {
            hashed = sha256(key);
            &hashed[..]
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
        HmacKey { inner, outer }
    }

    /// HMAC(key, data).
    fn mac(&self, data: &[u8]) -> [u8; 32] {
        finish_32(&self.outer, &sha256_from(&self.inner, 64, data))
    }

    /// HMAC(key, data) of 32 bytes: two blocks.
    fn mac_32(&self, data: &[u8; 32]) -> [u8; 32] {
        finish_32(&self.outer, &finish_32(&self.inner, data))
    }
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
/// computes, without its buffering around each block; a test checks the two agree).
fn hi(password: &str, salt: &[u8], iterations: u32) -> [u8; 32] {
    HI_COMPUTED.with(|n| n.set(n.get().saturating_add(1)));
    let key = HmacKey::new(password.as_bytes());
    // U1 = HMAC(password, salt || INT(1)); Ui = HMAC(password, Ui-1); Hi = U1 XOR ... XOR Ui.
    let mut u = key.mac(&[salt, &1u32.to_be_bytes()].concat());
    let mut out = u;
    for _ in 1..iterations {
        u = key.mac_32(&u);
        for (o, x) in out.iter_mut().zip(u) {
            *o ^= x;
        }
    }
    out
}

/// What both ends derive from Hi() (RFC 5802 §3) and need for every exchange: ClientKey,
/// StoredKey = H(ClientKey), and the HMAC keys StoredKey and ServerKey (as their keyed
/// states) that sign each exchange's AuthMessage.
#[derive(Debug, Clone, Copy)]
struct Keys {
    client_key: [u8; 32],
    stored_key: [u8; 32],
    stored: HmacKey,
    server: HmacKey,
}

/// The [`Keys`] of (password, salt, iteration count). They are kept per thread, the last
/// [`KEPT`], with Hi() (what a server stores per account, RFC 5802 §5, and a client may keep
/// per password, salt and count): both ends of one exchange derive the same keys (in the
/// simulated world both run in this process), and a world run again with the same seed (the
/// page runs the scenario again at every learner action, and at every replay) draws the same
/// salts, so its logins find them kept instead of computing Hi() and four HMACs again.
fn keys(password: &str, salt: &[u8], iterations: u32) -> Keys {
    type Entry = (String, Vec<u8>, u32, Keys);
    thread_local! {
        static RECENT: std::cell::RefCell<Vec<Entry>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let hit = RECENT
        .with(|r| r.borrow().iter().find(|(p, s, i, _)| p == password && s == salt && *i == iterations).map(|e| e.3));
    if let Some(keys) = hit {
        return keys;
    }
    let salted = HmacKey::new(&hi(password, salt, iterations));
    let client_key = salted.mac(b"Client Key");
    let stored_key = sha256(&client_key);
    let keys = Keys {
        client_key,
        stored_key,
        stored: HmacKey::new(&stored_key),
        server: HmacKey::new(&salted.mac(b"Server Key")),
    };
    RECENT.with(|r| {
        let mut r = r.borrow_mut();
        if r.len() == KEPT {
            r.remove(0);
        }
        r.push((password.to_string(), salt.to_vec(), iterations, keys));
    });
    keys
}

/// How many derived keys [`keys`] keeps (per thread): a run of the whole class
/// (100 IMAP logins) and more. An entry is the password, the salt and 160 bytes.
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
    /// ServerSignature, once client-final is made.
    server_signature: Option<[u8; 32]>,
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
            server_signature: None,
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
        let keys = keys(&self.password, &salt, i);
        let signature = keys.stored.mac(auth.as_bytes());
        let proof: Vec<u8> = keys.client_key.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
        self.server_signature = Some(keys.server.mac(auth.as_bytes()));
        let _ = &self.user;
        Some(format!("{without_proof},p={}", B64.encode(proof)))
    }

    /// Checks `v=...`: the server proves it knew the password too.
    pub fn verify_server_final(&self, server_final: &str) -> bool {
        attr(server_final, 'v')
            .and_then(|v| B64.decode(v).ok())
            .is_some_and(|v| self.server_signature.is_some_and(|s| v == s))
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
        let keys = keys(password, &salt, i);
        let signature = keys.stored.mac(auth.as_bytes());
        let client_key: Vec<u8> = proof.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
        if proof.len() != 32 || sha256(&client_key) != keys.stored_key {
            return Err(ScramError::WrongProof);
        }
        Ok(format!("v={}", B64.encode(keys.server.mac(auth.as_bytes()))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hi() computed block by block agrees with the `pbkdf2` crate, for keys shorter and
    /// longer than a block and any number of rounds.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn hi_agrees_with_pbkdf2() {
        for password in ["", "pencil", &"k".repeat(64), &"long password ".repeat(6)] {
            for salt in [&b""[..], b"W22ZaJ0SNY7soEsUEjb6gQ==", &[7u8; 70]] {
                for rounds in [1, 2, 3, 4096] {
                    let mut want = [0u8; 32];
                    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt, rounds, &mut want);
                    assert_eq!(hi(password, salt, rounds), want, "{password:?} {salt:?} {rounds}");
                }
            }
        }
    }

    /// SHA-256 and HMAC-SHA-256 by hand agree with the `sha2` and `hmac` crates for every
    /// message length across the padding's edges (55, 56, 63, 64 bytes and the same a block
    /// further) and keys shorter than, as long as and longer than a block.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn sha256_and_hmac_agree_with_the_crates() {
        use hmac::{KeyInit, Mac};
        use sha2::Digest;
        let bytes: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in 0..=200 {
            let data = &bytes[..len];
            assert_eq!(sha256(data)[..], sha2::Sha256::digest(data)[..], "sha256 of {len} bytes");
            for key_len in [0, 1, 32, 63, 64, 65, 100, 300] {
                let key = &bytes[300 - key_len..];
                let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
                m.update(data);
                let want = m.finalize().into_bytes();
                let key = HmacKey::new(key);
                assert_eq!(key.mac(data)[..], want[..], "HMAC with a key of {key_len} bytes over {len} bytes");
                if let Ok(data) = <&[u8; 32]>::try_from(data) {
                    assert_eq!(key.mac_32(data)[..], want[..]);
                }
            }
        }
    }

    /// The derived keys are RFC 5802 §3's (RFC 7677's example checks them on the wire, the
    /// test after this one), and kept: asked again for the same password, salt and count,
    /// Hi() is not computed again; another salt, count or password is another entry.
    #[test]
    fn keys_are_derived_once_and_kept() {
        // A salt no other test uses, so that nothing is kept before.
        let salt = b"keys_are_derived_once_and_kept";
        let before = hi_computed();
        let k = keys("pencil", salt, 4096);
        assert_eq!(hi_computed() - before, 1);
        let salted = HmacKey::new(&hi("pencil", salt, 4096));
        assert_eq!(k.client_key, salted.mac(b"Client Key"));
        assert_eq!(k.stored_key, sha256(&k.client_key));
        assert_eq!(k.stored, HmacKey::new(&k.stored_key));
        assert_eq!(k.server, HmacKey::new(&salted.mac(b"Server Key")));
        let before = hi_computed();
        let again = keys("pencil", salt, 4096);
        assert_eq!(hi_computed(), before, "found kept");
        assert_eq!((again.client_key, again.stored, again.server), (k.client_key, k.stored, k.server));
        assert_ne!(keys("pencil", salt, 4095).client_key, k.client_key);
        assert_ne!(keys("pencil", b"other salt", 4096).client_key, k.client_key);
        assert_ne!(keys("pencil2", salt, 4096).client_key, k.client_key);
        assert_eq!(hi_computed() - before, 3);
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
        let keys = keys("pencil", &salt, 4096);
        let without_proof = format!("c={},r=rOprNGfwEbeRWgbNEkqOsrv", B64.encode("n,a=user,"));
        let auth = format!("n=user,r=rOprNGfwEbeRWgbNEkqO,{server_first},{without_proof}");
        let signature = keys.stored.mac(auth.as_bytes());
        let proof: Vec<u8> = keys.client_key.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
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
