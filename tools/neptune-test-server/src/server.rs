//! The HTTP/1.1 listener: accepts connections (optionally TLS), serves each with hyper's HTTP/1
//! connection (keep-alive on, no HTTP/2 support compiled in, so an HTTP/2 preface is refused)
//! and hands requests to [`crate::routes`].

use std::convert::Infallible;
use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::routes::App;

/// A response body: complete, or cut off halfway to simulate a dropped connection.
pub enum Body {
    Full(Option<Bytes>),
    /// The first part is sent, then the body fails, which makes hyper abort the connection
    /// while the client still expects `full_len` bytes (from Content-Length).
    Truncated {
        part: Option<Bytes>,
        full_len: u64,
    },
}

impl Body {
    pub fn full(b: impl Into<Bytes>) -> Self {
        Body::Full(Some(b.into()))
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(match self.get_mut() {
            Body::Full(b) => b.take().map(|b| Ok(Frame::data(b))),
            Body::Truncated { part, .. } => Some(match part.take() {
                Some(b) => Ok(Frame::data(b)),
                None => Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "fault: drop-connection")),
            }),
        })
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Body::Full(None) => SizeHint::with_exact(0),
            Body::Truncated { full_len, .. } => SizeHint::with_exact(*full_len),
        }
    }
}

/// Binds, announces the bound address on stdout (tests read it to learn an ephemeral port),
/// then serves until SIGINT or SIGTERM.
pub async fn run(app: Arc<App>) -> anyhow::Result<()> {
    let listener = TcpListener::bind(app.cfg.listen).await?;
    let addr = listener.local_addr()?;
    let tls = app.cfg.tls.as_ref().map(crate::tls::acceptor).transpose()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {scheme}://{addr}")?;
        out.flush()?;
    }
    tracing::info!(%addr, scheme, mode = ?app.cfg.mode, database = %app.cfg.database, discard = app.cfg.discard, iam = app.cfg.iam.is_some(), "ready");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => r?,
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let result = match tls {
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(s) => serve(app, TokioIo::new(s)).await,
                    Err(e) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                },
                None => serve(app, TokioIo::new(stream)).await,
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    tracing::info!("shutting down");
    Ok(())
}

async fn serve<I>(app: Arc<App>, io: I) -> Result<(), hyper::Error>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(
            io,
            service_fn(move |req| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(app.handle(req).await) }
            }),
        )
        .await
}
