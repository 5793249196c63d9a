//! Classifying Bolt failures for the pipeline: transient server errors and dropped connections
//! are worth a retry, a transaction too big for the server's memory is split, anything else is
//! fatal. Every error names the target it came from.

use crate::connector::{ConnectorError, ErrorClass};

/// Turns a neo4rs error into a classified connector error, with `action` (what was being done)
/// and the target's name in the message.
pub fn classify(target: &str, action: &str, error: neo4rs::Error) -> ConnectorError {
    let (class, code) = match &error {
        neo4rs::Error::Neo4j(e) => (class_of_code(e.code()), Some(e.code().to_string())),
        // neo4rs may report a FAILURE it did not expect as an unexpected message
        // whose text holds the server's code; read it from there.
        neo4rs::Error::UnexpectedMessage(text) => match code_in(text) {
            Some(code) => (class_of_code(code), Some(code.to_string())),
            // A reply out of order: the connection is in a state we cannot trust.
            None => (ErrorClass::Retryable, None),
        },
        neo4rs::Error::IOError { .. } | neo4rs::Error::ConnectionError => (ErrorClass::Retryable, None),
        _ => (ErrorClass::Fatal, None),
    };
    let class = match class {
        // ArcadeDB reports optimistic-lock conflicts between concurrent writers without a
        // Neo4j transient code; they clear on retry like Neo4j's deadlocks.
        ErrorClass::Fatal if error.to_string().contains("ConcurrentModification") => ErrorClass::Retryable,
        other => other,
    };
    let error_text = match &error {
        neo4rs::Error::Neo4j(e) => e.message().to_string(),
        other => other.to_string(),
    };
    ConnectorError {
        class,
        code,
        message: format!("Neo4j target `{target}`: {action}: {error_text}"),
        source: Some(Box::new(error)),
    }
}

/// A request that got no answer in time. Retryable: the server may be busy or restarting; the
/// pipeline's attempt limit bounds the total wait.
pub fn timeout(target: &str, action: &str, limit: std::time::Duration) -> ConnectorError {
    ConnectorError::retryable(format!(
        "Neo4j target `{target}`: {action}: no answer within {} s (the server is down or overloaded)",
        limit.as_secs()
    ))
}

/// Neo4j status codes: `Neo.<Classification>.<Category>.<Title>`.
fn class_of_code(code: &str) -> ErrorClass {
    if code.contains("OutOfMemory") || code.contains("MemoryLimit") {
        return ErrorClass::SplitBatch;
    }
    match code {
        // Terminated or stopped transactions are reported as transient but will not succeed
        // when run again unchanged (the Neo4j drivers treat them as client errors too).
        "Neo.TransientError.Transaction.Terminated" | "Neo.TransientError.Transaction.LockClientStopped" => {
            ErrorClass::Fatal
        }
        // A leader switch or a follower that cannot write: retry, a new connection finds the leader.
        "Neo.ClientError.Cluster.NotALeader"
        | "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase"
        | "Neo.ClientError.Security.AuthorizationExpired" => ErrorClass::Retryable,
        c if c.starts_with("Neo.TransientError.") => ErrorClass::Retryable,
        _ => ErrorClass::Fatal,
    }
}

fn code_in(text: &str) -> Option<&str> {
    let start = text.find("Neo.")?;
    let rest = &text[start..];
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.')).unwrap_or(rest.len());
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified() {
        assert_eq!(class_of_code("Neo.TransientError.Transaction.DeadlockDetected"), ErrorClass::Retryable);
        assert_eq!(class_of_code("Neo.TransientError.General.DatabaseUnavailable"), ErrorClass::Retryable);
        assert_eq!(class_of_code("Neo.ClientError.Cluster.NotALeader"), ErrorClass::Retryable);
        assert_eq!(class_of_code("Neo.TransientError.General.MemoryPoolOutOfMemoryError"), ErrorClass::SplitBatch);
        assert_eq!(class_of_code("Neo.TransientError.Transaction.Terminated"), ErrorClass::Fatal);
        assert_eq!(class_of_code("Neo.ClientError.Schema.ConstraintValidationFailed"), ErrorClass::Fatal);
        assert_eq!(class_of_code("Neo.ClientError.Statement.SyntaxError"), ErrorClass::Fatal);
        assert_eq!(class_of_code("Neo.DatabaseError.General.UnknownError"), ErrorClass::Fatal);
    }

    #[test]
    fn dropped_connections_are_retryable_and_name_the_target() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let e = classify("graph", "writing nodes", neo4rs::Error::IOError { detail: io });
        assert_eq!(e.class, ErrorClass::Retryable);
        assert!(e.to_string().contains("Neo4j target `graph`: writing nodes"), "{e}");
    }

    #[test]
    fn failures_inside_unexpected_messages_keep_their_code() {
        let text = "unexpected response for PULL: Ok(Failure(Failure { metadata: BoltMap { value: {BoltString { value: \"code\" }: \
                    String(BoltString { value: \"Neo.TransientError.Transaction.DeadlockDetected\" })} } }))";
        let e = classify("g", "reading", neo4rs::Error::UnexpectedMessage(text.into()));
        assert_eq!(e.class, ErrorClass::Retryable);
        assert_eq!(e.code.as_deref(), Some("Neo.TransientError.Transaction.DeadlockDetected"));
    }

    #[test]
    fn authentication_is_fatal() {
        let e = classify("g", "connecting", neo4rs::Error::AuthenticationError("bad".into()));
        assert_eq!(e.class, ErrorClass::Fatal);
    }
}
