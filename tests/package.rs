//! The Debian package, really built (scripts/package.sh, cargo-deb) and
//! really installed with dpkg on this machine, then checked the way a
//! store's IT person would, and removed again.
//!
//! Needs root, dpkg, cargo-deb and desktop-file-validate (`.ci/run` installs
//! them). Where they are missing the test fails under CI (`CI` set) and is
//! skipped with a loud note elsewhere.

#![cfg(target_os = "linux")]

use crate::common;

use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn run(program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_package_installs_runs_and_removes_cleanly() {
    let ready = ["dpkg", "cargo-deb", "desktop-file-validate"]
        .into_iter()
        .all(have)
        && is_root();
    if !ready {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs root, dpkg, cargo-deb and desktop-file-utils for the package test"
        );
        eprintln!(
            "SKIPPED: the package test needs root, dpkg, cargo-deb and desktop-file-validate"
        );
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let out = tempfile::tempdir().unwrap();
    let out_path = out.path().to_path_buf();
    // The binary these tests already built (cargo builds it for every
    // integration test), packaged as the release one would be: the suite
    // never compiles the whole app a second time.
    assert!(Path::new(env!("CARGO_BIN_EXE_pos-recs")).exists());
    let built = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg(format!("{root}/scripts/package.sh"))
            .env("PACKAGE_PROFILE", "dev")
            .env("PACKAGE_OUT", &out_path)
            .output()
            .expect("package.sh runs")
    })
    .await
    .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let deb = String::from_utf8_lossy(&built.stdout).trim().to_string();
    assert!(deb.ends_with(".deb") && Path::new(&deb).exists(), "{deb}");

    let installed = run("dpkg", &["-i", &deb]);
    assert!(
        installed.status.success(),
        "{}",
        String::from_utf8_lossy(&installed.stderr)
    );
    let removal = scopeguard(|| {
        // Purge: the example config under /etc goes too.
        let _ = run("dpkg", &["-P", "pos-recs"]);
    });

    // What the package put on the machine.
    for file in [
        "/usr/bin/pos-recs",
        "/usr/share/applications/pos-recs.desktop",
        "/usr/share/icons/hicolor/scalable/apps/pos-recs.svg",
        "/usr/share/icons/hicolor/256x256/apps/pos-recs.png",
        "/usr/share/bash-completion/completions/pos-recs",
        "/etc/pos-recs/config.toml.example",
        "/usr/lib/systemd/user/pos-recs-serve.service",
    ] {
        assert!(Path::new(file).exists(), "{file} missing");
    }
    // The headless till's unit passes systemd's own check where systemd is there.
    if have("systemd-analyze") {
        // A user manager's check needs a runtime folder of its own.
        let runtime_dir = tempfile::tempdir().unwrap();
        let verify = Command::new("systemd-analyze")
            .args([
                "verify",
                "--user",
                "/usr/lib/systemd/user/pos-recs-serve.service",
            ])
            .env("XDG_RUNTIME_DIR", runtime_dir.path())
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&verify.stderr).to_string();
        assert!(
            verify.status.success() && !said.contains("pos-recs-serve.service:"),
            "{said}"
        );
    } else {
        eprintln!("note: systemd-analyze missing; the unit file was not verified");
    }
    // The group that may read the machine-wide config (README: install -m 0640 -g pos-recs).
    let group = run("getent", &["group", "pos-recs"]);
    assert!(group.status.success(), "the package made no pos-recs group");
    let man = run("sh", &["-c", "ls /usr/share/man/man1/pos-recs.1*"]);
    assert!(man.status.success(), "no man page");
    let valid = run(
        "desktop-file-validate",
        &["/usr/share/applications/pos-recs.desktop"],
    );
    assert!(
        valid.status.success(),
        "{}",
        String::from_utf8_lossy(&valid.stdout)
    );

    // The installed binary: its version names the commit, and check works.
    let version = run("/usr/bin/pos-recs", &["--version"]);
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(
        version.contains(env!("CARGO_PKG_VERSION"))
            && version.contains('(')
            && !version.contains("unknown"),
        "{version}"
    );
    let (_server, config) = common::demo(pos_recs::demo::DemoOptions::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    config.save(&path).unwrap();
    let path = path.to_string_lossy().into_owned();
    let check = common::run_cli_at("/usr/bin/pos-recs", &["check", "--config", &path], &[]).await;
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );

    drop(removal);
    assert!(!Path::new("/usr/bin/pos-recs").exists(), "removed cleanly");
    assert!(
        !Path::new("/etc/pos-recs/config.toml.example").exists(),
        "purged"
    );
    let status = run("dpkg", &["-s", "pos-recs"]);
    assert!(!status.status.success(), "still registered with dpkg");
}

/// Runs `f` when dropped: the package is removed even when an assertion fails.
fn scopeguard(f: impl FnOnce()) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}
