//! `exim_log.parse_access_line`, `access_lines`, `domlogs` and `web_origins`:
//! web server access logs (`exim_log::weblog`, `exim_log::reader::domlogs`)
//! and the web requests behind the mail scripts sent
//! (`exim_log::report::web_origins`), called from Python.

use std::path::PathBuf;

use exim_log::assemble::{Assembled, Assembler, AssemblerOptions, Message};
use exim_log::budget::MemoryBudget;
use exim_log::reader::{LogFiles, Record, SpoolDir, cpanel_userdata};
use exim_log::report::web_origins::WebOrigins;
use exim_log::weblog::{WeblogError, WeblogErrorKind, parse_access_line as rs_parse};
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::error::{Where, parse_error};
use crate::line::input_bytes;
use crate::pick::to_dict;
use crate::source::{open, read_error, skip_errors};

fn weblog_error(py: Python<'_>, e: WeblogError, at: &Where) -> PyErr {
    let kind = match e.kind {
        WeblogErrorKind::Fields => "fields",
        WeblogErrorKind::Time => "time",
        WeblogErrorKind::Request => "request",
        WeblogErrorKind::Status => "status",
        _ => "other",
    };
    parse_error(py, &e.to_string(), kind, e.offset as u64, at)
}

/// One access-log line (common, combined or vhost_combined) as a dict
/// (SCHEMA.md "Web access-log lines"); raises `ParseError` when it is not one.
#[pyfunction]
pub(crate) fn parse_access_line<'py>(
    py: Python<'py>,
    line: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let bytes = input_bytes(line)?;
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    match rs_parse(bytes) {
        Ok(l) => to_dict(py, &l),
        Err(e) => Err(weblog_error(py, e, &Where::default())),
    }
}

/// The lines of access-log files (plain or gzip, in the order given), parsed:
/// an iterator of dicts, returned by `access_lines()`.
#[pyclass(module = "exim_log")]
pub(crate) struct AccessLines {
    files: LogFiles,
    buf: Vec<u8>,
    skip: bool,
}

#[pymethods]
impl AccessLines {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        loop {
            match self.files.read_line(&mut self.buf) {
                Ok(None) => return Ok(None),
                Ok(Some(pos)) => match rs_parse(&self.buf) {
                    Ok(l) => return to_dict(py, &l).map(Some),
                    Err(_) if self.skip => {}
                    Err(e) => {
                        let at = Where {
                            line: Some(pos.line),
                            file: pos.file.as_ref().map(|f| f.display().to_string()),
                            ..Where::default()
                        };
                        return Err(weblog_error(py, e, &at));
                    }
                },
                Err(e) if !e.is_fatal() && self.skip => {}
                Err(e) => return Err(read_error(py, e)),
            }
        }
    }
}

/// Reads access-log files (see the stub).
#[pyfunction]
#[pyo3(signature = (paths, *, errors = "raise"))]
pub(crate) fn access_lines(paths: Vec<PathBuf>, errors: &str) -> PyResult<AccessLines> {
    Ok(AccessLines {
        files: LogFiles::new(paths),
        buf: Vec::new(),
        skip: skip_errors(errors)?,
    })
}

/// The access-log sets of a domlogs folder (see the stub).
#[pyfunction]
pub(crate) fn domlogs<'py>(py: Python<'py>, dir: PathBuf) -> PyResult<Bound<'py, PyList>> {
    let sets = exim_log::reader::domlogs(&dir)
        .map_err(|e| PyOSError::new_err(format!("{}: {e}", dir.display())))?;
    let out = PyList::empty(py);
    for s in sets {
        let d = PyDict::new(py);
        d.set_item("domain", &s.domain)?;
        d.set_item("user", s.user.as_deref())?;
        d.set_item("ssl", s.ssl)?;
        let files: Vec<String> = s.files.iter().map(|f| f.display().to_string()).collect();
        d.set_item("files", files)?;
        out.append(d)?;
    }
    Ok(out)
}

/// Feeds every assembled message of `source` to `each`, without the GIL.
pub(crate) fn each_message(
    py: Python<'_>,
    mut source: LogFiles,
    budget: MemoryBudget,
    mut each: impl FnMut(&Message) + Send,
) -> PyResult<()> {
    let r = py.detach(|| -> Result<(), exim_log::ReadError> {
        let mut asm = Assembler::with_options(AssemblerOptions::default().memory_budget(budget));
        let mut buf = Vec::new();
        let mut drain = |asm: &mut Assembler| {
            while let Some(item) = asm.pop() {
                if let Assembled::Message(m) = &item {
                    each(m);
                }
            }
        };
        loop {
            match source.read_line(&mut buf) {
                Ok(None) => {
                    asm.finish();
                    drain(&mut asm);
                    return Ok(());
                }
                Ok(Some(pos)) => {
                    asm.push(Record::new(std::mem::take(&mut buf), pos));
                    drain(&mut asm);
                }
                Err(e) if !e.is_fatal() => {}
                Err(e) => return Err(e),
            }
        }
    });
    r.map_err(|e| read_error(py, e))
}

/// The web requests behind the mail scripts sent (see the stub).
#[pyfunction]
#[pyo3(signature = (logs = None, *, domlogs, rotated = false, window = 10, docroots = None,
    cpanel_userdata = None, queue = None, log_offset = 0, top = 5, memory_budget = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn web_origins<'py>(
    py: Python<'py>,
    logs: Option<&Bound<'py, PyAny>>,
    domlogs: Vec<PathBuf>,
    rotated: bool,
    window: i64,
    docroots: Option<Vec<(String, String)>>,
    cpanel_userdata: Option<PathBuf>,
    queue: Option<Vec<PathBuf>>,
    log_offset: i64,
    top: usize,
    memory_budget: Option<usize>,
) -> PyResult<Bound<'py, PyAny>> {
    let budget = memory_budget.map_or(MemoryBudget::DEFAULT, MemoryBudget::bytes);
    let mut w = WebOrigins::with_budget(window, docroots.unwrap_or_default(), budget);
    if let Some(dir) = &cpanel_userdata {
        let sites = self::cpanel_userdata_of(dir)?;
        for u in &sites {
            w.add_userdata(u);
        }
    }
    for dir in queue.unwrap_or_default() {
        let files = SpoolDir::open(&dir)
            .map_err(|e| PyOSError::new_err(format!("{}: {e}", dir.display())))?;
        for f in files.flatten() {
            if let Ok(h) = f.parse() {
                w.add_header(&h);
            }
        }
    }
    if let Some(logs) = logs {
        let source = open(py, logs, rotated)?;
        each_message(py, source, budget, |m| {
            w.add_message(m, log_offset);
        })?;
    }
    let mut sets = Vec::new();
    for dir in &domlogs {
        sets.extend(
            exim_log::reader::domlogs(dir)
                .map_err(|e| PyOSError::new_err(format!("{}: {e}", dir.display())))?,
        );
    }
    let r = py.detach(|| -> Result<(), exim_log::ReadError> {
        for set in &sets {
            w.add_domlog(set, |_| {})?;
        }
        Ok(())
    });
    r.map_err(|e| read_error(py, e))?;
    to_dict(py, &w.report(top))
}

fn cpanel_userdata_of(dir: &PathBuf) -> PyResult<Vec<exim_log::cpanel::Userdata>> {
    cpanel_userdata(dir).map_err(|e| PyOSError::new_err(format!("{}: {e}", dir.display())))
}
