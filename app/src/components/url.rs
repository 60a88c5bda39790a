//! Links the pages build and the query strings they read.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Percent-encodes a query-string value (everything but the unreserved characters).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The pairs of a query string (`a=1&b=two+words`), decoded as browsers
/// encode forms: `+` is a space, `%XX` a byte.
pub fn decode_query(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_query_value(key), decode_query_value(value))
        })
        .collect()
}

fn decode_query_value(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The login page, coming back to `next` afterwards.
pub fn login_url(next: &str) -> String {
    format!("/login?next={}", encode_query_value(next))
}

/// One query-string parameter of the current page, if present and not blank.
pub fn query_param(name: &'static str) -> Signal<Option<String>> {
    let query = use_query_map();
    Signal::derive(move || query.with(|q| q.get(name)).filter(|v| !v.trim().is_empty()))
}

/// This site's origin (`https://lodestar.example`), for snippets people
/// paste elsewhere. The server reads the request's host (and the proxy's
/// `X-Forwarded-Proto`); the browser knows it, so both render the same text.
pub fn site_origin() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                let host = parts.headers.get(http::header::HOST)?.to_str().ok()?.to_string();
                let local = host.starts_with("localhost") || host.starts_with("127.0.0.1");
                let proto = parts
                    .headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(if local { "http" } else { "https" })
                    .to_string();
                Some(format!("{proto}://{host}"))
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        window().location().origin().unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode_query_value("ada+work@example.com"), "ada%2Bwork%40example.com");
        assert_eq!(login_url("/invite/abc?x=1"), "/login?next=%2Finvite%2Fabc%3Fx%3D1");
    }
}
