//! The widget API, called from tenants' own sites. Every request names the
//! publishable key in its path and carries the page's `Origin`, which must
//! be one of the key's allowed sites; CORS headers go only to those. No
//! cookies: the visitor proves who they are with a signed token in the body.
//!
//! Answers stream as Server-Sent Events over the POST that asks the question,
//! read with `fetch`: one request per question, plain HTTP through any proxy,
//! and when the visitor goes away the connection closes, the stream is
//! dropped, and generation stops. (A WebSocket would add an upgrade, a
//! second protocol and its own origin checks for no gain: the visitor only
//! ever receives after sending.)

use std::convert::Infallible;
use std::sync::Arc;

use app::chat::WidgetSettings;
use app::error::ServiceError;
use app::plans::{entitlements, Product, Tier};
use app::services::Caller;
use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;

use super::{Chat, ChatEvent, Visitor, Widget, WidgetRefusal};
use crate::error::AppError;
use crate::http::json_body::json_body;
use crate::state::AppState;

pub const PREFIX: &str = "/api/widget/v1/";

pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/widget/v1/{key}/config"),
    ("POST", "/api/widget/v1/{key}/session"),
    ("POST", "/api/widget/v1/{key}/messages"),
    ("POST", "/api/widget/v1/{key}/feedback"),
    ("POST", "/api/widget/v1/{key}/handoff"),
    ("POST", "/api/widget/v1/{key}/events"),
    ("POST", "/api/widget/v1/{key}/typing"),
    ("POST", "/api/widget/v1/{key}/seen"),
    ("POST", "/api/widget/v1/{key}/rating"),
    ("GET", "/widget-preview/{key}"),
];

/// Request bodies are small JSON; anything bigger is refused unread.
const MAX_BODY_BYTES: usize = 32 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/widget/v1/{key}/config", get(config).options(preflight))
        .route("/api/widget/v1/{key}/session", post(session).options(preflight))
        .route("/api/widget/v1/{key}/messages", post(messages).options(preflight))
        .route("/api/widget/v1/{key}/feedback", post(feedback).options(preflight))
        .route("/api/widget/v1/{key}/handoff", post(handoff).options(preflight))
        .route("/api/widget/v1/{key}/events", post(events).options(preflight))
        .route("/api/widget/v1/{key}/typing", post(typing).options(preflight))
        .route("/api/widget/v1/{key}/seen", post(seen).options(preflight))
        .route("/api/widget/v1/{key}/rating", post(rating).options(preflight))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .route("/widget-preview/{key}", get(preview_page))
}

/// The dashboard's live preview: a blank page on our own origin with the
/// real widget, framed by the Widget page.
async fn preview_page(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    let genuine = super::visitor::verify_preview(state.accounts.server_key(), &key, crate::sql::now_millis()).is_some();
    if !genuine || !key.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)) {
        return (StatusCode::NOT_FOUND, "This preview has expired. Reload the Widget page.").into_response();
    }
    let mut response = axum::response::Html(PREVIEW_PAGE.replace("{KEY}", &key)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(crate::demo::WIDGET_PAGE_CSP));
    response
}

const PREVIEW_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Widget preview</title>
<style>
  body { margin: 0; min-height: 100vh; font: 14px/1.5 system-ui, sans-serif; color: #6b7280;
         background: repeating-linear-gradient(45deg, #f9fafb, #f9fafb 12px, #f3f4f6 12px, #f3f4f6 24px); }
  p { margin: 0; padding: 16px; }
</style></head>
<body><p>Your site</p>
<script src="/widget.js" data-key="{KEY}" async></script>
</body></html>"#;

/// The page's origin. Browsers leave `Origin` off same-origin GETs, so a
/// request marked `Sec-Fetch-Site: same-origin` (a header pages cannot set)
/// comes from our own pages: the demo shop and the dashboard's preview.
fn origin<'a>(chat: &'a Chat, headers: &'a HeaderMap) -> Option<&'a str> {
    match headers.get(header::ORIGIN) {
        Some(origin) => origin.to_str().ok(),
        None if headers.get("sec-fetch-site").is_some_and(|v| v == "same-origin") => chat.own_origin(),
        None => None,
    }
}

/// Every widget route starts here: the publishable key in the path and the
/// page's origin, checked. A refusal is answered without CORS headers, so a
/// page that is not allowed cannot read even the error.
impl FromRequestParts<AppState> for Widget {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Path(key) = Path::<String>::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        let chat = &state.chat;
        chat.widget(&key, origin(chat, &parts.headers)).await.map_err(IntoResponse::into_response)
    }
}

/// A visitor's request to a widget route: the widget (key and origin
/// checked), the visitor its signed token names, the client's address and
/// the request's JSON body. A refusal carries the widget's CORS headers, so
/// the widget can show it.
struct FromVisitor<T> {
    widget: Widget,
    visitor_id: String,
    address: String,
    body: T,
}

/// A widget request body: JSON that carries the visitor's token.
trait VisitorBody: serde::de::DeserializeOwned + Send {
    fn token(&self) -> &str;
}

impl<T> FromVisitor<T> {
    fn visitor(&self) -> Visitor<'_> {
        Visitor { id: &self.visitor_id, address: &self.address, proof: None }
    }
}

impl<T: VisitorBody> FromRequest<AppState> for FromVisitor<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let widget = Widget::from_request_parts(&mut parts, state).await?;
        let address = parts.extensions.get::<Caller>().map(|caller| caller.client_addr.clone()).unwrap_or_default();
        let read = async {
            let body: T = json_body(Request::from_parts(parts, body), MAX_BODY_BYTES).await?;
            let visitor_id = state.chat.visitor(&widget, body.token())?;
            Ok::<_, ServiceError>((visitor_id, body))
        };
        match read.await {
            Ok((visitor_id, body)) => Ok(FromVisitor { widget, visitor_id, address, body }),
            Err(error) => Err(allow(&widget, error_response(error))),
        }
    }
}

impl IntoResponse for WidgetRefusal {
    fn into_response(self) -> Response {
        let status = match &self {
            WidgetRefusal::UnknownKey => StatusCode::NOT_FOUND,
            WidgetRefusal::OriginNotAllowed => StatusCode::FORBIDDEN,
            WidgetRefusal::Service(e) => {
                StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        };
        let message = match self {
            WidgetRefusal::Service(e) => e.to_string(),
            other => other.to_string(),
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}

/// Adds the CORS headers for the widget's (already checked) origin.
fn allow(widget: &Widget, mut response: Response) -> Response {
    let headers = response.headers_mut();
    if let Ok(origin) = HeaderValue::from_str(&widget.origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Retry-After"));
    response
}

fn answer<T: serde::Serialize>(widget: &Widget, result: Result<T, ServiceError>) -> Response {
    let response = match result {
        Ok(value) => Json(value).into_response(),
        Err(error) => error_response(error),
    };
    allow(widget, response)
}

/// A refusal the widget shows as it is; quota and rate limits carry `kind`
/// so it can say something friendlier than a status code.
fn error_response(error: ServiceError) -> Response {
    let kind = match &error {
        ServiceError::RateLimited { .. } => "rate_limited",
        ServiceError::ChallengeRequired { .. } => "challenge",
        ServiceError::Invalid(_) => "invalid",
        ServiceError::Unauthenticated => "session",
        _ => "error",
    };
    let message = match &error {
        ServiceError::Invalid(fields) => fields.values().next().cloned().unwrap_or_else(|| error.to_string()),
        ServiceError::RateLimited { retry_after_secs } if *retry_after_secs > 600 => {
            "You've asked a lot of questions today. Please ask again tomorrow, or use “Talk to a human”.".into()
        }
        ServiceError::RateLimited { retry_after_secs } => {
            format!("You're sending messages quickly. Please wait {retry_after_secs} seconds and try again.")
        }
        ServiceError::Unauthenticated => "Your chat session has expired. Please reload the page.".into(),
        other => other.to_string(),
    };
    let mut body = serde_json::json!({ "error": message, "kind": kind });
    if let ServiceError::ChallengeRequired { challenge, bits } = &error {
        body["challenge"] = challenge.as_str().into();
        body["bits"] = (*bits).into();
    }
    let mut response = AppError::Service(error).into_response();
    *response.body_mut() = Body::from(body.to_string());
    response
}

async fn preflight(widget: Widget) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    allow(&widget, response)
}

/// What the widget shows before the visitor types anything.
#[derive(serde::Serialize)]
struct WidgetConfig {
    settings: WidgetSettings,
    /// "offline" (the extractive engine) or "ai" (an LLM provider); the widget says which.
    mode: &'static str,
    /// What the launcher button shows (`settings.launcher_icon` drawn).
    launcher: &'static str,
    /// Where "Powered by Lodestar" links; absent when the plan lets it be left out and it was.
    branding: Option<String>,
}

async fn config(State(state): State<AppState>, widget: Widget) -> Response {
    let removable = entitlements(Product::SupportBot, Tier::of_plan(&widget.plan)).remove_branding;
    let config = WidgetConfig {
        settings: widget.settings.clone(),
        mode: if state.chat.llm().is_some() { "ai" } else { "offline" },
        launcher: widget.settings.launcher_icon.glyph(),
        branding: (!(removable && widget.settings.hide_branding))
            .then(|| format!("{}/?ref=widget", state.config.public_url)),
    };
    answer(&widget, Ok(config))
}

#[derive(Deserialize)]
struct SessionRequest {
    token: Option<String>,
    /// The site's signed token naming its signed-in user (`identity_token.rs`).
    identity: Option<String>,
}

async fn session(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    widget: Widget,
    request: Request,
) -> Response {
    let result = async {
        let asked: SessionRequest = json_body(request, MAX_BODY_BYTES).await?;
        state.chat.session(&widget, asked.token.as_deref(), asked.identity.as_deref(), &caller.client_addr).await
    }
    .await;
    answer(&widget, result)
}

#[derive(Deserialize)]
struct MessageRequest {
    token: String,
    text: String,
    email: Option<String>,
    /// A fair-use challenge the widget was given, and its solution.
    challenge: Option<String>,
    solution: Option<String>,
}

async fn messages(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    widget: Widget,
    request: Request,
) -> Response {
    let chat: Arc<Chat> = state.chat.clone();
    let result = async {
        let asked: MessageRequest = json_body(request, MAX_BODY_BYTES).await?;
        let id = chat.visitor(&widget, &asked.token)?;
        let proof = asked.challenge.as_deref().zip(asked.solution.as_deref());
        let visitor = Visitor { id: &id, address: &caller.client_addr, proof };
        chat.send(&widget, &visitor, &asked.text, asked.email.as_deref()).await
    }
    .await;
    let events = match result {
        Ok(events) => events,
        Err(error) => return allow(&widget, error_response(error)),
    };
    let stream = futures_util::stream::unfold(events, |mut events| async move {
        let event = events.recv().await?;
        let data = serde_json::to_string(&event).unwrap_or_default();
        let name = match &event {
            ChatEvent::Received { .. } => "received",
            ChatEvent::Delta { .. } => "delta",
            ChatEvent::Retract => "retract",
            ChatEvent::Held => "held",
            ChatEvent::Done { .. } => "done",
            ChatEvent::Failed { .. } => "failed",
        };
        Some((Ok::<_, Infallible>(Event::default().event(name).data(data)), events))
    });
    allow(&widget, Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

#[derive(Deserialize)]
struct FeedbackRequest {
    token: String,
    message_id: String,
    value: i8,
}

impl VisitorBody for FeedbackRequest {
    fn token(&self) -> &str {
        &self.token
    }
}

async fn feedback(State(state): State<AppState>, asked: FromVisitor<FeedbackRequest>) -> Response {
    let FeedbackRequest { message_id, value, .. } = &asked.body;
    let result = state.chat.feedback(&asked.widget, &asked.visitor(), message_id, *value).await;
    answer(&asked.widget, result.map(|()| serde_json::json!({ "ok": true })))
}

#[derive(Deserialize)]
struct RatingRequest {
    token: String,
    score: i64,
    #[serde(default)]
    comment: String,
}

impl VisitorBody for RatingRequest {
    fn token(&self) -> &str {
        &self.token
    }
}

/// The visitor's rating of their resolved conversation: once, when asked.
async fn rating(State(state): State<AppState>, asked: FromVisitor<RatingRequest>) -> Response {
    let RatingRequest { score, comment, .. } = &asked.body;
    let result = state.chat.rate(&asked.widget, &asked.visitor(), *score, comment).await;
    answer(&asked.widget, result.map(|()| serde_json::json!({ "ok": true })))
}

#[derive(Deserialize)]
struct HandoffRequest {
    token: String,
    /// Where the team should follow up, when the visitor leaves it here.
    #[serde(default)]
    email: Option<String>,
}

impl VisitorBody for HandoffRequest {
    fn token(&self) -> &str {
        &self.token
    }
}

async fn handoff(State(state): State<AppState>, asked: FromVisitor<HandoffRequest>) -> Response {
    let result = state.chat.hand_off(&asked.widget, &asked.visitor(), asked.body.email.as_deref()).await;
    let answered = |(email_known, queue)| serde_json::json!({ "ok": true, "email_known": email_known, "queue": queue });
    answer(&asked.widget, result.map(answered))
}

#[derive(Deserialize)]
struct EventsRequest {
    token: String,
    /// The number of the last entry the widget has (0 for everything).
    #[serde(default)]
    after: i64,
}

impl VisitorBody for EventsRequest {
    fn token(&self) -> &str {
        &self.token
    }
}

/// The visitor's push channel: what happens in their conversation that
/// they did not ask for (a person joining, their replies, the bot taking
/// over again), as Server-Sent Events read with `fetch`, resumed after the
/// last entry the widget saw. 204 before the visitor has a conversation.
async fn events(State(state): State<AppState>, asked: FromVisitor<EventsRequest>) -> Response {
    let response = match state.chat.follow(&asked.widget, &asked.visitor(), asked.body.after).await {
        Ok(Some((heard, slots))) => crate::live::sse(heard, slots),
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error_response(error),
    };
    allow(&asked.widget, response)
}

/// A signal from the visitor that carries nothing but who sends it.
#[derive(Deserialize)]
struct SignalRequest {
    token: String,
}

impl VisitorBody for SignalRequest {
    fn token(&self) -> &str {
        &self.token
    }
}

/// The visitor is typing; the person answering sees it.
async fn typing(State(state): State<AppState>, asked: FromVisitor<SignalRequest>) -> Response {
    let response = match state.chat.typing(&asked.widget, &asked.visitor()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error_response(error),
    };
    allow(&asked.widget, response)
}

/// The visitor's widget showed the team's replies; the person answering
/// sees "Seen".
async fn seen(State(state): State<AppState>, asked: FromVisitor<SignalRequest>) -> Response {
    let response = match state.chat.seen(&asked.widget, &asked.visitor()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => error_response(error),
    };
    allow(&asked.widget, response)
}

/// Widget routes are called cross-site by design and carry no cookies, so
/// the cross-site guard leaves them to the origin check above.
pub fn is_widget_request(method: &Method, path: &str) -> bool {
    path.starts_with(PREFIX) && matches!(*method, Method::GET | Method::POST | Method::OPTIONS)
}
