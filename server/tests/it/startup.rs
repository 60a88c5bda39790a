//! The real binary, started the way an operator starts it.

use std::process::{Command, Output};

fn start(dir: &std::path::Path, vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command.current_dir(dir);
    for (name, _) in std::env::vars() {
        if ["DATABASE_URL", "SURREAL_", "LODESTAR_", "PUBLIC_URL", "LEPTOS_", "DATA_DIR", "LOG_FORMAT"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            command.env_remove(name);
        }
    }
    command.env("LEPTOS_SITE_ADDR", "127.0.0.1:0").env("SURREAL_URL", "mem://");
    command.envs(vars.iter().copied()).output().expect("the server binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_missing_required_setting_stops_start_up_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = start(dir.path(), &[("LODESTAR_ENV", "production")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("PUBLIC_URL is required"), "{}", stderr(&output));
}

#[test]
fn a_malformed_database_url_stops_start_up_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let output = start(dir.path(), &[("DATABASE_URL", "mysql://localhost/lodestar")]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("DATABASE_URL is malformed"), "{message}");
    assert!(message.contains("sqlite://") && message.contains("postgres://"), "says what is expected: {message}");
}

#[test]
fn a_failed_migration_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    // A database where the migration's table already exists in another shape.
    let db = dir.path().join("clash.db");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", db.display())).await.unwrap();
        conn.execute("CREATE TABLE sales_leads (unrelated INTEGER)").await.unwrap();
    });
    let output = start(dir.path(), &[("DATABASE_URL", &format!("sqlite://{}", db.display()))]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("migration failed"), "{}", stderr(&output));
}

#[test]
fn an_unreachable_database_stops_start_up_with_the_real_cause() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there.
    let output = start(dir.path(), &[("DATABASE_URL", "postgres://lodestar:secret@127.0.0.1:1/lodestar")]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("could not connect to the SQL database"), "{message}");
    assert!(message.to_lowercase().contains("refused"), "names the cause: {message}");
    assert!(!message.contains("secret"), "never prints the password: {message}");
}
