//! Running the `feedsieve` binary as a child process: bounded waits (a hung
//! child fails its test instead of the whole run) and peak-memory
//! measurement.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest any single command may take before its test fails.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(90);

const GNU_TIME: &str = "/usr/bin/time";

/// What a finished command left behind.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// Peak resident set size in KiB, when measured.
    pub max_rss_kib: Option<u64>,
}

impl Finished {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Panics with both output streams unless the command exited 0.
    pub fn assert_success(&self, what: &str) -> &Finished {
        assert!(
            self.status.success(),
            "{what} failed with {}\n--- stdout\n{}\n--- stderr\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Runs `program args...` (with `setup` applied to the command) until it
/// exits or `COMMAND_DEADLINE` passes. With `measure_rss`, the child's peak
/// RSS is taken from GNU time when installed, else sampled from
/// `/proc/<pid>/status` `VmHWM` (a high-water mark, so sampling loses little).
pub fn run(
    program: &Path,
    args: &[String],
    setup: impl FnOnce(&mut Command),
    measure_rss: bool,
) -> Finished {
    let time_file = tempfile::NamedTempFile::new().expect("temp file for GNU time");
    let use_time = measure_rss && Path::new(GNU_TIME).exists();
    let mut cmd = if use_time {
        let mut c = Command::new(GNU_TIME);
        c.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(time_file.path())
            .arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    setup(&mut cmd);
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let (status, sampled) = wait_bounded(&mut child, measure_rss && !use_time);
    let max_rss_kib = if use_time {
        let report = std::fs::read_to_string(time_file.path()).unwrap_or_default();
        // A child killed by a signal adds a line before the figure.
        report.lines().last().and_then(|l| l.trim().parse().ok())
    } else {
        sampled
    };
    Finished {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        max_rss_kib,
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Waits for `child`, killing it at the deadline; optionally samples VmHWM.
fn wait_bounded(child: &mut Child, sample: bool) -> (ExitStatus, Option<u64>) {
    let deadline = Instant::now() + COMMAND_DEADLINE;
    let mut peak = None;
    loop {
        if sample && let Some(kib) = vm_hwm_kib(child.id()) {
            peak = Some(peak.unwrap_or(0).max(kib));
        }
        if let Some(status) = child.try_wait().expect("wait for child") {
            return (status, peak);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("command did not finish within {COMMAND_DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(if sample { 10 } else { 20 }));
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Polls `check` every 50 ms until it returns `Some` or `timeout` passes.
pub fn wait_for<T>(timeout: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
