//! `deploy/local-ai/`: the environment values README's "Run it without OpenAI" gives, checked
//! against the bot they configure and the compose file that starts the servers. Docker cannot run
//! here; what the servers answer is tested by the contract fixtures (`tests/fixtures/ai/`, fed to
//! the bot in `tests/bot/ecosystem.rs`) and by the whole conversation suite in the emulator's
//! minimal shapes (`EMULATOR_SHAPES=minimal`).

use std::collections::HashMap;

use mluvme::config::Config;

fn read(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// `NAME=value` lines, as `set -a; . file` reads them (single quotes around a value dropped).
fn env_file() -> HashMap<String, String> {
    read("deploy/local-ai/local-ai.env")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or_else(|| panic!("not NAME=value: {l}"));
            let v = v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).unwrap_or(v);
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn config() -> Config {
    let mut vars = env_file();
    vars.insert("TELOXIDE_TOKEN".into(), "123456:ABC".into());
    Config::from_lookup(|k| vars.get(k).cloned()).expect("local-ai.env is a valid configuration")
}

#[test]
fn chat_speech_to_text_and_text_to_speech_each_go_to_their_local_server() {
    let c = config();
    assert_eq!(c.openai_base_url.as_deref(), Some("http://localhost:11434/v1"));
    assert_eq!(c.stt_server.base_url.as_deref(), Some("http://localhost:8000/v1"));
    assert_eq!(c.tts_server.base_url.as_deref(), Some("http://localhost:8001/v1"));
    let compose = read("deploy/local-ai/compose.yaml");
    for port in ["\"11434:11434\"", "\"8000:8000\"", "\"8001:8000\""] {
        assert!(compose.contains(port), "compose.yaml publishes {port}");
    }
}

#[test]
fn the_local_models_are_priced_at_zero_and_the_voice_is_czech() {
    let c = config();
    assert_eq!(c.prices.chat_micros(&c.models.main, 1000, 1000), Some(0));
    assert_eq!(c.prices.chat_micros(&c.models.simple, 1000, 1000), Some(0));
    assert_eq!(c.prices.stt_micros(&c.models.stt, 60.0), Some(0));
    assert_eq!(c.prices.tts_micros(&c.models.tts, 1000), Some(0));
    assert!(!c.models.stt.ends_with(".en"), "a multilingual Whisper: {}", c.models.stt);
    let voices = read("deploy/local-ai/voice_to_speaker.yaml");
    let mapped = format!("{}:\n  {}:\n    model: voices/cs_CZ-", c.models.tts, c.models.tts_voice);
    assert!(voices.contains(&mapped), "TTS_VOICE is a Czech Piper voice of TTS_MODEL: {voices}");
    let compose = read("deploy/local-ai/compose.yaml");
    for pulled in [&c.models.main, &c.models.stt] {
        assert!(compose.contains(pulled.as_str()), "compose.yaml says how to pull {pulled}");
    }
}
