//! Speech-to-text and text-to-speech over the OpenAI-compatible audio API, and the cheap checks
//! that keep obviously broken audio away from it ([`ogg`]: a file's real playback length).

pub mod containers;
pub mod ogg;

use async_openai::types::InputSource;
use async_openai::types::audio::{
    AudioInput, AudioResponseFormat, CreateSpeechRequestArgs, CreateTranscriptionRequestArgs,
    SpeechModel, SpeechResponseFormat, Voice,
};
use bytes::Bytes;

use crate::ai::client::{AiError, OpenAi, classify};
use crate::ai::meter::{Meter, Metered, Usage};
use crate::ai::upstream::{Outage, Upstream};

/// Longest text the speech endpoint takes in one request.
pub const TTS_MAX_CHARS: usize = 4096;

pub struct Speech {
    client: OpenAi,
    meter: Meter,
    stt_model: String,
    tts_model: String,
    voice: String,
}

impl Speech {
    pub fn new(
        client: OpenAi,
        meter: Meter,
        stt_model: String,
        tts_model: String,
        voice: String,
    ) -> Self {
        Speech { client, meter, stt_model, tts_model, voice }
    }

    /// The speech-to-text upstream's circuit (see [`Outage::ready`]).
    pub fn transcription_outage(&self) -> Outage {
        self.client.outage(Upstream::Transcription)
    }

    /// The text-to-speech upstream's circuit (see [`Outage::ready`]).
    pub fn speech_outage(&self) -> Outage {
        self.client.outage(Upstream::Speech)
    }

    /// Transcribes Czech speech. The upload is named `voice.ogg`: some models reject Telegram's `.oga`.
    /// Billed by `seconds`, the audio's length as the caller measured it.
    pub async fn transcribe(
        &self,
        audio: Bytes,
        filename: &str,
        seconds: f64,
    ) -> Result<Metered<String>, AiError> {
        let request = CreateTranscriptionRequestArgs::default()
            .file(AudioInput {
                source: InputSource::Bytes { filename: filename.to_owned(), bytes: audio },
            })
            .model(self.stt_model.clone())
            .language("cs")
            .response_format(AudioResponseFormat::Json)
            .build()
            .map_err(|e| AiError::Refused(e.to_string()))?;
        match self.client.api().audio().transcription().create(request).await {
            Ok(r) => Ok(Metered {
                value: r.text.trim().to_owned(),
                usage: self.meter.transcription(&self.stt_model, seconds),
            }),
            Err(e) => Err(match classify(e) {
                AiError::Refused(m) if m.starts_with("400") => AiError::BadAudio(m),
                other => other,
            }),
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
        let resp = self.client.api().audio().speech().create(request).await.map_err(classify)?;
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
    fn voice_notes_are_uploaded_as_ogg_not_oga() {
        assert_eq!(upload_name(b"OggS...."), "voice.ogg");
    }
}
