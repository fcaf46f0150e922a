//! The chunker: one input as blocks of whole lines (ripgrep's line-buffer
//! idea: only complete lines leave it, the partial tail is carried).

use std::io::{self, Read};

use crate::anonymize::OnUnparsed;
use crate::config::EngineOpts;
use crate::engine::input::{self, Input};

/// Reads one input as blocks of complete lines.
pub(super) struct Chunker {
    input: Input,
    block_size: usize,
    max_line: usize,
    on_unparsed: OnUnparsed,
    /// Bytes after the last newline of the previous block.
    carry: Vec<u8>,
    eof: bool,
    /// Inside a line longer than `max_line`, discarding until its newline.
    skipping: bool,
    /// Terminate a final unterminated line, so it cannot merge with the
    /// first line of the next input.
    terminate_last: bool,
    /// Newlines handed out so far (only counted when a line number may be
    /// needed for an error).
    lines: u64,
    pub(super) oversized: u64,
    /// A read error held back until the lines read before it are handed
    /// out: a truncated gzip archive still yields its readable lines.
    failed: Option<io::Error>,
}

/// The result of reading one block.
pub(super) enum Chunk {
    Block(Vec<u8>),
    End,
}

impl Chunker {
    pub(super) fn new(
        input: Input,
        engine: &EngineOpts,
        on_unparsed: OnUnparsed,
        terminate_last: bool,
    ) -> Chunker {
        Chunker {
            input,
            block_size: engine.block_size,
            max_line: engine.max_line_bytes,
            on_unparsed,
            carry: Vec::new(),
            eof: false,
            skipping: false,
            terminate_last,
            lines: 0,
            oversized: 0,
            failed: None,
        }
    }

    /// Fills `buf` with the next block: complete lines only, except for an
    /// unterminated last line at end of input. A block is handed on when it
    /// is full, or, for live inputs, as soon as the producer has nothing more
    /// ready, so a quiet pipe never holds a line back.
    pub(super) fn next(&mut self, mut buf: Vec<u8>) -> io::Result<Result<Chunk, u64>> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        buf.clear();
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        // Offset up to which `buf` holds complete lines.
        let mut complete = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
        loop {
            if self.eof {
                if buf.is_empty() {
                    return Ok(Ok(Chunk::End));
                }
                if self.terminate_last && buf.last() != Some(&b'\n') {
                    buf.push(b'\n');
                }
                self.count(&buf);
                return Ok(Ok(Chunk::Block(buf)));
            }
            if complete > 0 && buf.len() >= self.block_size {
                return Ok(Ok(self.cut(buf, complete)));
            }
            if complete == 0 && buf.len() > self.max_line {
                // An over-long line: it cannot be held, so it is replaced as
                // a whole by the policy's placeholder.
                buf.clear();
                self.skipping = true;
            }
            let want = self.block_size.saturating_sub(buf.len()).max(64 << 10);
            let old = buf.len();
            buf.resize(old + want, 0);
            let n = loop {
                match self.input.reader.read(&mut buf[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if old == 0 => return Err(e),
                    Err(e) => {
                        self.failed = Some(e);
                        break 0;
                    }
                }
            };
            buf.truncate(old + n);
            if n == 0 {
                self.eof = true;
                if self.skipping {
                    buf.clear();
                    if let Err(line) = self.placeholder(&mut buf) {
                        return Ok(Err(line));
                    }
                }
                continue;
            }
            if self.skipping {
                match memchr::memchr(b'\n', &buf[old..]) {
                    None => {
                        buf.truncate(old);
                        continue;
                    }
                    Some(i) => {
                        // Rare path: one shift per over-long line.
                        buf.drain(..old + i + 1);
                        let mut head = Vec::new();
                        if let Err(line) = self.placeholder(&mut head) {
                            return Ok(Err(line));
                        }
                        buf.splice(0..0, head);
                        complete = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
                    }
                }
            } else if let Some(i) = memchr::memrchr(b'\n', &buf[old..]) {
                complete = old + i + 1;
            }
            if complete > 0 {
                if let Some(fd) = self.input.live_fd {
                    if !input::readable_now(fd) {
                        return Ok(Ok(self.cut(buf, complete)));
                    }
                }
            }
        }
    }

    /// Ends the skipped over-long line with the policy's placeholder.
    /// `Err` carries the line number when the policy is to fail.
    fn placeholder(&mut self, buf: &mut Vec<u8>) -> Result<(), u64> {
        self.skipping = false;
        self.oversized += 1;
        match self.on_unparsed {
            OnUnparsed::Scrub => buf.push(b'\n'),
            OnUnparsed::Drop => {}
            OnUnparsed::Fail => return Err(self.lines + 1),
        }
        Ok(())
    }

    fn cut(&mut self, mut buf: Vec<u8>, complete: usize) -> Chunk {
        self.carry.extend_from_slice(&buf[complete..]);
        buf.truncate(complete);
        self.count(&buf);
        Chunk::Block(buf)
    }

    fn count(&mut self, buf: &[u8]) {
        if self.on_unparsed == OnUnparsed::Fail {
            self.lines += memchr::memchr_iter(b'\n', buf).count() as u64;
        }
    }
}
