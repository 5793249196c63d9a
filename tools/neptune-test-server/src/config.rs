//! Command-line flags, and their validation into the [`Config`] the server runs with.
//!
//! Every flag that a test or the start script relies on also reads an environment variable, so
//! the same binary works from `scripts/test-servers.sh`, CI and a developer's shell.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use crate::faults::{FaultKind, FaultPlan, FaultRule};

/// Which Neptune product the server imitates; it decides the endpoint, the request encoding, the
/// SigV4 service name and the error vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Neptune Database: `POST|GET /openCypher`, service `neptune-db`.
    Database,
    /// Neptune Analytics: `POST /queries`, service `neptune-graph`.
    Analytics,
}

impl Mode {
    /// The SigV4 service name a real client signs with.
    pub fn sigv4_service(self) -> &'static str {
        match self {
            Mode::Database => "neptune-db",
            Mode::Analytics => "neptune-graph",
        }
    }
}

/// A Neptune-protocol (openCypher over HTTP/1.1) test server backed by ArcadeDB.
#[derive(Debug, Parser)]
#[command(name = "neptune-test-server", version, about)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port (the chosen address is printed on stdout
    /// as `listening on <addr>`).
    #[arg(long, env = "NEPTUNE_TEST_SERVER_LISTEN", default_value = "127.0.0.1:8182")]
    pub listen: SocketAddr,

    /// Neptune product to imitate.
    #[arg(long, value_enum, default_value = "database")]
    pub mode: Mode,

    /// ArcadeDB HTTP base URL.
    #[arg(long, env = "ARCADEDB_HTTP", default_value = "http://127.0.0.1:2480")]
    pub arcadedb_url: String,

    /// ArcadeDB user.
    #[arg(long, env = "ARCADEDB_USER", default_value = "root")]
    pub arcadedb_user: String,

    /// ArcadeDB password.
    #[arg(long, env = "ARCADEDB_ROOT_PASSWORD", default_value = "graphferry-test", hide_env_values = true)]
    pub arcadedb_password: String,

    /// ArcadeDB database holding this server's graph; created if missing, so parallel tests can
    /// each use their own.
    #[arg(long, default_value = "neptune")]
    pub database: String,

    /// In analytics mode, the only accepted `graphIdentifier` (any non-empty one when unset).
    #[arg(long)]
    pub graph_id: Option<String>,

    /// Largest accepted request body in bytes; Neptune's limit is 157,286,400.
    #[arg(long, default_value_t = 157_286_400)]
    pub max_body_bytes: u64,

    /// Serve HTTPS with a freshly generated self-signed certificate.
    #[arg(long)]
    pub tls: bool,

    /// Where to write the generated certificate (PEM) so clients can trust it; with --tls.
    #[arg(long, requires = "tls")]
    pub tls_cert_out: Option<PathBuf>,

    /// Host names and IP addresses the certificate is valid for.
    #[arg(long, value_delimiter = ',', default_value = "localhost,127.0.0.1")]
    pub tls_names: Vec<String>,

    /// IAM mode: the access key every request must be signed with (SigV4).
    #[arg(long, env = "NEPTUNE_TEST_IAM_ACCESS_KEY", requires = "iam_secret_key")]
    pub iam_access_key: Option<String>,

    /// IAM mode: the secret key matching --iam-access-key.
    #[arg(long, env = "NEPTUNE_TEST_IAM_SECRET_KEY", hide_env_values = true, requires = "iam_access_key")]
    pub iam_secret_key: Option<String>,

    /// Region the signature must be scoped to.
    #[arg(long, env = "NEPTUNE_TEST_REGION", default_value = "us-east-1")]
    pub region: String,

    /// Largest accepted difference between x-amz-date and the server clock, in seconds.
    #[arg(long, default_value_t = 300)]
    pub max_clock_skew_secs: u64,

    /// Receive, decode, authenticate and count every request, store nothing, answer
    /// `{"results": []}` at once (for benchmarks).
    #[arg(long)]
    pub discard: bool,

    /// Seed for fault decisions; the same seed gives the same faults for the same write sequence.
    #[arg(long, default_value_t = 0)]
    pub fault_seed: u64,

    /// Fault to inject into write requests (see --fault-rate / --fault-every).
    #[arg(long, value_enum)]
    pub fault: Option<FaultKind>,

    /// Fraction (0..=1) of write requests that get --fault.
    #[arg(long, requires = "fault")]
    pub fault_rate: Option<f64>,

    /// Every Nth write request (N, 2N, ...) gets --fault.
    #[arg(long, requires = "fault")]
    pub fault_every: Option<u64>,

    /// Delay in milliseconds for the `slow` fault.
    #[arg(long, default_value_t = 2000)]
    pub fault_delay_ms: u64,

    /// --fault applies to read requests (queries that write nothing) instead of writes.
    #[arg(long, requires = "fault")]
    pub fault_reads: bool,
}

/// Credentials the server checks SigV4 signatures against.
#[derive(Clone, Debug)]
pub struct Iam {
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    pub max_clock_skew_secs: u64,
}

/// Validated settings.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub mode: Mode,
    pub arcadedb_url: String,
    pub arcadedb_user: String,
    pub arcadedb_password: String,
    pub database: String,
    pub graph_id: Option<String>,
    pub max_body_bytes: u64,
    pub tls: Option<Tls>,
    pub iam: Option<Iam>,
    pub discard: bool,
    pub faults: FaultPlan,
}

/// TLS settings.
#[derive(Clone, Debug)]
pub struct Tls {
    pub cert_out: Option<PathBuf>,
    pub names: Vec<String>,
}

impl Args {
    /// Checks cross-flag rules clap cannot express and builds the [`Config`].
    pub fn into_config(self) -> anyhow::Result<Config> {
        if self.database.is_empty() || !self.database.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            anyhow::bail!("--database must be a non-empty name of letters, digits, '_' or '-'");
        }
        let mut rules = Vec::new();
        if let Some(kind) = self.fault {
            if self.fault_rate.is_none() && self.fault_every.is_none() {
                anyhow::bail!("--fault needs --fault-rate or --fault-every");
            }
            rules.push(FaultRule {
                kind,
                rate: self.fault_rate,
                every: self.fault_every,
                delay_ms: self.fault_delay_ms,
                reads: self.fault_reads,
            });
        }
        let faults = FaultPlan { seed: self.fault_seed, rules };
        faults.validate().map_err(anyhow::Error::msg)?;
        let iam = match (self.iam_access_key, self.iam_secret_key) {
            (Some(access_key), Some(secret_key)) => {
                Some(Iam { access_key, secret_key, region: self.region, max_clock_skew_secs: self.max_clock_skew_secs })
            }
            _ => None,
        };
        let tls = self.tls.then_some(Tls { cert_out: self.tls_cert_out, names: self.tls_names });
        Ok(Config {
            listen: self.listen,
            mode: self.mode,
            arcadedb_url: self.arcadedb_url.trim_end_matches('/').to_string(),
            arcadedb_user: self.arcadedb_user,
            arcadedb_password: self.arcadedb_password,
            database: self.database,
            graph_id: self.graph_id,
            max_body_bytes: self.max_body_bytes,
            tls,
            iam,
            discard: self.discard,
            faults,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Config> {
        let mut all = vec!["neptune-test-server"];
        all.extend_from_slice(args);
        Args::try_parse_from(all)?.into_config()
    }

    #[test]
    fn defaults_are_the_script_conventions() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8182");
        assert_eq!(c.mode, Mode::Database);
        assert_eq!(c.database, "neptune");
        assert_eq!(c.max_body_bytes, 157_286_400);
        assert!(c.iam.is_none() && c.tls.is_none() && !c.discard);
    }

    #[test]
    fn iam_needs_both_keys() {
        assert!(parse(&["--iam-access-key", "AK"]).is_err());
        let c = parse(&["--iam-access-key", "AK", "--iam-secret-key", "SK", "--region", "eu-west-1"]).unwrap();
        assert_eq!(c.iam.unwrap().region, "eu-west-1");
    }

    #[test]
    fn fault_needs_a_trigger() {
        assert!(parse(&["--fault", "too-many-requests"]).is_err());
        assert!(parse(&["--fault", "too-many-requests", "--fault-rate", "1.5"]).is_err());
        let c = parse(&["--fault", "too-many-requests", "--fault-every", "3"]).unwrap();
        assert_eq!(c.faults.rules.len(), 1);
    }

    #[test]
    fn database_name_is_checked() {
        assert!(parse(&["--database", "a/b"]).is_err());
        assert!(parse(&["--tls-cert-out", "x.pem"]).is_err());
    }
}
