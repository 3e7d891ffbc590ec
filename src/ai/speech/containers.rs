//! How long audio in the other accepted containers really plays — WAV, MP3, MP4/M4A — read from
//! what a decoder reads, not from what the sender's app declared (Telegram's `duration` of an
//! `audio` message or a document is the sender's claim, often 0). Ogg is [`super::ogg`].
//!
//! Each reader is one linear pass with no allocation proportional to the file, so a crafted file
//! costs no more than an honest one of its size:
//! - **WAV**: the `data` chunk's bytes actually present, divided by the `fmt ` chunk's byte rate.
//! - **MP3**: every MPEG audio frame counted from its header (RFC-less but fixed by ISO 11172-3 /
//!   13818-3): samples per frame over the frame's sample rate, resynchronising past junk as a
//!   decoder does. Xing/VBR headers and ID3 tags are not trusted.
//! - **MP4/M4A**: the audio track's sample table — the number of samples a decoder will decode
//!   (`stsz`) at 1,024 PCM samples each (AAC), and the durations the file states (`mvhd`, `mdhd`,
//!   `stts`): the longest of them, so lying low in one place does not shorten the bill.
//!
//! Other containers (FLAC, WebM…) are [`Length::Unmeasured`]: the turn refuses them rather than
//! trust the declared duration.

use super::ogg::Length;

/// The container a file's first bytes name, and its length.
pub fn length(bytes: &[u8]) -> Length {
    if bytes.starts_with(b"OggS") {
        super::ogg::length(bytes)
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        wav(bytes)
    } else if bytes.get(4..8) == Some(b"ftyp") {
        mp4(bytes)
    } else if bytes.starts_with(b"ID3") || is_frame_sync(bytes) {
        mp3(bytes)
    } else {
        Length::Unmeasured
    }
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// RIFF/WAVE: the data present over the byte rate.
fn wav(b: &[u8]) -> Length {
    let (mut at, mut byte_rate, mut data) = (12usize, None, None);
    while let (Some(id), Some(size)) = (b.get(at..at + 4), le32(b, at + 4)) {
        let body = at + 8;
        match id {
            b"fmt " => byte_rate = le32(b, body + 8),
            // The bytes that arrived, whatever the header claims (streamed WAVs say 0xFFFFFFFF).
            b"data" => {
                data = Some(b.len().saturating_sub(body).min(size as usize));
                break;
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        at = body.saturating_add(size as usize + (size as usize & 1));
    }
    match (byte_rate, data) {
        (Some(rate), Some(data)) if rate > 0 => Length::Seconds(data as f64 / f64::from(rate)),
        _ => Length::Broken,
    }
}

fn is_frame_sync(b: &[u8]) -> bool {
    b.len() > 1 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0
}

/// One MPEG audio frame's header: its length in bytes and its duration in seconds.
fn mpeg_frame(h: &[u8]) -> Option<(usize, f64)> {
    if h.len() < 4 || !is_frame_sync(h) {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 0: MPEG 2.5, 2: MPEG 2, 3: MPEG 1
    let layer = (h[1] >> 1) & 3; // 1: III, 2: II, 3: I
    let (bitrate_index, rate_index) = (usize::from(h[2] >> 4), usize::from((h[2] >> 2) & 3));
    let padding = usize::from((h[2] >> 1) & 1);
    if version == 1 || layer == 0 || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return None;
    }
    const V1: [[u32; 14]; 3] = [
        [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
        [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
        [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    ];
    const V2: [[u32; 14]; 2] = [
        [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
        [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    ];
    let layer_no = 4 - usize::from(layer); // 1, 2 or 3
    let kbps = match version {
        3 => V1[layer_no - 1][bitrate_index - 1],
        _ => V2[usize::from(layer_no != 1)][bitrate_index - 1],
    };
    let rate =
        [[11_025, 12_000, 8_000], [0, 0, 0], [22_050, 24_000, 16_000], [44_100, 48_000, 32_000]]
            [usize::from(version)][rate_index];
    let bits = kbps as usize * 1000;
    let (len, samples) = match (layer_no, version) {
        (1, _) => ((12 * bits / rate + padding) * 4, 384),
        (2, _) | (3, 3) => (144 * bits / rate + padding, 1152),
        _ => (72 * bits / rate + padding, 576),
    };
    Some((len, samples as f64 / rate as f64)).filter(|(len, _)| *len >= 4)
}

/// MPEG audio: every frame counted, junk between frames skipped byte by byte.
fn mp3(b: &[u8]) -> Length {
    let mut at = 0usize;
    if b.starts_with(b"ID3") && b.len() >= 10 {
        // A syncsafe size (7 bits a byte), plus a footer when flagged.
        let size = b[6..10].iter().fold(0usize, |s, x| (s << 7) | usize::from(x & 0x7F));
        at = 10 + size + if b[5] & 0x10 != 0 { 10 } else { 0 };
    }
    let (mut seconds, mut frames) = (0.0, 0u32);
    while at + 4 <= b.len() {
        match mpeg_frame(&b[at..]) {
            // A frame cut short still plays what arrived of it.
            Some((len, secs)) => {
                seconds += secs;
                frames += 1;
                at += len;
            }
            None => at += 1,
        }
    }
    if frames == 0 { Length::Broken } else { Length::Seconds(seconds) }
}

/// An MP4 box: its type and its body.
struct Mp4Box<'a> {
    kind: &'a [u8],
    body: &'a [u8],
}

/// The boxes directly inside `b`.
fn boxes(b: &[u8]) -> impl Iterator<Item = Mp4Box<'_>> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let size32 = be32(b, at)? as usize;
        let kind = b.get(at + 4..at + 8)?;
        let (header, size) = match size32 {
            1 => (16, usize::try_from(be64(b, at + 8)?).ok()?),
            0 => (8, b.len() - at),
            n => (8, n),
        };
        if size < header {
            return None;
        }
        let body = b.get(at + header..(at + size).min(b.len()))?;
        at += size;
        Some(Mp4Box { kind, body })
    })
}

fn child<'a>(b: &'a [u8], kind: &[u8]) -> Option<&'a [u8]> {
    boxes(b).find(|x| x.kind == kind).map(|x| x.body)
}

/// A full box's (timescale, duration): version 1 has 64-bit times.
fn timed(full: &[u8]) -> Option<(u64, u64)> {
    match full.first()? {
        1 => Some((u64::from(be32(full, 20)?), be64(full, 24)?)),
        _ => Some((u64::from(be32(full, 12)?), u64::from(be32(full, 16)?))),
    }
}

/// MP4/M4A: the longest of what the sample table will decode and what the file states.
fn mp4(b: &[u8]) -> Length {
    let Some(moov) = child(b, b"moov") else { return Length::Broken };
    let mut longest: Option<f64> = None;
    let mut keep = |s: f64| longest = Some(longest.map_or(s, |l| l.max(s)));
    if let Some((scale, dur)) = child(moov, b"mvhd").and_then(timed).filter(|(s, _)| *s > 0) {
        keep(dur as f64 / scale as f64);
    }
    let mut audio = false;
    for trak in boxes(moov).filter(|x| x.kind == b"trak") {
        let Some(mdia) = child(trak.body, b"mdia") else { continue };
        // hdlr: version/flags, pre_defined, then the handler type.
        if child(mdia, b"hdlr").and_then(|h| h.get(8..12)) != Some(b"soun") {
            continue;
        }
        audio = true;
        let Some((scale, dur)) = child(mdia, b"mdhd").and_then(timed).filter(|(s, _)| *s > 0)
        else {
            continue;
        };
        keep(dur as f64 / scale as f64);
        let stbl = child(mdia, b"minf").and_then(|m| child(m, b"stbl"));
        // The samples a decoder decodes, 1,024 PCM samples each (AAC), at no more than 48 kHz
        // (a timescale inflated to shrink this is capped).
        if let Some(count) = stbl.and_then(|s| child(s, b"stsz")).and_then(|z| be32(z, 8)) {
            keep(f64::from(count) * 1024.0 / scale.min(48_000) as f64);
        }
        if let Some(stts) = stbl.and_then(|s| child(s, b"stts")) {
            let entries = be32(stts, 4).unwrap_or(0) as usize;
            let total: u64 = (0..entries)
                .map_while(|i| {
                    Some(u64::from(be32(stts, 8 + i * 8)?) * u64::from(be32(stts, 12 + i * 8)?))
                })
                .sum();
            keep(total as f64 / scale as f64);
        }
    }
    match (audio, longest) {
        (true, Some(s)) => Length::Seconds(s),
        (false, _) => Length::Unmeasured,
        (true, None) => Length::Broken,
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Small files built byte by byte, as the specifications describe them.

    /// A PCM WAV of `seconds` of silence at 16 kHz mono 16-bit, its data chunk claiming `claimed`
    /// bytes (None: the truth).
    pub fn wav(seconds: f64, claimed: Option<u32>) -> Vec<u8> {
        let data = vec![0u8; (seconds * 32_000.0) as usize];
        let mut b = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        b.extend(16u32.to_le_bytes());
        b.extend(1u16.to_le_bytes()); // PCM
        b.extend(1u16.to_le_bytes()); // mono
        b.extend(16_000u32.to_le_bytes());
        b.extend(32_000u32.to_le_bytes()); // byte rate
        b.extend(2u16.to_le_bytes());
        b.extend(16u16.to_le_bytes());
        b.extend(b"LIST");
        b.extend(4u32.to_le_bytes());
        b.extend(b"INFO");
        b.extend(b"data");
        b.extend(claimed.unwrap_or(data.len() as u32).to_le_bytes());
        b.extend(data);
        b
    }

    /// `frames` MPEG-1 Layer III frames at 128 kbps, 44.1 kHz (1152 samples, 417 bytes each),
    /// behind an ID3v2 tag, with junk between some frames.
    pub fn mp3(frames: usize) -> Vec<u8> {
        let mut b = b"ID3\x04\0\0\0\0\0\x0A".to_vec();
        b.extend([0u8; 10]);
        for i in 0..frames {
            let mut frame = vec![0u8; 417];
            frame[..4].copy_from_slice(&[0xFF, 0xFB, 0x90, 0x00]);
            b.extend(frame);
            if i % 50 == 7 {
                b.extend(b"junk!");
            }
        }
        b
    }

    fn mp4_box(kind: &[u8], body: &[u8]) -> Vec<u8> {
        let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend(kind);
        b.extend(body);
        b
    }

    fn timed_box(kind: &[u8], scale: u32, duration: u32) -> Vec<u8> {
        let mut body = vec![0u8; 12];
        body.extend(scale.to_be_bytes());
        body.extend(duration.to_be_bytes());
        body.extend([0u8; 8]);
        mp4_box(kind, &body)
    }

    /// An M4A whose audio track has `samples` AAC frames at 16 kHz, and whose `mvhd`, `mdhd`
    /// and `stts` state `stated` seconds.
    pub fn m4a(samples: u32, stated: u32) -> Vec<u8> {
        let hdlr = mp4_box(b"hdlr", &[0, 0, 0, 0, 0, 0, 0, 0, b's', b'o', b'u', b'n', 0, 0, 0, 0]);
        let mut stsz = vec![0u8; 8];
        stsz.extend(samples.to_be_bytes());
        let mut stts = vec![0u8; 4];
        stts.extend(1u32.to_be_bytes());
        stts.extend(1u32.to_be_bytes());
        stts.extend((stated * 16_000).to_be_bytes());
        let stbl = mp4_box(b"stbl", &[mp4_box(b"stsz", &stsz), mp4_box(b"stts", &stts)].concat());
        let minf = mp4_box(b"minf", &stbl);
        let mdia =
            mp4_box(b"mdia", &[timed_box(b"mdhd", 16_000, stated * 16_000), hdlr, minf].concat());
        let trak = mp4_box(b"trak", &mdia);
        let moov = mp4_box(b"moov", &[timed_box(b"mvhd", 1000, stated * 1000), trak].concat());
        [mp4_box(b"ftyp", b"M4A \0\0\0\0"), moov, mp4_box(b"mdat", &vec![0u8; 1000])].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures;
    use super::*;

    fn secs(b: &[u8]) -> f64 {
        match length(b) {
            Length::Seconds(s) => s,
            other => panic!("expected seconds, got {other:?}"),
        }
    }

    #[test]
    fn a_wav_measures_the_data_that_arrived_whatever_its_header_claims() {
        assert!((secs(&fixtures::wav(3.0, None)) - 3.0).abs() < 1e-6);
        assert!((secs(&fixtures::wav(90.0, Some(u32::MAX))) - 90.0).abs() < 1e-6, "streamed");
        assert!((secs(&fixtures::wav(2.0, Some(64_000_000))) - 2.0).abs() < 1e-6, "cut short");
        assert_eq!(length(b"RIFF\0\0\0\0WAVEjunk"), Length::Broken);
    }

    #[test]
    fn an_mp3_measures_its_frames_past_tags_and_junk() {
        // 1,000 frames × 1152 / 44,100 = 26.12 s.
        let s = secs(&fixtures::mp3(1000));
        assert!((s - 26.122).abs() < 0.01, "{s}");
        let no_tag = &fixtures::mp3(100)[20..];
        assert!((secs(no_tag) - 2.612).abs() < 0.01);
        assert_eq!(length(b"ID3\x04\0\0\0\0\0\0nothing but a tag"), Length::Broken);
    }

    #[test]
    fn an_m4a_measures_what_its_sample_table_decodes_when_the_header_lies_low() {
        // 3,000 AAC frames at 16 kHz = 192 s, while every stated duration says 5 s.
        let s = secs(&fixtures::m4a(3_000, 5));
        assert!((s - 192.0).abs() < 0.01, "{s}");
        // Honest: the stated durations and the samples agree.
        let s = secs(&fixtures::m4a(79, 5));
        assert!((s - 5.056).abs() < 0.01, "{s}");
    }

    #[test]
    fn containers_not_measured_here_are_said_so() {
        assert_eq!(length(b"fLaC\0\0\0\x22rest"), Length::Unmeasured);
        assert_eq!(length(&[0x1A, 0x45, 0xDF, 0xA3, 0, 0]), Length::Unmeasured);
        assert_eq!(length(b"plain text"), Length::Unmeasured);
    }

    #[test]
    fn a_large_file_of_sync_words_costs_one_pass() {
        // Every byte looks like the start of a frame; each is rejected in constant time.
        let junk = vec![0xFFu8; 8 * 1024 * 1024];
        assert_eq!(length(&junk), Length::Broken);
    }
}
