//! IAM mode: requests signed with aws-sigv4 the way an AWS SDK signs them are accepted; missing,
//! wrong, stale, mis-scoped or tampered signatures get 403 AccessDeniedException and write
//! nothing.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use serde_json::{json, Value};

use crate::harness::*;

const AK: &str = "AKIDTESTSERVER";
const SK: &str = "test-secret-key";

struct Signer<'a> {
    secret: &'a str,
    region: &'a str,
    service: &'a str,
    time: SystemTime,
    token: Option<&'a str>,
}

impl Default for Signer<'_> {
    fn default() -> Self {
        Signer { secret: SK, region: "us-east-1", service: "neptune-db", time: SystemTime::now(), token: None }
    }
}

impl Signer<'_> {
    /// Signs a POST of `body` to `url` and returns the headers to send (content-type included,
    /// as it is signed).
    fn headers(&self, url: &str, content_type: &str, body: &[u8]) -> Vec<(String, String)> {
        let identity = Credentials::new(AK, self.secret, self.token.map(str::to_string), None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name(self.service)
            .time(self.time)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let host = url.split("://").nth(1).unwrap().split('/').next().unwrap();
        let headers = [("host", host), ("content-type", content_type)];
        let req = SignableRequest::new("POST", url, headers.into_iter(), SignableBody::Bytes(body)).unwrap();
        let (instructions, _) = sign(req, &params).unwrap().into_parts();
        let mut out = vec![("content-type".to_string(), content_type.to_string())];
        out.extend(instructions.headers().map(|(k, v)| (k.to_string(), v.to_string())));
        out
    }
}

async fn post(s: &Server, url: &str, headers: &[(String, String)], body: Vec<u8>) -> (u16, Value) {
    let mut req = s.http.post(url).body(body);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    status_json(req.send().await.unwrap()).await
}

fn iam_flags() -> Vec<&'static str> {
    vec!["--iam-access-key", AK, "--iam-secret-key", SK, "--region", "us-east-1"]
}

#[tokio::test]
async fn database_mode_signatures() {
    let s = Server::start("iam_database", &iam_flags()).await;
    let url = format!("{}/openCypher", s.url);
    let form = "application/x-www-form-urlencoded";
    let body = |i: usize| form_body(UPSERT, &json!({ "rows": rows(&format!("s{i}_"), 1) })).into_bytes();

    let ok = Signer::default();
    let got = post(&s, &url, &ok.headers(&url, form, &body(0)), body(0)).await;
    assert_eq!(got.0, 200, "{}", got.1);
    // Temporary credentials: the session token is signed and sent.
    let temp = Signer { token: Some("session-token"), ..Signer::default() };
    assert_eq!(post(&s, &url, &temp.headers(&url, form, &body(1)), body(1)).await.0, 200);

    assert_error(&post(&s, &url, &[("content-type".into(), form.into())], body(2)).await, 403, "AccessDeniedException");
    let cases = [
        Signer { secret: "wrong", ..Signer::default() },
        Signer { region: "eu-west-1", ..Signer::default() },
        Signer { service: "neptune-graph", ..Signer::default() },
        Signer { time: SystemTime::now() - Duration::from_secs(600), ..Signer::default() },
        Signer { time: SystemTime::now() + Duration::from_secs(600), ..Signer::default() },
    ];
    for signer in cases {
        let got = post(&s, &url, &signer.headers(&url, form, &body(3)), body(3)).await;
        assert_error(&got, 403, "AccessDeniedException");
    }
    // A body changed after signing.
    let headers = ok.headers(&url, form, &body(4));
    assert_error(&post(&s, &url, &headers, body(5)).await, 403, "AccessDeniedException");

    let c = engine_count(&s.database, "MATCH (n:Person) RETURN count(n) AS c").await;
    assert_eq!(c, 2, "only the two correctly signed writes landed");
    assert_eq!(s.counters().await["errors"]["AccessDeniedException"], 7);
}

#[tokio::test]
async fn analytics_mode_signs_for_neptune_graph() {
    let mut flags = iam_flags();
    flags.extend(["--mode", "analytics"]);
    let s = Server::start("iam_analytics", &flags).await;
    let url = format!("{}/queries", s.url);
    let body = serde_json::to_vec(
        &json!({ "query": UPSERT, "language": "OPEN_CYPHER", "parameters": { "rows": rows("g", 3) } }),
    )
    .unwrap();
    let mut headers = Signer { service: "neptune-graph", ..Signer::default() }.headers(&url, "application/json", &body);
    headers.push(("graphIdentifier".into(), "g-1".into()));
    let got = post(&s, &url, &headers, body.clone()).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let mut wrong = Signer::default().headers(&url, "application/json", &body);
    wrong.push(("graphIdentifier".into(), "g-1".into()));
    assert_error(&post(&s, &url, &wrong, body).await, 403, "AccessDeniedException");
    assert_eq!(engine_count(&s.database, "MATCH (n:Person) RETURN count(n) AS c").await, 3);
}
