//! The TCP edge of the server, below actix's HTTP/1 parser: a cap on the connections one client
//! address may hold, and problem+json for the errors the parser answers on its own.
//!
//! actix-http answers a request it cannot parse (a head over 128 KiB or with more than 96
//! headers: 431; a URI over 64 KiB, `Content-Length` together with `Transfer-Encoding`,
//! malformed syntax: 400; a head that does not arrive in time: 408) before any middleware
//! runs, with an empty body, and has no hook to change it. Those responses are recognisable on
//! the wire (an error status, `content-length: 0`, no `content-type`; everything our handlers
//! and middleware send carries a body), so [`ProblemIo`] rewrites them into problem+json as
//! they are written.

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::error::{Problem, ProblemKind};
use crate::http::error::{problem_body, PROBLEM_JSON};

/// Open connections per client address, shared by every worker.
#[derive(Debug, Clone)]
pub struct ConnectionLimiter {
    per_ip: u32,
    open: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

/// One admitted connection; gives its place back when dropped.
#[derive(Debug)]
pub struct ConnectionPermit {
    ip: Option<IpAddr>,
    open: Arc<Mutex<HashMap<IpAddr, u32>>>,
}

impl ConnectionLimiter {
    /// `per_ip` 0: no cap.
    pub fn new(per_ip: u32) -> Self {
        ConnectionLimiter {
            per_ip,
            open: Arc::default(),
        }
    }

    /// A permit for a new connection from `ip`, or `None` when that address holds the maximum.
    pub fn admit(&self, ip: Option<IpAddr>) -> Option<ConnectionPermit> {
        let counted = ip.filter(|_| self.per_ip > 0);
        if let Some(ip) = counted {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            let count = open.entry(ip).or_insert(0);
            if *count >= self.per_ip {
                return None;
            }
            *count += 1;
        }
        Some(ConnectionPermit {
            ip: counted,
            open: self.open.clone(),
        })
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let Some(ip) = self.ip else { return };
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&ip);
            }
        }
    }
}

/// Answers a connection over the cap with 429 problem+json and closes it. The request is read
/// (briefly) first, so closing does not reset the connection under the answer.
pub async fn refuse(mut io: TcpStream, per_ip: u32) {
    let problem = Problem::new(
        ProblemKind::TooManyRequests,
        format!(
            "this address already holds {per_ip} open connections \
             (KORSEL_HTTP_MAX_CONNECTIONS_PER_IP); close some and retry"
        ),
    );
    let response = problem_response_bytes(
        "HTTP/1.1 429 Too Many Requests",
        &problem,
        &["retry-after: 1"],
    );
    let mut discard = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(200), io.read(&mut discard)).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        io.write_all(&response).await?;
        io.shutdown().await
    })
    .await;
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        while io.read(&mut discard).await.is_ok_and(|n| n > 0) {}
    })
    .await;
}

/// A whole HTTP/1.1 response with a problem+json body; the connection closes after it.
fn problem_response_bytes(status_line: &str, problem: &Problem, extra: &[&str]) -> Vec<u8> {
    let body = problem_body(problem).to_string();
    let mut head = format!(
        "{status_line}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for line in extra {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// The problem+json replacement of a bare error response actix wrote itself, if `written`
/// starts with one.
fn replace_bare_error(written: &[u8]) -> Option<Vec<u8>> {
    let end = written.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&written[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().filter(|v| v.starts_with("HTTP/1."))?;
    let status: u16 = parts.next()?.parse().ok()?;
    if status < 400 {
        return None;
    }
    let mut empty = false;
    let mut others = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => return None,
            "content-length" => empty = value.trim() == "0",
            "date" => others.push(line),
            _ => {}
        }
    }
    if !empty {
        return None;
    }
    let detail = match status {
        431 => "the request head is too large: at most 96 headers and 128 KiB in all",
        408 => "the request head did not arrive in time (KORSEL_HTTP_REQUEST_HEAD_TIMEOUT_S)",
        400 => {
            "the request is not valid HTTP/1.1: a malformed line or header, a URI over 64 KiB, \
             or both Content-Length and Transfer-Encoding"
        }
        _ => "the request could not be handled",
    };
    let problem = Problem::new(ProblemKind::for_status(status), detail);
    let status_line = format!("{version} {}", &status_line[version.len() + 1..]);
    Some(problem_response_bytes(&status_line, &problem, &others))
}

/// A client connection: the transport, its place under the per-address cap, and the rewrite of
/// bare parser errors into problem+json.
pub struct ProblemIo {
    inner: TcpStream,
    /// Bytes of a replacement response not yet written.
    pending: Vec<u8>,
    _permit: ConnectionPermit,
}

impl ProblemIo {
    pub fn new(inner: TcpStream, permit: ConnectionPermit) -> Self {
        ProblemIo {
            inner,
            pending: Vec::new(),
            _permit: permit,
        }
    }

    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..n);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ProblemIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ProblemIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        ready!(this.poll_pending(cx))?;
        if let Some(replacement) = replace_bare_error(buf) {
            // The bare response is consumed whole; its replacement goes out instead.
            this.pending = replacement;
            let _ = this.poll_pending(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_parser_errors_become_problem_json() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\ndate: Wed, 02 Dec 2026 07:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(replace_bare_error(bare).unwrap()).unwrap();
        assert!(
            out.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            "{out}"
        );
        assert!(
            out.contains("content-type: application/problem+json\r\n"),
            "{out}"
        );
        assert!(
            out.contains("date: Wed, 02 Dec 2026 07:00:00 GMT\r\n"),
            "{out}"
        );
        let body: serde_json::Value =
            serde_json::from_str(out.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["status"], 431);
        assert_eq!(
            body["type"],
            "urn:korsel:problem:request-header-fields-too-large"
        );
        let length: usize = out
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(length, out.split("\r\n\r\n").nth(1).unwrap().len());
    }

    #[test]
    fn our_own_responses_pass_unchanged() {
        for written in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 404 Not Found\r\ncontent-type: application/problem+json\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n{\"x\":\"abc\"}",
            b"{\"a\":1}",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n",
        ] {
            assert!(replace_bare_error(written).is_none(), "{written:?}");
        }
    }

    #[test]
    fn the_cap_counts_per_address_and_frees_on_drop() {
        let limiter = ConnectionLimiter::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = limiter.admit(Some(a)).unwrap();
        let _second = limiter.admit(Some(a)).unwrap();
        assert!(limiter.admit(Some(a)).is_none());
        assert!(limiter.admit(Some(b)).is_some());
        drop(first);
        assert!(limiter.admit(Some(a)).is_some());
        let unlimited = ConnectionLimiter::new(0);
        let held: Vec<_> = (0..10).map(|_| unlimited.admit(Some(a))).collect();
        assert!(held.iter().all(Option::is_some));
    }
}
