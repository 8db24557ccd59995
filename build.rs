//! Build script: records the git revision for `feedsieve --version`, so an
//! operator can tell which commit a running binary was built from.
//!
//! Outside a git checkout (a source tarball, a vendored copy) or without
//! `git` on the PATH the revision is `unknown`; the build never fails over it.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn main() {
    let rev = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=FEEDSIEVE_GIT_REV={rev}");
    // Build again when HEAD moves: a commit, a checkout, or a branch's ref
    // changing under HEAD (also in a worktree, whose .git is a file).
    // Only files that exist: cargo treats a missing one as always changed,
    // and would rebuild the crate on every build.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for path in watched {
        if let Some(p) = git(&["rev-parse", "--git-path", &path])
            && std::path::Path::new(&p).exists()
        {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
