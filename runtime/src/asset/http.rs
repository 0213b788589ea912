//! HTTP(S) as an asset's [`Source`]: range requests (RFC 9110 §14) for the bytes splat4d reads,
//! through a RAM cache of fixed size in front of them. Every response is held to what was asked:
//! 206 with the asked `Content-Range` and exactly that many bytes, from the same representation
//! as the first (its `ETag` or `Last-Modified`); a server that ignores ranges (200), a file
//! replaced on the server, or a short body is an error, never other bytes. Dropped connections
//! and short bodies are retried with back-off. Built with the `http` feature (ureq, rustls).

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Source;
use crate::error::{Error, Result};

/// How an HTTP source fetches and caches.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Bytes fetched per cache block (reads are rounded out to whole blocks).
    pub block_bytes: u64,
    /// The RAM cache's size: the least recently used blocks go first beyond it.
    pub cache_bytes: u64,
    /// Tries per request beyond the first, for dropped connections and short bodies.
    pub retries: u32,
    /// Connect timeout, and the time each response's head and body may take.
    pub timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions { block_bytes: 1 << 20, cache_bytes: 64 << 20, retries: 3, timeout: Duration::from_secs(20) }
    }
}

/// What an HTTP source has done, for stats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HttpCounts {
    pub requests: u64,
    pub retries: u64,
    pub bytes_fetched: u64,
    pub cache_hits: u64,
    /// The cache's size now (never above `HttpOptions::cache_bytes`).
    pub cached_bytes: u64,
}

/// An asset on an HTTP(S) server that answers range requests.
pub struct HttpSource {
    url: String,
    agent: ureq::Agent,
    options: HttpOptions,
    size: u64,
    /// `ETag`, else `Last-Modified`, of the first response: every later one must carry the same.
    validator: Option<(&'static str, String)>,
    cache: Mutex<Cache>,
    requests: AtomicU64,
    retries: AtomicU64,
    fetched: AtomicU64,
    hits: AtomicU64,
}

#[derive(Default)]
struct Cache {
    blocks: HashMap<u64, (Arc<Vec<u8>>, u64)>,
    bytes: u64,
    clock: u64,
}

impl Cache {
    fn get(&mut self, block: u64) -> Option<Arc<Vec<u8>>> {
        self.clock += 1;
        let clock = self.clock;
        self.blocks.get_mut(&block).map(|(b, used)| {
            *used = clock;
            b.clone()
        })
    }

    fn put(&mut self, block: u64, bytes: Arc<Vec<u8>>, budget: u64) {
        let len = bytes.len() as u64;
        if len > budget || self.blocks.contains_key(&block) {
            return;
        }
        while self.bytes + len > budget {
            let Some((&oldest, _)) = self.blocks.iter().min_by_key(|(_, (_, used))| *used) else { break };
            let (gone, _) = self.blocks.remove(&oldest).expect("the block just found");
            self.bytes -= gone.len() as u64;
        }
        self.clock += 1;
        self.bytes += len;
        self.blocks.insert(block, (bytes, self.clock));
    }
}

/// The most blocks one request fetches.
const BLOCKS_PER_REQUEST: u64 = 8;

fn net(url: &str, what: impl std::fmt::Display) -> Error {
    Error::io(url, std::io::Error::other(what.to_string()))
}

/// A response's bytes and the headers that say what they are.
struct Fetched {
    body: Vec<u8>,
    total: u64,
    validator: Option<(&'static str, String)>,
}

/// Why a request failed: worth another try (the connection, a short body) or not (the server
/// said something that another try will not change).
enum Failed {
    Retry(String),
    Final(String),
}

impl HttpSource {
    /// Opens `url` (http or https): fetches its first block, which says the asset's size and
    /// whether the server answers ranges.
    pub fn open(url: &str, options: HttpOptions) -> Result<HttpSource> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Error::InvalidArgument(format!("{url}: not an http:// or https:// URL")));
        }
        if options.block_bytes == 0 || options.block_bytes > 1 << 30 {
            return Err(Error::InvalidArgument(format!("HTTP block of {} bytes: 1..=1 GiB", options.block_bytes)));
        }
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(options.timeout))
            .timeout_recv_body(Some(options.timeout))
            .timeout_recv_response(Some(options.timeout))
            // 206 and errors are read as they are, not turned into ureq errors.
            .http_status_as_error(false)
            .build()
            .into();
        let mut source = HttpSource {
            url: url.to_string(),
            agent,
            options,
            size: 0,
            validator: None,
            cache: Mutex::default(),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            fetched: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        };
        // The first range need not be a whole block: the asset may be smaller than one.
        let first = source.fetch(0, source.options.block_bytes, true)?;
        source.size = first.total;
        source.validator = first.validator;
        let mut body = first.body;
        body.truncate(source.size.min(source.options.block_bytes) as usize);
        source.cache.get_mut().unwrap_or_else(|e| e.into_inner()).put(0, Arc::new(body), source.options.cache_bytes);
        Ok(source)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn counts(&self) -> HttpCounts {
        HttpCounts {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            bytes_fetched: self.fetched.load(Ordering::Relaxed),
            cache_hits: self.hits.load(Ordering::Relaxed),
            cached_bytes: self.cache.lock().unwrap_or_else(|e| e.into_inner()).bytes,
        }
    }

    /// `len` bytes at `start` (`first`: the opening request, which learns the size and may be
    /// answered short at the end of a small file), retried with back-off where worth it.
    fn fetch(&self, start: u64, len: u64, first: bool) -> Result<Fetched> {
        let mut wait = Duration::from_millis(100);
        for attempt in 0..=self.options.retries {
            if attempt > 0 {
                self.retries.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(wait);
                wait *= 2;
            }
            match self.request(start, len, first) {
                Ok(f) => return Ok(f),
                Err(Failed::Final(why)) => return Err(net(&self.url, why)),
                Err(Failed::Retry(why)) if attempt == self.options.retries => {
                    return Err(net(&self.url, format!("{why} (after {} tries)", attempt + 1)))
                }
                Err(Failed::Retry(why)) => log::warn!("{}: {why}; trying again", self.url),
            }
        }
        unreachable!("the last try returns")
    }

    fn request(&self, start: u64, len: u64, first: bool) -> std::result::Result<Fetched, Failed> {
        let end = start + len - 1;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut response = self
            .agent
            .get(&self.url)
            .header("Range", &format!("bytes={start}-{end}"))
            // A compressed body's ranges would be of the compressed bytes.
            .header("Accept-Encoding", "identity")
            .call()
            .map_err(|e| Failed::Retry(e.to_string()))?;
        let status = response.status().as_u16();
        match status {
            206 => {}
            200 => {
                return Err(Failed::Final(
                    "the server sent the whole file (200), not the range asked for: it does not answer range requests"
                        .into(),
                ))
            }
            416 => return Err(Failed::Final(format!("bytes {start}-{end} are outside the file (416)"))),
            s if s >= 500 => return Err(Failed::Retry(format!("the server answered {s}"))),
            s => return Err(Failed::Final(format!("the server answered {s}"))),
        }
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let validator =
            header("etag").map(|v| ("ETag", v)).or_else(|| header("last-modified").map(|v| ("Last-Modified", v)));
        if !first && validator != self.validator {
            let show = |v: &Option<(&str, String)>| v.as_ref().map_or("none".to_string(), |(k, v)| format!("{k} {v}"));
            return Err(Failed::Final(format!(
                "the file changed on the server since it was opened ({} then, {} now); open it again",
                show(&self.validator),
                show(&validator)
            )));
        }
        let range = header("content-range").ok_or_else(|| Failed::Final("a 206 without Content-Range".into()))?;
        let (got_start, got_end, total) = parse_content_range(&range)
            .ok_or_else(|| Failed::Final(format!("Content-Range '{range}' is not bytes a-b/n")))?;
        let want_end = if first { end.min(total.saturating_sub(1)) } else { end };
        if got_start != start || got_end != want_end || (!first && total != self.size) {
            return Err(Failed::Final(format!("asked for bytes {start}-{want_end}, the server sent '{range}'")));
        }
        let expected = got_end - got_start + 1;
        let mut body = Vec::with_capacity(expected as usize);
        let read = response.body_mut().as_reader().take(expected + 1).read_to_end(&mut body);
        if let Err(e) = read {
            return Err(Failed::Retry(format!(
                "the body of bytes {start}-{got_end} broke off after {}: {e}",
                body.len()
            )));
        }
        match (body.len() as u64).cmp(&expected) {
            std::cmp::Ordering::Less => Err(Failed::Retry(format!(
                "{} of the {expected} bytes of {start}-{got_end} came before the connection closed",
                body.len()
            ))),
            std::cmp::Ordering::Greater => {
                Err(Failed::Final(format!("more than the {expected} bytes of {start}-{got_end} came")))
            }
            std::cmp::Ordering::Equal => {
                self.fetched.fetch_add(expected, Ordering::Relaxed);
                Ok(Fetched { body, total, validator })
            }
        }
    }

    fn block_len(&self, block: u64) -> u64 {
        (self.size - block * self.options.block_bytes).min(self.options.block_bytes)
    }
}

fn parse_content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let (a, b, total) = (a.trim().parse().ok()?, b.trim().parse().ok()?, total.trim().parse().ok()?);
    (a <= b && b < total).then_some((a, b, total))
}

impl Source for HttpSource {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, out: &mut [u8]) -> std::result::Result<(), String> {
        let block = self.options.block_bytes;
        let (first, last) = (offset / block, (offset + out.len() as u64 - 1) / block);
        let mut b = first;
        while b <= last {
            let cached = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(b);
            let (bytes, blocks): (Vec<Arc<Vec<u8>>>, u64) = match cached {
                Some(bytes) => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    (vec![bytes], 1)
                }
                None => {
                    // The missing blocks from here on, fetched in one request of at most
                    // BLOCKS_PER_REQUEST (so that each body arrives within the timeout on a
                    // slow link, and a retry repeats little).
                    let mut n = 1;
                    while n < BLOCKS_PER_REQUEST
                        && b + n <= last
                        && self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(b + n).is_none()
                    {
                        n += 1;
                    }
                    let len: u64 = (b..b + n).map(|k| self.block_len(k)).sum();
                    let fetched = self.fetch(b * block, len, false).map_err(|e| e.to_string())?;
                    let mut parts = Vec::new();
                    let mut at = 0usize;
                    let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
                    for k in b..b + n {
                        let l = self.block_len(k) as usize;
                        let part = Arc::new(fetched.body[at..at + l].to_vec());
                        cache.put(k, part.clone(), self.options.cache_bytes);
                        parts.push(part);
                        at += l;
                    }
                    (parts, n)
                }
            };
            for (i, part) in bytes.iter().enumerate() {
                let block_start = (b + i as u64) * block;
                let from = offset.max(block_start);
                let to = (offset + out.len() as u64).min(block_start + part.len() as u64);
                out[(from - offset) as usize..(to - offset) as usize]
                    .copy_from_slice(&part[(from - block_start) as usize..(to - block_start) as usize]);
            }
            b += blocks;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse_as_rfc_9110_writes_them() {
        assert_eq!(parse_content_range("bytes 0-99/1000"), Some((0, 99, 1000)));
        assert_eq!(parse_content_range("bytes 990-999/1000"), Some((990, 999, 1000)));
        assert_eq!(parse_content_range("bytes 0-1000/1000"), None);
        assert_eq!(parse_content_range("bytes */1000"), None);
        assert_eq!(parse_content_range("bytes 5-4/10"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }

    #[test]
    fn the_cache_stays_within_its_budget_dropping_the_least_recently_used() {
        let mut c = Cache::default();
        for k in 0..4 {
            c.put(k, Arc::new(vec![0; 10]), 30);
            assert!(c.bytes <= 30);
        }
        // 0 went first; touching 2 makes 3 the next to go.
        assert!(c.get(0).is_none() && c.get(1).is_some());
        c.get(2);
        c.get(1);
        c.put(4, Arc::new(vec![0; 10]), 30);
        assert!(c.get(3).is_none() && c.get(1).is_some() && c.get(2).is_some() && c.get(4).is_some());
        c.put(5, Arc::new(vec![0; 31]), 30);
        assert!(c.get(5).is_none() && c.bytes == 30, "a block larger than the cache is not kept");
    }
}
