//! Decoding of the request encodings Neptune accepts into one [`QueryRequest`].
//!
//! Database (`/openCypher`): form fields `query` and `parameters` (a JSON object encoded as a
//! string) in a POST body or a GET query string, or a JSON body whose `parameters` is also a
//! JSON *string*. Analytics (`/queries`): a JSON body whose `parameters` is an *object*, with
//! `language: OPEN_CYPHER`. Getting the two `parameters` forms mixed up is a classic client bug,
//! so each endpoint accepts only its own form.

use serde_json::{Map, Value};

use crate::error::NeptuneError;

/// One openCypher request, whatever its encoding.
#[derive(Debug, PartialEq)]
pub struct QueryRequest {
    pub query: String,
    pub params: Map<String, Value>,
}

/// Decodes a Neptune Database request. `content_type` is the header value, if any.
pub fn decode_database(
    get_query: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<QueryRequest, NeptuneError> {
    if let Some(qs) = get_query {
        return from_form(qs.as_bytes());
    }
    let mime = content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/x-www-form-urlencoded" => from_form(body),
        "application/json" => {
            let v: Value = serde_json::from_slice(body)
                .map_err(|e| NeptuneError::bad_request(format!("Request body is not valid JSON: {e}")))?;
            let query = v.get("query").and_then(Value::as_str).ok_or_else(missing_query)?.to_string();
            let params = match v.get("parameters") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::String(s)) => parse_params(s)?,
                Some(_) => {
                    return Err(NeptuneError::invalid_parameter(
                        "`parameters` must be a JSON object encoded as a string",
                    ))
                }
            };
            Ok(QueryRequest { query, params })
        }
        "" => Err(NeptuneError::bad_request("Missing Content-Type header")),
        other => Err(NeptuneError::bad_request(format!("Unsupported Content-Type: {other}"))),
    }
}

/// Decodes a Neptune Analytics `ExecuteQuery` body.
pub fn decode_analytics(body: &[u8]) -> Result<QueryRequest, NeptuneError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| NeptuneError::bad_request(format!("Request body is not valid JSON: {e}")))?;
    let query = v.get("queryString").or_else(|| v.get("query")).and_then(Value::as_str).ok_or_else(missing_query)?;
    match v.get("language").and_then(Value::as_str) {
        Some("OPEN_CYPHER") => {}
        Some(other) => return Err(NeptuneError::bad_request(format!("Unsupported language: {other}"))),
        None => return Err(NeptuneError::bad_request("Missing required field `language`")),
    }
    let params = match v.get("parameters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(NeptuneError::bad_request("`parameters` must be a JSON object")),
    };
    Ok(QueryRequest { query: query.to_string(), params })
}

fn from_form(bytes: &[u8]) -> Result<QueryRequest, NeptuneError> {
    let (mut query, mut params) = (None, Map::new());
    for (k, v) in form_urlencoded::parse(bytes) {
        match k.as_ref() {
            "query" => query = Some(v.into_owned()),
            "parameters" => params = parse_params(&v)?,
            _ => {}
        }
    }
    Ok(QueryRequest { query: query.ok_or_else(missing_query)?, params })
}

fn parse_params(s: &str) -> Result<Map<String, Value>, NeptuneError> {
    match serde_json::from_str::<Value>(s) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(NeptuneError::invalid_parameter("`parameters` must encode a JSON object")),
        Err(e) => Err(NeptuneError::invalid_parameter(format!("`parameters` is not valid JSON: {e}"))),
    }
}

fn missing_query() -> NeptuneError {
    NeptuneError::bad_request("Missing required parameter `query`")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn form_and_get() {
        let r = decode_database(
            None,
            Some("application/x-www-form-urlencoded"),
            b"query=RETURN+%24x&parameters=%7B%22x%22%3A1%7D",
        )
        .unwrap();
        assert_eq!(r.query, "RETURN $x");
        assert_eq!(r.params["x"], 1);
        let g = decode_database(Some("query=RETURN%201"), None, b"").unwrap();
        assert_eq!(g.query, "RETURN 1");
    }

    #[test]
    fn json_wants_a_string_parameters() {
        let ok = decode_database(
            Some("").filter(|_| false),
            Some("application/json"),
            br#"{"query":"RETURN $x","parameters":"{\"x\":2}"}"#,
        )
        .unwrap();
        assert_eq!(ok.params["x"], 2);
        let bad = decode_database(None, Some("application/json"), br#"{"query":"RETURN 1","parameters":{"x":2}}"#)
            .unwrap_err();
        assert_eq!(bad.code, "InvalidParameterException");
        assert_eq!(decode_database(None, Some("text/plain"), b"x").unwrap_err().code, "BadRequestException");
        assert_eq!(decode_database(None, Some("application/json"), b"{}").unwrap_err().code, "BadRequestException");
    }

    #[test]
    fn analytics_wants_an_object_and_the_language() {
        let r = decode_analytics(
            &serde_json::to_vec(&json!({"query":"RETURN $x","language":"OPEN_CYPHER","parameters":{"x":[1]}})).unwrap(),
        )
        .unwrap();
        assert_eq!(r.params["x"], json!([1]));
        assert!(decode_analytics(br#"{"query":"RETURN 1"}"#).is_err());
        assert!(decode_analytics(br#"{"query":"RETURN 1","language":"OPEN_CYPHER","parameters":"{}"}"#).is_err());
    }
}
