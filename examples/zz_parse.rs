use anonlog::format::{Fields, Predefined};
fn main() {
    let data = std::fs::read(std::env::args().nth(1).unwrap()).unwrap();
    let t = Predefined::Combined.template();
    let mut f = Fields::new();
    let mut n = 0;
    let start = std::time::Instant::now();
    for _ in 0..3 {
        let mut pos = 0;
        while let Some(i) = memchr::memchr(b'\n', &data[pos..]) {
            n += usize::from(t.parse(&data[pos..pos + i], &mut f));
            pos += i + 1;
        }
    }
    let el = start.elapsed().as_secs_f64();
    eprintln!("{n} {:.0} MB/s", 3.0 * data.len() as f64 / el / 1e6);
}
