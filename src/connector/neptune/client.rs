//! The HTTP side of a Neptune target: one reqwest client per target (HTTP/1.1 only, since Neptune
//! does not speak HTTP/2; kept-alive connections reused across batches; an optional extra CA),
//! the request shape of each mode, and SigV4 signing.
//!
//! A query returns the `results` rows or a classified [`ConnectorError`]. Nothing here retries:
//! the pipeline does.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use serde_json::{json, Map, Value as Json};

use super::config::{NeptuneConfig, NeptuneMode};
use super::credentials::{self, ProcessEnv};
use super::error;
use crate::connector::{ConnectorError, ErrorClass};

/// Neptune's default query timeout is two minutes; a client that gives up much earlier would
/// retry queries still running on the server, one much later would hang on a lost connection.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(150);

/// A connected (not yet contacted) Neptune target.
pub struct Client {
    target: String,
    mode: NeptuneMode,
    http: reqwest::Client,
    url: reqwest::Url,
    /// `host[:port]` exactly as reqwest sends it in the Host header, which SigV4 signs.
    host_header: String,
    graph_id: Option<String>,
    signer: Option<Signer>,
    /// Whether the server has answered any request yet (see [`query`](Self::query)).
    answered: AtomicBool,
}

struct Signer {
    credentials: Credentials,
    region: String,
    service: &'static str,
}

impl Client {
    /// Builds the client: TLS settings, endpoint and credentials. No request is sent.
    pub fn new(target: &str, cfg: &NeptuneConfig) -> Result<Client, ConnectorError> {
        let fail = |m: String| ConnectorError::fatal(format!("target `{target}`: {m}"));
        let region = cfg
            .region
            .clone()
            .or_else(|| std::env::var("AWS_REGION").ok().filter(|r| !r.is_empty()))
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok().filter(|r| !r.is_empty()))
            .or_else(|| cfg.host.as_deref().and_then(region_from_host));
        let base = match (cfg.mode, &cfg.host, &cfg.graph_id, &region) {
            (_, Some(host), _, _) => host.trim_end_matches('/').to_string(),
            (NeptuneMode::Analytics, None, Some(g), Some(r)) => format!("https://{g}.{r}.neptune-graph.amazonaws.com"),
            _ => return Err(fail("no endpoint: set `host` (or `graph_id` and `region` in analytics mode)".into())),
        };
        let path = match cfg.mode {
            NeptuneMode::Database => "/openCypher",
            NeptuneMode::Analytics => "/queries",
        };
        let url =
            reqwest::Url::parse(&format!("{base}{path}")).map_err(|e| fail(format!("bad endpoint {base}: {e}")))?;
        let host_header = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => return Err(fail(format!("endpoint {base} has no host"))),
        };
        let signer = signer(target, cfg, region)?;
        Ok(Client {
            target: target.to_string(),
            mode: cfg.mode,
            http: http_client(target, cfg)?,
            url,
            host_header,
            graph_id: cfg.graph_id.clone(),
            signer,
            answered: AtomicBool::new(false),
        })
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    pub fn mode(&self) -> NeptuneMode {
        self.mode
    }

    pub fn endpoint(&self) -> &str {
        self.url.as_str()
    }

    /// Runs one openCypher query and returns its result rows.
    pub async fn query(&self, query: &str, parameters: Map<String, Json>) -> Result<Vec<Json>, ConnectorError> {
        let body = match self.mode {
            // The SDK form: `parameters` is a JSON *string*. More compact than the form encoding,
            // which would percent-escape every quote and brace of the rows.
            NeptuneMode::Database => json!({ "query": query, "parameters": Json::Object(parameters).to_string() }),
            NeptuneMode::Analytics => json!({ "query": query, "language": "OPEN_CYPHER", "parameters": parameters }),
        };
        let body = serde_json::to_vec(&body).map_err(|e| ConnectorError::fatal(format!("encoding a request: {e}")))?;
        let mut headers = vec![("content-type", "application/json".to_string())];
        if let (NeptuneMode::Analytics, Some(g)) = (self.mode, &self.graph_id) {
            headers.push(("graphIdentifier", g.clone()));
        }
        let mut request = self.http.post(self.url.clone());
        for (name, value) in &headers {
            request = request.header(*name, value);
        }
        if let Some(signer) = &self.signer {
            for (name, value) in signer.sign(self, &headers, &body)? {
                request = request.header(name, value);
            }
        }
        let transport = |e| error::from_transport(&self.target, self.url.as_str(), e);
        let response = match request.body(body).send().await {
            Ok(response) => response,
            // A server that has never answered and cannot be connected to is down or not where
            // the config says: retrying with backoff would only delay the error (8 s for a
            // source's counts). Once it has answered, a refused connection is a restart: transient.
            Err(e) if e.is_connect() && !self.answered.load(Ordering::Relaxed) => {
                return Err(ConnectorError { class: ErrorClass::Fatal, ..transport(e) });
            }
            Err(e) => return Err(transport(e)),
        };
        self.answered.store(true, Ordering::Relaxed);
        let status = response.status().as_u16();
        let error_type = response.headers().get("x-amzn-errortype").and_then(|v| v.to_str().ok()).map(str::to_string);
        let text = response.text().await.map_err(transport)?;
        if status != 200 {
            return Err(error::from_answer(&self.target, status, error_type.as_deref(), &text));
        }
        let mut answer: Json = serde_json::from_str(&text).map_err(|e| {
            // A cut connection can end a 200 answer early; that is transient.
            ConnectorError::retryable(format!("target `{}`: unreadable answer from Neptune: {e}", self.target))
        })?;
        match answer.get_mut("results").map(Json::take) {
            Some(Json::Array(rows)) => Ok(rows),
            _ => {
                Err(ConnectorError::fatal(format!("target `{}`: Neptune's answer has no `results` list", self.target)))
            }
        }
    }

    /// [`query`](Self::query) for requests outside the copy pipeline (source pages, migration
    /// steps), which have no pipeline to retry them: transient errors are retried with the
    /// pipeline's own [`RetryPolicy`](crate::pipeline::RetryPolicy) waits.
    pub async fn query_retrying(
        &self,
        query: &str,
        parameters: Map<String, Json>,
    ) -> Result<Vec<Json>, ConnectorError> {
        let policy = crate::pipeline::RetryPolicy::default();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.query(query, parameters.clone()).await {
                Err(e) if e.class == crate::connector::ErrorClass::Retryable && attempt < policy.max_attempts => {
                    tracing::warn!(target_name = %self.target, attempt, error = %e, "Neptune request failed, retrying");
                    tokio::time::sleep(policy.delay(attempt)).await;
                }
                other => return other,
            }
        }
    }
}

impl Signer {
    fn sign(
        &self,
        client: &Client,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> Result<Vec<(String, String)>, ConnectorError> {
        // Never put the error's details in the message: they could echo key material.
        let fail =
            |what: &str| ConnectorError::fatal(format!("target `{}`: SigV4 signing failed ({what})", client.target));
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(self.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|_| fail("parameters"))?
            .into();
        let mut signed: Vec<(&str, &str)> = vec![("host", client.host_header.as_str())];
        signed.extend(headers.iter().map(|(k, v)| (*k, v.as_str())));
        let request = SignableRequest::new("POST", client.url.as_str(), signed.into_iter(), SignableBody::Bytes(body))
            .map_err(|_| fail("request"))?;
        let (instructions, _) = sign(request, &params).map_err(|_| fail("signature"))?.into_parts();
        Ok(instructions.headers().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }
}

fn http_client(target: &str, cfg: &NeptuneConfig) -> Result<reqwest::Client, ConnectorError> {
    let fail = |m: String| ConnectorError::fatal(format!("target `{target}`: {m}"));
    let mut builder = reqwest::Client::builder()
        .http1_only()
        .use_rustls_tls()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(20))
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_keepalive(Duration::from_secs(30));
    if let Some(path) = &cfg.tls_ca_file {
        let pem = std::fs::read(path).map_err(|e| fail(format!("cannot read tls_ca_file {}: {e}", path.display())))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| fail(format!("tls_ca_file {} is not a PEM bundle: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(fail(format!("tls_ca_file {} holds no certificate", path.display())));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if cfg.tls_insecure {
        tracing::warn!(
            target_name = target,
            "TLS CERTIFICATE CHECKS ARE OFF for this target (tls_insecure: true): anyone on the network path can read and change the data; use tls_ca_file instead outside throwaway test clusters"
        );
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder.build().map_err(|e| fail(format!("cannot build the HTTP client: {e}")))
}

/// Decides whether requests are signed: `iam_auth: true` requires credentials, `false` never
/// signs, unset signs when credentials are found. Logs the choice, never the keys.
fn signer(target: &str, cfg: &NeptuneConfig, region: Option<String>) -> Result<Option<Signer>, ConnectorError> {
    let fail = |m: String| ConnectorError::fatal(format!("target `{target}`: {m}"));
    if cfg.iam_auth == Some(false) {
        tracing::info!(target_name = target, "IAM auth off (iam_auth: false): requests are not signed");
        return Ok(None);
    }
    let found = credentials::find(&ProcessEnv).map_err(fail)?;
    let Some(found) = found else {
        if cfg.iam_auth == Some(true) {
            return Err(fail("iam_auth is true but no AWS credentials were found (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials or ~/.aws/config)".into()));
        }
        tracing::info!(
            target_name = target,
            "no AWS credentials found: requests are not signed (set iam_auth: true to require them)"
        );
        return Ok(None);
    };
    let region = region.ok_or_else(|| fail("IAM signing needs a region: set `region` (or AWS_REGION)".into()))?;
    let service = match cfg.mode {
        NeptuneMode::Database => "neptune-db",
        NeptuneMode::Analytics => "neptune-graph",
    };
    tracing::info!(target_name = target, region = %region, service, credentials = %found.origin, "signing requests with SigV4");
    Ok(Some(Signer { credentials: found.credentials, region, service }))
}

/// `my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com` → `us-east-1`.
fn region_from_host(host: &str) -> Option<String> {
    let host = host.split("://").nth(1).unwrap_or(host).split([':', '/']).next()?;
    let parts: Vec<&str> = host.split('.').collect();
    let i = parts.iter().position(|p| *p == "neptune" || *p == "neptune-graph")?;
    i.checked_sub(1).map(|r| parts[r].to_string()).filter(|r| r.contains('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_comes_from_the_cluster_host() {
        let h = "https://db.cluster-abc.eu-west-2.neptune.amazonaws.com:8182";
        assert_eq!(region_from_host(h).as_deref(), Some("eu-west-2"));
        assert_eq!(region_from_host("https://127.0.0.1:8182"), None);
    }
}
