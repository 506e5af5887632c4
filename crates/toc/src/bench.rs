//! `handover bench parse`: parse throughput over generated messages of realistic size.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Benchmark figures. The CLI adds `peak_rss_mb` (from /proc/self/status VmHWM).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchFigures {
    pub messages_per_second: f64,
    pub mb_per_second: f64,
    /// Messages parsed and their total size.
    pub messages: u64,
    pub bytes: u64,
    pub seconds: f64,
    /// Size range of the generated messages.
    pub smallest_message_bytes: u64,
    pub largest_message_bytes: u64,
}

/// A pool of `n` generated XML messages of 40 to 100 KB.
pub fn message_pool(n: usize, seed: u64) -> Vec<Vec<u8>> {
    (0..n as u64)
        .map(|i| {
            let target = 40 * 1024 + ((i.wrapping_mul(7919) ^ seed) % (60 * 1024)) as usize;
            crate::fixtures::sized(seed.wrapping_add(i), target)
        })
        .collect()
}

/// Parse `pool` round-robin on this thread for at least `min_time` (and at least once each).
pub fn run(pool: &[Vec<u8>], min_time: Duration) -> BenchFigures {
    let mut messages = 0u64;
    let mut bytes = 0u64;
    let start = Instant::now();
    loop {
        for m in pool {
            let p = crate::parse(m);
            std::hint::black_box(&p);
            messages += 1;
            bytes += m.len() as u64;
        }
        if start.elapsed() >= min_time {
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    BenchFigures {
        messages_per_second: messages as f64 / secs,
        mb_per_second: bytes as f64 / secs / (1024.0 * 1024.0),
        messages,
        bytes,
        seconds: secs,
        smallest_message_bytes: pool.iter().map(|m| m.len() as u64).min().unwrap_or(0),
        largest_message_bytes: pool.iter().map(|m| m.len() as u64).max().unwrap_or(0),
    }
}

/// Generate 16 messages of 40–100 KB (seeded) and parse them for `min_time`.
pub fn parse_benchmark(seed: u64, min_time: Duration) -> BenchFigures {
    let pool = message_pool(16, seed);
    run(&pool, min_time)
}
