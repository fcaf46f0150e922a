//! xz and bzip2 decoders that hand out every byte decoded before a fault.
//!
//! The crates' own readers return a decoding step's error instead of the
//! bytes that same step decoded; with garbage after an xz file's last
//! stream that is the whole file whenever it fits one read. Here a step's
//! bytes are returned first and its error on the next read, as the
//! chunker expects of a truncated gzip archive.

use std::io::{self, BufRead, Read};

/// One raw decoder: a step reports what it consumed and wrote also when
/// it fails.
pub(super) trait Step {
    /// Decodes from `input` (empty at the end of the file) into `output`:
    /// (bytes consumed, bytes written, whether a stream ended, or the
    /// error that stopped it).
    fn step(&mut self, input: &[u8], output: &mut [u8]) -> (usize, usize, io::Result<bool>);

    /// Prepares for a stream that follows one that ended.
    fn next_stream(&mut self) -> io::Result<()>;
}

/// Reads a [`Step`] decoder over `src` to the end of the file, across
/// streams.
pub(super) struct Stepwise<S, R> {
    src: R,
    step: S,
    /// An error held back until the bytes decoded before it are read.
    failed: Option<io::Error>,
    /// The last step ended a stream: the file may end here.
    ended: bool,
}

impl<S: Step, R: BufRead> Stepwise<S, R> {
    pub(super) fn new(step: S, src: R) -> Self {
        Stepwise {
            src,
            step,
            failed: None,
            ended: false,
        }
    }
}

impl<S: Step, R: BufRead> Read for Stepwise<S, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        loop {
            let input = self.src.fill_buf()?;
            let eof = input.is_empty();
            if self.ended {
                if eof {
                    return Ok(0);
                }
                self.step.next_stream()?;
                self.ended = false;
            }
            let (used, made, result) = self.step.step(input, buf);
            self.src.consume(used);
            match result {
                Err(e) if made > 0 => {
                    self.failed = Some(e);
                    return Ok(made);
                }
                Err(e) => return Err(e),
                Ok(end) => {
                    self.ended = end;
                    if made > 0 {
                        return Ok(made);
                    }
                    if end {
                        continue;
                    }
                    if eof {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "unexpected end of file",
                        ));
                    }
                    if used == 0 {
                        return Err(invalid("corrupt data"));
                    }
                }
            }
        }
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// xz through liblzma, with `CONCATENATED`: liblzma itself goes on across
/// streams (and their padding), and says the file ended cleanly only when
/// told it has no more input.
pub(super) struct Xz(pub(super) liblzma::stream::Stream);

impl Step for Xz {
    fn step(&mut self, input: &[u8], output: &mut [u8]) -> (usize, usize, io::Result<bool>) {
        use liblzma::stream::{Action, Error, Status};
        let (in0, out0) = (self.0.total_in(), self.0.total_out());
        let action = if input.is_empty() {
            Action::Finish
        } else {
            Action::Run
        };
        let result = self.0.process(input, output, action);
        let used = (self.0.total_in() - in0) as usize;
        let made = (self.0.total_out() - out0) as usize;
        let result = match result {
            Ok(Status::StreamEnd) => Ok(true),
            Ok(_) => Ok(false),
            Err(Error::Data) => Err(invalid("corrupt data")),
            Err(Error::Format) => Err(invalid("not xz data")),
            Err(Error::MemLimit) => Err(io::Error::other(format!(
                "needs more than {} MiB to decode",
                super::DECODER_MEMORY >> 20
            ))),
            Err(e) => Err(io::Error::from(e)),
        };
        (used, made, result)
    }

    fn next_stream(&mut self) -> io::Result<()> {
        // StreamEnd comes only with Action::Finish, at the end of the file.
        Ok(())
    }
}

/// bzip2 through libbz2-rs, one decompressor per stream.
pub(super) struct Bzip2(pub(super) bzip2::Decompress);

impl Step for Bzip2 {
    fn step(&mut self, input: &[u8], output: &mut [u8]) -> (usize, usize, io::Result<bool>) {
        use bzip2::{Error, Status};
        let (in0, out0) = (self.0.total_in(), self.0.total_out());
        let result = self.0.decompress(input, output);
        let used = (self.0.total_in() - in0) as usize;
        let made = (self.0.total_out() - out0) as usize;
        let result = match result {
            Ok(Status::StreamEnd) => Ok(true),
            Ok(Status::MemNeeded) => Err(io::Error::other("out of memory")),
            Ok(_) => Ok(false),
            Err(Error::DataMagic) => Err(invalid("not bzip2 data")),
            Err(_) => Err(invalid("corrupt data")),
        };
        (used, made, result)
    }

    fn next_stream(&mut self) -> io::Result<()> {
        self.0 = bzip2::Decompress::new(false);
        Ok(())
    }
}
