//! Opening the object store the configuration names: the local audio directory, or an
//! S3-compatible bucket.

use std::path::{Component, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use object_store::{ClientOptions, ObjectStore, RetryConfig};

use super::AudioError;
use crate::config::{Config, S3Settings};

/// Where the audio goes, for log lines and for the number of writers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    Local { root: PathBuf },
    S3 { bucket: String },
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Backend::Local { root } => write!(f, "directory {}", root.display()),
            Backend::S3 { bucket } => write!(f, "S3 bucket {bucket}"),
        }
    }
}

/// The store `config` names. S3 settings that cannot make a client (a malformed endpoint) stop
/// start-up; a local directory that cannot be created does not (see [`local`]).
pub fn open(config: &Config) -> Result<(Arc<dyn ObjectStore>, Backend), AudioError> {
    match &config.audio_s3 {
        Some(s3) => Ok((Arc::new(bucket(s3)?), Backend::S3 { bucket: s3.bucket.clone() })),
        None => Ok((local(&config.audio_dir), Backend::Local { root: config.audio_dir.clone() })),
    }
}

/// Path-style requests (`endpoint/bucket/key`, what MinIO, Tigris and the emulator take), with
/// the keys given rather than looked up in the environment, so the configuration is the one
/// place settings come from. No retries inside the client: the audio queue retries writes
/// itself (twice, counted and logged), a failed read falls back to speaking again, and a failed
/// retention pass runs again the next hour — a three-minute retry loop here would only hold a
/// writer.
fn bucket(s3: &S3Settings) -> Result<object_store::aws::AmazonS3, AudioError> {
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(&s3.bucket)
        .with_region(&s3.region)
        .with_access_key_id(&s3.access_key_id)
        .with_secret_access_key(&s3.secret_access_key)
        .with_virtual_hosted_style_request(false)
        .with_retry(RetryConfig {
            max_retries: 0,
            retry_timeout: Duration::from_secs(30),
            ..Default::default()
        })
        .with_client_options(
            ClientOptions::new()
                .with_timeout(Duration::from_secs(30))
                .with_connect_timeout(Duration::from_secs(5)),
        );
    if let Some(endpoint) = &s3.endpoint {
        builder = builder
            .with_endpoint(endpoint.as_str().trim_end_matches('/'))
            .with_allow_http(endpoint.scheme() == "http");
    }
    builder.build().map_err(|e| AudioError::Open(format!("S3 bucket {}: {e}", s3.bucket)))
}

/// `AUDIO_DIR`, created if missing. Empty day directories are removed as retention empties them.
///
/// A directory that cannot be created (a full or read-only disk, a path through a file) does
/// not stop the bot: learners are still answered, every write is retried, counted and logged,
/// and saving starts working once the directory can be made.
fn local(root: &std::path::Path) -> Arc<dyn ObjectStore> {
    let opened = std::fs::create_dir_all(root)
        .map_err(|e| e.to_string())
        .and_then(|()| LocalFileSystem::new_with_prefix(root).map_err(|e| e.to_string()));
    match opened {
        Ok(fs) => Arc::new(fs.with_automatic_cleanup(true)),
        Err(e) => {
            tracing::error!(dir = %root.display(), error = %e, "AUDIO_DIR cannot be created; audio will not be saved until it can");
            let absolute = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
            let parts = absolute.components().filter_map(|c| match c {
                Component::Normal(part) => part.to_str(),
                _ => None,
            });
            Arc::new(PrefixStore::new(
                LocalFileSystem::new(),
                object_store::path::Path::from_iter(parts),
            ))
        }
    }
}
