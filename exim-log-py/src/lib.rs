//! Python bindings of exim-log (the `exim_log` package's native module).
//!
//! The Python API is documented in `python/exim_log/__init__.pyi`.
#![forbid(unsafe_code)]

mod arrow;
mod cli;
mod entries;
mod error;
mod fields;
mod follow;
mod line;
mod lines;
mod messages;
mod options;
mod pick;
mod received;
mod report;
mod selector;
mod source;
mod spool;
mod weblog;

use pyo3::prelude::*;

/// Native part of the `exim_log` package; import `exim_log` instead.
#[pymodule]
mod _exim_log {
    use pyo3::prelude::*;

    #[pymodule_export]
    use crate::arrow::{ArrowBatches, read_arrow};
    #[pymodule_export]
    use crate::cli::run_command;
    #[pymodule_export]
    use crate::entries::{
        EntryLine, Header, PanicEntry, RejectEntry, SyslogLine, panic_entries, parse_syslog_line,
        reject_entries,
    };
    #[pymodule_export]
    use crate::error::ParseError;
    #[pymodule_export]
    use crate::follow::{Follow, follow};
    #[pymodule_export]
    use crate::line::{Line, parse_line};
    #[pymodule_export]
    use crate::lines::{LineReader, lines};
    #[pymodule_export]
    use crate::messages::{LinkedArguments, Message, MessageReader, messages, trace};
    #[pymodule_export]
    use crate::options::{Options, infer_selectors};
    #[pymodule_export]
    use crate::received::{Received, exim_message_ids, parse_received, received_headers};
    #[pymodule_export]
    use crate::report::{_report_from_state, Report, abuse_report, plan, spam_sources, summary};
    #[pymodule_export]
    use crate::selector::{LogSelector, parse_log_selector};
    #[pymodule_export]
    use crate::spool::{SpoolHeader, parse_queue_listing, parse_spool_header, queue, spool};
    #[pymodule_export]
    use crate::weblog::{AccessLines, access_lines, domlogs, parse_access_line, web_origins};

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
