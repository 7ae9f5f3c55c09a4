/work/main/target/debug/deps/mailsim_proto-fe1efbc711dc7b8b.d: crates/proto/src/lib.rs crates/proto/src/dns.rs crates/proto/src/message.rs crates/proto/src/pdu.rs crates/proto/src/pop3/mod.rs crates/proto/src/pop3/client.rs crates/proto/src/pop3/command.rs crates/proto/src/pop3/response.rs crates/proto/src/pop3/server.rs crates/proto/src/smtp/mod.rs crates/proto/src/smtp/client.rs crates/proto/src/smtp/command.rs crates/proto/src/smtp/data.rs crates/proto/src/smtp/reply.rs crates/proto/src/smtp/server.rs crates/proto/src/store.rs

/work/main/target/debug/deps/libmailsim_proto-fe1efbc711dc7b8b.rlib: crates/proto/src/lib.rs crates/proto/src/dns.rs crates/proto/src/message.rs crates/proto/src/pdu.rs crates/proto/src/pop3/mod.rs crates/proto/src/pop3/client.rs crates/proto/src/pop3/command.rs crates/proto/src/pop3/response.rs crates/proto/src/pop3/server.rs crates/proto/src/smtp/mod.rs crates/proto/src/smtp/client.rs crates/proto/src/smtp/command.rs crates/proto/src/smtp/data.rs crates/proto/src/smtp/reply.rs crates/proto/src/smtp/server.rs crates/proto/src/store.rs

/work/main/target/debug/deps/libmailsim_proto-fe1efbc711dc7b8b.rmeta: crates/proto/src/lib.rs crates/proto/src/dns.rs crates/proto/src/message.rs crates/proto/src/pdu.rs crates/proto/src/pop3/mod.rs crates/proto/src/pop3/client.rs crates/proto/src/pop3/command.rs crates/proto/src/pop3/response.rs crates/proto/src/pop3/server.rs crates/proto/src/smtp/mod.rs crates/proto/src/smtp/client.rs crates/proto/src/smtp/command.rs crates/proto/src/smtp/data.rs crates/proto/src/smtp/reply.rs crates/proto/src/smtp/server.rs crates/proto/src/store.rs

crates/proto/src/lib.rs:
crates/proto/src/dns.rs:
crates/proto/src/message.rs:
crates/proto/src/pdu.rs:
crates/proto/src/pop3/mod.rs:
crates/proto/src/pop3/client.rs:
crates/proto/src/pop3/command.rs:
crates/proto/src/pop3/response.rs:
crates/proto/src/pop3/server.rs:
crates/proto/src/smtp/mod.rs:
crates/proto/src/smtp/client.rs:
crates/proto/src/smtp/command.rs:
crates/proto/src/smtp/data.rs:
crates/proto/src/smtp/reply.rs:
crates/proto/src/smtp/server.rs:
crates/proto/src/store.rs:
