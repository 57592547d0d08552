//! The text of each report. The counting is the library's
//! ([`exim_log::report`]); each module here re-exports its report and renders
//! it for people ([`Render`]); `--json` prints the report value itself.

use std::io::{self, Write};

pub mod abuse;
pub mod html;
pub mod queue;
pub mod spam;
pub mod summary;
pub mod text;

/// A report printed for people.
pub trait Render {
    /// Writes the human report, headed by the names of the inputs read.
    fn write_text(&self, out: &mut dyn Write, inputs: &[String]) -> io::Result<()>;
}
