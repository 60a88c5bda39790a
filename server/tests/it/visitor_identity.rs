//! Identified visitors: a site signs a token naming its signed-in user
//! with the workspace's identity secret; the widget's session carries it.
//! The team sees who the visitor is, the visitor is one visitor on every
//! device, and the plan named in the token raises their tickets' priority
//! as the workspace ranks plans. A token that does not check out leaves the
//! visitor anonymous and says why.

use axum::http::StatusCode;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};

use crate::backend_tests;
use crate::chat::{say, tenant, widget, Tenant, SHOP};
use crate::desk::{inbox_ids, latest_conversation};
use crate::support::{Session, TestApp};
use crate::tickets::{history, list};

fn sign(secret: &str, claims: &Value) -> String {
    encode(&Header::default(), claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn in_an_hour() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 + 3600
}

/// A widget session from the shop's page, with the site's identity token.
async fn session(app: &TestApp, shop: &Tenant, token: Option<&str>, identity: Option<&str>) -> Value {
    let path = format!("/api/widget/v1/{}/session", shop.key);
    let started = widget(app, "POST", &path, Some(SHOP), Some(json!({ "token": token, "identity": identity }))).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    started.json()
}

/// The visitor a widget token names (its claims are dot-separated).
fn visitor_of(session: &Value) -> String {
    session["token"].as_str().unwrap().split('.').nth(2).unwrap().to_owned()
}

async fn setup(
    app: &TestApp,
    member: &Session,
    shop: &Tenant,
    path: &str,
    more: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut fields = vec![("workspace_id", shop.workspace.as_str())];
    fields.extend_from_slice(more);
    let answered = app.call(member, path, &fields).await;
    let json = if answered.status == StatusCode::OK { answered.json() } else { Value::String(answered.body.clone()) };
    (answered.status, json)
}

backend_tests! {
    async fn a_visitor_the_site_identifies_is_known_to_the_team_and_their_plan_raises_their_tickets(app) {
        let shop = tenant(&app, "identity@example.com", &[]).await;
        let ws = shop.workspace.as_str();
        let agent = app.join_team(&shop.session, ws, "agent@example.com", "agent").await;

        // The owner reads the secret; an agent reads the plans but neither the secret nor any change.
        let (status, owner_view) = setup(&app, &shop.session, &shop, "/api/desk/identity", &[]).await;
        assert_eq!(status, StatusCode::OK, "{owner_view}");
        let secret = owner_view["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("lsid_") && secret.len() > 40, "{secret}");
        let (status, agent_view) = setup(&app, &agent, &shop, "/api/desk/identity", &[]).await;
        assert_eq!(status, StatusCode::OK, "{agent_view}");
        assert_eq!((agent_view["secret"].clone(), agent_view["can_rank"].clone()), (Value::Null, json!(false)));
        let (status, _) = setup(&app, &agent, &shop, "/api/desk/save-plan-priorities", &[("plans", "enterprise: urgent")]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = setup(&app, &agent, &shop, "/api/desk/rotate-identity-secret", &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // Plans are ranked from the typed form; a mistake is named and saves nothing.
        let (status, wrong) = setup(&app, &shop.session, &shop, "/api/desk/save-plan-priorities", &[("plans", "enterprise urgent")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.as_str().unwrap().contains("has no colon"), "{wrong}");
        let (status, ranked) = setup(&app, &shop.session, &shop, "/api/desk/save-plan-priorities", &[("plans", "Enterprise: urgent\npro: high")]).await;
        assert_eq!(status, StatusCode::OK, "{ranked}");
        assert_eq!(ranked["plans"], json!([{ "plan": "enterprise", "priority": "urgent" }, { "plan": "pro", "priority": "high" }]));
        let (_, read_again) = setup(&app, &agent, &shop, "/api/desk/identity", &[]).await;
        assert_eq!(read_again["plans"], ranked["plans"]);

        // Dana is signed in on the shop's site, on its Enterprise plan.
        let claims = json!({ "sub": "cust-42", "name": "Dana Reyes", "email": "Dana@Example.com", "plan": "Enterprise", "exp": in_an_hour() });
        let dana = session(&app, &shop, None, Some(&sign(&secret, &claims))).await;
        assert_eq!((dana.get("identity_error"), dana["email_known"].clone()), (None, json!(true)), "{dana}");
        let token = dana["token"].as_str().unwrap().to_owned();
        // On her phone, with no widget token yet, she is the same visitor.
        let phone = session(&app, &shop, None, Some(&sign(&secret, &claims))).await;
        assert_eq!(visitor_of(&phone), visitor_of(&dana));

        // She asks for a person: her ticket starts urgent, says why, and has her email.
        say(&app, &shop.key, &token, "My invoice for March is wrong").await.unwrap();
        let handoff = format!("/api/widget/v1/{}/handoff", shop.key);
        let asked = widget(&app, "POST", &handoff, Some(SHOP), Some(json!({ "token": token }))).await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        let conversation = latest_conversation(&app, ws).await;
        let listed = list(&app, &shop, "").await;
        let ticket = &listed["tickets"][0];
        assert_eq!((ticket["priority"].as_str(), ticket["requester_email"].as_str()), (Some("urgent"), Some("dana@example.com")), "{listed}");
        let ticket_id = ticket["id"].as_str().unwrap();
        let (_, detail) = setup(&app, &agent, &shop, "/api/tickets/open", &[("ticket_id", ticket_id)]).await;
        assert!(history(&detail).contains(&("plan_priority".into(), Some("enterprise".into()), Some("urgent".into()))), "{detail}");
        let dana_seen = json!({ "user_id": "cust-42", "name": "Dana Reyes", "email": "dana@example.com", "plan": "enterprise" });
        assert_eq!(detail["requester"], dana_seen);
        // The inbox shows who she is, and puts her first by the same priority.
        let (status, opened) = setup(&app, &agent, &shop, "/api/desk/open", &[("conversation_id", &conversation)]).await;
        assert_eq!(status, StatusCode::OK, "{opened}");
        assert_eq!((opened["visitor"].clone(), opened["transcript"]["conversation"]["priority"].clone()), (dana_seen, json!("urgent")));
        let (_, inbox) = inbox_ids(&app, &agent, ws, &[("view", "waiting")]).await;
        assert_eq!((inbox["items"][0]["id"].as_str(), inbox["items"][0]["visitor_name"].as_str()), (Some(conversation.as_str()), Some("Dana Reyes")), "{inbox}");

        // Signed out, the page gives no token: whoever uses the browser now is someone new, and sees nothing of hers.
        let signed_out = session(&app, &shop, Some(&token), None).await;
        assert_ne!(visitor_of(&signed_out), visitor_of(&dana));
        assert_eq!(signed_out["messages"], json!([]));

        // A plan nobody ranked changes nothing; an unidentified visitor's ticket keeps the conversation's priority.
        let free = json!({ "sub": "cust-7", "plan": "free", "exp": in_an_hour() });
        let sam = session(&app, &shop, None, Some(&sign(&secret, &free))).await;
        let sam_token = sam["token"].as_str().unwrap().to_owned();
        assert_eq!(sam["email_known"], false, "no email in the token");
        say(&app, &shop.key, &sam_token, "Where is my parcel?").await.unwrap();
        let asked = widget(&app, "POST", &handoff, Some(SHOP), Some(json!({ "token": sam_token }))).await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        let listed = list(&app, &shop, "").await;
        let sams = listed["tickets"].as_array().unwrap().iter().find(|t| t["subject"] == "Where is my parcel?").unwrap();
        let (_, sams_detail) = setup(&app, &agent, &shop, "/api/tickets/open", &[("ticket_id", sams["id"].as_str().unwrap())]).await;
        assert!(history(&sams_detail).iter().all(|(kind, _, _)| kind != "plan_priority"), "{sams_detail}");
        let conversation = sams["conversation_id"].as_str().unwrap();
        let (_, sams_chat) = setup(&app, &agent, &shop, "/api/desk/open", &[("conversation_id", conversation)]).await;
        assert_eq!(sams["priority"], sams_chat["transcript"]["conversation"]["priority"], "the conversation's own priority");
        assert_eq!(sams_detail["requester"]["plan"], "free");

        // Tokens that don't check out leave the visitor anonymous, and say why.
        let forged = session(&app, &shop, None, Some(&sign("lsid_guessed", &claims))).await;
        assert!(forged["identity_error"].as_str().unwrap().contains("not signed with this workspace's identity secret"), "{forged}");
        assert_ne!(visitor_of(&forged), visitor_of(&dana));
        let expired = json!({ "sub": "cust-42", "exp": in_an_hour() - 7200 });
        let late = session(&app, &shop, None, Some(&sign(&secret, &expired))).await;
        assert!(late["identity_error"].as_str().unwrap().contains("expired"), "{late}");
        let bad_email = json!({ "sub": "cust-42", "email": "not-an-address", "exp": in_an_hour() });
        let bad = session(&app, &shop, None, Some(&sign(&secret, &bad_email))).await;
        assert!(bad["identity_error"].as_str().unwrap().contains("\"email\""), "{bad}");
        // Another workspace's secret is not this one's.
        let other = tenant(&app, "other-identity@example.com", &[]).await;
        let (_, other_view) = setup(&app, &other.session, &other, "/api/desk/identity", &[]).await;
        let crossed = session(&app, &shop, None, Some(&sign(other_view["secret"].as_str().unwrap(), &claims))).await;
        assert!(crossed.get("identity_error").is_some(), "{crossed}");

        // Rotated, the old secret stops working at once and the new one works; the audit log says who.
        let (status, rotated) = setup(&app, &shop.session, &shop, "/api/desk/rotate-identity-secret", &[]).await;
        assert_eq!(status, StatusCode::OK, "{rotated}");
        let new_secret = rotated["secret"].as_str().unwrap();
        assert_ne!(new_secret, secret);
        let stale = session(&app, &shop, None, Some(&sign(&secret, &claims))).await;
        assert!(stale.get("identity_error").is_some(), "{stale}");
        let fresh = session(&app, &shop, None, Some(&sign(new_secret, &claims))).await;
        assert_eq!((fresh.get("identity_error"), visitor_of(&fresh)), (None, visitor_of(&dana)));
        let log = app.call(&shop.session, "/api/audit/list", &[("workspace_id", ws)]).await.json();
        assert!(log.as_array().unwrap().iter().any(|e| e["action"] == "identity_secret.rotated"), "{log}");
    }
}
