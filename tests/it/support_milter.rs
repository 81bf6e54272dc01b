//! The milter under test as a real process, Debian's `miltertest` driving it with Lua, and a
//! real Postfix instance of the test's own (config directory, queue, smtpd on a free loopback
//! port, virtual delivery into a Maildir) with a small SMTP client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Run, note, temp_dir, write_file};

/// `mailverdict milter` listening on a free loopback port; its stderr is collected.
pub struct Milter {
    child: Child,
    /// `inet:PORT@127.0.0.1`.
    pub socket: String,
    pub port: u16,
    /// Where `--metrics` serves, when asked for.
    pub metrics: Option<String>,
    log: Arc<Mutex<String>>,
}

impl Milter {
    /// Start with `args` after `milter --listen inet:0@127.0.0.1`; waits for its
    /// "listening on" line (within 10 s).
    pub fn start(args: &[&str]) -> Milter {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mailverdict"))
            .args(["milter", "--listen", "inet:0@127.0.0.1"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("milter starts");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr pipe");
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Ok(mut l) = sink.lock() {
                    l.push_str(&line);
                    l.push('\n');
                }
            }
        });
        let mut m = Milter {
            child,
            socket: String::new(),
            port: 0,
            metrics: None,
            log,
        };
        let line = m.wait_log("listening on", Duration::from_secs(10));
        let line = line.unwrap_or_else(|| panic!("milter did not start: {}", m.log()));
        let port = line
            .split("inet:")
            .nth(1)
            .and_then(|s| s.split('@').next())
            .and_then(|p| p.parse().ok())
            .expect("port in the listening line");
        m.port = port;
        m.socket = format!("inet:{port}@127.0.0.1");
        m.metrics = line
            .split("http://")
            .nth(1)
            .and_then(|s| s.split("/metrics").next())
            .map(str::to_string);
        m
    }

    /// Everything it wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The first stderr line holding `needle`, waiting up to `timeout` for it.
    pub fn wait_log(&self, needle: &str, timeout: Duration) -> Option<String> {
        let start = Instant::now();
        loop {
            if let Some(l) = self.log().lines().find(|l| l.contains(needle)) {
                return Some(l.to_string());
            }
            if start.elapsed() > timeout {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then the exit code (within 20 s).
    pub fn terminate(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// SIGKILL (a crash, as far as the MTA can tell).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The Prometheus text from `--metrics`.
    pub fn scrape(&self) -> String {
        let addr = self.metrics.as_deref().expect("--metrics given");
        let mut s = TcpStream::connect(addr).expect("metrics port");
        s.set_read_timeout(Some(Duration::from_secs(10))).ok();
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("request");
        let mut out = String::new();
        let _ = s.take(1 << 20).read_to_string(&mut out);
        out
    }
}

impl Drop for Milter {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Debian's miltertest, or a visible skip note when it is not installed.
pub fn miltertest(test: &str) -> Option<PathBuf> {
    let found = ["/usr/bin/miltertest", "/usr/sbin/miltertest"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        note(&format!(
            "SKIPPED {test}: miltertest is not installed (.ci/run installs Debian's miltertest)"
        ));
    }
    found
}

/// Run a miltertest Lua script against `socket` (`@SOCKET@` in the script is replaced).
pub fn run_lua(bin: &Path, script: &str, socket: &str) -> Run {
    let dir = temp_dir("lua");
    let path = write_file(&dir, "t.lua", script.replace("@SOCKET@", socket).as_bytes());
    let out = Command::new(bin)
        .args(["-s", &path])
        .stdin(Stdio::null())
        .output()
        .expect("miltertest runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stdout_bytes: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A Postfix instance of the test's own.
pub struct Postfix {
    master: Child,
    pub dir: PathBuf,
    pub port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn uid_of(user: &str) -> Option<u32> {
    let out = Command::new("id").args(["-u", user]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

impl Postfix {
    /// Start Postfix with `smtpd_milters = milter` (plus `extra` main.cf lines), delivering
    /// every recipient at ours.test into one Maildir; None (with a note) when Postfix is not
    /// installed.
    pub fn start(test: &str, milter: &str, extra: &str) -> Option<Postfix> {
        let master_bin = Path::new("/usr/lib/postfix/sbin/master");
        let (Some(postfix_uid), true) = (uid_of("postfix"), master_bin.exists()) else {
            note(&format!(
                "SKIPPED {test}: Postfix is not installed (.ci/run installs Debian's postfix)"
            ));
            return None;
        };
        let dir = temp_dir("postfix");
        let conf = dir.join("conf");
        for sub in ["conf", "queue", "data", "mail"] {
            std::fs::create_dir_all(dir.join(sub)).expect("postfix dirs");
        }
        std::os::unix::fs::chown(dir.join("data"), Some(postfix_uid), None).expect("chown data");
        std::os::unix::fs::chown(dir.join("mail"), Some(65534), Some(65534)).expect("chown mail");
        let port = free_port();
        let d = dir.display();
        let main_cf = format!(
            "compatibility_level = 3.6\nqueue_directory = {d}/queue\ndata_directory = {d}/data\n\
mail_owner = postfix\nsetgid_group = postdrop\nmyhostname = mx.ours.test\nmydomain = ours.test\n\
myorigin = ours.test\nmydestination =\ninet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n\
mynetworks = 127.0.0.0/8\nsmtputf8_enable = no\nalias_maps =\nalias_database =\n\
local_recipient_maps =\nvirtual_mailbox_domains = ours.test\nvirtual_mailbox_base = {d}/mail\n\
virtual_mailbox_maps = static:inbox/\nvirtual_uid_maps = static:65534\n\
virtual_gid_maps = static:65534\nvirtual_minimum_uid = 1\nmaillog_file_prefixes = /tmp, {d}\n\
maillog_file = {d}/maillog\nsmtpd_recipient_restrictions = permit_mynetworks, reject\n\
smtpd_milters = {milter}\nmilter_default_action = accept\nmilter_connect_timeout = 2s\n\
milter_command_timeout = 10s\nmilter_content_timeout = 20s\n{extra}\n"
        );
        std::fs::write(conf.join("main.cf"), main_cf).expect("main.cf");
        // Debian's master.cf, every service unchrooted, smtpd on our port.
        let stock = std::fs::read_to_string("/etc/postfix/master.cf")
            .or_else(|_| std::fs::read_to_string("/usr/share/postfix/master.cf.dist"))
            .expect("a stock master.cf");
        let master_cf: String = stock
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                if l.starts_with(['#', ' ', '\t']) || f.len() < 8 {
                    return format!("{l}\n");
                }
                let mut f: Vec<String> = f.iter().map(|s| s.to_string()).collect();
                if f[0] == "smtp" && f[1] == "inet" {
                    f[0] = format!("127.0.0.1:{port}");
                } else if f[1] == "inet" {
                    return format!("#{l}\n");
                }
                f[4] = "n".into();
                format!("{}\n", f.join(" "))
            })
            .collect();
        std::fs::write(conf.join("master.cf"), master_cf).expect("master.cf");
        let check = Command::new("postfix")
            .args(["-c", &conf.display().to_string(), "check"])
            .stdin(Stdio::null())
            .output()
            .expect("postfix check runs");
        assert!(
            check.status.success(),
            "postfix check failed: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let master = Command::new(master_bin)
            .args(["-c", &conf.display().to_string(), "-d"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postfix master starts");
        let pf = Postfix { master, dir, port };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "postfix did not listen: {}",
                pf.maillog()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(pf)
    }

    pub fn maillog(&self) -> String {
        std::fs::read_to_string(self.dir.join("maillog")).unwrap_or_default()
    }

    /// The delivered messages, oldest first.
    pub fn delivered(&self) -> Vec<String> {
        let new = self.dir.join("mail/inbox/new");
        let mut files: Vec<_> = std::fs::read_dir(new)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    }

    /// Wait (up to `timeout`) until `n` messages are delivered.
    pub fn wait_delivered(&self, n: usize, timeout: Duration) -> Vec<String> {
        let start = Instant::now();
        loop {
            let d = self.delivered();
            if d.len() >= n || start.elapsed() > timeout {
                return d;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        // SIGTERM makes master stop its children too.
        let _ = Command::new("kill")
            .args(["-TERM", &self.master.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.master.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.master.kill();
        let _ = self.master.wait();
    }
}

/// Send one message over SMTP; the reply to the end of DATA (code and text), or the first
/// reply that was not a success.
pub fn smtp_send(port: u16, from: &str, to: &str, message: &str) -> (u16, String) {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("smtpd");
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    // The dot must not wait behind Nagle for the ACK smtpd's kernel delays (40 ms).
    stream.set_nodelay(true).ok();
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut w = stream;
    let mut reply = || -> (u16, String) {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            if reader.by_ref().take(4096).read_line(&mut line).unwrap_or(0) == 0 {
                return (0, text);
            }
            text.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return (line[..3].parse().unwrap_or(0), text);
            }
        }
    };
    let (c, t) = reply();
    assert_eq!(c, 220, "greeting: {t}");
    let body: String = message
        .replace("\r\n", "\n")
        .lines()
        .map(|l| {
            if l.starts_with('.') {
                format!(".{l}\r\n")
            } else {
                format!("{l}\r\n")
            }
        })
        .collect();
    for (cmd, want) in [
        ("EHLO client.example\r\n".to_string(), 250),
        (format!("MAIL FROM:<{from}>\r\n"), 250),
        (format!("RCPT TO:<{to}>\r\n"), 250),
        ("DATA\r\n".to_string(), 354),
    ] {
        w.write_all(cmd.as_bytes()).expect("smtp write");
        let (c, t) = reply();
        if c != want {
            return (c, t);
        }
    }
    w.write_all(format!("{body}.\r\n").as_bytes())
        .expect("smtp data");
    let done = reply();
    let _ = w.write_all(b"QUIT\r\n");
    done
}
