//! `exim_log.follow()`: `tail -F` over a growing, rotated log, bound to
//! `exim_log::reader::Follow`.
//!
//! The library's wait between polls is injectable (`FollowControl`); here it is a
//! condition variable, so `close()` from any thread (or the `timeout` idle limit)
//! ends a wait at once instead of after a whole poll interval. Waiting and
//! reading run with the GIL released.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use exim_log::reader::{Follow as RustFollow, FollowControl};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::error::{Where, line_error};
use crate::line::{Line, OwnedLine};
use crate::source::{read_error, skip_errors};

/// Stop flag and idle clock shared by the iterator, its control and `close()`.
#[derive(Default)]
struct State {
    stopped: bool,
    /// When the last line was read (or the follow started).
    last_line: Option<Instant>,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

/// The `FollowControl`: wait on the condition variable; stop when closed, or
/// when no line came for `max_idle`.
struct Control {
    shared: Shared,
    max_idle: Option<Duration>,
}

impl FollowControl for Control {
    fn wait(&mut self, interval: Duration) -> bool {
        let (lock, cv) = &*self.shared;
        let mut st = lock.lock().unwrap_or_else(PoisonError::into_inner);
        if st.stopped {
            return false;
        }
        let mut wait = interval;
        if let Some(max) = self.max_idle {
            let since = *st.last_line.get_or_insert_with(Instant::now);
            let idle = since.elapsed();
            if idle >= max {
                st.stopped = true;
                return false;
            }
            wait = wait.min(max - idle);
        }
        let (st, _) = cv
            .wait_timeout_while(st, wait, |s| !s.stopped)
            .unwrap_or_else(PoisonError::into_inner);
        !st.stopped
    }
}

/// A `tail -F` iterator of `Line`s, made by `exim_log.follow()`.
#[pyclass(frozen, module = "exim_log", name = "Follow")]
pub(crate) struct Follow {
    shared: Shared,
    inner: Mutex<Option<RustFollow<Control>>>,
    skip_errors: bool,
}

impl Follow {
    fn stop(&self) {
        let (lock, cv) = &*self.shared;
        lock.lock().unwrap_or_else(PoisonError::into_inner).stopped = true;
        cv.notify_all();
    }
}

#[pymethods]
impl Follow {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Line>> {
        loop {
            let (shared, inner) = (&self.shared, &self.inner);
            let next = py.detach(|| {
                let mut guard = inner.lock().unwrap_or_else(PoisonError::into_inner);
                let f = guard.as_mut()?;
                let r = f.next();
                if r.is_none() {
                    *guard = None;
                } else {
                    let mut st = shared.0.lock().unwrap_or_else(PoisonError::into_inner);
                    st.last_line = Some(Instant::now());
                }
                Some(r.map(|rec| {
                    rec.map(|rec| {
                        let parsed = OwnedLine::parse(rec.raw());
                        (parsed, rec)
                    })
                }))
            });
            match next.flatten() {
                None => return Ok(None),
                Some(Ok((Ok(l), rec))) => {
                    return Ok(Some(Line::new(l, Some(rec.position().clone()))));
                }
                Some(Ok((Err(_), _))) if self.skip_errors => {}
                Some(Ok((Err(e), rec))) => {
                    return Err(line_error(py, e, &Where::of(rec.position())));
                }
                Some(Err(e)) if self.skip_errors && !e.is_fatal() => {}
                Some(Err(e)) => return Err(read_error(py, e)),
            }
        }
    }

    /// Stops the iteration: a wait in progress (in any thread) ends now; a last
    /// partial line is still yielded, then `StopIteration`.
    fn close(&self) {
        self.stop();
    }

    /// True once `close()` was called or the `timeout` ran out.
    #[getter]
    fn closed(&self) -> bool {
        self.shared
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stopped
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.stop();
        false
    }
}

/// Follows `path` like `tail -F` (see the stub).
#[pyfunction]
#[pyo3(signature = (path, *, poll_interval = 1.0, timeout = None, from_end = false, errors = "raise", rotate_wait = 5.0))]
pub(crate) fn follow(
    path: std::path::PathBuf,
    poll_interval: f64,
    timeout: Option<f64>,
    from_end: bool,
    errors: &str,
    rotate_wait: f64,
) -> PyResult<Follow> {
    let secs = |v: f64, what: &str| {
        Duration::try_from_secs_f64(v)
            .map_err(|_| PyValueError::new_err(format!("{what} must be a non-negative number")))
    };
    let interval = secs(poll_interval, "poll_interval")?;
    let rotate_wait = secs(rotate_wait, "rotate_wait")?;
    let max_idle = timeout.map(|t| secs(t, "timeout")).transpose()?;
    let skip_errors = skip_errors(errors)?;
    let shared: Shared = Arc::default();
    let control = Control {
        shared: shared.clone(),
        max_idle,
    };
    let mut f = RustFollow::new(path)
        .with_interval(interval)
        .with_rotate_wait(rotate_wait)
        .with_control(control);
    if from_end {
        f = f.from_end();
    }
    Ok(Follow {
        shared,
        inner: Mutex::new(Some(f)),
        skip_errors,
    })
}
