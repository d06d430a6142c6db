//! pricing-worker: not built yet (worker issue).

fn main() {
    eprintln!("pricing-worker is not built yet");
    std::process::exit(2);
}
