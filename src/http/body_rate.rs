//! A request body must keep up a minimum transfer rate after a grace period, so a client that
//! trickles a body (one byte every few seconds, on any route, before authenticating) cannot
//! hold a connection and a worker's attention for long.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::Bytes;
use futures_util::Stream;
use tokio::time::{Instant, Sleep};

use crate::error::{Error, ProblemKind};

/// The body stream of one request with its deadline: `grace` plus the time the bytes received
/// so far take at `min_bytes_per_second`. A body that falls behind ends with a timed-out
/// I/O error.
pub struct MinRatePayload {
    inner: Payload,
    started: Instant,
    received: u64,
    grace: Duration,
    min_bytes_per_second: u64,
    deadline: Pin<Box<Sleep>>,
    failed: bool,
}

impl MinRatePayload {
    /// `min_bytes_per_second` must be positive.
    pub fn new(inner: Payload, grace: Duration, min_bytes_per_second: u64) -> Self {
        let started = Instant::now();
        MinRatePayload {
            inner,
            started,
            received: 0,
            grace,
            min_bytes_per_second,
            deadline: Box::pin(tokio::time::sleep_until(started + grace)),
            failed: false,
        }
    }

    fn next_deadline(&self) -> Instant {
        let allowed =
            Duration::from_secs_f64(self.received as f64 / self.min_bytes_per_second as f64);
        self.started + self.grace + allowed
    }
}

/// Whether a payload error is the body deadline (for a 408 instead of a 400).
pub fn is_too_slow(e: &PayloadError) -> bool {
    matches!(e, PayloadError::Io(e) if e.kind() == io::ErrorKind::TimedOut)
}

/// A body that could not be read: 408 when it was too slow, else 400.
pub fn unreadable_body(e: PayloadError) -> Error {
    let kind = if is_too_slow(&e) {
        ProblemKind::RequestTimeout
    } else {
        ProblemKind::BadRequest
    };
    Error::problem(kind, format!("cannot read the body: {e}"))
}

impl Stream for MinRatePayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.received += chunk.len() as u64;
                let next = this.next_deadline();
                this.deadline.as_mut().reset(next);
                return Poll::Ready(Some(Ok(chunk)));
            }
            Poll::Ready(other) => return Poll::Ready(other),
            Poll::Pending => {}
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            this.failed = true;
            let message = format!(
                "the request body arrived slower than {} bytes/s after {} s \
                 (KORSEL_HTTP_BODY_MIN_BYTES_PER_S, KORSEL_HTTP_BODY_GRACE_S)",
                this.min_bytes_per_second,
                this.grace.as_secs()
            );
            return Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                message,
            )))));
        }
        Poll::Pending
    }
}

/// A request body's chunks with its read errors as [`unreadable_body`] says (408 or 400).
pub fn body_chunks(
    body: actix_web::web::Payload,
) -> impl Stream<Item = Result<Bytes, Error>> + Unpin {
    use futures_util::StreamExt;
    body.map(|chunk| chunk.map_err(unreadable_body))
}

/// Streams an upload's body into an anonymous temporary file (never the whole body in memory),
/// refusing more than `limit` bytes; returns the file, rewound, and its size.
pub async fn spool_to_file(
    body: actix_web::web::Payload,
    limit: u64,
) -> Result<(std::fs::File, u64), Error> {
    spool_stream_to_file(body_chunks(body), limit).await
}

/// [`spool_to_file`] of any stream of chunks, such as the file part of a form post (whose
/// request body keeps [`MinRatePayload`]'s deadline underneath).
pub async fn spool_stream_to_file(
    mut body: impl Stream<Item = Result<Bytes, Error>> + Unpin,
    limit: u64,
) -> Result<(std::fs::File, u64), Error> {
    use futures_util::StreamExt;
    use std::io::{Seek, Write};
    let mut file = tempfile::tempfile()
        .map_err(|e| anyhow::anyhow!("cannot create a temporary file for the upload: {e}"))?;
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(Error::problem(
                ProblemKind::PayloadTooLarge,
                format!("the upload is larger than {limit} bytes"),
            ));
        }
        file.write_all(&chunk)
            .map_err(|e| anyhow::anyhow!("cannot write the upload to a temporary file: {e}"))?;
    }
    file.rewind()
        .map_err(|e| anyhow::anyhow!("cannot rewind the upload: {e}"))?;
    Ok((file, size))
}
