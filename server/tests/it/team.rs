//! Members, invitations, roles, ownership and the audit log.

use axum::http::StatusCode;

use crate::backend_tests;
use crate::support::{path_of, Session, TestApp, PASSWORD};

/// An owner with a workspace, and a helper to bring people in by invitation.
struct Team {
    owner: Session,
    workspace: String,
}

impl Team {
    async fn new(app: &TestApp) -> Team {
        let owner = app.verified_user("owner@example.com", "business").await;
        let workspace = app.workspace_of(&owner).await;
        Team { owner, workspace }
    }

    fn ws(&self) -> (&'static str, &str) {
        ("workspace_id", self.workspace.as_str())
    }

    /// Invites `email` as `role` and has them accept from their own account.
    async fn join(&self, app: &TestApp, email: &str, role: &str) -> Session {
        let invited = app.call(&self.owner, "/api/team/invite", &[self.ws(), ("email", email), ("role", role)]).await;
        assert_eq!(invited.status, StatusCode::OK, "{}", invited.body);
        let token = invitation_token(app, email);
        let member = app.verified_user(email, "mentor").await;
        let accepted = app.call(&member, "/api/team/accept-invitation", &[("token", &token)]).await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
        member
    }

    async fn roles(&self, app: &TestApp) -> Vec<(String, String, bool)> {
        let team = app.call(&self.owner, "/api/team/view", &[self.ws()]).await.json();
        team["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["email"].as_str().unwrap().into(),
                    m["role"].as_str().unwrap().into(),
                    m["suspended"].as_bool().unwrap(),
                )
            })
            .collect()
    }
}

fn invitation_token(app: &TestApp, email: &str) -> String {
    path_of(&app.mail_link(email, "/invite/")).rsplit('/').next().unwrap().to_string()
}

backend_tests! {
    async fn an_invitation_is_single_use_and_bound_to_its_email(app) {
        let team = Team::new(&app).await;
        app.call(&team.owner, "/api/team/invite", &[team.ws(), ("email", "Bob@Example.com"), ("role", "admin")]).await;
        let token = invitation_token(&app, "bob@example.com");
        let preview = app.post_form("/api/team/invitation", &[("token", &token)], &[("sec-fetch-site", "same-origin")]).await.json();
        assert_eq!(preview["workspace_name"], "Test Person's workspace");
        assert_eq!(preview["role"], "admin");

        let eve = app.verified_user("eve@example.com", "mentor").await;
        let wrong_person = app.call(&eve, "/api/team/accept-invitation", &[("token", &token)]).await;
        assert_eq!(wrong_person.status, StatusCode::CONFLICT);
        assert!(wrong_person.body.contains("bob@example.com"));

        let bob = app.verified_user("bob@example.com", "mentor").await;
        // A role sent by the client is ignored: the invitation decides.
        let accepted = app.call(&bob, "/api/team/accept-invitation", &[("token", &token), ("role", "owner")]).await;
        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
        assert_eq!(accepted.json()["role"], "admin");
        let again = app.call(&bob, "/api/team/accept-invitation", &[("token", &token)]).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(team.roles(&app).await.contains(&("bob@example.com".into(), "admin".into(), false)));
    }

    async fn invitations_expire_after_seven_days(app) {
        let team = Team::new(&app).await;
        app.call(&team.owner, "/api/team/invite", &[team.ws(), ("email", "bob@example.com"), ("role", "agent")]).await;
        let token = invitation_token(&app, "bob@example.com");
        let expires_at: i64 = sqlx::query_scalar("SELECT expires_at FROM invitations").fetch_one(app.state.sql.pool()).await.unwrap();
        let week = 7 * 24 * 3600 * 1000;
        assert!((expires_at - lodestar_server::sql::now_millis() - week).abs() < 60_000);
        sqlx::query("UPDATE invitations SET expires_at = $1").bind(lodestar_server::sql::now_millis() - 1).execute(app.state.sql.pool()).await.unwrap();
        let bob = app.verified_user("bob@example.com", "mentor").await;
        let late = app.call(&bob, "/api/team/accept-invitation", &[("token", &token)]).await;
        assert_eq!(late.status, StatusCode::CONFLICT);
        assert!(late.body.contains("expired"));
    }

    async fn signing_up_from_an_invitation_joins_with_the_invited_role(app) {
        let team = Team::new(&app).await;
        app.call(&team.owner, "/api/team/invite", &[team.ws(), ("email", "bob@example.com"), ("role", "agent")]).await;
        let token = invitation_token(&app, "bob@example.com");
        let fields = [("name", "Bob"), ("email", "bob@example.com"), ("password", PASSWORD), ("invitation", &token),
            ("role", "owner"), ("workspace_id", "someone-elses"), ("owner_id", "x")];
        let response = app.post_form("/api/accounts/sign-up", &fields, &[("sec-fetch-site", "same-origin")]).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        assert_eq!(response.json()["Joined"]["redirect"], format!("/app/w/{}", team.workspace));
        let cookie = response.header("set-cookie").split(';').next().unwrap().to_string();
        let viewer = app.viewer(&cookie).await;
        assert_eq!(viewer["workspaces"].as_array().unwrap().len(), 1);
        assert_eq!(viewer["workspaces"][0]["role"], "agent");
    }

    async fn inviting_never_reveals_who_has_an_account(app) {
        let team = Team::new(&app).await;
        app.verified_user("known@example.com", "mentor").await;
        let known = app.call(&team.owner, "/api/team/invite", &[team.ws(), ("email", "known@example.com"), ("role", "agent")]).await;
        let unknown = app.call(&team.owner, "/api/team/invite", &[team.ws(), ("email", "unknown@example.com"), ("role", "agent")]).await;
        assert_eq!((known.status, known.body.as_str()), (unknown.status, unknown.body.as_str()));
        let member = app.call(&team.owner, "/api/team/invite", &[team.ws(), ("email", "owner@example.com"), ("role", "agent")]).await;
        assert_eq!(member.status, StatusCode::UNPROCESSABLE_ENTITY, "members of this workspace are visible to its admins anyway");
    }

    async fn the_last_owner_stays_and_ownership_transfers(app) {
        let team = Team::new(&app).await;
        let admin = team.join(&app, "admin@example.com", "admin").await;
        let agent = team.join(&app, "agent@example.com", "agent").await;
        let owner_id = team.owner.user_id.clone();

        let leave = app.call(&team.owner, "/api/team/leave", &[team.ws()]).await;
        assert_eq!(leave.status, StatusCode::CONFLICT);
        assert!(leave.body.contains("at least one owner"));
        let demote_self = app.call(&team.owner, "/api/team/change-role", &[team.ws(), ("user_id", &owner_id), ("role", "admin")]).await;
        assert_eq!(demote_self.status, StatusCode::CONFLICT);

        // Admins act only up to their own rank.
        let promote = app.call(&admin, "/api/team/change-role", &[team.ws(), ("user_id", &agent.user_id), ("role", "owner")]).await;
        assert_eq!(promote.status, StatusCode::FORBIDDEN);
        let demote_owner = app.call(&admin, "/api/team/change-role", &[team.ws(), ("user_id", &owner_id), ("role", "agent")]).await;
        assert_eq!(demote_owner.status, StatusCode::FORBIDDEN);
        let remove_owner = app.call(&admin, "/api/team/remove", &[team.ws(), ("user_id", &owner_id)]).await;
        assert_eq!(remove_owner.status, StatusCode::FORBIDDEN);
        let transfer = app.call(&admin, "/api/team/transfer-ownership", &[team.ws(), ("user_id", &agent.user_id)]).await;
        assert_eq!(transfer.status, StatusCode::FORBIDDEN);

        let transfer = app.call(&team.owner, "/api/team/transfer-ownership", &[team.ws(), ("user_id", &admin.user_id)]).await;
        assert_eq!(transfer.status, StatusCode::OK, "{}", transfer.body);
        let roles = team.roles(&app).await;
        assert!(roles.contains(&("owner@example.com".into(), "admin".into(), false)), "{roles:?}");
        assert!(roles.contains(&("admin@example.com".into(), "owner".into(), false)), "{roles:?}");
        let left = app.call(&team.owner, "/api/team/leave", &[team.ws()]).await;
        assert!(left.status.is_success() || left.status.is_redirection(), "{}", left.body);
        assert_eq!(app.viewer(&team.owner.cookie).await["workspaces"], serde_json::json!([]));
    }

    async fn suspending_or_removing_a_member_revokes_their_credentials(app) {
        let team = Team::new(&app).await;
        let admin = team.join(&app, "admin@example.com", "admin").await;
        app.set_plan(&team.workspace, "pro").await;
        let created = app.call(&admin, "/api/keys/create", &[team.ws(), ("name", "Admin's key"), ("kind", "secret")]).await.json();
        let secret = created["secret"].as_str().unwrap().to_string();
        let use_key = || axum::http::Request::get("/api/v1/workspace").header("authorization", format!("Bearer {secret}")).body(axum::body::Body::empty()).unwrap();
        assert_eq!(app.request(use_key()).await.status, StatusCode::OK);

        let suspended = app.call(&team.owner, "/api/team/suspend", &[team.ws(), ("user_id", &admin.user_id), ("suspended", "true")]).await;
        assert_eq!(suspended.status, StatusCode::OK, "{}", suspended.body);
        assert_eq!(app.request(use_key()).await.status, StatusCode::UNAUTHORIZED, "their key died with their access");
        let locked_out = app.call(&admin, "/api/team/view", &[team.ws()]).await;
        assert_eq!(locked_out.status, StatusCode::NOT_FOUND);
        assert_eq!(app.viewer(&admin.cookie).await["workspaces"], serde_json::json!([]));

        let reinstated = app.call(&team.owner, "/api/team/suspend", &[team.ws(), ("user_id", &admin.user_id), ("suspended", "false")]).await;
        assert_eq!(reinstated.status, StatusCode::OK);
        assert_eq!(app.call(&admin, "/api/team/view", &[team.ws()]).await.status, StatusCode::OK);
        let removed = app.call(&team.owner, "/api/team/remove", &[team.ws(), ("user_id", &admin.user_id)]).await;
        assert_eq!(removed.status, StatusCode::OK);
        assert_eq!(app.call(&admin, "/api/team/view", &[team.ws()]).await.status, StatusCode::NOT_FOUND);

        let events: Vec<String> = app.call(&team.owner, "/api/audit/list", &[team.ws()]).await.json().as_array().unwrap()
            .iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
        for expected in ["workspace.created", "login.succeeded", "member.invited", "member.joined", "key.created", "member.suspended", "member.reinstated", "member.removed"] {
            assert!(events.iter().any(|e| e == expected), "{expected} missing from {events:?}");
        }
    }

    async fn failed_logins_reach_the_audit_log_and_agents_cannot_read_it(app) {
        let team = Team::new(&app).await;
        let agent = team.join(&app, "agent@example.com", "agent").await;
        app.log_in("agent@example.com", "wrong password", &[]).await;
        // Recorded in the background, so that a known email answers no slower than an unknown one.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let failed = loop {
            let events = app.call(&team.owner, "/api/audit/list", &[team.ws()]).await.json();
            if let Some(failed) = events.as_array().unwrap().iter().find(|e| e["action"] == "login.failed") {
                break failed.clone();
            }
            assert!(std::time::Instant::now() < deadline, "no failed-login event: {events}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert_eq!(failed["actor"], "agent@example.com");
        assert_eq!(app.call(&agent, "/api/audit/list", &[team.ws()]).await.status, StatusCode::FORBIDDEN);
    }

    async fn a_new_workspace_belongs_to_its_creator_whatever_the_client_says(app) {
        let ada = app.verified_user("ada@example.com", "mentor").await;
        let other = app.verified_user("other@example.com", "business").await;
        let created = app.call(&ada, "/api/team/create-workspace", &[("name", "Side project"), ("owner_id", &other.user_id)]).await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        assert_eq!(created.json()["role"], "owner");
        assert_eq!(app.viewer(&ada.cookie).await["workspaces"][0]["name"], "Side project");
        assert_eq!(app.viewer(&other.cookie).await["workspaces"].as_array().unwrap().len(), 1);
        let blank = app.call(&ada, "/api/team/create-workspace", &[("name", "   ")]).await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

backend_tests! {
    async fn a_suspended_owner_does_not_count_as_an_owner(app) {
        let team = Team::new(&app).await;
        let second = team.join(&app, "second@example.com", "owner").await;
        let suspended = app.call(&team.owner, "/api/team/suspend", &[team.ws(), ("user_id", &second.user_id), ("suspended", "true")]).await;
        assert_eq!(suspended.status, StatusCode::OK, "{}", suspended.body);
        let leave = app.call(&team.owner, "/api/team/leave", &[team.ws()]).await;
        assert_eq!(leave.status, StatusCode::CONFLICT, "{}", leave.body);
        let delete = app.call(&team.owner, "/api/accounts/delete", &[("password", PASSWORD), ("confirm", "owner@example.com")]).await;
        assert_eq!(delete.status, StatusCode::CONFLICT, "{}", delete.body);
        let owner_id = team.owner.user_id.clone();
        let demote = app.call(&team.owner, "/api/team/change-role", &[team.ws(), ("user_id", &owner_id), ("role", "admin")]).await;
        assert_eq!(demote.status, StatusCode::CONFLICT);
        assert!(team.roles(&app).await.contains(&("owner@example.com".into(), "owner".into(), false)));
    }

    async fn losing_a_role_or_membership_revokes_what_it_granted(app) {
        let team = Team::new(&app).await;
        let admin = team.join(&app, "admin@example.com", "admin").await;
        app.set_plan(&team.workspace, "pro").await;
        let key = app.call(&admin, "/api/keys/create", &[team.ws(), ("name", "Admin's key"), ("kind", "secret")]).await.json();
        let secret = key["secret"].as_str().unwrap().to_string();
        app.call(&admin, "/api/team/invite", &[team.ws(), ("email", "friend@example.com"), ("role", "admin")]).await;
        let friend_token = invitation_token(&app, "friend@example.com");

        let demoted = app.call(&team.owner, "/api/team/change-role", &[team.ws(), ("user_id", &admin.user_id), ("role", "agent")]).await;
        assert_eq!(demoted.status, StatusCode::OK, "{}", demoted.body);
        let use_key = axum::http::Request::get("/api/v1/workspace").header("authorization", format!("Bearer {secret}")).body(axum::body::Body::empty()).unwrap();
        assert_eq!(app.request(use_key).await.status, StatusCode::UNAUTHORIZED, "an agent holds no API keys");
        let friend = app.verified_user("friend@example.com", "mentor").await;
        let late = app.call(&friend, "/api/team/accept-invitation", &[("token", &friend_token)]).await;
        assert_eq!(late.status, StatusCode::CONFLICT, "invitations sent by a demoted admin die with the role");
    }
}
