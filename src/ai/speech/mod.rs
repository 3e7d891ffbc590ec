//! Speech-to-text and text-to-speech over the OpenAI-compatible audio API, and the cheap checks
//! that keep obviously broken audio away from it ([`ogg`]: a file's real playback length).
//!
//! Speech-to-text is asked for a verbatim transcript ([`VERBATIM_PROMPT`]): Honzík corrects what
//! the learner said, so a transcript that quietly fixes their endings and word order hides the
//! very mistakes he is there for. It is asked for `verbose_json` with word timestamps where the
//! server offers it: its `duration` is what the server decoded (what the learner is billed by),
//! and the words' times are what fluency figures are made of. A server that refuses
//! `verbose_json` (the `gpt-4o-…-transcribe` models, minimal Whisper servers) is asked for plain
//! `json` from then on, and a body in either shape is read leniently ([`crate::ai::wire`]).

pub mod containers;
pub mod ogg;

use std::sync::atomic::{AtomicBool, Ordering};

use async_openai::types::InputSource;
use async_openai::types::audio::{
    AudioInput, AudioResponseFormat, CreateSpeechRequestArgs, CreateTranscriptionRequest,
    CreateTranscriptionRequestArgs, SpeechModel, SpeechResponseFormat, TimestampGranularity, Voice,
};
use bytes::Bytes;

use crate::ai::client::{AiError, OpenAi, classify};
use crate::ai::meter::{Meter, Metered, Usage};
use crate::ai::upstream::{Outage, Upstream};
pub use crate::ai::wire::TimedWord as Word;
use crate::ai::wire::TranscriptionResponse;

/// What speech-to-text is told, in Czech (the language of the audio, which is what Whisper's
/// prompt conditions on): write down exactly what was said, mistakes, hesitations and word order
/// included. Whisper follows a prompt's style more than its instructions, so the instruction is
/// followed by an example in the style wanted — a learner's sentence with a wrong ending and
/// fillers left in. Well under Whisper's 224 prompt tokens.
pub const VERBATIM_PROMPT: &str = concat!(
    "Doslovný přepis řeči studenta češtiny. Zapiš přesně, co řekl, včetně gramatických chyb, ",
    "špatných koncovek, zaváhání (ehm, hm, no), opakování a jeho slovosledu; nic neopravuj ani ",
    "nepřeformulovávej. Například: Ehm… já jsem byl v Praha včera, no, a pil jsem… pil jsem pivo ",
    "s kamarádka."
);

/// The example sentence at the end of [`VERBATIM_PROMPT`].
const PROMPT_EXAMPLE: &str =
    "Ehm… já jsem byl v Praha včera, no, a pil jsem… pil jsem pivo s kamarádka.";

/// Whether a transcript is the prompt given back: Whisper, handed silence or noise, may write
/// out its prompt instead of nothing, and the learner would then be "heard" saying our example.
fn echoes_prompt(text: &str) -> bool {
    let flat = |t: &str| -> String {
        let kept = t.to_lowercase().replace(['…', '.', ',', ';', '(', ')'], " ");
        kept.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let text = flat(text);
    ["doslovný přepis", "nic neopravuj", "pil jsem pil jsem pivo s kamarádka", PROMPT_EXAMPLE]
        .iter()
        .any(|p| text.contains(&flat(p)))
}

/// What the learner said, as the speech-to-text server heard it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transcript {
    /// Verbatim where the server follows the prompt: the learner's mistakes kept.
    pub text: String,
    /// The audio's length as the server decoded it (`verbose_json`'s `duration`, or a
    /// `duration` usage); None where it did not say.
    pub duration: Option<f64>,
    /// Each word with its start and end in seconds; empty where the server gave no word
    /// timestamps.
    pub words: Vec<Word>,
    /// The server's segments (start, end, text): pauses between them are part of fluency.
    pub segments: Vec<Segment>,
}

/// One stretch of speech the server transcribed as a unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

impl From<TranscriptionResponse> for Transcript {
    fn from(r: TranscriptionResponse) -> Transcript {
        Transcript {
            duration: r.decoded_seconds(),
            words: r.timed_words(),
            segments: r
                .segments
                .iter()
                .flatten()
                .map(|s| Segment { start: s.start, end: s.end, text: s.text.trim().to_owned() })
                .collect(),
            text: r.text.trim().to_owned(),
        }
    }
}

/// Longest text the speech endpoint takes in one request.
pub const TTS_MAX_CHARS: usize = 4096;

pub struct Speech {
    client: OpenAi,
    meter: Meter,
    stt_model: String,
    tts_model: String,
    voice: String,
    /// Cleared the first time the server refuses `verbose_json` (or its word timestamps).
    verbose: AtomicBool,
}

impl Speech {
    pub fn new(
        client: OpenAi,
        meter: Meter,
        stt_model: String,
        tts_model: String,
        voice: String,
    ) -> Self {
        // OpenAI's `gpt-4o-…-transcribe` models answer `json` and `text` only.
        let verbose = AtomicBool::new(!stt_model.starts_with("gpt-"));
        Speech { client, meter, stt_model, tts_model, voice, verbose }
    }

    /// The speech-to-text upstream's circuit (see [`Outage::ready`]).
    pub fn transcription_outage(&self) -> Outage {
        self.client.outage(Upstream::Transcription)
    }

    /// The text-to-speech upstream's circuit (see [`Outage::ready`]).
    pub fn speech_outage(&self) -> Outage {
        self.client.outage(Upstream::Speech)
    }

    /// Transcribes Czech speech, verbatim. The upload is named `voice.ogg`: some models reject
    /// Telegram's `.oga`. Billed by the length the server reports it decoded, else by `seconds`,
    /// the audio's length as the caller measured it (the caller enforces the length limit on its
    /// own measurement, before anything is uploaded).
    pub async fn transcribe(
        &self,
        audio: Bytes,
        filename: &str,
        seconds: f64,
    ) -> Result<Metered<Transcript>, AiError> {
        loop {
            let verbose = self.verbose.load(Ordering::Relaxed);
            let request = self.transcription_request(audio.clone(), filename, verbose)?;
            let api = self.client.api(Upstream::Transcription).audio();
            let refused = match api.transcription().create_raw(request).await {
                Ok(body) => return self.read_transcript(&body, seconds),
                Err(e) => classify(e),
            };
            match refused {
                AiError::Refused(m) if verbose && refuses_verbose(&m) => {
                    tracing::info!(
                        "speech-to-text server refuses verbose_json; using json from now on"
                    );
                    self.verbose.store(false, Ordering::Relaxed);
                }
                AiError::Refused(m) if m.starts_with("400") => return Err(AiError::BadAudio(m)),
                other => return Err(other),
            }
        }
    }

    /// Czech, the verbatim prompt, and `verbose_json` with word and segment timestamps or plain
    /// `json`.
    fn transcription_request(
        &self,
        audio: Bytes,
        filename: &str,
        verbose: bool,
    ) -> Result<CreateTranscriptionRequest, AiError> {
        let mut args = CreateTranscriptionRequestArgs::default();
        args.file(AudioInput {
            source: InputSource::Bytes { filename: filename.to_owned(), bytes: audio },
        })
        .model(self.stt_model.clone())
        .language("cs")
        .prompt(VERBATIM_PROMPT);
        if verbose {
            args.response_format(AudioResponseFormat::VerboseJson).timestamp_granularities(vec![
                TimestampGranularity::Word,
                TimestampGranularity::Segment,
            ]);
        } else {
            args.response_format(AudioResponseFormat::Json);
        }
        args.build().map_err(|e| AiError::Refused(e.to_string()))
    }

    /// The server's answer as a transcript, priced; a body that is not a transcription is this
    /// request's fault (the server is up), reported with why.
    fn read_transcript(&self, body: &[u8], measured: f64) -> Result<Metered<Transcript>, AiError> {
        match serde_json::from_slice::<TranscriptionResponse>(body) {
            Ok(r) => {
                let mut transcript = Transcript::from(r);
                if echoes_prompt(&transcript.text) {
                    tracing::info!("speech-to-text gave its prompt back: heard as nothing");
                    transcript = Transcript { duration: transcript.duration, ..Default::default() };
                }
                let billed = transcript.duration.unwrap_or(measured);
                Ok(Metered {
                    value: transcript,
                    usage: self.meter.transcription(&self.stt_model, billed),
                })
            }
            Err(e) => {
                self.client.unreadable(Upstream::Transcription);
                let why = format!("unreadable transcription: {e}");
                tracing::warn!(model = %self.stt_model, %why, "speech-to-text server's answer could not be read");
                Err(AiError::InvalidReply(why))
            }
        }
    }

    /// Synthesises Honzík's words as Ogg Opus (what sendVoice shows as a voice note).
    pub async fn synthesize(&self, text: &str, speed: f32) -> Result<Metered<Bytes>, AiError> {
        self.synthesize_in(text, speed, &self.voice).await
    }

    /// The same in another `voice` (paní Nováková's in a scene).
    pub async fn synthesize_in(
        &self,
        text: &str,
        speed: f32,
        voice: &str,
    ) -> Result<Metered<Bytes>, AiError> {
        let input: String = text.chars().take(TTS_MAX_CHARS).collect();
        let characters = input.chars().count();
        let request = CreateSpeechRequestArgs::default()
            .input(input)
            .model(SpeechModel::Other(self.tts_model.clone()))
            .voice(Voice::Other(voice.to_owned()))
            .response_format(SpeechResponseFormat::Opus)
            .speed(speed.clamp(0.25, 4.0))
            .build()
            .map_err(|e| AiError::Refused(e.to_string()))?;
        let api = self.client.api(Upstream::Speech).audio();
        let resp = api.speech().create(request).await.map_err(classify)?;
        Ok(Metered {
            value: resp.bytes,
            usage: self.meter.speech(&self.tts_model, characters, false),
        })
    }

    /// The usage of a voice served from our cache instead of [`Speech::synthesize`]: nothing paid,
    /// recorded all the same.
    pub fn cached_voice(&self) -> Usage {
        self.meter.speech(&self.tts_model, 0, true)
    }
}

/// Whether a refusal is about `verbose_json` or its timestamps (OpenAI names the parameter;
/// FastAPI servers list it in their validation errors).
fn refuses_verbose(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    ["400", "422"].iter().any(|s| m.starts_with(s))
        && ["response_format", "verbose_json", "timestamp_granularities"]
            .iter()
            .any(|k| m.contains(k))
}

/// What a file's first bytes say it is. Telegram voice notes are Ogg Opus; `audio` messages may be
/// anything, so we only refuse what no speech service can read.
pub fn looks_like_audio(bytes: &[u8]) -> bool {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    starts(b"OggS")
        || starts(b"RIFF") && bytes.get(8..12) == Some(b"WAVE")
        || starts(b"ID3")
        || starts(b"fLaC")
        || bytes.get(4..8) == Some(b"ftyp")
        || starts(&[0x1A, 0x45, 0xDF, 0xA3]) // Matroska/WebM
        || bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0 // MPEG audio frame
}

/// The file name to upload under, from the sniffed container.
pub fn upload_name(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"OggS") {
        "voice.ogg"
    } else if bytes.starts_with(b"RIFF") {
        "audio.wav"
    } else if bytes.starts_with(b"fLaC") {
        "audio.flac"
    } else if bytes.get(4..8) == Some(b"ftyp") {
        "audio.m4a"
    } else if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        "audio.webm"
    } else {
        "audio.mp3"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ogg_wav_and_mp3_are_audio_and_text_is_not() {
        assert!(looks_like_audio(b"OggS\0\x02rest"));
        assert!(looks_like_audio(b"RIFF\0\0\0\0WAVEfmt "));
        assert!(looks_like_audio(b"ID3\x04"));
        assert!(!looks_like_audio(b"%PDF-1.7"));
        assert!(!looks_like_audio(b""));
        assert!(!looks_like_audio("Ahoj, tohle je text".as_bytes()));
    }

    #[test]
    fn the_verbatim_prompt_asks_to_keep_mistakes_and_shows_one() {
        for kept in ["chyb", "zaváhání", "slovosled", "nic neopravuj", "v Praha"] {
            assert!(VERBATIM_PROMPT.contains(kept), "{kept}");
        }
        assert!(crate::tutor::count_tokens("whisper-1", VERBATIM_PROMPT) < 224);
    }

    #[test]
    fn the_prompt_given_back_is_heard_as_nothing_and_a_learners_own_words_are_not() {
        assert!(VERBATIM_PROMPT.ends_with(PROMPT_EXAMPLE));
        assert!(echoes_prompt(VERBATIM_PROMPT));
        assert!(echoes_prompt(
            " Ehm... Já jsem byl v Praha včera, no, a pil jsem, pil jsem pivo s kamarádka."
        ));
        assert!(echoes_prompt("Doslovný přepis řeči studenta češtiny."));
        assert!(!echoes_prompt("Já jsem byl v Praha včera a pil jsem pivo."));
        assert!(!echoes_prompt("Ehm, no, mám rád pivo s kamarádem."));
    }

    #[test]
    fn a_refusal_of_verbose_json_is_told_from_a_refusal_of_the_audio() {
        assert!(refuses_verbose(
            "400 response_format 'verbose_json' is not compatible with model 'gpt-4o-transcribe'. Use 'json' or 'text' instead."
        ));
        assert!(refuses_verbose(
            "422 [{\"loc\":[\"body\",\"response_format\"],\"msg\":\"Input should be 'json' or 'text'\"}]"
        ));
        assert!(!refuses_verbose("400 Invalid file format. Supported formats: ['flac', 'm4a']"));
        assert!(!refuses_verbose("503 verbose_json backend overloaded"));
    }

    #[test]
    fn a_transcript_keeps_the_servers_duration_words_and_segments() {
        let body = include_str!("../../../tests/fixtures/ai/speaches-transcription-verbose.json");
        let t = Transcript::from(serde_json::from_str::<TranscriptionResponse>(body).unwrap());
        assert_eq!(t.text, "Já jsem byl v Praha včera a pil jsem pivo.");
        assert_eq!(t.duration, Some(3.29));
        assert_eq!(t.words.len(), 10);
        assert_eq!((t.words[0].word.as_str(), t.words[0].start), ("Já", 0.0));
        assert_eq!(t.segments.len(), 1);
        assert_eq!(t.segments[0].text, t.text);
        let minimal = Transcript::from(
            serde_json::from_str::<TranscriptionResponse>(r#"{"text":" Ahoj. "}"#).unwrap(),
        );
        assert_eq!(minimal, Transcript { text: "Ahoj.".into(), ..Default::default() });
    }

    #[test]
    fn voice_notes_are_uploaded_as_ogg_not_oga() {
        assert_eq!(upload_name(b"OggS...."), "voice.ogg");
    }
}
