//! The command-line application: the only home of clap types and of the
//! text a user reads. It resolves arguments into a
//! [`Config`](crate::config::Config) and hands that to the engine.

pub mod cli;
pub mod resolve;
