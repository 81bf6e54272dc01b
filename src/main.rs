use clap::Parser;

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
