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
//!
//! Here: measuring a stream once its pages are read. Reading the pages themselves (capture,
//! CRC, resynchronising within a budget) is in `framing`, re-exported: `ogg::pages`,
//! `ogg::page_crc` and the rest keep their paths.

pub use framing::{Page, Pages, crc_budget, crc32, page_at, page_crc, pages};
pub use longer::{looped, rewritten};

mod framing;
mod longer;

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

#[cfg(test)]
#[path = "ogg_tests.rs"]
mod tests;
