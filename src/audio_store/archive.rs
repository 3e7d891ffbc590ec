//! Pure: the learner's audio packed into ZIP archives for `/export`, one part at a time.
//!
//! A heavy learner has hundreds of voice notes; Telegram takes a bot's document up to 50 MB and
//! a phone opens a ZIP without an app. Files are stored, not compressed (Opus does not shrink),
//! and a part is closed before it would pass its size, so the bot holds at most one part (plus
//! the file being added) in memory however much there is.

use std::io::{Cursor, Write};

use bytes::Bytes;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Room for a file's headers in the archive (local header, central directory entry, names).
const OVERHEAD: usize = 256;

/// Packs files into archives of at most `max` bytes each (a single file larger than that gets a
/// part of its own).
pub struct Packer {
    max: usize,
    zip: Option<ZipWriter<Cursor<Vec<u8>>>>,
    size: usize,
}

impl Packer {
    pub fn new(max: usize) -> Self {
        Packer { max, zip: None, size: 0 }
    }

    /// Adds `bytes` under `name`; returns the part this closed to make room, if any.
    pub fn add(
        &mut self,
        name: &str,
        bytes: &[u8],
    ) -> Result<Option<Bytes>, zip::result::ZipError> {
        let needs = bytes.len() + name.len() + OVERHEAD;
        let closed =
            if self.zip.is_some() && self.size + needs > self.max { self.finish()? } else { None };
        let zip = self.zip.get_or_insert_with(|| ZipWriter::new(Cursor::new(Vec::new())));
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(false);
        zip.start_file(name, options)?;
        zip.write_all(bytes)?;
        self.size += needs;
        Ok(closed)
    }

    /// Closes the part being filled; `None` when nothing was added since the last one.
    pub fn finish(&mut self) -> Result<Option<Bytes>, zip::result::ZipError> {
        self.size = 0;
        match self.zip.take() {
            None => Ok(None),
            Some(zip) => Ok(Some(Bytes::from(zip.finish()?.into_inner()))),
        }
    }
}

/// The name a stored object gets in the archive: `2026-12-04/9001-learner.ogg` for the key
/// `2026/12/04/<chat>/9001-learner.ogg` (the chat is the learner's own, so it is left out).
pub fn entry_name(key: &str) -> String {
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        [y, m, d, _chat, file] => format!("{y}-{m}-{d}/{file}"),
        _ => key.replace('/', "_"),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn entries(part: &Bytes) -> Vec<(String, Vec<u8>)> {
        let mut zip = zip::ZipArchive::new(Cursor::new(part.to_vec())).expect("a valid ZIP");
        (0..zip.len())
            .map(|i| {
                let mut f = zip.by_index(i).unwrap();
                let mut out = Vec::new();
                f.read_to_end(&mut out).unwrap();
                (f.name().unwrap().into_owned(), out)
            })
            .collect()
    }

    #[test]
    fn files_come_back_whole_and_parts_close_before_they_pass_their_size() {
        let mut packer = Packer::new(10_000);
        let voice = vec![0x4Fu8; 4_000];
        let mut parts = Vec::new();
        for i in 0..5 {
            parts.extend(packer.add(&format!("2026-12-04/{i}-learner.ogg"), &voice).unwrap());
        }
        parts.extend(packer.finish().unwrap());
        assert_eq!(parts.len(), 3, "two files per part of 10 kB");
        assert!(parts.iter().all(|p| p.len() <= 10_000), "{:?}", parts.iter().map(Bytes::len));
        let all: Vec<_> = parts.iter().flat_map(entries).collect();
        assert_eq!(all.len(), 5);
        assert_eq!(all[4], ("2026-12-04/4-learner.ogg".to_owned(), voice));
        assert!(packer.finish().unwrap().is_none(), "nothing added since");
    }

    #[test]
    fn a_file_larger_than_a_part_gets_a_part_of_its_own() {
        let mut packer = Packer::new(1_000);
        assert!(packer.add("a.ogg", &[1; 100]).unwrap().is_none());
        let first = packer.add("big.ogg", &[2; 5_000]).unwrap().expect("a.ogg's part closed");
        assert_eq!(entries(&first).len(), 1);
        let big = packer.finish().unwrap().unwrap();
        assert_eq!(entries(&big)[0].1.len(), 5_000);
    }

    #[test]
    fn an_entry_is_named_by_its_day_and_file_without_the_chat() {
        assert_eq!(entry_name("2026/12/04/42/9001-honzik.ogg"), "2026-12-04/9001-honzik.ogg");
        assert_eq!(entry_name("odd/key.ogg"), "odd_key.ogg");
    }
}
