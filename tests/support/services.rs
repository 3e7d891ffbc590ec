//! The outside services a test may need beside the emulators: a fresh PostgreSQL database on
//! `TEST_DATABASE_URL`, and a private `redis-server` that a test can stop and start again.
//!
//! One copy for the two suites that use them: the bot's (`tests/bot`, through `common`) and the
//! load generator's (`load/tests/flood`), each including this file with `#[path]`. Without the
//! service a test prints a visible SKIP line and returns, or fails with `CI=true`.

#![allow(dead_code)] // each suite uses its own part

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sea_orm::ConnectionTrait;

/// Says why a test does not run, where it shows; with `CI=true` a missing service is a failure.
pub fn skip(service: &str, what: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but {what}: run scripts/test-all.sh");
    }
    // Straight to stderr: libtest captures `eprintln!` of passing tests, and a skip must show.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIP {service}: {what} (scripts/test-all.sh starts one)");
}

/// A new, empty database on `TEST_DATABASE_URL`'s server; `None` (after [`skip`]) without one.
pub async fn fresh_postgres_database() -> Option<String> {
    static N: AtomicU32 = AtomicU32::new(0);
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        skip("postgres", "TEST_DATABASE_URL is not set");
        return None;
    };
    let name = format!("mluvme_t{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
    let admin = sea_orm::Database::connect(&base).await.expect("TEST_DATABASE_URL reachable");
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await.unwrap();
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    let mut url = url::Url::parse(&base).unwrap();
    url.set_path(&name);
    Some(url.to_string())
}

/// A `redis-server` of this test's own, which it may stop and start again on the same port.
pub struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    pub fn start() -> Option<PrivateRedis> {
        if Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_err() {
            skip("redis", "redis-server is not installed");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut r = PrivateRedis { port, child: None };
        r.restart();
        Some(r)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (empty: nothing is persisted) and waits until it answers.
    pub fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        for _ in 0..100 {
            if self.cli(&["PING"]).trim() == "PONG" {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server on port {} does not answer", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Runs `redis-cli` against it; its output, or nothing when it does not answer.
    pub fn cli(&self, args: &[&str]) -> String {
        let out =
            Command::new("redis-cli").args(["-p", &self.port.to_string()]).args(args).output();
        out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}
