//! A local moto server for the integration tests: started on a free loopback port
//! by the first test that needs it, stopped when the test process exits.
//!
//! moto is required, not optional: if `moto_server` is not on PATH the tests fail
//! with a message that says how to install it (the README test command does).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

pub struct Moto {
    pub endpoint: String,
    pub port: u16,
    child: Mutex<Option<Child>>,
    /// Where the server logs each request it answers (see `start_logged`).
    log: Option<PathBuf>,
}

impl Moto {
    /// Starts a new moto server (tests that stop and restart it use their own).
    pub fn start() -> Moto {
        Moto::launch(None)
    }

    /// Starts a new moto server that appends one line per request it answers to
    /// `log` (`"GET /bucket/?list-type=2&prefix=... HTTP/1.1" 200`): tests assert
    /// on what was actually requested.
    pub fn start_logged(log: &Path) -> Moto {
        Moto::launch(Some(log.to_path_buf()))
    }

    fn launch(log: Option<PathBuf>) -> Moto {
        let port = free_port();
        let child = spawn(port, log.as_deref());
        let m = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            child: Mutex::new(Some(child)),
            log,
        };
        m.wait_ready();
        m
    }

    /// The server shared by every test of this process.
    pub fn shared() -> &'static Moto {
        static SHARED: OnceLock<Moto> = OnceLock::new();
        SHARED.get_or_init(Moto::start)
    }

    /// SDK configuration for the tests' own calls to this server (setup, checks).
    pub async fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
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
        *self.child.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(spawn(self.port, self.log.as_deref()));
        self.wait_ready();
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "moto_server did not listen on port {} within 60 s",
            self.port
        );
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Starts moto under a watchdog shell that stops it when this test process ends
/// (a server kept in a `static` is never dropped) or when the shell gets SIGTERM.
fn spawn(port: u16, log: Option<&Path>) -> Child {
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
    // The request log goes to stderr; the path is quoted for the shell.
    let stderr = log.map_or(">&1".to_owned(), |p| {
        format!(">>'{}'", p.display().to_string().replace('\'', "'\\''"))
    });
    let script = format!(
        "moto_server -H 127.0.0.1 -p {port} >/dev/null 2{stderr} & m=$!; \
         trap 'kill $m 2>/dev/null; wait $m; exit 0' TERM INT; \
         while kill -0 {parent} 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 0.2; done; \
         kill $m 2>/dev/null; wait $m",
        parent = std::process::id()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start moto_server under sh: {e}"))
}
