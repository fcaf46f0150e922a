//! gzip output: one complete member per block, compressed by the worker
//! that anonymized the block, like pigz.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

/// Compresses `data` as one complete gzip member (pigz-style: members
/// concatenate into a valid multi-member file that `gzip -t` and `zcat`
/// accept). The header carries no name and mtime 0, so equal input gives
/// equal bytes.
pub fn gzip_member(data: &[u8], level: Compression, dst: &mut Vec<u8>) {
    let mut enc = GzEncoder::new(std::mem::take(dst), level);
    enc.write_all(data).expect("writing to a Vec cannot fail");
    *dst = enc.finish().expect("writing to a Vec cannot fail");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn members_concatenate_into_one_stream_and_are_reproducible() {
        let mut a = Vec::new();
        gzip_member(b"one\n", Compression::default(), &mut a);
        let mut again = Vec::new();
        gzip_member(b"one\n", Compression::default(), &mut again);
        assert_eq!(a, again, "no name, mtime 0: equal input, equal bytes");
        let mut b = Vec::new();
        gzip_member(b"", Compression::new(1), &mut b);
        gzip_member(b"two\n", Compression::new(9), &mut b);
        let both = [a, b].concat();
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&both[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "one\ntwo\n");
    }
}
