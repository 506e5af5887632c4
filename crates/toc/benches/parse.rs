//! Criterion benchmark: parse realistic 40–100 KB ITK3 messages.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn bench_parse(c: &mut Criterion) {
    let pool = handover_fixtures::bench::message_pool(16, 42);
    let total: u64 = pool.iter().map(|m| m.len() as u64).sum();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(total));
    g.bench_function("16 messages of 40-100 KB", |b| {
        b.iter(|| {
            for m in &pool {
                std::hint::black_box(handover_toc::parse(m));
            }
        })
    });
    // Baseline: XML well-formedness parsing alone (the floor for `parse`).
    g.bench_function("roxmltree baseline", |b| {
        b.iter(|| {
            for m in &pool {
                let text = std::str::from_utf8(m).unwrap();
                std::hint::black_box(
                    roxmltree::Document::parse(text)
                        .unwrap()
                        .root()
                        .children()
                        .count(),
                );
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench_parse);
criterion_main!(benches);
