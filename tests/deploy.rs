//! The deployment files checked against the bot they deploy. Neither Docker nor Fly.io can run
//! here, so each promise `fly.toml` and the `Dockerfile` make is compared with what the code
//! does: the port it listens on, the paths it serves, how long it takes to stop, the variables
//! it refuses to start without, and the subcommand the release step runs.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use mluvme::config::{Config, ConfigError};

fn root() -> &'static std::path::Path {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(file: &str) -> String {
    std::fs::read_to_string(root().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn fly() -> toml::Table {
    read("fly.toml").parse().expect("fly.toml is valid TOML")
}

/// `[env]` of fly.toml.
fn env(fly: &toml::Table) -> BTreeMap<String, String> {
    fly["env"]
        .as_table()
        .expect("[env]")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("[env] values are strings").to_owned()))
        .collect()
}

/// Secrets fly.toml's comments list, as `NAME=…`.
fn secrets() -> BTreeSet<String> {
    read("fly.toml")
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix('#'))
        .flat_map(|l| {
            l.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter_map(|word| {
            let (name, _) = word.split_once('=')?;
            (name.len() > 1
                && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
            .then(|| name.to_owned())
        })
        .collect()
}

/// A value of the right shape for a secret (the real ones are never in the repository).
fn sample(secret: &str) -> String {
    match secret {
        "TELOXIDE_TOKEN" => "123456:ABC-sample".into(),
        "DATABASE_URL" => "postgres://mluvme:pw@mluvme-db.flycast:5432/mluvme".into(),
        "REDIS_URL" => "redis://default:pw@fly-mluvme-redis.upstash.io:6379".into(),
        "WEBHOOK_SECRET" => "0123456789abcdef".into(),
        "ADMIN_IDS" => "1234".into(),
        _ => "sample".into(),
    }
}

/// The configuration the deployed machines get, found the way the bot finds it: starting from
/// `[env]` alone, each variable the bot says is missing must be one fly.toml provides (in `[env]`
/// or as a listed secret). Returns the configuration and the variables it needed.
fn deployed_config() -> (Config, BTreeSet<String>) {
    let (env, secrets) = (env(&fly()), secrets());
    let mut given: BTreeMap<String, String> = env.clone();
    let mut required = BTreeSet::new();
    loop {
        match Config::from_lookup(|k| given.get(k).cloned()) {
            Ok(_) => {
                // Secrets listed but not required (REDIS_URL, ADMIN_IDS, DATABASE_URL…) are set too.
                for s in &secrets {
                    given.entry(s.clone()).or_insert_with(|| sample(s));
                }
                return (
                    Config::from_lookup(|k| given.get(k).cloned())
                        .expect("every listed secret has a valid shape"),
                    required,
                );
            }
            Err(ConfigError::Missing { var, .. }) => {
                assert!(
                    secrets.contains(var),
                    "the bot refuses to start without {var}: add it to fly.toml's [env] or to the secrets comment (listed: {secrets:?})"
                );
                assert!(required.insert(var.to_owned()), "{var} still missing after it was given");
                given.insert(var.to_owned(), sample(var));
            }
            Err(e) => panic!("fly.toml's [env] is not a valid configuration: {e}"),
        }
    }
}

/// `"60s"`, `"2m"` or a number of seconds.
fn seconds(v: &toml::Value) -> Duration {
    if let Some(n) = v.as_integer() {
        return Duration::from_secs(n as u64);
    }
    let s = v.as_str().expect("a duration");
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = n.parse().expect("a number");
    Duration::from_secs(match unit {
        "" | "s" => n,
        "m" => n * 60,
        other => panic!("unexpected unit {other}"),
    })
}

#[test]
fn the_http_service_reaches_the_port_the_bot_listens_on() {
    let fly = fly();
    let port = fly["http_service"]["internal_port"].as_integer().expect("internal_port");
    assert_eq!(
        env(&fly).get("PORT").map(String::as_str),
        Some(port.to_string().as_str()),
        "[env] PORT = internal_port"
    );
    assert_eq!(deployed_config().0.port, Some(port as u16), "the bot reads that PORT");
    assert_eq!(
        fly["http_service"]["force_https"].as_bool(),
        Some(true),
        "Telegram and everyone else over https"
    );
}

#[test]
fn several_machines_run_in_webhook_mode_on_postgresql_and_share_their_audio() {
    let fly = fly();
    let service = fly["http_service"].as_table().unwrap();
    let min = service["min_machines_running"].as_integer().unwrap_or(0);
    assert!(min >= 2, "several machines: min_machines_running = {min}");
    let auto_stop = &service["auto_stop_machines"];
    assert!(
        auto_stop.as_str() == Some("off") || auto_stop.as_bool() == Some(false),
        "a bot must keep running: auto_stop_machines = {auto_stop:?}"
    );
    let (config, _) = deployed_config();
    let webhook = config
        .webhook
        .as_ref()
        .expect("several machines need webhook mode (long polling allows one)");
    let app = fly["app"].as_str().unwrap();
    assert_eq!(
        webhook.url.host_str(),
        Some(format!("{app}.fly.dev").as_str()),
        "the webhook is this app's address"
    );
    assert!(
        config.database_url.starts_with("postgres"),
        "several machines share PostgreSQL, not a SQLite file: DATABASE_URL must be a listed secret"
    );
    assert!(
        config.audio_s3.is_some(),
        "several machines share an audio bucket, not a machine's disk"
    );
    assert!(!fly.contains_key("mounts"), "no volume: nothing lives on one machine");
}

#[test]
fn the_health_checks_ask_paths_the_bot_serves() {
    let fly = fly();
    let checks = fly["http_service"]["checks"].as_array().expect("[[http_service.checks]]");
    let paths: BTreeSet<&str> =
        checks.iter().map(|c| c["path"].as_str().expect("a check's path")).collect();
    assert_eq!(paths, BTreeSet::from(["/healthz", "/readyz"]), "liveness and readiness");
    // The router is built from a running App (database, Telegram), so its source is read instead.
    let router = read("src/server/mod.rs");
    for path in paths {
        assert!(
            router.contains(&format!(".route(\"{path}\", get(")),
            "the operations server routes GET {path}"
        );
    }
    for check in checks {
        assert_eq!(check["method"].as_str(), Some("GET"));
        assert!(
            seconds(&check["timeout"]) >= Duration::from_secs(3),
            "readiness probes take up to 2 s each: {check:?}"
        );
    }
}

#[test]
fn a_stop_is_given_longer_than_the_bot_takes_to_wind_down() {
    let fly = fly();
    assert_eq!(fly["kill_signal"].as_str(), Some("SIGTERM"), "the signal the bot winds down on");
    let kill = seconds(&fly["kill_timeout"]);
    let grace = deployed_config().0.shutdown_grace;
    // Turns in flight and background summaries share the grace period, then audio uploads get
    // what is left of it or 5 s (src/intake/mod.rs, `wind_down`); a margin on top.
    assert!(
        kill >= grace + Duration::from_secs(15),
        "kill_timeout {kill:?} must cover SHUTDOWN_GRACE_SECONDS ({grace:?}), the audio flush and a margin"
    );
    let default_grace = Config::from_lookup(|k| {
        [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")]
            .into_iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_owned())
    })
    .unwrap()
    .shutdown_grace;
    assert!(kill > default_grace, "and the default grace too");
}

#[test]
fn every_variable_the_bot_requires_is_set_in_env_or_listed_as_a_secret() {
    let (_, required) = deployed_config();
    for var in [
        "TELOXIDE_TOKEN",
        "OPENAI_API_KEY",
        "WEBHOOK_SECRET",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        assert!(
            required.contains(var),
            "{var} is required by this deployment and listed: {required:?}"
        );
    }
    let env = env(&fly());
    for secret in secrets() {
        assert!(!env.contains_key(&secret), "{secret} is a secret: it must not be in [env]");
    }
}

#[test]
fn the_release_command_is_a_subcommand_that_migrates_the_database() {
    let fly = fly();
    let release = fly["deploy"]["release_command"].as_str().expect("[deploy] release_command");
    let mut words = release.split_whitespace();
    assert_eq!(words.next(), Some("mluvme"), "runs the bot's binary");
    let args: Vec<&str> = words.collect();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("release.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mluvme"))
        .args(&args)
        .env_clear()
        .env("DATABASE_URL", format!("sqlite://{}?mode=rwc", db.display()))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(out.status.success(), "`{release}` failed: {}", String::from_utf8_lossy(&out.stderr));
    let created = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    assert!(created > 0, "`{release}` created the schema");
}

#[test]
fn the_image_builds_the_bot_and_runs_it_as_a_non_root_user() {
    let dockerfile = read("Dockerfile");
    let lines: Vec<&str> =
        dockerfile.lines().map(str::trim).filter(|l| !l.starts_with('#')).collect();
    let stages: Vec<usize> =
        lines.iter().enumerate().filter(|(_, l)| l.starts_with("FROM ")).map(|(i, _)| i).collect();
    assert!(stages.len() >= 2, "multi-stage: a builder and a small runtime");
    let (builder, runtime) =
        (&lines[stages[0]..stages[stages.len() - 1]], &lines[stages[stages.len() - 1]..]);
    let builder_name =
        builder[0].rsplit_once(" AS ").map(|(_, n)| n.trim()).expect("the builder stage is named");
    let build = builder.join(" ");
    assert!(
        build.contains("cargo build --release") && build.contains("-p mluvme"),
        "the builder builds the mluvme package in release mode"
    );

    let run = runtime.join("\n");
    let base = runtime[0].trim_start_matches("FROM ").trim();
    assert!(
        base.starts_with("gcr.io/distroless/cc") || run.contains("ca-certificates"),
        "the runtime has the CA certificates the OpenAI and S3 clients read: {base}"
    );
    let copy = runtime
        .iter()
        .find(|l| l.starts_with(&format!("COPY --from={builder_name} ")))
        .expect("the runtime copies from the builder");
    let dest = copy.split_whitespace().last().unwrap();
    assert!(
        copy.split_whitespace().nth(2).is_some_and(|src| src.ends_with("/mluvme")),
        "copies the mluvme binary: {copy}"
    );
    let user = runtime
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("USER "))
        .map(str::trim)
        .or_else(|| base.ends_with(":nonroot").then_some("nonroot"));
    assert!(
        user.is_some_and(|u| !matches!(u.split(':').next(), Some("root" | "0"))),
        "runs as a non-root user: {user:?}"
    );
    let cmd = runtime.iter().find_map(|l| l.strip_prefix("CMD ")).expect("a CMD");
    let program = cmd.trim_start_matches('[').split(',').next().unwrap().trim().trim_matches('"');
    assert!(
        dest == "/usr/local/bin/mluvme" && program == "mluvme",
        "the binary is on PATH as `mluvme` (the release command's program): {dest}, {program}"
    );
    assert!(!run.contains("ENTRYPOINT"), "no entrypoint: Fly runs the release command as given");
}
