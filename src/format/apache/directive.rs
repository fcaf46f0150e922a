//! One `%…` directive of a `LogFormat` string, parsed.

use super::FormatError;

/// One `%…` directive as written.
pub(super) struct Directive {
    /// Offset of its `%`.
    pub(super) at: usize,
    /// The letter (or `^ti`, `^to`, `^FB`).
    pub(super) letter: &'static str,
    /// The `{…}` argument, with offsets.
    pub(super) arg: Vec<(u8, usize)>,
    /// Offset of the argument (after `{`), or of the letter without one.
    pub(super) arg_at: usize,
    /// Status codes were given: Apache writes `-` when they do not match.
    pub(super) conditional: bool,
    /// Index after the directive.
    pub(super) end: usize,
}

impl Directive {
    pub(super) fn arg_str(&self) -> String {
        let bytes: Vec<u8> = self.arg.iter().map(|&(b, _)| b).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

const LETTERS: &str = "aAbBCDefhHiIklLmnoOpPqrRsStTuUvVXxc";

/// Parses the directive whose `%` is at `src[i]`.
pub(super) fn directive(
    spec: &str,
    src: &[(u8, usize)],
    i: usize,
) -> Result<Directive, FormatError> {
    let at = src[i].1;
    let mut j = i + 1;
    let mut arg = Vec::new();
    let mut arg_at = None;
    let mut conditional = false;
    loop {
        let Some(&(c, c_at)) = src.get(j) else {
            return Err(FormatError::new(
                at,
                "`%` without a directive letter at the end of the format (write `%%` for a percent sign)",
            ));
        };
        match c {
            b'!' | b'<' | b'>' | b',' => j += 1,
            b'0'..=b'9' => {
                conditional = true;
                j += 1;
            }
            b'{' => {
                let close = src[j + 1..]
                    .iter()
                    .position(|&(c, _)| c == b'}')
                    .ok_or_else(|| {
                        FormatError::new(at, "unterminated `%{`: the argument has no closing `}`")
                    })?;
                arg = src[j + 1..j + 1 + close].to_vec();
                arg_at = Some(src.get(j + 1).map_or(c_at + 1, |&(_, o)| o));
                j += close + 2;
            }
            b'^' => {
                let three: Vec<u8> = src[j..src.len().min(j + 3)].iter().map(|p| p.0).collect();
                let letter = match &three[..] {
                    b"^ti" => "^ti",
                    b"^to" => "^to",
                    b"^FB" => "^FB",
                    _ => {
                        let shown = String::from_utf8_lossy(&three);
                        return Err(FormatError::new(
                            c_at,
                            format!("unknown directive `%{shown}`"),
                        ));
                    }
                };
                return Ok(Directive {
                    at,
                    letter,
                    arg,
                    arg_at: arg_at.unwrap_or(c_at),
                    conditional,
                    end: j + 3,
                });
            }
            _ => {
                let Some(pos) = LETTERS.bytes().position(|l| l == c) else {
                    let shown = spec[c_at..].chars().next().unwrap_or('?');
                    return Err(FormatError::new(
                        c_at,
                        format!("unknown directive `%{shown}`"),
                    ));
                };
                return Ok(Directive {
                    at,
                    letter: &LETTERS[pos..pos + 1],
                    arg,
                    arg_at: arg_at.unwrap_or(c_at),
                    conditional,
                    end: j + 1,
                });
            }
        }
    }
}
