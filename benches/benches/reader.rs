//! The library's reader over a file in the page cache and over `.gz`, the id
//! search fast path, and message assembly, on a generated 16 MiB log.
//! `cargo bench -p exim-log-benches --bench reader`.
// Setup of a bench: failing to write the temp files must stop it, loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use exim_log_benches::work;
use exim_log_benches::{Config, FORMAT_VERSION, generate};

struct Files {
    log: Vec<u8>,
    plain: PathBuf,
    gz: PathBuf,
    id: String,
}

/// Writes the log and its `.gz` to the temp directory (reused between runs).
fn files() -> Files {
    let mut config = Config::with_incidents(99, 16 << 20);
    config.record_messages = true;
    let (log, truth) = generate(&config);
    let dir = std::env::temp_dir();
    let plain = dir.join(format!("exim-log-bench-v{FORMAT_VERSION}-99.log"));
    let gz = dir.join(format!("exim-log-bench-v{FORMAT_VERSION}-99.log.gz"));
    if std::fs::metadata(&plain).map(|m| m.len()).ok() != Some(log.len() as u64) {
        std::fs::write(&plain, &log).expect("write the bench log");
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).expect("create the .gz"),
            flate2::Compression::default(),
        );
        enc.write_all(&log).expect("compress");
        enc.finish().expect("finish the .gz");
    }
    let id = truth
        .messages
        .get(truth.messages.len() / 2)
        .map(|m| m.id.clone())
        .unwrap_or_default();
    Files { log, plain, gz, id }
}

fn reader(c: &mut Criterion) {
    let f = files();
    let mut group = c.benchmark_group("reader");
    group.throughput(Throughput::Bytes(f.log.len() as u64));
    group.sample_size(20);
    group.bench_function("file_read_lines", |b| {
        b.iter(|| work::reader_pass(&[black_box(&f.plain)], false).map(|s| s.lines))
    });
    group.bench_function("file_read_lines_copy", |b| {
        b.iter(|| work::reader_pass_copying(&[black_box(&f.plain)], false).map(|s| s.lines))
    });
    group.bench_function("file_read_parse_copy", |b| {
        b.iter(|| work::reader_pass_copying(&[black_box(&f.plain)], true).map(|s| s.checksum))
    });
    group.bench_function("file_read_parse", |b| {
        b.iter(|| work::reader_pass(&[black_box(&f.plain)], true).map(|s| s.checksum))
    });
    group.bench_function("gz_read_parse", |b| {
        b.iter(|| work::reader_pass(&[black_box(&f.gz)], true).map(|s| s.checksum))
    });
    group.bench_function("file_id_search", |b| {
        b.iter(|| work::reader_trace(black_box(&f.plain), &f.id))
    });
    group.bench_function("gz_id_search", |b| {
        b.iter(|| work::reader_trace(black_box(&f.gz), &f.id))
    });
    group.finish();

    let mut group = c.benchmark_group("assemble");
    group.throughput(Throughput::Bytes(f.log.len() as u64));
    group.sample_size(10);
    group.bench_function("messages_in_memory", |b| {
        b.iter(|| work::assemble(black_box(&f.log)))
    });
    group.finish();
}

criterion_group!(benches, reader);
criterion_main!(benches);
