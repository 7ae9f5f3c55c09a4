//! HTTP/1.x (RFC 9110 semantics, RFC 9112 message syntax): a strict codec (here) and sans-IO
//! client and server engines ([`server`], [`client`]), for web-based e-mail and the
//! SMTP-versus-HTTP comparison.
//!
//! The server hands each request to its owner ([`HttpServerEvent::Request`]) and sends the
//! response the owner gives ([`HttpServer::respond`]) — so a webmail front end can first talk
//! SMTP or IMAP to its mail server. HTTP/1.1 connections stay open (persistent) unless
//! `Connection: close`; HTTP/1.0 ones close after the response (RFC 9112 §9.3).

pub mod chunked;
pub mod client;
pub mod explain;
pub mod message;
pub mod reader;
pub mod server;

pub use client::{HttpClient, HttpClientEvent};
pub use message::{decode, framing, url_decode, url_encode, Framing, HttpError, HttpMessage};
pub use reader::MessageReader;
pub use server::{HttpServer, HttpServerEvent};
