//! Neptune's numeric rule on parameter values: an integer must fit 64 bits.
//!
//! AWS, "Graph Engine Error Messages and Codes"
//! (https://docs.aws.amazon.com/neptune/latest/userguide/errors-engine-codes.html):
//! InvalidNumericDataException, HTTP 400, "Use of numeric data that cannot be represented with
//! 64-bit storage is invalid". JSON can carry such integers; Neptune's Long cannot. Which values
//! may be properties at all (no lists, no maps) is decided per assigned expression in
//! [`crate::cypher::assign`], not here.

use serde_json::Value;

use crate::error::NeptuneError;

/// The error for a number beyond 64 bits; `what` says where it is (never the value itself).
pub fn invalid_numeric(what: &str) -> NeptuneError {
    NeptuneError::new(
        400,
        "InvalidNumericDataException",
        format!("{what}: numeric data that cannot be represented with 64-bit storage is invalid"),
    )
}

/// Checks every parameter of a query.
pub fn check_params(params: &serde_json::Map<String, Value>) -> Result<(), NeptuneError> {
    params.iter().try_for_each(|(name, v)| walk(v, &format!("${name}")))
}

fn walk(v: &Value, path: &str) -> Result<(), NeptuneError> {
    match v {
        Value::Number(n) if n.is_u64() && !n.is_i64() => Err(invalid_numeric(path)),
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, x)| walk(x, &format!("{path}[{i}]"))),
        Value::Object(m) => m.iter().try_for_each(|(k, x)| walk(x, &format!("{path}.{k}"))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> Result<(), NeptuneError> {
        check_params(v.as_object().unwrap())
    }

    #[test]
    fn lists_and_maps_pass_here_and_integers_must_fit_a_long() {
        assert!(check(json!({"rows": [{"id": "a", "props": {"n": i64::MAX, "tags": [["x"]], "m": {"a": 1}}}]})).is_ok());
        let e = check(json!({"rows": [{"n": 18446744073709551615u64}]})).unwrap_err();
        assert_eq!((e.status, e.code), (400, "InvalidNumericDataException"));
        assert!(e.message.starts_with("$rows[0].n"), "{}", e.message);
        assert!(!e.message.contains("18446744073709551615"), "values stay out of messages: {}", e.message);
    }
}
