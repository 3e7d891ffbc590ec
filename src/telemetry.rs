//! Logging: one subscriber for the whole process, filtered by `RUST_LOG` (default `info`), in
//! the format `LOG_FORMAT` names ([`LogFormat`]). Log lines carry ids and outcomes, never message
//! contents, tokens or keys.
//!
//! In JSON each line is one object: the event's own fields at the top level (`message`, `error`,
//! …), the innermost span as `span` and every enclosing span in `spans`. An update's handling
//! runs inside the intake's `update` span (`update_id`, `chat`, `user`, `kind`) and a turn's
//! stages in child spans (`stt`, `llm`, …), so a log store finds every line of one update by its
//! `update_id`, whichever stage wrote it.

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

pub use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let _ = tracing::subscriber::set_global_default(subscriber(format, std::io::stderr));
}

/// The subscriber [`init`] installs, writing to `writer` (tests read what it writes).
pub fn subscriber<W>(format: LogFormat, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    // async-openai logs a body it cannot parse whole, at error level: a learner's words or
    // Honzík's. Off whatever `RUST_LOG` says; the bot logs such failures itself, without content.
    let quiet: tracing_subscriber::filter::Directive =
        "async_openai=off".parse().expect("a static directive");
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,hyper=warn,reqwest=warn"))
        .add_directive(quiet);
    let fmt = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    match format {
        LogFormat::Text => Box::new(fmt.with_writer(writer).finish()),
        LogFormat::Json => Box::new(
            fmt.json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(true)
                .with_writer(writer)
                .finish(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Lines {
        type Writer = Lines;
        fn make_writer(&'w self) -> Lines {
            self.clone()
        }
    }

    #[test]
    fn a_json_line_carries_the_update_span_and_its_stage_and_no_message_content() {
        let secret = "Jmenuju se Olga a bydlím v Brně";
        let raw = serde_json::json!({ "update_id": 4711, "message": {
            "message_id": 3, "date": 1_700_000_000, "text": secret,
            "chat": { "id": 42, "type": "private", "first_name": "Olga" },
            "from": { "id": 42, "is_bot": false, "first_name": "Olga" } } });
        let update = crate::update_json::read(raw).unwrap();
        let lines = Lines::default();
        tracing::subscriber::with_default(subscriber(LogFormat::Json, lines.clone()), || {
            let _update = crate::intake::update_span(&update).entered();
            let _stage = tracing::info_span!("llm").entered();
            tracing::info!(tokens = 12, "answered");
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
        assert_eq!(line["message"], "answered");
        assert_eq!(line["tokens"], 12);
        assert_eq!(line["span"]["name"], "llm", "the stage: {line}");
        let update_span = &line["spans"][0];
        assert_eq!(update_span["name"], "update");
        assert_eq!(update_span["update_id"], 4711);
        assert_eq!(update_span["chat"], 42);
        assert_eq!(update_span["user"], 42);
        assert_eq!(update_span["kind"], "message");
        assert!(!text.contains("Olga") && !text.contains("Brně"), "no content, no name: {text}");
    }
}
