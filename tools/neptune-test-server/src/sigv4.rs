//! SigV4 verification for IAM mode.
//!
//! The server re-signs the request with the aws-sigv4 crate, using the request's own
//! `x-amz-date`, exactly the headers the client listed in `SignedHeaders`, the body as received
//! and the configured secret key, then compares signatures. Scope (access key, date, region,
//! service), required signed headers and clock skew are checked first so a refusal says why.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SessionTokenMode, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use http::{HeaderMap, Method, Uri};

use crate::config::Iam;
use crate::error::NeptuneError;

/// The parts of a request a signature covers.
pub struct Signed<'a> {
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Accepts a request signed by `iam`'s key for `service`, or explains the refusal as Neptune's
/// 403 AccessDeniedException.
pub fn verify(iam: &Iam, service: &str, req: &Signed<'_>, now: SystemTime) -> Result<(), NeptuneError> {
    let deny = |why: &str| NeptuneError::access_denied(why.to_string());
    let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    let auth = header("authorization").ok_or_else(|| deny("Missing Authentication Token"))?;
    let rest =
        auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| deny("Authorization header is not AWS4-HMAC-SHA256"))?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=').ok_or_else(|| deny("Malformed Authorization header"))?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed_headers = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed_headers, signature) else {
        return Err(deny("Authorization header lacks Credential, SignedHeaders or Signature"));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, day, region, scope_service, terminator] = scope[..] else {
        return Err(deny("Malformed credential scope"));
    };
    if access_key != iam.access_key {
        return Err(deny("The security token included in the request is invalid"));
    }
    let amz_date = header("x-amz-date").ok_or_else(|| deny("Missing x-amz-date header"))?;
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| deny("Malformed x-amz-date header"))?;
    if !amz_date.starts_with(day) || region != iam.region || scope_service != service || terminator != "aws4_request" {
        return Err(deny(&format!(
            "Credential should be scoped to {}/{}/{service}/aws4_request",
            &amz_date[..8.min(amz_date.len())],
            iam.region
        )));
    }
    let skew = now.duration_since(signed_at).unwrap_or_else(|e| e.duration());
    if skew > Duration::from_secs(iam.max_clock_skew_secs) {
        return Err(deny("Signature expired or not yet valid: x-amz-date is outside the allowed clock skew"));
    }
    let names: Vec<&str> = signed_headers.split(';').collect();
    if !names.contains(&"host") || !names.contains(&"x-amz-date") {
        return Err(deny("SignedHeaders must include host and x-amz-date"));
    }
    let token = header("x-amz-security-token");
    let expected = expected_signature(iam, service, req, &names, signed_at, token)?;
    if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
        return Err(deny("The request signature we calculated does not match the signature you provided"));
    }
    Ok(())
}

fn expected_signature(
    iam: &Iam,
    service: &str,
    req: &Signed<'_>,
    names: &[&str],
    at: SystemTime,
    token: Option<&str>,
) -> Result<String, NeptuneError> {
    let internal = |e: &dyn std::fmt::Display| NeptuneError::access_denied(format!("cannot verify signature: {e}"));
    // x-amz-date and the token are added by the signer itself from `at` and the credentials.
    let mut headers: Vec<(&str, &str)> = Vec::new();
    for name in names.iter().filter(|n| !["x-amz-date", "x-amz-security-token"].contains(n)) {
        for v in req.headers.get_all(*name) {
            headers.push((name, v.to_str().map_err(|e| internal(&e))?));
        }
    }
    let mut settings = SigningSettings::default();
    settings.excluded_headers = Some(Vec::<Cow<'static, str>>::new());
    settings.session_token_mode =
        if names.contains(&"x-amz-security-token") { SessionTokenMode::Include } else { SessionTokenMode::Exclude };
    let identity =
        Credentials::new(&iam.access_key, &iam.secret_key, token.map(str::to_string), None, "neptune-test-server")
            .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&iam.region)
        .name(service)
        .time(at)
        .settings(settings)
        .build()
        .map_err(|e| internal(&e))?
        .into();
    let host = req.headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let path = req.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let uri = format!("http://{host}{path}");
    let signable = SignableRequest::new(req.method.as_str(), uri, headers.into_iter(), SignableBody::Bytes(req.body))
        .map_err(|e| internal(&e))?;
    let out = sign(signable, &params).map_err(|e| internal(&e))?;
    Ok(out.signature().to_string())
}

/// Parses `YYYYMMDDTHHMMSSZ`.
fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // Days from civil date (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + se;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_dates() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(UNIX_EPOCH));
        let t = parse_amz_date("20240229T120000Z").unwrap();
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap().as_secs(), 1_709_208_000);
        assert!(parse_amz_date("2024-02-29T12:00:00Z").is_none());
    }

    #[test]
    fn missing_authorization_is_denied() {
        let iam = Iam {
            access_key: "AK".into(),
            secret_key: "SK".into(),
            region: "us-east-1".into(),
            max_clock_skew_secs: 300,
        };
        let (m, u, h) = (Method::POST, Uri::from_static("/openCypher"), HeaderMap::new());
        let e = verify(&iam, "neptune-db", &Signed { method: &m, uri: &u, headers: &h, body: b"" }, SystemTime::now())
            .unwrap_err();
        assert_eq!((e.status, e.code), (403, "AccessDeniedException"));
    }
}
