//! Real Czech voice notes (Ogg Opus, mono, 24 kbit/s, synthesized with
//! espeak-ng) and the exact text each one speaks.
//!
//! Tests and the load generator send these as the learner's voice notes; the
//! OpenAI emulator has them pre-registered so their transcription is exact,
//! which lets a test assert on the whole chain voice → transcript → tutor
//! reply. Each has its verbatim transcript and the one a "repairing" transcriber would write
//! (they differ where the learner made a mistake). [`SILENCE`] is one second of digital silence
//! and transcribes to the empty string, the case the bot must handle without calling the tutor.

/// "Ahoj, jak se máš? Já se mám dobře." (beginner, no mistakes)
pub const BEGINNER_AHOJ: &[u8] = include_bytes!("../assets/beginner-ahoj.ogg");
pub const BEGINNER_AHOJ_TEXT: &str = "Ahoj, jak se máš? Já se mám dobře.";

/// "Já jsem byl v Praha včera a pil jsem pivo." (one case-ending mistake:
/// "v Praha" → "v Praze")
pub const BEGINNER_MISTAKE: &[u8] = include_bytes!("../assets/beginner-mistake.ogg");
pub const BEGINNER_MISTAKE_TEXT: &str = "Já jsem byl v Praha včera a pil jsem pivo.";
/// The same sentence "repaired": the case ending and the word order fixed.
pub const BEGINNER_MISTAKE_REPAIRED: &str = "Včera jsem byl v Praze a pil jsem pivo.";

/// "Rád bych si objednal pivo a knedlíky, prosím. Kde je nejbližší restaurace?"
pub const INTERMEDIATE_RESTAURACE: &[u8] = include_bytes!("../assets/intermediate-restaurace.ogg");
pub const INTERMEDIATE_RESTAURACE_TEXT: &str =
    "Rád bych si objednal pivo a knedlíky, prosím. Kde je nejbližší restaurace?";

/// "Nedávno jsem dokončil čtení knihy od Milana Kundery, která mě velice zaujala."
pub const ADVANCED_KUNDERA: &[u8] = include_bytes!("../assets/advanced-kundera.ogg");
pub const ADVANCED_KUNDERA_TEXT: &str =
    "Nedávno jsem dokončil čtení knihy od Milana Kundery, která mě velice zaujala.";

/// One second of silence, Ogg Opus. Transcribes to "".
pub const SILENCE: &[u8] = include_bytes!("../assets/silence.ogg");
pub const SILENCE_TEXT: &str = "";

/// A voice note with everything a test needs to send it and predict the
/// outcome.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// File name in `emulators/assets/`.
    pub name: &'static str,
    pub bytes: &'static [u8],
    /// What is said, word for word, the learner's mistakes included: what the emulator's
    /// transcription endpoint returns when asked for a verbatim transcript (a `prompt` given).
    pub text: &'static str,
    /// What a transcriber that "repairs" speech writes down (no prompt): the mistakes fixed, as
    /// Whisper tends to do with a learner's wrong endings and word order.
    pub repaired: &'static str,
    /// Playback length rounded up, as a Telegram client reports `voice.duration`.
    pub duration_secs: u32,
}

/// Every sample, speech first (the load generator cycles through them).
pub const ALL: [Sample; 5] = [
    Sample {
        name: "beginner-ahoj.ogg",
        bytes: BEGINNER_AHOJ,
        text: BEGINNER_AHOJ_TEXT,
        repaired: BEGINNER_AHOJ_TEXT,
        duration_secs: 4,
    },
    Sample {
        name: "beginner-mistake.ogg",
        bytes: BEGINNER_MISTAKE,
        text: BEGINNER_MISTAKE_TEXT,
        repaired: BEGINNER_MISTAKE_REPAIRED,
        duration_secs: 4,
    },
    Sample {
        name: "intermediate-restaurace.ogg",
        bytes: INTERMEDIATE_RESTAURACE,
        text: INTERMEDIATE_RESTAURACE_TEXT,
        repaired: INTERMEDIATE_RESTAURACE_TEXT,
        duration_secs: 7,
    },
    Sample {
        name: "advanced-kundera.ogg",
        bytes: ADVANCED_KUNDERA,
        text: ADVANCED_KUNDERA_TEXT,
        repaired: ADVANCED_KUNDERA_TEXT,
        duration_secs: 6,
    },
    Sample {
        name: "silence.ogg",
        bytes: SILENCE,
        text: SILENCE_TEXT,
        repaired: SILENCE_TEXT,
        duration_secs: 1,
    },
];

/// The four spoken samples (without [`SILENCE`]).
pub fn speech() -> &'static [Sample] {
    &ALL[..4]
}
