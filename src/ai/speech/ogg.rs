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

/// The length of every logical stream of `bytes` together: streams that follow one another
/// (chained) play one after the other, and streams side by side are at least as long as the
/// longest, so the sum never under-counts what speech-to-text will be given. A file whose pages
/// cost more checking than [`crc_budget`] allows is refused as [`Length::Broken`].
pub fn length(bytes: &[u8]) -> Length {
    let mut reader = Pages::new(bytes);
    let mut streams: Vec<Stream> = Vec::new();
    for page in reader.by_ref() {
        match streams.iter_mut().find(|s| s.serial == page.serial) {
            Some(stream) => stream.add(&page),
            None => streams.push(Stream::new(&page)),
        }
    }
    if reader.over_budget() || streams.is_empty() {
        return Length::Broken;
    }
    let mut seconds = 0.0;
    for stream in &streams {
        match stream.seconds() {
            Some(s) => seconds += s,
            // Not every stream measured: the caller falls back on the declared duration.
            None => return Length::Unmeasured,
        }
    }
    Length::Seconds(seconds)
}

/// One logical stream as its pages go by.
struct Stream {
    serial: u32,
    codec: Codec,
    granule: u64,
    packets: Packets,
}

impl Stream {
    fn new(first: &Page<'_>) -> Stream {
        let mut s = Stream {
            serial: first.serial,
            codec: Codec::of(first.body),
            granule: 0,
            packets: Packets::default(),
        };
        s.add(first);
        s
    }

    fn add(&mut self, page: &Page<'_>) {
        // -1 marks a page on which no packet ends: it carries no position.
        if page.granule != u64::MAX {
            self.granule = self.granule.max(page.granule);
        }
        if let Codec::Opus { .. } = self.codec {
            self.packets.add(page);
        }
    }

    fn seconds(&self) -> Option<f64> {
        match self.codec {
            Codec::Opus { pre_skip } => {
                let samples = self.granule.max(self.packets.samples).saturating_sub(pre_skip);
                Some(samples as f64 / 48_000.0)
            }
            Codec::Vorbis { rate } => Some(self.granule as f64 / f64::from(rate)),
            Codec::Other => None,
        }
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

/// Bytes of CRC a file of `len` bytes may cost. An intact file is checked once over (each byte
/// belongs to one page); damage costs a little more where a decoder resynchronises. A crafted
/// file of nothing but `OggS` candidates, each claiming a 64 KiB page, would otherwise cost a
/// CRC of up to 64 KiB per candidate — gigabytes of work for a 20 MB upload. Past this budget
/// the file is not Ogg anyone recorded, and reading stops.
pub fn crc_budget(len: usize) -> usize {
    len.saturating_mul(2).saturating_add(256 * 1024)
}

/// Every intact page of `b` in order, skipping damaged stretches as a decoder resynchronises,
/// within [`crc_budget`]: linear in the file's length whatever its bytes.
pub fn pages(b: &[u8]) -> Pages<'_> {
    Pages::new(b)
}

/// The iterator of [`pages`]; [`Pages::over_budget`] says whether it stopped early.
pub struct Pages<'a> {
    b: &'a [u8],
    at: usize,
    budget: usize,
    over: bool,
}

impl<'a> Pages<'a> {
    fn new(b: &'a [u8]) -> Pages<'a> {
        Pages { b, at: 0, budget: crc_budget(b.len()), over: false }
    }

    /// The file cost more checking than its budget: what was read may not be all of it.
    pub fn over_budget(&self) -> bool {
        self.over
    }
}

impl<'a> Iterator for Pages<'a> {
    type Item = Page<'a>;

    fn next(&mut self) -> Option<Page<'a>> {
        let b = self.b;
        while !self.over && self.at + 27 <= b.len() {
            let Some(next) = find_capture(&b[self.at..]) else {
                self.at = b.len();
                return None;
            };
            self.at += next;
            let claimed = claimed_len(&b[self.at..]);
            if claimed > self.budget {
                self.over = true;
                return None;
            }
            self.budget -= claimed;
            if let Some(page) = page_at(&b[self.at..]) {
                self.at += page.raw.len();
                return Some(page);
            }
            self.at += 1;
        }
        None
    }
}

/// Where the next `OggS` starts.
fn find_capture(b: &[u8]) -> Option<usize> {
    b.windows(4).position(|w| w == b"OggS")
}

/// The bytes [`page_at`] would check for a page starting at `b` (0 when it would stop before the
/// CRC): what a candidate costs against the budget.
fn claimed_len(b: &[u8]) -> usize {
    if b.len() < 27 || b[4] != 0 {
        return 0;
    }
    let segments = usize::from(b[26]);
    let Some(lacing) = b.get(27..27 + segments) else { return 0 };
    let end = 27 + segments + lacing.iter().map(|l| usize::from(*l)).sum::<usize>();
    if end > b.len() { 0 } else { end }
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

    /// A file of nothing but page candidates, each claiming the largest page its bytes allow and
    /// failing its CRC: the worst case for a reader that checks every candidate.
    pub(crate) fn crafted_candidates(len: usize) -> Vec<u8> {
        let mut head = b"OggS\0\0".to_vec();
        head.resize(26, 0);
        head.push(255);
        head.extend(std::iter::repeat_n(255u8, 255));
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            out.extend_from_slice(&head);
        }
        out.truncate(len);
        out
    }

    #[test]
    fn a_file_of_page_candidates_is_refused_within_its_budget() {
        let crafted = crafted_candidates(2 * 1024 * 1024);
        let mut reader = Pages::new(&crafted);
        assert_eq!(reader.by_ref().count(), 0);
        assert!(reader.over_budget(), "stopped by the budget, not by reading it all");
        assert_eq!(length(&crafted), Length::Broken);
    }

    #[test]
    fn a_real_file_stays_well_within_its_budget() {
        let long = looped(emulators::samples::BEGINNER_AHOJ, 60);
        let mut reader = Pages::new(&long);
        assert_eq!(reader.by_ref().count(), 2 + 60 * 4);
        assert!(!reader.over_budget());
        // Damage everywhere costs resynchronisation, still within the budget.
        let mut damaged = long.clone();
        for i in (100..damaged.len()).step_by(997) {
            damaged[i] ^= 0x55;
        }
        let mut reader = Pages::new(&damaged);
        let _ = reader.by_ref().count();
        assert!(!reader.over_budget());
    }

    #[test]
    fn a_second_stream_counts_toward_the_length() {
        let one = secs(emulators::samples::BEGINNER_AHOJ);
        // The same recording again as a second logical stream (chained, another serial).
        let mut chained = emulators::samples::BEGINNER_AHOJ.to_vec();
        for p in pages(emulators::samples::BEGINNER_AHOJ) {
            let mut raw = p.raw.to_vec();
            raw[14..18].copy_from_slice(&(p.serial ^ 0xFFFF).to_le_bytes());
            let crc = page_crc(&raw);
            raw[22..26].copy_from_slice(&crc.to_le_bytes());
            chained.extend(raw);
        }
        assert!((secs(&chained) - 2.0 * one).abs() < 0.05, "{} vs {one}", secs(&chained));
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
