//! Real TLS for `mailsim serve`: the server certificate, the rustls configuration, and a
//! connection that starts in the clear and can be upgraded in place (STARTTLS, STLS).
//!
//! The engines only model TLS: they answer `220 Ready to start TLS` / `+OK Begin TLS
//! negotiation` / `OK Begin TLS negotiation now`, forget what the client said before, and the
//! host reports [`mailsim_sim::host::HostOutput::TlsStarted`]. `serve` then hands the socket
//! to [`Conn::upgrade`] and the same session goes on inside TLS. On the implicit-TLS ports
//! (465, 993, 995; RFC 8314 §3.3, §3.2, §3.1) the handshake comes first, before the greeting.
//!
//! The certificate: `--tls-cert FILE --tls-key FILE` (PEM), or else a self-signed one for
//! `localhost` and `127.0.0.1`, made with rcgen on first start and kept in the data
//! directory (`tls/cert.pem`, `tls/key.pem`) so that clients told to trust it keep trusting
//! it across restarts. Its SHA-256 fingerprint is printed at start.

use sha2::Digest;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client may take to finish its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The server's TLS identity, ready to accept handshakes.
#[derive(Clone)]
pub struct Tls {
    pub acceptor: TlsAcceptor,
    /// The certificate file (PEM) a client can be told to trust.
    pub cert_path: PathBuf,
    /// SHA-256 of the certificate (DER), as `AB:CD:...` (the form `openssl x509 -fingerprint
    /// -sha256` prints and msmtp's `tls_fingerprint` takes).
    pub fingerprint: String,
    /// Whether this start made a new self-signed certificate.
    pub generated: bool,
}

/// Where the certificate comes from.
pub enum Source<'a> {
    /// The operator's own certificate chain and private key (PEM files).
    Files { cert: &'a Path, key: &'a Path },
    /// The self-signed certificate kept in `dir` (made there if missing).
    SelfSigned { dir: &'a Path },
}

/// The names the self-signed certificate is valid for.
pub const SELF_SIGNED_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// The data directory when none is given: `$XDG_DATA_HOME/mailsim`, `~/.local/share/mailsim`,
/// or `./.mailsim` without a home.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("mailsim");
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(h) => PathBuf::from(h).join(".local/share/mailsim"),
        None => PathBuf::from(".mailsim"),
    }
}

/// `mailsim serve`'s TLS flags.
#[derive(clap::Args, Debug, Clone)]
pub struct TlsOptions {
    /// SMTP submission over implicit TLS (port 465's rules, RFC 8314).
    #[arg(long, value_name = "PORT", default_value_t = 2465)]
    pub smtps_port: u16,
    /// IMAP over implicit TLS (port 993's rules).
    #[arg(long, value_name = "PORT", default_value_t = 2993)]
    pub imaps_port: u16,
    /// POP3 over implicit TLS (port 995's rules).
    #[arg(long, value_name = "PORT", default_value_t = 2995)]
    pub pop3s_port: u16,
    /// The server's certificate chain (PEM) [default: a self-signed one for localhost and
    /// 127.0.0.1, made on first start].
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Where the self-signed certificate is kept (DIR/tls/) [default: the mail's directory,
    /// or with --memory the user's data directory].
    #[arg(long, value_name = "DIR")]
    pub tls_dir: Option<PathBuf>,
    /// Accept passwords before TLS from any address [default: from loopback only, as Dovecot
    /// treats localhost as secure; elsewhere only after STARTTLS/STLS].
    #[arg(long)]
    pub allow_plaintext_auth: bool,
}

impl TlsOptions {
    /// Who may send a password in the clear.
    pub fn plaintext_auth(&self) -> mailsim_sim::host::PlaintextAuth {
        use mailsim_sim::host::PlaintextAuth;
        if self.allow_plaintext_auth {
            PlaintextAuth::Anywhere
        } else {
            PlaintextAuth::LoopbackOnly
        }
    }

    /// The implicit-TLS listeners: (port, the well-known port whose rules apply).
    pub fn listeners(&self) -> [(u16, u16); 3] {
        [(self.smtps_port, 465), (self.imaps_port, 993), (self.pop3s_port, 995)]
    }
}

impl Tls {
    /// The certificate `serve` uses: --tls-cert/--tls-key, or the self-signed one in
    /// --tls-dir, else in `data_dir` (where the mail is kept), else in [`default_data_dir`].
    pub fn for_serve(o: &TlsOptions, data_dir: Option<&Path>) -> Result<Tls, String> {
        match (&o.tls_cert, &o.tls_key) {
            (Some(cert), Some(key)) => Tls::load(Source::Files { cert, key }),
            _ => {
                let dir =
                    o.tls_dir.clone().or_else(|| data_dir.map(Path::to_path_buf)).unwrap_or_else(default_data_dir);
                Tls::load(Source::SelfSigned { dir: &dir })
            }
        }
    }

    /// The lines `serve` prints at start: the ports, the certificate and its fingerprint,
    /// and who may log in before TLS.
    pub fn banner(&self, o: &TlsOptions, bind: std::net::IpAddr) -> String {
        let made = if self.generated { "made now, self-signed" } else { "kept from before" };
        let plaintext = if o.allow_plaintext_auth {
            "passwords are accepted before TLS from any address (--allow-plaintext-auth)"
        } else {
            "passwords are accepted before TLS from loopback only; from elsewhere after STARTTLS/STLS"
        };
        format!(
            "  TLS: STARTTLS on SMTP, POP3 (STLS) and IMAP; implicit TLS: submissions on {bind}:{}, \
             IMAPS on {bind}:{}, POP3S on {bind}:{}\n  certificate {} ({made}), for clients to trust\n    \
             SHA-256 fingerprint {}\n  {plaintext}\n",
            o.smtps_port,
            o.imaps_port,
            o.pop3s_port,
            self.cert_path.display(),
            self.fingerprint
        )
    }

    /// Loads (or on first start makes) the certificate and builds the rustls acceptor.
    pub fn load(source: Source) -> Result<Tls, String> {
        let (cert_path, key_path, generated) = match source {
            Source::Files { cert, key } => (cert.to_path_buf(), key.to_path_buf(), false),
            Source::SelfSigned { dir } => {
                let dir = dir.join("tls");
                let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
                let generated = !(cert.exists() && key.exists()) && make_self_signed(&dir)?;
                (cert, key, generated)
            }
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("cannot read the certificate {}: {e}", cert_path.display()))?;
        let first = certs.first().ok_or_else(|| format!("{}: no certificate in it", cert_path.display()))?;
        let fingerprint = fingerprint(first);
        let key = PrivateKeyDer::from_pem_file(&key_path)
            .map_err(|e| format!("cannot read the private key {}: {e}", key_path.display()))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| format!("TLS: the certificate and key do not go together: {e}"))?;
        Ok(Tls { acceptor: TlsAcceptor::from(Arc::new(config)), cert_path, fingerprint, generated })
    }
}

/// SHA-256 of a certificate as colon-separated upper-case hex.
pub fn fingerprint(cert: &[u8]) -> String {
    let digest = sha2::Sha256::digest(cert);
    digest.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// A self-signed certificate for localhost and 127.0.0.1 (ECDSA P-256), valid until 2099, in
/// `dir` (`cert.pem`, `key.pem`, readable by its owner only). Made in a fresh directory beside
/// it and renamed into place, so that two servers starting at once never pair one's key with
/// the other's certificate; returns false if another got there first (its pair is used).
fn make_self_signed(dir: &Path) -> Result<bool, String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot make a TLS certificate in {}: {e}", dir.display());
    let names: Vec<String> = SELF_SIGNED_NAMES.iter().map(|s| s.to_string()).collect();
    let mut params = rcgen::CertificateParams::new(names).map_err(|e| fail(&e))?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    params.distinguished_name.push(rcgen::DnType::OrganizationName, "mailsim serve (self-signed)");
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2099, 12, 31);
    let key = rcgen::KeyPair::generate().map_err(|e| fail(&e))?;
    let cert = params.self_signed(&key).map_err(|e| fail(&e))?;
    let parent = dir.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| fail(&e))?;
    static MADE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = parent.join(format!(".tls-new-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir(&tmp).map_err(|e| fail(&e))?;
    write_private(&tmp.join("key.pem"), key.serialize_pem().as_bytes()).map_err(|e| fail(&e))?;
    std::fs::write(tmp.join("cert.pem"), cert.pem()).map_err(|e| fail(&e))?;
    // An empty directory left by someone else is replaced; a full one wins.
    let _ = std::fs::remove_dir(dir);
    match std::fs::rename(&tmp, dir) {
        Ok(()) => Ok(true),
        Err(_) if dir.join("cert.pem").exists() && dir.join("key.pem").exists() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(false)
        }
        Err(e) => Err(fail(&e)),
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    io::Write::write_all(&mut options.open(path)?, bytes)
}

/// A client connection: in the clear, or inside TLS; `Closed` after a failed handshake.
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Closed,
}

impl Conn {
    pub fn is_tls(&self) -> bool {
        matches!(self, Conn::Tls(_))
    }

    /// The TLS handshake on this connection (the server side), within [`HANDSHAKE_TIMEOUT`];
    /// on failure the connection is gone ([`Conn::Closed`]).
    pub async fn upgrade(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        let tcp = match std::mem::replace(self, Conn::Closed) {
            Conn::Plain(tcp) => tcp,
            other => {
                *self = other;
                return Err(io::Error::other("TLS is already active"));
            }
        };
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
            Ok(Ok(tls)) => {
                *self = Conn::Tls(Box::new(tls));
                Ok(())
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "the TLS handshake took too long")),
        }
    }

    /// A new connection on a port that serves `service`: on the implicit-TLS ports (465,
    /// 993, 995) the handshake comes first.
    pub async fn accept(tcp: TcpStream, service: u16, tls: &Tls) -> io::Result<Conn> {
        let mut conn = Conn::Plain(tcp);
        if mailsim_proto::service::by_port(service).is_some_and(|s| s.implicit_tls()) {
            conn.upgrade(&tls.acceptor).await?;
        }
        Ok(conn)
    }

    /// The client's address, while connected.
    pub fn peer_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Conn::Plain(s) => s.peer_addr().ok(),
            Conn::Tls(s) => s.get_ref().0.peer_addr().ok(),
            Conn::Closed => None,
        }
    }

    /// The port the client connected to.
    pub fn local_port(&self) -> u16 {
        match self {
            Conn::Plain(s) => s.local_addr().map(|a| a.port()).unwrap_or(0),
            Conn::Tls(s) => s.get_ref().0.local_addr().map(|a| a.port()).unwrap_or(0),
            Conn::Closed => 0,
        }
    }

    /// The TLS version and cipher suite, e.g. `TLSv1_3 TLS13_AES_256_GCM_SHA384`.
    pub fn describe(&self) -> Option<String> {
        let Conn::Tls(s) = self else { return None };
        let (_, c) = s.get_ref();
        let version = c.protocol_version().map(|v| format!("{v:?}")).unwrap_or_default();
        let suite = c.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())).unwrap_or_default();
        Some(format!("{version} {suite}"))
    }
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Conn::Closed => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Conn::Closed => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Conn::Closed => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Conn::Closed => Poll::Ready(Ok(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mailsim-tls-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    /// Over TLS, a reply bigger than the socket takes at once has arrived whole when
    /// `serve::write_out` returns: tokio-rustls keeps the ciphertext the socket did not take
    /// until a flush, and without one the tail waited for the server's next write while the
    /// client waited for the tail (a POP3S RETR that hung under load, issue 13).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_reply_is_written_whole_over_tls() {
        use tokio::io::AsyncReadExt;
        let dir = temp_dir("flush");
        let tls = Tls::load(Source::SelfSigned { dir: &dir }).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(&tls.cert_path).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let reply: Vec<u8> = (0..40_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        for flushed in [true, false] {
            // A pipe that holds 4 KB: the socket of a client that reads slowly.
            let (server_io, client_io) = tokio::io::duplex(4096);
            let acceptor = tls.acceptor.clone();
            let sent = reply.clone();
            let (wrote, written) = tokio::sync::oneshot::channel();
            let server = tokio::spawn(async move {
                let mut s = acceptor.accept(server_io).await.unwrap();
                if flushed {
                    crate::serve::write_out(&mut s, &sent).await.unwrap();
                } else {
                    tokio::io::AsyncWriteExt::write_all(&mut s, &sent).await.unwrap();
                }
                let _ = wrote.send(());
                // The session then waits for the client's next command.
                tokio::time::sleep(Duration::from_secs(5)).await;
                drop(s);
            });
            let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
            let mut c = connector.connect(name, client_io).await.unwrap();
            // The client reads once the write returned (a flushed write cannot return before
            // the client reads: then after a while).
            let _ = tokio::time::timeout(Duration::from_millis(300), written).await;
            let mut got = vec![0u8; reply.len()];
            let read = tokio::time::timeout(Duration::from_secs(2), c.read_exact(&mut got)).await;
            if flushed {
                assert!(read.is_ok(), "the whole reply arrives");
                assert_eq!(got, reply);
            } else {
                assert!(read.is_err(), "without the flush its tail stays in the TLS layer (what the test guards)");
            }
            server.abort();
        }
    }

    #[test]
    fn the_self_signed_certificate_is_made_once_and_reused() {
        let dir = temp_dir("reuse");
        let first = Tls::load(Source::SelfSigned { dir: &dir }).unwrap();
        assert!(first.generated);
        assert_eq!(first.cert_path, dir.join("tls/cert.pem"));
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1, "{}", first.fingerprint);
        let again = Tls::load(Source::SelfSigned { dir: &dir }).unwrap();
        assert!(!again.generated);
        assert_eq!(first.fingerprint, again.fingerprint);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("tls/key.pem")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key is private: {mode:o}");
        }
        // The same files given as --tls-cert/--tls-key.
        let (cert, key) = (dir.join("tls/cert.pem"), dir.join("tls/key.pem"));
        let own = Tls::load(Source::Files { cert: &cert, key: &key }).unwrap();
        assert_eq!(own.fingerprint, first.fingerprint);
        assert!(!own.generated);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn servers_starting_at_once_agree_on_one_certificate() {
        let dir = temp_dir("race");
        let made: Vec<Tls> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4).map(|_| s.spawn(|| Tls::load(Source::SelfSigned { dir: &dir }))).collect();
            handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect()
        });
        assert!(made.iter().all(|t| t.fingerprint == made[0].fingerprint));
        let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(files, ["tls"], "no temporary directory left behind");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_files_give_a_message_naming_them() {
        let dir = temp_dir("bad");
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = (dir.join("c.pem"), dir.join("k.pem"));
        let missing = Tls::load(Source::Files { cert: &cert, key: &key }).err().unwrap();
        assert!(missing.contains("c.pem"), "{missing}");
        std::fs::write(&cert, "not a certificate").unwrap();
        std::fs::write(&key, "not a key").unwrap();
        let empty = Tls::load(Source::Files { cert: &cert, key: &key }).err().unwrap();
        assert!(empty.contains("no certificate"), "{empty}");
        // A certificate with somebody else's key.
        let a = temp_dir("bad-a");
        let b = temp_dir("bad-b");
        Tls::load(Source::SelfSigned { dir: &a }).unwrap();
        Tls::load(Source::SelfSigned { dir: &b }).unwrap();
        let mixed = Tls::load(Source::Files { cert: &a.join("tls/cert.pem"), key: &b.join("tls/key.pem") });
        assert!(mixed.err().unwrap().contains("do not go together"));
        for d in [dir, a, b] {
            let _ = std::fs::remove_dir_all(d);
        }
    }

    #[test]
    fn fingerprints_are_colon_hex() {
        assert_eq!(
            fingerprint(b"abc"),
            "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD"
        );
    }
}
