//! Fuzz target: any query string of the list reads into a filter without a panic, every
//! value that does not read is reported, paging stays in range, and the URL made from the
//! parameters reads back to the same filter.

#![no_main]

use essk_approvals::web::approvals::ListQuery;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(query) = serde_urlencoded::from_str::<ListQuery>(text) else {
        return;
    };
    let request = query.read();
    assert!(request.page >= 1);
    assert!([25, 50, 100, 200].contains(&request.per_page));
    let url = query.url(|_| {});
    let again: ListQuery =
        serde_urlencoded::from_str(url.trim_start_matches("/approvals").trim_start_matches('?'))
            .expect("the list's own URL reads");
    let reread = again.read();
    assert_eq!(
        format!("{:?}", reread.filter),
        format!("{:?}", request.filter)
    );
    assert_eq!(reread.sort, request.sort);
    assert_eq!(
        (reread.page, reread.per_page),
        (request.page, request.per_page)
    );
});
