//! The progress bar of long runs: bytes read of the total, rate and time left,
//! on stderr, only when stderr is a terminal (never in pipes or logs).

use std::io::{self, IsTerminal};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar over a known number of input bytes.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `total` bytes, or `None` when stderr is not a terminal.
    pub fn on_terminal(total: u64) -> Option<Self> {
        if !io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(250));
        Some(Progress { bar })
    }

    /// Sets the bytes read so far.
    pub fn set(&self, bytes: u64) {
        self.bar.set_position(bytes);
    }

    /// Removes the bar (the report follows on stdout).
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}
