//! Server-Sent Events in the browser (`EventSource`), for the desk's live
//! inbox, tickets and conversation view. The browser reconnects by itself after a
//! drop, sending the last event's id (`Last-Event-ID`), so a stream that
//! numbers its events resumes without losing or repeating one.

use leptos::prelude::*;

#[cfg(feature = "hydrate")]
pub use browser::Subscription;

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::rc::Rc;

    use leptos::wasm_bindgen::closure::Closure;
    use leptos::wasm_bindgen::JsCast;
    use web_sys::{Event, EventSource, MessageEvent};

    /// An open `EventSource` and its handlers; dropping it closes the
    /// stream. Hold it in a `StoredValue::new_local` owned by the view.
    pub struct Subscription {
        source: EventSource,
        _handlers: Vec<Closure<dyn FnMut(MessageEvent)>>,
        _connection: Closure<dyn FnMut(Event)>,
    }

    impl Subscription {
        /// Opens `url` (same origin, with the session's cookie) and calls
        /// `on_event(kind, data)` for each event of the named `kinds`, and
        /// `on_connection(open)` whenever the connection opens or drops.
        pub fn open(
            url: &str,
            kinds: &[&'static str],
            on_event: impl FnMut(&'static str, String) + 'static,
            mut on_connection: impl FnMut(bool) + 'static,
        ) -> Option<Subscription> {
            let source = EventSource::new(url).ok()?;
            let on_event = Rc::new(RefCell::new(on_event));
            let handlers = kinds
                .iter()
                .map(|&kind| {
                    let on_event = on_event.clone();
                    let handler = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
                        let data = ev.data().as_string().unwrap_or_default();
                        (on_event.borrow_mut())(kind, data);
                    });
                    let _ = source.add_event_listener_with_callback(kind, handler.as_ref().unchecked_ref());
                    handler
                })
                .collect();
            let connection = Closure::<dyn FnMut(Event)>::new(move |ev: Event| on_connection(ev.type_() == "open"));
            source.set_onopen(Some(connection.as_ref().unchecked_ref()));
            source.set_onerror(Some(connection.as_ref().unchecked_ref()));
            Some(Subscription { source, _handlers: handlers, _connection: connection })
        }
    }

    impl Drop for Subscription {
        fn drop(&mut self) {
            self.source.set_onopen(None);
            self.source.set_onerror(None);
            self.source.close();
        }
    }
}

/// Opens `url`'s `changed` events for as long as the view lives:
/// `on_change(data)` for each (the id of what changed; empty when anything
/// may have), and `live` follows the connection (`Some(true)` while open).
pub fn follow_changes(url: String, on_change: impl FnMut(String) + 'static, live: RwSignal<Option<bool>>) {
    #[cfg(feature = "hydrate")]
    {
        let subscription = StoredValue::new_local(None::<Subscription>);
        let on_change = std::rc::Rc::new(std::cell::RefCell::new(on_change));
        Effect::new(move |_| {
            let on_change = on_change.clone();
            let opened = Subscription::open(
                &url,
                &["changed"],
                move |_, data| (on_change.borrow_mut())(data),
                move |open| live.set(Some(open)),
            );
            subscription.set_value(opened);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, on_change, live);
}

/// "Live" while a page's changes stream in, "Reconnecting…" while the
/// browser gets the stream back.
#[component]
pub fn LiveState(live: RwSignal<Option<bool>>) -> impl IntoView {
    move || match live.get() {
        Some(true) => view! { <span class="live-state live-on">"Live"</span> }.into_any(),
        Some(false) => view! { <span class="live-state live-off" role="status">"Reconnecting…"</span> }.into_any(),
        None => ().into_any(),
    }
}
