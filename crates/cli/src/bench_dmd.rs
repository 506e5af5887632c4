//! `handover bench dmd`: reading a full-size dm+d release (`DmdRelease::read_dir`) and importing
//! it into a throwaway encrypted store (as `handover dmd import` does), with wall time and peak
//! memory for each. The release is generated (`handover_fixtures::dmd`, every element and
//! section of a real release, so the files are about a real release's size) or, with `--dir`,
//! a real release of one's own. See docs/benchmarks.md, "dm+d import".

use std::path::{Path, PathBuf};
use std::time::Instant;

use handover_errors::ErrorCode;
use handover_fixtures::dmd::{Shape, SyntheticDmd};
use handover_medrec::DmdRelease;
use handover_store::{DbKey, Store};
use serde_json::json;

use crate::bench::peak_rss_mb;
use crate::CliError;

#[derive(clap::Args)]
pub struct DmdArgs {
    /// AMPs in the generated release; VMPs and VTMs scale with it (the default, about a full
    /// release: 150,000 AMPs, 25,000 VMPs, 4,054 VTMs).
    #[arg(long, default_value_t = 150_000)]
    amps: usize,
    #[arg(long)]
    json: bool,
    /// Read the release in DIR (a real NHSBSA dm+d release) instead of a generated one.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Only read the release: no store import.
    #[arg(long)]
    no_store: bool,
}

fn err(e: impl std::fmt::Display) -> CliError {
    CliError::new(ErrorCode::BenchFailed, e.to_string())
}

/// A line of /proc/self/status in MB (`VmRSS`, `VmHWM`). Linux only.
fn status_mb(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(round1(kb / 1024.0))
}

/// Resets the peak resident memory (VmHWM) to the current RSS, so that the next peak read is
/// one step's own. Linux only; false when it could not be reset.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn mb(bytes: u64) -> f64 {
    round1(bytes as f64 / 1048576.0)
}

/// The size of the one file in `dir` whose lower-cased name starts with `prefix`.
fn file_bytes(dir: &Path, prefix: &str) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .to_lowercase()
                .starts_with(prefix)
        })
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

pub fn run(args: DmdArgs) -> Result<(), CliError> {
    let tmp = std::env::temp_dir().join(format!("handover-bench-dmd-{}", std::process::id()));
    let result = bench(&args, &tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    let value = result?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&value).expect("json"));
    } else {
        for (k, v) in value.as_object().expect("an object") {
            println!("{k}: {v}");
        }
    }
    Ok(())
}

fn bench(args: &DmdArgs, tmp: &Path) -> Result<serde_json::Value, CliError> {
    std::fs::create_dir_all(tmp).map_err(err)?;
    let (dir, generate_seconds) = match &args.dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let dir = tmp.join("release");
            let start = Instant::now();
            SyntheticDmd::with_amps(args.amps)
                .write(&dir, Shape::Full)
                .map_err(|e| err(format!("cannot write the release: {e}")))?;
            (dir, Some(start.elapsed().as_secs_f64()))
        }
    };
    let history = dir.join("HISTORIC_CODES");
    let files = json!({
        "f_vtm2": mb(file_bytes(&dir, "f_vtm2_")),
        "f_vmp2": mb(file_bytes(&dir, "f_vmp2_")),
        "f_amp2": mb(file_bytes(&dir, "f_amp2_")),
        "history": mb(file_bytes(&history, "f_history")),
    });

    // Read the release: its own peak, from the RSS before it.
    let peaks_reset = reset_peak();
    let rss_before_read = status_mb("VmRSS:");
    let start = Instant::now();
    let release = DmdRelease::read_dir(&dir)?;
    let read_seconds = start.elapsed().as_secs_f64();
    let read_peak = peak_rss_mb();
    let rss_holding_release = status_mb("VmRSS:");
    let counts = release.counts();

    let mut value = json!({
        "input": args.dir.as_ref().map_or("generated".to_string(), |d| d.display().to_string()),
        "vtm": counts.vtm,
        "vmp": counts.vmp,
        "amp": counts.amp,
        "previous_codes": counts.previous_codes,
        "files_mb": files,
        "generate_seconds": generate_seconds.map(round1),
        "read_seconds": round3(read_seconds),
        "read_mb_per_second": round1(
            (file_bytes(&dir, "f_") + file_bytes(&history, "f_history")) as f64
                / 1048576.0
                / read_seconds.max(1e-9)
        ),
        "rss_before_read_mb": rss_before_read,
        "read_peak_rss_mb": read_peak,
        "rss_holding_release_mb": rss_holding_release,
        "peaks_measured_per_step": peaks_reset,
    });

    if !args.no_store {
        let store = Store::open_with_key(&tmp.join("bench.db"), &DbKey::generate())?;
        reset_peak();
        let rss_before_import = status_mb("VmRSS:");
        let start = Instant::now();
        let status = crate::medicines::import_release(&store, &release, "2026-01-01T00:00:00Z")?;
        let import_seconds = start.elapsed().as_secs_f64();
        let import_peak = peak_rss_mb();
        if (status.vtm, status.vmp, status.amp, status.previous_codes)
            != (counts.vtm, counts.vmp, counts.amp, counts.previous_codes)
        {
            return Err(err(format!(
                "the store holds {status:?}, the release {counts:?}"
            )));
        }
        value["rss_before_import_mb"] = json!(rss_before_import);
        value["import_seconds"] = json!(round3(import_seconds));
        value["import_peak_rss_mb"] = json!(import_peak);
        let path = store.path().to_owned();
        drop(store);
        value["database_mb"] = json!(mb(std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)));
    }
    drop(release);
    Ok(value)
}
