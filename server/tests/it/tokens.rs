//! Access and refresh tokens for non-browser clients, and secret API keys.

use axum::http::StatusCode;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::backend_tests;
use crate::support::{TestApp, PASSWORD};

async fn grant(app: &TestApp) -> serde_json::Value {
    let response =
        app.post_json("/api/v1/auth/token", json!({ "email": "ada@example.com", "password": PASSWORD }), &[]).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.header("cache-control"), "no-store");
    response.json()
}

async fn me(app: &TestApp, token: &str) -> StatusCode {
    let request = axum::http::Request::get("/api/v1/me")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    app.request(request).await.status
}

async fn refresh(app: &TestApp, token: &serde_json::Value) -> crate::support::TestResponse {
    app.post_json("/api/v1/auth/refresh", json!({ "refresh_token": token }), &[]).await
}

/// A token signed with our own key but claims of the test's choosing.
fn forge(app: &TestApp, algorithm: Algorithm, claims: serde_json::Value) -> String {
    let secret = app.state.config.auth.secret_key.as_ref().unwrap().expose().as_bytes().to_vec();
    encode(&Header::new(algorithm), &claims, &EncodingKey::from_secret(&secret)).unwrap()
}

fn claims(app: &TestApp, user_id: &str, family: &str) -> serde_json::Value {
    let now = lodestar_server::sql::now_millis() / 1000;
    json!({ "sub": user_id, "aud": "lodestar-api", "iss": app.state.config.public_url, "iat": now,
            "exp": now + 600, "typ": "access", "fam": family })
}

fn family_of(token: &str) -> String {
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap();
    serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["fam"].as_str().unwrap().to_string()
}

backend_tests! {
    async fn a_password_grant_gives_working_tokens(app) {
        app.verified_user("ada@example.com", "business").await;
        let tokens = grant(&app).await;
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 900);
        assert_eq!(me(&app, tokens["access_token"].as_str().unwrap()).await, StatusCode::OK);
        let wrong = app.post_json("/api/v1/auth/token", json!({ "email": "ada@example.com", "password": "nope" }), &[]).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    }

    async fn forged_and_misused_tokens_get_401(app) {
        let ada = app.verified_user("ada@example.com", "business").await;
        let tokens = grant(&app).await;
        let access = tokens["access_token"].as_str().unwrap();
        let family = family_of(access);
        assert_eq!(me(&app, &forge(&app, Algorithm::HS256, claims(&app, &ada.user_id, &family))).await, StatusCode::OK, "the forge helper is right");

        use base64::Engine;
        let b64 = |v: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let unsigned = format!("{}.{}.", b64(json!({ "alg": "none", "typ": "JWT" })), b64(claims(&app, &ada.user_id, &family)));
        assert_eq!(me(&app, &unsigned).await, StatusCode::UNAUTHORIZED, "alg: none");
        let swapped = forge(&app, Algorithm::HS512, claims(&app, &ada.user_id, &family));
        assert_eq!(me(&app, &swapped).await, StatusCode::UNAUTHORIZED, "algorithm swap");

        let mut expired = claims(&app, &ada.user_id, &family);
        expired["exp"] = json!(lodestar_server::sql::now_millis() / 1000 - 120);
        assert_eq!(me(&app, &forge(&app, Algorithm::HS256, expired)).await, StatusCode::UNAUTHORIZED, "expired");
        let mut audience = claims(&app, &ada.user_id, &family);
        audience["aud"] = json!("somebody-else");
        assert_eq!(me(&app, &forge(&app, Algorithm::HS256, audience)).await, StatusCode::UNAUTHORIZED, "wrong audience");
        let mut kind = claims(&app, &ada.user_id, &family);
        kind["typ"] = json!("refresh");
        assert_eq!(me(&app, &forge(&app, Algorithm::HS256, kind)).await, StatusCode::UNAUTHORIZED, "not an access token");
        assert_eq!(me(&app, tokens["refresh_token"].as_str().unwrap()).await, StatusCode::UNAUTHORIZED, "refresh used as access");
        let mut tampered = access.to_string();
        tampered.pop();
        assert_eq!(me(&app, &tampered).await, StatusCode::UNAUTHORIZED, "bad signature");
        assert_eq!(app.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED, "no token");
    }

    async fn reusing_a_refresh_token_kills_the_whole_family(app) {
        app.verified_user("ada@example.com", "business").await;
        let first = grant(&app).await;
        let second = refresh(&app, &first["refresh_token"]).await;
        assert_eq!(second.status, StatusCode::OK, "{}", second.body);
        let second = second.json();
        assert_ne!(second["refresh_token"], first["refresh_token"]);
        assert_eq!(me(&app, second["access_token"].as_str().unwrap()).await, StatusCode::OK);

        let replay = refresh(&app, &first["refresh_token"]).await;
        assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
        assert_eq!(refresh(&app, &second["refresh_token"]).await.status, StatusCode::UNAUTHORIZED, "the family is revoked");
        assert_eq!(me(&app, second["access_token"].as_str().unwrap()).await, StatusCode::UNAUTHORIZED);

        let other = grant(&app).await;
        assert_eq!(me(&app, other["access_token"].as_str().unwrap()).await, StatusCode::OK, "other families live on");
    }

    async fn revoking_and_password_changes_end_token_sessions(app) {
        let ada = app.verified_user("ada@example.com", "business").await;
        let tokens = grant(&app).await;
        let revoked = app.post_json("/api/v1/auth/revoke", json!({ "refresh_token": tokens["refresh_token"] }), &[]).await;
        assert_eq!(revoked.status, StatusCode::NO_CONTENT);
        assert_eq!(me(&app, tokens["access_token"].as_str().unwrap()).await, StatusCode::UNAUTHORIZED);
        assert_eq!(refresh(&app, &tokens["refresh_token"]).await.status, StatusCode::UNAUTHORIZED);

        let tokens = grant(&app).await;
        let changed = app.call(&ada, "/api/accounts/change-password", &[("current_password", PASSWORD), ("new_password", "a brand new passphrase")]).await;
        assert_eq!(changed.status, StatusCode::OK);
        assert_eq!(me(&app, tokens["access_token"].as_str().unwrap()).await, StatusCode::UNAUTHORIZED);
        assert_eq!(refresh(&app, &tokens["refresh_token"]).await.status, StatusCode::UNAUTHORIZED);
    }

    async fn secret_keys_are_shown_once_hashed_and_revocable(app) {
        let ada = app.verified_user("ada@example.com", "business").await;
        let workspace = app.workspace_of(&ada).await;
        app.set_plan(&workspace, "pro").await;
        let created = app.call(&ada, "/api/keys/create", &[("workspace_id", &workspace), ("name", "CRM sync"), ("kind", "secret")]).await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        let created = created.json();
        let secret = created["secret"].as_str().unwrap().to_string();
        assert!(secret.starts_with("sk_"));
        let listed = app.call(&ada, "/api/keys/list", &[("workspace_id", &workspace)]).await;
        assert!(!listed.body.contains(&secret), "the list never shows the secret again");
        let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_keys").fetch_all(app.state.sql.pool()).await.unwrap();
        assert!(stored.iter().all(|h| h.len() == 64 && !h.contains(&secret)), "only a digest is stored");
        assert_eq!(listed.json()[0]["last_used_at"], serde_json::Value::Null);

        let request = |token: &str| axum::http::Request::get("/api/v1/workspace")
            .header("authorization", format!("Bearer {token}")).body(axum::body::Body::empty()).unwrap();
        let used = app.request(request(&secret)).await;
        assert_eq!(used.status, StatusCode::OK);
        assert_eq!(used.json()["id"], workspace.as_str());
        let listed = app.call(&ada, "/api/keys/list", &[("workspace_id", &workspace)]).await.json();
        assert!(listed[0]["last_used_at"].is_i64());

        let key_id = created["key"]["id"].as_str().unwrap();
        let revoked = app.call(&ada, "/api/keys/revoke", &[("workspace_id", &workspace), ("key_id", key_id)]).await;
        assert_eq!(revoked.status, StatusCode::OK);
        assert_eq!(app.request(request(&secret)).await.status, StatusCode::UNAUTHORIZED);
        let publishable = app.call(&ada, "/api/keys/create", &[("workspace_id", &workspace), ("name", "Site"), ("kind", "publishable"), ("allowed_origins", "https://WWW.Example.com/")]).await.json();
        assert_eq!(publishable["secret"], serde_json::Value::Null);
        assert_eq!(publishable["key"]["allowed_origins"], json!(["https://www.example.com"]));
        let display = publishable["key"]["display"].as_str().unwrap();
        assert_eq!(app.request(request(display)).await.status, StatusCode::UNAUTHORIZED, "a publishable key is not a secret key");
    }
}
