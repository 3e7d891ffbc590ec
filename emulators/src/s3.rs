//! A minimal S3-compatible object store on loopback, for the bot's S3 audio storage.
//!
//! It speaks the part of the S3 REST API that `object_store`'s `AmazonS3` uses with path-style
//! requests (`http://127.0.0.1:PORT/<bucket>/<key>`): PUT, GET, HEAD and DELETE of an object,
//! multi-object delete (`POST /<bucket>?delete`) and ListObjectsV2 (prefix, delimiter,
//! continuation), with S3's XML shapes, headers and error codes. Signatures are not checked
//! (the point is the bot's behaviour, not SigV4), but a request without an `Authorization`
//! header is refused with 403 as S3 would refuse an anonymous one — so a bot that forgot its
//! credentials fails here too. Tests can seed objects, inspect the bucket, and make the next
//! PUTs fail with 503 to exercise retries.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use parking_lot::Mutex;

/// Objects one ListObjectsV2 page holds at most (S3's own cap is 1,000).
pub const DEFAULT_PAGE_SIZE: usize = 1000;

#[derive(Clone, Debug)]
struct Object {
    bytes: Bytes,
    /// Seconds since the Unix epoch.
    modified: u64,
    etag: String,
}

#[derive(Default)]
struct Inner {
    buckets: HashMap<String, BTreeMap<String, Object>>,
    failing_puts: usize,
    page_size: usize,
    counts: RequestCounts,
    next_etag: u64,
}

/// How many requests of each kind the emulator answered (refused ones included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestCounts {
    pub put: usize,
    pub get: usize,
    pub head: usize,
    pub delete: usize,
    pub list: usize,
    /// PUTs answered 503 by [`S3Emulator::fail_next_puts`].
    pub failed_puts: usize,
    /// Requests refused for lacking an `Authorization` header.
    pub unauthorized: usize,
}

struct Shared {
    inner: Mutex<Inner>,
    shutdown_tx: tokio::sync::watch::Sender<bool>,
}

/// The emulator; the server stops when it is dropped.
pub struct S3Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    _task: tokio::task::JoinHandle<()>,
}

impl Drop for S3Emulator {
    fn drop(&mut self) {
        self.shared.shutdown_tx.send_replace(true);
    }
}

impl S3Emulator {
    /// Starts serving on `127.0.0.1:<free port>` with these (empty) buckets.
    pub async fn start(buckets: &[&str]) -> anyhow::Result<Self> {
        let inner = Inner {
            buckets: buckets.iter().map(|b| (b.to_string(), BTreeMap::new())).collect(),
            page_size: DEFAULT_PAGE_SIZE,
            ..Default::default()
        };
        let (shutdown_tx, _) = tokio::sync::watch::channel(false);
        let shared = Arc::new(Shared { inner: Mutex::new(inner), shutdown_tx });
        let router = Router::new()
            .route("/{bucket}", any(bucket_request))
            .route("/{bucket}/", any(bucket_request))
            .route("/{bucket}/{*key}", any(object_request))
            .with_state(shared.clone());
        let (addr, task) =
            crate::loopback::serve_loopback(router, shared.shutdown_tx.subscribe()).await?;
        Ok(Self { shared, addr, _task: task })
    }

    /// `http://127.0.0.1:PORT`: the endpoint for path-style requests.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The keys in `bucket`, sorted.
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        self.shared
            .inner
            .lock()
            .buckets
            .get(bucket)
            .map(|b| b.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// An object's content.
    pub fn object(&self, bucket: &str, key: &str) -> Option<Bytes> {
        self.shared.inner.lock().buckets.get(bucket)?.get(key).map(|o| o.bytes.clone())
    }

    /// Stores an object directly (as if uploaded earlier), e.g. audio from long ago.
    pub fn insert(&self, bucket: &str, key: &str, bytes: impl Into<Bytes>) {
        let mut inner = self.shared.inner.lock();
        let etag = inner.etag();
        let object = Object { bytes: bytes.into(), modified: now_secs(), etag };
        inner.buckets.entry(bucket.to_owned()).or_default().insert(key.to_owned(), object);
    }

    /// Removes an object directly (as if deleted by someone else).
    pub fn remove(&self, bucket: &str, key: &str) -> bool {
        self.shared.inner.lock().buckets.get_mut(bucket).is_some_and(|b| b.remove(key).is_some())
    }

    /// The next `n` object PUTs are answered `503 SlowDown` (and store nothing).
    pub fn fail_next_puts(&self, n: usize) {
        self.shared.inner.lock().failing_puts = n;
    }

    /// Objects and common prefixes per ListObjectsV2 page (at least 1), to exercise continuation.
    pub fn set_page_size(&self, n: usize) {
        self.shared.inner.lock().page_size = n.max(1);
    }

    pub fn counts(&self) -> RequestCounts {
        self.shared.inner.lock().counts
    }
}

impl Inner {
    fn etag(&mut self) -> String {
        self.next_etag += 1;
        format!("\"{:032x}\"", self.next_etag)
    }
}

type St = State<Arc<Shared>>;

/// Requests on a bucket: ListObjectsV2 (GET) and multi-object delete (`POST ?delete`).
async fn bucket_request(
    State(shared): St,
    method: Method,
    Path(bucket): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut inner = shared.inner.lock();
    if !headers.contains_key(header::AUTHORIZATION) {
        inner.counts.unauthorized += 1;
        return error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied", &bucket);
    }
    let page_size = inner.page_size;
    match method {
        Method::GET if q.get("list-type").map(String::as_str) == Some("2") => {
            inner.counts.list += 1;
            let Some(objects) = inner.buckets.get(&bucket) else { return no_such_bucket(&bucket) };
            list(objects, &q, page_size).into_response()
        }
        Method::POST if q.contains_key("delete") => {
            inner.counts.delete += 1;
            let Some(objects) = inner.buckets.get_mut(&bucket) else {
                return no_such_bucket(&bucket);
            };
            let text = String::from_utf8_lossy(&body);
            let mut out = String::from(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
            );
            for key in elements(&text, "Key") {
                objects.remove(&key);
                out.push_str(&format!("<Deleted><Key>{}</Key></Deleted>", escape(&key)));
            }
            out.push_str("</DeleteResult>");
            xml(out)
        }
        _ => error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "A header or query you provided implies functionality that is not implemented",
            &bucket,
        ),
    }
}

/// Requests on one object.
async fn object_request(
    State(shared): St,
    method: Method,
    Path((bucket, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut inner = shared.inner.lock();
    if !headers.contains_key(header::AUTHORIZATION) {
        inner.counts.unauthorized += 1;
        return error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied", &key);
    }
    match method {
        Method::PUT => {
            inner.counts.put += 1;
            if inner.failing_puts > 0 {
                inner.failing_puts -= 1;
                inner.counts.failed_puts += 1;
                return error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "SlowDown",
                    "Please reduce your request rate.",
                    &key,
                );
            }
            let etag = inner.etag();
            let Some(objects) = inner.buckets.get_mut(&bucket) else {
                return no_such_bucket(&bucket);
            };
            objects.insert(key, Object { bytes: body, modified: now_secs(), etag: etag.clone() });
            (StatusCode::OK, [(header::ETAG, etag)]).into_response()
        }
        Method::GET | Method::HEAD => {
            if method == Method::GET {
                inner.counts.get += 1;
            } else {
                inner.counts.head += 1;
            }
            let Some(objects) = inner.buckets.get(&bucket) else { return no_such_bucket(&bucket) };
            let Some(o) = objects.get(&key) else {
                if method == Method::HEAD {
                    return StatusCode::NOT_FOUND.into_response();
                }
                return error(
                    StatusCode::NOT_FOUND,
                    "NoSuchKey",
                    "The specified key does not exist.",
                    &key,
                );
            };
            let mut h = HeaderMap::new();
            h.insert(header::ETAG, HeaderValue::from_str(&o.etag).unwrap());
            h.insert(header::LAST_MODIFIED, HeaderValue::from_str(&http_date(o.modified)).unwrap());
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(o.bytes.len()));
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
            let body = if method == Method::GET { o.bytes.clone() } else { Bytes::new() };
            (StatusCode::OK, h, body).into_response()
        }
        Method::DELETE => {
            inner.counts.delete += 1;
            let Some(objects) = inner.buckets.get_mut(&bucket) else {
                return no_such_bucket(&bucket);
            };
            // S3 answers 204 whether or not the key existed.
            objects.remove(&key);
            StatusCode::NO_CONTENT.into_response()
        }
        _ => error(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "A header or query you provided implies functionality that is not implemented",
            &key,
        ),
    }
}

/// One ListObjectsV2 page: keys under `prefix` after the continuation token (or `start-after`),
/// keys containing the delimiter past the prefix rolled up into common prefixes.
fn list(
    objects: &BTreeMap<String, Object>,
    q: &HashMap<String, String>,
    page_size: usize,
) -> Response {
    let prefix = q.get("prefix").cloned().unwrap_or_default();
    let delimiter = q.get("delimiter").filter(|d| !d.is_empty()).cloned();
    let max_keys = q
        .get("max-keys")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .min(page_size)
        .max(1);
    let after = q.get("continuation-token").or_else(|| q.get("start-after")).cloned();
    let (mut contents, mut prefixes, mut last, mut truncated) =
        (String::new(), String::new(), None::<String>, false);
    let mut count = 0;
    for (key, o) in objects.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)) {
        if let Some(a) = &after {
            // A token naming a common prefix skips everything under it.
            if key <= a
                || (delimiter.as_ref().is_some_and(|d| a.ends_with(d.as_str()))
                    && key.starts_with(a.as_str()))
            {
                continue;
            }
        }
        let rolled = delimiter.as_ref().and_then(|d| {
            key[prefix.len()..]
                .find(d.as_str())
                .map(|i| key[..prefix.len() + i + d.len()].to_owned())
        });
        if rolled.is_some() && last == rolled {
            continue;
        }
        if count == max_keys {
            truncated = true;
            break;
        }
        count += 1;
        match rolled {
            Some(common) => {
                prefixes.push_str(&format!(
                    "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
                    escape(&common)
                ));
                last = Some(common);
            }
            None => {
                contents.push_str(&format!(
                    "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass></Contents>",
                    escape(key),
                    iso_date(o.modified),
                    escape(&o.etag),
                    o.bytes.len()
                ));
                last = Some(key.clone());
            }
        }
    }
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    out.push_str(&format!("<Prefix>{}</Prefix><KeyCount>{count}</KeyCount><MaxKeys>{max_keys}</MaxKeys><IsTruncated>{truncated}</IsTruncated>", escape(&prefix)));
    if let Some(d) = &delimiter {
        out.push_str(&format!("<Delimiter>{}</Delimiter>", escape(d)));
    }
    out.push_str(&contents);
    out.push_str(&prefixes);
    if let (true, Some(token)) = (truncated, &last) {
        out.push_str(&format!("<NextContinuationToken>{}</NextContinuationToken>", escape(token)));
    }
    out.push_str("</ListBucketResult>");
    xml(out)
}

fn no_such_bucket(bucket: &str) -> Response {
    error(StatusCode::NOT_FOUND, "NoSuchBucket", "The specified bucket does not exist", bucket)
}

/// S3's error body.
fn error(status: StatusCode, code: &str, message: &str, resource: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><Resource>{}</Resource><RequestId>emulator</RequestId></Error>",
        escape(resource)
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

fn xml(body: String) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The texts of every `<name>…</name>` element (enough for a Delete request's keys).
fn elements(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(unescape(&after[..end]));
        rest = &after[end + close.len()..];
    }
    out
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// (year, month, day, hour, minute, second, weekday 0 = Sunday) of a Unix time, in UTC.
fn civil(secs: u64) -> (i64, u32, u32, u64, u64, u64, usize) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = (days + 4).rem_euclid(7) as usize;
    (year, month, day, rem / 3600, rem % 3600 / 60, rem % 60, weekday)
}

/// `Sat, 28 Nov 2026 10:00:00 GMT` (the `Last-Modified` header).
fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (y, mo, d, h, mi, s, wd) = civil(secs);
    format!("{}, {d:02} {} {y} {h:02}:{mi:02}:{s:02} GMT", DAYS[wd], MONTHS[mo as usize - 1])
}

/// `2026-11-28T10:00:00.000Z` (a listing's `LastModified`).
fn iso_date(secs: u64) -> String {
    let (y, mo, d, h, mi, s, _) = civil(secs);
    format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.000Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rendered_as_s3_renders_them() {
        assert_eq!(http_date(1_795_860_000), "Sat, 28 Nov 2026 10:00:00 GMT");
        assert_eq!(iso_date(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_date(951_782_400), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn a_delete_request_yields_its_keys_unescaped() {
        let body = "<Delete><Object><Key>a/b.ogg</Key></Object><Object><Key>x&amp;y</Key></Object></Delete>";
        assert_eq!(elements(body, "Key"), vec!["a/b.ogg", "x&y"]);
    }
}
