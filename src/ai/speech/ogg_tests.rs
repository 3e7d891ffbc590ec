use super::*;

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
        assert!(pages(s.bytes).all(|p| page_at(p.raw).is_some()), "{}: every CRC holds", s.name);
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
            if i < 2 { p.raw.to_vec() } else { rewritten(&p, 48_000, p.sequence, p.header_type) }
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
