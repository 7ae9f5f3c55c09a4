//! BINARY (RFC 3516, part of RFC 9051 §6.4.5): a body part with its Content-Transfer-Encoding
//! undone, and its size after decoding.

use super::fetch::section_bytes;
use base64::Engine as _;

/// Why a part cannot be given decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BinaryError {
    /// An encoding the server does not know: NO `[UNKNOWN-CTE]` (RFC 3516 §4.2).
    UnknownCte(String),
}

/// The octets of part `section` (e.g. `1.2`, or empty for the whole message) after undoing
/// its Content-Transfer-Encoding.
pub fn binary_section(raw: &[u8], section: &str) -> Result<Vec<u8>, BinaryError> {
    if section.is_empty() {
        return Ok(raw.to_vec());
    }
    let body = section_bytes(raw, section);
    // The part's own header: `n.MIME`, or the message header for part 1 of a single part.
    let mime = section_bytes(raw, &format!("{section}.MIME"));
    let header = if mime.is_empty() { super::fetch::section(raw, "HEADER").to_vec() } else { mime };
    let cte = crate::message::header(&header, "Content-Transfer-Encoding")
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "7bit".into());
    match cte.as_str() {
        "7bit" | "8bit" | "binary" => Ok(body),
        "base64" => {
            let clean: Vec<u8> = body.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(&clean)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(clean.trim_ascii_end()))
                .map_err(|_| BinaryError::UnknownCte("base64 that does not decode".into()))
        }
        "quoted-printable" => Ok(quoted_printable(&body)),
        other => Err(BinaryError::UnknownCte(other.to_string())),
    }
}

/// Undoes quoted-printable (RFC 2045 §6.7): `=XX` octets, soft line breaks `=` CRLF.
fn quoted_printable(b: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if b.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if let (Some(h), Some(l)) = (b.get(i + 1).and_then(|&c| hex(c)), b.get(i + 2).and_then(|&c| hex(c))) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_quoted_printable_parts_decode() {
        let m = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =\r\nau lait\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n/w==\r\n--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nx\r\n--b--\r\n";
        assert_eq!(binary_section(m, "1").unwrap(), "café au lait".as_bytes());
        assert_eq!(binary_section(m, "2").unwrap(), [0, 1, 2, 255]);
        assert_eq!(binary_section(m, "3"), Err(BinaryError::UnknownCte("x-uuencode".into())));
        let single = b"Content-Transfer-Encoding: base64\r\n\r\naGk=\r\n";
        assert_eq!(binary_section(single, "1").unwrap(), b"hi");
        assert_eq!(binary_section(single, "").unwrap(), single);
    }
}
