//! A full-size dm+d release, generated at test time in the NHSBSA layout
//! (`handover_fixtures::dmd`), streams through `DmdRelease::read_dir` with its counts, links and
//! previous codes right, and with the reader's memory bounded by what it keeps, not by the files'
//! size. (`handover bench dmd` times the same at full size in a release build.)

use handover_fixtures::dmd::{Shape, SyntheticDmd};
use handover_medrec::{ConceptKind, Dictionary, DmdRelease};

/// A /proc/self/status figure in kB (Linux).
fn status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_full_size_release_streams_with_its_links() {
    let spec = SyntheticDmd {
        vtms: 5_000,
        vmps: 30_000,
        amps: 200_000,
    };
    let tmp = tempfile::tempdir().unwrap();
    let written = spec.write(tmp.path(), Shape::Lean).unwrap();
    let amp_bytes = written.bytes("f_amp2_");
    assert!(amp_bytes > 50 << 20, "f_amp2 is {amp_bytes} bytes");

    // The peak from here on (Linux: VmHWM reset to the current RSS).
    let measured = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = status_kb("VmRSS:");
    let start = std::time::Instant::now();
    let r = DmdRelease::read_dir(tmp.path()).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let (peak, holding) = (status_kb("VmHWM:"), status_kb("VmRSS:"));
    eprintln!(
        "read {} MB in {secs:.1} s; RSS before {before:?} kB, peak {peak:?} kB, holding the release {holding:?} kB",
        written.total_bytes() >> 20
    );

    let n = r.counts();
    assert_eq!((n.vtm, n.vmp, n.amp), (5_000, 30_000, 200_000));
    assert_eq!(n.previous_codes, written.previous_codes as u64);

    for k in [0, 42, 1_234, 99_999, 199_999] {
        let amp = r.lookup(&spec.amp_code(k)).unwrap();
        assert_eq!(amp.kind, ConceptKind::Amp);
        let j = spec.vmp_of_amp(k);
        assert_eq!(amp.vmp, Some(spec.vmp_code(j)));
        assert_eq!(amp.vtm, spec.vtm_of_vmp(j).map(|i| spec.vtm_code(i)));
        if k % 100 == 42 {
            // No DESC: the name is the NM.
            assert_eq!(amp.name, spec.vmp_name(j));
        } else {
            assert_eq!(amp.name, spec.amp_desc(k));
        }
    }
    // The supplier "Mawdsley-Brooks & Company Ltd" is written `&amp;`.
    assert!(r
        .lookup(&spec.amp_code(5))
        .unwrap()
        .name
        .ends_with("(Mawdsley-Brooks & Company Ltd)"));
    // A VMP without a VTM, and its AMPs.
    let vmp = r.lookup(&spec.vmp_code(9)).unwrap();
    assert_eq!((vmp.kind, vmp.vtm.as_deref()), (ConceptKind::Vmp, None));
    assert_eq!(r.lookup(&spec.amp_code(9)).unwrap().vtm, None);
    // Previous codes: VTMIDPREV, VPIDPREV, and the history file's VMP and AMP rows.
    for (prev, current) in [
        (spec.vtm_previous(40), spec.vtm_code(40)),
        (spec.vmp_previous(20), spec.vmp_code(20)),
        (spec.vmp_previous(22), spec.vmp_code(22)),
        (spec.amp_previous(28), spec.amp_code(28)),
    ] {
        assert_eq!(r.lookup(&prev.unwrap()).unwrap().code, current);
    }
    assert!(spec.vtm_previous(41).is_none());

    // Memory: the reader holds one record at a time. Its peak beyond the release it returns
    // is small; a tree of f_amp2 alone would be several times the file.
    if let (true, Some(before), Some(peak), Some(holding)) = (measured, before, peak, holding) {
        let overhead = peak.saturating_sub(holding);
        assert!(
            overhead < 64 * 1024,
            "peak {peak} kB while the release holds {holding} kB (from {before} kB)"
        );
    }
}
