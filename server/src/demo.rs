//! The out-of-the-box demo (development only): the seeded "Demo Store"
//! workspace gets a small help centre, widget settings and a publishable
//! key for this server's own origin, and `/demo` serves a shop page with
//! the widget on it, answering offline from that help centre.

use app::chat::WidgetSettings;
use app::keys::validate_new_key;
use app::knowledge::{NewSnippet, SourceKind};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::accounts::{insert_key, DEMO_EMAIL};
use crate::error::AppError;
use crate::state::AppState;

pub const KEY_NAME: &str = "Demo shop";

const HELP_CENTRE: [(&str, &str); 5] = [
    ("Shipping and delivery", include_str!("../demo/shipping.md")),
    ("Returns and refunds", include_str!("../demo/returns.md")),
    ("Payments and promo codes", include_str!("../demo/payments.md")),
    ("Sizing and product care", include_str!("../demo/sizing.md")),
    ("Your account and contacting us", include_str!("../demo/account.md")),
];

/// Gives the demo workspace its help centre, widget and key, once.
pub async fn seed(state: &AppState) -> Result<(), AppError> {
    let Some(workspace_id) = demo_workspace(state).await? else { return Ok(()) };
    if demo_key(state).await?.is_some() {
        return Ok(());
    }
    let origins = crate::chat::own_origins(&state.config.public_url).join("\n");
    let key = validate_new_key(KEY_NAME, "publishable", &origins)
        .map_err(|e| AppError::Task(format!("the demo key is invalid: {e:?}")))?;
    let token = crate::accounts::secrets::random_token("pk_");
    insert_key(state.sql.pool(), &workspace_id, &key, &token, None, None).await?;
    for (title, body) in HELP_CENTRE {
        let snippet = NewSnippet { kind: SourceKind::Text, title: title.into(), body: body.into() };
        state.knowledge.add_text(&workspace_id, snippet).await?;
    }
    let settings = WidgetSettings {
        title: "Demo Store help".into(),
        avatar: "🛍️".into(),
        greeting: "Hi! I answer from the Demo Store help centre. What can I help you with?".into(),
        starters: vec![
            "How long does delivery take?".into(),
            "How do I return an item?".into(),
            "Which payment methods do you accept?".into(),
        ],
        ..WidgetSettings::default()
    };
    state.chat.save_settings(&workspace_id, &settings).await?;
    tracing::info!("seeded the demo help centre and widget; try it at /demo");
    Ok(())
}

async fn demo_workspace(state: &AppState) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT m.workspace_id FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE u.email = $1 AND m.role = 'owner' ORDER BY m.created_at LIMIT 1",
    )
    .bind(DEMO_EMAIL)
    .fetch_optional(state.sql.pool())
    .await?)
}

/// The demo's publishable key (public by nature: it is in the page).
async fn demo_key(state: &AppState) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT k.display FROM api_keys k JOIN memberships m ON m.workspace_id = k.workspace_id
         JOIN users u ON u.id = m.user_id
         WHERE u.email = $1 AND m.role = 'owner' AND k.name = $2 AND k.kind = 'publishable' AND k.revoked_at IS NULL
         ORDER BY k.created_at LIMIT 1",
    )
    .bind(DEMO_EMAIL)
    .bind(KEY_NAME)
    .fetch_optional(state.sql.pool())
    .await?)
}

pub fn router() -> Router<AppState> {
    Router::new().route("/demo", get(demo_page))
}

async fn demo_page(State(state): State<AppState>) -> Result<Response, AppError> {
    let Some(key) = demo_key(&state).await? else {
        return Ok((StatusCode::NOT_FOUND, Html(NO_DEMO)).into_response());
    };
    let page = DEMO_PAGE.replace("{KEY}", &key);
    let mut response = Html(page).into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(WIDGET_PAGE_CSP));
    Ok(response)
}

/// For our own pages that embed the widget: their inline styles, and the
/// widget's script, WASM and API; framed only by our own dashboard.
pub const WIDGET_PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; \
    base-uri 'none'; form-action 'none'";

const NO_DEMO: &str = "<!doctype html><meta charset=utf-8><title>Demo off</title>\
<p>The demo shop is only seeded in development (SEED_DEMO=true).</p>";

const DEMO_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo Store · outdoor gear</title>
<style>
  body { margin: 0; font: 16px/1.6 Georgia, serif; color: #1f2937; background: #f8f5ef; }
  header { background: #14532d; color: #fff; padding: 20px 32px; display: flex; justify-content: space-between; align-items: center; }
  header a { color: #fff; }
  main { max-width: 960px; margin: 0 auto; padding: 32px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 20px; }
  .card { background: #fff; border-radius: 12px; padding: 20px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  .price { font-weight: bold; color: #14532d; }
  .hint { background: #fff7ed; border: 1px solid #fed7aa; border-radius: 12px; padding: 12px 16px; margin-bottom: 24px; }
</style>
</head>
<body>
<header><strong>Demo Store</strong><span>Outdoor gear since 2026</span></header>
<main>
  <p class="hint">This is a pretend shop with the Lodestar widget on it. Open the chat in the corner and ask
  about delivery, returns or payments: answers come from the Demo Store help centre, offline.</p>
  <div class="grid">
    <div class="card"><h2>Ridge waterproof jacket</h2><p>Three-layer shell for wet days.</p><p class="price">$189</p></div>
    <div class="card"><h2>Summit hiking boots</h2><p>Leather boots with a grippy sole.</p><p class="price">$149</p></div>
    <div class="card"><h2>Merino base layer</h2><p>Warm, soft and odour-resistant.</p><p class="price">$69</p></div>
  </div>
</main>
<script src="/widget.js" data-key="{KEY}" async></script>
</body>
</html>
"#;
