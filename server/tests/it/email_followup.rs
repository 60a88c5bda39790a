//! Email follow-up: a reply the visitor has not seen is emailed once after
//! the workspace's delay (time passed as an argument, never waited for),
//! with a signed reply address; the visitor's answer, posted raw and signed
//! by the forwarder, comes back into that conversation alone. A new email
//! to a workspace's support address becomes a conversation and its ticket,
//! answered by email at once; so does a member's first email to the
//! requester of a ticket opened by hand (paced per member).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use lodestar_server::http::signed_post::sign;
use lodestar_server::sql::now_millis;
use serde_json::json;

use crate::backend_tests;
use crate::chat::{answer, say, start, tenant, widget, Tenant, REFUNDS, SHOP};
use crate::desk::{agent_channel, inbox_ids, latest_conversation};
use crate::support::{Db, TestApp, TestResponse};

const VISITOR: &str = "visitor@example.com";
const MINUTE: i64 = 60_000;

/// Posts `raw` as the forwarder does, signed with `secret` at `at` (seconds).
async fn deliver(app: &TestApp, raw: &str, secret: &str, at: i64) -> TestResponse {
    let request = Request::post("/api/email/inbound")
        .header("content-type", "message/rfc822")
        .header("x-lodestar-signature", sign(secret, raw.as_bytes(), at))
        .body(Body::from(raw.to_owned()))
        .unwrap();
    app.request(request).await
}

fn secret_of(app: &TestApp) -> String {
    app.state.config.inbound_email.secret.as_ref().expect("tests set an inbound secret").expose().to_owned()
}

/// A visitor's answer as mail programs write it: text, the quoted follow-up,
/// and an attachment.
fn answer_email(to: &str, message_id: &str, text: &str) -> String {
    format!(
        "From: Visitor <{VISITOR}>\r\nTo: {to}\r\nSubject: Re: your conversation\r\nMessage-ID: <{message_id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\r\n\
         On Mon, Dec 7, 2026 at 10:02 AM Someone <no-reply@lodestar.localhost> wrote:\r\n\
         > ##- Please type your reply above this line -##\r\n> It's on its way.\r\n\r\n\
         --b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n"
    )
}

/// The header `name` of a raw message (unfolded).
fn header<'m>(message: &'m str, name: &str) -> Option<&'m str> {
    message.lines().find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(": ")))
}

/// A header word as mail programs show it (lettre encodes names with an apostrophe).
fn decoded_word(word: &str) -> String {
    use base64::Engine;
    match word.strip_prefix("=?utf-8?b?").and_then(|w| w.strip_suffix("?=")) {
        Some(encoded) => String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap()).unwrap(),
        None => word.trim_matches('"').to_owned(),
    }
}

/// A visitor who asked about a refund, then for a person, leaving their
/// email: their token and conversation.
async fn visitor_who_left_an_email(app: &TestApp, shop: &Tenant) -> (String, String) {
    let token = start(app, &shop.key, None).await["token"].as_str().unwrap().to_string();
    answer(&say(app, &shop.key, &token, "Can I get a refund on my annual plan?").await.unwrap());
    let handoff = format!("/api/widget/v1/{}/handoff", shop.key);
    let asked = widget(app, "POST", &handoff, Some(SHOP), Some(json!({ "token": token, "email": VISITOR }))).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    (token, latest_conversation(app, &shop.workspace).await)
}

/// How many messages the conversation holds.
pub(crate) async fn messages_of(app: &TestApp, conversation: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE conversation_id = $1")
        .bind(conversation)
        .fetch_one(app.state.sql.pool())
        .await
        .unwrap()
}

backend_tests! {
    async fn an_unseen_reply_is_emailed_once_and_the_answer_comes_back_into_the_conversation(app) {
        let shop = tenant(&app, "followup@example.com", &[("Refunds", REFUNDS)]).await;
        let workspace = shop.workspace.as_str();
        let (token, conversation) = visitor_who_left_an_email(&app, &shop).await;
        let fields = [("workspace_id", workspace), ("conversation_id", conversation.as_str())];

        // The visitor has left; a person answers.
        let reply = [("workspace_id", workspace), ("conversation_id", conversation.as_str()), ("text", "It's on its way.")];
        let sent = app.call(&shop.session, "/api/desk/reply", &reply).await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
        let written = sent.json()["created_at"].as_i64().unwrap();
        let seq: i64 = sqlx::query_scalar("SELECT journal_seq FROM conversations WHERE id = $1")
            .bind(&conversation).fetch_one(app.state.sql.pool()).await.unwrap();
        let mut agent = agent_channel(&app, &shop.session.cookie, workspace, &conversation, Some(seq)).await.unwrap();

        // Nothing before the delay (10 minutes by default); then one email, once.
        let desk = &app.state.desk;
        assert_eq!(desk.send_followups(written + 10 * MINUTE - 1).await.unwrap(), 0);
        assert_eq!(desk.send_followups(written + 10 * MINUTE).await.unwrap(), 1);
        assert_eq!(desk.send_followups(written + 20 * MINUTE).await.unwrap(), 0, "never twice");
        let mail: Vec<String> = app.outbox().into_iter().filter(|m| m.contains(&format!("To: {VISITOR}"))).collect();
        assert_eq!(mail.len(), 1, "{mail:?}");
        let mail = &mail[0];
        assert!(mail.contains("It's on its way."), "{mail}");
        assert!(mail.contains("##- Please type your reply above this line -##"), "{mail}");
        assert!(mail.contains(SHOP), "the email says where the chat goes on: {mail}");
        assert!(header(mail, "Subject").unwrap().starts_with("Re: your conversation with"), "{mail}");
        let reply_to = header(mail, "Reply-To").expect("a reply address").to_owned();
        assert!(reply_to.starts_with(&format!("reply+{conversation}.")) && reply_to.ends_with("@lodestar.localhost"), "{reply_to}");
        let from = header(mail, "From").unwrap();
        let (name, address) = from.rsplit_once(' ').unwrap();
        assert_eq!(address, "<no-reply@lodestar.localhost>");
        assert_eq!(decoded_word(name), "Test Person at Test Person's workspace", "the person's name at the business");
        let emailed = agent.next().await;
        assert_eq!((emailed.kind.as_str(), emailed.data["to"].as_str(), emailed.data["replies"].as_i64()), ("emailed", Some(VISITOR), Some(1)));

        // A reply the widget shows in time is not emailed.
        let second = [("workspace_id", workspace), ("conversation_id", conversation.as_str()), ("text", "Anything else?")];
        let later = app.call(&shop.session, "/api/desk/reply", &second).await.json()["created_at"].as_i64().unwrap();
        let seen = widget(&app, "POST", &format!("/api/widget/v1/{}/seen", shop.key), Some(SHOP), Some(json!({ "token": token }))).await;
        assert_eq!(seen.status, StatusCode::NO_CONTENT);
        assert_eq!(desk.send_followups(later + 11 * MINUTE).await.unwrap(), 0);

        // The answer by email, quoted history and attachment and all.
        let secret = secret_of(&app);
        let now = now_millis() / 1000;
        let raw = answer_email(&reply_to, "answer-1@mail.example.com", "Thanks! Can it come by Friday?");
        let before = messages_of(&app, &conversation).await;
        let threaded = deliver(&app, &raw, &secret, now).await;
        assert_eq!(threaded.status, StatusCode::OK, "{}", threaded.body);
        assert_eq!(threaded.json()["threaded"], true);
        let message = &threaded.json()["message"];
        assert_eq!(message["body"], "Thanks! Can it come by Friday?", "only what they wrote above the quote");
        assert_eq!(message["by_email"], true);
        assert_eq!(message["note"], "Attachment not accepted by email: invoice.pdf.");
        assert_eq!(messages_of(&app, &conversation).await, before + 1);
        let heard = loop {
            let entry = agent.next().await;
            if entry.kind == "message" && entry.data["author"] == "visitor" { break entry; }
        };
        assert_eq!((heard.data["body"].as_str(), heard.data["by_email"].as_bool()), (Some("Thanks! Can it come by Friday?"), Some(true)));
        let opened = app.call(&shop.session, "/api/desk/open", &fields).await.json();
        assert_eq!(opened["transcript"]["messages"].as_array().unwrap().last().unwrap()["by_email"], true);
        let (by_email, listed) = inbox_ids(&app, &shop.session, workspace, &[("channel", "email")]).await;
        assert_eq!(by_email, std::slice::from_ref(&conversation));
        assert_eq!(listed["items"][0]["channel"], "email");
        let (in_chat, _) = inbox_ids(&app, &shop.session, workspace, &[("channel", "widget")]).await;
        assert!(in_chat.is_empty(), "{in_chat:?}");

        // A second delivery of the same email adds nothing.
        let again = deliver(&app, &raw, &secret, now).await;
        assert_eq!((again.status, again.json()["threaded"].as_bool()), (StatusCode::OK, Some(false)));
        assert_eq!(messages_of(&app, &conversation).await, before + 1);

        // Resolved and back with the assistant: an answer by email opens it
        // again, waiting for a person (the assistant does not answer email).
        assert_eq!(app.call(&shop.session, "/api/desk/resolve", &fields).await.status, StatusCode::OK);
        let raw = answer_email(&reply_to, "answer-2@mail.example.com", "Sorry, one more thing.");
        assert_eq!(deliver(&app, &raw, &secret, now).await.status, StatusCode::OK);
        let (waiting, listed) = inbox_ids(&app, &shop.session, workspace, &[("view", "waiting")]).await;
        assert_eq!(waiting, std::slice::from_ref(&conversation));
        assert_eq!(listed["items"][0]["flag"], "replied_by_email");
        assert_eq!(messages_of(&app, &conversation).await, before + 2, "the assistant stayed silent");

        // One conversation's answers are paced: a few at once, then refused for a while.
        let mut refused = None;
        for n in 3..10 {
            let raw = answer_email(&reply_to, &format!("answer-{n}@mail.example.com"), "And another thing.");
            let delivered = deliver(&app, &raw, &secret, now).await;
            if delivered.status != StatusCode::OK {
                refused = Some(delivered);
                break;
            }
        }
        let refused = refused.expect("pacing refuses a flood");
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.body);
        assert!(!refused.header("retry-after").is_empty());
    }

    async fn answers_by_email_need_the_forwarders_signature_and_a_signed_address(app) {
        let shop = tenant(&app, "forged@example.com", &[("Refunds", REFUNDS)]).await;
        let other = tenant(&app, "other-forged@example.com", &[("Refunds", REFUNDS)]).await;
        let mut conversations = Vec::new();
        for tenant in [&shop, &other] {
            let token = start(&app, &tenant.key, None).await["token"].as_str().unwrap().to_string();
            answer(&say(&app, &tenant.key, &token, "Can I get a refund on my annual plan?").await.unwrap());
            conversations.push(latest_conversation(&app, &tenant.workspace).await);
        }
        let (mine, theirs) = (&conversations[0], &conversations[1]);
        let secret = secret_of(&app);
        let now = now_millis() / 1000;
        let address = app.state.desk.reply_address(mine);
        let raw = answer_email(&address, "forged-1@mail.example.com", "Let me in");
        let before = (messages_of(&app, mine).await, messages_of(&app, theirs).await);

        // Not signed by the forwarder, signed with another secret, or too long ago.
        let unsigned = app.request(Request::post("/api/email/inbound").header("content-type", "message/rfc822")
            .body(Body::from(raw.clone())).unwrap()).await;
        assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED, "{}", unsigned.body);
        assert_eq!(deliver(&app, &raw, "not-the-secret-0123456789", now).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(deliver(&app, &raw, &secret, now - 301).await.status, StatusCode::UNAUTHORIZED);
        // Signed, but to an address we never sent: another conversation's id
        // under this tag, a changed tag, another domain.
        let (local, domain) = address.split_once('@').unwrap();
        let tag = local.rsplit_once('.').unwrap().1;
        let flipped = if tag.ends_with('0') { "1" } else { "0" };
        for to in [
            format!("reply+{theirs}.{tag}@{domain}"),
            format!("{}{flipped}@{domain}", &local[..local.len() - 1]),
            format!("{local}@elsewhere.example"),
            "support@lodestar.localhost".to_owned(),
        ] {
            let forged = deliver(&app, &answer_email(&to, "forged-2@mail.example.com", "Let me in"), &secret, now).await;
            assert_eq!(forged.status, StatusCode::NOT_FOUND, "{to}: {}", forged.body);
        }
        // Not an email at all, or nothing above the quote.
        assert_eq!(deliver(&app, "", &secret, now).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let empty = answer_email(&address, "empty@mail.example.com", "");
        assert_eq!(deliver(&app, &empty, &secret, now).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!((messages_of(&app, mine).await, messages_of(&app, theirs).await), before, "nothing was added anywhere");

        // The real address, in any case a mail system folds it to, threads into its own conversation only.
        let shouted = answer_email(&address.to_ascii_uppercase(), "real@mail.example.com", "Hello from my inbox");
        let threaded = deliver(&app, &shouted, &secret, now).await;
        assert_eq!(threaded.status, StatusCode::OK, "{}", threaded.body);
        assert_eq!((messages_of(&app, mine).await, messages_of(&app, theirs).await), (before.0 + 1, before.1));
    }

    async fn a_workspace_that_never_emails_keeps_replies_in_the_chat(app) {
        let shop = tenant(&app, "never@example.com", &[("Refunds", REFUNDS)]).await;
        let workspace = shop.workspace.as_str();
        let setup = app.call(&shop.session, "/api/desk/email-followup", &[("workspace_id", workspace)]).await.json();
        assert_eq!((&setup["minutes"], &setup["replies_come_back"], &setup["can_edit"]), (&json!(10), &json!(true), &json!(true)));
        let odd = app.call(&shop.session, "/api/desk/save-email-followup", &[("workspace_id", workspace), ("minutes", "7")]).await;
        assert_eq!(odd.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", odd.body);
        let never = app.call(&shop.session, "/api/desk/save-email-followup", &[("workspace_id", workspace), ("minutes", "0")]).await;
        assert_eq!(never.json()["minutes"], 0, "{}", never.body);

        let (_, conversation) = visitor_who_left_an_email(&app, &shop).await;
        let reply = [("workspace_id", workspace), ("conversation_id", conversation.as_str()), ("text", "It's on its way.")];
        let written = app.call(&shop.session, "/api/desk/reply", &reply).await.json()["created_at"].as_i64().unwrap();
        assert_eq!(app.state.desk.send_followups(written + 24 * 60 * MINUTE).await.unwrap(), 0);
        // Business hours saved later keep the choice.
        let hours = [("workspace_id", workspace), ("form[enabled]", "false"), ("form[time_zone]", "UTC")];
        assert_eq!(app.call(&shop.session, "/api/desk/save-hours", &hours).await.status, StatusCode::OK);
        let setup = app.call(&shop.session, "/api/desk/email-followup", &[("workspace_id", workspace)]).await;
        assert_eq!(setup.json()["minutes"], 0);
    }
}

/// A server without an inbound secret refuses answers by email and says
/// so in its follow-ups, which then carry no reply address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_inbound_secret_followups_point_to_the_chat() {
    let app = TestApp::builder(Db::Sqlite).config(|c| c.inbound_email.secret = None).build().await;
    let refused =
        app.request(Request::post("/api/email/inbound").body(Body::from("From: a@b.c\r\n\r\nhi")).unwrap()).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.body.contains("INBOUND_EMAIL_SECRET"), "{}", refused.body);

    let shop = tenant(&app, "no-inbound@example.com", &[("Refunds", REFUNDS)]).await;
    // Nothing could reach a support address either: none is offered.
    let setup =
        app.call(&shop.session, "/api/desk/email-followup", &[("workspace_id", shop.workspace.as_str())]).await.json();
    assert_eq!((&setup["replies_come_back"], &setup["support_address"]), (&json!(false), &json!(null)));
    let (_, conversation) = visitor_who_left_an_email(&app, &shop).await;
    let reply =
        [("workspace_id", shop.workspace.as_str()), ("conversation_id", conversation.as_str()), ("text", "Done.")];
    let written = app.call(&shop.session, "/api/desk/reply", &reply).await.json()["created_at"].as_i64().unwrap();
    assert_eq!(app.state.desk.send_followups(written + 10 * MINUTE).await.unwrap(), 1);
    let mail = app.outbox().into_iter().find(|m| m.contains(&format!("To: {VISITOR}"))).unwrap();
    assert!(header(&mail, "Reply-To").is_none(), "{mail}");
    assert!(mail.contains("answers to this email do not reach the team"), "{mail}");

    // Too big to read is refused before anything is parsed.
    let huge = "x".repeat(10 * 1024 * 1024 + 1);
    let app = TestApp::builder(Db::Sqlite).build().await;
    let request = Request::post("/api/email/inbound").body(Body::from(huge)).unwrap();
    assert_eq!(app.request(request).await.status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// A member's call about `ticket`, with `more` fields.
async fn ticket_call(app: &TestApp, shop: &Tenant, ticket: &str, path: &str, more: &[(&str, &str)]) -> TestResponse {
    let mut fields = vec![("workspace_id", shop.workspace.as_str()), ("ticket_id", ticket)];
    fields.extend_from_slice(more);
    app.call(&shop.session, path, &fields).await
}

/// A new email to `to`, as a customer writes one.
fn new_email(to: &str, message_id: &str, subject: &str, text: &str) -> String {
    format!(
        "From: Ada Customer <{VISITOR}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    )
}

backend_tests! {
    async fn an_email_to_the_support_address_becomes_a_ticket_answered_by_email(app) {
        let shop = tenant(&app, "support-mail@example.com", &[("Refunds", REFUNDS)]).await;
        let ws = shop.workspace.as_str();
        // The address is in Settings, for the business's forwarding rule.
        let setup = app.call(&shop.session, "/api/desk/email-followup", &[("workspace_id", ws)]).await.json();
        let address = setup["support_address"].as_str().expect("a support address").to_owned();
        assert!(address.starts_with(&format!("support+{ws}.")) && address.ends_with("@lodestar.localhost"), "{address}");

        // A new email to it, delivered twice by the forwarder: one conversation, one ticket.
        let secret = secret_of(&app);
        let raw = new_email(&address, "first-1@mail.example.com", "Invoice 7 charged twice", "Hello, invoice 7 was charged twice on my card.");
        for first in [true, false] {
            let delivered = deliver(&app, &raw, &secret, now_millis() / 1000).await;
            assert_eq!(delivered.status, StatusCode::OK, "{}", delivered.body);
            assert_eq!(delivered.json()["threaded"], first);
        }
        let listed = crate::tickets::list(&app, &shop, "").await;
        let tickets = listed["tickets"].as_array().unwrap();
        assert_eq!(tickets.len(), 1, "{listed}");
        let ticket = &tickets[0];
        assert_eq!((ticket["subject"].as_str(), ticket["source"].as_str()), (Some("Invoice 7 charged twice"), Some("email")));
        assert_eq!(ticket["requester_email"], VISITOR);
        let conversation = ticket["conversation_id"].as_str().unwrap().to_owned();
        assert_eq!(messages_of(&app, &conversation).await, 1);
        let (waiting, _) = inbox_ids(&app, &shop.session, ws, &[("view", "waiting")]).await;
        assert_eq!(waiting, std::slice::from_ref(&conversation), "it waits for a person");

        // The team's reply goes by email at once, under the email's subject, with a signed reply address.
        let reply = [("workspace_id", ws), ("conversation_id", conversation.as_str()), ("text", "Sorry! One charge is refunded.")];
        let sent = app.call(&shop.session, "/api/desk/reply", &reply).await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
        let written = sent.json()["created_at"].as_i64().unwrap();
        assert_eq!(app.state.desk.send_followups(written).await.unwrap(), 1);
        let mail: Vec<String> = app.outbox().into_iter().filter(|m| m.contains(&format!("To: {VISITOR}"))).collect();
        assert_eq!(mail.len(), 1, "{mail:?}");
        assert_eq!(header(&mail[0], "Subject"), Some("Re: Invoice 7 charged twice"));
        assert!(mail[0].contains("answered:") && mail[0].contains("Reply to this email to answer."), "{}", mail[0]);
        assert!(!mail[0].contains("chat"), "no chat to go back to: {}", mail[0]);
        let reply_to = header(&mail[0], "Reply-To").unwrap().to_owned();
        assert!(reply_to.starts_with(&format!("reply+{conversation}.")), "{reply_to}");

        // Her answer threads into the same conversation and ticket.
        let answered = deliver(&app, &answer_email(&reply_to, "answer-2@mail.example.com", "Thanks, which card?"), &secret, now_millis() / 1000).await;
        assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
        assert_eq!(messages_of(&app, &conversation).await, 3);
        assert_eq!(crate::tickets::list(&app, &shop, "").await["tickets"].as_array().unwrap().len(), 1);

        // An out-of-office is nobody writing: no message, no ticket.
        let away = new_email(&address, "ooo-1@mail.example.com", "Out of office", "I am away until Monday.")
            .replacen("MIME-Version", "Auto-Submitted: auto-replied\r\nMIME-Version", 1);
        let ignored = deliver(&app, &away, &secret, now_millis() / 1000).await;
        assert_eq!(ignored.status, StatusCode::OK, "{}", ignored.body);
        assert_eq!((ignored.json()["threaded"].as_bool(), ignored.json()["ignored"].as_str()), (Some(false), Some("automatic")));
        assert_eq!(crate::tickets::list(&app, &shop, "").await["tickets"].as_array().unwrap().len(), 1);

        // An address of ours with another tag, or with the tag of another workspace, reaches nobody.
        let forged = address.replacen(&format!("support+{ws}"), "support+someone-else", 1);
        let raw = new_email(&forged, "forged-1@mail.example.com", "Hi", "Let me in.");
        assert_eq!(deliver(&app, &raw, &secret, now_millis() / 1000).await.status, StatusCode::NOT_FOUND);
        let tag = address.split_once('.').unwrap().1.split_once('@').unwrap().0;
        let raw = new_email(&format!("support+{ws}x.{tag}@lodestar.localhost"), "forged-2@mail.example.com", "Hi", "Let me in.");
        assert_eq!(deliver(&app, &raw, &secret, now_millis() / 1000).await.status, StatusCode::NOT_FOUND);
        assert_eq!(crate::tickets::list(&app, &shop, "").await["tickets"].as_array().unwrap().len(), 1);
    }
}

backend_tests! {
    async fn a_ticket_opened_by_hand_is_answered_by_email_from_a_draft_and_the_requester_answers_into_it(app) {
        let shop = tenant(&app, "hand-ticket@example.com", &[("Refunds", REFUNDS)]).await;
        let ws = shop.workspace.as_str();
        // After a phone call: a ticket with neither conversation nor address.
        let subject = "Can I get a refund on my annual plan?";
        let made = app.call(&shop.session, "/api/tickets/create", &[("workspace_id", ws), ("subject", subject)]).await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.body);
        let ticket = made.json()["ticket"]["id"].as_str().unwrap().to_owned();
        // The assistant drafts a first email answering its subject from the knowledge base, with its source.
        let drafted = ticket_call(&app, &shop, &ticket, "/api/desk/draft-ticket", &[]).await;
        assert_eq!(drafted.status, StatusCode::OK, "{}", drafted.body);
        let draft = drafted.json();
        assert!(draft["body"].as_str().unwrap().contains("30 days"), "{draft}");
        assert_eq!((draft["citations"][0]["title"].as_str(), draft["answers"].as_str()), (Some("Refunds"), Some(ticket.as_str())));
        let body = draft["body"].as_str().unwrap().to_owned();
        let draft_id = draft["id"].as_str().unwrap().to_owned();

        // With no address to write to, sending is refused and says what is missing; so is an address that is none.
        let refused = ticket_call(&app, &shop, &ticket, "/api/desk/write-to-requester", &[("text", &body)]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        assert!(refused.body.contains("Add the requester's email address"), "{}", refused.body);
        let refused = ticket_call(&app, &shop, &ticket, "/api/desk/write-to-requester", &[("text", &body), ("to", "nobody")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);

        // Sent as drafted: the ticket follows a new conversation on email, and the draft counts as sent.
        let sent = ticket_call(&app, &shop, &ticket, "/api/desk/write-to-requester", &[("text", &body), ("to", VISITOR), ("draft_id", &draft_id)]).await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
        let conversation: String = serde_json::from_str(&sent.body).unwrap();
        let detail = ticket_call(&app, &shop, &ticket, "/api/tickets/open", &[]).await.json();
        assert_eq!((detail["ticket"]["conversation_id"].as_str(), detail["ticket"]["requester_email"].as_str()), (Some(conversation.as_str()), Some(VISITOR)));
        assert!(detail["ticket"]["first_replied_at"].is_i64(), "the first reply's clock stopped: {detail}");
        assert!(crate::tickets::history(&detail).contains(&("emailed".into(), None, Some(VISITOR.into()))), "{detail}");
        let outcome: Option<String> = sqlx::query_scalar("SELECT outcome FROM reply_drafts WHERE ticket_id = $1")
            .bind(&ticket)
            .fetch_one(app.state.sql.pool())
            .await
            .unwrap();
        assert_eq!(outcome.as_deref(), Some("sent"));
        let (mine, _) = inbox_ids(&app, &shop.session, ws, &[("view", "mine")]).await;
        assert!(mine.contains(&conversation), "the writer holds the conversation: {mine:?}");

        // It goes at once, under the ticket's subject, with the signed reply address.
        assert_eq!(app.state.desk.send_followups(now_millis()).await.unwrap(), 1);
        let mail: Vec<String> = app.outbox().into_iter().filter(|m| m.contains(&format!("To: {VISITOR}"))).collect();
        assert_eq!(mail.len(), 1, "{mail:?}");
        assert_eq!(header(&mail[0], "Subject"), Some(format!("Re: {subject}").as_str()));
        assert!(mail[0].contains("30 days"), "{}", mail[0]);
        let reply_to = header(&mail[0], "Reply-To").unwrap().to_owned();
        assert!(reply_to.starts_with(&format!("reply+{conversation}.")), "{reply_to}");

        // Now it has a conversation, the ticket is answered there: neither a second first email nor a draft for one.
        let again = ticket_call(&app, &shop, &ticket, "/api/desk/write-to-requester", &[("text", "Hello again")]).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
        assert!(again.body.contains("reply to the requester there"), "{}", again.body);
        assert_eq!(ticket_call(&app, &shop, &ticket, "/api/desk/draft-ticket", &[]).await.status, StatusCode::CONFLICT);
        // A member's first emails are paced (20 at once): a morning's call-backs, not a mailing list.
        let mut tries = 4;
        let paced = loop {
            let tried = ticket_call(&app, &shop, &ticket, "/api/desk/write-to-requester", &[("text", "Hello again")]).await;
            tries += 1;
            if tried.status != StatusCode::CONFLICT {
                break tried.status;
            }
            assert!(tries <= 20, "never paced");
        };
        assert_eq!((paced, tries), (StatusCode::TOO_MANY_REQUESTS, 21));

        // The requester's answer by email reaches the same conversation and ticket.
        let secret = secret_of(&app);
        let answered = deliver(&app, &answer_email(&reply_to, "hand-answer-1@mail.example.com", "Great, please refund me."), &secret, now_millis() / 1000).await;
        assert_eq!(answered.status, StatusCode::OK, "{}", answered.body);
        assert_eq!(messages_of(&app, &conversation).await, 2);
        let listed = crate::tickets::list(&app, &shop, "").await;
        assert_eq!(listed["tickets"].as_array().unwrap().len(), 1, "{listed}");

        // Resolved, the requester (on email, with no widget) is asked to rate by email: five signed links.
        let resolved = app.call(&shop.session, "/api/desk/resolve", &[("workspace_id", ws), ("conversation_id", &conversation)]).await;
        assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.body);
        let asked: Vec<String> = app.outbox().into_iter().filter(|m| m.contains(&format!("To: {VISITOR}")) && m.contains("How did we do?")).collect();
        assert_eq!(asked.len(), 1, "{asked:?}");
        let text = crate::support::decode_mail(&asked[0]);
        let links: Vec<&str> = text.split_whitespace().filter(|w| w.contains("/rate/")).collect();
        assert_eq!(links.len(), 5, "{text}");
        let four = crate::support::path_of(links.iter().find(|l| l.ends_with("?score=4")).unwrap());
        // Opening a link (as a mail scanner would) rates nothing: the page has the score chosen and asks.
        let opened = app.get(&four).await;
        assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
        assert!(opened.body.contains(r#"value="4" checked"#) && opened.body.contains("Send rating"), "{}", opened.body);
        assert!(opened.header("content-security-policy").contains("form-action 'self'"));
        let rating: Option<i64> = sqlx::query_scalar("SELECT rating FROM conversations WHERE id = $1")
            .bind(&conversation)
            .fetch_one(app.state.sql.pool())
            .await
            .unwrap();
        assert_eq!(rating, None);
        // The form's post rates it once, with the comment; the member sees it on the conversation.
        let form_path = four.split('?').next().unwrap().to_owned();
        let rate = |score: &'static str, comment: &'static str| {
            let (app, path) = (&app, form_path.clone());
            async move { app.post_form(&path, &[("score", score), ("comment", comment)], &[("sec-fetch-site", "same-origin")]).await }
        };
        let wrong = rate("9", "").await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.body);
        assert!(wrong.body.contains("Choose from 1 to 5"), "{}", wrong.body);
        let rated = rate("4", "Quick, but <b>two</b> emails.").await;
        assert_eq!(rated.status, StatusCode::OK, "{}", rated.body);
        assert!(rated.body.contains("4 out of 5"), "{}", rated.body);
        let again = rate("1", "Changed my mind").await;
        assert!(again.body.contains("4 out of 5"), "the first rating stands: {}", again.body);
        let (_, opened) = inbox_ids(&app, &shop.session, ws, &[("view", "resolved")]).await;
        assert!(opened["items"].as_array().unwrap().iter().any(|i| i["id"] == conversation.as_str()));
        let seen = app.call(&shop.session, "/api/desk/open", &[("workspace_id", ws), ("conversation_id", &conversation)]).await.json();
        assert_eq!((seen["rating"]["score"].as_i64(), seen["rating"]["comment"].as_str()), (Some(4), Some("Quick, but <b>two</b> emails.")), "{seen}");
        // A link whose signature is not ours rates nothing.
        let forged = format!("{}x?score=5", form_path);
        assert_eq!(app.get(&forged).await.status, StatusCode::NOT_FOUND);
    }
}
