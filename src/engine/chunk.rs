//! The Chunker: one input as blocks of whole lines (ripgrep's line buffer:
//! only complete lines leave it, the partial tail is carried to the next
//! block).
//!
//! It knows no policy. A line longer than the limit cannot be held, so it
//! is skipped up to its newline and reported as an event,
//! [`Chunk::Oversized`], with its line number; the caller decides what
//! stands in its place ([`Chunker::replace_oversized`]) or whether to stop.
//!
//! Buffers are grown once and never zeroed again: a [`Block`] remembers how
//! many of its bytes were ever initialized (its high-water mark), and reads
//! go into those bytes directly. At the default 1 MiB block size, zeroing
//! every read cost 6% of all instructions of a run (callgrind, `-j 1`).

use std::io::{self, Read};

use super::input::{self, Input};

/// A reusable block buffer: [`Block::bytes`] is the block; the bytes past
/// it are initialized scratch that later reads overwrite without zeroing.
#[derive(Default)]
pub struct Block {
    /// Initialized bytes; its length is the high-water mark.
    buf: Vec<u8>,
    /// The block: `buf[..len]`.
    len: usize,
}

impl Block {
    /// The block's bytes: whole lines, except for an unterminated last line
    /// at the end of an input.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// At least `n` bytes past the block to read into, initialized (zeroed
    /// only the first time the buffer reaches that size).
    fn spare(&mut self, n: usize) -> &mut [u8] {
        let need = self.len + n;
        if self.buf.len() < need {
            self.buf.resize(need, 0);
        }
        &mut self.buf[self.len..need]
    }

    fn extend(&mut self, data: &[u8]) {
        let len = self.len;
        self.spare(data.len()).copy_from_slice(data);
        self.len = len + data.len();
    }

    fn push(&mut self, b: u8) {
        self.extend(&[b]);
    }

    fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }
}

/// What [`Chunker::next`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk {
    /// The block holds the next lines.
    Block,
    /// A line longer than the limit was skipped, up to and with its
    /// newline; `line` is its 1-based line number in the input. The block
    /// is empty; call [`Chunker::next`] again to go on.
    Oversized {
        /// The skipped line's number.
        line: u64,
    },
    /// The input is exhausted.
    End,
}

/// Reads one input as blocks of complete lines.
///
/// Guarantees: every byte of the input comes out exactly once and in
/// order, except the bytes of over-long lines, each of which is replaced by
/// one [`Chunk::Oversized`] event; every block ends with a newline, except
/// the input's last one when the input does not (and then only when
/// `terminate_last` is off); a block is at least `block_size` bytes or is
/// cut short only at the end of the input, before an over-long line, or on
/// a live input whose producer has nothing more ready.
pub struct Chunker {
    input: Input,
    block_size: usize,
    max_line: usize,
    /// Bytes after the last newline of the previous block (and, after an
    /// over-long line, what the caller put in its place).
    carry: Vec<u8>,
    eof: bool,
    /// Inside a line longer than `max_line`, discarding until its newline.
    skipping: bool,
    /// Terminate a final unterminated line, so it cannot merge with the
    /// first line of the next input.
    terminate_last: bool,
    /// Input lines before the next block: newlines handed out, less those
    /// the caller inserted, plus skipped over-long lines.
    lines: u64,
    /// Newlines inserted by [`Chunker::replace_oversized`] not yet handed out.
    inserted: u64,
    /// A read error held back until the lines read before it are handed
    /// out: a truncated gzip archive still yields its readable lines.
    failed: Option<io::Error>,
}

impl Chunker {
    /// A chunker over `input` making blocks of about `block_size` bytes
    /// (at least 1) and reporting lines longer than `max_line` bytes.
    pub fn new(input: Input, block_size: usize, max_line: usize, terminate_last: bool) -> Chunker {
        Chunker {
            input,
            block_size: block_size.max(1),
            max_line,
            carry: Vec::new(),
            eof: false,
            skipping: false,
            terminate_last,
            lines: 0,
            inserted: 0,
            failed: None,
        }
    }

    /// Fills `block` with the next block: complete lines only, except for an
    /// unterminated last line at end of input. A block is handed on when it
    /// is full, or, for live inputs, as soon as the producer has nothing more
    /// ready, so a quiet pipe never holds a line back.
    ///
    /// # Errors
    /// A read error; one that comes after some bytes of a block is held
    /// back until those bytes' lines are handed out.
    pub fn next(&mut self, block: &mut Block) -> io::Result<Chunk> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        block.len = 0;
        block.extend(&self.carry);
        self.carry.clear();
        // Offset up to which `block` holds complete lines.
        let mut complete = memchr::memrchr(b'\n', block.bytes()).map_or(0, |i| i + 1);
        loop {
            if self.eof {
                if block.len == 0 {
                    return Ok(Chunk::End);
                }
                if self.terminate_last && block.bytes().last() != Some(&b'\n') {
                    block.push(b'\n');
                }
                self.count(block.bytes());
                return Ok(Chunk::Block);
            }
            if complete > 0 && (block.len >= self.block_size || self.producer_paused()) {
                return Ok(self.cut(block, complete));
            }
            if complete == 0 && block.len > self.max_line {
                // An over-long line: it cannot be held, so it is skipped
                // to its newline and reported as a whole.
                block.len = 0;
                self.skipping = true;
            }
            let want = if block.len < self.block_size {
                self.block_size - block.len
            } else {
                // One line longer than a block so far (`complete` is 0):
                // grow geometrically, but never past the line limit.
                block
                    .len
                    .min(self.max_line.saturating_sub(block.len).saturating_add(1))
                    .max(1)
            };
            let old = block.len;
            let n = loop {
                match self.input.reader.read(block.spare(want)) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if old == 0 => return Err(e),
                    Err(e) => {
                        self.failed = Some(e);
                        break 0;
                    }
                }
            };
            block.len = old + n;
            if n == 0 {
                self.eof = true;
                if self.skipping {
                    block.len = 0;
                    return Ok(self.oversized());
                }
                continue;
            }
            if self.skipping {
                match memchr::memchr(b'\n', &block.bytes()[old..]) {
                    None => block.truncate(old),
                    Some(i) => {
                        // Rare path: the rest of the read is carried, so the
                        // caller can put something in front of it.
                        self.carry.extend_from_slice(&block.bytes()[old + i + 1..]);
                        block.len = 0;
                        return Ok(self.oversized());
                    }
                }
            } else if let Some(i) = memchr::memrchr(b'\n', &block.bytes()[old..]) {
                complete = old + i + 1;
            }
        }
    }

    /// Makes the following blocks about `block_size` bytes (at least 1).
    pub fn set_block_size(&mut self, block_size: usize) {
        self.block_size = block_size.max(1);
    }

    /// Puts `bytes` where the over-long line just reported was (the
    /// `--on-unparsed scrub` placeholder is an empty line, `b"\n"`). Not
    /// calling it drops the line. Inserted newlines do not count as input
    /// lines.
    pub fn replace_oversized(&mut self, bytes: &[u8]) {
        self.inserted += memchr::memchr_iter(b'\n', bytes).count() as u64;
        self.carry.splice(0..0, bytes.iter().copied());
    }

    /// A live input (pipe, socket) whose producer has nothing more ready:
    /// what is complete goes on now instead of waiting to fill a block.
    fn producer_paused(&self) -> bool {
        self.input
            .live_fd
            .is_some_and(|fd| !input::readable_now(fd))
    }

    fn oversized(&mut self) -> Chunk {
        self.skipping = false;
        self.lines += 1;
        Chunk::Oversized { line: self.lines }
    }

    fn cut(&mut self, block: &mut Block, complete: usize) -> Chunk {
        self.carry.extend_from_slice(&block.bytes()[complete..]);
        block.truncate(complete);
        self.count(block.bytes());
        Chunk::Block
    }

    fn count(&mut self, block: &[u8]) {
        let newlines = memchr::memchr_iter(b'\n', block).count() as u64;
        self.lines += newlines.saturating_sub(std::mem::take(&mut self.inserted));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    /// A reader that returns at most `max` bytes per read (the read-size
    /// knob), so blocks of a few bytes happen.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        max: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.max).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    fn chunker(data: &[u8], max_read: usize, block: usize, max_line: usize, last: bool) -> Chunker {
        let reader = Trickle {
            data: data.to_vec(),
            at: 0,
            max: max_read,
        };
        Chunker::new(Input::new(Box::new(reader)), block, max_line, last)
    }

    /// Every block, and the over-long line numbers, to the end; each
    /// over-long line replaced by `placeholder`.
    fn run(mut c: Chunker, placeholder: Option<&[u8]>) -> (Vec<Vec<u8>>, Vec<u64>) {
        let (mut blocks, mut events) = (Vec::new(), Vec::new());
        let mut block = Block::default();
        loop {
            match c.next(&mut block).unwrap() {
                Chunk::Block => blocks.push(block.bytes().to_vec()),
                Chunk::Oversized { line } => {
                    assert_eq!(block.bytes(), b"", "an event comes with an empty block");
                    events.push(line);
                    if let Some(p) = placeholder {
                        c.replace_oversized(p);
                    }
                }
                Chunk::End => return (blocks, events),
            }
        }
    }

    const INPUTS: &[&[u8]] = &[
        b"",
        b"\n",
        b"homer\nlisa\nmaggie",
        b"homer\nlisa\nmaggie\n",
        b"a\r\nbb\r\n\r\nccc\n\n\nd",
        b"one line without a newline at all",
        b"\xff\x00bytes\x00\n\xfe\n",
    ];

    #[test]
    fn every_byte_comes_out_once_in_order_in_whole_lines() {
        for input in INPUTS {
            for max_read in 1..=9 {
                for block in [1, 2, 3, 5, 8, 64, 1 << 20] {
                    let (blocks, events) =
                        run(chunker(input, max_read, block, 1 << 20, false), None);
                    assert!(events.is_empty());
                    assert_eq!(blocks.concat(), *input, "read {max_read}, block {block}");
                    let (last, whole) = blocks
                        .split_last()
                        .map_or((None, &[][..]), |(l, w)| (Some(l), w));
                    for b in whole {
                        assert_eq!(b.last(), Some(&b'\n'), "only whole lines: {b:?}");
                    }
                    if let Some(last) = last {
                        assert!(!last.is_empty());
                        if input.ends_with(b"\n") {
                            assert_eq!(last.last(), Some(&b'\n'));
                        }
                    }
                    for b in &blocks {
                        // Cut at the first newline at or past the block size
                        // a read could reach: never much more than asked.
                        let lines = memchr::memchr_iter(b'\n', b).count();
                        assert!(
                            b.len() <= block.max(1) + 2 * max_read.max(20) || lines <= 1,
                            "block {block}, read {max_read}: {} bytes",
                            b.len()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn small_block_sizes_make_small_blocks() {
        let data = b"aa\nbb\ncc\ndd\nee\n".repeat(100);
        let (blocks, _) = run(chunker(&data, 1 << 20, 3, 1 << 20, false), None);
        assert_eq!(blocks.len(), 500, "one 3-byte line per block");
        let (blocks, _) = run(chunker(&data, 1 << 20, 7, 1 << 20, false), None);
        assert!(blocks.iter().all(|b| b.len() <= 9), "{blocks:?}");
        let (blocks, _) = run(chunker(&data, 1 << 20, 1 << 20, 1 << 20, false), None);
        assert_eq!(blocks.len(), 1);
    }

    #[test]
    fn terminate_last_ends_an_unterminated_last_line_only() {
        for input in INPUTS {
            for max_read in [1, 2, 7, 4096] {
                for block in [1, 4, 1 << 20] {
                    let (blocks, _) = run(chunker(input, max_read, block, 1 << 20, true), None);
                    let mut want = input.to_vec();
                    if !want.is_empty() && !want.ends_with(b"\n") {
                        want.push(b'\n');
                    }
                    assert_eq!(blocks.concat(), want);
                }
            }
        }
    }

    /// `data` with the lines numbered in `events` replaced by `placeholder`.
    fn replaced(data: &[u8], events: &[u64], placeholder: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, line) in data.split_inclusive(|&b| b == b'\n').enumerate() {
            if events.contains(&(i as u64 + 1)) {
                out.extend_from_slice(placeholder);
            } else {
                out.extend_from_slice(line);
            }
        }
        out
    }

    #[test]
    fn over_long_lines_are_reported_at_their_line_number() {
        // Lines 2 and 5 are longer than 8 bytes; line 7 is too, at the end
        // without a newline.
        let data = b"short\nthis one is long\nok\n\nanother long line\nfine\nlong at the end";
        let long = [2, 5, 7];
        for max_read in 1..=12 {
            for block in [1, 2, 5, 8, 16, 1 << 20] {
                for placeholder in [&b"\n"[..], b""] {
                    let c = chunker(data, max_read, block, 8, false);
                    let (blocks, events) = run(c, Some(placeholder));
                    // A long line that arrives behind complete lines in one
                    // block is the anonymizer's to judge; one that starts a
                    // block is skipped here and reported.
                    assert!(events.iter().all(|e| long.contains(e)), "{events:?}");
                    assert_eq!(blocks.concat(), replaced(data, &events, placeholder));
                    if max_read == 1 && block <= 8 {
                        assert_eq!(events, long, "block {block}");
                    }
                }
            }
        }
        let (blocks, events) = run(chunker(data, 1, 4, 8, false), Some(b"\n"));
        assert_eq!(events, long);
        assert_eq!(blocks.concat(), b"short\n\nok\n\n\nfine\n\n");
        let (blocks, events) = run(chunker(data, 1, 4, 8, false), None);
        assert_eq!(events, long, "dropping changes no line number");
        assert_eq!(blocks.concat(), b"short\nok\n\nfine\n");
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_kept() {
        let data = b"12345678\n123456789\n";
        for max_read in [1, 3, 100] {
            let (blocks, events) = run(chunker(data, max_read, 4, 9, false), Some(b"\n"));
            assert_eq!(events, [] as [u64; 0]);
            assert_eq!(blocks.concat(), data);
            let (blocks, events) = run(chunker(data, max_read, 4, 8, false), Some(b"-\n"));
            assert_eq!(events, [2]);
            assert_eq!(blocks.concat(), b"12345678\n-\n");
        }
    }

    #[test]
    fn a_read_error_comes_after_the_lines_before_it() {
        struct Fails(bool);
        impl Read for Fails {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if std::mem::replace(&mut self.0, true) {
                    return Err(io::Error::other("truncated"));
                }
                buf[..8].copy_from_slice(b"one\ntwo\n");
                Ok(8)
            }
        }
        let mut c = Chunker::new(Input::new(Box::new(Fails(false))), 1 << 20, 1 << 20, false);
        let mut block = Block::default();
        assert_eq!(c.next(&mut block).unwrap(), Chunk::Block);
        assert_eq!(block.bytes(), b"one\ntwo\n");
        assert_eq!(c.next(&mut block).unwrap_err().to_string(), "truncated");
    }

    #[test]
    fn a_live_input_hands_on_what_it_has_when_the_producer_pauses() {
        let (r, mut w) = std::os::unix::net::UnixStream::pair().unwrap();
        let mut input = Input::new(Box::new(r.try_clone().unwrap()));
        input.live_fd = Some(r.as_raw_fd());
        let mut c = Chunker::new(input, 1 << 20, 1 << 20, false);
        let mut block = Block::default();
        w.write_all(b"first\nsecond\npart").unwrap();
        assert_eq!(c.next(&mut block).unwrap(), Chunk::Block);
        assert_eq!(
            block.bytes(),
            b"first\nsecond\n",
            "not held for a full block"
        );
        w.write_all(b"ial\n").unwrap();
        assert_eq!(c.next(&mut block).unwrap(), Chunk::Block);
        assert_eq!(block.bytes(), b"partial\n");
        drop(w);
        assert_eq!(c.next(&mut block).unwrap(), Chunk::End);
    }

    #[test]
    fn buffers_are_reused_without_shrinking() {
        let data = b"x\n".repeat(1024);
        let mut c = chunker(&data, 1 << 20, 64, 1 << 20, false);
        let mut block = Block::default();
        assert_eq!(c.next(&mut block).unwrap(), Chunk::Block);
        let high = block.buf.len();
        assert!(high >= 64);
        while c.next(&mut block).unwrap() == Chunk::Block {
            assert_eq!(block.bytes(), b"x\n".repeat(32));
            assert_eq!(block.buf.len(), high, "grown once, never again");
        }
    }
}
