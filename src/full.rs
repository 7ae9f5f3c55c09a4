//! # mailsim-full: the whole page in the browser
//!
//! The same page as `mailsim-web` (src/main.rs, whose docs describe it), built with the
//! feature `full`: the playground, the activities (`#/activities`, `#/activity/ID/…`,
//! `?activity=`, presenter mode, the embed) and the live view (`#/live`). The boot script
//! loads it instead of the player on those addresses, and the player hands over to it when
//! it is navigated to one of them (`hand_over` in src/page.rs).

include!("page.rs");
