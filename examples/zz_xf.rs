use anonlog::Stats;
use anonlog::anonymize::ip::Truncate;
use anonlog::anonymize::{Anonymizer, OnUnparsed, ReferrerMode, Rules};
use anonlog::format::Predefined;
fn main() {
    let data = std::fs::read(std::env::args().nth(1).unwrap()).unwrap();
    let rules = Rules {
        template: Predefined::Combined.template(),
        keep_query: false,
        referrer: ReferrerMode::Remove,
        keep_user: false,
        on_unparsed: OnUnparsed::Scrub,
        max_line: 1 << 26,
    };
    let mut a = Anonymizer::new(&rules, Truncate::new(24, 48).unwrap());
    let mut out = Vec::with_capacity(2 << 20);
    let mut st = Stats::default();
    let start = std::time::Instant::now();
    for _ in 0..3 {
        for chunk in data.chunks(1 << 20) {
            out.clear();
            let _ = a.process_block(chunk, &mut out, &mut st);
        }
    }
    let el = start.elapsed().as_secs_f64();
    eprintln!(
        "{} {:.0} MB/s",
        st.parsed,
        3.0 * data.len() as f64 / el / 1e6
    );
}
