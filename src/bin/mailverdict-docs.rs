//! Dev-only: writes `man/` and `completions/` from the clap definition of `mailverdict`
//! (`cargo run --features docs --bin mailverdict-docs -- .`). Kept out of the runtime binary so
//! that clap_mangen and clap_complete are not linked into it.

#[allow(dead_code)]
#[path = "../app/cli.rs"]
mod cli;
#[path = "../app/docs.rs"]
mod docs;

// The one place this tool reports to the user.
#[allow(clippy::print_stderr)]
fn main() {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: mailverdict-docs DIR   (writes DIR/man and DIR/completions)");
        std::process::exit(2);
    };
    if let Err(e) = docs::write_all(std::path::Path::new(&dir)) {
        eprintln!(
            "mailverdict-docs: writing into {}: {e}",
            dir.to_string_lossy()
        );
        std::process::exit(74);
    }
}
