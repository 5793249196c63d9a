//! Default values in migration files (`AddNodeProperty.default`, `NodeKeyExtended.default`, …):
//! YAML in the file, graphferry [`Value`]s in an [`Operation`](super::Operation), converted once
//! when the file is read so connectors only ever see values. Writing one back gives the same
//! YAML, so files keep nodestream's format.

use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_yaml::Value as Yaml;

use crate::model::Value;

/// A YAML default as a value: YAML's scalars, lists and maps with string keys. Anything else
/// (an integer beyond 64 bits, a non-string key, a `!tag`) has no value it surely means.
fn from_yaml(yaml: &Yaml) -> Result<Value, String> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(f)) if n.is_f64() => Value::Float(f),
            _ => return Err(format!("the integer default {n} does not fit in 64 bits")),
        },
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Sequence(items) => Value::List(items.iter().map(from_yaml).collect::<Result<_, _>>()?),
        Yaml::Mapping(map) => Value::Map(
            map.iter()
                .map(|(k, v)| match k.as_str() {
                    Some(k) => Ok((k.to_string(), from_yaml(v)?)),
                    None => Err("a map in a default can only have string keys".to_string()),
                })
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Tagged(t) => return Err(format!("a tagged default (`{}`) has no graph value", t.tag)),
    })
}

/// The inverse of [`from_yaml`], for writing a migration file.
fn to_yaml(value: &Value) -> Result<Yaml, String> {
    Ok(match value {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Bool(*b),
        Value::Int(i) => Yaml::Number((*i).into()),
        Value::Float(f) => Yaml::Number((*f).into()),
        Value::String(s) => Yaml::String(s.clone()),
        Value::List(items) => Yaml::Sequence(items.iter().map(to_yaml).collect::<Result<_, _>>()?),
        Value::Map(map) => Yaml::Mapping(
            map.iter().map(|(k, v)| Ok((Yaml::String(k.clone()), to_yaml(v)?))).collect::<Result<_, String>>()?,
        ),
        other => return Err(format!("a {} default cannot be written to a migration file", other.type_name())),
    })
}

/// `#[serde(with)]` for a required default.
pub(super) mod required {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Value, s: S) -> Result<S::Ok, S::Error> {
        to_yaml(value).map_err(S::Error::custom)?.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        from_yaml(&Yaml::deserialize(d)?).map_err(D::Error::custom)
    }
}

/// `#[serde(with)]` for an optional default (a missing or null default is `None`).
pub(super) mod optional {
    use super::*;

    pub fn serialize<S: Serializer>(value: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
        value.as_ref().map(to_yaml).transpose().map_err(S::Error::custom)?.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        Option::<Yaml>::deserialize(d)?.as_ref().map(from_yaml).transpose().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_values_convert_both_ways() {
        let text = "[null, true, -3, 2.5, 1.0, .nan, text, [1, [2]], {b: 1, a: {c: ''}}]";
        let yaml: Yaml = serde_yaml::from_str(text).unwrap();
        let value = from_yaml(&yaml).unwrap();
        let Value::List(items) = &value else { panic!("{value:?}") };
        assert_eq!(items[..4], [Value::Null, Value::Bool(true), Value::Int(-3), Value::Float(2.5)]);
        assert_eq!(items[4], Value::Float(1.0), "1.0 stays a float");
        assert!(matches!(items[5], Value::Float(f) if f.is_nan()));
        assert!(from_yaml(&to_yaml(&value).unwrap()).unwrap().same_as(&value));
    }

    #[test]
    fn yaml_without_a_sure_value_is_refused() {
        for (text, error) in [
            ("18446744073709551615", "does not fit in 64 bits"),
            ("{1: x}", "string keys"),
            ("!custom 3", "tagged default (`!custom`)"),
        ] {
            let yaml: Yaml = serde_yaml::from_str(text).unwrap();
            let err = from_yaml(&yaml).unwrap_err();
            assert!(err.contains(error), "{text}: {err}");
        }
    }
}
