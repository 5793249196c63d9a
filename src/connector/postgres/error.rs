//! PostgreSQL errors as the pipeline sees them: transient (a dropped connection, a server
//! shutting down, a serialization failure) or not. Messages carry the SQLSTATE and the server's
//! primary message, never its `DETAIL` (which quotes row values).

use tokio_postgres::error::SqlState;

use crate::connector::ConnectorError;

/// The server's code and message, or the client's own error.
pub fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

pub fn classify(target: &str, what: &str, e: &tokio_postgres::Error) -> ConnectorError {
    // The SQLSTATE goes in the error's code (shown before the message), not twice.
    let said = e.as_db_error().map_or_else(|| e.to_string(), |db| db.message().to_string());
    let message = format!("target `{target}`: {what}: {said}");
    let transient = match e.code() {
        Some(code) => {
            [SqlState::T_R_SERIALIZATION_FAILURE, SqlState::T_R_DEADLOCK_DETECTED, SqlState::ADMIN_SHUTDOWN]
                .contains(code)
                || code.code().starts_with("08")
        }
        // No SQLSTATE: the connection itself failed or closed.
        None => e.is_closed() || e.as_db_error().is_none(),
    };
    let error = if transient { ConnectorError::retryable(message) } else { ConnectorError::fatal(message) };
    match e.code() {
        Some(code) => error.with_code(code.code()),
        None => error,
    }
}
