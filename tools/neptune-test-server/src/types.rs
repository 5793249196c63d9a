//! Neptune's property type rules, applied to the parameters of write queries.
//!
//! JSON parameters can carry only maps, lists, strings, numbers, booleans and null. Neptune
//! stores Bool, Long, Double, String, DateTime and lists (as sets) of those; it refuses a map as
//! a property value (ArcadeDB refuses that too, and the engine error is mapped to the same code)
//! and lists that hold lists or maps, and integers beyond 64-bit Long. Because the server cannot
//! know which parameter paths a query assigns to properties, a list nested in a map (a row's
//! property) must hold only scalars; lists directly under the parameter object or inside
//! another list (UNWIND rows) may hold maps.

use serde_json::Value;

use crate::error::NeptuneError;

/// Checks every parameter of a write query.
pub fn check_write_params(params: &serde_json::Map<String, Value>) -> Result<(), NeptuneError> {
    for (name, v) in params {
        walk(v, &format!("${name}"), false)?;
    }
    Ok(())
}

/// `in_map`: the value is a map entry below a parameter, so it may become a property.
fn walk(v: &Value, path: &str, in_map: bool) -> Result<(), NeptuneError> {
    match v {
        Value::Number(n) if n.is_u64() && !n.is_i64() => {
            Err(NeptuneError::invalid_parameter(format!("{path}: integer {n} does not fit Neptune's 64-bit Long")))
        }
        Value::Array(items) if in_map => {
            for (i, x) in items.iter().enumerate() {
                if x.is_array() || x.is_object() {
                    return Err(NeptuneError::invalid_parameter(format!(
                        "{path}[{i}]: a list property may only hold Bool, Long, Double, String or DateTime values"
                    )));
                }
                walk(x, path, true)?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, x)| walk(x, &format!("{path}[{i}]"), false)),
        Value::Object(m) => m.iter().try_for_each(|(k, x)| walk(x, &format!("{path}.{k}"), true)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) -> Result<(), NeptuneError> {
        check_write_params(v.as_object().unwrap())
    }

    #[test]
    fn rows_of_scalar_properties_pass() {
        assert!(
            check(json!({"rows": [{"id": "a", "props": {"n": 1, "f": 1.5, "tags": ["x", "y"], "b": true}}]})).is_ok()
        );
        assert!(check(json!({"ids": [["a", "b"]]})).is_ok());
    }

    #[test]
    fn nested_lists_maps_in_lists_and_huge_integers_fail() {
        let e = check(json!({"rows": [{"props": {"l": [[1], [2]]}}]})).unwrap_err();
        assert_eq!((e.status, e.code), (400, "InvalidParameterException"));
        assert!(check(json!({"rows": [{"props": {"l": [{"a": 1}]}}]})).is_err());
        assert!(check(json!({"n": 18446744073709551615u64})).is_err());
    }
}
