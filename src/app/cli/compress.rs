//! The output compression options, flattened into [`super::Cli`] where
//! they stand in `--help`.

use clap::Args;

/// How the output is compressed, and the levels `--in-place` uses too.
#[derive(Debug, Args)]
pub struct CompressArgs {
    /// Compress the output with gzip (stdout or -o FILE). Blocks are
    /// compressed in parallel as independent gzip members.
    #[arg(short = 'z', long)]
    pub gzip: bool,

    /// gzip compression level (1 fastest .. 9 smallest); also the level of
    /// gzip files rewritten by --in-place.
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=9))]
    pub gzip_level: u32,

    /// Compress the output with zstd (stdout or -o FILE). Blocks are
    /// compressed in parallel as independent zstd frames, which `zstd -d`
    /// and `zstdcat` read as one file.
    #[arg(long, conflicts_with_all = ["gzip", "in_place", "listen"])]
    pub zstd: bool,

    /// zstd compression level (1 fastest .. 19 smallest); also the level of
    /// zstd files rewritten by --in-place.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(i32).range(1..=19))]
    pub zstd_level: i32,
}
