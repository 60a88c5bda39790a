//! Tickets: an escalated conversation becomes one by itself (once), a member
//! opens one by hand, and works it (status, priority, category, assignee),
//! each change in its history under their name; resolving the conversation
//! solves it and the visitor's next message opens it again. Service level
//! targets: deadlines counted in business hours, paused while pending, and
//! each miss recorded when its clock stops.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::chat::{say, start, tenant, widget, Tenant, REFUNDS, SHOP};
use crate::desk::latest_conversation;
use crate::support::TestApp;

pub(crate) async fn list(app: &TestApp, shop: &Tenant, view: &str) -> Value {
    let listed = app
        .call(&shop.session, "/api/tickets/list", &[("workspace_id", shop.workspace.as_str()), ("view", view)])
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    listed.json()
}

pub(crate) async fn update(app: &TestApp, shop: &Tenant, ticket: &str, fields: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut all = vec![("workspace_id", shop.workspace.as_str()), ("ticket_id", ticket)];
    all.extend_from_slice(fields);
    let updated = app.call(&shop.session, "/api/tickets/update", &all).await;
    let json = if updated.status == StatusCode::OK { updated.json() } else { Value::String(updated.body.clone()) };
    (updated.status, json)
}

async fn tag(app: &TestApp, shop: &Tenant, ticket: &str, tags: &str) -> (StatusCode, Value) {
    let fields = [("workspace_id", shop.workspace.as_str()), ("ticket_id", ticket), ("tags", tags)];
    let tagged = app.call(&shop.session, "/api/tickets/tag", &fields).await;
    let json = if tagged.status == StatusCode::OK { tagged.json() } else { Value::String(tagged.body.clone()) };
    (tagged.status, json)
}

pub(crate) fn history(detail: &Value) -> Vec<(String, Option<String>, Option<String>)> {
    detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["from"].as_str().map(str::to_owned),
                e["to"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

pub(crate) async fn open(app: &TestApp, shop: &Tenant, ticket: &str) -> Value {
    let opened = app
        .call(&shop.session, "/api/tickets/open", &[("workspace_id", shop.workspace.as_str()), ("ticket_id", ticket)])
        .await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    opened.json()["ticket"].clone()
}

/// The running targets' kinds, and the one of `kind`.
fn timers(ticket: &Value) -> Vec<String> {
    ticket["sla"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap().to_owned()).collect()
}

fn timer<'a>(ticket: &'a Value, kind: &str) -> &'a Value {
    ticket["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}: {ticket}"))
}

async fn backdate(app: &TestApp, ticket: &str, column: &str, ms: i64) {
    let sql = format!("UPDATE tickets SET {column} = {column} - $1 WHERE id = $2");
    sqlx::query(&sql).bind(ms).bind(ticket).execute(app.state.sql.pool()).await.unwrap();
}

fn subjects(listed: &Value) -> Vec<String> {
    listed["tickets"].as_array().unwrap().iter().map(|t| t["subject"].as_str().unwrap().to_owned()).collect()
}

backend_tests! {
    async fn a_ticket_is_renamed_and_tagged_and_the_list_shows_one_tag_at_a_time(app) {
        let shop = tenant(&app, "tags@example.com", &[]).await;
        let ws = shop.workspace.as_str();
        let mut ids = Vec::new();
        for subject in ["Refund for order 7", "Invoice address wrong"] {
            let made = app.call(&shop.session, "/api/tickets/create", &[("workspace_id", ws), ("subject", subject)]).await;
            assert_eq!(made.status, StatusCode::OK, "{}", made.body);
            ids.push(made.json()["ticket"]["id"].as_str().unwrap().to_owned());
        }
        let (first, second) = (&ids[0], &ids[1]);

        // Renamed and tagged: one clean line, plain lowercase tags each once, both in the history.
        let (status, detail) = update(&app, &shop, first, &[("subject", "  Refund for order 7,\n charged twice ")]).await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        let (status, detail) = tag(&app, &shop, first, "#VIP, refund  vip").await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        assert_eq!(detail["ticket"]["subject"], "Refund for order 7, charged twice");
        assert_eq!(detail["ticket"]["tags"], json!(["vip", "refund"]));
        let lines = history(&detail);
        assert_eq!(lines[lines.len() - 2..], [
            ("subject".into(), Some("Refund for order 7".into()), Some("Refund for order 7, charged twice".into())),
            ("tags".into(), Some(String::new()), Some("vip, refund".into())),
        ]);
        assert_eq!(tag(&app, &shop, second, "vip").await.0, StatusCode::OK);

        // The list shows one tag's tickets; "vip" is not "vip-gold"; what cannot be a tag filters nothing.
        let tagged = |tag: &'static str| {
            let (app, session) = (&app, &shop.session);
            async move {
                let listed = app.call(session, "/api/tickets/list", &[("workspace_id", ws), ("tag", tag)]).await;
                assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
                subjects(&listed.json())
            }
        };
        assert_eq!(tagged("vip").await.len(), 2);
        assert_eq!(tagged("refund").await, ["Refund for order 7, charged twice"]);
        assert!(tagged("vi").await.is_empty() && tagged("vip-gold").await.is_empty() && tagged("%").await.len() == 2);

        // Mistakes are named and change nothing; an empty list removes every tag.
        for (status, body) in [update(&app, &shop, first, &[("subject", " \n ")]).await, tag(&app, &shop, first, "vip!").await] {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
            let body = body.as_str().unwrap();
            assert!(body.contains("subject") || body.contains("is not one"), "{body}");
        }
        let many: Vec<String> = (0..11).map(|n| format!("t{n}")).collect();
        assert_eq!(tag(&app, &shop, first, &many.join(",")).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        // A status change leaves the tags alone.
        let (_, detail) = update(&app, &shop, first, &[("status", "pending")]).await;
        assert_eq!(detail["ticket"]["tags"], json!(["vip", "refund"]));
        let (_, detail) = tag(&app, &shop, first, "").await;
        assert_eq!(detail["ticket"]["tags"], json!([]));
        assert_eq!(history(&detail).last().unwrap(), &("tags".into(), Some("vip, refund".into()), Some(String::new())));
        assert_eq!(tagged("refund").await.len(), 0);
    }

    async fn an_escalated_conversation_becomes_one_ticket_worked_with_its_history_and_reopened_by_a_reply(app) {
        let shop = tenant(&app, "tickets@example.com", &[("Refunds", REFUNDS)]).await;
        let ws = shop.workspace.as_str();
        assert_eq!(list(&app, &shop, "").await["tickets"], json!([]));

        // The visitor asks for a person: a ticket opens by itself, once.
        let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        say(&app, &shop.key, &token, "My refund for order 1042 never arrived").await.unwrap();
        let handoff = format!("/api/widget/v1/{}/handoff", shop.key);
        for _ in 0..2 {
            let asked = widget(&app, "POST", &handoff, Some(SHOP), Some(json!({ "token": token }))).await;
            assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        }
        let conversation = latest_conversation(&app, ws).await;
        let listed = list(&app, &shop, "").await;
        let tickets = listed["tickets"].as_array().unwrap();
        assert_eq!(tickets.len(), 1, "{listed}");
        let ticket = &tickets[0];
        assert_eq!((ticket["number"].as_i64(), ticket["status"].as_str(), ticket["priority"].as_str()), (Some(1), Some("open"), Some("normal")));
        assert_eq!(ticket["subject"], "My refund for order 1042 never arrived");
        assert_eq!(ticket["source"], json!({ "escalation": "asked_for_human" }));
        assert_eq!(ticket["conversation_id"], conversation.as_str());
        assert_eq!(listed["counts"], json!([1, 0, 1, 0, 0]), "open and pending, mine, unassigned, solved, closed");
        let id = ticket["id"].as_str().unwrap().to_string();

        // Worked: each change goes into the history under the member's name; what is already so is no change.
        let me = listed["me"]["id"].as_str().unwrap().to_string();
        let name = listed["me"]["name"].as_str().unwrap().to_string();
        let (status, detail) = update(&app, &shop, &id, &[("status", "pending"), ("priority", "high"), ("category", "billing"), ("assignee", &me)]).await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        // Lodestar sorted it already (a refund is Billing): choosing Billing again is no change.
        assert_eq!(history(&detail), [
            ("opened".into(), None, None),
            ("category".into(), Some("Other".into()), Some("Billing".into())),
            ("status".into(), Some("open".into()), Some("pending".into())),
            ("priority".into(), Some("normal".into()), Some("high".into())),
            ("assignee".into(), None, Some(name.clone())),
        ]);
        assert!(detail["history"][0]["actor"].is_null() && detail["history"][1]["actor"].is_null(), "Lodestar opened and sorted it");
        assert_eq!(detail["history"][2]["actor"], name.as_str());
        let (_, again) = update(&app, &shop, &id, &[("status", "pending")]).await;
        assert_eq!(history(&again).len(), 5);
        assert_eq!(list(&app, &shop, "mine").await["counts"], json!([1, 1, 0, 0, 0]));

        // Mistakes are named, and change nothing.
        for (field, value) in [("status", "later"), ("priority", "asap"), ("category", "gossip"), ("assignee", "someone-else")] {
            let (status, body) = update(&app, &shop, &id, &[(field, value)]).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
            assert!(body.as_str().unwrap().contains(field), "{body}");
        }

        // Resolving the conversation solves the ticket; the visitor's next message opens it again.
        let fields = [("workspace_id", ws), ("conversation_id", conversation.as_str())];
        assert_eq!(app.call(&shop.session, "/api/desk/resolve", &fields).await.status, StatusCode::OK);
        assert_eq!(list(&app, &shop, "solved").await["tickets"][0]["id"], id.as_str());
        say(&app, &shop.key, &token, "Still nothing on my card").await.unwrap();
        let opened = app.call(&shop.session, "/api/tickets/open", &[("workspace_id", ws), ("ticket_id", &id)]).await.json();
        assert_eq!(opened["ticket"]["status"], "open");
        let kinds: Vec<String> = history(&opened).into_iter().map(|(kind, _, _)| kind).collect();
        assert_eq!(kinds[5..], ["status".to_owned(), "reopened".to_owned()]);
        assert_eq!(list(&app, &shop, "").await["tickets"].as_array().unwrap().len(), 1, "the same ticket, not a second");

        // By hand: urgent comes first; one ticket per conversation at a time.
        let create = |subject: &'static str, priority: &'static str, conversation: &str| {
            let fields = [("workspace_id", ws.to_owned()), ("subject", subject.to_owned()), ("priority", priority.to_owned()), ("conversation_id", conversation.to_owned())];
            let (app, session) = (&app, &shop.session);
            async move {
                let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.call(session, "/api/tickets/create", &fields).await
            }
        };
        let made = create("  Call back about\nthe invoice ", "urgent", "").await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.body);
        assert_eq!((made.json()["ticket"]["number"].as_i64(), made.json()["ticket"]["source"].as_str()), (Some(2), Some("agent")));
        assert_eq!(made.json()["history"][0]["actor"], name.as_str());
        assert_eq!(subjects(&list(&app, &shop, "").await), ["Call back about the invoice", "My refund for order 1042 never arrived"]);
        assert_eq!(create("Duplicate", "normal", &conversation).await.status, StatusCode::CONFLICT);
        // Solved, another may be opened for the conversation; the first may then not come back to life beside it.
        assert_eq!(update(&app, &shop, &id, &[("status", "solved")]).await.0, StatusCode::OK);
        let second = create("Follow-up on the refund", "normal", &conversation).await;
        assert_eq!(second.status, StatusCode::OK, "{}", second.body);
        let (status, body) = update(&app, &shop, &id, &[("status", "open")]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        let second_id = second.json()["ticket"]["id"].as_str().unwrap().to_string();
        assert_eq!(update(&app, &shop, &second_id, &[("status", "closed")]).await.0, StatusCode::OK);
        assert_eq!(create(" ", "normal", "").await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(create("Elsewhere", "normal", "no-such-conversation").await.status, StatusCode::NOT_FOUND);
        assert_eq!(list(&app, &shop, "unassigned").await["tickets"].as_array().unwrap().len(), 1);

        // A visitor who asks for a person before writing: the ticket takes their first words when they come.
        let quiet = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        let asked = widget(&app, "POST", &handoff, Some(SHOP), Some(json!({ "token": quiet }))).await;
        assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
        assert!(subjects(&list(&app, &shop, "").await).contains(&"Asked for a person".to_owned()));
        say(&app, &shop.key, &quiet, "Where is my parcel?").await.unwrap();
        say(&app, &shop.key, &quiet, "Hello?").await.unwrap();
        let now = subjects(&list(&app, &shop, "").await);
        assert!(now.contains(&"Where is my parcel?".to_owned()) && !now.contains(&"Asked for a person".to_owned()), "{now:?}");
    }

    async fn a_ticket_meets_or_misses_its_targets_counted_in_business_hours(app) {
        const HOUR: i64 = 3_600_000;
        let shop = tenant(&app, "targets@example.com", &[("Refunds", REFUNDS)]).await;
        let ws = shop.workspace.as_str();
        let save = |fields: Vec<(&'static str, &'static str)>| {
            let (app, session) = (&app, &shop.session);
            async move {
                let mut all = vec![("workspace_id", ws)];
                all.extend(fields);
                app.call(session, "/api/tickets/save-targets", &all).await
            }
        };
        let setup = app.call(&shop.session, "/api/tickets/targets", &[("workspace_id", ws)]).await.json();
        assert_eq!((setup["policy"]["targets"][3]["first_reply"].as_i64(), setup["can_edit"].as_bool()), (Some(30), Some(true)), "the defaults: {setup}");
        assert_eq!(setup["in_business_hours"], false);
        // A mistake names its cell and saves nothing.
        let refused = save(vec![("form[normal_first_reply]", "soon")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        assert!(refused.body.contains("normal_first_reply") && refused.body.contains("30m, 4h"), "{}", refused.body);
        // Normal tickets: a first reply within 1 h, the next within 2 h, solved within 8 h; nothing else.
        let saved = save(vec![("form[normal_first_reply]", "1h"), ("form[normal_next_reply]", "2 hours"), ("form[normal_resolution]", "8h")]).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        assert!(saved.json()["policy"]["targets"][3]["first_reply"].is_null());

        // An escalation's ticket: its first reply and its resolution are due.
        let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        say(&app, &shop.key, &token, "My refund for order 1042 never arrived").await.unwrap();
        let handoff = format!("/api/widget/v1/{}/handoff", shop.key);
        assert_eq!(widget(&app, "POST", &handoff, Some(SHOP), Some(json!({ "token": token }))).await.status, StatusCode::OK);
        let listed = list(&app, &shop, "").await;
        let id = listed["tickets"][0]["id"].as_str().unwrap().to_string();
        let ticket = &listed["tickets"][0];
        let created = ticket["created_at"].as_i64().unwrap();
        assert_eq!(timers(ticket), ["first_reply", "resolution"]);
        let first = timer(ticket, "first_reply");
        assert_eq!((first["due_at"].as_i64(), first["near_at"].as_i64()), (Some(created + HOUR), Some(created + HOUR * 8 / 10)));
        assert_eq!(timer(ticket, "resolution")["due_at"].as_i64(), Some(created + 8 * HOUR));

        // Counted in business hours: with the day it opened a holiday, its clock starts at the next midnight.
        let holiday = format!("{} Test day", app::dates::day_of(created));
        let days: Vec<String> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().map(|d| format!("form[{d}]")).collect();
        let mut hours = vec![("workspace_id", ws), ("form[enabled]", "true"), ("form[time_zone]", "UTC"), ("form[holidays]", holiday.as_str())];
        hours.extend(days.iter().map(|day| (day.as_str(), "0:00-24:00")));
        assert_eq!(app.call(&shop.session, "/api/desk/save-hours", &hours).await.status, StatusCode::OK);
        let midnight = (created / (24 * HOUR) + 1) * 24 * HOUR;
        assert_eq!(timer(&open(&app, &shop, &id).await, "first_reply")["due_at"].as_i64(), Some(midnight + HOUR));
        assert_eq!(app.call(&shop.session, "/api/desk/save-hours", &[("workspace_id", ws), ("form[time_zone]", "UTC")]).await.status, StatusCode::OK);

        // A first reply three hours after the opening misses its target by two, in the history.
        backdate(&app, &id, "created_at", 3 * HOUR).await;
        let conversation = ticket["conversation_id"].as_str().unwrap().to_string();
        let reply = [("workspace_id", ws), ("conversation_id", conversation.as_str()), ("text", "Looking into it now.")];
        assert_eq!(app.call(&shop.session, "/api/desk/reply", &reply).await.status, StatusCode::OK);
        let detail = app.call(&shop.session, "/api/tickets/open", &[("workspace_id", ws), ("ticket_id", &id)]).await.json();
        assert_eq!((detail["ticket"]["sla_missed"].as_i64(), timers(&detail["ticket"])), (Some(1), vec!["resolution".to_owned()]));
        let (kind, by, what) = history(&detail).pop().unwrap();
        let by: i64 = by.unwrap().parse().unwrap();
        assert_eq!((kind.as_str(), what.as_deref()), ("sla", Some("first_reply")));
        assert!((2 * HOUR..2 * HOUR + 60_000).contains(&by), "missed by {by} ms");

        // The visitor writes again: the next reply is due within 2 h, and a prompt one meets it.
        say(&app, &shop.key, &token, "Any news?").await.unwrap();
        let ticket = open(&app, &shop, &id).await;
        let next = timer(&ticket, "next_reply");
        assert_eq!(next["due_at"].as_i64().unwrap() - next["started_at"].as_i64().unwrap(), 2 * HOUR);
        assert_eq!(app.call(&shop.session, "/api/desk/reply", &reply).await.status, StatusCode::OK);
        let ticket = open(&app, &shop, &id).await;
        assert_eq!((timers(&ticket), ticket["sla_missed"].as_i64()), (vec!["resolution".to_owned()], Some(1)));

        // Pending pauses the resolution; the requester's answer hands the ticket back to the team.
        let (status, detail) = update(&app, &shop, &id, &[("status", "pending")]).await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        let left = timer(&detail["ticket"], "resolution")["paused_left_ms"].as_i64().unwrap();
        assert!((7 * HOUR..=8 * HOUR).contains(&left), "{left}");
        say(&app, &shop.key, &token, "Here is the receipt").await.unwrap();
        let detail = app.call(&shop.session, "/api/tickets/open", &[("workspace_id", ws), ("ticket_id", &id)]).await.json();
        assert_eq!(detail["ticket"]["status"], "open");
        assert!(history(&detail).contains(&("status".into(), Some("pending".into()), Some("open".into()))), "{detail}");
        assert_eq!(timers(&detail["ticket"]), ["next_reply", "resolution"]);

        // Solved after nine open hours: the resolution target is missed too, and nothing runs any more.
        backdate(&app, &id, "open_since", 9 * HOUR).await;
        let (_, detail) = update(&app, &shop, &id, &[("status", "solved")]).await;
        assert_eq!((detail["ticket"]["sla_missed"].as_i64(), timers(&detail["ticket"]).len()), (Some(2), 0));
        assert_eq!(history(&detail).pop().unwrap().2.as_deref(), Some("resolution"));
        assert_eq!(list(&app, &shop, "solved").await["tickets"][0]["sla_missed"], 2);
    }

    async fn tickets_are_sorted_by_the_workspaces_own_categories_and_their_least_priority(app) {
        let shop = tenant(&app, "categories@example.com", &[("Refunds", REFUNDS)]).await;
        let ws = shop.workspace.as_str();
        let setup = app.call(&shop.session, "/api/tickets/categories", &[("workspace_id", ws)]).await.json();
        let ids: Vec<&str> = setup["categories"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["billing", "technical", "account", "feature_request", "other"]);
        let escalate = |text: &'static str| {
            let app = &app;
            let key = shop.key.clone();
            async move {
                let token = start(app, &key, None).await["token"].as_str().unwrap().to_string();
                say(app, &key, &token, text).await.unwrap();
                let handoff = format!("/api/widget/v1/{key}/handoff");
                assert_eq!(widget(app, "POST", &handoff, Some(SHOP), Some(json!({ "token": token }))).await.status, StatusCode::OK);
            }
        };
        escalate("I was charged twice for my subscription this month").await;
        let ticket = list(&app, &shop, "").await["tickets"][0].clone();
        assert_eq!(ticket["category"], "billing", "{ticket}");

        // The workspace's own list: a mistake names its row and saves nothing.
        let save = |fields: Vec<(&'static str, &'static str)>| {
            let (app, session) = (&app, &shop.session);
            async move {
                let mut all = vec![("workspace_id", ws)];
                all.extend(fields);
                app.call(session, "/api/tickets/save-categories", &all).await
            }
        };
        let refused = save(vec![("categories[0][label]", ""), ("categories[0][examples]", "x")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        assert!(refused.body.contains("label.0"), "{}", refused.body);
        let saved = save(vec![
            ("categories[0][label]", "Shipping"),
            ("categories[0][examples]", "Where is my parcel?\nMy delivery is late\nThe courier lost my package"),
            ("categories[0][priority]", "high"),
            ("categories[1][id]", "other"),
            ("categories[1][label]", "Other"),
        ])
        .await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        let ids: Vec<String> = saved.json()["categories"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids, ["shipping", "other"]);

        // A new ticket like its examples is Shipping, and at least High.
        escalate("Where can I track my parcel?").await;
        let listed = list(&app, &shop, "").await;
        let shipped = listed["tickets"].as_array().unwrap().iter().find(|t| t["category"] == "shipping").unwrap_or_else(|| panic!("{listed}")).clone();
        assert_eq!(shipped["priority"], "high");
        let id = shipped["id"].as_str().unwrap();
        let opened = app.call(&shop.session, "/api/tickets/open", &[("workspace_id", ws), ("ticket_id", id)]).await.json();
        assert_eq!(history(&opened)[1..], [
            ("category".to_owned(), Some("Other".to_owned()), Some("Shipping".to_owned())),
            ("priority".to_owned(), Some("normal".to_owned()), Some("high".to_owned())),
        ]);
        assert_eq!(opened["categories"].as_array().unwrap().len(), 2, "the ticket offers the workspace's list");
        // The team may choose only from that list.
        assert_eq!(update(&app, &shop, id, &[("category", "billing")]).await.0, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, detail) = update(&app, &shop, id, &[("category", "other")]).await;
        assert_eq!(status, StatusCode::OK, "{detail}");
        assert_eq!(history(&detail).pop().unwrap(), ("category".to_owned(), Some("Shipping".to_owned()), Some("Other".to_owned())));
    }
}
