//! Ogg framing (RFC 3533): finding intact pages in a file by their capture pattern and CRC,
//! resynchronising past damage as a decoder does, and never checking more than [`crc_budget`]
//! allows — so reading any upload is linear in its length. Knows nothing of codecs: what the
//! pages say about a length is the parent module's business.

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
    pub(super) fn new(b: &'a [u8]) -> Pages<'a> {
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
