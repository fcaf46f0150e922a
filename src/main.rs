//! The `anonlog` binary: everything it does is [`anonlog::app::main`]
//! (arguments -> Config -> engine -> report -> exit status).

use std::process::ExitCode;

fn main() -> ExitCode {
    anonlog::app::main(std::env::args_os().collect())
}
