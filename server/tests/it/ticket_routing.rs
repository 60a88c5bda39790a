//! Ticket routing: tickets nobody holds go to members at the desk (their
//! inbox open) who are under their limit and take the ticket's category,
//! balanced or round robin; what nobody can take waits and goes, oldest
//! first, to the first agent who frees up. Each hand-out is in the
//! ticket's history under Lodestar, and the tickets pages hear of it.

use axum::http::StatusCode;
use serde_json::Value;

use crate::backend_tests;
use crate::chat::{tenant, Tenant};
use crate::desk::{board_channel, inbox_channel};
use crate::support::{Session, TestApp};
use crate::tickets::{history, update};

/// Opens a ticket by hand as the owner; answers its id.
async fn create(app: &TestApp, shop: &Tenant, subject: &str) -> String {
    let fields = [("workspace_id", shop.workspace.as_str()), ("subject", subject), ("priority", "normal")];
    let made = app.call(&shop.session, "/api/tickets/create", &fields).await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    made.json()["ticket"]["id"].as_str().unwrap().to_owned()
}

async fn detail(app: &TestApp, shop: &Tenant, ticket: &str) -> Value {
    let fields = [("workspace_id", shop.workspace.as_str()), ("ticket_id", ticket)];
    let opened = app.call(&shop.session, "/api/tickets/open", &fields).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    opened.json()
}

/// Who holds the ticket (a member id), if anyone.
async fn holder(app: &TestApp, shop: &Tenant, ticket: &str) -> Option<String> {
    detail(app, shop, ticket).await["ticket"]["assignee"]["id"].as_str().map(str::to_owned)
}

async fn save(app: &TestApp, shop: &Tenant, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut all = vec![("workspace_id", shop.workspace.as_str())];
    all.extend_from_slice(fields);
    let saved = app.call(&shop.session, "/api/tickets/save-routing", &all).await;
    let json = if saved.status == StatusCode::OK { saved.json() } else { Value::String(saved.body.clone()) };
    (saved.status, json)
}

/// The member as another door onto the same workspace.
fn as_member(shop: &Tenant, member: &Session) -> Tenant {
    Tenant { session: member.clone(), workspace: shop.workspace.clone(), key: shop.key.clone() }
}

backend_tests! {
    async fn tickets_go_to_agents_at_the_desk_under_their_limits_and_the_queue_to_the_first_who_frees_up(app) {
        let shop = tenant(&app, "routing@example.com", &[]).await;
        let ws = shop.workspace.as_str();
        let ana = app.join_team(&shop.session, ws, "ana@example.com", "agent").await;
        let ben = app.join_team(&shop.session, ws, "ben@example.com", "agent").await;
        let owner = shop.session.user_id.clone();

        // By hand until an admin chooses: nobody is handed anything.
        let setup = app.call(&shop.session, "/api/tickets/routing", &[("workspace_id", ws)]).await.json();
        assert_eq!((setup["policy"]["mode"].as_str(), setup["policy"]["capacity"].as_i64()), (Some("manual"), Some(10)), "{setup}");
        assert_eq!(setup["agents"].as_array().unwrap().len(), 3);
        assert!(setup["agents"].as_array().unwrap().iter().all(|a| a["online"] == false), "nobody has the desk open: {setup}");
        let crash = create(&app, &shop, "The app crashes when I open it").await;

        // Agents read the policy but do not set it; a mistake is named and saves nothing.
        let agent_save = app.call(&ana, "/api/tickets/save-routing", &[("workspace_id", ws), ("routing[mode]", "balanced"), ("routing[capacity]", "2")]).await;
        assert_eq!(agent_save.status, StatusCode::FORBIDDEN, "{}", agent_save.body);
        let (status, body) = save(&app, &shop, &[("routing[mode]", "balanced"), ("routing[capacity]", "lots")]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.as_str().unwrap().contains("capacity"), "{body}");
        assert_eq!(holder(&app, &shop, &crash).await, None);

        // Balanced, two open tickets each; Ben takes billing only. Ana and Ben have the desk open; the owner does not.
        let ana_desk = inbox_channel(&app, &ana.cookie, ws).await.unwrap();
        // Ben has the tickets open, which counts as at the desk too, and follows them live.
        let mut ben_tickets = board_channel(&app, &ben.cookie, ws, "tickets").await.unwrap();
        let (status, saved) = save(&app, &shop, &[
            ("routing[mode]", "balanced"), ("routing[capacity]", "2"),
            ("routing[members][0][member_id]", &ben.user_id), ("routing[members][0][categories][3]", "billing"),
        ]).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["policy"]["members"][&ben.user_id]["categories"], serde_json::json!(["billing"]));
        // What waited from before goes out at once, sorted first: technical, so to Ana.
        assert_eq!(saved["queued"], 0, "{saved}");
        assert_eq!(holder(&app, &shop, &crash).await.as_deref(), Some(ana.user_id.as_str()));
        let (_, kind, data) = ben_tickets.event().await;
        assert_eq!((kind.as_str(), data.as_str()), ("changed", crash.as_str()), "Ben's tickets page hears of the hand-out");
        let routed = detail(&app, &shop, &crash).await;
        let line = history(&routed).pop().unwrap();
        assert_eq!((line.0.as_str(), line.1.as_deref()), ("routed", Some("balanced")));
        assert!(routed["history"].as_array().unwrap().last().unwrap()["actor"].is_null(), "Lodestar handed it out");

        // The fewest open first, then the one routed to longest ago; full or not taking it, passed by.
        let mut made = Vec::new();
        for subject in [
            "I was charged twice this month",   // billing: Ben has none
            "Can I get a refund for my order?", // billing: one each, Ana routed to longer ago
            "The page won't load",              // technical: Ana is full, waits
            "Where can I download my invoice?", // billing: Ben
            "The integration stopped syncing",  // technical: waits
            "My payment was declined",          // billing: both full, waits
        ] {
            let id = create(&app, &shop, subject).await;
            made.push((holder(&app, &shop, &id).await, id));
        }
        let holders: Vec<Option<&str>> = made.iter().map(|(h, _)| h.as_deref()).collect();
        let (a, b) = (Some(ana.user_id.as_str()), Some(ben.user_id.as_str()));
        assert_eq!(holders, [b, a, None, b, None, None]);
        let open_of = |setup: &Value, member: &str| {
            setup["agents"].as_array().unwrap().iter().find(|a| a["id"] == member).unwrap()["open"].as_i64().unwrap()
        };
        let setup = app.call(&shop.session, "/api/tickets/routing", &[("workspace_id", ws)]).await.json();
        assert_eq!((open_of(&setup, &ana.user_id), open_of(&setup, &ben.user_id), open_of(&setup, &owner)), (2, 2, 0), "{setup}");
        assert_eq!(setup["queued"], 3);
        let online: Vec<bool> = setup["agents"].as_array().unwrap().iter().map(|a| a["online"].as_bool().unwrap()).collect();
        assert_eq!(online.iter().filter(|on| **on).count(), 2);

        // Ana solves one: the oldest waiting ticket she takes is hers at once, the others wait.
        let (status, _) = update(&app, &as_member(&shop, &ana), &crash, &[("status", "solved")]).await;
        assert_eq!(status, StatusCode::OK);
        let (page, syncing, declined) = (&made[2].1, &made[4].1, &made[5].1);
        assert_eq!(holder(&app, &shop, page).await.as_deref(), a);
        assert_eq!((holder(&app, &shop, syncing).await, holder(&app, &shop, declined).await), (None, None));

        // Pending waits on the requester and does not count: Ben frees a place by setting one pending.
        let (status, _) = update(&app, &as_member(&shop, &ben), &made[0].1, &[("status", "pending")]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(holder(&app, &shop, declined).await.as_deref(), b, "the technical one stays for Ana");
        assert_eq!(holder(&app, &shop, syncing).await, None);

        // Round robin: the one handed a ticket longest ago; someone away is passed by.
        let (status, saved) = save(&app, &shop, &[("routing[mode]", "round_robin"), ("routing[capacity]", "50")]).await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        // Room for everyone now, and Ben takes every category: the one waiting goes to Ana, routed to longer ago.
        assert_eq!(saved["queued"], 0, "{saved}");
        assert_eq!(holder(&app, &shop, syncing).await.as_deref(), a);
        let mut turns = Vec::new();
        for n in 0..4 {
            turns.push(holder(&app, &shop, &create(&app, &shop, &format!("Question number {n}")).await).await);
        }
        let turns: Vec<Option<&str>> = turns.iter().map(Option::as_deref).collect();
        assert_eq!(turns, [b, a, b, a], "in turn; the owner is not at the desk");
        // Ana closes the inbox and is no longer seen (the row ages as it would in 40 s).
        drop(ana_desk);
        sqlx::query("UPDATE desk_presence SET seen_at = 0 WHERE user_id = $1")
            .bind(&ana.user_id)
            .execute(app.state.sql.pool())
            .await
            .unwrap();
        for n in 4..6 {
            let to = holder(&app, &shop, &create(&app, &shop, &format!("Question number {n}")).await).await;
            assert_eq!(to.as_deref(), Some(ben.user_id.as_str()), "Ana is away");
        }
        // The owner arrives at the desk: next in turn, never routed before.
        let _owner_desk = inbox_channel(&app, &shop.session.cookie, ws).await.unwrap();
        let to = holder(&app, &shop, &create(&app, &shop, "Question number 6").await).await;
        assert_eq!(to.as_deref(), Some(owner.as_str()));

        // A limit of 0 takes a member out of routing; by hand again, nothing is handed out.
        let (status, _) = save(&app, &shop, &[("routing[mode]", "round_robin"), ("routing[capacity]", "50"), ("routing[members][0][member_id]", &owner), ("routing[members][0][capacity]", "0")]).await;
        assert_eq!(status, StatusCode::OK);
        for n in 7..9 {
            let to = holder(&app, &shop, &create(&app, &shop, &format!("Question number {n}")).await).await;
            assert_eq!(to.as_deref(), Some(ben.user_id.as_str()), "the owner takes none, Ana is away");
        }
        let (status, _) = save(&app, &shop, &[("routing[mode]", "manual"), ("routing[capacity]", "50")]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(holder(&app, &shop, &create(&app, &shop, "Left alone").await).await, None);
    }
}

async fn set_away(app: &TestApp, who: &Session, ws: &str, away: &str) -> Value {
    let set = app.call(who, "/api/desk/set-away", &[("workspace_id", ws), ("away", away)]).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    set.json()
}

backend_tests! {
    async fn a_member_set_away_is_handed_nothing_with_the_desk_open_and_takes_the_queue_on_return(app) {
        let shop = tenant(&app, "away@example.com", &[]).await;
        let ws = shop.workspace.as_str();
        let owner = shop.session.user_id.clone();
        let (status, _) = save(&app, &shop, &[("routing[mode]", "balanced"), ("routing[capacity]", "5")]).await;
        assert_eq!(status, StatusCode::OK);
        let _desk = inbox_channel(&app, &shop.session.cookie, ws).await.unwrap();

        // Away with the inbox open: nothing is handed to them, and the panel says why.
        assert_eq!(set_away(&app, &shop.session, ws, "away").await, true);
        let inbox = app.call(&shop.session, "/api/desk/inbox", &[("workspace_id", ws)]).await.json();
        assert_eq!(inbox["away"], true);
        let waiting = create(&app, &shop, "Where is my parcel?").await;
        assert_eq!(holder(&app, &shop, &waiting).await, None);
        let setup = app.call(&shop.session, "/api/tickets/routing", &[("workspace_id", ws)]).await.json();
        let me = setup["agents"].as_array().unwrap().iter().find(|a| a["id"] == owner.as_str()).unwrap().clone();
        assert_eq!((me["online"].as_bool(), me["away"].as_bool(), setup["queued"].as_i64()), (Some(false), Some(true), Some(1)));

        // Back: the waiting ticket is theirs at once, and new ones follow.
        assert_eq!(set_away(&app, &shop.session, ws, "available").await, false);
        assert_eq!(holder(&app, &shop, &waiting).await.as_deref(), Some(owner.as_str()));
        let next = create(&app, &shop, "Can I change my address?").await;
        assert_eq!(holder(&app, &shop, &next).await.as_deref(), Some(owner.as_str()));
        let inbox = app.call(&shop.session, "/api/desk/inbox", &[("workspace_id", ws)]).await.json();
        assert_eq!(inbox["away"], false);
    }
}
