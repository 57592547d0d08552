//! Daemon and queue-runner lines (spec §10, `daemon.c`, `queue.c`).

use crate::text::Text;

/// `exim 4.97 daemon started: pid=1234, -q30m, listening for SMTP on port 25 ...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DaemonStart<'a> {
    /// The Exim version.
    pub version: Text<'a>,
    /// The daemon's pid (absent when not a decimal number). JSON key
    /// `daemon_pid`, apart from the line prefix's `pid` (`+pid`).
    pub pid: Option<u32>,
    /// The rest after `pid=N, `: queue-run interval and the listening sockets.
    pub detail: Option<Text<'a>>,
}

crate::json_object::json_object!(DaemonStart<'a>, struct {
    req version,
    opt pid as "daemon_pid",
    opt detail,
});

/// Which queue-run line this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum QueuePhase {
    /// `Start ... queue run`.
    Start,
    /// `End ... queue run`.
    End,
    /// `Abandon ... queue run` (load too high).
    Abandon,
}

/// `Start queue run: pid=12345 -qff`, `End 'name' queue run: pid=N`,
/// `Start ODMR queue run: ...`, `Abandon queue run: ... (load L, max M)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct QueueRun<'a> {
    /// Start, end or abandon.
    pub phase: QueuePhase,
    /// The named queue, without quotes; absent for the default queue.
    pub queue: Option<Text<'a>>,
    /// An ODMR (ATRN) queue run.
    pub odmr: bool,
    /// The queue runner's pid (absent when not a decimal number). JSON key
    /// `runner_pid`, apart from the line prefix's `pid` (`+pid`).
    pub pid: Option<u32>,
    /// The options after the pid (`-qff`, `-R dom`, ...).
    pub options: Option<Text<'a>>,
}

crate::json_object::json_object!(QueueRun<'a>, struct {
    req phase,
    opt queue,
    opt odmr,
    opt pid as "runner_pid",
    opt options,
});

/// `pid N: SIGHUP received: re-exec daemon` (`daemon.c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DaemonSignal<'a> {
    /// The daemon's pid (absent when not a decimal number). JSON key
    /// `daemon_pid`, apart from the line prefix's `pid` (`+pid`).
    pub pid: Option<u32>,
    /// The text after `pid N: `.
    pub detail: Text<'a>,
}

crate::json_object::json_object!(DaemonSignal<'a>, struct {
    opt pid as "daemon_pid",
    req detail,
});
