//! `exim-log metrics`: a Prometheus exporter. The counting is the library's
//! ([`exim_log::report::metrics`]); this module reads the log (once, or
//! following it with [`Follow`]), scans the spool, and serves the counts in
//! the OpenMetrics text format (`prometheus-client`) over HTTP (`tiny_http`).
//!
//! Threads: one reads the main log, one the panic log (`--paniclog`), one
//! scans the spool (`--spool`) every `--spool-interval`; the main thread
//! answers scrapes. SIGTERM and SIGINT set a flag that every loop checks at
//! least every [`TICK`], so the exporter stops within a second.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use exim_log::reader::{Follow, SpoolDir};
use exim_log::report::metrics::{Family, Kind, Metrics, QueueGauges};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use crate::input::{InputArgs, Show};
use crate::outcome::{Error, Outcome, status, warn};

/// The long help.
pub const ABOUT: &str = "\
A Prometheus exporter: serves counters of the main log on /metrics (messages
by flag, deliveries by transport and router, rejections by SMTP stage and
reason class, AUTH failures by authenticator, connections, queue runs, parse
errors and unknown lines, bytes and lines read, the time of the last line),
panics with --paniclog, and queue gauges (size, frozen, oldest age) with
--spool. Label values are bounded: no IP address, host name or mail address
is ever a label, and each family keeps at most 100 label values (later ones
count under `other`).

With --follow it reads one log as Exim writes it, through rotation and
copytruncate, each line counted once, starting at its end (--from-start to
count what is already there). Without --follow it counts its inputs once and
serves the result until stopped. SIGTERM or SIGINT stops it cleanly.

  exim-log metrics --follow /var/log/exim4/mainlog --spool /var/spool/exim4";

/// The content type of what `prometheus_client::encoding::text` writes.
const OPENMETRICS: &[u8] = b"application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How often every loop looks at the stop flag.
pub const TICK: Duration = Duration::from_millis(100);

/// `exim-log metrics` options.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    /// Address to serve /metrics on (port 0: any free port; the address is
    /// printed on stderr)
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9636")]
    pub listen: String,
    /// Keep reading the log as Exim appends to it, through rotation
    #[arg(long)]
    pub follow: bool,
    /// With --follow: count the lines already in the log too (default: start
    /// at its end)
    #[arg(long, requires = "follow")]
    pub from_start: bool,
    /// Milliseconds between polls of a followed log
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub poll_ms: u64,
    /// Seconds a rotated log is still read after the path names a new file
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub rotate_wait: u64,
    /// Exim's spool directory: queue gauges
    #[arg(long, value_name = "DIR")]
    pub spool: Option<PathBuf>,
    /// Seconds between scans of the spool directory
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub spool_interval: u64,
    /// Exim's panic log, followed like the main log, for exim_panic_total
    #[arg(long, value_name = "FILE")]
    pub paniclog: Option<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub input: InputArgs,
}

/// What the threads share: the counts, the last spool scan, the stop flag.
#[derive(Debug, Default)]
struct Shared {
    metrics: Mutex<Metrics>,
    queue: Mutex<Option<QueueGauges>>,
    stop: Arc<AtomicBool>,
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sleeps about `d` in ticks; false when asked to stop.
    fn wait(&self, d: Duration) -> bool {
        let end = Instant::now() + d;
        while !self.stopped() {
            let now = Instant::now();
            if now >= end {
                return true;
            }
            thread::sleep(TICK.min(end - now));
        }
        false
    }
}

/// The collector registered with `prometheus-client`: encodes the shared
/// counts at each scrape.
#[derive(Debug)]
struct Exporter(Arc<Shared>);

fn encode_family(f: &Family, encoder: &mut DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
    let metric_type = match f.kind {
        Kind::Gauge => ConstGauge::new(0i64).metric_type(),
        _ => ConstCounter::new(0u64).metric_type(),
    };
    let mut family = encoder.encode_descriptor(f.name, f.help, None, metric_type)?;
    for s in &f.samples {
        let labels: Vec<(&str, &str)> = s.labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let m = family.encode_family(&labels)?;
        match f.kind {
            Kind::Gauge => ConstGauge::new(i64::try_from(s.value).unwrap_or(i64::MAX)).encode(m)?,
            _ => ConstCounter::new(s.value).encode(m)?,
        }
    }
    Ok(())
}

impl Collector for Exporter {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        // Copy out under the lock, encode outside it: a scrape never holds
        // the reader up for longer than a copy of the counters.
        let families = self
            .0
            .metrics
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .families();
        let queue = *self.0.queue.lock().unwrap_or_else(PoisonError::into_inner);
        for f in families
            .iter()
            .chain(queue.map(|q| q.families()).iter().flatten())
        {
            encode_family(f, &mut encoder)?;
        }
        Ok(())
    }
}

/// Reads `path` with [`Follow`] until stopped, giving each line to `each`.
/// `opened` is sent once the file was first read to its end (or found
/// missing): from then on every line appended is counted.
fn follow(
    shared: &Shared,
    path: PathBuf,
    args: &Args,
    opened: mpsc::Sender<()>,
    each: impl Fn(&mut Metrics, &[u8]),
) {
    if !path.exists() {
        warn(format!(
            "{}: not there (yet); waiting for it",
            path.display()
        ));
    }
    let f = Follow::new(&path)
        .with_interval(Duration::from_millis(args.poll_ms.max(1)))
        .with_rotate_wait(Duration::from_secs(args.rotate_wait));
    let f = if args.from_start { f } else { f.from_end() };
    let mut f = f.with_control(|d| {
        // The receiver may be gone (it waits only at start-up).
        let _ = opened.send(());
        shared.wait(d)
    });
    loop {
        match f.next_line() {
            Ok(Some((line, _))) => {
                each(
                    &mut shared
                        .metrics
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner),
                    line,
                );
            }
            Ok(None) => break,
            Err(e) => {
                warn(&e);
                if shared.stopped() {
                    break;
                }
            }
        }
    }
}

/// Scans the spool directory every `interval` until stopped.
fn scan_spool(shared: &Shared, dir: PathBuf, interval: Duration) {
    let mut warned = false;
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let mut q = QueueGauges::new(now);
        match SpoolDir::open(&dir) {
            Ok(files) => {
                // A message delivered while we scan vanishes: its read error
                // is expected and not counted.
                for file in files.flatten() {
                    q.add_queued(&file);
                    if shared.stopped() {
                        return;
                    }
                }
                *shared.queue.lock().unwrap_or_else(PoisonError::into_inner) = Some(q);
                warned = false;
            }
            Err(e) if !warned => {
                warn(&e);
                warned = true;
            }
            Err(_) => {}
        }
        if !shared.wait(interval) {
            return;
        }
    }
}

/// Runs `exim-log metrics`.
pub fn run(args: Args) -> Outcome {
    let shared = Arc::new(Shared::default());
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, Arc::clone(&shared.stop))
            .map_err(|e| Error::Message(format!("cannot handle signal {sig}: {e}")))?;
    }
    // Inputs are checked before the port is taken, so that a typo fails fast.
    let followed = if args.follow {
        match args.input.files.as_slice() {
            [one] => Some(one.clone()),
            _ => return Err(Error::Message("--follow needs exactly one file".into())),
        }
    } else {
        None
    };
    let source = match followed {
        Some(_) => None,
        None => Some(args.input.open(Show::Quiet)?),
    };
    let server = tiny_http::Server::http(&args.listen)
        .map_err(|e| Error::Message(format!("cannot listen on {}: {e}", args.listen)))?;

    let mut registry = Registry::default();
    registry.register_collector(Box::new(Exporter(Arc::clone(&shared))));

    let mut workers = Vec::new();
    let failed = Arc::new(AtomicBool::new(false));
    let (opened, followed_open) = mpsc::channel();
    {
        let (shared, args, failed) = (Arc::clone(&shared), args.clone(), Arc::clone(&failed));
        let opened = opened.clone();
        workers.push(thread::spawn(move || match (followed, source) {
            (Some(path), _) => follow(&shared, path, &args, opened, Metrics::add_raw),
            (None, Some(mut source)) => {
                let mut buf = Vec::with_capacity(4096);
                while !shared.stopped() {
                    match source.read_line(&mut buf) {
                        Ok(Some(_)) => shared
                            .metrics
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .add_raw(&buf),
                        Ok(None) => break,
                        Err(e) => {
                            if super::read_error(&e) {
                                failed.store(true, Ordering::Relaxed);
                            }
                        }
                    }
                }
            }
            (None, None) => {}
        }));
    }
    if let Some(path) = args.paniclog.clone() {
        let (shared, args, opened) = (Arc::clone(&shared), args.clone(), opened.clone());
        workers.push(thread::spawn(move || {
            follow(&shared, path, &args, opened, Metrics::add_panic_raw);
        }));
    }
    if let Some(dir) = args.spool.clone() {
        let shared = Arc::clone(&shared);
        let interval = Duration::from_secs(args.spool_interval.max(1));
        workers.push(thread::spawn(move || scan_spool(&shared, dir, interval)));
    }

    // "Serving" is said once the followed logs are open at their end, so that
    // a caller (a test, a soak run) knows that what it appends next is counted.
    drop(opened);
    let logs = usize::from(args.follow) + usize::from(args.paniclog.is_some());
    for _ in 0..logs {
        if followed_open.recv_timeout(Duration::from_secs(30)).is_err() {
            break;
        }
    }
    drop(followed_open);
    match server.server_addr().to_ip() {
        Some(addr) => crate::outcome::say(format_args!(
            "exim-log metrics: serving http://{addr}/metrics"
        )),
        None => crate::outcome::say(format_args!("exim-log metrics: serving on {}", args.listen)),
    }

    while !shared.stopped() {
        let request = match server.recv_timeout(TICK) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => {
                warn(format!("accepting a connection: {e}"));
                continue;
            }
        };
        let response = if request.url() == "/metrics" || request.url().starts_with("/metrics?") {
            let mut body = String::new();
            match prometheus_client::encoding::text::encode(&mut body, &registry) {
                Ok(()) => {
                    let r = tiny_http::Response::from_string(body);
                    match tiny_http::Header::from_bytes(&b"Content-Type"[..], OPENMETRICS) {
                        Ok(h) => r.with_header(h),
                        Err(()) => r,
                    }
                }
                Err(_) => {
                    tiny_http::Response::from_string("encoding failed\n").with_status_code(500)
                }
            }
        } else if request.url() == "/" {
            tiny_http::Response::from_string("exim-log metrics: see /metrics\n")
        } else {
            tiny_http::Response::from_string("not found\n").with_status_code(404)
        };
        // A client that hangs up early is its own business.
        let _ = request.respond(response);
    }
    // The flag is set: every worker sees it within a tick.
    shared.stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.join();
    }
    crate::outcome::say(format_args!("exim-log metrics: stopped"));
    Ok(status(failed.load(Ordering::Relaxed)))
}
