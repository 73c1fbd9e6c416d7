//! Fuzz target: arbitrary bytes as a signature file must give a verdict, never a panic.

#![no_main]

use chrono::{DateTime, Utc};
use essk_approvals::signature::{parse, verify_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A fixed upload time keeps runs reproducible: 2027-01-01T00:00:00Z.
    let upload_time = DateTime::<Utc>::from_timestamp(1_798_761_600, 0).unwrap_or_default();
    if let Ok(file) = parse(data) {
        let _ = file.digest_algorithms();
    }
    let report = verify_bytes(b"document", data, upload_time, None);
    assert!(report.reason.is_none() || report.signers.is_empty());
});
