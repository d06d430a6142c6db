//! The CLI's behaviour as a tool (issue 13's bar): a closed pipe, errors on stderr in one
//! format, `-q`/`-v`, colour, completions, the man page, `-V`, the schema command.

mod common;

use std::process::{Command, Stdio};

use common::{output as run, pricing, root, text};

#[test]
fn a_closed_pipe_ends_quietly_without_a_panic() {
    // `pricing analyze DIR | head -1`: head closes the pipe after one line. The corpus
    // folder prints far more than a pipe buffer holds, so the writes must hit the
    // closed pipe.
    for args in [
        vec!["analyze", "fixtures/corpus"],
        vec!["analyze", "--json", "fixtures/corpus"],
        vec!["quote", "--csv", "fixtures/corpus"],
    ] {
        let mut child = pricing()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Read one line, then close our end, as `head -1` does.
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut first)
            .expect("one line");
        assert!(!first.is_empty(), "{args:?}");
        let out = child.wait_with_output().expect("waits");
        let err = text(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {err}");
    }
}

#[test]
fn a_missing_file_is_one_error_on_stderr_naming_it_once() {
    for cmd in ["analyze", "estimate", "quote"] {
        for json in [false, true] {
            let mut args = vec![cmd, "no/such/part.stl"];
            if json {
                args.insert(1, "--json");
            }
            let out = run(&args);
            assert_eq!(out.status.code(), Some(3), "{args:?}");
            let err = text(&out.stderr);
            let lines: Vec<&str> = err.lines().collect();
            assert_eq!(lines.len(), 1, "{args:?}: one line on stderr: {err}");
            assert!(
                lines[0].starts_with("error: no/such/part.stl: "),
                "{args:?}: {err}"
            );
            assert_eq!(
                lines[0].matches("no/such/part.stl").count(),
                1,
                "{args:?}: the file is named once: {err}"
            );
            let stdout = text(&out.stdout);
            if json {
                // The machine-readable row stays on stdout, and only there.
                let v: serde_json::Value = serde_json::from_str(stdout.trim()).expect("json");
                assert_eq!(v["error"]["code"], "io", "{stdout}");
            } else {
                assert!(stdout.is_empty(), "{args:?}: nothing on stdout: {stdout}");
            }
        }
    }
}

#[test]
fn warnings_have_one_format_everywhere() {
    // The open surface of the corpus warns in analyze, estimate and quote alike.
    let file = "fixtures/corpus/multibody.stl";
    for cmd in ["analyze", "estimate", "quote"] {
        let out = run(&[cmd, file]);
        let s = text(&out.stdout);
        assert!(s.contains("warning[multiple_bodies]: "), "{cmd}: {s}");
        assert!(!s.contains("warning ["), "{cmd}: {s}");
        assert!(!s.contains("warning: "), "{cmd}: {s}");
        // -q drops them.
        let quiet = run(&["-q", cmd, file]);
        assert!(!text(&quiet.stdout).contains("warning["), "{cmd} -q");
    }
}

#[test]
fn quiet_drops_the_summary_and_verbose_adds_timings() {
    let files = ["fixtures/cube-20mm.stl", "fixtures/corpus/multibody.stl"];
    let normal = run(&["analyze", "--json", files[0], files[1]]);
    assert!(text(&normal.stderr).contains("analysed 2 of 2 files"));
    let quiet = run(&["-q", "analyze", "--json", files[0], files[1]]);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(text(&quiet.stderr).is_empty(), "{}", text(&quiet.stderr));
    assert_eq!(text(&quiet.stdout).lines().count(), 2);
    let verbose = run(&["analyze", "-v", files[0]]);
    assert!(
        text(&verbose.stderr).contains("analysed in"),
        "{}",
        text(&verbose.stderr)
    );
    assert!(
        text(&verbose.stdout).contains("(largest dimension"),
        "the units reason: {}",
        text(&verbose.stdout)
    );
    let both = run(&["-q", "-v", "analyze", files[0]]);
    assert_eq!(both.status.code(), Some(2), "-q and -v conflict");
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let missing = ["quote", "missing.stl"];
    let always = run(&["--color", "always", missing[0], missing[1]]);
    assert!(text(&always.stderr).contains("\x1b[1;31merror\x1b[0m: missing.stl"));
    let never = run(&["--color", "never", missing[0], missing[1]]);
    assert!(!text(&never.stderr).contains('\x1b'));
    // `auto` on a pipe: no colour; NO_COLOR does not override an explicit `always`.
    let auto = run(&missing);
    assert!(!text(&auto.stderr).contains('\x1b'));
    let no_color = pricing()
        .env("NO_COLOR", "1")
        .args(["--color", "always", missing[0], missing[1]])
        .output()
        .expect("runs");
    assert!(text(&no_color.stderr).contains('\x1b'));
}

#[test]
fn color_auto_on_a_terminal_respects_no_color() {
    // `script` runs the command on a pseudo-terminal, so `auto` sees a TTY.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_pricing");
    let on_tty = |no_color: bool| {
        let mut c = Command::new("script");
        c.args(["-qec", &format!("{bin} quote missing.stl"), "/dev/null"])
            .current_dir(root());
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        text(&c.output().expect("script runs").stdout)
    };
    assert!(
        on_tty(false).contains("\x1b[1;31merror"),
        "{}",
        on_tty(false)
    );
    assert!(!on_tty(true).contains("\x1b["), "{}", on_tty(true));
}

#[test]
fn the_progress_bar_shows_the_eta_and_the_file_only_on_a_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..4 {
        std::fs::copy(
            root().join("fixtures/corpus/multibody.stl"),
            dir.path().join(format!("part-{i}.stl")),
        )
        .expect("copy");
    }
    let d = dir.path().to_str().expect("utf-8");
    // Not a terminal: no bar at all.
    let out = run(&["quote", "--json", d]);
    assert!(!text(&out.stderr).contains("ETA"), "{}", text(&out.stderr));
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped the terminal half: no `script`");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_pricing");
    let tty = Command::new("script")
        .args(["-qec", &format!("{bin} quote --json {d}"), "/dev/null"])
        .output()
        .expect("script runs");
    let screen = text(&tty.stdout);
    assert!(screen.contains("ETA"), "{screen}");
    assert!(screen.contains("part-"), "the current file: {screen}");
}

#[test]
fn completions_print_a_script_for_each_shell() {
    let bash = run(&["completions", "bash"]);
    assert_eq!(bash.status.code(), Some(0));
    let s = text(&bash.stdout);
    assert!(s.contains("_pricing()"), "{s}");
    assert!(s.contains("--split-bodies"), "flags are in it");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = run(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(text(&out.stdout).contains("quote"), "{shell}");
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_naming_the_commands() {
    let out = run(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(s.starts_with(".ie") || s.contains(".TH pricing"), "{s}");
    for word in ["analyze", "estimate", "quote", "completions", "\\-\\-color"] {
        assert!(s.contains(word), "{word} missing from the man page");
    }
}

#[test]
fn version_names_the_engine_and_the_price_book_the_quotes_carry() {
    let out = run(&["-V"]);
    assert_eq!(out.status.code(), Some(0));
    let v = text(&out.stdout);
    let quote = run(&["quote", "--json", "fixtures/cube-20mm.stl"]);
    let doc: serde_json::Value = serde_json::from_slice(&quote.stdout).expect("json");
    let carried = doc["price"]["pricing_version"].as_str().expect("version");
    assert!(
        v.starts_with(&format!("pricing {}", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    assert!(v.contains(carried), "{v} does not name {carried}");
    assert!(v.contains("price book"), "{v}");
}

#[test]
fn the_queue_commands_exit_1_when_redis_is_unreachable() {
    // Port 1 on the loopback: nothing listens there.
    for args in [
        vec!["status", "X"],
        vec!["queue", "stats"],
        vec!["submit", "fixtures/cube-20mm.stl"],
    ] {
        let out = pricing()
            .args(&args)
            .args(["--redis", "redis://127.0.0.1:1"])
            .output()
            .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).starts_with("error: "),
            "{}",
            text(&out.stderr)
        );
    }
}
