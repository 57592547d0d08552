//! `Received:` header parsing (one header at a time, and finding the Exim ids in
//! a whole header block), `log_selector` parsing, and selector inference over a
//! generated log. `cargo bench -p exim-log-benches --bench headers_selector`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use exim_log::{Inference, LogSelector, Received, exim_message_ids};
use exim_log_benches::{Config, generate};

/// Headers in the shapes of format reference §11, with our own names.
const HEADERS: &[&[u8]] = &[
    // Exim 4.97+, TLS, port, date on its own line.
    b"Received: from mail.example.com ([192.0.2.7]:38432 helo=client.example)\n\
      \tby cp01.hostingco.example.net with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n\
      \t(Exim 4.97.1)\n\
      \t(envelope-from <alice@example.com>)\n\
      \tid 1sAoM5-00000009r3p-06vq;\n\
      \tSat, 25 May 2024 11:10:28 +0100",
    // Exim 4.94 with a distribution suffix, unverified host, same-line date.
    b"Received: from [198.51.100.46] (helo=smtp.example.org)\n\
      \tby mx.example.net with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384\n\
      \t(Exim 4.94.2 (FreeBSD))\n\
      \t(envelope-from <dev@example.org>)\n\
      \tid 1neFfG-000Bu6-U9; Tue, 12 Apr 2022 14:30:34 +0200",
    // Local submission by a web script (the outbound-spam case).
    b"Received: from bluesumm by cp01.hostingco.example.net with local (Exim 4.96)\n\
      \t(envelope-from <bluesumm@cp01.hostingco.example.net>)\n\
      \tid 1tQxyy-000AbC-1X\n\
      \tfor victim@example.com; Mon, 06 Jan 2025 10:00:00 +0000",
    // Postfix.
    b"Received: from mail.example.org (mail.example.org [203.0.113.9])\n\
      \t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\n\
      \t(No client certificate requested)\n\
      \tby mx.example.com (Postfix) with ESMTPS id 4XyZ1p2QrFz9sRt\n\
      \tfor <bob@example.com>; Mon,  6 Jan 2025 12:34:56 +0100 (CET)",
    // Gmail internal hop.
    b"Received: by 2002:a05:6102:22c6:0:0:0:0 with SMTP id a6csp126141vsh;\n\
      \tMon, 6 Jan 2025 04:05:06 -0800 (PST)",
];

fn received(c: &mut Criterion) {
    let mut group = c.benchmark_group("received");
    let bytes: usize = HEADERS.iter().map(|h| h.len()).sum();
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("parse_each", |b| {
        b.iter(|| {
            HEADERS
                .iter()
                .map(|h| Received::parse(black_box(h)).message_id.is_some() as usize)
                .sum::<usize>()
        })
    });
    // A spam's whole header block, as pasted by a user: find the Exim ids.
    let mut block = b"Return-path: <>\nDelivered-To: bob@example.com\n".to_vec();
    for h in HEADERS {
        block.extend_from_slice(h);
        block.push(b'\n');
    }
    block.extend_from_slice(b"Subject: Buy Me!\nFrom: <x@example.com>\n\nbody\n");
    group.throughput(Throughput::Bytes(block.len() as u64));
    group.bench_function("exim_message_ids_in_block", |b| {
        b.iter(|| exim_message_ids(black_box(&block)).len())
    });
    group.finish();
}

fn selector(c: &mut Criterion) {
    let mut group = c.benchmark_group("log_selector");
    let settings = [
        "+arguments +subject +received_recipients",
        "+all -dkim_verbose -tls_sni",
        "+smtp_connection +smtp_incomplete_transaction +smtp_no_mail +smtp_protocol_error \
         +smtp_syntax_error +tls_peerdn +incoming_port +queue_time +deliver_time -retry_defer",
    ];
    let bytes: usize = settings.iter().map(|s| s.len()).sum();
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("parse_setting", |b| {
        b.iter(|| {
            settings
                .iter()
                .filter_map(|s| black_box(s).parse::<LogSelector>().ok())
                .count()
        })
    });
    let mut config = Config::with_incidents(7, 4 << 20);
    config.rich = true;
    config.pid = true;
    config.millisec = true;
    let log = generate(&config).0;
    group.throughput(Throughput::Bytes(log.len() as u64));
    group.sample_size(20);
    group.bench_function("infer_from_log", |b| {
        b.iter(|| Inference::from_bytes(black_box(&log)))
    });
    group.finish();
}

criterion_group!(benches, received, selector);
criterion_main!(benches);
