//! Fuzz `handover_toc::parse`: it must never panic, and what it returns must hold the
//! crate's invariants (fatal results carry a fatal diagnostic; sanitised HTML is well-formed
//! and free of script; the inspect views render).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = handover_toc::parse(data);
    if p.is_fatal() {
        assert!(p.document.is_none() || p.diagnostics.iter().any(|d| d.itk_code.is_some()));
    }
    if let Some(doc) = &p.document {
        // A section without narrative has empty HTML (and an error diagnostic).
        for s in doc.sections.iter().filter(|s| !s.html.is_empty()) {
            let parsed = roxmltree::Document::parse(&s.html);
            assert!(
                parsed.is_ok(),
                "sanitised HTML is not well-formed: {}",
                s.html
            );
            assert!(!s.html.to_ascii_lowercase().contains("<script"));
        }
    }
    let _ = handover_toc::inspect::to_json(&p);
    let _ = handover_toc::inspect::to_text(&p);
});
