//! A Neo4j installation made of the Neo4j test server's build output
//! (tools/neo4j-test-server/target, which `scripts/test-servers.sh install` builds): the
//! `neo4j-admin` script beside it runs the admin commands, the import among them, on a home of
//! the test's own, and [`Neo4jHome::serve`] starts the embedded DBMS on that home on a free
//! port, killed when dropped. The shared Neo4j instances are never touched.

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::bolt::server::neo4j_password;
use crate::neptune::server::block_on;

const JAR: &str = "neo4j-test-server-0.1.0.jar";
/// Neo4j takes 20-40 s to start on the shared machine (docs/TESTING.md); a fresh home more.
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// The folder holding the `neo4j-admin` script, put first on `PATH` so that a printed command
/// runs as printed.
pub fn tool_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/neo4j-test-server")
}

/// The build output, when it is there.
pub fn built() -> Option<PathBuf> {
    let target = tool_dir().join("target");
    [JAR, "classpath.txt", "plugins"].iter().all(|f| target.join(f).exists()).then_some(target)
}

/// A fresh, empty Neo4j home (`NEO4J_HOME`) in a temporary folder.
pub struct Neo4jHome {
    dir: tempfile::TempDir,
    target: PathBuf,
}

impl Neo4jHome {
    pub fn new(target: PathBuf) -> Neo4jHome {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("home")).expect("home folder");
        Neo4jHome { dir, target }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Runs the shell `script` (a README's command block, `cd` included) with `neo4j-admin` on
    /// `PATH` working on this home.
    pub fn run_admin(&self, script: &str) -> Output {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![tool_dir()];
        dirs.extend(std::env::split_paths(&path));
        Command::new("bash")
            .args(["-euc", script])
            .env("PATH", std::env::join_paths(dirs).expect("PATH"))
            .env("NEO4J_HOME", self.path())
            .env_remove("NEO4J_CONF")
            .stdin(Stdio::null())
            .output()
            .expect("run bash")
    }

    /// Starts the test server on this home and waits until a Bolt login with the test password
    /// works (the server sets it once the DBMS is up).
    pub fn serve(&self) -> Served {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().unwrap().port();
        let log = self.dir.path().join("neo4j.log");
        let out = std::fs::File::create(&log).expect("log file");
        let classpath = std::fs::read_to_string(self.target.join("classpath.txt")).expect("classpath.txt");
        let child = Command::new("java")
            // As scripts/test-servers.sh starts the shared instances, with a smaller heap.
            .args(["-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-cp"])
            .arg(format!("{}:{}", self.target.join(JAR).display(), classpath.trim()))
            .arg("graphferry.Neo4jTestServer")
            .arg("--home")
            .arg(self.path())
            .args(["--port", &port.to_string(), "--password", &neo4j_password(), "--plugins"])
            .arg(self.target.join("plugins"))
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log file"))
            .stderr(out)
            .spawn()
            .expect("start java (a JDK 17 runs the Neo4j test server)");
        let mut served = Served { child, uri: format!("bolt://127.0.0.1:{port}"), log };
        served.wait_ready();
        served
    }
}

/// The DBMS serving a [`Neo4jHome`]; killed when dropped.
pub struct Served {
    child: Child,
    pub uri: String,
    log: PathBuf,
}

impl Served {
    fn wait_ready(&mut self) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                panic!("the Neo4j test server ended ({status}):\n{}", self.log_text());
            }
            if block_on(login(&self.uri)) {
                return;
            }
            assert!(
                start.elapsed() < START_TIMEOUT,
                "no Bolt login at {} after {START_TIMEOUT:?}:\n{}",
                self.uri,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A `targets:` entry named `name` for the served database.
    pub fn yaml(&self, name: &str) -> String {
        format!(
            "  {name}:\n    database: neo4j\n    uri: {}\n    username: neo4j\n    password: {}\n    database_name: neo4j\n",
            self.uri,
            neo4j_password()
        )
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `neo4j` logs in with the test password and runs `RETURN 1`.
async fn login(uri: &str) -> bool {
    let config = neo4rs::ConfigBuilder::default()
        .uri(uri)
        .user("neo4j")
        .password(neo4j_password())
        .db("neo4j")
        .build()
        .expect("bolt config");
    let Ok(graph) = neo4rs::Graph::connect(config) else { return false };
    let attempt = graph.run(neo4rs::query("RETURN 1"));
    matches!(tokio::time::timeout(Duration::from_secs(10), attempt).await, Ok(Ok(())))
}
