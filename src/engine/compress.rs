//! Compressed inputs and outputs. Inputs are recognised by their magic
//! bytes (never by name) and decoded as streams that go on across members,
//! frames and streams; outputs are written pigz-style: each block is
//! compressed by the worker that anonymized it into one complete, independent
//! gzip member, zstd frame, xz stream or bzip2 stream, and their
//! concatenation is one valid file for every tool of that format.
//!
//! Memory stays bounded whatever the input: gzip's window is 32 KiB and
//! bzip2's blocks 900 kB by design; zstd windows and xz dictionaries over
//! [`DECODER_MEMORY`] are refused with an error instead of allocated.

use std::io::{self, Read, Write};

use crate::config::{Codec, Levels};

mod stepwise;
use stepwise::Stepwise;

/// The longest magic looked at: bzip2's `BZh` and level digit followed by
/// the 6-byte magic of its first block (or of its end, when empty).
pub const MAGIC_LEN: usize = 10;

/// The most memory a decoder may take: the zstd window (zstd's own
/// default limit, 2^27, which every level up to 19 and `--ultra -22`
/// stay within) and the xz dictionary (`xz -9` needs 65 MiB).
pub const DECODER_MEMORY: u64 = 1 << 27;

/// Each magic as byte ranges, one per position. bzip2's level digit and
/// zstd's skippable frames (pzstd starts its files with one) make ranges
/// necessary; bzip2 has one pattern for a first block, one for no block.
const MAGICS: &[(Codec, &[(u8, u8)])] = &[
    (Codec::Gzip, &[(0x1f, 0x1f), (0x8b, 0x8b)]),
    (
        Codec::Zstd,
        &[(0x28, 0x28), (0xb5, 0xb5), (0x2f, 0x2f), (0xfd, 0xfd)],
    ),
    (
        Codec::Zstd,
        &[(0x50, 0x5f), (0x2a, 0x2a), (0x4d, 0x4d), (0x18, 0x18)],
    ),
    (
        Codec::Xz,
        &[
            (0xfd, 0xfd),
            (b'7', b'7'),
            (b'z', b'z'),
            (b'X', b'X'),
            (b'Z', b'Z'),
            (0, 0),
        ],
    ),
    (
        Codec::Bzip2,
        &bzip2_magic([0x31, 0x41, 0x59, 0x26, 0x53, 0x59]),
    ),
    (
        Codec::Bzip2,
        &bzip2_magic([0x17, 0x72, 0x45, 0x38, 0x50, 0x90]),
    ),
];

const fn bzip2_magic(block: [u8; 6]) -> [(u8, u8); MAGIC_LEN] {
    let mut m = [
        (b'B', b'B'),
        (b'Z', b'Z'),
        (b'h', b'h'),
        (b'1', b'9'),
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
    ];
    let mut i = 0;
    while i < 6 {
        m[4 + i] = (block[i], block[i]);
        i += 1;
    }
    m
}

/// True when `head` agrees with `magic` as far as either goes.
fn agrees(head: &[u8], magic: &[(u8, u8)]) -> bool {
    head.iter()
        .zip(magic)
        .all(|(b, (lo, hi))| (lo..=hi).contains(&b))
}

/// The codec whose magic `head` (an input's first bytes, all of them when
/// it has fewer than [`MAGIC_LEN`]) starts with; `None` is plain text.
pub fn detect(head: &[u8]) -> Option<Codec> {
    MAGICS
        .iter()
        .find(|(_, m)| head.len() >= m.len() && agrees(head, m))
        .map(|&(c, _)| c)
}

/// True while one more byte could change what [`detect`] says of `head`.
/// Peeking stops as soon as this is false, so a live pipe of plain lines
/// is never made to wait for bytes its producer has not sent: log lines
/// start with no magic's first byte except bzip2's `B`.
pub fn undecided(head: &[u8]) -> bool {
    detect(head).is_none()
        && MAGICS
            .iter()
            .any(|(_, m)| head.len() < m.len() && agrees(head, m))
}

/// A decoder of `codec` over `raw` that reads every member, frame or
/// stream to the end of the input. Its errors name the format; errors of
/// `raw` itself pass unchanged.
///
/// # Errors
/// The decoder's state could not be allocated.
pub fn decoder(codec: Codec, raw: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
    let buffered = io::BufReader::with_capacity(1 << 17, raw);
    let inner: Box<dyn Read + Send> = match codec {
        Codec::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Codec::Zstd => {
            // Not single_frame(): the reader goes on across frames.
            let mut d = zstd::stream::read::Decoder::with_buffer(buffered)?;
            d.window_log_max(DECODER_MEMORY.trailing_zeros())?;
            Box::new(d)
        }
        Codec::Xz => {
            let stream = liblzma::stream::Stream::new_stream_decoder(
                DECODER_MEMORY,
                liblzma::stream::CONCATENATED,
            )?;
            Box::new(Stepwise::new(stepwise::Xz(stream), buffered))
        }
        Codec::Bzip2 => {
            let first = bzip2::Decompress::new(false);
            Box::new(Stepwise::new(stepwise::Bzip2(first), buffered))
        }
    };
    Ok(Box::new(Named { codec, inner }))
}

/// Prefixes a decoder's own errors with the format's name. An error with
/// an OS code came from reading the file, not from its content.
struct Named {
    codec: Codec,
    inner: Box<dyn Read + Send>,
}

impl Read for Named {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.raw_os_error().is_some() || e.kind() == io::ErrorKind::Interrupted {
                e
            } else {
                io::Error::new(e.kind(), format!("{}: {e}", self.codec.name()))
            }
        })
    }
}

/// xz's and bzip2's levels when an in-place rewrite writes them: their
/// tools' defaults.
const XZ_PRESET: u32 = 6;
const BZIP2_LEVEL: u32 = 9;

/// The gzip levels libdeflate compresses; zlib-rs does the others.
const LIBDEFLATE_LEVELS: std::ops::RangeInclusive<u32> = 3..=7;

/// Compresses blocks, each into one complete member of one codec. One per
/// worker: the zstd and libdeflate contexts are reused from block to
/// block instead of being allocated for each.
pub struct BlockEncoder {
    kind: Kind,
}

enum Kind {
    /// gzip at levels 1-2 and 8-9: zlib-rs, faster there than libdeflate at
    /// the same level (benches/deflate.sh, BENCHMARKS.md).
    Zlib(flate2::Compression),
    /// gzip at levels 3-7 (6 is the default): libdeflate, faster than
    /// zlib-rs at a better ratio (at 4, 1 % larger).
    Libdeflate(Box<libdeflater::Compressor>),
    Zstd(Box<zstd::bulk::Compressor<'static>>),
    Xz,
    Bzip2,
}

impl BlockEncoder {
    /// An encoder for `codec` at its level in `levels` (gzip 1..=9, zstd
    /// 1..=19, as the command line allows).
    pub fn new(codec: Codec, levels: Levels) -> BlockEncoder {
        let kind = match codec {
            Codec::Gzip if LIBDEFLATE_LEVELS.contains(&levels.gzip) => {
                let lvl = libdeflater::CompressionLvl::new(levels.gzip as i32)
                    .expect("gzip levels 3..=7 are libdeflate levels");
                Kind::Libdeflate(Box::new(libdeflater::Compressor::new(lvl)))
            }
            Codec::Gzip => Kind::Zlib(flate2::Compression::new(levels.gzip)),
            Codec::Zstd => {
                let mut c = zstd::bulk::Compressor::new(levels.zstd)
                    .expect("a zstd context for a level in 1..=19");
                // As the zstd program writes by default: `zstd -t` then
                // checks every frame's content, not only its structure.
                c.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))
                    .expect("the checksum flag is a valid parameter");
                Kind::Zstd(Box::new(c))
            }
            Codec::Xz => Kind::Xz,
            Codec::Bzip2 => Kind::Bzip2,
        };
        BlockEncoder { kind }
    }

    /// Replaces `dst` with `data` compressed as one complete gzip member
    /// (no name, mtime 0), zstd frame (content size and checksum), xz
    /// stream (CRC64) or bzip2 stream. Equal input gives equal bytes, and
    /// members concatenate into one valid file of the format, also when
    /// `data` is empty (an empty member is valid where an empty file is
    /// not).
    pub fn encode(&mut self, data: &[u8], dst: &mut Vec<u8>) {
        const VEC: &str = "compressing into a Vec cannot fail";
        dst.clear();
        match &mut self.kind {
            Kind::Zlib(level) => {
                let mut e = flate2::write::GzEncoder::new(std::mem::take(dst), *level);
                e.write_all(data).expect(VEC);
                *dst = e.finish().expect(VEC);
            }
            Kind::Libdeflate(c) => {
                dst.resize(c.gzip_compress_bound(data.len()), 0);
                let n = c.gzip_compress(data, dst).expect("the bound is enough");
                dst.truncate(n);
            }
            Kind::Zstd(c) => {
                dst.reserve(zstd::zstd_safe::compress_bound(data.len()));
                c.compress_to_buffer(data, dst)
                    .expect("the bound is enough");
            }
            Kind::Xz => xz_stream(data, dst),
            Kind::Bzip2 => {
                let level = bzip2::Compression::new(BZIP2_LEVEL);
                let mut e = bzip2::write::BzEncoder::new(std::mem::take(dst), level);
                e.write_all(data).expect(VEC);
                *dst = e.finish().expect(VEC);
            }
        }
    }
}

/// One xz stream at preset 6, its dictionary no larger than the block:
/// the preset's 8 MiB would cost ~94 MiB of encoder memory per worker for
/// nothing, since no match can reach outside the block.
fn xz_stream(data: &[u8], dst: &mut Vec<u8>) {
    use liblzma::stream::{Check, Filters, LzmaOptions, Stream};
    const VEC: &str = "compressing into a Vec cannot fail";
    let mut opts = LzmaOptions::new_preset(XZ_PRESET).expect("preset 6 exists");
    let preset_dict = 8 << 20;
    let dict = u32::try_from(data.len())
        .unwrap_or(u32::MAX)
        .clamp(4096, preset_dict);
    opts.dict_size(dict);
    let mut filters = Filters::new();
    filters.lzma2(&opts);
    let stream = Stream::new_stream_encoder(&filters, Check::Crc64).expect("an xz encoder");
    let mut e = liblzma::write::XzEncoder::new_stream(std::mem::take(dst), stream);
    e.write_all(data).expect(VEC);
    *dst = e.finish().expect(VEC);
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Codec; 4] = [Codec::Gzip, Codec::Zstd, Codec::Xz, Codec::Bzip2];

    fn decode(codec: Codec, data: Vec<u8>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decoder(codec, Box::new(io::Cursor::new(data)))?.read_to_end(&mut out)?;
        Ok(out)
    }

    fn members(codec: Codec, levels: Levels, parts: &[&[u8]]) -> Vec<u8> {
        let mut enc = BlockEncoder::new(codec, levels);
        let mut all = Vec::new();
        let mut one = Vec::new();
        for p in parts {
            enc.encode(p, &mut one);
            all.extend_from_slice(&one);
        }
        all
    }

    #[test]
    fn members_concatenate_into_one_stream_detected_by_magic() {
        for codec in ALL {
            for gzip in 1..=9 {
                let levels = Levels { gzip, zstd: 3 };
                let both = members(codec, levels, &[b"one\n", b"", b"two\n"]);
                assert_eq!(detect(&both[..MAGIC_LEN]), Some(codec), "{codec:?}");
                assert_eq!(decode(codec, both).unwrap(), b"one\ntwo\n", "{codec:?}");
            }
            let empty = members(codec, Levels::default(), &[b""]);
            assert_eq!(detect(&empty[..empty.len().min(MAGIC_LEN)]), Some(codec));
            assert_eq!(decode(codec, empty).unwrap(), b"");
        }
    }

    #[test]
    fn equal_input_gives_equal_bytes() {
        for codec in ALL {
            let a = members(codec, Levels::default(), &[b"one\n"]);
            assert_eq!(
                a,
                members(codec, Levels::default(), &[b"one\n"]),
                "{codec:?}"
            );
        }
    }

    #[test]
    fn truncated_and_garbage_inputs_fail_with_the_format_named() {
        for codec in ALL {
            let text: Vec<u8> = (0..5000)
                .flat_map(|i| format!("line {i}\n").into_bytes())
                .collect();
            let whole = members(codec, Levels::default(), &[&text]);
            let err = decode(codec, whole[..whole.len() - 5].to_vec()).unwrap_err();
            assert!(
                err.to_string().starts_with(codec.name()),
                "{codec:?}: {err}"
            );
            let mut tail = whole.clone();
            tail.extend_from_slice(b"not compressed\n");
            assert!(decode(codec, tail).is_err(), "{codec:?}: trailing garbage");
        }
    }

    #[test]
    fn every_byte_before_garbage_is_read_before_the_error() {
        let text: Vec<u8> = (0..5000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        for codec in ALL {
            let parts = [&text[..20_000], &text[20_000..]];
            let mut data = members(codec, Levels::default(), &parts);
            data.extend_from_slice(b"\x00garbage\n");
            let mut out = Vec::new();
            let mut d = decoder(codec, Box::new(io::Cursor::new(data))).unwrap();
            let err = d.read_to_end(&mut out).unwrap_err();
            assert!(out == text, "{codec:?}: {} bytes before {err}", out.len());
        }
    }

    #[test]
    fn plain_text_is_decided_at_its_first_byte() {
        for line in [
            &b"198.51.100.7 - -"[..],
            b"example.org:443 ",
            b"{\"a\":1}",
            b"",
        ] {
            assert_eq!(detect(line), None);
            assert!(line.is_empty() || !undecided(&line[..1]));
        }
        // A log line that starts with `B` is read a few bytes further.
        assert!(undecided(b"B") && undecided(b"BZh9") && !undecided(b"BZx"));
        assert_eq!(detect(b"BZh91AY&SY"), Some(Codec::Bzip2));
        assert_eq!(detect(b"BZh9 plain"), None);
        assert_eq!(detect(&[0x1f, 0x8b]), Some(Codec::Gzip));
        assert_eq!(detect(&[0x5e, 0x2a, 0x4d, 0x18]), Some(Codec::Zstd));
    }

    #[test]
    fn an_oversized_zstd_window_is_refused() {
        // A frame header declaring a 2^28 window: over DECODER_MEMORY.
        let mut frame = Vec::new();
        let mut enc = zstd::stream::write::Encoder::new(&mut frame, 19).unwrap();
        enc.set_parameter(zstd::zstd_safe::CParameter::WindowLog(28))
            .unwrap();
        enc.write_all(&vec![b'x'; 1 << 20]).unwrap();
        enc.finish().unwrap();
        let err = decode(Codec::Zstd, frame).unwrap_err();
        assert!(err.to_string().starts_with("zstd:"), "{err}");
    }
}
