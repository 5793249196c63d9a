//! Turning Neptune's answers into [`ConnectorError`]s with the class the pipeline acts on, per the
//! table in NEPTUNE.md. Messages name the target; they carry Neptune's code and message but never
//! a request body (property values) or a signature.

use crate::connector::{ConnectorError, ErrorClass};

/// The class of a Neptune error code (Database and Analytics vocabularies), falling back on the
/// HTTP status for codes this table does not know.
pub fn classify(status: u16, code: &str) -> ErrorClass {
    match code {
        // Transient: lock conflicts, throttling, server hiccups. Retry with backoff.
        "ConcurrentModificationException"
        | "ConflictException"
        | "InternalFailureException"
        | "InternalServerException"
        | "QueryLimitExceededException"
        | "TooManyRequestsException"
        | "ThrottlingException" => ErrorClass::Retryable,
        // The request was too big to finish: the same batch cannot succeed, halves can.
        "TimeLimitExceededException" | "MemoryLimitExceededException" => ErrorClass::SplitBatch,
        "ConstraintViolationException"
        | "MalformedQueryException"
        | "BadRequestException"
        | "InvalidParameterException"
        | "QueryTooLargeException"
        | "AccessDeniedException"
        | "ValidationException"
        | "ResourceNotFoundException"
        | "UnprocessableException" => ErrorClass::Fatal,
        _ => match status {
            429 | 500..=599 => ErrorClass::Retryable,
            _ => ErrorClass::Fatal,
        },
    }
}

/// An error answer (`{"code", "detailedMessage"}` or Analytics' `{"message"}` with
/// `x-amzn-ErrorType`) as a connector error.
pub fn from_answer(target: &str, status: u16, error_type: Option<&str>, body: &str) -> ConnectorError {
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let field = |k: &str| json.as_ref().and_then(|j| j.get(k)).and_then(|v| v.as_str()).map(str::to_string);
    // x-amzn-ErrorType may carry a suffix (`ThrottlingException:http://...`).
    let header_code = error_type.map(|t| t.split(':').next().unwrap_or(t).to_string());
    let code = field("code").or(header_code).unwrap_or_else(|| format!("HTTP {status}"));
    let detail = field("detailedMessage")
        .or_else(|| field("message"))
        .unwrap_or_else(|| body.chars().take(300).collect::<String>());
    let class = classify(status, &code);
    let message = match code.as_str() {
        "AccessDeniedException" => format!(
            "target `{target}`: access denied by Neptune (HTTP {status}): {detail}; check the AWS credentials, the region and the IAM policy (or iam_auth)"
        ),
        _ => format!("target `{target}`: Neptune answered HTTP {status}: {detail}"),
    };
    ConnectorError { class, code: Some(code), message, source: None, write: None }
}

/// A request that got no complete answer. Whether it was applied is unknown, so it is retried
/// (writes are idempotent in merge mode; create mode switches a retried batch to MERGE).
///
/// The message says the cause once, from the innermost error (`Connection refused`), and a
/// name that did not resolve as such: reqwest's chain repeats the request four levels deep.
pub fn from_transport(target: &str, url: &str, e: reqwest::Error) -> ConnectorError {
    let chain = std::iter::successors(Some(&e as &dyn std::error::Error), |c| c.source());
    let texts: Vec<String> = chain.map(|c| c.to_string()).collect();
    let root = texts.last().cloned().unwrap_or_default();
    let what = if texts.iter().any(|t| t.starts_with("dns error")) {
        format!("could not connect: name not resolved ({root})")
    } else if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        format!("could not connect: {root}")
    } else {
        format!("failed before a complete answer: {root}")
    };
    // reqwest's Display names the URL; the body (property values) is never part of it.
    let class = if e.is_builder() { ErrorClass::Fatal } else { ErrorClass::Retryable };
    ConnectorError { class, code: None, message: format!("target `{target}`: request to {url} {what}"), source: None, write: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_from_neptune_md() {
        assert_eq!(classify(500, "ConcurrentModificationException"), ErrorClass::Retryable);
        assert_eq!(classify(429, "TooManyRequestsException"), ErrorClass::Retryable);
        assert_eq!(classify(500, "TimeLimitExceededException"), ErrorClass::SplitBatch);
        assert_eq!(classify(500, "MemoryLimitExceededException"), ErrorClass::SplitBatch);
        assert_eq!(classify(400, "ConstraintViolationException"), ErrorClass::Fatal);
        assert_eq!(classify(403, "AccessDeniedException"), ErrorClass::Fatal);
        assert_eq!(classify(409, "ConflictException"), ErrorClass::Retryable);
        assert_eq!(classify(422, "UnprocessableException"), ErrorClass::Fatal);
        assert_eq!(classify(503, "SomethingNew"), ErrorClass::Retryable);
        assert_eq!(classify(400, "SomethingNew"), ErrorClass::Fatal);
    }

    #[test]
    fn answers_name_target_and_code() {
        let e = from_answer(
            "np",
            400,
            None,
            r#"{"requestId":"r","code":"MalformedQueryException","detailedMessage":"bad"}"#,
        );
        assert_eq!(e.code.as_deref(), Some("MalformedQueryException"));
        assert!(e.to_string().contains("target `np`") && e.to_string().contains("bad"), "{e}");
        let e = from_answer("an", 429, Some("ThrottlingException:http://x"), r#"{"message":"slow down"}"#);
        assert_eq!((e.code.as_deref(), e.class), (Some("ThrottlingException"), ErrorClass::Retryable));
        let e = from_answer("np", 403, None, r#"{"code":"AccessDeniedException","detailedMessage":"sig"}"#);
        assert!(e.to_string().contains("access denied"), "{e}");
    }
}
