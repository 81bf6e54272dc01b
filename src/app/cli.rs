//! The command line (clap). Also the source of `man/` and `completions/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "mailverdict",
    version,
    about = "Email authentication verifier: SPF, DKIM, ARC and DMARC with the reasons why",
    long_about = "mailverdict reads a raw message, walks its Received path, queries DNS for SPF, \
DKIM keys and DMARC policy, verifies every DKIM signature and the ARC chain, and prints an \
alignment verdict that says why.\n\nExit codes: 0 pass, 1 fail, 2 usage error, 3 no verdict \
(no DMARC policy; SPF none/neutral/softfail), 65 input is not a message, 66 input cannot be \
opened, 74 I/O error, 75 temporary failure (DNS) prevented a verdict (filter: the message \
could not be read or written), 130 batch interrupted. filter exits 0 whenever it wrote the \
message; trace exits 0 once the path is reported; batch exits 0 when every input was read and \
66 when one could not be opened.",
    after_help = "Run offline and reproducibly with --dns-zone FILE (RFC 1035 zone files); \
capture a live run with --record-dns FILE."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Full report for one message: path, SPF, DKIM, ARC, DMARC and the verdict
    Check(CheckArgs),
    /// The Received path alone: hops, timing, TLS, origin, trust boundary, iprev, DNSBL
    Trace(TraceArgs),
    /// One SPF evaluation (RFC 7208) with its full evaluation trace
    Spf(SpfArgs),
    /// Audit domains' mail DNS: SPF, DMARC, DKIM, MX, MTA-STS, TLS-RPT, DANE, BIMI
    Domain(DomainArgs),
    /// Mail filter: the message on stdin, the same bytes on stdout with Authentication-Results
    Filter(FilterArgs),
    /// Check many messages (mbox, Maildir, folders of .eml) in parallel
    Batch(BatchArgs),
    /// In-line verification in Postfix/Sendmail over the milter protocol: our
    /// Authentication-Results added, forged ones deleted, optional reject on DMARC
    Milter(super::milter::MilterArgs),
    /// Write the man pages and shell completions generated from this definition
    #[command(hide = true)]
    GenerateDocs {
        /// Folder that receives man/ and completions/
        dir: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human report with colour
    Human,
    /// One JSON document
    Json,
    /// One RFC 8601 Authentication-Results header
    Arh,
}

/// `filter --add-header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExtraHeader {
    /// X-Mailverdict-Verdict: the DMARC result word
    Verdict,
    /// X-Mailverdict-Summary: the one-line summary
    Summary,
}

impl From<ExtraHeader> for mailverdict::ExtraHeader {
    fn from(h: ExtraHeader) -> Self {
        match h {
            ExtraHeader::Verdict => mailverdict::ExtraHeader::Verdict,
            ExtraHeader::Summary => mailverdict::ExtraHeader::Summary,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format
    #[arg(long, global = true, value_enum, default_value = "human")]
    pub format: Format,
    /// When to colour the human report (NO_COLOR and TERM=dumb turn auto off)
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// DNS resolver to use instead of the system's (repeatable)
    #[arg(long, global = true, value_name = "IP[:PORT]")]
    pub nameserver: Vec<String>,
    /// Answer every DNS query from these zone files, never the network (repeatable)
    #[arg(long, global = true, value_name = "FILE", conflicts_with_all = ["nameserver", "record_dns"])]
    pub dns_zone: Vec<PathBuf>,
    /// DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root's, for the
    /// validating lookups DANE needs
    #[arg(long, global = true, value_name = "FILE")]
    pub trust_anchor: Option<PathBuf>,
    /// Write every DNS answer seen as a zone file that --dns-zone replays
    #[arg(long, global = true, value_name = "FILE")]
    pub record_dns: Option<PathBuf>,
    /// Seconds to wait for each DNS query
    #[arg(long, global = true, value_name = "SECS", default_value = "5")]
    pub timeout: f64,
    /// Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)
    #[arg(long, global = true, value_name = "TIME")]
    pub at: Option<String>,
    /// Our authserv-id: written in Authentication-Results output (default: this host's name),
    /// and the only one whose existing Authentication-Results fields are trusted
    #[arg(long, global = true, value_name = "ID")]
    pub authserv_id: Option<String>,
    /// An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)
    #[arg(long, global = true, value_name = "NAME|CIDR")]
    pub trusted_mta: Vec<String>,
    /// Reach HOST:PORT at ADDR:PORT instead (like curl), for HTTPS (repeatable)
    #[arg(long, global = true, value_name = "HOST:PORT:ADDR:PORT")]
    pub connect_to: Vec<String>,
    /// Extra PEM trust anchors for HTTPS (MTA-STS policies)
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Largest message accepted, e.g. 64M, 512K, 1000000
    #[arg(long, global = true, value_name = "SIZE", default_value = "64M")]
    pub max_size: String,
}

/// `--dmarc-spec`: which DMARC specification to evaluate by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DmarcSpecArg {
    /// RFC 9989 (2026), the standard
    Rfc9989,
    /// RFC 7489 (2015), the older informational rules
    Rfc7489,
}

impl From<DmarcSpecArg> for mailverdict::DmarcSpec {
    fn from(a: DmarcSpecArg) -> Self {
        match a {
            DmarcSpecArg::Rfc9989 => mailverdict::DmarcSpec::Rfc9989,
            DmarcSpecArg::Rfc7489 => mailverdict::DmarcSpec::Rfc7489,
        }
    }
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// The message (.eml); "-" or nothing reads standard input
    pub file: Option<PathBuf>,
    /// Look the origin IP up in this DNS blocklist zone (repeatable)
    #[arg(long, value_name = "ZONE")]
    pub dnsbl: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)
    #[arg(long, value_enum, value_name = "SPEC", default_value = "rfc9989")]
    pub dmarc_spec: DmarcSpecArg,
    /// The message (.eml); "-" or nothing reads standard input
    pub file: Option<PathBuf>,
    /// Look the origin IP up in this DNS blocklist zone (repeatable)
    #[arg(long, value_name = "ZONE")]
    pub dnsbl: Vec<String>,
    /// Client IP to evaluate SPF for, instead of the one read from the Received path
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// HELO/EHLO name, instead of the one read from the Received path
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
    /// Envelope sender (MAIL FROM), instead of Return-Path; "" is the null sender
    #[arg(long, value_name = "ADDR")]
    pub mail_from: Option<String>,
}

#[derive(Debug, Args)]
pub struct DomainArgs {
    /// The domains to audit (queried concurrently)
    #[arg(required = true, value_name = "DOMAIN")]
    pub domains: Vec<String>,
    /// A DKIM selector to check (repeatable)
    #[arg(long, value_name = "NAME")]
    pub selector: Vec<String>,
    /// Also look for keys under common selector names
    #[arg(long)]
    pub guess_selectors: bool,
    /// Warnings fail the audit too (exit 1)
    #[arg(long)]
    pub strict: bool,
    /// Do not fetch MTA-STS policies over HTTPS
    #[arg(long)]
    pub no_https: bool,
    /// Also connect to each MX on port 25: STARTTLS, certificate vs TLSA and MX name, expiry
    #[arg(long)]
    pub probe: bool,
}

#[derive(Debug, Args)]
pub struct FilterArgs {
    /// DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)
    #[arg(long, value_enum, value_name = "SPEC", default_value = "rfc9989")]
    pub dmarc_spec: DmarcSpecArg,
    /// Total seconds for all checks; past it the message goes out with dmarc=temperror
    #[arg(long, value_name = "SECS", default_value = "10")]
    pub deadline: f64,
    /// Also prepend X-Mailverdict-Verdict and/or X-Mailverdict-Summary (repeatable)
    #[arg(long, value_enum, value_name = "WHICH")]
    pub add_header: Vec<ExtraHeader>,
    /// Also look up MTA-STS / DANE posture (more DNS queries)
    #[arg(long)]
    pub transport: bool,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)
    #[arg(long, value_enum, value_name = "SPEC", default_value = "rfc9989")]
    pub dmarc_spec: DmarcSpecArg,
    /// mbox files, Maildir folders, folders of .eml; "-" reads a list of paths from stdin
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Worker threads (default: all cores)
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Take only shard K of N (1-based), to spread a corpus over machines
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Also look up MTA-STS / DANE posture (more DNS queries)
    #[arg(long)]
    pub transport: bool,
    /// Look the origin IP up in this DNS blocklist zone (repeatable)
    #[arg(long, value_name = "ZONE")]
    pub dnsbl: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SpfArgs {
    /// The connecting client's IP address
    #[arg(long, value_name = "IP")]
    pub ip: String,
    /// HELO/EHLO name (used for the null sender and the helo scope)
    #[arg(long, value_name = "NAME", default_value = "")]
    pub helo: String,
    /// Envelope sender (MAIL FROM)
    #[arg(long, value_name = "ADDR", conflicts_with = "domain")]
    pub mail_from: Option<String>,
    /// Evaluate this domain's policy directly (sender postmaster@DOMAIN)
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// Evaluate the HELO identity instead of MAIL FROM
    #[arg(long = "helo-scope")]
    pub helo_scope: bool,
}
