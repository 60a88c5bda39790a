//! Satisfaction asked by email: a visitor on email (they wrote to the
//! support address, or the team wrote to them first) has no widget to
//! rate in, so resolving emails them the question with five signed links.
//! A link opens a small page of ours (`GET /rate/{token}?score=N`) with the
//! score chosen and a comment box; only its form's POST records the rating,
//! because mail scanners open links by themselves. Once rated, the page
//! thanks them and changes nothing.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::{ratings, Desk};
use crate::accounts::mailer::Email;
use crate::error::AppError;
use crate::state::AppState;

pub const ROUTES: &[(&str, &str)] = &[("GET", PATH), ("POST", PATH)];
const PATH: &str = "/rate/{token}";
const PURPOSE: &str = "email-rating";
/// Inline styles only; nothing runs; the form posts here alone.
const PAGE_CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const SCORES: [(i64, &str); 5] = [(5, "Excellent"), (4, "Good"), (3, "OK"), (2, "Poor"), (1, "Very poor")];

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(page).post(submit))
}

impl Desk {
    /// Emails the rating question when the resolved conversation's visitor
    /// is on email and was asked. Failures are logged: resolving stands.
    pub(super) async fn ask_rating_by_email(&self, workspace_id: &str, conversation_id: &str) {
        let (workspace, conversation) = (workspace_id.to_owned(), conversation_id.to_owned());
        let job = |db: sqlx::AnyPool| async move { ratings::email_request(&db, &workspace, &conversation).await };
        let request = match self.sql.read(job).await {
            Ok(request) => request,
            Err(error) => {
                tracing::warn!(%error, "the rating question could not be emailed");
                return;
            }
        };
        let Some((to, workspace_name, agent)) = request else { return };
        let link = self.accounts.page_link(&format!("/rate/{conversation_id}.{}", self.tag(PURPOSE, conversation_id)));
        let who = agent.unwrap_or_else(|| "The team".to_owned());
        let mut text = format!(
            "{who} from {workspace_name} marked your request as resolved.\n\nHow did we do? Choose a rating; \
             a page opens where you can add a comment before sending it:\n\n"
        );
        for (score, label) in SCORES {
            text.push_str(&format!("{score} – {label}: {link}?score={score}\n"));
        }
        text.push_str("\nYou can rate once. If something is still wrong, reply to our last email.\n");
        let email = Email { to, subject: format!("How did we do? ({workspace_name})"), text, link, thread: None };
        self.accounts.mailer().send(email).await;
    }

    /// The conversation a rating link's token names, when it is ours.
    fn rated_by_link(&self, token: &str) -> Option<String> {
        let (conversation, tag) = token.rsplit_once('.')?;
        crate::accounts::secrets::same(tag, &self.tag(PURPOSE, conversation)).then(|| conversation.to_owned())
    }
}

#[derive(Deserialize)]
struct Chosen {
    score: Option<i64>,
}

#[derive(Deserialize)]
struct Rating {
    score: Option<i64>,
    #[serde(default)]
    comment: String,
}

/// What the link finds: its conversation's workspace, name and rating.
async fn linked(state: &AppState, token: &str) -> Result<Option<(String, String, String, Option<i64>)>, AppError> {
    let Some(conversation) = state.desk.rated_by_link(token) else { return Ok(None) };
    let id = conversation.clone();
    let found = state.sql.read(|db| async move { ratings::linked(&db, &id).await }).await?;
    Ok(found.map(|(workspace, name, rating)| (conversation, workspace, name, rating)))
}

#[tracing::instrument(skip_all)]
async fn page(State(state): State<AppState>, Path(token): Path<String>, Query(chosen): Query<Chosen>) -> Response {
    match linked(&state, &token).await {
        Ok(Some((_, _, name, Some(score)))) => thanks(&name, score),
        Ok(Some((_, _, name, None))) => form(&name, chosen.score.filter(|s| (1..=5).contains(s)), "", None),
        Ok(None) => not_found(),
        Err(error) => error.into_response(),
    }
}

#[tracing::instrument(skip_all)]
async fn submit(State(state): State<AppState>, Path(token): Path<String>, Form(rating): Form<Rating>) -> Response {
    let (conversation, workspace, name) = match linked(&state, &token).await {
        Ok(Some((_, _, name, Some(score)))) => return thanks(&name, score),
        Ok(Some((conversation, workspace, name, None))) => (conversation, workspace, name),
        Ok(None) => return not_found(),
        Err(error) => return error.into_response(),
    };
    let Some(score) = rating.score else {
        return form(&name, None, &rating.comment, Some("Choose a rating from 1 to 5."));
    };
    match state.chat.record_rating(&workspace, &conversation, score, &rating.comment).await {
        Ok(()) => thanks(&name, score),
        Err(app::error::ServiceError::Rejected(_)) => linked_thanks(&state, &token, &name).await,
        Err(error) => form(&name, Some(score), &rating.comment, Some(&error.explained())),
    }
}

/// Rated meanwhile (a second tab): thank them for the score that stands.
async fn linked_thanks(state: &AppState, token: &str, name: &str) -> Response {
    match linked(state, token).await {
        Ok(Some((_, _, _, Some(score)))) => thanks(name, score),
        _ => not_found(),
    }
}

fn form(workspace: &str, chosen: Option<i64>, comment: &str, error: Option<&str>) -> Response {
    let choices: String = SCORES
        .iter()
        .map(|(score, label)| {
            let checked = if chosen == Some(*score) { " checked" } else { "" };
            format!(r#"<label><input type="radio" name="score" value="{score}"{checked}> {score} – {label}</label>"#)
        })
        .collect();
    let error = error.map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e))).unwrap_or_default();
    let body = format!(
        r#"<h1>How did {workspace} do?</h1>
<form method="post">
<fieldset><legend>Your rating</legend>{choices}</fieldset>
<label for="comment">Anything to add? (optional)</label>
<textarea id="comment" name="comment" rows="4" maxlength="{max}">{comment}</textarea>
{error}<button type="submit">Send rating</button>
</form>"#,
        workspace = escape(workspace),
        max = app::desk::RATING_COMMENT_MAX_CHARS,
        comment = escape(comment),
    );
    let status = if error.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    html(status, &format!("Rate {}", escape(workspace)), &body)
}

fn thanks(workspace: &str, score: i64) -> Response {
    let body = format!(
        "<h1>Thank you</h1><p>You rated {} {score} out of 5. It helps the team see how they did.</p>",
        escape(workspace)
    );
    html(StatusCode::OK, "Thank you", &body)
}

fn not_found() -> Response {
    let body = "<h1>This link doesn't work</h1><p>It may have been copied only in part. Nothing was rated.</p>";
    html(StatusCode::NOT_FOUND, "Link not found", body)
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><meta name="robots" content="noindex"><title>{title}</title>
<style>
  body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1.25rem; }}
  fieldset {{ border: 0; padding: 0; margin: 0 0 1rem; display: grid; gap: .5rem; }}
  legend {{ font-weight: 600; margin-bottom: .5rem; }}
  label {{ display: block; }} textarea {{ box-sizing: border-box; width: 100%; font: inherit; padding: .5rem; margin: .25rem 0 1rem; border-radius: 8px; }}
  button {{ font: inherit; padding: .6rem 1.2rem; border-radius: 10px; border: 0; background: #4f46e5; color: #fff; }}
  .error {{ color: #b91c1c; }}
</style></head><body><main>{body}</main></body></html>"#
    );
    let mut response = (status, Html(page)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_visitor_or_a_workspace_wrote_is_escaped() {
        assert_eq!(escape(r#"<b>"Tom's" & co</b>"#), "&lt;b&gt;&quot;Tom&#39;s&quot; &amp; co&lt;/b&gt;");
    }
}
