//! The DNS server's zone lookup.

use mailsim_proto::dns::{self, DnsMessage, RData, Record};

/// What an authoritative server answers: MX records with the exchangers' addresses in the
/// additional section, or A records, or NXDOMAIN.
pub(super) fn answer_query(zone: &[Record], q: &DnsMessage) -> DnsMessage {
    let mut a = q.clone();
    a.response = true;
    a.authoritative = true;
    let Some(question) = q.questions.first() else {
        a.rcode = 1;
        return a;
    };
    let name = question.name.to_ascii_lowercase();
    let known = zone.iter().any(|r| r.name == name);
    a.answers = zone
        .iter()
        .filter(|r| {
            r.name == name
                && matches!((&r.data, question.qtype), (RData::Mx { .. }, dns::TYPE_MX) | (RData::A(_), dns::TYPE_A))
        })
        .cloned()
        .collect();
    for r in a.answers.clone() {
        if let RData::Mx { exchange, .. } = &r.data {
            a.additional.extend(zone.iter().filter(|z| &z.name == exchange && matches!(z.data, RData::A(_))).cloned());
        }
    }
    if !known {
        a.rcode = 3;
    }
    a
}
