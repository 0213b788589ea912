//! A small HTTP/1.1 server on 127.0.0.1 for the tests (std only; the CLI's tests share it):
//! one request per connection, GET with or without `Range: bytes=a-b`, answered with 206 and
//! `Content-Range` as RFC 9110 §14 says (416 past the end), an `ETag`, and faults on demand.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server does next.
#[derive(Default)]
pub struct Faults {
    /// Answer with the whole file (200), as a server without range support does.
    pub no_ranges: bool,
    /// Drop this many connections halfway through the body.
    pub drops: u32,
    /// Flip a byte in this many responses' bodies.
    pub corrupt: u32,
    /// Delay every response.
    pub latency: Duration,
}

pub struct Served {
    pub bytes: Vec<u8>,
    pub etag: String,
    pub faults: Faults,
    pub requests: u32,
}

pub struct Server {
    /// Where the bytes are served: `http://127.0.0.1:PORT/clip.s4d`.
    pub url: String,
    state: Arc<Mutex<Served>>,
}

impl Server {
    /// Serves `bytes` until the test process ends.
    pub fn start(bytes: Vec<u8>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/clip.s4d", listener.local_addr().unwrap());
        let state =
            Arc::new(Mutex::new(Served { bytes, etag: "\"v1\"".into(), faults: Faults::default(), requests: 0 }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &state);
                });
            }
        });
        Server { url, state }
    }

    /// Changes or reads what the server does.
    pub fn with<T>(&self, f: impl FnOnce(&mut Served) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }
}

/// One request per connection: a GET, its Range header if any.
fn serve(stream: TcpStream, state: &Mutex<Served>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut range = None;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    if !line.starts_with("GET ") {
        return Ok(());
    }
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        if line.trim().is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
            let (a, b) = v.trim().split_once('-').unwrap();
            range = Some((a.parse::<usize>().unwrap(), b.parse::<usize>().unwrap()));
        }
    }
    let (head, mut body, drop_half, latency) = {
        let mut s = state.lock().unwrap();
        s.requests += 1;
        let len = s.bytes.len();
        let (head, body) = match range {
            Some((a, b)) if !s.faults.no_ranges => {
                if a >= len {
                    (format!("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\n"), vec![])
                } else {
                    let b = b.min(len - 1);
                    let head = format!("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {a}-{b}/{len}\r\n");
                    (head, s.bytes[a..=b].to_vec())
                }
            }
            _ => ("HTTP/1.1 200 OK\r\n".to_string(), s.bytes.clone()),
        };
        let drop_half = s.faults.drops > 0;
        s.faults.drops = s.faults.drops.saturating_sub(1);
        let corrupt = s.faults.corrupt > 0 && !body.is_empty();
        (
            format!("{head}ETag: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", s.etag, body.len()),
            if corrupt {
                s.faults.corrupt -= 1;
                let mut b = body;
                let at = b.len() / 2;
                b[at] ^= 0x5a;
                b
            } else {
                body
            },
            drop_half,
            s.faults.latency,
        )
    };
    std::thread::sleep(latency);
    let mut out = stream;
    out.write_all(head.as_bytes())?;
    if drop_half {
        body.truncate(body.len() / 2);
        out.write_all(&body)?;
        return out.shutdown(std::net::Shutdown::Both);
    }
    out.write_all(&body)
}
