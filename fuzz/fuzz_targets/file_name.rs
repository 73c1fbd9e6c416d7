//! Fuzz target: any Content-Disposition a browser could send gives a file name that is a
//! plain name (no folder part, no control characters, never empty), and the download
//! header made from it is always a valid header value.

#![no_main]

use essk_approvals::web::{
    documents::{base_name, content_disposition},
    upload_name,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let sent = upload_name::file_name(data).unwrap_or_else(|| String::from_utf8_lossy(data).into());
    let name = base_name(&sent);
    assert!(!name.is_empty());
    assert!(!name.contains(['/', '\\']), "{name:?}");
    assert!(!name.chars().any(char::is_control), "{name:?}");
    assert!(name != "." && name != "..");
    let header = content_disposition(&name);
    assert!(
        axum::http::HeaderValue::from_str(&header).is_ok(),
        "{header:?}"
    );
});
