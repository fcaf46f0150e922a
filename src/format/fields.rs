//! The result of parsing a line: field [`Span`]s, byte ranges into the
//! line itself, collected in a reused [`Fields`].

use super::FieldKind;

/// The byte range of one field inside a line, with its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// What the field holds.
    pub kind: FieldKind,
    /// Offset of the first byte of the field.
    pub start: usize,
    /// Offset one past the last byte of the field.
    pub end: usize,
}

/// The spans of one parsed line, in line order, non-overlapping.
///
/// Reused across lines: [`Template::parse`](super::Template::parse)
/// overwrites it, and its capacity survives, so parsing allocates nothing
/// after the first line.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    pub(super) spans: Vec<Span>,
    /// The `columns` format's regex scratch, kept for the next line.
    pub(super) locs: Option<regex::bytes::CaptureLocations>,
    /// The `columns` format's group ranges, likewise.
    pub(super) groups: Vec<std::ops::Range<usize>>,
}

impl Fields {
    /// Creates an empty set of spans.
    pub fn new() -> Self {
        Self::default()
    }

    /// The spans found by the last successful parse, ascending.
    pub fn spans(&self) -> &[Span] {
        &self.spans
    }

    /// Forgets all spans, keeping the capacity (for parsers other than
    /// templates).
    pub fn clear(&mut self) {
        self.spans.clear();
    }

    /// Appends a span; callers keep spans ascending and non-overlapping.
    pub fn push(&mut self, span: Span) {
        debug_assert!(self.spans.last().is_none_or(|l| l.end <= span.start));
        self.spans.push(span);
    }
}
