//! Optional TLS with a self-signed certificate generated at start-up.
//!
//! The certificate is written as PEM where `--tls-cert-out` says, so a client can add it as its
//! CA and exercise a real `https://` path. ALPN offers only `http/1.1`: Neptune does not speak
//! HTTP/2, and a client that insists on `h2` must fail the handshake here as it would there.

use std::sync::Arc;

use anyhow::Context;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::Tls;

/// Generates the certificate, writes its PEM if asked, and returns the acceptor.
pub fn acceptor(cfg: &Tls) -> anyhow::Result<TlsAcceptor> {
    let certified = rcgen::generate_simple_self_signed(cfg.names.clone()).context("generating the certificate")?;
    if let Some(path) = &cfg.cert_out {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(path, certified.cert.pem()).with_context(|| format!("writing {}", path.display()))?;
    }
    let cert = CertificateDer::from(certified.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .context("TLS certificate")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
