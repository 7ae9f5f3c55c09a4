//! The IMAP argument grammars on their own: the tokenizer, SEARCH keys, sequence sets, FETCH
//! sections and flags.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mailsim_proto::imap::{fetch, flag, search, sequence, token};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = token::tokenize(&s);
    let words: Vec<String> = s.split(' ').map(str::to_string).collect();
    let _ = search::parse(&words);
    let _ = search::parse_date(&s);
    let _ = sequence::valid_set(&s);
    let _ = fetch::valid_section(&s);
    let _ = flag::canonical_flag(&s);
    let _ = flag::flag_order(&s);
});
