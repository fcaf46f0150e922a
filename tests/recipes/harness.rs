//! Checks that need something of the machine: ignored with the reason when
//! it is missing, failed instead when `CI` is set.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

/// What a check needs from the machine.
#[derive(Clone, Copy, Debug)]
pub enum Need {
    /// A program, found on `PATH` or in `/usr/sbin` and `/sbin` (where
    /// Debian puts nginx, apache2 and logrotate, and which a non-root
    /// `PATH` may lack).
    Program(&'static str),
    /// Root's powers: running as other users, network namespaces.
    Root,
    /// A Python module that `python3` on `PATH` imports (`.ci/run` puts
    /// its venv first there).
    PythonModule(&'static str),
}

impl Need {
    fn missing(self) -> Option<String> {
        match self {
            Need::Program(p) if program(p).is_none() => Some(p.to_owned()),
            // SAFETY: geteuid has no preconditions and cannot fail.
            Need::Root if unsafe { libc::geteuid() } != 0 => Some("root".to_owned()),
            Need::PythonModule(m) if !python_imports(m) => Some(format!("python3 with {m}")),
            _ => None,
        }
    }
}

/// One check: its name (`module::what`), what it needs, and its body,
/// which fails by panicking.
pub struct Check {
    pub name: &'static str,
    pub needs: &'static [Need],
    pub run: fn(),
}

/// The path of `name`: the first executable file of that name on `PATH`,
/// then in `/usr/sbin` and `/sbin`.
pub fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

fn python_imports(module: &str) -> bool {
    program("python3").is_some_and(|python| {
        std::process::Command::new(python)
            .args(["-c", &format!("import {module}")])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// The path of a program that a check's [`Need`] has made sure of.
pub fn needed(name: &str) -> PathBuf {
    program(name).unwrap_or_else(|| panic!("{name} is not installed"))
}

/// Runs `checks` as libtest would, with the arguments of this process, and
/// exits with libtest's status.
pub fn run(checks: &[&Check]) {
    let args = Arguments::from_args();
    let ci = std::env::var_os("CI").is_some();
    let trials = checks
        .iter()
        .map(|c| {
            let missing: Vec<String> = c.needs.iter().filter_map(|n| n.missing()).collect();
            let body = c.run;
            Trial::ignorable_test(c.name, move || {
                if missing.is_empty() {
                    body();
                    return Ok(Completion::Completed);
                }
                let what = missing.join(", ");
                if ci {
                    Err(Failed::from(format!(
                        "needs {what}: CI must have it (.ci/run installs the programs and runs the tests as root)"
                    )))
                } else {
                    Ok(Completion::ignored_with(format!("needs {what}")))
                }
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
