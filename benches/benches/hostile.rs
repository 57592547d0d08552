//! Hostile input shapes at growing sizes (issue "Fuzzing in CI and hardening"):
//! parse time must grow linearly with the input, so the reported throughput
//! (bytes/s) stays flat across the sizes of one shape. A drop by the size ratio
//! means a quadratic path. `cargo bench -p exim-log-benches --bench hostile`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use exim_log::{LogSelector, Received, parse_line};

const PREFIX: &str = "2024-05-25 10:10:28 1sAoM5-00000009r3p-06vq ";

/// A shape's name and its builder: the input at `n` repetitions of its growing part.
type Shape = (&'static str, fn(usize) -> Vec<u8>);

/// Each hostile line shape.
fn shapes() -> Vec<Shape> {
    vec![
        ("long_sender", |n| {
            format!("{PREFIX}<= {}@example.com S=1", "a".repeat(n * 64)).into_bytes()
        }),
        ("many_fields", |n| {
            let mut l = format!("{PREFIX}<= a@example.com H=mx.example.com [192.0.2.1]");
            (0..n).for_each(|i| l.push_str(&format!(" X{i}=v")));
            l.into_bytes()
        }),
        ("many_recipients", |n| {
            let mut l = format!("{PREFIX}<= a@example.com P=esmtp S=1 for");
            (0..n).for_each(|i| l.push_str(&format!(" r{i}@example.com")));
            l.into_bytes()
        }),
        ("unclosed_subject", |n| {
            format!("{PREFIX}<= a@example.com T=\"{}", "\\\" x ".repeat(n * 8)).into_bytes()
        }),
        ("nested_helo", |n| {
            let helo = format!("{}x{}", "(".repeat(n * 8), ")".repeat(n * 8));
            format!("{PREFIX}<= a@example.com H={helo} [192.0.2.1] P=esmtp").into_bytes()
        }),
        ("helo_close_bracket_runs", |n| {
            // `) [` that never ends in a valid address: each candidate must not
            // rescan the rest of the line.
            format!(
                "{PREFIX}<= a@example.com H=({} P=esmtp",
                ") [x".repeat(n * 8)
            )
            .into_bytes()
        }),
        ("rejection_reason", |n| {
            format!(
                "2024-05-25 10:10:28 H=(pc) [192.0.2.1] F=<a@b.example> rejected RCPT <c@d.example>: {}",
                "(: ".repeat(n * 16)
            )
            .into_bytes()
        }),
    ]
}

fn lines(c: &mut Criterion) {
    for (name, make) in shapes() {
        let mut group = c.benchmark_group(format!("hostile_line/{name}"));
        group.sample_size(10);
        for n in [1_000, 4_000, 16_000] {
            let input = make(n);
            group.throughput(Throughput::Bytes(input.len() as u64));
            group.bench_with_input(BenchmarkId::from_parameter(input.len()), &input, |b, i| {
                b.iter(|| parse_line(black_box(i)).map(|l| l.text().len()))
            });
        }
        group.finish();
    }
}

fn received(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile_received/nested_comments");
    group.sample_size(10);
    for n in [1_000, 4_000, 16_000] {
        let input = format!(
            "Received: from x ({}[192.0.2.1]{})\n\tby mx.example.net with esmtp (Exim 4.97)\n\tid 1sAoM5-00000009r3p-06vq;\n\tSat, 25 May 2024 11:10:28 +0100",
            "(".repeat(n * 8),
            ")".repeat(n * 8)
        )
        .into_bytes();
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(input.len()), &input, |b, i| {
            b.iter(|| Received::parse(black_box(i)).message_id)
        });
    }
    group.finish();
}

fn selector(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile_selector/long_setting");
    group.sample_size(10);
    for n in [1_000, 4_000, 16_000] {
        let input = "+subject -pid ".repeat(n);
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(input.len()), &input, |b, i| {
            b.iter(|| LogSelector::parse(black_box(i)).is_ok())
        });
    }
    group.finish();
}

criterion_group!(benches, lines, received, selector);
criterion_main!(benches);
