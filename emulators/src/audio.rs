//! Audio container sniffing and duration, shared by both emulators.
//!
//! Telegram computes `voice.duration` from the upload when the bot omits it,
//! and OpenAI rejects uploads that are not audio; both need to look inside
//! the bytes, and both only need the container headers, not a decoder.

/// Containers the OpenAI transcription endpoint accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    Ogg,
    Wav,
    Mp3,
    Flac,
    /// ISO base media (m4a / mp4): `ftyp` box at offset 4.
    Mp4,
    /// Matroska / WebM: EBML magic.
    Webm,
}

pub(crate) fn sniff(bytes: &[u8]) -> Option<Container> {
    let b = bytes;
    if b.starts_with(b"OggS") {
        Some(Container::Ogg)
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WAVE" {
        Some(Container::Wav)
    } else if b.starts_with(b"ID3") || (b.len() >= 2 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0) {
        Some(Container::Mp3)
    } else if b.starts_with(b"fLaC") {
        Some(Container::Flac)
    } else if b.len() >= 8 && &b[4..8] == b"ftyp" {
        Some(Container::Mp4)
    } else if b.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        Some(Container::Webm)
    } else {
        None
    }
}

/// Playback length in seconds, for Ogg Opus and PCM WAV; `None` otherwise.
pub(crate) fn duration_secs(bytes: &[u8]) -> Option<f64> {
    match sniff(bytes)? {
        Container::Ogg => ogg_opus_duration(bytes),
        Container::Wav => wav_duration(bytes),
        _ => None,
    }
}

/// Ogg Opus: granule position of the last page (48 kHz samples) minus the
/// encoder pre-skip from the `OpusHead` packet.
fn ogg_opus_duration(b: &[u8]) -> Option<f64> {
    let head = find(b, b"OpusHead")?;
    let pre_skip = u16::from_le_bytes([*b.get(head + 10)?, *b.get(head + 11)?]) as u64;
    let last = rfind(b, b"OggS")?;
    let granule = u64::from_le_bytes(b.get(last + 6..last + 14)?.try_into().ok()?);
    Some(granule.saturating_sub(pre_skip) as f64 / 48_000.0)
}

fn wav_duration(b: &[u8]) -> Option<f64> {
    let mut pos = 12;
    let mut byte_rate = None;
    while pos + 8 <= b.len() {
        let id = &b[pos..pos + 4];
        let size = u32::from_le_bytes(b[pos + 4..pos + 8].try_into().ok()?) as usize;
        if id == b"fmt " {
            byte_rate = Some(u32::from_le_bytes(b.get(pos + 16..pos + 20)?.try_into().ok()?));
        } else if id == b"data" {
            let rate = byte_rate.filter(|r| *r > 0)? as f64;
            let size = size.min(b.len() - pos - 8);
            return Some(size as f64 / rate);
        }
        pos += 8 + size + (size & 1);
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples;

    #[test]
    fn ogg_opus_samples_report_their_playback_length() {
        let d = duration_secs(samples::BEGINNER_AHOJ).unwrap();
        assert!((d - 3.289).abs() < 0.05, "{d}");
        let d = duration_secs(samples::SILENCE).unwrap();
        assert!((d - 1.0).abs() < 0.05, "{d}");
        for s in samples::ALL {
            assert!(s.duration_secs as f64 >= duration_secs(s.bytes).unwrap(), "{}", s.name);
        }
    }

    #[test]
    fn containers_are_recognised_by_their_magic_bytes() {
        assert_eq!(sniff(samples::SILENCE), Some(Container::Ogg));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Some(Container::Wav));
        assert_eq!(sniff(b"ID3\x04"), Some(Container::Mp3));
        assert_eq!(sniff(b"\0\0\0\x20ftypM4A "), Some(Container::Mp4));
        assert_eq!(sniff(b"hello, not audio"), None);
        assert_eq!(sniff(b""), None);
    }
}
