//! The HTTP application: pages and server functions (Leptos), health,
//! metrics and static assets, under one stack of middleware.

pub mod assets;
pub mod caller;
pub mod health;
pub mod json_body;
pub mod metrics;
pub mod security;
pub mod sign_in_gate;
pub mod signed_post;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use app::{shell, App};
use axum::http::{HeaderName, StatusCode};
use axum::serve::ListenerExt;
use axum::{middleware, Router};
use leptos::prelude::provide_context;
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application as one router, ready to serve or to test with `oneshot`.
pub fn app(state: AppState) -> Router {
    let services = state.services.clone();
    let reload_port = state.config.site.reload_port;
    let bundles = assets::bundles(&state.config.site, &state.leptos.hash_file);
    let page_context = move || {
        provide_context(services.clone());
        provide_context(bundles.clone());
        security::provide_page_csp(reload_port);
    };
    let leptos_options = state.leptos.clone();

    let pages = Router::new()
        .leptos_routes_with_context(&state, generate_route_list(App), page_context.clone(), move || {
            shell(leptos_options.clone())
        })
        .fallback(file_and_error_handler_with_context::<AppState, _>(page_context, shell))
        .layer(middleware::from_fn_with_state(state.clone(), sign_in_gate::require_sign_in));

    Router::new()
        .merge(health::router())
        .merge(metrics::router())
        .merge(assets::router(&state.config.site))
        .merge(crate::accounts::api::router())
        .merge(crate::knowledge::api::router())
        .merge(crate::chat::api::router())
        .merge(crate::desk::api::router())
        .merge(crate::desk::email_api::router())
        .merge(crate::billing::webhook::router())
        .merge(crate::desk::rating_email::router())
        .merge(crate::mentor::resume::router())
        .merge(
            crate::mentor::api::router()
                .layer(middleware::from_fn_with_state(state.clone(), crate::mentor::api::cors)),
        )
        .merge(crate::demo::router())
        .merge(pages)
        .route_layer(middleware::from_fn(metrics::label_route))
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                    let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("request", method = %request.method(), path = %loggable_path(request.uri().path()), request_id = %id)
                })
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(middleware::from_fn_with_state(state.clone(), security::headers))
                .layer(middleware::from_fn_with_state(state.clone(), sign_in_gate::mirror_session))
                .layer(CompressionLayer::new().quality(CompressionLevel::Precise(5)).compress_when(
                    // Streams are sent as they are written: a compressor would hold
                    // a streamed answer back until it had a block's worth. Server
                    // functions stream as application/octet-stream; SSE is excluded
                    // by the default predicate.
                    DefaultPredicate::new().and(NotForContentType::const_new("application/octet-stream")),
                ))
                .layer(middleware::from_fn_with_state(state.clone(), time_limit))
                .layer(middleware::from_fn_with_state(state.clone(), security::refuse_cross_site))
                .layer(middleware::from_fn_with_state(state.clone(), caller::identify)),
        )
        .with_state(state)
}

/// `REQUEST_TIMEOUT_SECS` for the response to start, except for uploads,
/// which keep their own limits (`knowledge::api`, `mentor::resume`): a
/// large file on a slow link must not be cut off after some of it was read.
async fn time_limit(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let (method, path) = (request.method(), request.uri().path());
    if crate::knowledge::api::is_upload(method, path) || crate::mentor::resume::is_upload(method, path) {
        return next.run(request).await;
    }
    match tokio::time::timeout(state.config.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => axum::response::IntoResponse::into_response(StatusCode::REQUEST_TIMEOUT),
    }
}

/// The path as logs may show it: an invitation's token is a key to a
/// workspace, so it is cut off. (Other links carry theirs in the query
/// string, which is never logged.)
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/invite/") {
        "/invite/…"
    } else {
        path
    }
}

/// Serves until `shutdown` resolves, then stops accepting, lets in-flight
/// requests finish, and gives up on them after `grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    // Small writes (streamed answers, chunked responses) go out at once:
    // with Nagle's algorithm each could wait for the client's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(
        async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections, finishing requests in flight");
            let _ = stopping_tx.send(());
        },
    );
    let deadline = async move {
        if stopping_rx.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server => result,
        () = deadline => {
            tracing::warn!(?grace, "requests still running after the shutdown deadline; stopping anyway");
            Ok(())
        }
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
