// A benchmark is a program whose job is to print its figures.
#![allow(clippy::print_stdout, clippy::print_stderr)]

//! `mailverdict milter` throughput. Messages per second through one loopback Postfix of the
//! benchmark's own (tests/it/support_milter.rs), 4 parallel SMTP sessions, the two-signature
//! demo message, DNS from a loopback server: Postfix alone, Postfix + our milter, Postfix +
//! Debian's OpenDKIM + OpenDMARC; medians of 5 runs, compared in one run because the machine
//! is shared. Then the milter alone driven by a load generator (tests/it/milter_client.rs)
//! over 4 connections: messages per CPU-second of the milter process.
//!
//! OpenDKIM and OpenDMARC cannot be pointed at a DNS port, so the whole benchmark re-runs
//! itself in a network and mount namespace of its own (`unshare`, as root): there 127.0.0.1:53
//! relays to the loopback DNS server and /etc/resolv.conf names it. Without that (not root,
//! no unshare) their row is skipped with a note.
//! Run: `cargo bench --bench milter`. Asserts nothing about speed.

#[allow(dead_code)]
#[path = "../tests/it/milter_client.rs"]
mod milter_client;
#[allow(dead_code)]
#[path = "../tests/it/support.rs"]
mod support;
#[allow(dead_code)]
#[path = "../tests/it/support_milter.rs"]
mod support_milter;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use milter_client::MtaSide;
use support::{DnsServer, temp_dir, testdata, write_file};
use support_milter::{Milter, Postfix};

const RUNS: usize = 5;
const SESSIONS: usize = 4;
const NS_ENV: &str = "MAILVERDICT_MILTER_BENCH_NS";

fn main() {
    if std::env::var_os(NS_ENV).is_none() && in_namespace() {
        return;
    }
    let namespaced = std::env::var_os(NS_ENV).is_some();
    let zone = std::fs::read_to_string(testdata("demo/zone.db")).expect("demo zone");
    let message = std::fs::read_to_string(testdata("demo/signed.eml")).expect("demo message");
    let dns = DnsServer::start(&zone);
    let relay = namespaced.then(|| relay_port_53(dns.addr));
    let ns = if relay.is_some() {
        "127.0.0.1:53".to_string()
    } else {
        dns.nameserver()
    };
    let per_run: usize = std::env::var("MILTER_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);

    // MILTER_BENCH_DNS=zone: the milter answers from the zone file (no live DNS machinery).
    let zone_file = testdata("demo/zone.db");
    let dns_args = if std::env::var("MILTER_BENCH_DNS").is_ok_and(|v| v == "zone") {
        ["--dns-zone", zone_file.as_str()]
    } else {
        ["--nameserver", ns.as_str()]
    };
    let milter = Milter::start(&[
        dns_args[0],
        dns_args[1],
        "--authserv-id",
        "mx.ours.test",
        "--max-connections",
        "64",
    ]);
    let ours = format!("inet:127.0.0.1:{}", milter.port);
    let reference = if namespaced {
        start_reference(&ns)
    } else {
        eprintln!(
            "note: not root or no unshare: OpenDKIM + OpenDMARC cannot be given a loopback DNS server; their row is skipped"
        );
        None
    };
    if std::env::var("MILTER_BENCH_ONLY").is_ok_and(|v| v == "alone") {
        milter_alone(&milter, &message);
        return;
    }
    let mut rows: Vec<(&str, Option<f64>)> = Vec::new();
    rows.push(("postfix alone", postfix_rate("", &message, per_run)));
    rows.push((
        "postfix + mailverdict milter",
        postfix_rate(&ours, &message, per_run),
    ));
    let reference_rate = reference.as_ref().and_then(|r| {
        let sockets = format!(
            "inet:127.0.0.1:{}, inet:127.0.0.1:{}",
            r.dkim_port, r.dmarc_port
        );
        postfix_rate(&sockets, &message, per_run / 4)
    });
    rows.push(("postfix + opendkim + opendmarc", reference_rate));
    println!(
        "milter benchmark: {per_run} messages per run (opendkim: {}), {SESSIONS} SMTP sessions, medians of {RUNS}",
        per_run / 4
    );
    for (name, rate) in &rows {
        match rate {
            Some(r) => println!("  {name:32} {r:8.1} msg/s"),
            None => println!("  {name:32}  skipped"),
        }
    }
    if let (Some(alone), Some(with)) = (rows[0].1, rows[1].1) {
        println!(
            "  postfix with our milter = {:.0}% of postfix alone",
            100.0 * with / alone
        );
    }
    if let (Some(with), Some(r)) = (rows[1].1, rows[2].1) {
        println!(
            "  ours / opendkim+opendmarc = {:.1}x (target >= 5x)",
            with / r
        );
    }
    milter_alone(&milter, &message);
    if let Some(mut r) = reference {
        let _ = r.dkim.kill();
        let _ = r.dmarc.kill();
    }
}

/// Re-run this benchmark in a network + mount namespace of its own; true when that ran.
fn in_namespace() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let Ok(exe) = std::env::current_exe() else {
        return false;
    };
    if !root {
        return false;
    }
    let dir = temp_dir("bench-ns");
    let resolv = write_file(&dir, "resolv.conf", b"nameserver 127.0.0.1\n");
    let script = format!(
        "ip link set lo up && mount --bind {resolv} /etc/resolv.conf && exec \"$0\" \"$@\""
    );
    let status = Command::new("unshare")
        .args(["--net", "--mount", "--", "sh", "-c", &script])
        .arg(exe)
        .args(std::env::args().skip(1))
        .env(NS_ENV, "1")
        .status();
    match status {
        Ok(s) if s.success() => true,
        other => {
            eprintln!(
                "note: the namespace run failed ({other:?}); running here without OpenDKIM/OpenDMARC"
            );
            false
        }
    }
}

/// UDP 127.0.0.1:53 relayed to the loopback DNS server, each question on a thread and a
/// socket of its own: OpenDKIM's libunbound and OpenDMARC's libresolv ask several at once,
/// and a relay answering one at a time made them wait out their timeouts under load.
fn relay_port_53(upstream: std::net::SocketAddr) -> std::thread::JoinHandle<()> {
    let front =
        std::sync::Arc::new(UdpSocket::bind("127.0.0.1:53").expect("port 53 in the namespace"));
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            let Ok((n, client)) = front.recv_from(&mut buf) else {
                continue;
            };
            let question = buf[..n].to_vec();
            let front = front.clone();
            std::thread::spawn(move || {
                let Ok(back) = UdpSocket::bind("127.0.0.1:0") else {
                    return;
                };
                back.set_read_timeout(Some(Duration::from_secs(2))).ok();
                let mut answer = [0u8; 65535];
                if back.send_to(&question, upstream).is_ok()
                    && let Ok(m) = back.recv(&mut answer)
                {
                    let _ = front.send_to(&answer[..m], client);
                }
            });
        }
    })
}

struct Reference {
    dkim: Child,
    dmarc: Child,
    dkim_port: u16,
    dmarc_port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

fn wait_port(port: u16) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// OpenDKIM (verify mode, libunbound forwarding to our relay) and OpenDMARC.
fn start_reference(ns: &str) -> Option<Reference> {
    let (Some(dkim_bin), Some(dmarc_bin)) = (which("opendkim"), which("opendmarc")) else {
        eprintln!("note: opendkim/opendmarc not installed: their row is skipped");
        return None;
    };
    let dir = temp_dir("bench-ref");
    let (dkim_port, dmarc_port) = (free_port(), free_port());
    let ip_port = ns.replace(':', "@");
    let unbound = write_file(
        &dir,
        "unbound.conf",
        format!(
            "server:\n  do-not-query-localhost: no\n  module-config: \"iterator\"\nforward-zone:\n  name: \".\"\n  forward-addr: {ip_port}\n"
        )
        .as_bytes(),
    );
    let dkim_conf = write_file(
        &dir,
        "opendkim.conf",
        format!(
            "Mode v\nSocket inet:{dkim_port}@127.0.0.1\nResolverConfiguration {unbound}\nSyslog no\nAuthservID mx.ours.test\nAlwaysAddARHeader yes\nPidFile {}/opendkim.pid\n",
            dir.display()
        )
        .as_bytes(),
    );
    let dmarc_conf = write_file(
        &dir,
        "opendmarc.conf",
        format!(
            "Socket inet:{dmarc_port}@127.0.0.1\nAuthservID mx.ours.test\nTrustedAuthservIDs mx.ours.test\nSyslog false\nSPFSelfValidate true\nFailureReports false\nRejectFailures false\nPidFile {}/opendmarc.pid\n",
            dir.display()
        )
        .as_bytes(),
    );
    let spawn = |bin: &str, args: &[&str]| {
        Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()
    };
    let dkim = spawn(&dkim_bin, &["-f", "-x", &dkim_conf])?;
    let dmarc = spawn(&dmarc_bin, &["-f", "-c", &dmarc_conf])?;
    let r = Reference {
        dkim,
        dmarc,
        dkim_port,
        dmarc_port,
    };
    if !(wait_port(dkim_port) && wait_port(dmarc_port)) {
        eprintln!("note: opendkim/opendmarc did not listen: their row is skipped");
        return None;
    }
    Some(r)
}

fn which(name: &str) -> Option<String> {
    ["/usr/sbin/", "/usr/bin/"]
        .iter()
        .map(|d| format!("{d}{name}"))
        .find(|p| std::path::Path::new(p).exists())
}

/// The median messages per second over RUNS runs through a fresh Postfix with `milters`.
fn postfix_rate(milters: &str, message: &str, per_run: usize) -> Option<f64> {
    let mut rates = Vec::new();
    let mut shown = false;
    for _ in 0..RUNS {
        // No arrival throttling: the benchmark measures how fast mail gets through.
        let pf = Postfix::start("milter bench", milters, "in_flow_delay = 0")?;
        let start = Instant::now();
        let accepted: usize = std::thread::scope(|s| {
            let sessions: Vec<_> = (0..SESSIONS)
                .map(|t| {
                    let n = per_run / SESSIONS + usize::from(t < per_run % SESSIONS);
                    let port = pf.port;
                    s.spawn(move || session(port, message, n))
                })
                .collect();
            sessions
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .sum()
        });
        // A message a milter tempfails (4xx at the end of data) never reaches the mailbox; the
        // rate counts what got through in the time taken, which favours that row, not ours.
        if accepted < per_run {
            eprintln!(
                "note: [{milters}] refused {} of {per_run} messages with a temporary failure",
                per_run - accepted
            );
        }
        if accepted == 0 {
            return None;
        }
        let mail = pf.dir.join("mail/inbox/new");
        let count = || std::fs::read_dir(&mail).map_or(0, |d| d.count());
        let deadline = Instant::now() + Duration::from_secs(300);
        while count() < accepted && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        let took = start.elapsed().as_secs_f64();
        let got = pf.delivered();
        if got.len() < accepted {
            eprintln!(
                "note: only {} of {accepted} accepted messages delivered with [{milters}]",
                got.len()
            );
            return None;
        }
        if !shown && !milters.is_empty() {
            shown = true;
            let verdicts: Vec<&str> = got[0]
                .lines()
                .filter(|l| l.contains("dkim=") || l.contains("dmarc="))
                .collect();
            eprintln!("[{milters}] first delivery: {}", verdicts.join(" | "));
        }
        rates.push(accepted as f64 / took);
    }
    rates.sort_by(f64::total_cmp);
    Some(rates[rates.len() / 2])
}

/// One SMTP session sending `n` messages (pipelined replies are not used: like a client);
/// how many of them the server accepted (250 after the data).
fn session(port: u16, message: &str, n: usize) -> usize {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("smtpd");
    stream.set_read_timeout(Some(Duration::from_secs(120))).ok();
    // Without it the message's last segment waits for the ACK of the one before (Nagle),
    // which smtpd's kernel delays by 40 ms since smtpd has nothing to say before the dot:
    // that capped every row, Postfix alone included, near 25 messages/s per session.
    stream.set_nodelay(true).ok();
    let mut r = BufReader::new(stream.try_clone().expect("clone"));
    let mut w = stream;
    let mut reply = || {
        let mut line = String::new();
        loop {
            line.clear();
            if r.by_ref().take(4096).read_line(&mut line).unwrap_or(0) == 0 {
                return 0;
            }
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return line[..3].parse().unwrap_or(0);
            }
        }
    };
    reply();
    // The data and its terminating dot in one write, as a client with a buffer sends them.
    let mut data: String = message
        .replace("\r\n", "\n")
        .lines()
        .map(|l| format!("{}{l}\r\n", if l.starts_with('.') { "." } else { "" }))
        .collect();
    data.push_str(".\r\n");
    let _ = w.write_all(b"EHLO bench.example\r\n");
    reply();
    let mut accepted = 0;
    for _ in 0..n {
        for cmd in [
            "MAIL FROM:<bounce@example.com>\r\n",
            "RCPT TO:<rcpt@ours.test>\r\n",
            "DATA\r\n",
        ] {
            let _ = w.write_all(cmd.as_bytes());
            reply();
        }
        let _ = w.write_all(data.as_bytes());
        if reply() == 250 {
            accepted += 1;
        }
    }
    let _ = w.write_all(b"QUIT\r\n");
    accepted
}

/// CPU seconds (user + system) the process has used.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised name: state is 3rd, utime 14th, stime 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    // USER_HZ is 100 on Linux.
    f.iter().sum::<u64>() as f64 / 100.0
}

/// The milter alone, driven over 4 connections like Postfix drives it; per CPU-second.
fn milter_alone(milter: &Milter, message: &str) {
    let (head, body) = message
        .split_once("\r\n\r\n")
        .or_else(|| message.split_once("\n\n"))
        .expect("header and body");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.replace("\r\n", "\n").lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = headers.last_mut() {
                v.push('\n');
                v.push_str(line);
            }
        } else if let Some((n, v)) = line.split_once(':') {
            headers.push((n.to_string(), v.to_string()));
        }
    }
    let body = body.replace("\r\n", "\n").replace('\n', "\r\n");
    let per_conn: usize = 2000;
    let mut figures = Vec::new();
    for _ in 0..RUNS {
        let cpu0 = cpu_seconds(milter.pid());
        let start = Instant::now();
        std::thread::scope(|s| {
            for t in 0..SESSIONS {
                let headers = &headers;
                let body = &body;
                s.spawn(move || {
                    let hs: Vec<(&str, &str)> = headers
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_str()))
                        .collect();
                    let mut mta = MtaSide::connect(milter.port).expect("milter");
                    mta.envelope("127.0.0.1", "bench.example", "bounce@example.com", "Q0")
                        .expect("envelope");
                    for i in 0..per_conn {
                        if i > 0 {
                            mta.mail("bounce@example.com", &format!("Q{t}x{i}"))
                                .expect("mail");
                        }
                        mta.content(&hs, body.as_bytes()).expect("content");
                        mta.end().expect("end");
                    }
                    mta.quit();
                });
            }
        });
        let wall = start.elapsed().as_secs_f64();
        let cpu = cpu_seconds(milter.pid()) - cpu0;
        let n = (per_conn * SESSIONS) as f64;
        figures.push((n / cpu.max(0.01), n / wall, 1000.0 * cpu / n));
    }
    figures.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (per_cpu, per_wall, ms) = figures[figures.len() / 2];
    println!(
        "milter alone ({SESSIONS} connections, {} messages per run, median of {RUNS}): {per_cpu:.0} messages per CPU-second ({ms:.3} ms CPU per message; target <= 0.5 ms, >= 2,000/CPU-s), {per_wall:.0} msg/s wall",
        per_conn * SESSIONS
    );
}
