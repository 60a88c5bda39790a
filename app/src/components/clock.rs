//! A page's ticking clock, for countdowns such as a ticket's deadlines.

use std::time::Duration;

use leptos::prelude::*;

/// The time now (ms since the epoch): `initial`, the server's clock, while
/// the page renders and hydrates, so both draw the same; then the
/// browser's, read again every `every`.
pub fn use_clock(initial: i64, every: Duration) -> ReadSignal<i64> {
    let (now, set_now) = signal(initial);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let read = move || set_now.set(web_sys::js_sys::Date::now() as i64);
        read();
        if let Ok(ticking) = set_interval_with_handle(read, every) {
            on_cleanup(move || ticking.clear());
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (set_now, every);
    now
}
