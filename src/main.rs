use clap::Parser;

// The one place that reports a failed run to the user.
#[allow(clippy::print_stderr)]
fn main() {
    let cli = mailverdict::cli::Cli::parse();
    let code = match mailverdict::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mailverdict: {e}");
            e.exit_code()
        }
    };
    std::process::exit(code);
}
