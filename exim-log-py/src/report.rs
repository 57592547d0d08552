//! `exim_log.spam_sources()`, `abuse_report()` and `summary()`: the library's
//! reports ([`exim_log::report`]) counted over a source with the GIL
//! released. The object returned keeps the counts, so partial reports (one
//! per file, thread or Dask partition) `merge()` into the single-pass answer;
//! `to_dict()` is the report's JSON (SCHEMA.md "Reports"), via pythonize.

use exim_log::assemble::{Assembled, Assembler, AssemblerOptions};
use std::path::PathBuf;

use exim_log::budget::MemoryBudget;
use exim_log::parallel::{Plan, Unit, available_threads, fold_lines, fold_messages};
use exim_log::reader::{LogFiles, Record};
use exim_log::report::TimeWindow;
use exim_log::report::abuse::AbuseReport;
use exim_log::report::queue::QueueReport;
use exim_log::report::spam::SpamSources;
use exim_log::report::summary::Summary;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::pick::to_dict;
use crate::source::{BATCH_BYTES, open, paths, read_error};

/// The counts of one report. Serialized (the library's report state, serde)
/// so that a `Report` pickles: Dask and multiprocessing move partial reports
/// between processes.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
enum Counts {
    Spam(SpamSources),
    Abuse(AbuseReport),
    Summary(Summary),
    /// Filled by `exim_log.queue()` (crate::spool), not from a log.
    Queue(QueueReport),
}

impl Counts {
    fn name(&self) -> &'static str {
        match self {
            Counts::Spam(_) => "spam_sources",
            Counts::Abuse(_) => "abuse_report",
            Counts::Summary(_) => "summary",
            Counts::Queue(_) => "queue",
        }
    }

    /// An empty report of the same kind, with `budget` (a thread's share).
    fn empty_like(&self, budget: MemoryBudget) -> Counts {
        let w = TimeWindow::default();
        match self {
            Counts::Spam(_) => Counts::Spam(SpamSources::with_budget(w, budget)),
            Counts::Abuse(_) => Counts::Abuse(AbuseReport::with_budget(w, budget)),
            Counts::Summary(_) => Counts::Summary(Summary::with_budget(w, budget)),
            Counts::Queue(_) => Counts::Queue(QueueReport::new(0)),
        }
    }

    /// Adds a report of the same kind counted over later input.
    fn merge(&mut self, other: Counts) {
        match (self, other) {
            (Counts::Spam(a), Counts::Spam(b)) => a.merge(b),
            (Counts::Abuse(a), Counts::Abuse(b)) => a.merge(b),
            (Counts::Summary(a), Counts::Summary(b)) => a.merge(b),
            (Counts::Queue(a), Counts::Queue(b)) => a.merge(b),
            _ => {}
        }
    }

    /// Counts an assembled item (the message reports).
    fn add(&mut self, item: &Assembled) {
        match (self, item) {
            (Counts::Spam(s), Assembled::Message(m)) => s.add(m),
            (Counts::Summary(s), item) => s.add(item),
            _ => {}
        }
    }
}

/// What `Report.__reduce__` gives `_report_from_state`: state, top, threshold.
type PickledReport = (Vec<u8>, usize, u64);

/// A report counted by `spam_sources()`, `abuse_report()` or `summary()` (see
/// the stub).
#[pyclass(module = "exim_log")]
pub struct Report {
    counts: Counts,
    top: usize,
    threshold: u64,
}

#[pymethods]
impl Report {
    /// `spam_sources`, `abuse_report` or `summary`.
    #[getter]
    fn name(&self) -> &'static str {
        self.counts.name()
    }

    /// Adds the counts of `other`, a report of the same kind over later input.
    /// With `consume=True` the counts are moved out of `other` (left an empty
    /// report of its kind) instead of copied: for partial reports no one
    /// reads again, as in the Dask recipe.
    #[pyo3(signature = (other, *, consume = false))]
    fn merge(&mut self, mut other: PyRefMut<'_, Report>, consume: bool) -> PyResult<()> {
        if std::mem::discriminant(&self.counts) != std::mem::discriminant(&other.counts) {
            return Err(PyValueError::new_err(format!(
                "cannot merge a {} report into a {} report",
                other.counts.name(),
                self.counts.name()
            )));
        }
        let py = other.py();
        let (this, other) = (&mut self.counts, &mut other.counts);
        // Without the GIL (tens of ms for the abuse tables of 200 MB of
        // logs): a Dask worker merges on one thread while it parses on another.
        py.detach(|| {
            let counts = if consume {
                let empty = other.empty_like(MemoryBudget::DEFAULT);
                std::mem::replace(other, empty)
            } else {
                other.clone()
            };
            this.merge(counts);
        });
        Ok(())
    }

    /// The report as a dict: the JSON of the program of the same name. The
    /// tables are ranked without the GIL; only the top rows become Python
    /// objects.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (top, threshold) = (self.top, self.threshold);
        match &self.counts {
            Counts::Spam(s) => to_dict(py, &py.detach(|| s.report(top, threshold))),
            Counts::Abuse(s) => to_dict(py, &py.detach(|| s.report(top, threshold))),
            Counts::Summary(s) => to_dict(py, &py.detach(|| s.report(top, threshold))),
            Counts::Queue(s) => to_dict(py, &py.detach(|| s.report(top, threshold))),
        }
    }

    /// Pickling: the library's counting state, rebuilt by
    /// `exim_log._report_from_state`. Every kind of report pickles. Binary
    /// (postcard, timestamps as numbers): Dask moves whole partial reports,
    /// and their JSON was about three times larger and slower to read back.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, PickledReport)> {
        let py = slf.py();
        let this = slf.borrow();
        let counts = &this.counts;
        let state = py.detach(|| postcard::to_stdvec(counts)).map_err(|e| {
            PyTypeError::new_err(format!(
                "cannot pickle a {} report: {e}",
                this.counts.name()
            ))
        })?;
        let rebuild = py
            .import("exim_log._exim_log")?
            .getattr("_report_from_state")?;
        Ok((rebuild, (state, this.top, this.threshold)))
    }

    fn __repr__(&self) -> String {
        format!(
            "Report(name='{}', top={}, threshold={})",
            self.counts.name(),
            self.top,
            self.threshold
        )
    }
}

impl Report {
    /// The report of `exim_log.queue()`.
    pub(crate) fn queue(q: QueueReport, top: usize, threshold: u64) -> Self {
        Report {
            counts: Counts::Queue(q),
            top,
            threshold,
        }
    }
}

/// A pickled `Report` back (see `Report.__reduce__`).
#[pyfunction]
pub(crate) fn _report_from_state(
    py: Python<'_>,
    state: &[u8],
    top: usize,
    threshold: u64,
) -> PyResult<Report> {
    // Without the GIL: Dask reads a transferred report on its event loop
    // while a task thread of the same worker parses.
    let counts: Counts = py
        .detach(|| postcard::from_bytes(state))
        .map_err(|e| PyValueError::new_err(format!("not a pickled report: {e}")))?;
    Ok(Report {
        counts,
        top,
        threshold,
    })
}

/// Reads `source` to its end into `counts`, in batches without the GIL.
fn count(
    py: Python<'_>,
    mut source: LogFiles,
    counts: &mut Counts,
    budget: MemoryBudget,
) -> PyResult<()> {
    let mut asm = Assembler::with_options(AssemblerOptions::default().memory_budget(budget));
    let mut buf = Vec::new();
    loop {
        let done = py.detach(|| -> Result<bool, exim_log::ReadError> {
            let mut bytes = 0;
            while bytes < BATCH_BYTES {
                match source.read_line(&mut buf) {
                    Ok(None) => {
                        asm.finish();
                        while let Some(item) = asm.pop() {
                            counts.add(&item);
                        }
                        return Ok(true);
                    }
                    Ok(Some(pos)) => {
                        bytes += buf.len() + 1;
                        if let Counts::Abuse(a) = counts {
                            // Line by line, in log order: no message to assemble.
                            let _ = exim_log::parse_line_with(&buf, |line| a.add(line));
                            continue;
                        }
                        asm.push(Record::new(std::mem::take(&mut buf), pos));
                        while let Some(item) = asm.pop() {
                            counts.add(&item);
                        }
                    }
                    // A line over the length cap is skipped, as by the programs.
                    Err(e) if !e.is_fatal() => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(false)
        });
        match done {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => return Err(read_error(py, e)),
        }
    }
}

/// Counts the files of `plan` on `threads` threads ([`exim_log::parallel`]),
/// without the GIL: the same counts as [`count`]. The first read error that
/// ends a file is raised, as [`count`] raises it.
fn count_parallel(
    py: Python<'_>,
    plan: &Plan,
    threads: usize,
    counts: Counts,
    budget: MemoryBudget,
) -> PyResult<Counts> {
    let share = budget.share(2 * threads);
    let init = || counts.empty_like(share);
    let (value, errors) = py.detach(|| {
        if let Counts::Abuse(_) = counts {
            let f = fold_lines(
                plan,
                threads,
                counts.clone(),
                init,
                |c, raw, _| {
                    if let Counts::Abuse(a) = c {
                        let _ = exim_log::parse_line_with(raw, |line| a.add(line));
                    }
                },
                Counts::merge,
            );
            (f.value, f.errors)
        } else {
            let opts = AssemblerOptions::default().memory_budget(budget);
            let f = fold_messages(
                &plan.clone().quiet(),
                threads,
                opts,
                counts.clone(),
                init,
                Counts::add,
                Counts::merge,
            );
            (f.value, f.errors)
        }
    });
    match errors.into_iter().find(|e| e.is_fatal()) {
        Some(e) => Err(read_error(py, e)),
        None => Ok(value),
    }
}

/// The options every report function takes.
struct Args {
    rotated: bool,
    top: usize,
    threshold: u64,
    budget: MemoryBudget,
    threads: Option<usize>,
    byte_range: Option<(u64, u64)>,
}

/// Which report a function counts.
#[derive(Clone, Copy)]
enum Which {
    Spam,
    Abuse,
    Summary,
}

impl Which {
    fn counts(self, budget: MemoryBudget) -> Counts {
        let window = TimeWindow::default();
        match self {
            Which::Spam => Counts::Spam(SpamSources::with_budget(window, budget)),
            Which::Abuse => Counts::Abuse(AbuseReport::with_budget(window, budget)),
            Which::Summary => Counts::Summary(Summary::with_budget(window, budget)),
        }
    }
}

fn report(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    mut counts: Counts,
    args: Args,
) -> PyResult<Report> {
    let (budget, top, threshold) = (args.budget, args.top, args.threshold);
    if let Some((start, end)) = args.byte_range {
        // One unit of `exim_log.plan()`: the lines of a plain file that start
        // in the range (exim_log::parallel's reader), on this thread.
        let path: PathBuf = source
            .extract()
            .map_err(|_| PyTypeError::new_err("byte_range= takes a path (str or os.PathLike)"))?;
        if args.rotated {
            return Err(PyValueError::new_err(
                "byte_range= cannot be used with rotated=True",
            ));
        }
        let unit = Unit {
            path,
            range: Some(start..end),
            bytes: end.saturating_sub(start),
            // Told from the range's first lines (as before the plan's units
            // carried their file's).
            framing: None,
        };
        count(py, unit.open(false), &mut counts, budget)?;
        return Ok(Report {
            counts,
            top,
            threshold,
        });
    }
    let threads = args.threads.unwrap_or_else(available_threads).max(1);
    let plan = match threads {
        1 => None,
        _ => paths(py, source, args.rotated)?
            .and_then(|p| Plan::new(p, 2 * threads).ok())
            .filter(|plan| plan.len() > 1),
    };
    match plan {
        Some(plan) => counts = count_parallel(py, &plan, threads, counts, budget)?,
        None => count(py, open(py, source, args.rotated)?, &mut counts, budget)?,
    }
    Ok(Report {
        counts,
        top,
        threshold,
    })
}

/// The three report functions: the same options, body and return type; only
/// the report counted and the default `threshold` differ.
macro_rules! report_function {
    ($(#[$doc:meta])* $name:ident, $which:ident, threshold = $threshold:tt) => {
        $(#[$doc])*
        #[pyfunction]
        #[pyo3(signature = (source, *, rotated = false, top = 10, threshold = $threshold, memory_budget = None, threads = None, byte_range = None))]
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn $name(
            py: Python<'_>,
            source: &Bound<'_, PyAny>,
            rotated: bool,
            top: usize,
            threshold: u64,
            memory_budget: Option<usize>,
            threads: Option<usize>,
            byte_range: Option<(u64, u64)>,
        ) -> PyResult<Report> {
            let budget = memory_budget.map_or(MemoryBudget::DEFAULT, MemoryBudget::bytes);
            let counts = Which::$which.counts(budget);
            let args = Args { rotated, top, threshold, budget, threads, byte_range };
            report(py, source, counts, args)
        }
    };
}

report_function!(
    /// Who sends the mail leaving the server (see the stub).
    spam_sources, Spam, threshold = 1
);
report_function!(
    /// Inbound abuse at SMTP time and the offending IPs (see the stub).
    abuse_report, Abuse, threshold = 5
);
report_function!(
    /// The eximstats totals and tables (see the stub).
    summary, Summary, threshold = 1
);

/// One unit of a plan: the path, the byte range (`None`: the whole file) and
/// its size in bytes.
type PlanUnit = (PathBuf, Option<(u64, u64)>, u64);

/// The inputs cut into units for workers (see the stub): the library's
/// `exim_log::parallel::Plan`, the cut `--threads` uses.
#[pyfunction]
#[pyo3(signature = (paths, parts, *, min_unit = None))]
pub(crate) fn plan(
    paths: Vec<PathBuf>,
    parts: usize,
    min_unit: Option<u64>,
) -> PyResult<Vec<PlanUnit>> {
    let min_unit = min_unit.unwrap_or(exim_log::parallel::MIN_UNIT_BYTES);
    let plan = Plan::sized(&paths, parts, min_unit)?;
    Ok(plan
        .units()
        .iter()
        .map(|u| {
            let range = u.range.as_ref().map(|r| (r.start, r.end));
            (u.path.clone(), range, u.bytes)
        })
        .collect())
}
