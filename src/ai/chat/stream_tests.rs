//! The stream read against a bare HTTP server that answers each connection with the bytes it is
//! given: events a server may send that the emulator does not (comments, keepalives, a body cut
//! off mid-stream, an error page), and the request as it leaves.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;
use crate::ai::client::{AiError, classify};
use crate::ai::upstream::{Gates, retry::RetryPolicy};
use crate::config::UpstreamLimits;

/// The server's address (with `/v1`, as a compatible base URL) and the requests it was sent.
struct Server {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

/// A server answering its first connections with `responses`, one each, then closing them.
async fn serve(responses: Vec<Vec<u8>>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    tokio::spawn(async move {
        for response in responses {
            let (mut socket, _) = listener.accept().await.unwrap();
            let request = read_request(&mut socket).await;
            seen.lock().unwrap().push(request);
            socket.write_all(&response).await.unwrap();
            let _ = socket.shutdown().await;
        }
    });
    Server { base, requests }
}

/// One request, head and body (by its `content-length`).
async fn read_request(socket: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length:").map(str::to_owned)
                })
                .map_or(0, |n| n.trim().parse::<usize>().unwrap());
            if buf.len() >= end + 4 + length {
                return text;
            }
        }
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the request ended early");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A 200 event stream of `frames`, chunked; `whole: false` cuts the connection before its end.
fn sse(frames: &[String], whole: bool) -> Vec<u8> {
    let mut out = String::from(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
    );
    for f in frames {
        out += &format!("{:x}\r\n{f}\r\n", f.len());
    }
    if whole {
        out += "0\r\n\r\n";
    }
    out.into_bytes()
}

/// A response of `status` with a body.
fn answer(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A `data:` event of one content piece.
fn piece(text: &str) -> String {
    let chunk =
        json!({ "choices": [{ "index": 0, "delta": { "content": text }, "finish_reason": null }] });
    format!("data: {chunk}\n\n")
}

/// The chat server at `base` with key `sk-test`, behind a guarded service allowing `retries`.
fn upstream(base: &str, retries: u32) -> (OpenAIConfig, GuardedHttp) {
    let limits = UpstreamLimits {
        deadline: Duration::from_secs(10),
        max_retries: retries,
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
        max_concurrent_chat: 4,
        max_concurrent_stt: 4,
        max_concurrent_tts: 4,
        breaker_failures: 100,
        breaker_cooldown: Duration::from_secs(60),
    };
    let policy = RetryPolicy {
        max_retries: retries,
        base: limits.backoff_base,
        cap: limits.backoff_max,
        attempt_timeout: Duration::from_secs(5),
        deadline: limits.deadline,
    };
    // As the app does before any client is built.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let service = GuardedHttp::new(reqwest::Client::new(), policy, Gates::new(&limits));
    let config = OpenAIConfig::new().with_api_key("sk-test").with_api_base(base);
    (config, service)
}

/// Streams one request to `server`; the answer and the words handed over early.
async fn stream(server: &Server, retries: u32) -> (Result<Streamed, OpenAIError>, Option<String>) {
    let (config, service) = upstream(&server.base, retries);
    let (early, words) = EarlyWords::new();
    let mut body = json!({ "model": "gpt-4o-mini", "messages": [] });
    streaming(&mut body);
    let result = read(&config, &service, &body, &early).await;
    drop(early);
    (result, words.await.ok())
}

#[tokio::test]
async fn comments_and_keepalives_are_skipped_and_done_ends_the_stream() {
    let usage = json!({ "choices": [], "usage": { "prompt_tokens": 12, "completion_tokens": 7 } });
    let frames = vec![
        ": connected\n\n".to_owned(),
        // Not a chunk: read as one, it would be unreadable.
        "event: keepalive\ndata: {}\n\n".to_owned(),
        piece(r#"{"honzik_response": "Ahoj"#),
        ": still here\n\n".to_owned(),
        piece(r#"!", "mistakes": []}"#),
        format!(
            "data: {}\n\n",
            json!({ "choices": [{ "index": 0, "delta": {}, "finish_reason": "stop" }] })
        ),
        format!("data: {usage}\n\n"),
        "data: [DONE]\n\n".to_owned(),
        "data: not a chunk, and never read\n\n".to_owned(),
    ];
    let server = serve(vec![sse(&frames, true)]).await;
    let (result, words) = stream(&server, 0).await;
    let answer = result.unwrap();
    assert_eq!(answer.content(), r#"{"honzik_response": "Ahoj!", "mistakes": []}"#);
    assert!(answer.finished);
    assert_eq!(answer.tokens(), Some((12, 7)));
    assert_eq!(words.as_deref(), Some("Ahoj!"), "his words were handed over as they completed");
}

#[tokio::test]
async fn the_request_is_the_one_the_client_would_send() {
    let server = serve(vec![sse(&["data: [DONE]\n\n".to_owned()], true)]).await;
    let (result, _) = stream(&server, 0).await;
    assert_eq!(result.unwrap().content(), "");
    let request = server.requests.lock().unwrap()[0].clone();
    let (head, body) = request.split_once("\r\n\r\n").unwrap();
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("post /v1/chat/completions http/1.1\r\n"), "{head}");
    assert!(head.contains("\r\nauthorization: bearer sk-test\r\n"), "{head}");
    assert!(head.contains("\r\ncontent-type: application/json\r\n"), "{head}");
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["model"], "gpt-4o-mini");
}

#[tokio::test]
async fn an_error_status_before_the_stream_is_classified_as_any_other_requests() {
    let refusal = r#"{"error":{"message":"Unsupported value: 'stream' does not support true with this model.","type":"invalid_request_error","param":"stream","code":"unsupported_value"}}"#;
    let server = serve(vec![answer("400 Bad Request", "application/json", refusal)]).await;
    let (result, words) = stream(&server, 0).await;
    match classify(result.unwrap_err()) {
        AiError::Refused(msg) => {
            assert!(msg.starts_with("400 Unsupported value: 'stream'"), "{msg}");
        }
        other => panic!("a 400 is a refusal with its message: {other:?}"),
    }
    assert_eq!(words, None);

    let page = "<html><body>502 Bad Gateway</body></html>";
    let server = serve(vec![answer("502 Bad Gateway", "text/html", page)]).await;
    let (result, _) = stream(&server, 0).await;
    match classify(result.unwrap_err()) {
        AiError::Unavailable(msg) => assert!(msg.starts_with("502 <html>"), "{msg}"),
        other => panic!("a 502 is an outage: {other:?}"),
    }
}

#[tokio::test]
async fn a_server_error_before_the_stream_is_retried_by_the_guarded_service() {
    let busy = answer("503 Service Unavailable", "text/plain", "overloaded");
    let ok = sse(&[piece("Ahoj"), "data: [DONE]\n\n".to_owned()], true);
    let server = serve(vec![busy, ok]).await;
    let (result, _) = stream(&server, 1).await;
    assert_eq!(result.unwrap().content(), "Ahoj");
    assert_eq!(server.requests.lock().unwrap().len(), 2, "the stream was asked for again");
}

#[tokio::test]
async fn a_stream_that_breaks_off_after_its_headers_is_a_failed_request() {
    let frames = [piece(r#"{"honzik_response": "Ahoj"#)];
    let server = serve(vec![sse(&frames, false)]).await;
    let (result, _) = stream(&server, 3).await;
    let err = result.unwrap_err();
    assert!(matches!(err, OpenAIError::StreamError(_)), "{err:?}");
    match classify(err) {
        AiError::Unavailable(msg) => assert!(msg.starts_with("stream broke off"), "{msg}"),
        other => panic!("a broken stream is that request's failure: {other:?}"),
    }
    assert_eq!(server.requests.lock().unwrap().len(), 1, "not retried once the answer began");
}

#[tokio::test]
async fn an_unreadable_chunk_is_an_invalid_reply_that_never_quotes_it() {
    let said = "Mám rád Prahu";
    let frames = [
        piece(r#"{"honzik_response": "#),
        format!("data: {}\n\n", json!({ "choices": said })),
        "data: [DONE]\n\n".to_owned(),
    ];
    let server = serve(vec![sse(&frames, true)]).await;
    let (result, _) = stream(&server, 0).await;
    let err = result.unwrap_err();
    assert!(matches!(&err, OpenAIError::JSONDeserialize(_, text) if text.is_empty()), "{err:?}");
    match classify(err) {
        AiError::InvalidReply(why) => assert!(!why.contains("Prahu"), "{why}"),
        other => panic!("an unreadable chunk is an unreadable answer: {other:?}"),
    }
}
