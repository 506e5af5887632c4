//! Peak memory of one parse, measured on Linux through /proc (its own test binary, so no
//! other test allocates concurrently). Target: below 10 times the message size.
//!
//! The figure is the growth of resident memory while parsing, after resetting VmHWM. The
//! allocator may reuse pages freed by the fixture generator, so it is a lower bound on heap
//! use; it still fails if a parse touches more than 10x the message in fresh memory (for
//! example by copying the input several times or building quadratic structures).

#[cfg(target_os = "linux")]
fn status_kb(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn parse_peak_memory_is_below_ten_times_the_message() {
    let msg = handover_fixtures::sized(77, 100 * 1024);
    let warm = handover_toc::parse(&handover_fixtures::sized(78, 40 * 1024));
    drop(warm);
    // Reset the high-water mark to the current RSS (Linux >= 4.0).
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        eprintln!("cannot reset VmHWM; skipping the measurement");
        return;
    }
    let before = status_kb("VmRSS:");
    let parsed = handover_toc::parse(&msg);
    let peak = status_kb("VmHWM:");
    assert!(parsed.document.is_some());
    let delta = peak.saturating_sub(before) * 1024;
    eprintln!(
        "message {} bytes, parse peak RSS increase {} bytes ({:.1}x)",
        msg.len(),
        delta,
        delta as f64 / msg.len() as f64
    );
    assert!(
        delta < 10 * msg.len() as u64,
        "parse peak {delta} bytes for a {} byte message",
        msg.len()
    );
}
