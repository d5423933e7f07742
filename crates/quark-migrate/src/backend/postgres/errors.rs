//! What the PostgreSQL driver's errors mean to the engine: a connection lost (a failover), a
//! failure to connect that may pass, a lock wait given up, a conflict to retry.

use super::super::tls;
use crate::backend::{BackendError, Cause};

/// Whether `e` says the connection is gone, or that the server cannot serve this session now
/// (shut down, crashed, starting up, demoted to a standby): what a failover does to a session.
pub(super) fn is_lost(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        return [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::READ_ONLY_SQL_TRANSACTION,
            SqlState::CONNECTION_EXCEPTION,
            SqlState::CONNECTION_FAILURE,
            SqlState::CONNECTION_DOES_NOT_EXIST,
            SqlState::SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
        ]
        .contains(code);
    }
    has_io_cause(e)
}

/// Whether an I/O error is behind `e` (a reset or refused connection, a timeout).
fn has_io_cause(e: &postgres::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        if cause.is::<std::io::Error>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// Whether a failed connection may succeed later without anything changed: the server was not
/// reachable, refused the session for now (starting up, shutting down, too many
/// connections) or takes no writes where writes were asked for; not a refused password, a
/// database that does not exist, or TLS that cannot be agreed.
pub(super) fn is_transient_connect(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    match e.code() {
        Some(code) => is_lost(e) || *code == SqlState::TOO_MANY_CONNECTIONS,
        None => e.is_closed() || has_io_cause(e),
    }
}

pub(super) fn db_err(e: postgres::Error) -> BackendError {
    use postgres::error::SqlState;
    if is_lost(&e) {
        let message = match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => connect_message(&e),
        };
        return BackendError::ConnectionLost {
            message: format!("the connection to the server was lost: {message}"),
            source: Some(Box::new(e)),
        };
    }
    let Some(db) = e.as_db_error() else {
        return BackendError::driver(e.to_string(), e);
    };
    let message = format!("{} ({})", db.message(), db.code().code());
    let code = db.code().clone();
    let source = Some(Box::new(e) as Cause);
    if code == SqlState::LOCK_NOT_AVAILABLE {
        BackendError::LockWait { message, source }
    } else if code == SqlState::T_R_DEADLOCK_DETECTED || code == SqlState::T_R_SERIALIZATION_FAILURE
    {
        BackendError::Conflict { message, source }
    } else {
        BackendError::Database { message, source }
    }
}

/// The driver's message with its causes (the TLS or I/O error behind "error connecting").
pub(super) fn connect_message(e: &postgres::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        source = cause.source();
    }
    tls::explain(message)
}
