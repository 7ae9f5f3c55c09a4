//! DNS messages in RFC 1035 wire format: decode never panics; a decoded message re-encodes to
//! one that decodes the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_proto::dns::DnsMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = DnsMessage::decode(data) {
        let wire = m.encode();
        let again = DnsMessage::decode(&wire).expect("re-encoded message decodes");
        assert_eq!(again.encode(), wire);
        let _ = mailsim_proto::Pdu::Dns(m).explain();
    }
});
