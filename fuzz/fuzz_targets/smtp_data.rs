//! SMTP mail data (RFC 5321 §4.5.2 dot-stuffing): decode never panics; encoding any message
//! and decoding it uses every byte; the incremental reader the server uses (DataReader),
//! fed the same bytes cut anywhere, agrees with the one-shot decoder.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_fuzz::Chunks;
use mailsim_proto::smtp::data::{decode, encode, DataReader};
use mailsim_proto::Decoded;

fuzz_target!(|data: &[u8]| {
    let Some((&seed, data)) = data.split_first() else { return };
    let wire = encode(data);
    match decode(&wire) {
        Decoded::Complete(_, used) => assert_eq!(used, wire.len()),
        other => panic!("encode gave {:?}, which reads as {other:?}", String::from_utf8_lossy(&wire)),
    }
    for input in [data, &wire[..]] {
        let mut reader = DataReader::new(if seed & 1 == 0 { usize::MAX } else { 64 });
        let mut end = None;
        let mut at = 0;
        for (_, piece) in Chunks::cut(seed, input).pieces {
            if let Some(n) = reader.feed(&piece) {
                end = Some(at + n);
                break;
            }
            at += piece.len();
        }
        let dropped = reader.dropped();
        match (decode(input), end) {
            (Decoded::Complete(m, used), Some(e)) => {
                assert_eq!(used, e, "the end of data is found at the same place");
                let r = reader.finish();
                if !dropped {
                    assert_eq!(r, m);
                }
            }
            (Decoded::Incomplete, None) => {}
            (d, e) => panic!("decode says {d:?}, the reader says {e:?}"),
        }
    }
    let _ = mailsim_proto::smtp::phase_of(data, true);
    let _ = mailsim_proto::smtp::phase_of(data, false);
});
