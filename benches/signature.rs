//! Time per signature verification for each algorithm of the sample files: `make
//! bench-signatures`. Parsing and hashing the document are done once, outside the timing.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use essk_approvals::signature::{self, ContentHasher, Verdict};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples");
const ITERATIONS: u32 = 300;

fn main() {
    let cases = [
        (
            "ГОСТ Р 34.10-2012, 256 бит",
            "Заявление.pdf.sig",
            "Заявление.pdf",
        ),
        (
            "ГОСТ Р 34.10-2012, 512 бит",
            "Схема производства работ.png.sig",
            "Схема производства работ.png",
        ),
        (
            "RSA 2048 бит, SHA-256",
            "Проект производства работ.pdf.rsa.sig",
            "Проект производства работ.pdf",
        ),
        (
            "ECDSA P-256, SHA-256",
            "Схема производства работ.png.ecdsa.p7s",
            "Схема производства работ.png",
        ),
    ];
    // Inside the sample certificates' validity, so every verification runs to the end.
    let upload_time = Utc
        .with_ymd_and_hms(2027, 6, 1, 12, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    println!("Проверка одной подписи, {ITERATIONS} повторов на алгоритм:");
    for (name, signature_file, document_file) in cases {
        let samples = Path::new(SAMPLES);
        let signature_bytes = read(&samples.join("signatures").join(signature_file));
        let document = read(&samples.join("documents").join(document_file));
        let parsed = match signature::parse(&signature_bytes) {
            Ok(parsed) => parsed,
            Err(reason) => panic!("{signature_file}: {reason}"),
        };
        let mut hasher = ContentHasher::new(&parsed.digest_algorithms());
        hasher.update(&document);
        let digests = hasher.finish();

        let mut total = Duration::ZERO;
        for _ in 0..ITERATIONS {
            let started = Instant::now();
            let report = parsed.verify(&digests, upload_time, None);
            total += started.elapsed();
            assert_eq!(report.verdict, Verdict::Valid, "{signature_file}");
        }
        let micros = total.as_secs_f64() * 1e6 / f64::from(ITERATIONS);
        println!("  {name:<28} {micros:>10.1} мкс");
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}
