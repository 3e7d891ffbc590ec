use super::*;
use std::collections::HashMap;

fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> =
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn log_format_is_text_by_default_json_on_request_and_anything_else_stops_the_start() {
    let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
    assert_eq!(cfg(&base).unwrap().log_format, LogFormat::Text);
    let json = cfg(&[base[0], base[1], ("LOG_FORMAT", "JSON")]).unwrap();
    assert_eq!(json.log_format, LogFormat::Json);
    let err = cfg(&[base[0], base[1], ("LOG_FORMAT", "logfmt")]).unwrap_err().to_string();
    assert!(err.contains("LOG_FORMAT") && err.contains("json"), "{err}");
}

#[test]
fn the_token_and_key_are_enough_and_defaults_fill_the_rest() {
    let c = cfg(&[("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")]).unwrap();
    assert!(c.database_url.starts_with("sqlite://"));
    assert_eq!(c.models.main, "gpt-4o");
    assert_eq!(c.models.simple, "gpt-4o-mini");
    assert_eq!(c.limits.max_voice_secs, 60);
    assert_eq!(
        (c.limits.sends_per_second, c.limits.chat_sends_per_second),
        (29.0, 0.95),
        "just under Telegram's 30/s and 1/s"
    );
    assert!(c.adaptive_model_selection);
    assert_eq!(c.group_chats, GroupChats::Reply);
    assert_eq!((c.redis_url, c.turns_per_minute), (None, 10), "in-process, ten turns a minute");
}

#[test]
fn in_webhook_mode_a_chat_lease_not_longer_than_the_grace_period_stops_start_up() {
    let hook = [
        ("TELOXIDE_TOKEN", "1:A"),
        ("OPENAI_API_KEY", "sk"),
        ("WEBHOOK_URL", "https://bot.example.com/telegram/hook"),
        ("WEBHOOK_SECRET", "s3cret-for-replicas"),
        ("PORT", "8080"),
    ];
    let with = |lease: &str, grace: &str| {
        let mut pairs = hook.to_vec();
        pairs.extend([("CHAT_LEASE_SECONDS", lease), ("SHUTDOWN_GRACE_SECONDS", grace)]);
        cfg(&pairs)
    };
    assert!(cfg(&hook).is_ok(), "the defaults (30 s lease, 25 s grace) fit");
    let err = with("20", "25").unwrap_err().to_string();
    assert!(
        err.starts_with("CHAT_LEASE_SECONDS=\"20\"")
            && err.contains("SHUTDOWN_GRACE_SECONDS (25 s)"),
        "{err}"
    );
    assert!(with("25", "25").is_err(), "equal is not longer");
    assert!(with("3", "2").is_ok());
    // Long polling has no leases: the grace period is the operator's to choose.
    let polling = [
        ("TELOXIDE_TOKEN", "1:A"),
        ("OPENAI_API_KEY", "sk"),
        ("CHAT_LEASE_SECONDS", "5"),
        ("SHUTDOWN_GRACE_SECONDS", "60"),
    ];
    assert!(cfg(&polling).is_ok());
}

#[test]
fn a_redis_url_is_taken_and_its_password_never_shown() {
    let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
    let mut pairs = base.to_vec();
    pairs.push(("REDIS_URL", "rediss://:hunter2@cache.internal:6380/0"));
    assert_eq!(
        cfg(&pairs).unwrap().redis_url.as_deref(),
        Some("rediss://:hunter2@cache.internal:6380/0")
    );
    let mut bad = base.to_vec();
    bad.push(("REDIS_URL", "mysql://:hunter2@h"));
    let err = cfg(&bad).unwrap_err().to_string();
    assert!(err.starts_with("REDIS_URL") && !err.contains("hunter2"), "{err}");
}

#[test]
fn group_chats_are_answered_or_ignored_by_configuration() {
    let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
    for (v, want) in [("reply", GroupChats::Reply), ("IGNORE", GroupChats::Ignore)] {
        let mut pairs = base.to_vec();
        pairs.push(("GROUP_CHATS", v));
        assert_eq!(cfg(&pairs).unwrap().group_chats, want, "{v}");
    }
}

#[test]
fn a_missing_token_names_the_variable_and_the_fix() {
    let err = cfg(&[("OPENAI_API_KEY", "sk")]).unwrap_err().to_string();
    assert!(err.contains("TELOXIDE_TOKEN") && err.contains("@BotFather"), "{err}");
}

#[test]
fn malformed_values_are_rejected_with_the_variable_name() {
    let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
    for (k, v) in [
        ("GROUP_CHATS", "sometimes"),
        ("ADMIN_IDS", "12,abc"),
        ("MAX_VOICE_SECONDS", "-3"),
        ("ADAPTIVE_MODEL_SELECTION", "maybe"),
        ("PRICES_JSON", "{oops"),
        ("DATABASE_URL", "mysql://x"),
        ("OPENAI_BASE_URL", "not a url"),
        ("TELEGRAM_SENDS_PER_SECOND", "0"),
        ("TELEGRAM_SENDS_PER_SECOND", "31"),
        ("TELEGRAM_SENDS_PER_SECOND", "-1"),
        ("TELEGRAM_SENDS_PER_SECOND", "NaN"),
        ("TELEGRAM_CHAT_SENDS_PER_SECOND", "0"),
        ("REDIS_URL", "localhost:6379"),
        ("REDIS_URL", "http://h"),
        ("TURNS_PER_MINUTE", "-1"),
    ] {
        let mut pairs = base.to_vec();
        pairs.push((k, v));
        let err = cfg(&pairs).unwrap_err().to_string();
        assert!(err.starts_with(k), "{err}");
    }
}

#[test]
fn webhook_mode_needs_an_https_url_a_valid_secret_and_a_port() {
    let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
    let c = cfg(&base).unwrap();
    assert!(c.port.is_none() && c.webhook.is_none(), "polling, no HTTP server by default");
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut pairs = base.to_vec();
        pairs.extend_from_slice(extra);
        cfg(&pairs)
    };
    let ok = with(&[
        ("WEBHOOK_URL", "https://bot.example/tg"),
        ("WEBHOOK_SECRET", "s3cret-_X"),
        ("PORT", "8080"),
    ])
    .unwrap();
    assert_eq!(ok.port, Some(8080));
    let wh = ok.webhook.unwrap();
    assert_eq!((wh.url.path(), wh.secret.as_str()), ("/tg", "s3cret-_X"));
    assert!(!format!("{wh:?}").contains("s3cret"), "the secret never reaches a log line");
    assert!(
        with(&[
            ("WEBHOOK_URL", "http://127.0.0.1:9000/tg"),
            ("WEBHOOK_SECRET", "s"),
            ("PORT", "9000")
        ])
        .is_ok(),
        "plain http on loopback"
    );
    for (extra, var) in [
        (
            &[("WEBHOOK_URL", "http://bot.example/tg"), ("WEBHOOK_SECRET", "s"), ("PORT", "1")][..],
            "WEBHOOK_URL",
        ),
        (&[("WEBHOOK_URL", "https://bot.example/tg"), ("PORT", "1")][..], "WEBHOOK_SECRET"),
        (
            &[
                ("WEBHOOK_URL", "https://bot.example/tg"),
                ("WEBHOOK_SECRET", "not ok!"),
                ("PORT", "1"),
            ][..],
            "WEBHOOK_SECRET",
        ),
        (&[("WEBHOOK_URL", "https://bot.example/tg"), ("WEBHOOK_SECRET", "s")][..], "PORT"),
        (&[("PORT", "0")][..], "PORT"),
        (&[("PORT", "http")][..], "PORT"),
    ] {
        let err = with(extra).unwrap_err().to_string();
        assert!(err.starts_with(var), "{extra:?}: {err}");
        assert!(!err.contains("not ok!"), "{err}");
    }
}

#[test]
fn database_passwords_never_appear_in_errors() {
    assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://***:***@h/db");
    let err = cfg(&[
        ("TELOXIDE_TOKEN", "1:A"),
        ("OPENAI_API_KEY", "sk"),
        ("DATABASE_URL", "mysql://root:hunter2@db/app?password=hunter3"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("DATABASE_URL"), "{err}");
    assert!(!err.contains("hunter") && !err.contains("root"), "{err}");
}

#[test]
fn url_redaction_masks_every_user_password_query_and_fragment_and_keeps_the_server() {
    for (raw, shown) in [
        ("postgres://bob:pw@db.internal:5432/app", "postgres://***:***@db.internal:5432/app"),
        ("postgres://bob@db.internal/app", "postgres://***@db.internal/app"),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://default:pw@cache:6380", "rediss://***:***@cache:6380"),
        ("postgres://db/app?sslmode=require&password=pw", "postgres://db/app?***"),
        ("https://hooks.example/x?token=pw#frag", "https://hooks.example/x?***#***"),
        ("sqlite://mluvme.db?mode=rwc", "sqlite://mluvme.db?***"),
        ("postgres://db.internal/app", "postgres://db.internal/app"),
        // Not URLs at all: what could be a credential still goes.
        ("bob:pw@db.internal:5432", "***@db.internal:5432"),
        ("localhost:6379?password=pw", "localhost:6379?***"),
    ] {
        let got = redact_url(raw);
        assert_eq!(got, shown, "{raw}");
        assert!(!got.contains("pw") && !got.contains("bob"), "{got}");
    }
}

#[test]
fn speech_servers_default_to_the_chat_server_and_each_can_be_moved_alone() {
    let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk-chat")];
    let c = cfg(&base).unwrap();
    let openai = AiServer { base_url: None, api_key: "sk-chat".into() };
    assert_eq!((&c.stt_server, &c.tts_server), (&openai, &openai));
    let local = [
        ("STT_BASE_URL", "http://speaches:8000/v1/"),
        ("STT_API_KEY", "none"),
        ("TTS_BASE_URL", "http://tts:8000/v1"),
    ];
    let c = cfg(&[&base[..], &local[..]].concat()).unwrap();
    assert_eq!(c.openai_base_url, None, "chat stays on OpenAI");
    assert_eq!(c.stt_server.base_url.as_deref(), Some("http://speaches:8000/v1"));
    assert_eq!(c.stt_server.api_key, "none");
    assert_eq!(c.tts_server.base_url.as_deref(), Some("http://tts:8000/v1"));
    assert_eq!(c.tts_server.api_key, "sk-chat", "no key of its own: the chat server's");
    let bad = cfg(&[&base[..], &[("STT_BASE_URL", "speaches:8000")][..]].concat());
    assert!(bad.unwrap_err().to_string().contains("STT_BASE_URL"));
}

#[test]
fn the_config_debug_output_never_shows_a_token_key_secret_or_password() {
    let c = cfg(&[
        ("TELOXIDE_TOKEN", "123456:TOKENSECRET"),
        ("TELOXIDE_API_URL", "https://apiuser:APIPASS@bot.example/?k=QUERYSECRET"),
        ("OPENAI_API_KEY", "sk-OPENAISECRET"),
        ("OPENAI_BASE_URL", "https://proxyuser:PROXYPASS@llm.example/v1"),
        ("STT_API_KEY", "STTKEYSECRET"),
        ("TTS_BASE_URL", "http://ttsuser:TTSPASS@tts.local:8000/v1"),
        ("DATABASE_URL", "postgres://dbuser:DBPASS@db.internal/app?sslpassword=SSLPASS"),
        ("REDIS_URL", "rediss://default:REDISPASS@cache.internal:6380"),
        ("WEBHOOK_URL", "https://bot.example/tg"),
        ("WEBHOOK_SECRET", "WEBHOOKSECRET"),
        ("PORT", "8080"),
        ("AUDIO_S3_BUCKET", "voices"),
        ("AWS_ACCESS_KEY_ID", "AKIAKEYID"),
        ("AWS_SECRET_ACCESS_KEY", "S3SECRET"),
    ])
    .unwrap();
    for shown in [format!("{c:?}"), format!("{c:#?}")] {
        for secret in [
            "TOKENSECRET",
            "APIPASS",
            "QUERYSECRET",
            "OPENAISECRET",
            "PROXYPASS",
            "STTKEYSECRET",
            "TTSPASS",
            "DBPASS",
            "SSLPASS",
            "dbuser",
            "REDISPASS",
            "WEBHOOKSECRET",
            "AKIAKEYID",
            "S3SECRET",
        ] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
        // Still useful to whoever reads it: which servers, which bucket, which port.
        for kept in ["db.internal", "cache.internal", "voices", "bot.example", "8080"] {
            assert!(shown.contains(kept), "{kept} missing from {shown}");
        }
    }
}

#[test]
fn the_http_server_is_bounded_by_default_and_its_settings_refuse_nonsense() {
    let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
    let c = cfg(&base).unwrap();
    assert_eq!(
        c.http,
        HttpSettings {
            ops_port: None,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 512,
        },
        "every endpoint on PORT as before, and every client bounded"
    );
    assert_eq!(c.database_statement_timeout, Duration::from_secs(30));
    let c = cfg(&[base[0], base[1], ("PORT", "8080"), ("OPS_PORT", "9091")]).unwrap();
    assert_eq!(c.http.ops_port, Some(9091));
    for (extra, var) in [
        (&[("PORT", "8080"), ("OPS_PORT", "8080")][..], "OPS_PORT"),
        (&[("OPS_PORT", "0")][..], "OPS_PORT"),
        (&[("HTTP_HEADER_TIMEOUT_SECONDS", "0")][..], "HTTP_HEADER_TIMEOUT_SECONDS"),
        (&[("HTTP_BODY_TIMEOUT_SECONDS", "soon")][..], "HTTP_BODY_TIMEOUT_SECONDS"),
        (&[("HTTP_REQUEST_TIMEOUT_SECONDS", "-1")][..], "HTTP_REQUEST_TIMEOUT_SECONDS"),
        (&[("HTTP_MAX_CONNECTIONS", "0")][..], "HTTP_MAX_CONNECTIONS"),
        (&[("DATABASE_STATEMENT_TIMEOUT_SECONDS", "0")][..], "DATABASE_STATEMENT_TIMEOUT_SECONDS"),
    ] {
        let mut pairs = base.to_vec();
        pairs.extend_from_slice(extra);
        let err = cfg(&pairs).unwrap_err().to_string();
        assert!(err.starts_with(var), "{extra:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    }
}

#[test]
fn upstream_limits_default_generously_and_the_deadline_follows_the_timeout() {
    let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
    let u = cfg(&base).unwrap().upstream;
    assert_eq!((u.deadline, u.max_retries, u.breaker_failures), (Duration::from_secs(90), 3, 5));
    assert_eq!(
        (u.max_concurrent_chat, u.max_concurrent_stt, u.max_concurrent_tts),
        (256, 256, 256)
    );
    let mut pairs = base.to_vec();
    pairs.push(("OPENAI_TIMEOUT_SECONDS", "1"));
    assert_eq!(cfg(&pairs).unwrap().upstream.deadline, Duration::from_millis(1500));
    pairs.push(("OPENAI_DEADLINE_SECONDS", "40"));
    assert_eq!(cfg(&pairs).unwrap().upstream.deadline, Duration::from_secs(40));
    pairs.push(("OPENAI_BREAKER_FAILURES", "0"));
    assert!(cfg(&pairs).unwrap_err().to_string().starts_with("OPENAI_BREAKER_FAILURES"));
}

#[test]
fn admin_settings_default_to_public_half_a_dollar_and_no_cap_and_refuse_nonsense() {
    use crate::admin::{access::AccessMode, quota::Allowance};
    let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
    let c = cfg(&base).unwrap();
    assert_eq!(
        (c.admin.access_mode, c.admin.default_quota, c.admin.spend_cap),
        (AccessMode::Public, Allowance::Daily(500_000), None)
    );
    let c = cfg(&[
        base[0],
        base[1],
        ("ACCESS_MODE", "allowlist"),
        ("ALLOWED_USERS", "5, 6"),
        ("DEFAULT_DAILY_QUOTA", "0"),
        ("SPEND_CAP_DAILY", "20"),
    ])
    .unwrap();
    assert_eq!(
        (c.admin.access_mode, c.admin.allowed_users, c.admin.default_quota, c.admin.spend_cap),
        (AccessMode::AllowList, vec![5, 6], Allowance::Daily(0), Some(20_000_000))
    );
    for (k, v) in [
        ("ACCESS_MODE", "closed"),
        ("ALLOWED_USERS", "1,x"),
        ("DEFAULT_DAILY_QUOTA", "-1"),
        ("DEFAULT_DAILY_QUOTA", "lots"),
        ("SPEND_CAP_DAILY", "-5"),
        ("SPEND_CAP_DAILY", "unlimited"),
    ] {
        let e = cfg(&[base[0], base[1], (k, v)]).unwrap_err().to_string();
        assert!(e.contains(k), "{e}");
    }
}

#[test]
fn admin_ids_are_parsed_from_a_comma_list() {
    let c =
        cfg(&[("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk"), ("ADMIN_IDS", " 1, 22 ,333")])
            .unwrap();
    assert_eq!(c.admin_ids, vec![1, 22, 333]);
    assert!(c.is_admin(22));
}

#[test]
fn audio_stays_local_for_90_days_unless_a_bucket_and_its_keys_are_given() {
    let base = [("TELOXIDE_TOKEN", "1:A"), ("OPENAI_API_KEY", "sk")];
    let c = cfg(&base).unwrap();
    assert!(c.audio_s3.is_none());
    assert_eq!(c.audio_retention, Some(chrono::Duration::days(90)));
    let mut pairs = base.to_vec();
    pairs.push(("AUDIO_RETENTION_DAYS", "0"));
    assert_eq!(cfg(&pairs).unwrap().audio_retention, None, "0 keeps audio forever");
    pairs.push(("AUDIO_S3_BUCKET", "voices"));
    let err = cfg(&pairs).unwrap_err().to_string();
    assert!(err.starts_with("AWS_ACCESS_KEY_ID") && err.contains("AUDIO_S3_BUCKET"), "{err}");
    pairs.extend([
        ("AWS_ACCESS_KEY_ID", "AKIA1"),
        ("AWS_SECRET_ACCESS_KEY", "hunter2"),
        ("AUDIO_S3_ENDPOINT", "https://fly.storage.tigris.dev"),
        ("AWS_REGION", "auto"),
    ]);
    let s3 = cfg(&pairs).unwrap().audio_s3.unwrap();
    assert_eq!(
        (s3.bucket.as_str(), s3.region.as_str(), s3.endpoint.as_ref().map(|u| u.host_str())),
        ("voices", "auto", Some(Some("fly.storage.tigris.dev")))
    );
    assert!(!format!("{s3:?}").contains("hunter2"), "the secret never reaches a log line");
    pairs.push(("AUDIO_S3_ENDPOINT", "storage.local:9000"));
    assert!(cfg(&pairs).unwrap_err().to_string().starts_with("AUDIO_S3_ENDPOINT"));
}
