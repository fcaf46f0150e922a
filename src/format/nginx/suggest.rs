//! "Did you mean" for names that are not nginx variables.

use super::vars::{EXACT, FAMILIES};

/// The known name closest to `name` (lowercase) within an edit distance
/// of 2, for "did you mean"; the earlier candidate wins ties. A family
/// prefix is compared with as many leading `_`-separated words of `name`,
/// so `$cokie_sid` suggests `$cookie_sid`.
pub(super) fn suggest(name: &str, custom: &[String]) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    let mut consider = |d: usize, candidate: String| {
        if d <= 2 && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
            best = Some((d, candidate));
        }
    };
    for cand in EXACT
        .iter()
        .map(|(n, _)| *n)
        .chain(custom.iter().map(String::as_str))
    {
        if cand.len().abs_diff(name.len()) <= 2 {
            consider(distance(name.as_bytes(), cand.as_bytes()), cand.to_owned());
        }
    }
    for (prefix, _) in FAMILIES {
        let words = prefix.matches('_').count();
        let head_len = name.match_indices('_').nth(words - 1).map(|(i, _)| i + 1);
        if let Some(head_len) = head_len.filter(|&h| h < name.len()) {
            let d = distance(&name.as_bytes()[..head_len], prefix.as_bytes());
            if d > 0 {
                consider(d, format!("{prefix}{}", &name[head_len..]));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// Damerau-Levenshtein distance (optimal string alignment: adjacent
/// transpositions count 1, no substring is edited twice).
fn distance(a: &[u8], b: &[u8]) -> usize {
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, row) in d.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[..w].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        let cases: &[(&str, &str, usize)] = &[
            ("remote_usr", "remote_user", 1),
            ("remote_uesr", "remote_user", 1),
            ("remtoe_addr", "remote_addr", 1),
            ("statsu", "status", 1),
            ("", "abc", 3),
            ("abc", "abc", 0),
            ("ca", "abc", 3),
        ];
        for &(a, b, want) in cases {
            assert_eq!(distance(a.as_bytes(), b.as_bytes()), want, "{a} {b}");
        }
    }

    #[test]
    fn suggestions() {
        let custom = ["my_backend".to_owned()];
        let cases: &[(&str, Option<&str>)] = &[
            ("remote_usr", Some("remote_user")),
            ("remote_adr", Some("remote_addr")),
            ("reqeust", Some("request")),
            ("request_tiem", Some("request_time")),
            ("upstream_respones_time", Some("upstream_response_time")),
            ("cokie_sid", Some("cookie_sid")),
            ("htpp_x_trace", Some("http_x_trace")),
            ("my_backnd", Some("my_backend")),
            ("completely_different", None),
        ];
        for &(name, want) in cases {
            assert_eq!(suggest(name, &custom).as_deref(), want, "{name}");
        }
    }
}
