//! A minimal Lambda Runtime API for running a function binary in a test: it
//! hands out invocations one at a time, in the order asked, and returns what the
//! function answered (`/response` or `/error`) before the next one is asked.

use std::sync::Arc;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};

/// What the function answered for one invocation.
#[derive(Debug, Clone)]
pub enum Answer {
    Response(Value),
    Error(Value),
}

impl Answer {
    /// The response, or a panic naming the error.
    pub fn ok(self) -> Value {
        match self {
            Answer::Response(v) => v,
            Answer::Error(e) => panic!("the function failed: {e}"),
        }
    }

    pub fn err(self) -> Value {
        match self {
            Answer::Error(e) => e,
            Answer::Response(v) => panic!("the function succeeded: {v}"),
        }
    }
}

/// The runtime side of one function process.
pub struct Runtime {
    /// `host:port` for `AWS_LAMBDA_RUNTIME_API`.
    pub addr: String,
    invocations: mpsc::Sender<Invocation>,
    answers: Mutex<mpsc::Receiver<Answer>>,
    counter: std::sync::atomic::AtomicU64,
}

type Shared<T> = Arc<Mutex<T>>;

/// One invocation as the runtime hands it out: request id, payload, and the
/// deadline (epoch milliseconds).
type Invocation = (String, String, u128);

impl Runtime {
    pub async fn start() -> Runtime {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address").to_string();
        let (inv_tx, inv_rx) = mpsc::channel::<Invocation>(16);
        let (ans_tx, ans_rx) = mpsc::channel::<Answer>(16);
        let inv_rx: Shared<mpsc::Receiver<Invocation>> = Arc::new(Mutex::new(inv_rx));
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(connection(conn, inv_rx.clone(), ans_tx.clone()));
            }
        });
        Runtime {
            addr,
            invocations: inv_tx,
            answers: Mutex::new(ans_rx),
            counter: Default::default(),
        }
    }

    /// One invocation with `payload`; waits (at most 15 minutes, Lambda's limit) for the answer.
    pub async fn invoke(&self, payload: &Value) -> Answer {
        self.invoke_within(payload, 900_000).await
    }

    /// One invocation whose deadline (`lambda-runtime-deadline-ms`) is `ms`
    /// milliseconds after it is handed out; waits for the answer as `invoke`.
    pub async fn invoke_within(&self, payload: &Value, ms: u128) -> Answer {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.invocations
            .send((format!("req-{n}"), payload.to_string(), ms))
            .await
            .expect("runtime running");
        let mut answers = self.answers.lock().await;
        tokio::time::timeout(std::time::Duration::from_secs(900), answers.recv())
            .await
            .expect("the function answered within 15 minutes")
            .expect("runtime running")
    }
}

/// Serves one keep-alive connection of the function's runtime client.
async fn connection(
    conn: TcpStream,
    invocations: Shared<mpsc::Receiver<Invocation>>,
    answers: mpsc::Sender<Answer>,
) {
    let (read, mut write) = conn.into_split();
    let mut read = BufReader::new(read);
    loop {
        let mut request_line = String::new();
        if read.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0;
        loop {
            let mut header = String::new();
            if read.read_line(&mut header).await.unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let lower = header.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if read.read_exact(&mut body).await.is_err() {
            return;
        }
        let path = request_line.split(' ').nth(1).unwrap_or("").to_owned();
        let reply = if path.ends_with("/invocation/next") {
            // Held open until the test invokes.
            let Some((id, payload, within)) = invocations.lock().await.recv().await else {
                return;
            };
            let deadline = crate::now_ms() + within;
            format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                 lambda-runtime-aws-request-id: {id}\r\nlambda-runtime-deadline-ms: {deadline}\r\n\
                 lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:test\r\n\
                 lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000\r\n\
                 content-length: {}\r\n\r\n{payload}",
                payload.len()
            )
        } else {
            let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let answer = if path.ends_with("/response") {
                Answer::Response(value)
            } else {
                Answer::Error(value)
            };
            let _ = answers.send(answer).await;
            "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n".to_owned()
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}
