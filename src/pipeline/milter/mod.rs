//! `milter`: verification in-line in Postfix and Sendmail over the milter protocol. One tokio
//! task per connection; each message is checked by `check` on a blocking thread under the
//! per-message deadline, with the connection's facts (client IP, HELO, MAIL FROM) in place of
//! Received parsing; the field added is the one `filter` writes, forged ones are deleted.
//! Nothing here prints: the one-line log per message goes to the caller's sink.

mod budget;
mod metrics;
mod proto;
mod session;
mod verify;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UnixListener};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::dns::{CacheLimits, Resolve, TtlCache};
use crate::pipeline::filter::FilterConfig;
pub use verify::OnFailure;

/// Where the milter listens (Sendmail's and Postfix's socket notation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// `inet:PORT@HOST` / `inet6:PORT@HOST` (HOST an IP address or `localhost`).
    Inet(SocketAddr),
    /// `unix:PATH` / `local:PATH`.
    Unix(PathBuf),
}

/// Why a `--listen` value is not a socket.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ListenError {
    /// No `inet:`, `inet6:`, `unix:` or `local:` prefix.
    #[error("{0:?}: expected inet:PORT@HOST, inet6:PORT@HOST or unix:PATH")]
    Form(String),
    /// The port is not a number from 0 to 65535.
    #[error("{0:?}: the port is not a number from 0 to 65535")]
    Port(String),
    /// The host is not an IP address.
    #[error("{0:?}: the host must be an IP address or localhost")]
    Host(String),
}

impl Listen {
    /// Read `inet:8891@127.0.0.1`, `inet6:8891@[::1]`, `unix:/run/mailverdict.sock`.
    pub fn parse(s: &str) -> Result<Listen, ListenError> {
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| ListenError::Form(s.into()))?;
        match kind {
            "unix" | "local" if !rest.is_empty() => Ok(Listen::Unix(PathBuf::from(rest))),
            "inet" | "inet6" => {
                let (port, host) = rest.split_once('@').unwrap_or((rest, "localhost"));
                let port: u16 = port.parse().map_err(|_| ListenError::Port(s.into()))?;
                let host = host.trim_start_matches('[').trim_end_matches(']');
                let ip = match host {
                    "localhost" if kind == "inet6" => std::net::Ipv6Addr::LOCALHOST.into(),
                    "localhost" => std::net::Ipv4Addr::LOCALHOST.into(),
                    h => h.parse().map_err(|_| ListenError::Host(s.into()))?,
                };
                Ok(Listen::Inet(SocketAddr::new(ip, port)))
            }
            _ => Err(ListenError::Form(s.into())),
        }
    }
}

impl std::fmt::Display for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listen::Inet(a) if a.is_ipv6() => write!(f, "inet6:{}@[{}]", a.port(), a.ip()),
            Listen::Inet(a) => write!(f, "inet:{}@{}", a.port(), a.ip()),
            Listen::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// What a `milter` run is asked to do (from the command line).
pub struct MilterConfig {
    /// `--listen`.
    pub listen: Listen,
    /// The field text, deadline, `--max-size` and check options, as `filter` has them. When
    /// `authserv_id_given` is false, each connection takes the MTA's `{j}` (else
    /// `{daemon_name}`) as the authserv-id, and this one only when the MTA sends neither.
    pub filter: FilterConfig,
    /// Whether `--authserv-id` was given.
    pub authserv_id_given: bool,
    /// `--reject dmarc`: act on the DMARC disposition (reject: 550, quarantine).
    pub reject_dmarc: bool,
    /// `--on-temperror`.
    pub on_temperror: OnFailure,
    /// `--on-overload`: what a message gets when `--memory` is in use.
    pub on_overload: OnFailure,
    /// `--memory`: message bytes held in flight over all connections.
    pub memory: u64,
    /// `--max-connections`: connections served at once (more wait in the listen queue).
    pub max_connections: usize,
    /// `--metrics`: where Prometheus text is served.
    pub metrics: Option<SocketAddr>,
    /// How long in-flight messages may take to finish after SIGTERM.
    pub grace: Duration,
}

/// The sink of the one-line log per message (the application writes it to stderr).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// Why the milter could not run.
#[derive(Debug, thiserror::Error)]
pub enum MilterError {
    /// The runtime could not start (threads).
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    /// The socket could not be opened.
    #[error("cannot listen on {what}: {source}")]
    Listen {
        /// The socket as given.
        what: String,
        /// Why.
        source: std::io::Error,
    },
    /// Signal handlers could not be installed.
    #[error("cannot install the SIGTERM handler: {0}")]
    Signal(std::io::Error),
}

/// What every connection shares.
pub(crate) struct Shared {
    filter: Arc<FilterConfig>,
    authserv_id_given: bool,
    policies: verify::Policies,
    /// The DNS backend; each message gets its own cache (and deadline) in front of it.
    backend: Arc<dyn Resolve>,
    /// On live DNS, the backend is this cache kept across messages (answers for their TTL),
    /// and a message whose answers it holds is first checked from it alone, without threads.
    dns_cache: Option<Arc<TtlCache>>,
    budget: Arc<budget::Budget>,
    metrics: Arc<metrics::Metrics>,
    log: Log,
    shutdown: watch::Receiver<bool>,
}

/// A value from the MTA or a message, safe on one log line.
pub(crate) fn escape_log(s: &str) -> String {
    crate::report::escape::term(&crate::common::clip(s, 200)).replace('"', "\\\"")
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

async fn bind(listen: &Listen) -> Result<Listener, MilterError> {
    let err = |source| MilterError::Listen {
        what: listen.to_string(),
        source,
    };
    match listen {
        Listen::Inet(addr) => Ok(Listener::Tcp(TcpListener::bind(addr).await.map_err(err)?)),
        Listen::Unix(path) => {
            // A socket left by a run that died is in the way; a live one is not ours to take.
            if std::os::unix::net::UnixStream::connect(path).is_err() {
                use std::os::unix::fs::FileTypeExt;
                if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
                    let _ = std::fs::remove_file(path);
                }
            }
            Ok(Listener::Unix(
                UnixListener::bind(path).map_err(err)?,
                path.clone(),
            ))
        }
    }
}

/// Run the milter until SIGTERM or SIGINT: then stop accepting, let in-flight messages finish
/// (up to `grace`), and return.
pub fn serve(cfg: MilterConfig, backend: Arc<dyn Resolve>, log: Log) -> Result<(), MilterError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Checks run on blocking threads; one per connection, and those outliving their
        // deadline, are enough.
        .max_blocking_threads(cfg.max_connections.saturating_mul(2).clamp(4, 1024))
        .thread_name("milter")
        .build()
        .map_err(MilterError::Runtime)?;
    runtime.block_on(serve_async(cfg, backend, log))
}

async fn serve_async(
    cfg: MilterConfig,
    backend: Arc<dyn Resolve>,
    log: Log,
) -> Result<(), MilterError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(MilterError::Signal)?;
    let mut int = signal(SignalKind::interrupt()).map_err(MilterError::Signal)?;
    let listener = bind(&cfg.listen).await?;
    let (stop, shutdown) = watch::channel(false);
    // Zone replay answers from memory already: a cache in front of it would only copy.
    let dns_cache = backend
        .is_remote()
        .then(|| Arc::new(TtlCache::new(backend.clone(), CacheLimits::default())));
    let backend: Arc<dyn Resolve> = match &dns_cache {
        Some(c) => c.clone(),
        None => backend,
    };
    let shared = Arc::new(Shared {
        filter: Arc::new(cfg.filter.clone()),
        authserv_id_given: cfg.authserv_id_given,
        policies: verify::Policies {
            reject_dmarc: cfg.reject_dmarc,
            on_temperror: cfg.on_temperror,
            on_overload: cfg.on_overload,
        },
        backend,
        dns_cache,
        budget: budget::Budget::new(cfg.memory),
        metrics: Arc::new(metrics::Metrics::default()),
        log: log.clone(),
        shutdown,
    });
    let mut extra = JoinSet::new();
    let metrics_at = match cfg.metrics {
        Some(addr) => {
            let l = TcpListener::bind(addr)
                .await
                .map_err(|source| MilterError::Listen {
                    what: format!("--metrics {addr}"),
                    source,
                })?;
            let at = l.local_addr().map_or(addr, |a| a);
            let (m, b) = (shared.metrics.clone(), shared.budget.clone());
            let c = shared.dns_cache.clone();
            extra.spawn(metrics::serve(l, move || {
                m.render((b.used(), b.limit()), c.as_ref().map(|c| c.stats()))
            }));
            format!(", metrics on http://{at}/metrics")
        }
        None => String::new(),
    };
    let shown = match &listener {
        Listener::Tcp(l) => l
            .local_addr()
            .map_or_else(|_| cfg.listen.clone(), Listen::Inet),
        Listener::Unix(_, p) => Listen::Unix(p.clone()),
    };
    log(&format!(
        "mailverdict milter: listening on {shown}{metrics_at} (authserv-id {})",
        if cfg.authserv_id_given {
            cfg.filter.authserv_id.clone()
        } else {
            format!("from the MTA's {{j}}, else {}", cfg.filter.authserv_id)
        }
    ));
    let permits = Arc::new(Semaphore::new(cfg.max_connections.max(1)));
    let mut sessions = JoinSet::new();
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let accepted = tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            // Reap finished sessions so the set does not grow.
            Some(_) = sessions.join_next(), if !sessions.is_empty() => continue,
            a = accept(&listener) => a,
        };
        let stream = match accepted {
            Ok(s) => s,
            Err(e) => {
                log(&format!("mailverdict milter: accept failed: {e}"));
                // Out of descriptors and the like: do not spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let shared = shared.clone();
        sessions.spawn(async move {
            shared.metrics.connection(true);
            let session = session::Session::new(shared.clone());
            let result = match stream {
                Stream::Tcp(s) => session.run(s).await,
                Stream::Unix(s) => session.run(s).await,
            };
            if let Err(e) = result {
                if matches!(e, session::SessionError::Proto(_)) {
                    shared.metrics.protocol_error();
                }
                (shared.log)(&format!("mailverdict milter: connection closed: {e}"));
            }
            shared.metrics.connection(false);
            drop(permit);
        });
    }
    // Refuse new connections, let the in-flight ones finish their message.
    if let Listener::Unix(_, path) = &listener {
        let _ = std::fs::remove_file(path);
    }
    drop(listener);
    let _ = stop.send(true);
    log(&format!(
        "mailverdict milter: shutting down, {} connection(s) in flight",
        sessions.len()
    ));
    let drained = tokio::time::timeout(cfg.grace, async {
        while sessions.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        log(&format!(
            "mailverdict milter: {} connection(s) still open after {}s; closing them",
            sessions.len(),
            cfg.grace.as_secs_f64()
        ));
    }
    extra.abort_all();
    Ok(())
}

enum Stream {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

async fn accept(l: &Listener) -> std::io::Result<Stream> {
    match l {
        Listener::Tcp(l) => {
            let (s, _) = l.accept().await?;
            let _ = s.set_nodelay(true);
            Ok(Stream::Tcp(s))
        }
        Listener::Unix(l, _) => Ok(Stream::Unix(l.accept().await?.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_forms() {
        assert_eq!(
            Listen::parse("inet:8891@127.0.0.1"),
            Ok(Listen::Inet("127.0.0.1:8891".parse().expect("addr")))
        );
        assert_eq!(
            Listen::parse("inet6:8891@[::1]"),
            Ok(Listen::Inet("[::1]:8891".parse().expect("addr")))
        );
        assert_eq!(
            Listen::parse("unix:/run/m.sock"),
            Ok(Listen::Unix("/run/m.sock".into()))
        );
        assert!(matches!(
            Listen::parse("inet:x@127.0.0.1"),
            Err(ListenError::Port(_))
        ));
        assert!(matches!(
            Listen::parse("inet:1@mx.example"),
            Err(ListenError::Host(_))
        ));
        assert!(matches!(Listen::parse("8891"), Err(ListenError::Form(_))));
        assert_eq!(
            Listen::parse("inet:0@127.0.0.1").map(|l| l.to_string()),
            Ok("inet:0@127.0.0.1".into())
        );
    }
}
