//! What sits beside the files: `load.json`, the bodies of the two loader requests (nodes, then
//! relationships, which `dependencies` holds back until the nodes' load has finished), and
//! `README.md` with the upload and load commands, which the copy also prints at its end.
//!
//! The request parameters are those of Neptune's loader command
//! (https://docs.aws.amazon.com/neptune/latest/userguide/load-api-reference-load.html):
//! `source`, `format: opencypher`, `iamRoleArn`, `region`, `mode`, `failOnError`,
//! `parallelism`, `queueRequest`, `dependencies`, `userProvidedEdgeIds` (openCypher only; with
//! `TRUE` every relationship file must carry `:ID`, which graphferry always writes).

use std::io;
use std::path::Path;

use serde_json::{json, Value as Json};

use super::NeptuneCsvConfig;
use crate::connector::bulk::{FileSet, Kind};

/// Where the files are uploaded when the target names no `s3_uri`.
const S3_PLACEHOLDER: &str = "s3://YOUR-BUCKET/graphferry-export";
const ENDPOINT_PLACEHOLDER: &str = "https://YOUR-CLUSTER-ENDPOINT:8182";
/// In `load.json`, the relationships' dependency before the nodes' load id is known.
pub const NODES_LOAD_ID: &str = "<loadId of the nodes load>";

fn flag(b: bool) -> &'static str {
    if b {
        "TRUE"
    } else {
        "FALSE"
    }
}

/// The body of the loader request for `kind`'s files.
pub fn request(cfg: &NeptuneCsvConfig, kind: Kind) -> Json {
    let s3 = cfg.loader.s3_uri.as_deref().unwrap_or(S3_PLACEHOLDER);
    let mut body = json!({
        "source": format!("{s3}/{}/", kind.folder()),
        "format": "opencypher",
        "iamRoleArn": cfg.loader.iam_role_arn.as_deref().unwrap_or("arn:aws:iam::ACCOUNT:role/NeptuneLoadFromS3"),
        "region": cfg.loader.region.as_deref().unwrap_or("us-east-1"),
        "mode": cfg.loader.mode,
        "failOnError": flag(cfg.loader.fail_on_error),
        "parallelism": cfg.loader.parallelism,
        "queueRequest": "TRUE",
        "userProvidedEdgeIds": "TRUE",
    });
    if kind == Kind::Relationships {
        body["dependencies"] = json!([NODES_LOAD_ID]);
    }
    body
}

pub fn write(dir: &Path, cfg: &NeptuneCsvConfig, sets: &[FileSet]) -> io::Result<()> {
    let files = |kind| sets.iter().filter(|s| s.group.kind == kind).map(|s| s.parts.len()).sum::<usize>();
    let rows = |kind| sets.iter().filter(|s| s.group.kind == kind).map(|s| s.rows).sum::<u64>();
    let load = json!({
        "nodes": request(cfg, Kind::Nodes),
        "relationships": request(cfg, Kind::Relationships),
    });
    std::fs::write(dir.join("load.json"), serde_json::to_string_pretty(&load)? + "\n")?;
    let readme = format!(
        "# Neptune bulk load (openCypher CSV), written by graphferry\n\n\
         {} node rows in {} files under `nodes/`, {} relationship rows in {} files under `relationships/`.\n\
         `load.json` holds the two loader requests: nodes first, then relationships, which wait for the\n\
         nodes' load through `dependencies`.\n\n\
         If IAM authentication is enabled on the cluster, send the requests with a SigV4-signing client\n\
         (`awscurl --service neptune-db`) instead of curl.\n\n```sh\n{}\n```\n",
        rows(Kind::Nodes),
        files(Kind::Nodes),
        rows(Kind::Relationships),
        files(Kind::Relationships),
        commands(cfg)
    );
    std::fs::write(dir.join("README.md"), readme)
}

/// Single-quoted for a POSIX shell.
fn sh(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The upload and load commands, for the README and the end of the copy.
pub fn commands(cfg: &NeptuneCsvConfig) -> String {
    let dir = cfg.path.display().to_string();
    let s3 = cfg.loader.s3_uri.as_deref().unwrap_or(S3_PLACEHOLDER);
    let endpoint = cfg.loader.endpoint.as_deref().unwrap_or(ENDPOINT_PLACEHOLDER);
    let load_json = sh(&format!("{dir}/load.json"));
    let loader = sh(&format!("{endpoint}/loader"));
    [
        format!("aws s3 cp --recursive --exclude '*.md' --exclude load.json {} {}", sh(&dir), sh(&format!("{s3}/"))),
        format!(
            "NODES=$(curl -sS -X POST -H 'Content-Type: application/json' {loader} --data \"$(jq -c .nodes {load_json})\" | jq -r .payload.loadId)"
        ),
        format!(
            "RELS=$(curl -sS -X POST -H 'Content-Type: application/json' {loader} --data \"$(jq -c --arg id \"$NODES\" '.relationships | .dependencies = [$id]' {load_json})\" | jq -r .payload.loadId)"
        ),
        format!("curl -sS {}\"$NODES\"'?details=true&errors=true'", sh(&format!("{endpoint}/loader/"))),
        format!("curl -sS {}\"$RELS\"'?details=true&errors=true'", sh(&format!("{endpoint}/loader/"))),
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector::registry::Only;

    #[test]
    fn requests_say_opencypher_with_edge_ids_and_relationships_wait_for_nodes() {
        let cfg = Only::<NeptuneCsvConfig>::parse(
            "targets:\n  out:\n    database: neptune-csv\n    path: /x\n    s3_uri: s3://b/p\n    parallelism: medium\n",
            "out",
        )
        .unwrap();
        let nodes = request(&cfg, Kind::Nodes);
        assert_eq!(nodes["source"], "s3://b/p/nodes/");
        assert_eq!(nodes["format"], "opencypher");
        assert_eq!(nodes["parallelism"], "MEDIUM");
        assert_eq!(nodes["failOnError"], "TRUE");
        assert!(nodes.get("dependencies").is_none());
        let rels = request(&cfg, Kind::Relationships);
        assert_eq!(rels["userProvidedEdgeIds"], "TRUE");
        assert_eq!(rels["dependencies"], json!([NODES_LOAD_ID]));
        let commands = commands(&cfg);
        assert!(commands.starts_with("aws s3 cp --recursive"), "{commands}");
        assert!(commands.contains("'s3://b/p/'"), "{commands}");
    }
}
