//! Reads who is calling once per request, before any handler: the session
//! cookie, the client address and the user agent, as an `app::services::Caller`
//! in the request's extensions. Server functions and REST handlers take it
//! from there.

use std::net::SocketAddr;

use app::services::Caller;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{COOKIE, USER_AGENT};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

const USER_AGENT_MAX: usize = 200;

pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let caller = read_caller(&state, &request);
    request.extensions_mut().insert(caller);
    next.run(request).await
}

pub fn read_caller(state: &AppState, request: &Request) -> Caller {
    let headers = request.headers();
    let session_token = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|cookies| state.accounts.cookie_policy().read(cookies).map(str::to_string));
    let user_agent = headers.get(USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let browser_cookie = crate::accounts::browsers::cookie_name(state.accounts.cookie_policy().secure);
    let known_browser = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == browser_cookie)
        .map(|(_, value)| value.trim().chars().take(200).collect());
    Caller {
        session_token,
        known_browser,
        client_addr: client_addr(state, request),
        user_agent: user_agent.chars().take(USER_AGENT_MAX).collect(),
    }
}

/// The socket peer, unless a proxy we were told to trust names the client.
/// With `X-Forwarded-For` the last entry is the one our proxy appended;
/// earlier entries are whatever the client claimed.
fn client_addr(state: &AppState, request: &Request) -> String {
    if let Some(header) = &state.config.auth.trusted_proxy_header {
        let forwarded = request
            .headers()
            .get(header.as_str())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
            .filter(|v| v.parse::<std::net::IpAddr>().is_ok());
        if let Some(addr) = forwarded {
            return addr.to_string();
        }
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}
