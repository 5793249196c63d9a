//! Neptune's error vocabulary and its JSON shape `{requestId, code, detailedMessage}`.
//!
//! Errors are raised with Neptune Database codes; in analytics mode [`NeptuneError::for_mode`]
//! translates them to the Analytics codes, since the two services name the same failures
//! differently.

use crate::config::Mode;

/// One error answer: HTTP status, Neptune code, human message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({status}): {message}")]
pub struct NeptuneError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl NeptuneError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        NeptuneError { status, code, message: message.into() }
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(400, "MalformedQueryException", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequestException", message)
    }

    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidParameterException", message)
    }

    pub fn constraint_violation(message: impl Into<String>) -> Self {
        Self::new(400, "ConstraintViolationException", message)
    }

    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(403, "AccessDeniedException", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalFailureException", message)
    }

    /// The same failure in the vocabulary of `mode`.
    pub fn for_mode(self, mode: Mode) -> Self {
        // Routing errors (unknown path, wrong method) are outside either protocol: kept as is.
        if mode == Mode::Database || matches!(self.status, 404 | 405) && self.code == "BadRequestException" {
            return self;
        }
        let (status, code) = match self.code {
            "MalformedQueryException"
            | "BadRequestException"
            | "InvalidParameterException"
            | "QueryTooLargeException"
            | "ConstraintViolationException"
            | "ValidationException" => (400, "ValidationException"),
            "AccessDeniedException" => (403, "AccessDeniedException"),
            "ResourceNotFoundException" => (404, "ResourceNotFoundException"),
            "ConcurrentModificationException" | "ConflictException" => (409, "ConflictException"),
            "TooManyRequestsException" | "ThrottlingException" => (429, "ThrottlingException"),
            "TimeLimitExceededException" | "UnprocessableException" => (422, "UnprocessableException"),
            _ => (500, "InternalServerException"),
        };
        NeptuneError { status, code, message: self.message }
    }

    /// The JSON body. Analytics clients (botocore's restJson1) read `message`; Database clients
    /// read `detailedMessage`; both are sent so either kind of client sees the text.
    pub fn body(&self, request_id: &str) -> serde_json::Value {
        serde_json::json!({
            "requestId": request_id,
            "code": self.code,
            "detailedMessage": self.message,
            "message": self.message,
        })
    }
}

/// A random request id in UUID form, as Neptune sends.
pub fn request_id() -> String {
    let a = fastrand::u64(..);
    let b = fastrand::u64(..);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analytics_translation() {
        let e = NeptuneError::new(500, "ConcurrentModificationException", "x").for_mode(Mode::Analytics);
        assert_eq!((e.status, e.code), (409, "ConflictException"));
        let e = NeptuneError::malformed("x").for_mode(Mode::Analytics);
        assert_eq!((e.status, e.code), (400, "ValidationException"));
        let e = NeptuneError::malformed("x").for_mode(Mode::Database);
        assert_eq!(e.code, "MalformedQueryException");
    }

    #[test]
    fn request_ids_look_like_uuids() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
    }
}
