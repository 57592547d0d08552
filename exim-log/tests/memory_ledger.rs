//! The assembler's memory ledger ([`Assembler::memory`], what the memory
//! budget is checked against) counts at least the heap it really holds:
//! measured here by an allocator that counts the bytes this thread has
//! live, on messages with few and many lines, kept or lean, args lines
//! naming many ids, and submissions waiting for their arrival. A ledger
//! that undercounts lets a budget be passed unseen (issue 16's hostile
//! inputs); one that overcounts by far flushes messages early for nothing,
//! so it is held to at most a few times the real use too.
//!
//! Its own test binary, with one test: the counting allocator
//! (`stats_alloc`) is the binary's global one and counts every thread, so
//! nothing else may run beside the measurements.
// Helpers outside #[test] fns may unwrap and index too (clippy.toml allows it only inside them).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::alloc::System;

use exim_log::assemble::{Assembler, AssemblerOptions};
use exim_log::reader::{Position, Record};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// A message id of the new format for `n` (distinct for every `n`).
fn id(n: u64) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut pid = [b'0'; 11];
    let mut x = n;
    for c in pid.iter_mut().rev() {
        *c = B62[(x % 62) as usize];
        x /= 62;
    }
    format!("1sAoM5-{}-0000", std::str::from_utf8(&pid).unwrap())
}

/// Pushes `lines` (made by `line(n)`, none completing a message) into an
/// assembler with `opts` and no budget to speak of; returns the heap it
/// holds then (bytes live on this thread since just before it was made,
/// the lines' texts included: they move into it) and its ledger.
fn held(opts: AssemblerOptions, lines: usize, line: impl Fn(usize) -> String) -> (usize, usize) {
    let texts: Vec<String> = (0..lines).map(line).collect();
    let region = Region::new(GLOBAL);
    let mut asm = Assembler::with_options(opts);
    for (n, t) in texts.iter().enumerate() {
        asm.push(Record::new(
            t.as_bytes().to_vec(),
            Position::new(n as u64 + 1, 0),
        ));
        assert!(asm.pop().is_none(), "line {n} let something out: {t}");
    }
    let c = region.change();
    let real = c.bytes_allocated as isize - c.bytes_deallocated as isize;
    let ledger = asm.memory().held;
    drop(asm);
    (usize::try_from(real).unwrap(), ledger)
}

/// What an assembler's queues and tables take at their first allocation,
/// whatever they hold (a few slots each): not counted per item.
const FIRST_ALLOCATIONS: usize = 1024;

/// The ledger is at least the real use (less the tables' first
/// allocations), and at most `over` times it.
fn assert_counts(what: &str, (real, ledger): (usize, usize), over: usize) {
    assert!(
        real <= ledger + FIRST_ALLOCATIONS,
        "{what}: ledger {ledger} < real {real} bytes"
    );
    assert!(
        ledger <= over * real,
        "{what}: ledger {ledger} > {over} x real {real} bytes"
    );
}

fn arrival(n: usize) -> String {
    format!(
        "2024-05-25 10:00:00 {} <= sender{n}@example.com H=mx.example.com [192.0.2.1] P=esmtp S=1000 id=abc{n}@example.com",
        id(n as u64)
    )
}

fn deferral(m: usize, k: usize) -> String {
    format!(
        "2024-05-25 10:00:01 {} == rcpt{k}@example.net R=dnslookup T=remote_smtp defer (-44) H=mx.example.net [192.0.2.9]: SMTP error from remote mail server after RCPT TO:<rcpt{k}@example.net>: 451 4.7.1 Try again later",
        id(m as u64)
    )
}

fn messages_of_few_and_many_lines() {
    let opts = || {
        AssemblerOptions::default()
            .max_in_flight(1 << 20)
            .memory_budget(exim_log::budget::MemoryBudget::bytes(1 << 40))
    };
    for messages in [1, 3, 300] {
        for lines_each in [1, 2, 5, 40] {
            let what = format!("{messages} messages of {lines_each} lines");
            let got = held(opts(), messages * lines_each, |n| {
                let (m, k) = (n % messages, n / messages);
                if k == 0 { arrival(m) } else { deferral(m, k) }
            });
            assert_counts(&what, got, 3);
            let lean = held(opts().keep_lines(false), messages * lines_each, |n| {
                let (m, k) = (n % messages, n / messages);
                if k == 0 { arrival(m) } else { deferral(m, k) }
            });
            assert_counts(&format!("{what}, lean"), lean, 3);
        }
    }
}

fn args_lines_naming_many_ids() {
    for ids in [1, 10, 1_000] {
        for lines in [1, 5] {
            let got = held(
                AssemblerOptions::default().max_in_flight(1 << 20),
                lines,
                |n| {
                    let named: Vec<String> = (0..ids).map(|i| id((n * ids + i) as u64)).collect();
                    format!(
                        "2024-05-25 10:00:00 cwd=/var/spool/exim {} args: /usr/sbin/exim -M {}",
                        ids + 2,
                        named.join(" ")
                    )
                },
            );
            assert_counts(&format!("{lines} lines naming {ids} ids"), got, 3);
        }
    }
}

fn submissions_waiting_for_their_arrival() {
    for lines in [1, 10, 1_000] {
        let got = held(AssemblerOptions::default(), lines, |n| {
            format!(
                "2024-05-25 10:00:00 [{}] cwd=/home/user{n}/public_html 3 args: /usr/sbin/sendmail -t -i",
                1000 + n
            )
        });
        assert_counts(&format!("{lines} submissions"), got, 3);
    }
}

/// One test (see the module docs): the shapes in turn.
#[test]
fn the_ledger_counts_at_least_the_heap_held() {
    messages_of_few_and_many_lines();
    args_lines_naming_many_ids();
    submissions_waiting_for_their_arrival();
}
