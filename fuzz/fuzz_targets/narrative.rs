//! Fuzz the narrative sanitiser's word-preservation property: for any narrative (well-formed
//! XHTML or tag soup), the sanitised text holds exactly the characters of the input's text
//! nodes, in order (script and style content aside), and the sanitised HTML is well-formed,
//! script-free and holds the same text. The oracle is the property test's
//! (`crates/toc/tests/common/narrative_oracle.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/toc/tests/common/narrative_oracle.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| {
    let Ok(markup) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = oracle::check(markup) {
        panic!("{e}");
    }
});
