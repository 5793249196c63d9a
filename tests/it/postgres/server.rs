//! The PostgreSQL side of the tests: a fresh database per test, loaded from a fixture.

use std::path::PathBuf;

/// The cluster's admin URL (scripts/test-servers.sh: PG_TEST_URL).
pub fn admin_url() -> String {
    std::env::var("PG_TEST_URL")
        .unwrap_or_else(|_| "postgres://postgres:graphferry-test@127.0.0.1:54329/postgres".into())
}

/// The URL of database `db` on the test cluster.
pub fn url(db: &str) -> String {
    let admin = admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_string();
    format!("{base}/{db}")
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/postgres").join(name)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// Runs `sql` (several statements) on the database at `url`, on a thread and runtime of its
/// own, so that sync tests and async ones (inside their runtime) can both call it.
pub fn execute(url: &str, sql: &str) {
    let (url, sql) = (url.to_string(), sql.to_string());
    let run = move || {
        runtime().block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap_or_else(|e| {
                panic!("PostgreSQL is not reachable ({e}): run `scripts/test-servers.sh start` first")
            });
            let task = tokio::spawn(conn);
            client.batch_execute(&sql).await.unwrap_or_else(|e| panic!("{e:?}"));
            drop(client);
            let _ = task.await;
        })
    };
    std::thread::spawn(run).join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
}

/// A database of this test's own, dropped when the value is.
pub struct Database {
    pub name: String,
}

impl Database {
    /// A new database `gf_<prefix>_<pid>` loaded with the fixture files.
    pub fn with(prefix: &str, fixtures: &[&str]) -> Database {
        let name = format!("gf_{prefix}_{}", std::process::id());
        // Separately: several statements in one call run as one transaction, which these refuse.
        execute(&admin_url(), &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        execute(&admin_url(), &format!("CREATE DATABASE {name}"));
        let db = Database { name };
        for f in fixtures {
            execute(&db.url(), &std::fs::read_to_string(fixture(f)).expect("fixture"));
        }
        db
    }

    pub fn url(&self) -> String {
        url(&self.name)
    }

    /// The YAML of a `database: postgres` target on it (`extra`: more keys, indented by four).
    pub fn target(&self, name: &str, extra: &str) -> String {
        format!("  {name}:\n    database: postgres\n    uri: {}\n{extra}", self.url())
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        execute(&admin_url(), &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}
