//! Everyday polish of the command line: `--version` with the git revision,
//! and shell completions that a shell actually loads.

use crate::app::{binary, isolate};
use crate::process;
use std::process::Command;

/// Runs the binary with `args` and no config, in a temp dir.
fn feedsieve(args: &[&str]) -> process::Finished {
    let dir = tempfile::tempdir().expect("temp dir");
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    process::run(&binary(), &args, |c| isolate(c, dir.path()), false)
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let out = feedsieve(&["--version"]);
    out.assert_success("--version");
    let line = out.stdout.trim();
    let expected_rev = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let rev = expected_rev.as_deref().unwrap_or("unknown");
    assert_eq!(
        line,
        format!("feedsieve {} (git {rev})", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn completions_load_in_bash_and_name_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let out = feedsieve(&["completions", shell]);
        out.assert_success(shell);
        for command in [
            "run",
            "poll",
            "feeds",
            "articles",
            "clusters",
            "check-config",
        ] {
            assert!(
                out.stdout.contains(command),
                "{shell} completions lack `{command}`"
            );
        }
    }
    // bash itself loads the script and registers the completion function.
    let script = feedsieve(&["completions", "bash"]).stdout;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("feedsieve.bash");
    std::fs::write(&path, script).expect("write script");
    let loaded = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p feedsieve",
            path.display()
        ))
        .output()
        .expect("bash runs");
    assert!(loaded.status.success(), "{loaded:?}");
    assert!(
        String::from_utf8_lossy(&loaded.stdout).contains("feedsieve"),
        "{loaded:?}"
    );
}

#[test]
fn completions_need_no_config_and_reject_unknown_shells() {
    // A config path that does not exist would be exit 78 for any other command.
    let out = feedsieve(&[
        "--config",
        "/nonexistent/feedsieve.toml",
        "completions",
        "fish",
    ]);
    out.assert_success("completions without a config");
    let bad = feedsieve(&["completions", "tcsh"]);
    assert_eq!(bad.code(), Some(2), "{}", bad.stderr);
    assert!(bad.stderr.contains("tcsh"), "{}", bad.stderr);
}
