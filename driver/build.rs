//! Records what built the driver, for the environment every JSON record
//! carries: the git commit (when built from a checkout) and the compiler.

use std::process::Command;

fn main() {
    // A commit or the compiler changes only with these: the checkout's HEAD
    // and index, and the sources (edits make a checkout dirty).
    for path in ["../.git/HEAD", "../.git/index", "src", "../core/src"] {
        println!("cargo:rerun-if-changed={path}");
    }
    println!("cargo:rerun-if-env-changed=RUSTC");
    let commit = git(&["rev-parse", "HEAD"]).map(|hash| {
        // Uncommitted changes to tracked files: the commit alone does not say
        // what was built.
        let dirty =
            git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
        if dirty { format!("{hash}-dirty") } else { hash }
    });
    println!(
        "cargo:rustc-env=DRIVER_BUILT_FROM_COMMIT={}",
        commit.unwrap_or_default()
    );
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = output(Command::new(rustc).arg("-V")).unwrap_or_default();
    println!("cargo:rustc-env=DRIVER_BUILT_BY_RUSTC={version}");
}

/// A git command's output in this package's checkout, if there is one.
fn git(args: &[&str]) -> Option<String> {
    output(Command::new("git").args(args))
}

/// A command's trimmed standard output, if it ran and succeeded.
fn output(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
