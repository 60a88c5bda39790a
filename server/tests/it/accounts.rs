//! People: sign-up, verification, login, sessions, passwords, export and
//! deletion, through the real endpoints.

use axum::http::StatusCode;

use crate::backend_tests;
use crate::support::{Session, TestApp, PASSWORD};

const SAME_SITE: (&str, &str) = ("sec-fetch-site", "same-origin");

async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> crate::support::TestResponse {
    app.post_form(path, fields, &[SAME_SITE]).await
}

async fn set_cookie_of(app: &TestApp, email: &str) -> String {
    app.log_in(email, PASSWORD, &[]).await.header("set-cookie").to_string()
}

backend_tests! {
    async fn sign_up_verify_log_in_and_log_out(app) {
        let response = app.sign_up("Ada@Example.com", "business").await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        assert_eq!(response.json()["CheckYourEmail"]["email"], "ada@example.com");
        assert!(response.header("set-cookie").is_empty(), "no session before the email is proven");

        let before = app.log_in("ada@example.com", PASSWORD, &[]).await;
        assert_eq!(before.status, StatusCode::CONFLICT, "{}", before.body);
        assert!(before.body.contains("confirm your email"), "{}", before.body);

        let link = app.mail_link("ada@example.com", "/verify?token=");
        let token = link.split("token=").nth(1).unwrap();
        let verified = post(&app, "/api/accounts/verify-email", &[("token", token)]).await;
        assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
        assert_eq!(verified.json(), "ada@example.com");
        let again = post(&app, "/api/accounts/verify-email", &[("token", token)]).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "a verification link works once");

        let cookie = set_cookie_of(&app, "ada@example.com").await;
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
        let session = app.session("ada@example.com", PASSWORD).await;
        let viewer = app.viewer(&session.cookie).await;
        assert_eq!(viewer["purpose"], "business");
        assert_eq!(viewer["workspaces"][0]["role"], "owner");
        assert_eq!(viewer["workspaces"][0]["name"], "Test Person's workspace");

        let out = app.call(&session, "/api/accounts/log-out", &[]).await;
        assert!(out.header("set-cookie").contains("Max-Age=0"), "{:?}", out.headers);
        assert_eq!(app.viewer(&session.cookie).await, serde_json::Value::Null, "the old cookie is dead");
    }

    async fn the_dashboard_needs_a_login_and_is_never_cached(app) {
        let anonymous = app.get_page(None, "/app/account").await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
        assert_eq!(anonymous.header("location"), "/login?next=%2Fapp%2Faccount");

        let ada = app.verified_user("ada@example.com", "business").await;
        let workspace = app.workspace_of(&ada).await;
        // Signed out (or with a session that has ended), every dashboard address
        // goes to the login page on the server, and comes back after it.
        let expired = Session { cookie: format!("{}=not-a-live-session", ada.cookie.split('=').next().unwrap()), user_id: ada.user_id.clone() };
        for (session, path) in [(None, "/app".to_string()), (Some(&expired), format!("/app/w/{workspace}/inbox?status=open"))] {
            let page = app.get_page(session, &path).await;
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}: {}", page.body);
            assert_eq!(page.header("location"), app::components::url::login_url(&path));
        }
        // Signed in, a workspace the person is not in is not found.
        let elsewhere = app.get_page(Some(&ada), "/app/w/some-other-workspace/inbox").await;
        assert_eq!(elsewhere.status, StatusCode::NOT_FOUND, "{}", elsewhere.body);
        let page = app.get_page(Some(&ada), &format!("/app/w/{workspace}/team")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Test Person's workspace"));
        assert_eq!(page.header("cache-control"), "private, no-store");
        let csp = page.header("content-security-policy");
        assert!(csp.contains("script-src 'self' 'nonce-") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(page.header("strict-transport-security").is_empty(), "no HSTS over plain HTTP");
        let home = app.get_page(Some(&ada), "/app").await;
        assert_eq!(home.header("location"), format!("/app/w/{workspace}"));
    }

    async fn a_mentor_gets_a_personal_account_and_no_workspace(app) {
        let session = app.verified_user("grace@example.com", "mentor").await;
        let viewer = app.viewer(&session.cookie).await;
        assert_eq!(viewer["purpose"], "mentor");
        assert_eq!(viewer["workspaces"], serde_json::json!([]));
        let login = app.log_in("grace@example.com", PASSWORD, &[]).await;
        assert_eq!(login.header("location"), "/mentor");
    }

    async fn sign_up_never_reveals_an_existing_account(app) {
        app.verified_user("ada@example.com", "business").await;
        let fresh = app.sign_up("new@example.com", "business").await;
        let taken = app.sign_up("ada@example.com", "business").await;
        assert_eq!(taken.status, fresh.status);
        assert_eq!(taken.body.replace("ada@", "new@"), fresh.body);
        assert_eq!(app.count("users").await, 2);
        let warning = app.outbox().into_iter().rev().find(|m| m.contains("To: ada@example.com")).unwrap();
        assert!(warning.contains("Someone tried to sign up"), "{warning}");
        // The existing password still works; the sign-up changed nothing.
        app.session("ada@example.com", PASSWORD).await;
    }

    async fn login_failures_look_the_same_for_unknown_emails(app) {
        app.verified_user("ada@example.com", "business").await;
        let wrong_password = app.log_in("ada@example.com", "not the password", &[]).await;
        let unknown = app.log_in("nobody@example.com", "not the password", &[]).await;
        assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
        assert_eq!(unknown.status, wrong_password.status);
        assert_eq!(unknown.body, wrong_password.body);
    }

    async fn weak_passwords_are_refused_with_a_reason(app) {
        let fields = [("name", "Ada"), ("email", "ada@example.com"), ("password", "password123"), ("purpose", "business")];
        let response = post(&app, "/api/accounts/sign-up", &fields).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.json()["Invalid"]["password"].as_str().unwrap().contains("too easy"));
        assert_eq!(app.count("users").await, 0);
    }

    async fn a_login_rotates_the_session_id(app) {
        let first = app.verified_user("ada@example.com", "business").await;
        let again = app.log_in("ada@example.com", PASSWORD, &[("cookie", &first.cookie)]).await;
        let second = again.header("set-cookie").split(';').next().unwrap().to_string();
        assert_ne!(second, first.cookie);
        assert_eq!(app.viewer(&first.cookie).await, serde_json::Value::Null, "the pre-login session is gone");
        assert_eq!(app.viewer(&second).await["email"], "ada@example.com");
    }

    async fn idle_and_expired_sessions_end(app) {
        let session = app.verified_user("ada@example.com", "business").await;
        let long_ago = lodestar_server::sql::now_millis() - lodestar_server::accounts::sessions::IDLE_MS - 1000;
        sqlx::query("UPDATE sessions SET last_seen_at = $1").bind(long_ago).execute(app.state.sql.pool()).await.unwrap();
        assert_eq!(app.viewer(&session.cookie).await, serde_json::Value::Null, "idle too long");

        let session = app.session("ada@example.com", PASSWORD).await;
        sqlx::query("UPDATE sessions SET expires_at = $1").bind(lodestar_server::sql::now_millis() - 1).execute(app.state.sql.pool()).await.unwrap();
        assert_eq!(app.viewer(&session.cookie).await, serde_json::Value::Null, "past the absolute limit");
    }

    async fn sessions_are_listed_and_revocable_only_by_their_owner(app) {
        let laptop = app.verified_user("ada@example.com", "business").await;
        let phone = app.session("ada@example.com", PASSWORD).await;
        let mallory = app.verified_user("mallory@example.com", "business").await;

        let listed = app.call(&laptop, "/api/accounts/sessions", &[]).await.json();
        let sessions = listed.as_array().unwrap();
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
        let phone_id = sessions.iter().find(|s| s["current"] == false).unwrap()["id"].as_str().unwrap().to_string();

        let stolen = app.call(&mallory, "/api/accounts/revoke-session", &[("session_id", &phone_id)]).await;
        assert_eq!(stolen.status, StatusCode::NOT_FOUND);
        assert_eq!(app.viewer(&phone.cookie).await["email"], "ada@example.com");

        let revoked = app.call(&laptop, "/api/accounts/revoke-session", &[("session_id", &phone_id)]).await;
        assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
        assert_eq!(app.viewer(&phone.cookie).await, serde_json::Value::Null);
        assert_eq!(app.viewer(&laptop.cookie).await["email"], "ada@example.com");
    }

    async fn password_reset_is_single_use_expires_and_ends_sessions(app) {
        let session = app.verified_user("ada@example.com", "business").await;
        let known = post(&app, "/api/accounts/request-password-reset", &[("email", "ada@example.com")]).await;
        let unknown = post(&app, "/api/accounts/request-password-reset", &[("email", "nobody@example.com")]).await;
        assert_eq!((known.status, known.body.as_str()), (unknown.status, unknown.body.as_str()));
        assert!(app.outbox().iter().all(|m| !m.contains("To: nobody@example.com")));

        let link = app.mail_link("ada@example.com", "/reset?token=");
        let token = link.split("token=").nth(1).unwrap();
        let weak = post(&app, "/api/accounts/reset-password", &[("token", token), ("password", "short")]).await;
        assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY, "a refused password leaves the link usable");
        let reset = post(&app, "/api/accounts/reset-password", &[("token", token), ("password", "a brand new passphrase")]).await;
        assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
        let reuse = post(&app, "/api/accounts/reset-password", &[("token", token), ("password", "another new passphrase")]).await;
        assert_eq!(reuse.status, StatusCode::CONFLICT);

        assert_eq!(app.viewer(&session.cookie).await, serde_json::Value::Null, "a reset ends every session");
        assert_eq!(app.log_in("ada@example.com", PASSWORD, &[]).await.status, StatusCode::UNAUTHORIZED);
        app.session("ada@example.com", "a brand new passphrase").await;

        post(&app, "/api/accounts/request-password-reset", &[("email", "ada@example.com")]).await;
        let link = app.mail_link("ada@example.com", "/reset?token=");
        let token = link.split("token=").nth(1).unwrap();
        // Issued 31 minutes ago: one minute past its 30.
        sqlx::query("UPDATE email_tokens SET expires_at = $1 WHERE purpose = 'reset' AND used_at IS NULL")
            .bind(lodestar_server::sql::now_millis() - 60 * 1000)
            .execute(app.state.sql.pool())
            .await
            .unwrap();
        let expired = post(&app, "/api/accounts/reset-password", &[("token", token), ("password", "too late passphrase")]).await;
        assert_eq!(expired.status, StatusCode::CONFLICT);
        assert!(expired.body.contains("expired"));
    }

    async fn changing_the_password_ends_every_other_session(app) {
        let here = app.verified_user("ada@example.com", "business").await;
        let elsewhere = app.session("ada@example.com", PASSWORD).await;
        let wrong = app.call(&here, "/api/accounts/change-password", &[("current_password", "nope"), ("new_password", "a brand new passphrase")]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.json()["Invalid"]["current_password"].is_string());
        let changed = app.call(&here, "/api/accounts/change-password", &[("current_password", PASSWORD), ("new_password", "a brand new passphrase")]).await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        assert_eq!(app.viewer(&here.cookie).await["email"], "ada@example.com");
        assert_eq!(app.viewer(&elsewhere.cookie).await, serde_json::Value::Null);
        let workspace = app.workspace_of(&here).await;
        let events = app.call(&here, "/api/audit/list", &[("workspace_id", &workspace)]).await.json();
        assert!(events.as_array().unwrap().iter().any(|e| e["action"] == "password.changed"));
    }

    async fn a_password_change_that_cannot_end_sessions_changes_nothing(app) {
        let here = app.verified_user("ada@example.com", "business").await;
        let elsewhere = app.session("ada@example.com", PASSWORD).await;
        refuse_session_deletes(&app, true).await;
        let change = [("current_password", PASSWORD), ("new_password", "a brand new passphrase")];
        let failed = app.call(&here, "/api/accounts/change-password", &change).await;
        assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", failed.body);
        post(&app, "/api/accounts/request-password-reset", &[("email", "ada@example.com")]).await;
        let link = app.mail_link("ada@example.com", "/reset?token=");
        let token = link.split("token=").nth(1).unwrap();
        let reset = [("token", token), ("password", "another new passphrase")];
        let failed = post(&app, "/api/accounts/reset-password", &reset).await;
        assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", failed.body);
        refuse_session_deletes(&app, false).await;

        // Neither half happened: the old password works, the other session
        // lives, and the reset link was not spent.
        assert_eq!(app.viewer(&elsewhere.cookie).await["email"], "ada@example.com");
        app.session("ada@example.com", PASSWORD).await;
        let reset = post(&app, "/api/accounts/reset-password", &reset).await;
        assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
        assert_eq!(app.viewer(&elsewhere.cookie).await, serde_json::Value::Null);
        app.session("ada@example.com", "another new passphrase").await;
    }

    async fn profile_updates_and_export_exclude_secrets(app) {
        let session = app.verified_user("ada@example.com", "business").await;
        let updated = app.call(&session, "/api/accounts/update-profile", &[("name", "  Ada   King ")]).await;
        assert_eq!(updated.json()["name"], "Ada King");
        let export = app.get_as(&session, "/account/export").await;
        assert_eq!(export.status, StatusCode::OK);
        assert!(export.header("content-disposition").starts_with("attachment"));
        let data = export.json();
        assert_eq!(data["account"]["email"], "ada@example.com");
        assert_eq!(data["workspaces"][0]["role"], "owner");
        assert!(!export.body.contains("argon2") && !export.body.contains("token_hash"), "{}", export.body);
        assert_eq!(app.get("/account/export").await.status, StatusCode::UNAUTHORIZED);
    }

    async fn deleting_an_account_needs_confirmation_and_a_successor(app) {
        let ada = app.verified_user("ada@example.com", "business").await;
        let workspace = app.workspace_of(&ada).await;
        let wrong = app.call(&ada, "/api/accounts/delete", &[("password", PASSWORD), ("confirm", "someone@else.com")]).await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);

        app.call(&ada, "/api/team/invite", &[("workspace_id", &workspace), ("email", "bob@example.com"), ("role", "agent")]).await;
        let bob = app.verified_user("bob@example.com", "mentor").await;
        let token = app.mail_link("bob@example.com", "/invite/").rsplit('/').next().unwrap().to_string();
        assert_eq!(app.call(&bob, "/api/team/accept-invitation", &[("token", &token)]).await.status, StatusCode::OK);

        let blocked = app.call(&ada, "/api/accounts/delete", &[("password", PASSWORD), ("confirm", "ada@example.com")]).await;
        assert_eq!(blocked.status, StatusCode::CONFLICT);
        assert!(blocked.body.contains("only owner"), "{}", blocked.body);

        // Bob's own account goes cleanly, and the audit log says so.
        let gone = app.call(&bob, "/api/accounts/delete", &[("password", PASSWORD), ("confirm", "BOB@example.com")]).await;
        assert!(gone.status.is_success() || gone.status.is_redirection(), "{}", gone.body);
        assert_eq!(app.count("users").await, 1);
        let events = app.call(&ada, "/api/audit/list", &[("workspace_id", &workspace)]).await.json();
        assert!(events.as_array().unwrap().iter().any(|e| e["action"] == "member.removed" && e["detail"] == "account deleted"));

        let done = app.call(&ada, "/api/accounts/delete", &[("password", PASSWORD), ("confirm", "ada@example.com")]).await;
        assert!(done.status.is_success() || done.status.is_redirection(), "{}", done.body);
        assert_eq!(app.count("users").await, 0);
        assert_eq!(app.count("workspaces").await, 0, "a workspace nobody else was in goes with its owner");
        assert_eq!(app.count("sessions").await, 0);
    }
}

/// Makes deleting sessions fail inside the database (a trigger), the way a
/// lost connection or a full disk would fail the second half of a change.
async fn refuse_session_deletes(app: &TestApp, refuse: bool) {
    let statements: &[&str] = match (app.db, refuse) {
        (crate::support::Db::Sqlite, true) => &["CREATE TRIGGER refuse_session_delete BEFORE DELETE ON sessions BEGIN SELECT RAISE(ABORT, 'injected failure'); END"],
        (crate::support::Db::Sqlite, false) => &["DROP TRIGGER refuse_session_delete"],
        (crate::support::Db::Postgres, true) => &[
            "CREATE FUNCTION refuse_session_delete() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_session_delete BEFORE DELETE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION refuse_session_delete()",
        ],
        (crate::support::Db::Postgres, false) => &["DROP TRIGGER refuse_session_delete ON sessions", "DROP FUNCTION refuse_session_delete()"],
    };
    for statement in statements {
        sqlx::query(statement).execute(app.state.sql.pool()).await.expect(statement);
    }
}

mod throttling {
    use super::*;
    use crate::support::Db;

    async fn run(db: Db) {
        let app =
            TestApp::builder(db).config(|c| c.auth.trusted_proxy_header = Some("x-forwarded-for".into())).build().await;
        app.verified_user("ada@example.com", "business").await;
        let attacker = [("x-forwarded-for", "203.0.113.9")];
        for attempt in 1..=5 {
            let response = app.log_in("ada@example.com", "guess", &attacker).await;
            assert_eq!(response.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        }
        let sixth = app.log_in("ada@example.com", "guess", &attacker).await;
        assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = sixth.header("retry-after").parse().unwrap();
        assert!((1..=900).contains(&wait), "{wait}");
        let right_password_same_address = app.log_in("ada@example.com", PASSWORD, &attacker).await;
        assert_eq!(right_password_same_address.status, StatusCode::TOO_MANY_REQUESTS);

        // A client-supplied entry before the proxy's own is not trusted.
        let owner = [("x-forwarded-for", "203.0.113.9, 198.51.100.7")];
        let response = app.log_in("ada@example.com", PASSWORD, &owner).await;
        assert!(
            response.header("set-cookie").starts_with("lodestar_session="),
            "{} {}",
            response.status,
            response.body
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(Db::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(Db::Postgres).await
    }
}

/// The known-browser cookie a login set, ready for a `Cookie` header.
fn browser_cookie(response: &crate::support::TestResponse) -> String {
    response
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lodestar_browser="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .unwrap_or_else(|| panic!("no known-browser cookie: {:?}", response.headers))
}

backend_tests! {
    /// 25 wrong passwords from 6 addresses once locked the owner out for a
    /// quarter of an hour. Now they slow down only browsers the owner never
    /// logged in from (by a doubling wait of at most a minute), the owner hears
    /// of it, and a password reset lifts it.
    async fn a_guesser_elsewhere_never_locks_the_owner_out(app) {
        let app =
            TestApp::builder(app.db).config(|c| c.auth.trusted_proxy_header = Some("x-forwarded-for".into())).build().await;
        app.verified_user("ada@example.com", "business").await;
        let laptop = app.log_in("ada@example.com", PASSWORD, &[("x-forwarded-for", "192.0.2.10")]).await;
        assert!(laptop.status.is_success() || laptop.status.is_redirection(), "{}", laptop.body);
        let known = browser_cookie(&laptop);

        let mut checked = 0;
        for attempt in 0..25 {
            let address = format!("203.0.113.{}", attempt % 6 + 1);
            let response =
                app.log_in("ada@example.com", "a wrong guess", &[("x-forwarded-for", address.as_str())]).await;
            match response.status {
                StatusCode::UNAUTHORIZED => checked += 1,
                StatusCode::TOO_MANY_REQUESTS => {
                    let wait: u64 = response.header("retry-after").parse().unwrap();
                    assert!((1..=60).contains(&wait), "a guesser waits a bounded time, not {wait}");
                }
                other => panic!("attempt {attempt}: {other} {}", response.body),
            }
        }
        assert!(checked <= 11, "{checked} of 25 guesses were checked");

        // A browser never used before waits a little (seconds after the last guess), never a quarter of an hour.
        let new_browser = app.log_in("ada@example.com", PASSWORD, &[("x-forwarded-for", "198.51.100.21")]).await;
        assert_eq!(new_browser.status, StatusCode::TOO_MANY_REQUESTS, "{}", new_browser.body);
        assert!(new_browser.header("retry-after").parse::<u64>().unwrap() <= 60);
        // The owner's own browser, from a new address (a café), gets straight in.
        let cafe = app
            .log_in("ada@example.com", PASSWORD, &[("x-forwarded-for", "198.51.100.20"), ("cookie", known.as_str())])
            .await;
        assert!(cafe.header("set-cookie").starts_with("lodestar_session="), "{} {}", cafe.status, cafe.body);

        // Sent in the background (a failed login must not take longer for a real account).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let notices = loop {
            let notices: Vec<String> =
                app.outbox().into_iter().filter(|m| m.contains("Someone is trying to sign in")).collect();
            if !notices.is_empty() || std::time::Instant::now() > deadline {
                break notices;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert_eq!(notices.len(), 1, "the owner is told once");
        assert!(notices[0].contains("/forgot"), "{}", notices[0]);

        // A new password lifts the slowdown for every browser.
        post(&app, "/api/accounts/request-password-reset", &[("email", "ada@example.com")]).await;
        let link = app.mail_link("ada@example.com", "/reset?token=");
        let token = link.split("token=").nth(1).unwrap();
        let reset =
            post(&app, "/api/accounts/reset-password", &[("token", token), ("password", "a brand new passphrase")])
                .await;
        assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
        let fresh =
            app.log_in("ada@example.com", "a brand new passphrase", &[("x-forwarded-for", "198.51.100.22")]).await;
        assert!(fresh.header("set-cookie").starts_with("lodestar_session="), "{} {}", fresh.status, fresh.body);
    }
}
