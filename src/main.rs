//! The `mailverdict` binary: parse the arguments, run the application, exit with its code.

use clap::Parser;

mod app;

// The one place that reports a failed run to the user.
#[allow(clippy::print_stderr)]
fn main() {
    let cli = app::cli::Cli::parse();
    let code = match app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mailverdict: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
