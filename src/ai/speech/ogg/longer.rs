//! Long Ogg files made from short ones, for the tests and benchmarks that need five minutes of
//! real speech without storing it: the audio pages repeated, each rewritten so the file stays
//! valid (granules and sequence numbers continue, CRCs recomputed).

use super::{Page, page_crc, pages};

/// `sample` with its audio pages repeated `times` times: a valid file `times` as long, its last
/// page marked as the end of the stream.
pub fn looped(sample: &[u8], times: u64) -> Vec<u8> {
    let all: Vec<Page> = pages(sample).collect();
    let (headers, audio) = all.split_at(2);
    let step = audio.last().map_or(0, |p| p.granule);
    let mut out: Vec<u8> = headers.iter().flat_map(|p| p.raw.to_vec()).collect();
    let mut sequence = 2u32;
    for k in 0..times {
        for (i, p) in audio.iter().enumerate() {
            let last = k + 1 == times && i + 1 == audio.len();
            out.extend(rewritten(p, p.granule + k * step, sequence, if last { 4 } else { 0 }));
            sequence += 1;
        }
    }
    out
}

/// Page `p` as stored, with another granule, sequence number and header type, and the CRC that
/// makes it valid again.
pub fn rewritten(p: &Page, granule: u64, sequence: u32, header_type: u8) -> Vec<u8> {
    let mut raw = p.raw.to_vec();
    raw[5] = header_type;
    raw[6..14].copy_from_slice(&granule.to_le_bytes());
    raw[18..22].copy_from_slice(&sequence.to_le_bytes());
    let crc = page_crc(&raw);
    raw[22..26].copy_from_slice(&crc.to_le_bytes());
    raw
}
