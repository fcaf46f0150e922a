//! JSON written by hand, for the run record (`--report`) and any other
//! one-line JSON a command prints: an object built field by field, and
//! RFC 3339 times. Strings go through [`json_string`], so no value can end
//! its string or the line.

use std::time::{SystemTime, UNIX_EPOCH};

use super::report::json_string;

/// A JSON object under construction, fields in the order added.
///
/// Guarantees: [`JsonObject::finish`] is one valid JSON object on one line
/// (every string escaped, `\n` included); keys are `&'static str`, so they
/// are the program's own words, never text from a log; no key appears
/// twice (checked in debug builds).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JsonObject {
    body: String,
    keys: Vec<&'static str>,
}

impl JsonObject {
    /// An empty object.
    pub fn new() -> JsonObject {
        JsonObject::default()
    }

    fn key(&mut self, key: &'static str) -> &mut String {
        debug_assert!(!self.keys.contains(&key), "JSON key {key:?} given twice");
        self.keys.push(key);
        if !self.body.is_empty() {
            self.body.push(',');
        }
        self.body.push_str(&json_string(key));
        self.body.push(':');
        &mut self.body
    }

    /// Adds a string.
    pub fn str(&mut self, key: &'static str, value: &str) -> &mut Self {
        let s = json_string(value);
        self.key(key).push_str(&s);
        self
    }

    /// Adds a string, or `null` for `None`.
    pub fn opt_str(&mut self, key: &'static str, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.str(key, v),
            None => self.null(key),
        }
    }

    /// Adds a number.
    pub fn num(&mut self, key: &'static str, value: u64) -> &mut Self {
        self.key(key).push_str(&value.to_string());
        self
    }

    /// Adds a number, or `null` for `None`.
    pub fn opt_num(&mut self, key: &'static str, value: Option<u64>) -> &mut Self {
        match value {
            Some(v) => self.num(key, v),
            None => self.null(key),
        }
    }

    /// Adds `true` or `false`.
    pub fn bool(&mut self, key: &'static str, value: bool) -> &mut Self {
        self.key(key).push_str(if value { "true" } else { "false" });
        self
    }

    /// Adds `null`.
    pub fn null(&mut self, key: &'static str) -> &mut Self {
        self.key(key).push_str("null");
        self
    }

    /// Adds a nested object.
    pub fn obj(&mut self, key: &'static str, value: &JsonObject) -> &mut Self {
        let v = value.finish();
        self.key(key).push_str(&v);
        self
    }

    /// Adds an array of objects.
    pub fn objs<'a>(
        &mut self,
        key: &'static str,
        values: impl IntoIterator<Item = &'a JsonObject>,
    ) -> &mut Self {
        let items: Vec<String> = values.into_iter().map(JsonObject::finish).collect();
        let out = self.key(key);
        out.push('[');
        out.push_str(&items.join(","));
        out.push(']');
        self
    }

    /// Adds an array of strings.
    pub fn strs<'a>(
        &mut self,
        key: &'static str,
        values: impl IntoIterator<Item = &'a str>,
    ) -> &mut Self {
        let items: Vec<String> = values.into_iter().map(json_string).collect();
        let out = self.key(key);
        out.push('[');
        out.push_str(&items.join(","));
        out.push(']');
        self
    }

    /// Adds an array of numbers.
    pub fn nums(&mut self, key: &'static str, values: impl IntoIterator<Item = u64>) -> &mut Self {
        let items: Vec<String> = values.into_iter().map(|v| v.to_string()).collect();
        let out = self.key(key);
        out.push('[');
        out.push_str(&items.join(","));
        out.push(']');
        self
    }

    /// Adds every field of `other`, in its order, after the fields here.
    pub fn extend(&mut self, other: &JsonObject) -> &mut Self {
        for k in &other.keys {
            debug_assert!(!self.keys.contains(k), "JSON key {k:?} given twice");
        }
        if !self.body.is_empty() && !other.body.is_empty() {
            self.body.push(',');
        }
        self.body.push_str(&other.body);
        self.keys.extend(&other.keys);
        self
    }

    /// Whether a field of this name was added.
    pub fn has(&self, key: &str) -> bool {
        self.keys.contains(&key)
    }

    /// The object as JSON text: `{...}`, without a newline.
    pub fn finish(&self) -> String {
        format!("{{{}}}", self.body)
    }
}

/// `t` in RFC 3339, UTC, to the millisecond: `2026-11-22T03:14:07.123Z`.
/// Times before 1970 (a clock set far back) are shown as the epoch.
pub fn rfc3339(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3_600,
        rest / 60 % 60,
        rest % 60,
        since.subsec_millis()
    )
}

/// Year, month, day of the `days`-th day after 1970-01-01 (the proleptic
/// Gregorian calendar; Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn objects_are_one_line_with_every_string_escaped() {
        let mut inner = JsonObject::new();
        inner.num("n", 3).bool("b", false);
        let mut o = JsonObject::new();
        o.str("s", "a\"b\\c\nd")
            .opt_str("none", None)
            .opt_num("size", Some(7))
            .obj("inner", &inner)
            .objs("list", [&inner, &JsonObject::new()])
            .strs("names", ["x", "y\u{1}"]);
        let mut tail = JsonObject::new();
        tail.null("z");
        o.extend(&tail).extend(&JsonObject::new());
        assert_eq!(
            o.finish(),
            r#"{"s":"a\"b\\c\nd","none":null,"size":7,"inner":{"n":3,"b":false},"list":[{"n":3,"b":false},{}],"names":["x","y\u0001"],"z":null}"#
        );
        assert!(o.has("inner") && !o.has("n"));
        assert_eq!(JsonObject::new().finish(), "{}");
    }

    #[test]
    fn times_are_rfc3339_utc() {
        let at = |s: u64, ms: u64| rfc3339(UNIX_EPOCH + Duration::from_millis(s * 1000 + ms));
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        // date -u -d @1795317247: Sun Nov 22 03:14:07 UTC 2026
        assert_eq!(at(1_795_317_247, 123), "2026-11-22T03:14:07.123Z");
        // Leap days, and the end of a century that is not a leap year.
        assert_eq!(at(951_782_400, 0), "2000-02-29T00:00:00.000Z");
        assert_eq!(at(4_107_542_399, 999), "2100-02-28T23:59:59.999Z");
        assert_eq!(at(4_107_542_400, 0), "2100-03-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_secs(5)),
            "1970-01-01T00:00:00.000Z"
        );
    }
}
