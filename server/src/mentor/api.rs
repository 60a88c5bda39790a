//! The mentor's API for a browser extension (`/api/mentor/v1`): the same
//! `Mentor` the pages use, for a person identified by a bearer access token
//! from `POST /api/v1/auth/token`. Never cookies, so no request here can be
//! forged from a page the person visits; CORS answers only the extension
//! origins in `MENTOR_EXTENSION_ORIGINS`.
//!
//! `POST /ask` answers as JSON, or with `Accept: text/event-stream` as
//! Server-Sent Events: `delta` events with text as it is written, then
//! `done` with the reply as stored (its text is the one to keep: when a
//! provider fails mid-answer, the offline answer replaces what streamed).

use std::convert::Infallible;

use app::error::ServiceError;
use app::mentor::{CareerForm, CareerResults};
use app::mentor_chat::{MentorEvent, MentorUsage};
use app::mentor_resume::{ResumeConfirmation, ResumeReading};
use app::services::{Caller, MentorService};
use axum::extract::{FromRequestParts, Multipart, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::resume;
use crate::chat::llm::Sink;
use crate::error::AppError;
use crate::http::json_body::json_body;
use crate::state::AppState;

pub const PREFIX: &str = "/api/mentor/v1/";

/// Every route this module serves: the isolation test reads this list.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/mentor/v1/ask"),
    ("GET", "/api/mentor/v1/usage"),
    ("GET", "/api/mentor/v1/profile"),
    ("PUT", "/api/mentor/v1/profile"),
    ("POST", "/api/mentor/v1/recommendations"),
    ("POST", "/api/mentor/v1/resume"),
    ("POST", "/api/mentor/v1/resume/{id}/confirm"),
];

/// Questions and forms are small; anything bigger is refused unread.
const MAX_BODY_BYTES: usize = 32 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/mentor/v1/ask", post(ask))
        .route("/api/mentor/v1/usage", get(usage))
        .route("/api/mentor/v1/profile", get(profile).put(save_profile))
        .route("/api/mentor/v1/recommendations", post(recommendations))
        .route("/api/mentor/v1/resume/{id}/confirm", post(confirm_resume))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        // After the layer above, so a file gets the room a résumé needs.
        .route("/api/mentor/v1/resume", post(read_resume).layer(resume::body_limit()))
}

/// Extension routes carry no cookies and are called from extension
/// origins by design: the cross-site guard leaves them to the bearer token.
pub fn is_extension_request(path: &str) -> bool {
    path.starts_with(PREFIX)
}

/// The person an access token names. Missing, malformed, expired or
/// revoked: 401 with `WWW-Authenticate: Bearer` and a JSON error saying
/// what to do.
pub struct BearerPerson(pub String);

impl FromRequestParts<AppState> for BearerPerson {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = crate::accounts::api::bearer_token(&parts.headers) else {
            return Err(unauthorized(
                "Send an access token as `Authorization: Bearer …` (from POST /api/v1/auth/token).",
            ));
        };
        match state.accounts.bearer_person(token).await {
            Ok(person) => Ok(BearerPerson(person)),
            Err(ServiceError::Unauthenticated) => Err(unauthorized(
                "The access token is invalid or has expired. Get a new one from POST /api/v1/auth/refresh.",
            )),
            Err(error) => Err(AppError::Service(error).into_response()),
        }
    }
}

fn unauthorized(message: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        Json(json!({ "error": message, "kind": "unauthenticated" })),
    )
        .into_response()
}

/// A refusal as JSON; past a limit it also carries the person's usage.
async fn refusal(state: &AppState, person: Option<&str>, error: ServiceError) -> Response {
    let usage = match (&error, person) {
        (ServiceError::QuotaReached { .. }, Some(person)) => state.mentor.usage_of(person).await.ok(),
        _ => None,
    };
    let Some(usage) = usage else { return AppError::Service(error).into_response() };
    let status = StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
    let mut response =
        (status, Json(json!({ "error": error.to_string(), "kind": "quota", "usage": usage }))).into_response();
    if let Some(seconds) = error.retry_after_secs() {
        response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
    }
    response
}

#[derive(Deserialize)]
struct AskRequest {
    question: String,
    #[serde(default)]
    conversation: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn ask(
    State(state): State<AppState>,
    BearerPerson(person): BearerPerson,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let asked: AskRequest = match json_body(request, MAX_BODY_BYTES).await {
        Ok(asked) => asked,
        Err(error) => return refusal(&state, None, error).await,
    };
    let begun = match state.mentor.begin_ask(&person, asked.conversation.as_deref(), &asked.question).await {
        Ok(begun) => begun,
        Err(error) => return refusal(&state, Some(&person), error.into()).await,
    };
    let streams = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/event-stream"));
    if !streams {
        return match state.mentor.finish_ask(begun, &mut Discard).await {
            Ok(reply) => Json(reply).into_response(),
            Err(error) => refusal(&state, Some(&person), error.into()).await,
        };
    }
    let stream = state.mentor.answer_events(begun).map(|event| {
        Ok::<_, Infallible>(match event {
            MentorEvent::Delta(text) => Event::default().event("delta").data(json!({ "text": text }).to_string()),
            MentorEvent::Done(reply) => {
                Event::default().event("done").data(serde_json::to_string(&reply).unwrap_or_default())
            }
            MentorEvent::Failed(error) => {
                Event::default().event("failed").data(json!({ "error": error.to_string() }).to_string())
            }
        })
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// For answers sent whole (JSON): the pieces of a stream go nowhere.
struct Discard;

#[async_trait::async_trait]
impl Sink for Discard {
    async fn piece(&mut self, _text: String) -> bool {
        true
    }
}

#[tracing::instrument(skip_all)]
async fn usage(State(state): State<AppState>, BearerPerson(person): BearerPerson) -> Response {
    match state.mentor.usage_of(&person).await {
        Ok(usage) => Json::<MentorUsage>(usage).into_response(),
        Err(error) => refusal(&state, None, error.into()).await,
    }
}

#[tracing::instrument(skip_all)]
async fn profile(State(state): State<AppState>, BearerPerson(person): BearerPerson) -> Response {
    match state.mentor.profile_of(&person).await {
        Ok(profile) => Json::<Option<CareerForm>>(profile).into_response(),
        Err(error) => refusal(&state, None, error.into()).await,
    }
}

#[tracing::instrument(skip_all)]
async fn save_profile(State(state): State<AppState>, BearerPerson(person): BearerPerson, request: Request) -> Response {
    let saved = async {
        let form: CareerForm = json_body(request, MAX_BODY_BYTES).await?;
        let query = form.validate().map_err(ServiceError::Invalid)?;
        state.mentor.save_profile_of(&person, &query).await.map_err(ServiceError::from)?;
        Ok::<_, ServiceError>(form)
    };
    match saved.await {
        Ok(form) => Json(form).into_response(),
        Err(error) => refusal(&state, None, error).await,
    }
}

/// The career form's results. No token needed (the anonymous form works
/// the same), limited per client.
#[tracing::instrument(skip_all)]
async fn recommendations(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    request: Request,
) -> Response {
    let found = async {
        let form: CareerForm = json_body(request, MAX_BODY_BYTES).await?;
        let query = form.validate().map_err(ServiceError::Invalid)?;
        state.mentor.recommend(&caller, query).await
    };
    match found.await {
        Ok(results) => Json::<CareerResults>(results).into_response(),
        Err(error) => refusal(&state, None, error).await,
    }
}

/// A résumé (multipart, one `file` part) → the skills found, kept until
/// confirmed by `POST /resume/{id}/confirm`.
#[tracing::instrument(skip_all)]
async fn read_resume(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    BearerPerson(person): BearerPerson,
    multipart: Multipart,
) -> Response {
    let read = async {
        let _turn = state.mentor.resume_turn(&caller)?;
        let (file_name, bytes) = resume::receive(multipart).await?;
        Ok::<_, ServiceError>(state.mentor.read_resume_of(Some(&person), &file_name, bytes).await?)
    };
    match read.await {
        Ok(reading) => Json::<ResumeReading>(reading).into_response(),
        Err(error) => refusal(&state, None, error).await,
    }
}

/// `{skills, experience?}`: what the person has of reading `id` joins
/// their profile, which is returned.
#[tracing::instrument(skip_all)]
async fn confirm_resume(
    State(state): State<AppState>,
    BearerPerson(person): BearerPerson,
    Path(id): Path<String>,
    request: Request,
) -> Response {
    let confirmed = async {
        let confirmed: ResumeConfirmation = json_body(request, MAX_BODY_BYTES).await?;
        Ok::<_, ServiceError>(state.mentor.confirm_resume_of(&person, &id, confirmed).await?)
    };
    match confirmed.await {
        Ok(form) => Json::<CareerForm>(form).into_response(),
        Err(error) => refusal(&state, None, error).await,
    }
}

/// CORS for the extension origins in `MENTOR_EXTENSION_ORIGINS` (layered
/// on [`router`] alone): they get
/// `Access-Control-Allow-Origin` (and preflights an answer); any other
/// origin gets nothing, so its browser keeps the response from it.
pub async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|origin| state.config.mentor.extension_origins.iter().any(|allowed| allowed == origin))
        .and_then(|origin| HeaderValue::from_str(origin).ok());
    let preflight = request.method() == Method::OPTIONS;
    let mut response = if preflight {
        match origin {
            Some(_) => StatusCode::NO_CONTENT.into_response(),
            None => (StatusCode::FORBIDDEN, Json(json!({ "error": "This origin may not call the mentor API." })))
                .into_response(),
        }
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if preflight {
            headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, PUT"));
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type, accept"),
            );
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        } else {
            headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("retry-after"));
        }
    }
    response
}
