//! The command line (clap). Also the source of `man/` and `completions/` (the dev-only
//! `mailverdict-docs` binary reads this file).
//!
//! Each command has its own args struct and offers only the options it honours: the options
//! several commands share live in small groups below (`OutputArgs`, `TrustArgs`, ...) that a
//! command flattens in. To add an option to one command, add a field to its struct; to add
//! one to several, add it to a group they share (or a new group). The options every command
//! honours (DNS) are global and listed under their own heading.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};

/// Shown under every command's options: what the exit codes mean.
pub const EXIT_CODES: &str = "Exit codes: 0 pass, 1 fail, 2 usage error, 3 no verdict \
(no DMARC policy; SPF none/neutral/softfail), 65 input is not a message, 66 input cannot be \
opened, 74 I/O error, 75 temporary failure (DNS) prevented a verdict (filter: the message \
could not be read or written), 130 batch interrupted. filter exits 0 whenever it wrote the \
message; trace exits 0 once the path is reported; batch exits 0 when every input was read and \
66 when one could not be opened.";

#[derive(Debug, Parser)]
#[command(
    name = "mailverdict",
    version,
    about = "Email authentication verifier: SPF, DKIM, ARC and DMARC with the reasons why",
    long_about = "mailverdict reads a raw message, walks its Received path, queries DNS for SPF, \
DKIM keys and DMARC policy, verifies every DKIM signature and the ARC chain, and prints an \
alignment verdict that says why.",
    after_help = "Run offline and reproducibly with --dns-zone FILE (RFC 1035 zone files); \
capture a live run with --record-dns FILE.",
    after_long_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

// Deferred: clap then builds the arguments of only the subcommand being run (the others at
// most for help and the generated docs), which is start-up time of every run. Deferred
// building applies an argument group's doc comment as the subcommand's `about` after the
// variant's own, so the groups below are described with plain comments.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
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
    Milter(MilterArgs),
}

impl Command {
    /// `--trust-anchor` of the commands that make DNSSEC-validated lookups (DANE).
    pub fn trust_anchor(&self) -> Option<&Path> {
        match self {
            Command::Check(a) => a.dane.trust_anchor.as_deref(),
            Command::Trace(a) => a.dane.trust_anchor.as_deref(),
            Command::Domain(a) => a.dane.trust_anchor.as_deref(),
            Command::Filter(a) => a.dane.trust_anchor.as_deref(),
            Command::Batch(a) => a.dane.trust_anchor.as_deref(),
            Command::Milter(a) => a.dane.trust_anchor.as_deref(),
            Command::Spf(_) => None,
        }
    }

    /// `--color` of the commands that print a human report (filter prints the message).
    pub fn color(&self) -> ColorChoice {
        match self {
            Command::Check(a) => a.output.color,
            Command::Spf(a) => a.output.color,
            Command::Trace(a) => a.output.color,
            Command::Domain(a) => a.output.color,
            Command::Batch(a) => a.output.color,
            Command::Filter(_) | Command::Milter(_) => ColorChoice::Never,
        }
    }
}

/// `--format` of `check` and `spf`, which also write an Authentication-Results header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human report with colour
    Human,
    /// One JSON document
    Json,
    /// One RFC 8601 Authentication-Results header
    Arh,
}

/// `--format` of the commands without an Authentication-Results form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Human report with colour
    Human,
    /// JSON (batch: one JSON line per message)
    Json,
}

/// `check --explain`: what to show instead of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Explain {
    /// Per DKIM signature: claimed and computed body hash, canonical body length, what l=
    /// leaves unsigned, the exact header block hashed, the key record
    Dkim,
}

/// `filter --add-header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExtraHeader {
    /// X-Mailverdict-Verdict: the DMARC result word
    Verdict,
    /// X-Mailverdict-Summary: the one-line summary
    Summary,
    /// Received-SPF (RFC 7208 §9.1): our SPF result for the client
    ReceivedSpf,
}

impl From<ExtraHeader> for mailverdict::ExtraHeader {
    fn from(h: ExtraHeader) -> Self {
        match h {
            ExtraHeader::Verdict => mailverdict::ExtraHeader::Verdict,
            ExtraHeader::Summary => mailverdict::ExtraHeader::Summary,
            ExtraHeader::ReceivedSpf => mailverdict::ExtraHeader::ReceivedSpf,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
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

// The options every command honours: where DNS answers come from.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// DNS resolver to use instead of the system's (repeatable)
    #[arg(long, global = true, value_name = "IP[:PORT]", value_hint = ValueHint::Other)]
    pub nameserver: Vec<String>,
    /// Answer every DNS query from these zone files, never the network (repeatable)
    #[arg(long, global = true, value_name = "FILE", value_hint = ValueHint::FilePath,
          conflicts_with_all = ["nameserver", "record_dns"])]
    pub dns_zone: Vec<PathBuf>,
    /// Write every DNS answer seen as a zone file that --dns-zone replays
    #[arg(long, global = true, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub record_dns: Option<PathBuf>,
    /// Seconds to wait for each DNS query (and each HTTPS or SMTP connection)
    #[arg(long, global = true, value_name = "SECS", default_value = "5",
          value_hint = ValueHint::Other)]
    pub timeout: f64,
}

// `--format` and `--color` of `check` and `spf`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct HeaderOutputArgs {
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// When to colour the human report (NO_COLOR and TERM=dumb turn auto off)
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

// `--format` and `--color` of `trace`, `domain` and `batch`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: ReportFormat,
    /// When to colour the human report (NO_COLOR and TERM=dumb turn auto off)
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

// The evaluation time.
#[derive(Debug, Args)]
#[command(next_help_heading = "Evaluation")]
pub struct AtArgs {
    /// Evaluate as of TIME: RFC 3339, unix seconds, or "arrival" (newest Received date)
    #[arg(long, value_name = "TIME", value_hint = ValueHint::Other)]
    pub at: Option<String>,
}

// Where our side of a message's path ends, and whose Authentication-Results count.
#[derive(Debug, Args)]
#[command(next_help_heading = "Trust")]
pub struct TrustArgs {
    /// Our authserv-id: written in Authentication-Results output (default: this host's name),
    /// and the only one whose existing Authentication-Results fields are trusted
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other)]
    pub authserv_id: Option<String>,
    /// An MTA of ours: a host name or CIDR range whose Received hops are trusted (repeatable)
    #[arg(long, value_name = "NAME|CIDR", value_hint = ValueHint::Other)]
    pub trusted_mta: Vec<String>,
    /// Trust only the topmost hop and --trusted-mta: do not infer internal hops from the
    /// client address class, recorded reverse names or forward-confirmed reverse DNS
    #[arg(long)]
    pub no_internal_inference: bool,
}

// How much of a message is read.
#[derive(Debug, Args)]
#[command(next_help_heading = "Input")]
pub struct InputArgs {
    /// Largest message accepted, e.g. 64M, 512K, 1000000
    #[arg(long, value_name = "SIZE", default_value = "64M", value_hint = ValueHint::Other)]
    pub max_size: String,
}

// DNSSEC validation (DANE).
#[derive(Debug, Args)]
#[command(next_help_heading = "DNSSEC")]
pub struct DaneArgs {
    /// DNSSEC trust anchors (DNSKEY records in zone-file form) instead of the root's, for
    /// the validating lookups DANE needs (live DNS only)
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub trust_anchor: Option<PathBuf>,
}

// DMARC rules.
#[derive(Debug, Args)]
#[command(next_help_heading = "Evaluation")]
pub struct DmarcArgs {
    /// DMARC by RFC 9989 (tree walk, np=, psd=, t=) or RFC 7489 (Public Suffix List, pct=)
    #[arg(long, value_enum, value_name = "SPEC", default_value = "rfc9989")]
    pub dmarc_spec: DmarcSpecArg,
}

// DNS blocklists.
#[derive(Debug, Args)]
#[command(next_help_heading = "Evaluation")]
pub struct DnsblArgs {
    /// Look the origin IP up in this DNS blocklist zone (repeatable)
    #[arg(long, value_name = "ZONE", value_hint = ValueHint::Other)]
    pub dnsbl: Vec<String>,
}

#[derive(Debug, Args)]
#[command(after_long_help = EXIT_CODES)]
pub struct CheckArgs {
    /// The message (.eml); "-" or nothing reads standard input
    #[arg(value_hint = ValueHint::FilePath)]
    pub file: Option<PathBuf>,
    /// Client IP to evaluate SPF for, instead of the one read from the Received path
    #[arg(long, value_name = "IP", value_hint = ValueHint::Other)]
    pub ip: Option<String>,
    /// HELO/EHLO name, instead of the one read from the Received path
    #[arg(long, value_name = "NAME", value_hint = ValueHint::Other)]
    pub helo: Option<String>,
    /// Envelope sender (MAIL FROM), instead of Return-Path; "" is the null sender
    #[arg(long, value_name = "ADDR", value_hint = ValueHint::Other)]
    pub mail_from: Option<String>,
    /// Print how a mechanism reached its result instead of the report (exit code unchanged)
    #[arg(long, value_enum, value_name = "WHAT")]
    pub explain: Option<Explain>,
    #[command(flatten)]
    pub output: HeaderOutputArgs,
    #[command(flatten)]
    pub dmarc: DmarcArgs,
    #[command(flatten)]
    pub dnsbl: DnsblArgs,
    #[command(flatten)]
    pub at: AtArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub dane: DaneArgs,
}

#[derive(Debug, Args)]
#[command(after_long_help = EXIT_CODES)]
pub struct TraceArgs {
    /// The message (.eml); "-" or nothing reads standard input
    #[arg(value_hint = ValueHint::FilePath)]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub dnsbl: DnsblArgs,
    #[command(flatten)]
    pub at: AtArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub dane: DaneArgs,
}

#[derive(Debug, Args)]
#[command(after_long_help = EXIT_CODES)]
pub struct SpfArgs {
    /// The connecting client's IP address
    #[arg(long, value_name = "IP", value_hint = ValueHint::Other)]
    pub ip: String,
    /// HELO/EHLO name (used for the null sender and the helo scope)
    #[arg(long, value_name = "NAME", default_value = "", value_hint = ValueHint::Other)]
    pub helo: String,
    /// Envelope sender (MAIL FROM)
    #[arg(long, value_name = "ADDR", conflicts_with = "domain", value_hint = ValueHint::Other)]
    pub mail_from: Option<String>,
    /// Evaluate this domain's policy directly (sender postmaster@DOMAIN)
    #[arg(long, value_name = "DOMAIN", value_hint = ValueHint::Other)]
    pub domain: Option<String>,
    /// Evaluate the HELO identity instead of MAIL FROM
    #[arg(long = "helo-scope")]
    pub helo_scope: bool,
    /// The receiving host's name: %{r} in explanations, and the authserv-id of --format arh
    /// (default: this host's name)
    #[arg(long, value_name = "ID", value_hint = ValueHint::Other)]
    pub authserv_id: Option<String>,
    #[command(flatten)]
    pub output: HeaderOutputArgs,
    #[command(flatten)]
    pub at: AtArgs,
}

#[derive(Debug, Args)]
#[command(after_long_help = EXIT_CODES)]
pub struct DomainArgs {
    /// The domains to audit (queried concurrently)
    #[arg(required = true, value_name = "DOMAIN", value_hint = ValueHint::Other)]
    pub domains: Vec<String>,
    /// A DKIM selector to check (repeatable)
    #[arg(long, value_name = "NAME", value_hint = ValueHint::Other)]
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
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub at: AtArgs,
    #[command(flatten)]
    pub dane: DaneArgs,
    #[command(flatten)]
    pub https: HttpsArgs,
}

// Where HTTPS (MTA-STS) and SMTP probe connections go, and what they trust.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connections")]
pub struct HttpsArgs {
    /// Reach HOST:PORT at ADDR:PORT instead (like curl), for HTTPS and --probe (repeatable)
    #[arg(long, value_name = "HOST:PORT:ADDR:PORT", value_hint = ValueHint::Other)]
    pub connect_to: Vec<String>,
    /// Extra PEM trust anchors for HTTPS (MTA-STS policies) and --probe
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_long_help = EXIT_CODES)]
pub struct FilterArgs {
    /// Total seconds for all checks; DNS answers still missing then count as temporary errors
    #[arg(long, value_name = "SECS", default_value = "10", value_hint = ValueHint::Other)]
    pub deadline: f64,
    /// Also prepend X-Mailverdict-Verdict, X-Mailverdict-Summary and/or Received-SPF
    /// (repeatable)
    #[arg(long, value_enum, value_name = "WHICH")]
    pub add_header: Vec<ExtraHeader>,
    /// Also look up MTA-STS / DANE posture (more DNS queries)
    #[arg(long)]
    pub transport: bool,
    #[command(flatten)]
    pub dmarc: DmarcArgs,
    #[command(flatten)]
    pub at: AtArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub dane: DaneArgs,
}

#[derive(Debug, Args)]
#[command(after_long_help = EXIT_CODES)]
pub struct BatchArgs {
    /// mbox files, Maildir folders, folders of .eml; "-" reads a list of paths from stdin
    #[arg(required = true, value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,
    /// The list of paths read from "-" is separated by NUL bytes, not lines (find -print0,
    /// fd -0, xargs -0)
    #[arg(short = '0', long = "null")]
    pub null: bool,
    /// Worker threads (default: all cores)
    #[arg(long, short = 'j', value_name = "N", value_hint = ValueHint::Other)]
    pub jobs: Option<usize>,
    /// Take only shard K of N (1-based), to spread a corpus over machines
    #[arg(long, value_name = "K/N", value_hint = ValueHint::Other)]
    pub shard: Option<String>,
    /// Also look up MTA-STS / DANE posture (more DNS queries)
    #[arg(long)]
    pub transport: bool,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub dmarc: DmarcArgs,
    #[command(flatten)]
    pub dnsbl: DnsblArgs,
    #[command(flatten)]
    pub at: AtArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub dane: DaneArgs,
}

/// What `--reject` acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RejectOn {
    /// The DMARC disposition: reject → 550 5.7.1, quarantine → the milter quarantine action
    /// (`t=y`, `pct=` and the spec in force count).
    Dmarc,
}

/// What a message gets when no verdict can be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnFailureArg {
    /// Accept it, with a field that says why it has no verdict.
    Accept,
    /// Answer 451 so the sender retries.
    Tempfail,
}

impl From<OnFailureArg> for mailverdict::OnFailure {
    fn from(a: OnFailureArg) -> Self {
        match a {
            OnFailureArg::Accept => mailverdict::OnFailure::Accept,
            OnFailureArg::Tempfail => mailverdict::OnFailure::Tempfail,
        }
    }
}

// `milter` options.
#[derive(Debug, Args)]
#[command(
    after_long_help = "Postfix (main.cf):\n  smtpd_milters = inet:127.0.0.1:8891\n  \
non_smtpd_milters = $smtpd_milters\n  milter_default_action = accept\n  milter_protocol = 6\n\n\
Sendmail (sendmail.mc):\n  INPUT_MAIL_FILTER(`mailverdict', `S=inet:8891@127.0.0.1, T=S:10s;R:10s;E:30s')\n\n\
Every message gets one Authentication-Results field (the text `filter` writes) at the top; \
fields that claim our authserv-id are deleted (RFC 8601 section 5). The authserv-id is \
--authserv-id, else the MTA's {j} macro. One line per message goes to stderr. SIGTERM stops \
accepting, finishes the messages in flight (up to --grace) and exits 0."
)]
pub struct MilterArgs {
    /// Socket to listen on: inet:PORT@HOST, inet6:PORT@HOST or unix:PATH (as in Postfix's
    /// smtpd_milters and Sendmail's INPUT_MAIL_FILTER).
    #[arg(long, value_name = "SOCKET")]
    pub listen: String,
    /// Act on the DMARC disposition: reject → 550 5.7.1 with the reason, quarantine → the
    /// milter quarantine action. Without it every message is accepted with our field.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub reject: Option<RejectOn>,
    /// When DNS fails (dmarc=temperror) or the deadline passes: accept with dmarc=temperror
    /// in the field, or answer 451 so the sender retries.
    #[arg(long, value_enum, value_name = "ACTION", default_value = "accept")]
    pub on_temperror: OnFailureArg,
    /// When the --memory budget is in use: accept unverified (with a field saying so), or 451.
    #[arg(long, value_enum, value_name = "ACTION", default_value = "accept")]
    pub on_overload: OnFailureArg,
    /// Message bytes held in flight over all connections (e.g. 512M, 1G).
    #[arg(long, value_name = "SIZE", default_value = "1G")]
    pub memory: String,
    /// Connections served at once; more wait in the listen queue.
    #[arg(long, value_name = "N", default_value = "256")]
    pub max_connections: usize,
    /// Seconds one message's check may take: DNS is cut off shortly before, and the verdict
    /// is what the answers that arrived decide (dmarc=temperror when they cannot)
    #[arg(long, value_name = "SECS", default_value = "10")]
    pub deadline: f64,
    /// Serve Prometheus text at http://ADDR/metrics (e.g. 127.0.0.1:9325).
    #[arg(long, value_name = "IP:PORT")]
    pub metrics: Option<std::net::SocketAddr>,
    /// Extra fields to add besides Authentication-Results.
    #[arg(long, value_enum, value_name = "WHICH")]
    pub add_header: Vec<ExtraHeader>,
    /// Seconds in-flight messages may take to finish after SIGTERM.
    #[arg(long, value_name = "SECS", default_value = "30")]
    pub grace: f64,
    #[command(flatten)]
    pub dmarc: DmarcArgs,
    #[command(flatten)]
    pub at: AtArgs,
    #[command(flatten)]
    pub trust: TrustArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub dane: DaneArgs,
}
