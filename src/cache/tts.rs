//! Honzík's voice for text he has said before. The same words in the same voice, speed and model
//! always sound the same, and short replies ("Ahoj! Jak se máš?") come back often: a hit skips
//! the text-to-speech request, its latency and its cost.
//!
//! Keyed by a SHA-256 of everything that shapes the audio (a collision would play one text's
//! audio for another, so no short hash). In Redis for [`TTL`] (shared by every replica); without
//! Redis in a least-recently-used map bounded by bytes ([`LOCAL_BYTES`]). Redis failing: a miss.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::redis::Redis;

/// How long Redis keeps a voice: long enough for the common phrases to stay, short enough that a
/// changed voice or model leaves nothing stale for long (their keys differ anyway).
pub const TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// The in-process cache's budget: ~600 typical replies of 50 KB.
pub const LOCAL_BYTES: usize = 32 * 1024 * 1024;

/// What identifies one synthesized audio.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TtsKey(String);

impl TtsKey {
    pub fn new(text: &str, voice: &str, speed: f32, model: &str) -> TtsKey {
        let mut h = Sha256::new();
        // Lengths first, so no two different tuples hash the same bytes.
        for part in
            [model.as_bytes(), voice.as_bytes(), &speed.to_bits().to_le_bytes(), text.as_bytes()]
        {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        TtsKey(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }
}

pub struct TtsCache {
    redis: Option<Redis>,
    local: Mutex<Lru>,
}

impl TtsCache {
    pub fn new(redis: Option<Redis>, local_bytes: usize) -> TtsCache {
        TtsCache { redis, local: Mutex::new(Lru::new(local_bytes)) }
    }

    pub async fn get(&self, key: &TtsKey) -> Option<Bytes> {
        match &self.redis {
            Some(r) => r
                .get_bytes("tts cache read", &redis_key(key))
                .await
                .ok()
                .flatten()
                .filter(|b| !b.is_empty()),
            None => self.lock().get(key),
        }
    }

    pub async fn put(&self, key: &TtsKey, audio: Bytes) {
        match &self.redis {
            Some(r) => {
                let _ = r.set_bytes("tts cache write", &redis_key(key), audio, TTL).await;
            }
            None => self.lock().put(key.clone(), audio),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        self.local.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn redis_key(key: &TtsKey) -> String {
    format!("mluvme:tts:{}", key.0)
}

/// Least recently used goes first once the bytes exceed the budget.
struct Lru {
    budget: usize,
    used: usize,
    tick: u64,
    entries: HashMap<TtsKey, (Bytes, u64)>,
    by_use: BTreeMap<u64, TtsKey>,
}

impl Lru {
    fn new(budget: usize) -> Lru {
        Lru { budget, used: 0, tick: 0, entries: HashMap::new(), by_use: BTreeMap::new() }
    }

    fn get(&mut self, key: &TtsKey) -> Option<Bytes> {
        self.tick += 1;
        let (audio, used_at) = self.entries.get_mut(key)?;
        self.by_use.remove(used_at);
        *used_at = self.tick;
        self.by_use.insert(self.tick, key.clone());
        Some(audio.clone())
    }

    fn put(&mut self, key: TtsKey, audio: Bytes) {
        // One huge audio must not flush everything else.
        if audio.is_empty() || audio.len() > self.budget / 8 {
            return;
        }
        if let Some((old, used_at)) = self.entries.remove(&key) {
            self.used -= old.len();
            self.by_use.remove(&used_at);
        }
        self.tick += 1;
        self.used += audio.len();
        self.by_use.insert(self.tick, key.clone());
        self.entries.insert(key, (audio, self.tick));
        while self.used > self.budget {
            let Some((_, oldest)) = self.by_use.pop_first() else { break };
            if let Some((gone, _)) = self.entries.remove(&oldest) {
                self.used -= gone.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(t: &str) -> TtsKey {
        TtsKey::new(t, "onyx", 1.0, "tts-1")
    }

    #[test]
    fn any_difference_in_text_voice_speed_or_model_is_another_audio() {
        let k = key("Ahoj!");
        assert_eq!(k, key("Ahoj!"));
        assert_ne!(k, key("Ahoj"));
        assert_ne!(k, TtsKey::new("Ahoj!", "alloy", 1.0, "tts-1"));
        assert_ne!(k, TtsKey::new("Ahoj!", "onyx", 0.85, "tts-1"));
        assert_ne!(k, TtsKey::new("Ahoj!", "onyx", 1.0, "tts-1-hd"));
        assert_ne!(
            TtsKey::new("ab", "c", 1.0, "m"),
            TtsKey::new("a", "bc", 1.0, "m"),
            "parts cannot run into each other"
        );
    }

    #[tokio::test]
    async fn the_local_cache_keeps_the_recently_used_within_its_bytes() {
        let cache = TtsCache::new(None, 800);
        let audio = |n: u8| Bytes::from(vec![n; 100]);
        for i in 0..8u8 {
            cache.put(&key(&i.to_string()), audio(i)).await;
        }
        assert_eq!(cache.get(&key("0")).await, Some(audio(0)), "touched: now the most recent");
        cache.put(&key("new"), audio(9)).await;
        assert_eq!(cache.get(&key("1")).await, None, "the least recently used went");
        assert_eq!(cache.get(&key("0")).await, Some(audio(0)));
        assert_eq!(cache.get(&key("new")).await, Some(audio(9)));
        cache.put(&key("huge"), Bytes::from(vec![1; 500])).await;
        assert_eq!(
            cache.get(&key("huge")).await,
            None,
            "larger than an eighth of the budget: not kept"
        );
        assert_eq!(cache.lock().used, 800);
    }
}
