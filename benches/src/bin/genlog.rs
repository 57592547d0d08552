//! `genlog`: writes a deterministic, realistic Exim mainlog.
//!
//! ```text
//! genlog [--size BYTES[k|M|G]] [--seed N] [--old-ids] [--pid] [--millisec]
//!        [--tz ±HHMM] [--rich] [--no-subject] [--no-recipients] [--no-connections]
//!        [--scripts N] [--logins N] [--attackers N] [--incident-percent N] [--truth] [-o FILE[.gz]]
//! ```
//!
//! Without `-o` the log goes to stdout. A `.gz` output name compresses it.
//! `--sample` selects the config of the bundled `examples/data/mainlog` (later
//! options still apply). `--truth` prints the ground truth (counts per kind, per script, per login,
//! dictionary-attack hosts) to stderr.
//!
//! `genlog --sample-domlogs DIR [--extra-log FILE]` writes instead the access
//! logs bundled beside the sample (cPanel layout, `DIR/USER/DOMAIN`): those of
//! the sample mainlog followed by FILE (the bundled spool's own mainlog), and
//! prints which attacker IP ran which compromised script.
//!
//! `--domlogs DIR [--visits K]` writes, beside the log, its access logs in
//! cPanel's layout (`weblogs::domlogs_with`, K times the background
//! browsing) and prints the attackers the same way (scripts/bench-web-origins).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use exim_log_benches::cli::{self, parse_size};
use exim_log_benches::{Config, IdFormat, Truth, generate_to};

fn usage() -> &'static str {
    "usage: genlog [--size BYTES[k|M|G]] [--seed N] [--old-ids] [--pid] [--millisec] [--tz +HHMM] \
     [--rich] [--no-subject] [--no-recipients] [--no-connections] [--scripts N] [--logins N] \
     [--attackers N] [--incident-percent N] [--sample] [--truth] [-o FILE[.gz]]\n       \
     genlog --sample-domlogs DIR [--extra-log FILE]\n       \
     genlog [options above] --domlogs DIR [--visits K] [-o FILE]"
}

fn parse_tz(s: &str) -> Option<i16> {
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, s.get(1..)?),
        b'-' => (-1, s.get(1..)?),
        _ => return None,
    };
    if digits.len() != 4 {
        return None;
    }
    let v: i16 = digits.parse().ok()?;
    Some(sign * (v / 100 * 60 + v % 100))
}

struct Args {
    config: Config,
    output: Option<String>,
    truth: bool,
    sample_domlogs: Option<String>,
    extra_log: Option<String>,
    domlogs: Option<String>,
    visits: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut config = Config::new(1, 10 << 20);
    let mut output = None;
    let mut truth = false;
    let mut sample_domlogs = None;
    let mut extra_log = None;
    let mut domlogs = None;
    let mut visits = 1;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let number = |v: String| v.parse::<u32>().map_err(|e| format!("{v}: {e}"));
        match a.as_str() {
            "--size" => {
                let v = value("--size")?;
                config.target_bytes = parse_size(&v).ok_or(format!("bad size {v}"))?;
            }
            "--seed" => {
                let v = value("--seed")?;
                config.seed = v.parse().map_err(|e| format!("{v}: {e}"))?;
            }
            "--old-ids" => config.id_format = IdFormat::Old,
            "--pid" => config.pid = true,
            "--millisec" => config.millisec = true,
            "--tz" => {
                let v = value("--tz")?;
                config.utc_offset_minutes = Some(parse_tz(&v).ok_or(format!("bad zone {v}"))?);
            }
            "--rich" => config.rich = true,
            "--no-subject" => config.subject = false,
            "--no-recipients" => config.received_recipients = false,
            "--no-connections" => config.smtp_connection = false,
            "--scripts" => config.compromised_scripts = number(value("--scripts")?)?,
            "--logins" => config.spamming_logins = number(value("--logins")?)?,
            "--attackers" => config.dictionary_attackers = number(value("--attackers")?)?,
            "--incident-percent" => config.incident_percent = number(value("--incident-percent")?)?,
            "--sample" => config = exim_log_benches::sample_config(),
            "--truth" => truth = true,
            "--sample-domlogs" => sample_domlogs = Some(value("--sample-domlogs")?),
            "--extra-log" => extra_log = Some(value("--extra-log")?),
            "--domlogs" => domlogs = Some(value("--domlogs")?),
            "--visits" => visits = u64::from(number(value("--visits")?)?),
            "-o" | "--output" => output = Some(value("-o")?),
            "-h" | "--help" => {
                println!("{}", usage());
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    Ok(Args {
        config,
        output,
        truth,
        sample_domlogs,
        extra_log,
        domlogs,
        visits,
    })
}

fn print_truth(t: &Truth) -> io::Result<()> {
    let mut e = io::stderr().lock();
    writeln!(e, "lines {} bytes {}", t.lines, t.bytes)?;
    writeln!(
        e,
        "arrivals {} (remote {}, local {}, authenticated {}, bounces {}), received bytes {}",
        t.arrivals,
        t.arrivals_remote,
        t.arrivals_local,
        t.arrivals_authenticated,
        t.bounces,
        t.received_bytes
    )?;
    writeln!(
        e,
        "deliveries => {} -> {} (local {}, remote {}), deferrals {}, failures {}, completed {}, frozen {}",
        t.deliveries,
        t.additional_deliveries,
        t.deliveries_local,
        t.deliveries_remote,
        t.deferrals,
        t.failures,
        t.completed,
        t.frozen
    )?;
    writeln!(
        e,
        "rejected RCPT {} (unknown user {}, RBL {}), HELO {}, AUTH failures {}, connections {}, queue runs {}",
        t.rejected_rcpt,
        t.unknown_user_rejections,
        t.rbl_rejections,
        t.helo_rejections,
        t.auth_failures,
        t.connections,
        t.queue_runs
    )?;
    writeln!(e, "incidents {:?}", t.incidents)?;
    let mut top = |name: &str, map: &std::collections::BTreeMap<String, u64>| -> io::Result<()> {
        let mut v: Vec<_> = map.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        writeln!(e, "top {name}:")?;
        for (k, n) in v.iter().take(5) {
            writeln!(e, "  {n:6} {k}")?;
        }
        Ok(())
    };
    top("scripts", &t.per_script)?;
    top("users", &t.per_user)?;
    top("logins", &t.per_login)?;
    top("dictionary attackers", &t.dictionary_attacks)?;
    Ok(())
}

fn run(args: &Args) -> io::Result<Truth> {
    match &args.output {
        None => generate_to(&args.config, BufWriter::new(io::stdout().lock())),
        Some(path) if path.ends_with(".gz") => {
            let gz = flate2::write::GzEncoder::new(
                BufWriter::new(File::create(path)?),
                flate2::Compression::default(),
            );
            let mut gz = gz;
            let t = generate_to(&args.config, &mut gz)?;
            gz.finish()?.flush()?;
            Ok(t)
        }
        Some(path) => generate_to(&args.config, BufWriter::new(File::create(path)?)),
    }
}

/// `--sample-domlogs DIR`: the sample's access logs, and who attacked.
fn write_sample_domlogs(dir: &str, extra: Option<&str>) -> io::Result<()> {
    let extra = match extra {
        Some(p) => std::fs::read(p)?,
        None => Vec::new(),
    };
    let (files, truth) = exim_log_benches::weblogs::sample_domlogs(&extra);
    write_domlogs(dir, &files, &truth)
}

/// `--domlogs DIR`: the log (to `-o` or stdout) and its access logs.
fn run_with_domlogs(args: &Args, dir: &str) -> io::Result<Truth> {
    let (log, truth) = exim_log_benches::generate(&args.config);
    match &args.output {
        Some(path) => std::fs::write(path, &log)?,
        None => io::stdout().lock().write_all(&log)?,
    }
    let (files, web) = exim_log_benches::weblogs::domlogs_with(
        &log,
        args.config.seed,
        &truth.incidents.compromised_scripts,
        args.visits,
    );
    drop(log);
    write_domlogs(dir, &files, &web)?;
    Ok(truth)
}

fn write_domlogs(
    dir: &str,
    files: &std::collections::BTreeMap<String, Vec<u8>>,
    truth: &exim_log_benches::weblogs::WebTruth,
) -> io::Result<()> {
    for (name, data) in files {
        let path = std::path::Path::new(dir).join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, data)?;
    }
    let mut e = io::stderr().lock();
    for (script, ip) in &truth.attackers {
        writeln!(e, "attacker {ip} ran {script}")?;
    }
    writeln!(e, "{} requests, {} bytes", truth.requests, truth.bytes)
}

fn main() -> ExitCode {
    let args = match cli::args_or_exit(parse_args()) {
        Ok(a) => a,
        Err(code) => return code,
    };
    if let Some(dir) = &args.sample_domlogs {
        return match write_sample_domlogs(dir, args.extra_log.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("genlog: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let result = match &args.domlogs {
        Some(dir) => run_with_domlogs(&args, dir),
        None => run(&args),
    };
    match result {
        Ok(t) => {
            if args.truth && print_truth(&t).is_err() {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("genlog: {e}");
            ExitCode::FAILURE
        }
    }
}
