//! Parse throughput on generated logs, per line kind and for a whole buffer, with
//! the `memchr` floor and a naive split beside it for scale. `cargo bench -p
//! exim-log-benches --bench parse`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use exim_log::parse_line;
use exim_log_benches::work::{self, Kind, UNKNOWN_LINES};
use exim_log_benches::{Config, generate};

/// 8 MiB of a busy server under attack: enough lines of every kind.
fn sample_log() -> Vec<u8> {
    let mut config = Config::with_incidents(2024, 8 << 20);
    config.record_messages = false;
    generate(&config).0
}

fn per_kind(c: &mut Criterion) {
    let log = sample_log();
    let mut group = c.benchmark_group("parse_line");
    let kinds = [
        ("arrival", Kind::Arrival),
        ("delivery", Kind::Delivery),
        ("failure", Kind::Failure),
        ("deferral", Kind::Deferral),
        ("rejection", Kind::Rejection),
        ("cwd", Kind::Cwd),
    ];
    for (name, kind) in kinds {
        let lines: Vec<&[u8]> = work::lines(&log)
            .filter(|l| Kind::of(l) == kind)
            .take(20_000)
            .collect();
        let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut sum = 0usize;
                for l in &lines {
                    if let Ok(line) = parse_line(black_box(l)) {
                        sum = sum.wrapping_add(work::touch(&line));
                    }
                }
                sum
            })
        });
    }
    let bytes: usize = UNKNOWN_LINES.iter().map(|l| l.len() + 1).sum();
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("unknown", |b| {
        b.iter(|| {
            let mut sum = 0usize;
            for l in UNKNOWN_LINES {
                if let Ok(line) = parse_line(black_box(l)) {
                    sum = sum.wrapping_add(work::touch(&line));
                }
            }
            sum
        })
    });
    group.finish();
}

fn whole_buffer(c: &mut Criterion) {
    let log = sample_log();
    let mut group = c.benchmark_group("buffer");
    group.throughput(Throughput::Bytes(log.len() as u64));
    group.sample_size(20);
    group.bench_function("memchr_count_lines", |b| {
        b.iter(|| work::count_lines(black_box(&log)))
    });
    group.bench_function("naive_split_spaces", |b| {
        b.iter(|| work::naive_split(black_box(&log)))
    });
    group.bench_function("parse_all", |b| b.iter(|| work::parse_all(black_box(&log))));
    group.finish();
}

criterion_group!(benches, per_kind, whole_buffer);
criterion_main!(benches);
