//! A PostgreSQL server for the test suite: uses `TEST_DATABASE_URL` when set,
//! otherwise starts the machine's local cluster (installing it with apt when
//! running as root) and makes sure the `lodestar` role exists.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::util::{apt_install, is_root, port_open, Cmd};

const LOCAL_URL: &str = "postgres://lodestar:lodestar@127.0.0.1:5432/postgres";
const PG_BIN: &str = "/usr/bin";

/// Returns an admin URL the tests may create databases with.
pub fn ensure() -> Result<String, String> {
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        println!("  using TEST_DATABASE_URL");
        return Ok(url);
    }
    if !port_open("127.0.0.1:5432") {
        start_local_cluster()?;
    }
    ensure_role()?;
    Ok(LOCAL_URL.to_string())
}

fn start_local_cluster() -> Result<(), String> {
    let lsclusters = Path::new(PG_BIN).join("pg_lsclusters");
    if !lsclusters.exists() && !apt_install("postgresql")? {
        return Err(not_available("PostgreSQL is not installed"));
    }
    let clusters = Cmd::new(&lsclusters, &["--no-header"]).output_ok("listing PostgreSQL clusters")?;
    let cluster = clusters
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .find(|fields| fields.len() >= 3 && fields[2] == "5432")
        .map(|fields| (fields[0].to_string(), fields[1].to_string()));
    let (version, name) = match cluster {
        Some(cluster) => cluster,
        None => {
            let version = std::fs::read_dir("/usr/lib/postgresql")
                .ok()
                .and_then(|dir| dir.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).max())
                .ok_or_else(|| not_available("no PostgreSQL version is installed under /usr/lib/postgresql"))?;
            Cmd::new(Path::new(PG_BIN).join("pg_createcluster"), &[&version, "main", "--port", "5432"])
                .output_ok("creating a PostgreSQL cluster")?;
            (version, "main".to_string())
        }
    };
    println!("  ..  starting PostgreSQL {version}/{name}");
    Cmd::new(Path::new(PG_BIN).join("pg_ctlcluster"), &[&version, &name, "start"])
        .output_ok("starting PostgreSQL")
        .map_err(|e| not_available(&e))?;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !port_open("127.0.0.1:5432") {
        if Instant::now() > deadline {
            return Err(not_available("PostgreSQL did not start listening on 127.0.0.1:5432 within 30 s"));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

fn ensure_role() -> Result<(), String> {
    if !is_root() {
        // Without root we cannot act as the postgres superuser: the role
        // must already exist.
        return Cmd::new("psql", &[LOCAL_URL, "-tAc", "SELECT 1"])
            .output_ok("connecting as lodestar")
            .map(|_| ())
            .map_err(|e| not_available(&format!("{e}\nCreate the role once with: sudo -u postgres psql -c \"CREATE ROLE lodestar LOGIN PASSWORD 'lodestar' CREATEDB\"")));
    }
    let sql = "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lodestar') THEN \
               CREATE ROLE lodestar LOGIN PASSWORD 'lodestar' CREATEDB; END IF; END $$;";
    Cmd::new("runuser", &["-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1", "-qc", sql])
        .dir(Path::new("/"))
        .output_ok("creating the lodestar role")
        .map(|_| ())
}

fn not_available(reason: &str) -> String {
    format!(
        "{reason}.\nThe PostgreSQL suite cannot be skipped. Install PostgreSQL 15 (apt-get install postgresql) \
         and run this again, or set TEST_DATABASE_URL to an admin URL of a server you run \
         (for example postgres://lodestar:lodestar@127.0.0.1:5432/postgres)."
    )
}
