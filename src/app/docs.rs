//! man pages and shell completions, generated from the clap definition in `app/cli.rs`.

use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use super::cli::Cli;

/// Write `man/*.1` and `completions/*` below `dir`.
pub fn write_all(dir: &Path) -> std::io::Result<()> {
    let man = dir.join("man");
    let completions = dir.join("completions");
    std::fs::create_dir_all(&man)?;
    std::fs::create_dir_all(&completions)?;
    let mut cmd = Cli::command();
    // Building propagates the global options into every subcommand's page.
    cmd.build();
    render_man(&cmd, "mailverdict", &man)?;
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = format!("mailverdict-{}", sub.get_name());
        let sub = sub
            .clone()
            .name(clap::builder::Str::from(leak(name.clone())));
        render_man(&sub, &name, &man)?;
    }
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let mut cmd = Cli::command();
        clap_complete::generate_to(shell, &mut cmd, "mailverdict", &completions)?;
    }
    Ok(())
}

fn render_man(cmd: &clap::Command, name: &str, dir: &Path) -> std::io::Result<()> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    std::fs::write(dir.join(format!("{name}.1")), buf)
}

/// clap names are `&'static str` without its `string` feature; the docs generator runs once.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}
