//! Two limits a plan sets besides its quotas: seats (team members with the
//! open invitations that would become members) and the widget's "Powered
//! by Lodestar" link, which a paid plan may leave out. Both follow the plan
//! in force, and a plan that lapses deletes nothing.

use app::plans::Tier;
use axum::http::StatusCode;
use lodestar_server::billing::accounts::PayerKey;
use lodestar_server::billing::set_plan_by_command;
use serde_json::Value;

use crate::backend_tests;
use crate::chat::{tenant, widget, SHOP};
use crate::support::{Session, TestApp, TestResponse};

async fn set_plan(app: &TestApp, workspace: &str, tier: Tier) {
    set_plan_by_command(&app.state.sql, &PayerKey::workspace(workspace), tier).await.unwrap();
}

async fn invite(app: &TestApp, owner: &Session, workspace: &str, email: &str) -> TestResponse {
    app.call(owner, "/api/team/invite", &[("workspace_id", workspace), ("email", email), ("role", "agent")]).await
}

/// The invited person signs up and accepts.
async fn accept(app: &TestApp, email: &str) -> TestResponse {
    let token = app.mail_link(email, "/invite/").rsplit('/').next().unwrap().to_owned();
    let person = app.verified_user(email, "mentor").await;
    app.call(&person, "/api/team/accept-invitation", &[("token", &token)]).await
}

async fn member_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(app.state.sql.pool())
        .await
        .unwrap()
}

async fn config(app: &TestApp, key: &str) -> Value {
    let response = widget(app, "GET", &format!("/api/widget/v1/{key}/config"), Some(SHOP), None).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()
}

async fn hide_branding(app: &TestApp, owner: &Session, workspace: &str) -> TestResponse {
    let form = [
        ("workspace_id", workspace),
        ("form[title]", "Help"),
        ("form[colour]", "#0a7c66"),
        ("form[hide_branding]", "true"),
    ];
    app.call(owner, "/api/chat/save_widget", &form).await
}

backend_tests! {
    async fn seats_count_members_and_open_invitations_and_follow_the_plan(app) {
        let owner = app.verified_user("owner@shop.example", "business").await;
        let workspace = app.workspace_of(&owner).await;
        let ws = workspace.as_str();
        // Free has five seats: the owner and four invitations fill them.
        for name in ["ana", "ben", "cy", "dee"] {
            let sent = invite(&app, &owner, ws, &format!("{name}@shop.example")).await;
            assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
        }
        let full = invite(&app, &owner, ws, "eve@shop.example").await;
        assert_eq!(full.status, StatusCode::CONFLICT, "{}", full.body);
        assert!(full.body.contains("All 5 seats of the Free plan"), "{}", full.body);
        // Inviting the same person again replaces their invitation: no seat more.
        assert_eq!(invite(&app, &owner, ws, "dee@shop.example").await.status, StatusCode::OK);
        let team = app.call(&owner, "/api/team/view", &[("workspace_id", ws)]).await.json();
        assert_eq!(team["invitations"].as_array().unwrap().len(), 4, "{team}");

        // Pro has more: Eve is invited. Back on Free, nobody is removed, but the fifth to join fills it.
        set_plan(&app, ws, Tier::Pro).await;
        assert_eq!(invite(&app, &owner, ws, "eve@shop.example").await.status, StatusCode::OK);
        set_plan(&app, ws, Tier::Free).await;
        for name in ["ana", "ben", "cy", "dee"] {
            let joined = accept(&app, &format!("{name}@shop.example")).await;
            assert!(joined.status.is_success(), "{name}: {}", joined.body);
        }
        let refused = accept(&app, "eve@shop.example").await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert!(refused.body.contains("has no free seat"), "{}", refused.body);
        assert_eq!(app.count("memberships").await, 5);

        // A suspended member frees a seat, which Eve's invitation (still good) then takes;
        // reinstating would make six, so it waits for room.
        let ana = member_id(&app, "ana@shop.example").await;
        let suspend = [("workspace_id", ws), ("user_id", ana.as_str()), ("suspended", "true")];
        assert_eq!(app.call(&owner, "/api/team/suspend", &suspend).await.status, StatusCode::OK);
        let eve = app.session("eve@shop.example", crate::support::PASSWORD).await;
        let token = app.mail_link("eve@shop.example", "/invite/").rsplit('/').next().unwrap().to_owned();
        let joined = app.call(&eve, "/api/team/accept-invitation", &[("token", &token)]).await;
        assert!(joined.status.is_success(), "{}", joined.body);
        let reinstate = [("workspace_id", ws), ("user_id", ana.as_str()), ("suspended", "false")];
        let waiting = app.call(&owner, "/api/team/suspend", &reinstate).await;
        assert_eq!(waiting.status, StatusCode::CONFLICT, "{}", waiting.body);
        assert!(waiting.body.contains("before reinstating ana@shop.example"), "{}", waiting.body);
        set_plan(&app, ws, Tier::Enterprise).await;
        assert_eq!(app.call(&owner, "/api/team/suspend", &reinstate).await.status, StatusCode::OK, "Enterprise has no seat limit");
    }

    async fn only_a_paid_plan_leaves_out_powered_by_lodestar(app) {
        let shop = tenant(&app, "owner@shop.example", &[]).await;
        let (owner, ws) = (&shop.session, shop.workspace.as_str());
        let link = config(&app, &shop.key).await["branding"].clone();
        assert_eq!(link, format!("{}/?ref=widget", app.state.config.public_url), "Free shows the link");
        let refused = hide_branding(&app, owner, ws).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        assert!(refused.body.contains("needs the Pro or Enterprise plan"), "{}", refused.body);
        assert_eq!(app.call(owner, "/api/chat/widget", &[("workspace_id", ws)]).await.json()["can_remove_branding"], false);

        set_plan(&app, ws, Tier::Pro).await;
        assert_eq!(app.call(owner, "/api/chat/widget", &[("workspace_id", ws)]).await.json()["can_remove_branding"], true);
        let saved = hide_branding(&app, owner, ws).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        assert_eq!(config(&app, &shop.key).await["branding"], Value::Null, "left out on Pro");

        // Back on Free the link returns; the choice is kept for when the plan does.
        set_plan(&app, ws, Tier::Free).await;
        assert_eq!(config(&app, &shop.key).await["branding"], link);
        let setup = app.call(owner, "/api/chat/widget", &[("workspace_id", ws)]).await.json();
        assert_eq!(setup["settings"]["hide_branding"], true);
    }
}
