//! Reading nginx.conf: the file named by `--nginx-conf`, the files its
//! `include` directives name (globs included), and the `log_format`
//! asked for. The directives are read with the tokenizer of
//! `format::nginx`, which compiles the result; the file system is only
//! touched here.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::format::nginx::{COMBINED, Tok, Word, log_format, tokenize};

/// Why a `log_format` could not be read from nginx.conf. Messages name
/// files and line numbers, never log content.
#[derive(Debug, thiserror::Error)]
pub enum ConfError {
    /// The main configuration file could not be read.
    #[error("cannot read {}", crate::error::show_path(.path))]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A file named by an `include` directive could not be read.
    #[error("{}:{line}: cannot read included file {}", crate::error::show_path(.from), crate::error::show_path(.path))]
    Include {
        /// The file holding the `include`.
        from: PathBuf,
        /// Its line.
        line: usize,
        /// The included file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The configuration is malformed where it matters.
    #[error("{}:{line}: {message}", crate::error::show_path(.path))]
    Syntax {
        /// The file.
        path: PathBuf,
        /// One-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No `log_format` of that name.
    #[error("log_format {name} is not defined in {} or the files it includes", crate::error::show_path(.path))]
    NotFound {
        /// The requested name.
        name: String,
        /// The main configuration file.
        path: PathBuf,
    },
    /// The same name is defined twice (nginx refuses such a config).
    #[error(
        "{}:{line}: log_format {name} is defined again (first at {}:{first_line})",
        crate::error::show_path(.path), crate::error::show_path(.first_path)
    )]
    Duplicate {
        /// The name.
        name: String,
        /// The file of the second definition.
        path: PathBuf,
        /// Its line.
        line: usize,
        /// The file of the first definition.
        first_path: PathBuf,
        /// Its line.
        first_line: usize,
    },
    /// `log_format combined` in the config (nginx refuses it).
    #[error("{}:{line}: log_format combined is built into nginx and cannot be redefined", crate::error::show_path(.path))]
    Redefined {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
    },
}

/// Reads nginx.conf at `path`, follows `include` directives, and returns
/// the string of `log_format NAME ...;`: its quoted pieces concatenated,
/// preceded by `escape=MODE ` if the directive has that parameter, ready
/// for [`compile`](crate::format::nginx::compile). `combined` is nginx's built-in [`COMBINED`].
///
/// As nginx does: relative include paths are relative to the directory of
/// the main file (also in included files); include patterns are globs
/// (`*`, `?`, `[...]`, which do not match a leading `.`) whose matches are
/// read in sorted order, and a pattern matching nothing is not an error;
/// strings are single- or double-quoted with `\"`, `\'`, `\\`, `\t`, `\r`
/// and `\n` escapes; `#` at the start of a token comments out the rest of
/// the line; format names are matched case-insensitively, the first
/// definition winning. Braces are not checked for balance, so blocks with
/// embedded code (`*_by_lua_block`) do not stop the search.
pub fn format_from_conf(path: &Path, name: &str) -> Result<String, ConfError> {
    let bytes = fs::read(path).map_err(|source| ConfError::Read {
        path: path.to_owned(),
        source,
    })?;
    let main_dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut conf = Conf {
        main_dir,
        defs: Vec::new(),
    };
    conf.file(path, &bytes, 0)?;
    let exact: Vec<&Def> = conf.defs.iter().filter(|d| d.name == name).collect();
    if name.eq_ignore_ascii_case("combined") {
        if let Some(d) = conf.defs.iter().find(|d| d.name == "combined") {
            return Err(ConfError::Redefined {
                path: d.path.clone(),
                line: d.line,
            });
        }
        return Ok(COMBINED.to_owned());
    }
    if let [first, second, ..] = exact[..] {
        return Err(ConfError::Duplicate {
            name: name.to_owned(),
            path: second.path.clone(),
            line: second.line,
            first_path: first.path.clone(),
            first_line: first.line,
        });
    }
    conf.defs
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
        .map(|d| d.value.clone())
        .ok_or_else(|| ConfError::NotFound {
            name: name.to_owned(),
            path: path.to_owned(),
        })
}

/// Includes nested deeper than this are taken for a cycle.
const MAX_INCLUDE_DEPTH: usize = 32;

struct Def {
    name: String,
    value: String,
    path: PathBuf,
    line: usize,
}

struct Conf {
    main_dir: PathBuf,
    defs: Vec<Def>,
}

fn syntax(path: &Path, line: usize, message: impl Into<String>) -> ConfError {
    ConfError::Syntax {
        path: path.to_owned(),
        line,
        message: message.into(),
    }
}

impl Conf {
    /// Walks the directives of one file.
    fn file(&mut self, path: &Path, bytes: &[u8], depth: usize) -> Result<(), ConfError> {
        let toks =
            tokenize(bytes).map_err(|u| syntax(path, u.line, "unterminated quoted string"))?;
        let mut args: Vec<Word> = Vec::new();
        for tok in toks {
            match tok {
                Tok::Word(w) => args.push(w),
                Tok::Semi(_) => {
                    self.directive(path, bytes, &args, depth)?;
                    args.clear();
                }
                Tok::Open(_) | Tok::Close(_) => {
                    check_unterminated(path, &args)?;
                    args.clear();
                }
            }
        }
        // Anything else left open at the end of the file is not ours to judge.
        check_unterminated(path, &args)
    }

    fn directive(
        &mut self,
        path: &Path,
        src: &[u8],
        args: &[Word],
        depth: usize,
    ) -> Result<(), ConfError> {
        let Some(first) = args.first() else {
            return Ok(());
        };
        let line = first.line;
        match &first.bytes[..] {
            b"include" => {
                let [_, target] = args else {
                    return Err(syntax(path, line, "include takes exactly one file name"));
                };
                if depth >= MAX_INCLUDE_DEPTH {
                    return Err(syntax(
                        path,
                        line,
                        format!(
                            "includes are nested more than {MAX_INCLUDE_DEPTH} deep (a cycle?)"
                        ),
                    ));
                }
                let target = std::str::from_utf8(&target.bytes)
                    .map_err(|_| syntax(path, line, "include path is not valid UTF-8"))?;
                let full = self.main_dir.join(target);
                let files = if target.contains(['*', '?', '[']) {
                    glob(&full)
                } else {
                    vec![full]
                };
                for f in files {
                    let bytes = fs::read(&f).map_err(|source| ConfError::Include {
                        from: path.to_owned(),
                        line,
                        path: f.clone(),
                        source,
                    })?;
                    self.file(&f, &bytes, depth + 1)?;
                }
            }
            b"log_format" => {
                let d = log_format(src, args).map_err(|e| syntax(path, e.line, e.message))?;
                self.defs.push(Def {
                    name: d.name,
                    value: d.value,
                    path: path.to_owned(),
                    line,
                });
            }
            _ => {}
        }
        Ok(())
    }
}

/// Whether a directive is one this module reads (and so must be well formed).
fn is_ours(args: &[Word]) -> bool {
    matches!(args.first(), Some(w) if w.bytes == b"log_format" || w.bytes == b"include")
}

/// A `log_format` or `include` cut short by `{`, `}` or the end of file.
fn check_unterminated(path: &Path, args: &[Word]) -> Result<(), ConfError> {
    match args.first() {
        Some(w) if is_ours(args) => Err(syntax(
            path,
            w.line,
            format!(
                "{} directive is not terminated by `;`",
                String::from_utf8_lossy(&w.bytes)
            ),
        )),
        _ => Ok(()),
    }
}

/// The existing paths matching `pattern`, whose components may hold `*`,
/// `?` and `[...]`, sorted bytewise as glob(3) does.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    for comp in pattern.components() {
        let Component::Normal(part) = comp else {
            found.iter_mut().for_each(|p| p.push(comp.as_os_str()));
            continue;
        };
        let pat = part.as_encoded_bytes();
        if !pat.iter().any(|c| matches!(c, b'*' | b'?' | b'[')) {
            found.iter_mut().for_each(|p| p.push(part));
            continue;
        }
        let mut next = Vec::new();
        for dir in &found {
            let read = if dir.as_os_str().is_empty() {
                fs::read_dir(".")
            } else {
                fs::read_dir(dir)
            };
            let Ok(entries) = read else { continue };
            for e in entries.flatten() {
                let n = e.file_name();
                if glob_match(pat, n.as_encoded_bytes()) {
                    next.push(dir.join(n));
                }
            }
        }
        found = next;
    }
    found.retain(|p| fs::symlink_metadata(p).is_ok());
    found.sort_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    found
}

/// Matches one path component against a glob pattern.
fn glob_match(pat: &[u8], name: &[u8]) -> bool {
    if name.first() == Some(&b'.') && pat.first() != Some(&b'.') {
        return false;
    }
    let (mut p, mut n) = (0, 0);
    // Where to resume after the last `*`: pattern index after it, name index.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pat.get(p) {
            Some(b'*') => {
                star = Some((p + 1, n));
                p += 1;
                continue;
            }
            Some(b'?') => Some(1),
            Some(b'[') => match class(&pat[p..], name[n]) {
                Some((true, len)) => Some(len),
                Some((false, _)) => None,
                None => (name[n] == b'[').then_some(1),
            },
            Some(&c) => (c == name[n]).then_some(1),
            None => None,
        };
        match (step, star) {
            (Some(len), _) => {
                p += len;
                n += 1;
            }
            (None, Some((sp, sn))) => {
                p = sp;
                n = sn + 1;
                star = Some((sp, sn + 1));
            }
            (None, None) => return false,
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// A `[...]` class at the start of `pat`: whether `c` is in it and the
/// class's length, or `None` if the `[` is not closed.
fn class(pat: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(pat.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let lo = *pat.get(i)?;
        if lo == b']' && !first {
            return Some((hit != negate, i + 1));
        }
        first = false;
        if pat.get(i + 1) == Some(&b'-') && pat.get(i + 2).is_some_and(|&h| h != b']') {
            hit |= (lo..=pat[i + 2]).contains(&c);
            i += 3;
        } else {
            hit |= lo == c;
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::nginx::{Escape, MAIN, compile};

    #[test]
    fn glob_patterns() {
        let cases: &[(&str, &str, bool)] = &[
            ("*.conf", "a.conf", true),
            ("*.conf", "a.conf.bak", false),
            ("*.conf", ".hidden.conf", false),
            (".*.conf", ".hidden.conf", true),
            ("*", "x", true),
            ("a*b*c", "aXbYbc", true),
            ("a*b*c", "aXbYbd", false),
            ("?.conf", "1.conf", true),
            ("?.conf", "12.conf", false),
            ("[0-9]*.conf", "10-x.conf", true),
            ("[!0-9]*", "10-x.conf", false),
            ("[ab]", "b", true),
            ("[]]", "]", true),
            ("[x", "[x", true),
        ];
        for &(pat, name, want) in cases {
            assert_eq!(
                glob_match(pat.as_bytes(), name.as_bytes()),
                want,
                "{pat} {name}"
            );
        }
    }

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    const MAIN_CONF: &str = "# nginx.conf\nuser www-data;\nevents { worker_connections 768; }\nhttp {\n    include conf.d/*.conf;   # vhosts and formats\n    access_log /var/log/nginx/access.log main;\n    server { listen 80; location / { content_by_lua_block { ngx.say(\"a; b\") } } }\n}\n";

    const FORMATS_CONF: &str = r#"# log formats
log_format  main  '$remote_addr - $remote_user [$time_local] "$request" ' # it's a comment
                  "$status $body_bytes_sent \"$http_referer\" "
                  # a full-line comment between the strings
                  '"$http_user_agent" "$http_x_forwarded_for"';
log_format json escape=json
    '{"ip":"$remote_addr",'
    '"ua":"${http_user_agent}"}';
log_format tabs '$remote_addr\t$status';
log_format bare $remote_addr|${status};
include snippets/extra.conf;
"#;

    fn conf_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "nginx.conf", MAIN_CONF);
        write(d, "conf.d/10-formats.conf", FORMATS_CONF);
        write(d, "conf.d/20-site.conf", "server { listen 8080; }\n");
        write(
            d,
            "conf.d/.hidden.conf",
            "log_format hidden '$remote_addr';\n",
        );
        write(d, "conf.d/notes.txt", "log_format txt '$remote_addr';\n");
        // Relative to the main file's directory, not to conf.d.
        write(
            d,
            "snippets/extra.conf",
            "log_format Extra \"$remote_addr $status\";\n",
        );
        dir
    }

    #[test]
    fn conf_formats_through_includes() {
        let dir = conf_dir();
        let conf = dir.path().join("nginx.conf");
        let json = r#"escape=json {"ip":"$remote_addr","ua":"${http_user_agent}"}"#;
        let cases: &[(&str, &str)] = &[
            ("main", MAIN),
            ("MAIN", MAIN),
            ("combined", COMBINED),
            ("json", json),
            ("tabs", "$remote_addr\t$status"),
            ("bare", "$remote_addr|${status}"),
            ("extra", "$remote_addr $status"),
        ];
        for &(name, want) in cases {
            assert_eq!(format_from_conf(&conf, name).unwrap(), want, "{name}");
        }
        let c = compile("json", &format_from_conf(&conf, "json").unwrap()).unwrap();
        assert_eq!(c.escape, Escape::Json);
        for name in ["hidden", "txt", "missing"] {
            let e = format_from_conf(&conf, name).unwrap_err();
            assert!(matches!(e, ConfError::NotFound { .. }), "{name}: {e}");
            let msg = e.to_string();
            assert!(
                msg.contains(&format!("log_format {name} is not defined")),
                "{msg}"
            );
            assert!(msg.contains("nginx.conf"), "{msg}");
        }
    }

    #[test]
    fn conf_errors_name_file_and_line() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "log_format combined '$remote_addr';\n",
                "combined",
                "nginx.conf:1: log_format combined is built into nginx",
            ),
            (
                "http {\n log_format x '$a';\n log_format x '$b';\n}\n",
                "x",
                "nginx.conf:3: log_format x is defined again (first at ",
            ),
            (
                "\n\nlog_format x '$a;\n",
                "x",
                "nginx.conf:3: unterminated quoted string",
            ),
            (
                "log_format x escape=xml '$a';\n",
                "x",
                "nginx.conf:1: log_format x: unknown escape mode",
            ),
            (
                "log_format x;\n",
                "x",
                "nginx.conf:1: log_format x has no format string",
            ),
            (
                "\nlog_format;\n",
                "x",
                "nginx.conf:2: log_format needs a name",
            ),
            (
                "log_format x '$a'\n}\n",
                "x",
                "nginx.conf:1: log_format directive is not terminated",
            ),
            (
                "\nlog_format x '$a'",
                "x",
                "nginx.conf:2: log_format directive is not terminated",
            ),
            (
                "http {\n\n  include missing.conf;\n}\n",
                "x",
                "nginx.conf:3: cannot read included file",
            ),
            (
                "include loop.conf;\n",
                "x",
                "includes are nested more than 32 deep",
            ),
        ];
        for &(text, name, want) in cases {
            let dir = tempfile::tempdir().unwrap();
            write(dir.path(), "nginx.conf", text);
            write(dir.path(), "loop.conf", "include loop.conf;\n");
            let e = format_from_conf(&dir.path().join("nginx.conf"), name).unwrap_err();
            assert!(e.to_string().contains(want), "{text:?}: {e}");
        }
        let e = format_from_conf(Path::new("/nonexistent/nginx.conf"), "main").unwrap_err();
        assert_eq!(e.to_string(), "cannot read /nonexistent/nginx.conf");
    }
}
