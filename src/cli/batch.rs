//! Running a command over many files: in parallel, each result written as soon as it
//! and every file before it are done (the order given, and a Ctrl-C keeps what was
//! written), with a progress bar on a terminal.
//!
//! Files are taken in order from a shared counter by one task per thread, so the files
//! in flight are always the next few: a result waits at most for the few files started
//! before it, never for the whole batch.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::inputs::Input;
use super::output;

/// A progress bar on stderr for batches of two or more files, showing the ETA and the
/// file being worked on; hidden when stderr is not a terminal (pipes and CI logs stay
/// clean) and under `-q`.
pub fn progress_bar(n: usize, verb: &str) -> indicatif::ProgressBar {
    if n < 2 || !std::io::stderr().is_terminal() || output::quiet() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(n as u64);
    let template =
        format!("{{spinner}} {verb} [{{bar:30}}] {{pos}}/{{len}} files, ETA {{eta}} {{wide_msg}}");
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Runs `work` on every input in parallel and hands each result, with the time it took,
/// to `emit` in input order on the calling thread (so `emit` may write freely).
pub fn stream<T: Send>(
    inputs: &[Input],
    verb: &str,
    work: impl Fn(&Input) -> T + Sync,
    mut emit: impl FnMut(&Input, T, Duration),
) {
    let bar = progress_bar(inputs.len(), verb);
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, T, Duration)>();
    let threads = rayon::current_num_threads().clamp(1, inputs.len().max(1));
    std::thread::scope(|ts| {
        let (work, next, bar) = (&work, &next, &bar);
        ts.spawn(move || {
            rayon::scope(|s| {
                for _ in 0..threads {
                    let tx = tx.clone();
                    s.spawn(move |_| {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(input) = inputs.get(i) else { break };
                            bar.set_message(input.name.clone());
                            let started = Instant::now();
                            let r = work(input);
                            // The receiver is gone only when the process is ending.
                            if tx.send((i, r, started.elapsed())).is_err() {
                                break;
                            }
                        }
                    });
                }
            });
        });
        let mut waiting = BTreeMap::new();
        let mut due = 0;
        for (i, r, took) in rx {
            waiting.insert(i, (r, took));
            while let Some((r, took)) = waiting.remove(&due) {
                bar.inc(1);
                bar.suspend(|| emit(&inputs[due], r, took));
                due += 1;
            }
        }
    });
    bar.finish_and_clear();
}
