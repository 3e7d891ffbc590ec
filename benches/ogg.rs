//! Ogg measuring benchmark: the CPU a crafted worst-case upload costs (issue 15).
//!
//! A 20 MB file of nothing but `OggS` page candidates, each claiming a 64 KiB page whose CRC
//! fails, used to cost a CRC of up to 64 KiB per candidate (~74,000 of them). The reader now
//! stops once it has checked twice the file's length (`ogg::crc_budget`), so any file costs
//! at most a few linear passes. Also measured: a real 5-minute voice note, for comparison, and
//! the CRC throughput, from which the old worst case is derived.
//!
//! Run: `cargo bench --bench ogg` (prints the figures for BENCHMARKS.md).

use std::time::Instant;

use mluvme::ai::speech::ogg;

fn crafted(len: usize) -> Vec<u8> {
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

/// `sample` looped until the file plays about `seconds`.
fn long_voice(sample: &[u8], seconds: f64) -> Vec<u8> {
    let ogg::Length::Seconds(once) = ogg::length(sample) else { panic!("a sample measures") };
    ogg::looped(sample, (seconds / once).ceil() as u64)
}

fn time<T>(f: impl Fn() -> T) -> (T, f64) {
    let _ = f();
    let runs = 5;
    let t = Instant::now();
    let mut out = None;
    for _ in 0..runs {
        out = Some(f());
    }
    (out.unwrap(), t.elapsed().as_secs_f64() * 1000.0 / runs as f64)
}

fn main() {
    let big = crafted(20 * 1024 * 1024);
    let (length, ms) = time(|| ogg::length(&big));
    println!("| crafted 20 MiB of `OggS` candidates | {length:?} | {ms:.1} ms |");

    let voice = long_voice(emulators::samples::BEGINNER_AHOJ, 300.0);
    let (length, ms) = time(|| ogg::length(&voice));
    println!(
        "| a real voice note looped to 5 min ({} KiB) | {length:?} | {ms:.2} ms |",
        voice.len() / 1024
    );

    let block = vec![0xA5u8; 64 * 1024];
    let (_, ms) = time(|| (0..1000).fold(0u32, |c, _| ogg::crc32(c, &block)));
    let mb_per_s = 64.0 * 1000.0 / 1024.0 / (ms / 1000.0);
    let candidates = big.len() / 282;
    let old_ms = candidates as f64 * 65_307.0 / (mb_per_s * 1024.0 * 1024.0) * 1000.0;
    println!("| CRC throughput | {mb_per_s:.0} MiB/s | |");
    println!(
        "| derived: the old reader on the crafted file ({candidates} candidates × 64 KiB of CRC) | | ~{old_ms:.0} ms |"
    );
}
