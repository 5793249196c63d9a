//! TLS: the generated certificate is written where asked and trusted by a client that adds it
//! as a root; a client that does not trust it fails; a client asking only for HTTP/2 via ALPN
//! is refused.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde_json::json;

use crate::harness::*;

#[tokio::test]
async fn https_with_the_generated_certificate() {
    let dir = std::env::temp_dir().join(format!("nts-tls-{}", std::process::id()));
    let pem_path = dir.join("ca.pem");
    let pem_arg = pem_path.to_str().unwrap().to_string();
    let s = Server::start("tls", &["--tls", "--tls-cert-out", &pem_arg]).await;
    assert!(s.url.starts_with("https://127.0.0.1:"), "{}", s.url);
    let url = s.url.replace("127.0.0.1", "localhost");
    let pem = std::fs::read(&pem_path).unwrap();

    let trusting =
        reqwest::Client::builder().add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap()).build().unwrap();
    let body = form_body(UPSERT, &json!({ "rows": rows("t", 2) }));
    let r = trusting
        .post(format!("{url}/openCypher"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(status_json(r).await, (200, json!({ "results": [] })));
    assert_eq!(engine_count(&s.database, "MATCH (n:Person) RETURN count(n) AS c").await, 2);

    let untrusting = reqwest::Client::new();
    assert!(untrusting.get(format!("{url}/status")).send().await.is_err());

    // ALPN offering only h2 must not negotiate HTTP/2.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(&pem).unwrap()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(url.strip_prefix("https://").unwrap()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    match tokio_rustls::TlsConnector::from(Arc::new(cfg)).connect(name, tcp).await {
        Err(_) => {}
        Ok(tls) => assert_ne!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..])),
    }
    let _ = std::fs::remove_dir_all(dir);
}
