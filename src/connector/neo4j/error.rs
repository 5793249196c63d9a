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
    // A server's reply may quote the statement it failed on (graphferry's internal query text,
    // long and useless to a user): its message is kept without it, and the driver error, whose
    // text repeats the reply whole, is not kept as a cause.
    let (error_text, source) = match error {
        neo4rs::Error::Neo4j(e) => (without_statement(e.message()), None),
        neo4rs::Error::UnexpectedMessage(text) => (without_statement(&text), None),
        other => (other.to_string(), Some(Box::new(other) as Box<dyn std::error::Error + Send + Sync>)),
    };
    ConnectorError { class, code, message: format!("Neo4j target `{target}`: {action}: {error_text}"), source, write: None }
}

/// Where a server's message starts quoting a statement: the phrases that introduce one, and the
/// Cypher clauses every graphferry statement starts with.
const STATEMENT_STARTS: &[&str] =
    &["query:", "statement:", "UNWIND ", "MERGE ", "MATCH ", "OPTIONAL MATCH", "CREATE ", "CALL ", "RETURN ", "WITH "];

/// Longest server message kept, in characters: the cause fits in a line or two.
const MESSAGE_LIMIT: usize = 300;

/// A server's message up to where it quotes a statement (and on its first line only).
fn without_statement(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or_default();
    let cut = STATEMENT_STARTS
        .iter()
        .filter_map(|s| first_line.find(s).map(|at| if s.ends_with(':') { at + s.len() } else { at }))
        .min();
    let kept = match cut {
        Some(at) => first_line[..at].trim_end_matches([' ', ':', '\'', '"', '`', '(']),
        None => first_line,
    };
    let mut text: String = kept.chars().take(MESSAGE_LIMIT).collect();
    if cut.is_some() || first_line.len() < message.trim_end().len() || text.len() < kept.len() {
        text.push_str(" [statement omitted]");
    }
    text
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
    fn a_quoted_statement_is_never_echoed() {
        let statement = "UNWIND $rows AS row MERGE (n:`_GraphferryNode` {`_graphferry_id`: row.id}) SET n += row.props";
        for message in [
            format!("Found duplicated key on index 'Person[id]' in query: {statement}"),
            format!("Error on executing Cypher statement:\n{statement}"),
            format!("Duplicated key {statement}"),
        ] {
            let text = format!(
                "unexpected response for PULL: Failure {{ code: \"Neo.ClientError.Schema.ConstraintValidationFailed\", message: \"{message}\" }}"
            );
            let e = classify("g", "writing nodes", neo4rs::Error::UnexpectedMessage(text));
            assert_eq!(e.code.as_deref(), Some("Neo.ClientError.Schema.ConstraintValidationFailed"));
            assert!(e.source.is_none(), "the driver's error repeats the statement");
            let shown = e.to_string();
            for part in ["UNWIND", "$rows", "MERGE", "_graphferry_id", "row.props"] {
                assert!(!shown.contains(part), "`{part}` echoed in: {shown}");
            }
            assert!(shown.contains("Neo4j target `g`: writing nodes:") && shown.ends_with("[statement omitted]"), "{shown}");
        }
        assert_eq!(without_statement("Node(0) already exists with label `Person`"), "Node(0) already exists with label `Person`");
    }

    #[test]
    fn authentication_is_fatal() {
        let e = classify("g", "connecting", neo4rs::Error::AuthenticationError("bad".into()));
        assert_eq!(e.class, ErrorClass::Fatal);
    }
}
