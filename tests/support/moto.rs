//! A local moto server for the integration tests: started on a free loopback port
//! by the first test that needs it, stopped when the test process exits.
//!
//! moto is required, not optional: if `moto_server` is not on PATH the tests fail
//! with a message that says how to install it (the README test command does).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct Moto {
    pub endpoint: String,
    pub port: u16,
    /// Extra `moto_server` arguments (the TLS certificate and key).
    args: String,
    child: Mutex<Option<Child>>,
    /// Where the server writes its start-up lines and logs each request it
    /// answers: the caller's file (see `start_logged`) or one of our own.
    log: PathBuf,
    /// The log is ours: removed when the server is dropped.
    own_log: bool,
}

/// Why a server did not come up.
enum NotStarted {
    /// Another socket took the port between `free_port` and moto's bind: try
    /// another port.
    PortTaken,
    Failed(String),
}

/// How many ports a start tries before it gives up.
const START_ATTEMPTS: usize = 5;

impl Moto {
    /// Starts a new moto server (tests that stop and restart it use their own).
    pub fn start() -> Moto {
        Moto::launch("http://127.0.0.1", String::new(), None)
    }

    /// Starts a new moto server that appends one line per request it answers to
    /// `log` (`"GET /bucket/?list-type=2&prefix=... HTTP/1.1" 200`): tests assert
    /// on what was actually requested.
    pub fn start_logged(log: &Path) -> Moto {
        Moto::launch("http://127.0.0.1", String::new(), Some(log.to_path_buf()))
    }

    /// Starts a moto server that speaks only HTTPS, with the certificate chain and
    /// key in these PEM files. The endpoint names `localhost`: the certificate must
    /// cover it.
    pub fn start_tls(cert: &Path, key: &Path) -> Moto {
        let quoted = |p: &Path| {
            let s = p.display().to_string();
            assert!(!s.contains('\''), "no quote in {s}");
            format!("'{s}'")
        };
        Moto::launch(
            "https://localhost",
            format!("-c {} -k {}", quoted(cert), quoted(key)),
            None,
        )
    }

    fn launch(base: &str, args: String, log: Option<PathBuf>) -> Moto {
        let own_log = log.is_none();
        let log = log.unwrap_or_else(own_log_path);
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            let port = free_port();
            match start_on(port, &args, &log, own_log) {
                Ok(child) => {
                    return Moto {
                        endpoint: format!("{base}:{port}"),
                        port,
                        args,
                        child: Mutex::new(Some(child)),
                        log,
                        own_log,
                    };
                }
                Err(NotStarted::PortTaken) => last = format!("port {port} was taken"),
                Err(NotStarted::Failed(why)) => panic!("moto_server did not start: {why}"),
            }
        }
        panic!("moto_server did not start in {START_ATTEMPTS} attempts: {last}")
    }

    /// The server shared by every test of this process.
    pub fn shared() -> &'static Moto {
        static SHARED: OnceLock<Moto> = OnceLock::new();
        SHARED.get_or_init(Moto::start)
    }

    /// SDK configuration for the tests' own calls to this server (setup, checks).
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        self.sdk_with(trailwatch::aws::http_client()).await
    }

    /// The SDK's own S3 client for the tests' setup and checks (create buckets,
    /// delete objects, storage classes): the functions' client (`aws::s3`) has
    /// only the calls they make. Buckets addressed by path, as moto needs.
    pub fn s3(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// Creates the bucket `name` in the moto behind `sdk`.
    pub async fn create_bucket(sdk: &aws_config::SdkConfig, name: &str) {
        Moto::s3(sdk)
            .create_bucket()
            .bucket(name)
            .send()
            .await
            .expect("CreateBucket");
    }

    /// The same with another HTTP client (one that trusts a test CA).
    pub async fn sdk_with(
        &self,
        http: aws_sdk_sns::config::SharedHttpClient,
    ) -> aws_config::SdkConfig {
        trailwatch::aws::loader()
            .http_client(http)
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_sns::config::Credentials::new(
                "test", "test", None, None, "static",
            ))
            .load()
            .await
    }

    /// Stops the server (for failure tests); `restart` brings it back on the same
    /// port, with empty state.
    pub fn stop(&self) {
        if let Some(mut c) = self.child.lock().unwrap_or_else(|p| p.into_inner()).take() {
            // SIGTERM lets the watchdog shell's trap stop moto itself.
            let _ = Command::new("kill").arg(c.id().to_string()).status();
            let _ = c.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn restart(&self) {
        self.stop();
        let child = match start_on(self.port, &self.args, &self.log, self.own_log) {
            Ok(child) => child,
            Err(NotStarted::PortTaken) => panic!(
                "moto_server could not restart: port {} was taken while it was down",
                self.port
            ),
            Err(NotStarted::Failed(why)) => panic!("moto_server did not restart: {why}"),
        };
        *self.child.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
        if self.own_log {
            let _ = std::fs::remove_file(&self.log);
        }
    }
}

/// A log file of our own for a server that the test does not watch.
fn own_log_path() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "trailwatch-moto-{}-{}.log",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// Starts moto on `port` and waits until it says it listens there. Its own
/// start-up line is the sign, not a connection to the port: between
/// `free_port` and moto's bind another socket of this process may take the
/// port, and a connection would then reach that socket while moto exits with
/// "Address already in use" (tests then failed with refused connections).
fn start_on(port: u16, args: &str, log: &Path, own_log: bool) -> Result<Child, NotStarted> {
    // Only what moto writes from now on counts (a restart appends to the log).
    let from = std::fs::metadata(log).map_or(0, |m| m.len());
    let mut child = spawn(port, args, log, own_log);
    let listening =
        |line: &str| line.starts_with(" * Running on ") && line.ends_with(&format!(":{port}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let written = written_since(log, from);
        if written.lines().any(listening) {
            return Ok(child);
        }
        if let Ok(Some(_)) = child.try_wait() {
            // The watchdog shell ends when moto does.
            let written = written_since(log, from);
            return Err(if written.contains("Address already in use") {
                NotStarted::PortTaken
            } else {
                NotStarted::Failed(format!("it exited; it wrote: {}", written.trim()))
            });
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
            return Err(NotStarted::Failed(format!(
                "it did not listen on port {port} within 60 s; it wrote: {}",
                written.trim()
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What `log` holds past byte `from` (lossy: the request log may hold any bytes).
fn written_since(log: &Path, from: u64) -> String {
    let bytes = std::fs::read(log).unwrap_or_default();
    let from = usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len());
    String::from_utf8_lossy(&bytes[from..]).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Starts moto under a watchdog shell that stops it when this test process ends
/// (a server kept in a `static` is never dropped) or when the shell gets SIGTERM.
fn spawn(port: u16, args: &str, log: &Path, own_log: bool) -> Child {
    let parent = std::process::id();
    let found = Command::new("sh")
        .args(["-c", "command -v moto_server"])
        .stdout(Stdio::null())
        .status();
    if !found.is_ok_and(|s| s.success()) {
        panic!(
            "moto_server is not on PATH. The integration tests need it: run `tests/run`, which \
             installs the pinned moto[server] into .venv-test, or `pip install 'moto[server]==5.2.1'`"
        );
    }
    // The start-up lines and the request log go to stderr; the path is quoted
    // for the shell.
    let log = format!("'{}'", log.display().to_string().replace('\'', "'\\''"));
    // A log of our own goes with the test process: a shared server is never
    // dropped. (Not before: `start_on` reads why moto exited from it.)
    let cleanup = if own_log {
        format!("kill -0 {parent} 2>/dev/null || rm -f {log}; ")
    } else {
        String::new()
    };
    let script = format!(
        "moto_server -H 127.0.0.1 -p {port} {args} >/dev/null 2>>{log} & m=$!; \
         trap 'kill $m 2>/dev/null; wait $m; exit 0' TERM INT; \
         while kill -0 {parent} 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 0.2; done; \
         kill $m 2>/dev/null; wait $m; status=$?; {cleanup}exit $status"
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start moto_server under sh: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_port_taken_before_moto_binds_it_is_noticed_and_another_is_tried() {
        // Another socket holds the port, as a test's listener did in the flake.
        let held = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let port = held.local_addr().expect("its address").port();
        let log = own_log_path();
        let started = start_on(port, "", &log, true);
        let _ = std::fs::remove_file(&log);
        match started {
            Err(NotStarted::PortTaken) => {}
            Err(NotStarted::Failed(why)) => panic!("expected a taken port, got: {why}"),
            Ok(mut child) => {
                let _ = Command::new("kill").arg(child.id().to_string()).status();
                let _ = child.wait();
                panic!("moto was taken to listen on a port another socket holds");
            }
        }
        drop(held);

        // A server that comes up is moto itself: its own API answers.
        let moto = Moto::start();
        let mut http = TcpStream::connect(("127.0.0.1", moto.port)).expect("connect to moto");
        http.write_all(b"GET /moto-api/data.json HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .expect("send");
        let mut answer = String::new();
        let _ = http.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer:.200}");
        let log = moto.log.clone();
        drop(moto);
        assert!(!log.exists(), "the server's own log is removed with it");
    }
}
