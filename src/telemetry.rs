//! Logging: one subscriber for the whole process, filtered by `RUST_LOG` (default `info`).
//! Log lines carry ids and outcomes, never message contents, tokens or keys.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,hyper=warn,reqwest=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}
