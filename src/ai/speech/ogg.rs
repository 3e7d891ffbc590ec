//! How long an Ogg file really plays, read from its pages without decoding the audio.
//!
//! A voice note's `duration` is whatever the sending client claims, so a modified client can send
//! five minutes of speech labelled "5 s" and have the bot pay for five minutes of speech-to-text.
//! Once the file is downloaded this module measures it: the granule position of a page is the
//! stream's sample count at the end of that page (RFC 3533; 48 kHz for Opus, RFC 7845, minus the
//! encoder's pre-skip; the sample rate of the identification header for Vorbis). Granules are
//! written by the sender too, so for Opus the packets are also counted from their TOC bytes
//! (RFC 6716 §3.1) and the longer of the two counts. Pages are found the way decoders find them:
//! by the capture pattern, kept only when their CRC holds, resynchronising past damage — so a
//! damaged page cannot hide the audio behind it, and junk that merely starts with `OggS` has no
//! pages at all.

/// What the pages of a file say about its length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Length {
    /// Seconds of audio in an Opus or Vorbis stream (0 when only headers arrived).
    Seconds(f64),
    /// Valid Ogg pages of a codec not measured here (Speex, FLAC…): the caller falls back on the
    /// declared duration and the size cap.
    Unmeasured,
    /// Not one intact Ogg page: truncated before the first page ended, or not Ogg at all.
    Broken,
}

/// The length of the first logical stream of `bytes`.
pub fn length(bytes: &[u8]) -> Length {
    let mut pages = pages(bytes);
    let Some(first) = pages.next() else { return Length::Broken };
    let codec = Codec::of(first.body);
    let mut granule = 0u64;
    let mut packets = Packets::default();
    for page in std::iter::once(first).chain(pages).filter(|p| p.serial == first.serial) {
        // -1 marks a page on which no packet ends: it carries no position.
        if page.granule != u64::MAX {
            granule = granule.max(page.granule);
        }
        if let Codec::Opus { .. } = codec {
            packets.add(&page);
        }
    }
    match codec {
        Codec::Opus { pre_skip } => {
            let samples = granule.max(packets.samples).saturating_sub(pre_skip);
            Length::Seconds(samples as f64 / 48_000.0)
        }
        Codec::Vorbis { rate } => Length::Seconds(granule as f64 / f64::from(rate)),
        Codec::Other => Length::Unmeasured,
    }
}

#[derive(Clone, Copy, Debug)]
enum Codec {
    Opus { pre_skip: u64 },
    Vorbis { rate: u32 },
    Other,
}

impl Codec {
    /// From the first packet of a stream (its identification header).
    fn of(packet: &[u8]) -> Codec {
        if packet.starts_with(b"OpusHead") && packet.len() >= 12 {
            return Codec::Opus {
                pre_skip: u64::from(u16::from_le_bytes([packet[10], packet[11]])),
            };
        }
        if packet.starts_with(b"\x01vorbis") && packet.len() >= 16 {
            let rate = u32::from_le_bytes([packet[12], packet[13], packet[14], packet[15]]);
            if rate > 0 {
                return Codec::Vorbis { rate };
            }
        }
        Codec::Other
    }
}

/// Counts the samples of Opus audio packets from their TOC bytes, across page boundaries.
#[derive(Default)]
struct Packets {
    /// Packets seen so far (the first two are the OpusHead and OpusTags headers).
    seen: u64,
    /// Whether the next segment continues a packet begun earlier.
    inside: bool,
    samples: u64,
}

impl Packets {
    fn add(&mut self, page: &Page<'_>) {
        let mut offset = 0usize;
        for &lacing in page.lacing {
            let segment = page.body.get(offset..offset + usize::from(lacing)).unwrap_or(&[]);
            if !self.inside {
                // A packet starts here; the first two are headers, not audio.
                if self.seen >= 2 {
                    self.samples += opus_packet_samples(segment);
                }
                self.seen += 1;
            }
            self.inside = lacing == 255;
            offset += usize::from(lacing);
        }
    }
}

/// Samples (at 48 kHz) in one Opus packet whose first bytes are `packet` (RFC 6716 §3.1).
fn opus_packet_samples(packet: &[u8]) -> u64 {
    let Some(&toc) = packet.first() else { return 0 };
    let config = toc >> 3;
    // Frame length in 48 kHz samples: SILK 10/20/40/60 ms, hybrid 10/20 ms, CELT 2.5/5/10/20 ms.
    let frame = match config {
        0..=11 => [480, 960, 1920, 2880][usize::from(config % 4)],
        12..=15 => [480, 960][usize::from(config % 2)],
        _ => [120, 240, 480, 960][usize::from(config % 4)],
    };
    let frames = match toc & 3 {
        0 => 1,
        1 | 2 => 2,
        _ => packet.get(1).map_or(0, |b| u64::from(b & 0x3F)),
    };
    // A packet holds at most 120 ms; more is a damaged count, capped as decoders cap it.
    (frame * frames).min(5760)
}

/// One intact page.
#[derive(Clone, Copy, Debug)]
pub struct Page<'a> {
    pub header_type: u8,
    pub granule: u64,
    pub serial: u32,
    pub sequence: u32,
    /// The segment table.
    pub lacing: &'a [u8],
    pub body: &'a [u8],
    /// The whole page as stored: header, segment table and body.
    pub raw: &'a [u8],
}

/// The page at the start of `b`, if it is complete and its CRC holds.
pub fn page_at(b: &[u8]) -> Option<Page<'_>> {
    if b.len() < 27 || &b[..4] != b"OggS" || b[4] != 0 {
        return None;
    }
    let segments = usize::from(b[26]);
    let lacing = b.get(27..27 + segments)?;
    let body_len: usize = lacing.iter().map(|l| usize::from(*l)).sum();
    let end = 27 + segments + body_len;
    let raw = b.get(..end)?;
    let stored = u32::from_le_bytes([b[22], b[23], b[24], b[25]]);
    if page_crc(raw) != stored {
        return None;
    }
    let le64 = |r: std::ops::Range<usize>| u64::from_le_bytes(b[r].try_into().expect("8 bytes"));
    let le32 = |r: std::ops::Range<usize>| u32::from_le_bytes(b[r].try_into().expect("4 bytes"));
    Some(Page {
        header_type: b[5],
        granule: le64(6..14),
        serial: le32(14..18),
        sequence: le32(18..22),
        lacing,
        body: &raw[27 + segments..],
        raw,
    })
}

/// Every intact page of `b` in order, skipping damaged stretches as a decoder resynchronises.
pub fn pages(b: &[u8]) -> impl Iterator<Item = Page<'_>> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        while at + 27 <= b.len() {
            let Some(next) = b[at..].windows(4).position(|w| w == b"OggS") else {
                at = b.len();
                return None;
            };
            at += next;
            if let Some(page) = page_at(&b[at..]) {
                at += page.raw.len();
                return Some(page);
            }
            at += 1;
        }
        None
    })
}

/// The CRC of a page as stored in its header: computed with the checksum field zeroed.
pub fn page_crc(raw: &[u8]) -> u32 {
    let zeroed = [0u8; 4];
    let (head, rest) = raw.split_at(22.min(raw.len()));
    let tail = rest.get(4..).unwrap_or(&[]);
    crc32(crc32(crc32(0, head), &zeroed[..rest.len().min(4)]), tail)
}

/// Ogg's CRC-32: polynomial 0x04C11DB7, initial value 0, no reflection, no final XOR.
pub fn crc32(mut crc: u32, data: &[u8]) -> u32 {
    static TABLE: std::sync::LazyLock<[u32; 256]> = std::sync::LazyLock::new(|| {
        let mut t = [0u32; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut r = (i as u32) << 24;
            for _ in 0..8 {
                r = if r & 0x8000_0000 != 0 { (r << 1) ^ 0x04C1_1DB7 } else { r << 1 };
            }
            *slot = r;
        }
        t
    });
    for &byte in data {
        crc = (crc << 8) ^ TABLE[((crc >> 24) as u8 ^ byte) as usize];
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `sample` with its audio pages repeated `times` times: granules and sequence numbers
    /// continue, CRCs are recomputed — a valid file `times` as long.
    fn looped(sample: &[u8], times: u64) -> Vec<u8> {
        let all: Vec<Page> = pages(sample).collect();
        let (headers, audio) = all.split_at(2);
        let step = audio.last().unwrap().granule;
        let mut out: Vec<u8> = headers.iter().flat_map(|p| p.raw.to_vec()).collect();
        let mut sequence = 2u32;
        for k in 0..times {
            for (i, p) in audio.iter().enumerate() {
                let last = k + 1 == times && i + 1 == audio.len();
                out.extend(rewrite(p, p.granule + k * step, sequence, if last { 4 } else { 0 }));
                sequence += 1;
            }
        }
        out
    }

    fn rewrite(p: &Page, granule: u64, sequence: u32, header_type: u8) -> Vec<u8> {
        let mut raw = p.raw.to_vec();
        raw[5] = header_type;
        raw[6..14].copy_from_slice(&granule.to_le_bytes());
        raw[18..22].copy_from_slice(&sequence.to_le_bytes());
        let crc = page_crc(&raw);
        raw[22..26].copy_from_slice(&crc.to_le_bytes());
        raw
    }

    fn secs(b: &[u8]) -> f64 {
        match length(b) {
            Length::Seconds(s) => s,
            other => panic!("expected seconds, got {other:?}"),
        }
    }

    #[test]
    fn the_real_samples_measure_their_playback_length() {
        // The same files as ../shared/audio (emulators/assets holds byte-identical copies).
        assert!(
            (secs(emulators::samples::BEGINNER_AHOJ) - 3.289).abs() < 0.05,
            "{}",
            secs(emulators::samples::BEGINNER_AHOJ)
        );
        assert!((secs(emulators::samples::SILENCE) - 1.0).abs() < 0.05);
        for s in emulators::samples::ALL {
            let real = secs(s.bytes);
            // Counting whole packets may add the last packet's trimmed end (under 20 ms).
            assert!(real > 0.5 && real <= f64::from(s.duration_secs) + 0.02, "{}: {real}", s.name);
            assert!(
                pages(s.bytes).all(|p| page_at(p.raw).is_some()),
                "{}: every CRC holds",
                s.name
            );
        }
    }

    #[test]
    fn a_five_minute_file_measures_five_minutes_whatever_it_claims() {
        let one = secs(emulators::samples::BEGINNER_AHOJ);
        let long = looped(emulators::samples::BEGINNER_AHOJ, 92);
        let s = secs(&long);
        assert!((s - 92.0 * 3.29).abs() < 3.0 && s > 300.0, "{s} (one loop {one})");
    }

    #[test]
    fn granules_that_lie_low_are_outvoted_by_the_packets() {
        let long = looped(emulators::samples::BEGINNER_AHOJ, 60);
        // Every audio page rewritten to claim the position of the first second.
        let lying: Vec<u8> = pages(&long)
            .enumerate()
            .flat_map(|(i, p)| {
                if i < 2 { p.raw.to_vec() } else { rewrite(&p, 48_000, p.sequence, p.header_type) }
            })
            .collect();
        assert!(secs(&lying) > 180.0, "{}", secs(&lying));
    }

    #[test]
    fn a_damaged_page_does_not_hide_the_audio_after_it() {
        let mut long = looped(emulators::samples::BEGINNER_AHOJ, 30);
        let start: usize = pages(&long).take(2).map(|p| p.raw.len()).sum();
        let first_audio = pages(&long).nth(2).unwrap().raw.len();
        long[start + first_audio / 2] ^= 0xFF; // inside the first audio page: its CRC breaks
        assert_eq!(pages(&long).count(), 2 + 30 * 4 - 1);
        assert!(secs(&long) > 90.0, "{}", secs(&long));
    }

    #[test]
    fn truncated_files_measure_what_arrived() {
        let ahoj = emulators::samples::BEGINNER_AHOJ;
        let half = secs(&ahoj[..ahoj.len() / 2]);
        assert!(half > 0.5 && half < 3.0, "{half}");
        assert_eq!(length(&ahoj[..ahoj.len().min(841)]), Length::Seconds(0.0), "headers only");
        assert_eq!(length(&ahoj[..30]), Length::Broken, "cut inside the first page");
    }

    #[test]
    fn junk_that_starts_like_ogg_or_is_empty_is_broken() {
        assert_eq!(length(b""), Length::Broken);
        assert_eq!(length(b"OggS definitely not an ogg file, just text"), Length::Broken);
        let mut junk = b"OggS\0\x02".to_vec();
        junk.extend(std::iter::repeat_n(0xAB, 4000));
        assert_eq!(length(&junk), Length::Broken);
    }

    #[test]
    fn other_codecs_are_valid_but_unmeasured() {
        let speex = pages(emulators::samples::BEGINNER_AHOJ).next().unwrap();
        let mut raw = speex.raw.to_vec();
        raw[28..36].copy_from_slice(b"Speex   ");
        let crc = page_crc(&raw);
        raw[22..26].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(length(&raw), Length::Unmeasured);
    }

    #[test]
    fn the_crc_matches_the_reference_check_value() {
        // CRC-32/MPEG-2 without the initial all-ones and final XOR (Ogg's variant): "123456789".
        assert_eq!(crc32(0, b"123456789"), 0x89A1_897F);
    }
}
