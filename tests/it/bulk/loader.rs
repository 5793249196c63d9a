//! The Neptune export through the test server's loader API, nodes then relationships (held back
//! by `dependencies`), then `graphferry verify` against the loaded graph; and a load with a bad
//! row, which the status names.

use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

use super::neptune_csv::target;
use super::{project, source};
use crate::neptune::server::{block_on, TestServer};

fn post(server: &TestServer, body: &Json) -> Json {
    block_on(async {
        let r = reqwest::Client::new().post(format!("{}/loader", server.url)).json(body).send().await.unwrap();
        r.json::<Json>().await.unwrap()
    })
}

fn status(server: &TestServer, id: &str) -> Json {
    block_on(async {
        let url = format!("{}/loader/{id}?details=true&errors=true", server.url);
        reqwest::get(url).await.unwrap().json::<Json>().await.unwrap()
    })
}

/// Polls until the load is no longer queued or running.
fn finished(server: &TestServer, id: &str) -> Json {
    let start = Instant::now();
    loop {
        let s = status(server, id);
        let state = s["payload"]["overallStatus"]["status"].as_str().unwrap_or_default().to_string();
        if !matches!(state.as_str(), "LOAD_IN_QUEUE" | "LOAD_IN_PROGRESS") {
            return s;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "load {id} still {state}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `load.json`'s request for `kind`, with `source` pointing at the local folder.
fn request(load: &Json, kind: &str, folder: &std::path::Path, dependency: Option<&str>) -> Json {
    let mut body = load[kind].clone();
    body["source"] = json!(folder.join(kind).display().to_string());
    if let Some(d) = dependency {
        body["dependencies"] = json!([d]);
    }
    body
}

#[test]
fn the_export_loads_through_the_loader_and_verifies() {
    let db = source("bulk_load", true);
    let server = TestServer::start("bulk_load", &[]);
    let p = project(&db, &format!("{}{}", target("nep", "nep", "    gzip: true\n"), server.target("np", false)));
    p.cmd().args(["copy", "--source", "bolt", "--target", "nep", "--all"]).assert().success();
    let load: Json = serde_json::from_slice(&std::fs::read(p.path("nep/load.json")).unwrap()).unwrap();
    let nodes = post(&server, &request(&load, "nodes", &p.path("nep"), None));
    assert_eq!(nodes["status"], "200 OK", "{nodes}");
    let nodes_id = nodes["payload"]["loadId"].as_str().unwrap().to_string();
    let rels = post(&server, &request(&load, "relationships", &p.path("nep"), Some(&nodes_id)));
    let rels_id = rels["payload"]["loadId"].as_str().unwrap().to_string();
    for id in [&nodes_id, &rels_id] {
        let s = finished(&server, id);
        let overall = &s["payload"]["overallStatus"];
        assert_eq!(overall["status"], "LOAD_COMPLETED", "{s}");
        for counter in ["parsingErrors", "datatypeMismatchErrors", "insertErrors"] {
            assert_eq!(overall[counter], 0, "{s}");
        }
    }
    let nodes_status = status(&server, &nodes_id);
    let expected_nodes = server.count("MATCH (n) RETURN count(n) AS c");
    assert_eq!(nodes_status["payload"]["overallStatus"]["totalRecords"], expected_nodes);
    // The data as loaded is what the query path would have written: verify compares it field
    // by field with the source, through the documented encodings.
    let mut verify = p.cmd();
    verify.args(["verify", "--source", "bolt", "--target", "np", "--full"]);
    for var in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"] {
        verify.env_remove(var);
    }
    let out = verify.env("AWS_SHARED_CREDENTIALS_FILE", p.path("none")).env("AWS_CONFIG_FILE", p.path("none")).assert();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(stdout.contains("0 difference(s)"), "{stdout}\n{}", String::from_utf8_lossy(&out.get_output().stderr));
    out.success();
}

#[test]
fn a_bad_row_is_reported_with_its_file_and_record() {
    let server = TestServer::start("bulk_bad_row", &[]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("n.csv"), ":ID,:LABEL,age:Long\r\na,P,1\r\nb,P,old\r\nc,P,3\r\n").unwrap();
    let body = json!({"source": dir.path().display().to_string(), "format": "opencypher", "failOnError": "TRUE"});
    let id = post(&server, &body)["payload"]["loadId"].as_str().unwrap().to_string();
    let s = finished(&server, &id);
    let payload = &s["payload"];
    assert_eq!(payload["overallStatus"]["status"], "LOAD_FAILED", "{s}");
    assert_eq!(payload["overallStatus"]["datatypeMismatchErrors"], 1, "{s}");
    let log = &payload["errors"]["errorLogs"][0];
    assert_eq!(log["errorCode"], "DATATYPE_MISMATCH", "{s}");
    assert_eq!(log["recordNum"], 2, "{s}");
    assert!(log["fileName"].as_str().unwrap().ends_with("n.csv"), "{s}");
    assert!(log["errorMessage"].as_str().unwrap().contains("age"), "{s}");
    assert!(!log["errorMessage"].as_str().unwrap().contains("old"), "no property value in messages: {s}");
    assert_eq!(payload["failedFeeds"].as_array().unwrap().len(), 1, "{s}");
    // failOnError stops at the bad row: `c` was never loaded.
    assert_eq!(server.count("MATCH (n:P) WHERE n.`~id` = 'c' RETURN count(n) AS c"), 0);

    // A relationship whose endpoint is missing is an insert error, named the same way.
    let rels = tempfile::tempdir().unwrap();
    std::fs::write(rels.path().join("r.csv"), ":ID,:START_ID,:END_ID,:TYPE\r\nr1,a,nobody,T\r\n").unwrap();
    let body = json!({"source": rels.path().display().to_string(), "format": "opencypher", "failOnError": "FALSE"});
    let id = post(&server, &body)["payload"]["loadId"].as_str().unwrap().to_string();
    let s = finished(&server, &id);
    assert_eq!(s["payload"]["overallStatus"]["insertErrors"], 1, "{s}");
    assert_eq!(s["payload"]["errors"]["errorLogs"][0]["errorCode"], "FROM_OR_TO_VERTEX_ARE_MISSING", "{s}");

    // Requests the loader refuses: another format, a missing source, an unknown load.
    let refused = post(&server, &json!({"source": "/nowhere", "format": "opencypher"}));
    assert_eq!(refused["code"], "BadRequestException", "{refused}");
    let refused = post(&server, &json!({"source": dir.path().display().to_string(), "format": "csv"}));
    assert_eq!(refused["code"], "BadRequestException", "{refused}");
    assert_eq!(status(&server, "no-such-load")["code"], "LoadNotFoundException");
}
