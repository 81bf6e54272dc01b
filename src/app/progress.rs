//! The edges of a long run: the progress line on a terminal and the Ctrl-C flag.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by Ctrl-C: batch stops reading and reports what it has.
pub static STOP: AtomicBool = AtomicBool::new(false);

/// Install the Ctrl-C handler (once per process; a second Ctrl-C while stopping is the default).
pub fn catch_interrupt() {
    let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed));
}

/// A spinner with a count and rate, shown only when stderr is a terminal.
pub struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    pub fn on_terminal() -> Progress {
        Progress(std::io::stderr().is_terminal().then(|| {
            let pb = indicatif::ProgressBar::new_spinner();
            pb.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {pos} messages checked ({rate}, {elapsed})",
                )
                .map(|style| {
                    style.with_key(
                        "rate",
                        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = w.write_str(&mailverdict::report::human::rate(state.per_sec()));
                        },
                    )
                })
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            pb
        }))
    }

    pub fn set(&self, n: usize) {
        if let Some(pb) = &self.0 {
            pb.set_position(n as u64);
        }
    }

    pub fn finish(self) {
        if let Some(pb) = self.0 {
            pb.finish_and_clear();
        }
    }
}
