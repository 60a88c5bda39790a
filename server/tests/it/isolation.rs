//! The tenant-isolation matrix. Every server function and REST route is
//! listed in `ENDPOINTS`; a test fails when the application registers one
//! that is not, so no route ships unclassified. Each endpoint that takes a
//! workspace id is then called by an owner, an admin and an agent of
//! workspace A: on A's own ids (allowed exactly when the permission matrix
//! says so), on workspace B's ids, and on A's workspace with B's ids inside
//! (never allowed, with no data about B in the answer and no change to B).

use std::collections::BTreeSet;

use app::permissions::{Action, Role};
use axum::http::StatusCode;

use crate::support::{Db, Session, TestApp, TestResponse};

/// What a case needs created fresh in the tenant it targets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    Nothing,
    Invitation,
    Member,
    SecretKey,
    PublishableKey,
    /// A typed snippet in the knowledge base.
    Snippet,
    /// A web-page source (re-syncable).
    WebSource,
    /// A visitor's conversation with the bot.
    Conversation,
    /// A ticket (opened by hand by the tenant's owner).
    Ticket,
    /// A canned reply (kept by the tenant's owner).
    CannedReply,
    /// A ticket opened by hand whose subject the workspace's knowledge
    /// answers (the "Opening hours" snippet every tenant has).
    AskingTicket,
    /// A conversation whose visitor asked what the workspace's knowledge
    /// answers (the "Opening hours" snippet every tenant has).
    Question,
}

enum Kind {
    /// Takes a workspace id (and maybe ids inside it); allowed for roles with `action`.
    Workspace {
        action: Action,
        needs: Needs,
        /// The call changes the caller's own membership, so each case gets a fresh caller.
        fresh_caller: bool,
        fields: fn(&Target) -> Vec<(&'static str, String)>,
    },
    /// Takes the id of something that belongs to one person.
    Personal,
    /// Nothing a client could swap for someone else's: why.
    NoIds(&'static str),
    /// Not a form endpoint; its isolation is tested where named.
    TestedElsewhere(&'static str),
}

struct Endpoint {
    path: &'static str,
    kind: Kind,
}

/// The ids a case sends.
struct Target {
    workspace: String,
    id: String,
}

fn ws(t: &Target) -> Vec<(&'static str, String)> {
    vec![("workspace_id", t.workspace.clone())]
}

fn with(t: &Target, extra: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut fields = ws(t);
    fields.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    fields
}

const OWN_ACCOUNT: &str = "acts only on the caller's own account";

const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/api/team/view",
        kind: Kind::Workspace { action: Action::ManageTeam, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/team/invite",
        kind: Kind::Workspace {
            action: Action::ManageTeam,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: |t| {
                with(t, &[("email", &format!("new-{}@example.com", uuid::Uuid::new_v4().simple())), ("role", "agent")])
            },
        },
    },
    Endpoint {
        path: "/api/team/revoke-invitation",
        kind: Kind::Workspace {
            action: Action::ManageTeam,
            needs: Needs::Invitation,
            fresh_caller: false,
            fields: |t| with(t, &[("invitation_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/team/change-role",
        kind: Kind::Workspace {
            action: Action::ManageTeam,
            needs: Needs::Member,
            fresh_caller: false,
            fields: |t| with(t, &[("user_id", &t.id), ("role", "admin")]),
        },
    },
    Endpoint {
        path: "/api/team/suspend",
        kind: Kind::Workspace {
            action: Action::ManageTeam,
            needs: Needs::Member,
            fresh_caller: false,
            fields: |t| with(t, &[("user_id", &t.id), ("suspended", "true")]),
        },
    },
    Endpoint {
        path: "/api/team/remove",
        kind: Kind::Workspace {
            action: Action::ManageTeam,
            needs: Needs::Member,
            fresh_caller: false,
            fields: |t| with(t, &[("user_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/team/transfer-ownership",
        kind: Kind::Workspace {
            action: Action::TransferOwnership,
            needs: Needs::Member,
            fresh_caller: true,
            fields: |t| with(t, &[("user_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/team/leave",
        kind: Kind::Workspace { action: Action::ViewWorkspace, needs: Needs::Nothing, fresh_caller: true, fields: ws },
    },
    Endpoint {
        path: "/api/keys/list",
        kind: Kind::Workspace { action: Action::ManageApiKeys, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/keys/create",
        kind: Kind::Workspace {
            action: Action::ManageApiKeys,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: |t| {
                with(t, &[("name", "Matrix key"), ("kind", "publishable"), ("allowed_origins", "https://a.example")])
            },
        },
    },
    Endpoint {
        path: "/api/keys/origins",
        kind: Kind::Workspace {
            action: Action::ManageApiKeys,
            needs: Needs::PublishableKey,
            fresh_caller: false,
            fields: |t| with(t, &[("key_id", &t.id), ("allowed_origins", "https://attacker.example")]),
        },
    },
    Endpoint {
        path: "/api/keys/revoke",
        kind: Kind::Workspace {
            action: Action::ManageApiKeys,
            needs: Needs::SecretKey,
            fresh_caller: false,
            fields: |t| with(t, &[("key_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/audit/list",
        kind: Kind::Workspace { action: Action::ViewAuditLog, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint { path: "/api/accounts/revoke-session", kind: Kind::Personal },
    Endpoint { path: "/api/contact-sales", kind: Kind::NoIds("a public form") },
    Endpoint { path: "/api/mentor/recommendations", kind: Kind::NoIds("computed from the form alone; nothing stored") },
    Endpoint { path: "/api/mentor/skills", kind: Kind::NoIds("suggestions from the public dataset") },
    Endpoint { path: "/api/mentor/profile", kind: Kind::NoIds(OWN_ACCOUNT) },
    Endpoint { path: "/api/mentor/save-profile", kind: Kind::NoIds(OWN_ACCOUNT) },
    Endpoint { path: "/api/mentor/chat", kind: Kind::TestedElsewhere(MENTOR_CHAT) },
    Endpoint { path: "/api/mentor/ask", kind: Kind::TestedElsewhere(MENTOR_CHAT) },
    Endpoint {
        path: "/api/mentor/insights",
        kind: Kind::TestedElsewhere("operators alone: mentor_chat::operators_alone_see_the_mentors_insights"),
    },
    Endpoint { path: "/api/mentor/resume", kind: Kind::TestedElsewhere(MENTOR_RESUME) },
    Endpoint { path: "/api/mentor/resume/confirm", kind: Kind::TestedElsewhere(MENTOR_RESUME) },
    Endpoint { path: "/api/mentor/v1/resume", kind: Kind::TestedElsewhere(MENTOR_RESUME_API) },
    Endpoint { path: "/api/mentor/v1/resume/{id}/confirm", kind: Kind::TestedElsewhere(MENTOR_RESUME_API) },
    Endpoint { path: "/api/mentor/v1/ask", kind: Kind::TestedElsewhere(MENTOR_API) },
    Endpoint { path: "/api/mentor/v1/usage", kind: Kind::TestedElsewhere(MENTOR_API) },
    Endpoint { path: "/api/mentor/v1/profile", kind: Kind::TestedElsewhere(MENTOR_API) },
    Endpoint {
        path: "/api/mentor/v1/recommendations",
        kind: Kind::NoIds("computed from the form alone; nothing stored"),
    },
    Endpoint {
        path: "/api/accounts/sign-up",
        kind: Kind::NoIds("creates the caller's own account; ids sent with it are ignored (team tests)"),
    },
    Endpoint { path: "/api/accounts/log-in", kind: Kind::NoIds(OWN_ACCOUNT) },
    Endpoint { path: "/api/accounts/log-out", kind: Kind::NoIds(OWN_ACCOUNT) },
    Endpoint { path: "/api/accounts/viewer", kind: Kind::NoIds(OWN_ACCOUNT) },
    Endpoint { path: "/api/accounts/verify-email", kind: Kind::NoIds("authorised by a single-use emailed token") },
    Endpoint { path: "/api/accounts/resend-verification", kind: Kind::NoIds("answers the same for every address") },
    Endpoint { path: "/api/accounts/request-password-reset", kind: Kind::NoIds("answers the same for every address") },
    Endpoint { path: "/api/accounts/reset-password", kind: Kind::NoIds("authorised by a single-use emailed token") },
    Endpoint { path: "/api/accounts/change-password", kind: Kind::NoIds(OWN_ACCOUNT) },
    Endpoint { path: "/api/accounts/update-profile", kind: Kind::NoIds(OWN_ACCOUNT) },
    Endpoint { path: "/api/accounts/sessions", kind: Kind::NoIds(OWN_ACCOUNT) },
    Endpoint { path: "/api/accounts/delete", kind: Kind::NoIds(OWN_ACCOUNT) },
    Endpoint {
        path: "/api/team/create-workspace",
        kind: Kind::NoIds("creates a workspace owned by the caller; an owner_id sent is ignored (team tests)"),
    },
    Endpoint { path: "/api/team/invitation", kind: Kind::NoIds("authorised by a secret token bound to one email") },
    Endpoint {
        path: "/api/team/accept-invitation",
        kind: Kind::NoIds("authorised by a secret token bound to one email (team tests)"),
    },
    Endpoint { path: "/api/v1/auth/token", kind: Kind::NoIds(OWN_ACCOUNT) },
    Endpoint { path: "/api/v1/auth/refresh", kind: Kind::NoIds("authorised by the refresh token itself") },
    Endpoint { path: "/api/v1/auth/revoke", kind: Kind::NoIds("authorised by the refresh token itself") },
    Endpoint { path: "/api/v1/me", kind: Kind::NoIds(OWN_ACCOUNT) },
    Endpoint { path: "/api/v1/workspace", kind: Kind::NoIds("the secret key decides the workspace") },
    Endpoint { path: "/account/export", kind: Kind::NoIds(OWN_ACCOUNT) },
    Endpoint { path: "/api/session/csrf", kind: Kind::NoIds("derived from the caller's own session") },
    Endpoint { path: "/api/knowledge/overview", kind: knowledge(Needs::Nothing, ws) },
    Endpoint { path: "/api/knowledge/source", kind: knowledge(Needs::Snippet, |t| with(t, &[("source_id", &t.id)])) },
    Endpoint {
        path: "/api/knowledge/add_url",
        kind: knowledge(Needs::Nothing, |t| with(t, &[("url", "https://docs.example/page"), ("mode", "page")])),
    },
    Endpoint {
        path: "/api/knowledge/add_qa",
        kind: knowledge(Needs::Nothing, |t| {
            with(t, &[("question", "Do you ship abroad?"), ("answer", "Yes, to 40 countries.")])
        }),
    },
    Endpoint {
        path: "/api/knowledge/add_text",
        kind: knowledge(Needs::Nothing, |t| {
            with(t, &[("title", "Opening hours"), ("text", "9 to 5, Monday to Friday.")])
        }),
    },
    Endpoint { path: "/api/knowledge/delete", kind: knowledge(Needs::Snippet, |t| with(t, &[("source_id", &t.id)])) },
    Endpoint { path: "/api/knowledge/resync", kind: knowledge(Needs::WebSource, |t| with(t, &[("source_id", &t.id)])) },
    Endpoint { path: "/api/knowledge/cancel", kind: knowledge(Needs::Snippet, |t| with(t, &[("source_id", &t.id)])) },
    Endpoint {
        path: "/api/knowledge/schedule",
        kind: knowledge(Needs::WebSource, |t| with(t, &[("source_id", &t.id), ("sync_every_hours", "24")])),
    },
    Endpoint {
        path: "/api/knowledge/test",
        kind: knowledge(Needs::Nothing, |t| with(t, &[("question", "Do you ship abroad?")])),
    },
    Endpoint {
        path: "/api/w/{workspace_id}/knowledge/files",
        kind: Kind::TestedElsewhere("multipart upload: knowledge::uploads_respect_roles_and_tenants"),
    },
    Endpoint {
        path: "/api/chat/widget",
        kind: Kind::Workspace {
            action: Action::ConfigureWidget,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: ws,
        },
    },
    Endpoint {
        path: "/api/chat/save_widget",
        kind: Kind::Workspace {
            action: Action::ConfigureWidget,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: |t| with(t, &[("form[title]", "Matrix help"), ("form[colour]", "#123456")]),
        },
    },
    Endpoint {
        path: "/api/chat/usage",
        kind: Kind::Workspace { action: Action::ViewWorkspace, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/chat/first-steps",
        kind: Kind::Workspace { action: Action::ViewWorkspace, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/chat/conversations",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: ws,
        },
    },
    Endpoint {
        path: "/api/chat/transcript",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Conversation,
            fresh_caller: false,
            fields: |t| with(t, &[("conversation_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/widget-preview/{key}",
        kind: Kind::TestedElsewhere(
            "a signed, expiring preview key: chat::the_widget_page_saves_settings_and_previews_the_real_widget",
        ),
    },
    Endpoint { path: "/api/widget/v1/{key}/config", kind: Kind::TestedElsewhere(WIDGET_API) },
    Endpoint { path: "/api/widget/v1/{key}/session", kind: Kind::TestedElsewhere(WIDGET_API) },
    Endpoint { path: "/api/widget/v1/{key}/messages", kind: Kind::TestedElsewhere(WIDGET_API) },
    Endpoint { path: "/api/widget/v1/{key}/feedback", kind: Kind::TestedElsewhere(WIDGET_API) },
    Endpoint { path: "/api/widget/v1/{key}/handoff", kind: Kind::TestedElsewhere(WIDGET_API) },
    Endpoint { path: "/api/widget/v1/{key}/events", kind: Kind::TestedElsewhere(WIDGET_API) },
    Endpoint { path: "/api/widget/v1/{key}/typing", kind: Kind::TestedElsewhere(WIDGET_API) },
    Endpoint { path: "/api/widget/v1/{key}/seen", kind: Kind::TestedElsewhere(WIDGET_API) },
    Endpoint { path: "/api/widget/v1/{key}/rating", kind: Kind::TestedElsewhere(WIDGET_API) },
    Endpoint {
        path: "/api/desk/hours",
        kind: Kind::Workspace { action: Action::ViewWorkspace, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/desk/save-hours",
        kind: Kind::Workspace {
            action: Action::ConfigureDesk,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: |t| {
                with(t, &[("form[enabled]", "true"), ("form[time_zone]", "Europe/Paris"), ("form[mon]", "9:00-17:00")])
            },
        },
    },
    Endpoint {
        path: "/api/desk/email-followup",
        kind: Kind::Workspace { action: Action::ViewWorkspace, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/desk/save-email-followup",
        kind: Kind::Workspace {
            action: Action::ConfigureDesk,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: |t| with(t, &[("minutes", "5")]),
        },
    },
    Endpoint {
        path: "/api/desk/draft-ticket",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::AskingTicket,
            fresh_caller: false,
            fields: |t| with(t, &[("ticket_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/desk/write-to-requester",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Ticket,
            fresh_caller: false,
            fields: |t| with(t, &[("ticket_id", &t.id), ("to", "someone@example.com"), ("text", "Hello from the team.")]),
        },
    },
    Endpoint {
        path: "/api/desk/identity",
        kind: Kind::Workspace { action: Action::ViewWorkspace, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/desk/rotate-identity-secret",
        kind: Kind::Workspace { action: Action::ConfigureWidget, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/desk/save-plan-priorities",
        kind: Kind::Workspace {
            action: Action::ConfigureDesk,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: |t| with(t, &[("plans", "enterprise: urgent")]),
        },
    },
    Endpoint { path: "/api/email/inbound", kind: Kind::TestedElsewhere(INBOUND_EMAIL) },
    Endpoint {
        path: "/api/billing/overview",
        kind: Kind::Workspace { action: Action::ManageBilling, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/billing/invoices",
        kind: Kind::Workspace { action: Action::ManageBilling, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint { path: "/api/billing/checkout", kind: Kind::TestedElsewhere(BILLING) },
    Endpoint { path: "/api/billing/portal", kind: Kind::TestedElsewhere(BILLING) },
    Endpoint { path: "/api/billing/preview", kind: Kind::TestedElsewhere(BILLING_CHANGES) },
    Endpoint { path: "/api/billing/change", kind: Kind::TestedElsewhere(BILLING_CHANGES) },
    Endpoint { path: "/api/billing/stripe/webhook", kind: Kind::TestedElsewhere(STRIPE_WEBHOOK) },
    Endpoint { path: "/rate/{token}", kind: Kind::TestedElsewhere(RATING_LINK) },
    Endpoint {
        path: "/api/desk/join",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Conversation,
            fresh_caller: false,
            fields: |t| with(t, &[("conversation_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/desk/reply",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Conversation,
            fresh_caller: false,
            fields: |t| with(t, &[("conversation_id", &t.id), ("text", "Hello from the team")]),
        },
    },
    Endpoint {
        path: "/api/desk/hand-back",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Conversation,
            fresh_caller: false,
            fields: |t| with(t, &[("conversation_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/desk/inbox",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: ws,
        },
    },
    Endpoint {
        path: "/api/desk/open",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Conversation,
            fresh_caller: false,
            fields: |t| with(t, &[("conversation_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/desk/read",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Conversation,
            fresh_caller: false,
            fields: |t| with(t, &[("conversation_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/desk/draft",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Question,
            fresh_caller: false,
            fields: |t| with(t, &[("conversation_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/desk/discard-draft",
        kind: Kind::TestedElsewhere(
            "only the member who asked for a draft may discard it: reply_drafts::a_draft_is_grounded_never_sent_by_itself_and_its_fate_is_recorded",
        ),
    },
    Endpoint {
        path: "/api/tickets/list",
        kind: Kind::Workspace { action: Action::AnswerConversations, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/tickets/create",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: |t| with(t, &[("subject", "Call the customer back")]),
        },
    },
    Endpoint {
        path: "/api/tickets/open",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Ticket,
            fresh_caller: false,
            fields: |t| with(t, &[("ticket_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/tickets/update",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Ticket,
            fresh_caller: false,
            fields: |t| with(t, &[("ticket_id", &t.id), ("status", "pending"), ("priority", "urgent")]),
        },
    },
    Endpoint {
        path: "/api/tickets/targets",
        kind: Kind::Workspace { action: Action::ViewWorkspace, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/tickets/save-targets",
        kind: Kind::Workspace {
            action: Action::ConfigureDesk,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: |t| with(t, &[("form[urgent_first_reply]", "5m"), ("form[normal_resolution]", "2h")]),
        },
    },
    Endpoint {
        path: "/api/tickets/categories",
        kind: Kind::Workspace { action: Action::ViewWorkspace, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/tickets/save-categories",
        kind: Kind::Workspace {
            action: Action::ConfigureDesk,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: |t| with(t, &[("categories[0][label]", "Shipping"), ("categories[0][examples]", "Where is my parcel?")]),
        },
    },
    Endpoint {
        path: "/api/tickets/tag",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Ticket,
            fresh_caller: false,
            fields: |t| with(t, &[("ticket_id", &t.id), ("tags", "vip")]),
        },
    },
    Endpoint {
        path: "/api/tickets/merge",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Ticket,
            fresh_caller: false,
            fields: |t| with(t, &[("ticket_id", &t.id), ("into", "1")]),
        },
    },
    Endpoint {
        path: "/api/tickets/note",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Ticket,
            fresh_caller: false,
            fields: |t| with(t, &[("ticket_id", &t.id), ("body", "Checked with the warehouse.")]),
        },
    },
    Endpoint {
        path: "/api/mentions/list",
        kind: Kind::Workspace { action: Action::AnswerConversations, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/mentions/read",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Nothing,
            fresh_caller: false,
            // Another member's mention is untouched: ticket_notes::a_note_tells_each_member_it_names_in_the_dashboard_and_by_email
            fields: |t| with(t, &[("mention_id", "all")]),
        },
    },
    Endpoint {
        path: "/api/canned/list",
        kind: Kind::Workspace { action: Action::ViewWorkspace, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/canned/save",
        kind: Kind::Workspace {
            action: Action::ConfigureDesk,
            needs: Needs::CannedReply,
            fresh_caller: false,
            // Named after the reply: each case renames its own.
            fields: |t| with(t, &[("reply_id", &t.id), ("shortcut", &t.id[..8]), ("body", "Changed.")]),
        },
    },
    Endpoint {
        path: "/api/canned/delete",
        kind: Kind::Workspace {
            action: Action::ConfigureDesk,
            needs: Needs::CannedReply,
            fresh_caller: false,
            fields: |t| with(t, &[("reply_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/tickets/routing",
        kind: Kind::Workspace { action: Action::ViewWorkspace, needs: Needs::Nothing, fresh_caller: false, fields: ws },
    },
    Endpoint {
        path: "/api/tickets/save-routing",
        kind: Kind::Workspace {
            action: Action::ConfigureDesk,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: |t| with(t, &[("routing[mode]", "balanced"), ("routing[capacity]", "3")]),
        },
    },
    Endpoint {
        path: "/api/desk/set-away",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Nothing,
            fresh_caller: false,
            fields: |t| with(t, &[("away", "available")]),
        },
    },
    Endpoint {
        path: "/api/desk/typing",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Conversation,
            fresh_caller: false,
            fields: |t| with(t, &[("conversation_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/desk/resolve",
        kind: Kind::Workspace {
            action: Action::AnswerConversations,
            needs: Needs::Conversation,
            fresh_caller: false,
            fields: |t| with(t, &[("conversation_id", &t.id)]),
        },
    },
    Endpoint {
        path: "/api/w/{workspace_id}/inbox/events",
        kind: Kind::TestedElsewhere(
            "another workspace's member is refused: desk::another_workspace_can_neither_take_over_nor_watch_a_conversation",
        ),
    },
    Endpoint {
        path: "/api/w/{workspace_id}/tickets/events",
        kind: Kind::TestedElsewhere(
            "another workspace's member is refused: desk::another_workspace_can_neither_take_over_nor_watch_a_conversation",
        ),
    },
    Endpoint {
        path: "/api/w/{workspace_id}/conversations/{conversation_id}/events",
        kind: Kind::TestedElsewhere(
            "another workspace's member is refused: desk::another_workspace_can_neither_take_over_nor_watch_a_conversation",
        ),
    },
];

/// Conversations belong to a person, not a workspace.
const MENTOR_CHAT: &str =
    "another person's conversation ids answer 404: mentor_chat::conversations_are_theirs_alone_exported_and_deleted_with_the_account";

/// A résumé reading is kept for the person who sent it, or for nobody.
const MENTOR_RESUME: &str = "another person's reading answers 404: \
    mentor_resume::a_resume_is_read_then_confirmed_into_the_profile_exported_and_deleted_with_the_account";

const MENTOR_RESUME_API: &str =
    "another token's reading answers 404: mentor_resume::the_extension_reads_and_confirms_with_a_token";

/// The extension API knows a person by their bearer token alone.
const MENTOR_API: &str =
    "the bearer token's person alone, another's conversation 404: mentor_api::a_token_is_one_person_and_nobody_else";

/// The forwarder signs; the signed reply address inside names the conversation.
const INBOUND_EMAIL: &str = "only a signed delivery to a signed reply address threads, into that conversation alone: \
    email_followup::answers_by_email_need_the_forwarders_signature_and_a_signed_address";

const BILLING: &str = "Stripe sessions for the workspace's owner alone (admins and agents 403), or the signed-in \
                       person: billing::an_owner_pays_through_checkout_and_stripe_s_events_drive_the_plan";
const BILLING_CHANGES: &str = "the workspace's owner alone (admins 403, another owner 404), and only the live \
    subscription's payer: billing_changes::after_the_purchase_usage_invoices_and_plan_changes_follow_stripe";
const STRIPE_WEBHOOK: &str = "signed by Stripe (no session); events act only on customers Lodestar made: \
                              billing::an_owner_pays_through_checkout_and_stripe_s_events_drive_the_plan";
const RATING_LINK: &str = "a rating link is signed for one conversation, which is all it rates, once: \
    email_followup::a_ticket_opened_by_hand_is_answered_by_email_from_a_draft_and_the_requester_answers_into_it";

/// Widget routes take a publishable key and a visitor token, not a session.
const WIDGET_API: &str =
    "publishable key, origin and visitor token: chat::other_sites_unknown_keys_and_other_visitors_are_refused";

const fn knowledge(needs: Needs, fields: fn(&Target) -> Vec<(&'static str, String)>) -> Kind {
    Kind::Workspace { action: Action::ManageKnowledge, needs, fresh_caller: false, fields }
}

#[test]
fn every_route_is_in_the_matrix() {
    let listed: BTreeSet<&str> = ENDPOINTS.iter().map(|e| e.path).collect();
    assert_eq!(listed.len(), ENDPOINTS.len(), "an endpoint is listed twice");
    for endpoint in ENDPOINTS {
        if let Kind::NoIds(why) | Kind::TestedElsewhere(why) = endpoint.kind {
            assert!(!why.is_empty(), "{} needs a reason for taking no ids", endpoint.path);
        }
    }
    let mut registered: BTreeSet<String> =
        leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.to_string()).collect();
    registered.extend(lodestar_server::accounts::api::ROUTES.iter().map(|(_, path)| path.to_string()));
    registered.extend(lodestar_server::knowledge::api::ROUTES.iter().map(|(_, path)| path.to_string()));
    registered.extend(lodestar_server::chat::api::ROUTES.iter().map(|(_, path)| path.to_string()));
    registered.extend(lodestar_server::desk::api::ROUTES.iter().map(|(_, path)| path.to_string()));
    registered.extend(lodestar_server::desk::email_api::ROUTES.iter().map(|(_, path)| path.to_string()));
    registered.extend(lodestar_server::desk::rating_email::ROUTES.iter().map(|(_, path)| path.to_string()));
    registered.extend(lodestar_server::billing::webhook::ROUTES.iter().map(|(_, path)| path.to_string()));
    registered.extend(lodestar_server::mentor::api::ROUTES.iter().map(|(_, path)| path.to_string()));
    registered.extend(lodestar_server::mentor::resume::ROUTES.iter().map(|(_, path)| path.to_string()));
    let listed: BTreeSet<String> = listed.into_iter().map(str::to_string).collect();
    let missing: Vec<_> = registered.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&registered).collect();
    assert!(missing.is_empty(), "routes missing from the isolation matrix in tests/it/isolation.rs: {missing:?}");
    assert!(stale.is_empty(), "the isolation matrix lists routes that no longer exist: {stale:?}");
}

/// A conversation: id, assignee, resolved at, messages, members who read it.
type ConversationSnapshot = (String, Option<String>, Option<i64>, i64, i64, i64);

/// One workspace with its owner, and what its state looked like.
struct Tenant {
    workspace: String,
    owner: Session,
    name: &'static str,
}

struct World {
    app: TestApp,
    a: Tenant,
    b: Tenant,
    a_admin: Session,
    a_agent: Session,
    next: std::cell::Cell<u32>,
}

impl World {
    async fn new(db: Db) -> World {
        let app = TestApp::builder(db).build().await;
        let a = tenant(&app, "alpha-owner@example.com", "Alpha Co").await;
        let b = tenant(&app, "bravo-owner@example.com", "Bravo Corp").await;
        let a_admin = join(&app, &a, "alpha-admin@example.com", Role::Admin).await;
        let a_agent = join(&app, &a, "alpha-agent@example.com", Role::Agent).await;
        for tenant in [&a, &b] {
            let ws = ("workspace_id", tenant.workspace.as_str());
            let hours = [ws, ("title", "Opening hours"), ("text", "We are open from 9 am to 5 pm, Monday to Friday.")];
            ok(app.call(&tenant.owner, "/api/knowledge/add_text", &hours).await);
            crate::knowledge::settled(&app, &tenant.owner, &tenant.workspace).await;
            // Ticket #1, which the cases' own tickets are merged into.
            let standing = [ws, ("subject", "The ticket duplicates go into")];
            ok(app.call(&tenant.owner, "/api/tickets/create", &standing).await);
        }
        World { app, a, b, a_admin, a_agent, next: std::cell::Cell::new(0) }
    }

    fn unique_email(&self, label: &str) -> String {
        self.next.set(self.next.get() + 1);
        format!("{label}-{}@example.com", self.next.get())
    }

    async fn caller(&self, role: Role, fresh: bool) -> Session {
        if fresh {
            let email = self.unique_email(&format!("fresh-{}", role.as_str()));
            return join(&self.app, &self.a, &email, role).await;
        }
        match role {
            Role::Owner => self.a.owner.clone(),
            Role::Admin => self.a_admin.clone(),
            Role::Agent => self.a_agent.clone(),
        }
    }

    /// Creates what a case needs in `tenant`, as its owner, and returns its id.
    async fn make(&self, tenant: &Tenant, needs: Needs) -> String {
        let app = &self.app;
        let ws = ("workspace_id", tenant.workspace.as_str());
        match needs {
            Needs::Nothing => String::new(),
            Needs::Invitation => {
                let email = self.unique_email("invitee");
                ok(app.call(&tenant.owner, "/api/team/invite", &[ws, ("email", &email), ("role", "agent")]).await);
                sqlx::query_scalar("SELECT id FROM invitations WHERE email = $1")
                    .bind(&email)
                    .fetch_one(app.state.sql.pool())
                    .await
                    .unwrap()
            }
            Needs::Member => join(app, tenant, &self.unique_email("member"), Role::Agent).await.user_id,
            Needs::SecretKey => {
                // Secret keys come with a paid plan, which the tenants have.
                let key =
                    ok(app.call(&tenant.owner, "/api/keys/create", &[ws, ("name", "k"), ("kind", "secret")]).await);
                key.json()["key"]["id"].as_str().unwrap().to_string()
            }
            Needs::Snippet => {
                let fields = [ws, ("title", "Bravo secret hours"), ("text", "Only for bravo.")];
                let source = ok(app.call(&tenant.owner, "/api/knowledge/add_text", &fields).await);
                source.json()["id"].as_str().unwrap().to_string()
            }
            Needs::WebSource => {
                let fields = [ws, ("url", "https://bravo.example/help"), ("mode", "page")];
                let source = ok(app.call(&tenant.owner, "/api/knowledge/add_url", &fields).await);
                source.json()["id"].as_str().unwrap().to_string()
            }
            Needs::Ticket => {
                let fields = [ws, ("subject", "Bravo's private ticket"), ("priority", "high")];
                let created = ok(app.call(&tenant.owner, "/api/tickets/create", &fields).await);
                created.json()["ticket"]["id"].as_str().unwrap().to_string()
            }
            Needs::AskingTicket => {
                let fields = [ws, ("subject", "When are you open on weekdays?")];
                let created = ok(app.call(&tenant.owner, "/api/tickets/create", &fields).await);
                created.json()["ticket"]["id"].as_str().unwrap().to_string()
            }
            Needs::CannedReply => {
                let shortcut = self.unique_email("reply").replace(['@', '.'], "-");
                let fields = [ws, ("shortcut", shortcut.as_str()), ("body", "Only for this workspace.")];
                let saved = ok(app.call(&tenant.owner, "/api/canned/save", &fields).await);
                let replies = saved.json()["replies"].as_array().unwrap().clone();
                let mine = replies.iter().find(|r| r["shortcut"] == shortcut.as_str()).unwrap();
                mine["id"].as_str().unwrap().to_string()
            }
            Needs::Question => {
                let conversation = Box::pin(self.make(tenant, Needs::Conversation)).await;
                sqlx::query(
                    "INSERT INTO messages (id, conversation_id, workspace_id, author, body, created_at)
                     VALUES ($1, $2, $3, 'visitor', 'When are you open on weekdays?', 2)",
                )
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(&conversation)
                .bind(&tenant.workspace)
                .execute(app.state.sql.pool())
                .await
                .unwrap();
                conversation
            }
            Needs::Conversation => {
                let id = uuid::Uuid::new_v4().to_string();
                sqlx::query(
                    "INSERT INTO conversations (id, workspace_id, visitor_id, origin, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, 1, 1)",
                )
                .bind(&id)
                .bind(&tenant.workspace)
                .bind(format!("visitor-{id}"))
                .bind(if tenant.workspace == self.b.workspace {
                    "https://bravo.example"
                } else {
                    "https://alpha.example"
                })
                .execute(app.state.sql.pool())
                .await
                .unwrap();
                id
            }
            Needs::PublishableKey => {
                let fields =
                    [ws, ("name", "site"), ("kind", "publishable"), ("allowed_origins", "https://bravo.example")];
                let key = ok(app.call(&tenant.owner, "/api/keys/create", &fields).await);
                key.json()["key"]["id"].as_str().unwrap().to_string()
            }
        }
    }

    /// Everything stored about a workspace, to prove a call changed nothing.
    async fn snapshot(&self, workspace: &str) -> String {
        let pool = self.app.state.sql.pool();
        let workspaces: Vec<(String, String)> = sqlx::query_as("SELECT name, plan FROM workspaces WHERE id = $1")
            .bind(workspace)
            .fetch_all(pool)
            .await
            .unwrap();
        let members: Vec<(String, String, Option<i64>, i32)> = sqlx::query_as(
            "SELECT user_id, role, suspended_at, away FROM memberships WHERE workspace_id = $1 ORDER BY user_id",
        )
        .bind(workspace)
        .fetch_all(pool)
        .await
        .unwrap();
        let invitations: Vec<(String, Option<i64>, Option<i64>)> =
            sqlx::query_as("SELECT id, accepted_at, revoked_at FROM invitations WHERE workspace_id = $1 ORDER BY id")
                .bind(workspace)
                .fetch_all(pool)
                .await
                .unwrap();
        let keys: Vec<(String, String, String, Option<i64>)> = sqlx::query_as(
            "SELECT id, name, allowed_origins, revoked_at FROM api_keys WHERE workspace_id = $1 ORDER BY id",
        )
        .bind(workspace)
        .fetch_all(pool)
        .await
        .unwrap();
        let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE workspace_id = $1")
            .bind(workspace)
            .fetch_one(pool)
            .await
            .unwrap();
        // Knowledge lives in SurrealDB: read it as the workspace's owner sees it.
        let owner = if workspace == self.a.workspace { &self.a.owner } else { &self.b.owner };
        let overview = self.app.call(owner, "/api/knowledge/overview", &[("workspace_id", workspace)]).await.json();
        let mut sources: Vec<String> = overview["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| format!("{} {} {}", s["id"], s["title"], s["sync_every_hours"]))
            .collect();
        sources.sort();
        let settings: Vec<(String,)> = sqlx::query_as(
            "SELECT settings FROM widget_settings WHERE workspace_id = $1
             UNION ALL SELECT settings FROM bot_settings WHERE workspace_id = $1
             UNION ALL SELECT id || ' ' || shortcut || ' ' || body FROM canned_replies WHERE workspace_id = $1
             UNION ALL SELECT business_hours || ' ' || email_followup_minutes || ' ' || COALESCE(sla_policy, '') || ' ' || COALESCE(ticket_categories, '') || ' ' || COALESCE(routing, '') || ' ' || COALESCE(identity_version, '') || ' ' || COALESCE(plan_priorities, '') FROM desk_settings WHERE workspace_id = $1",
        )
        .bind(workspace)
        .fetch_all(pool)
        .await
        .unwrap();
        let conversations: Vec<ConversationSnapshot> = sqlx::query_as(
            "SELECT c.id, c.assignee_id, c.resolved_at, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id),
                    (SELECT COUNT(*) FROM conversation_reads r WHERE r.conversation_id = c.id), c.journal_seq
             FROM conversations c WHERE c.workspace_id = $1 ORDER BY c.id",
        )
        .bind(workspace)
        .fetch_all(pool)
        .await
        .unwrap();
        let tickets: Vec<(String, String, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT t.id, t.status, t.priority, t.assignee_id,
                    (SELECT COUNT(*) FROM ticket_events e WHERE e.ticket_id = t.id)
                    + (SELECT COUNT(*) FROM ticket_notes n WHERE n.ticket_id = t.id)
                    + (SELECT COUNT(*) FROM mentions m WHERE m.ticket_id = t.id AND m.read_at IS NULL)
                    + (SELECT COUNT(*) FROM reply_drafts d WHERE d.ticket_id = t.id)
             FROM tickets t WHERE t.workspace_id = $1 ORDER BY t.id",
        )
        .bind(workspace)
        .fetch_all(pool)
        .await
        .unwrap();
        let billing: Vec<(Option<String>, String, Option<String>)> = sqlx::query_as(
            "SELECT customer_id, plan, status FROM billing_accounts WHERE payer = 'workspace' AND owner_id = $1",
        )
        .bind(workspace)
        .fetch_all(pool)
        .await
        .unwrap();
        format!(
            "{workspaces:?}\n{members:?}\n{invitations:?}\n{keys:?}\n{audit}\n{sources:?}\n{settings:?}\n{conversations:?}\n{tickets:?}\n{billing:?}"
        )
    }
}

async fn tenant(app: &TestApp, email: &str, name: &'static str) -> Tenant {
    let owner = app.verified_user(email, "mentor").await;
    let created = ok(app.call(&owner, "/api/team/create-workspace", &[("name", name)]).await);
    let workspace = created.json()["id"].as_str().unwrap().to_string();
    // The matrix invites more people than Free's seats hold (and needs the REST API).
    app.set_plan(&workspace, "enterprise").await;
    Tenant { workspace, owner, name }
}

async fn join(app: &TestApp, tenant: &Tenant, email: &str, role: Role) -> Session {
    app.join_team(&tenant.owner, &tenant.workspace, email, role.as_str()).await
}

fn ok(response: TestResponse) -> TestResponse {
    assert!(response.status.is_success(), "fixture call failed: {} {}", response.status, response.body);
    response
}

fn succeeded(response: &TestResponse) -> bool {
    response.status.is_success() || response.status == StatusCode::FOUND
}

async fn run(db: Db) {
    let world = World::new(db).await;
    let app = &world.app;
    let mut cases = 0;
    for endpoint in ENDPOINTS {
        let Kind::Workspace { action, needs, fresh_caller, fields } = &endpoint.kind else { continue };
        for role in Role::ALL {
            let label = format!("{} as {} of A", endpoint.path, role.as_str());

            // A's own ids: exactly what the matrix allows.
            let caller = world.caller(role, *fresh_caller).await;
            let own = Target { workspace: world.a.workspace.clone(), id: world.make(&world.a, *needs).await };
            let before = world.snapshot(&world.a.workspace).await;
            let response = app.call(&caller, endpoint.path, &borrowed(&fields(&own))).await;
            if role.allows(*action) {
                assert!(succeeded(&response), "{label} on its own ids: {} {}", response.status, response.body);
            } else {
                assert_eq!(response.status, StatusCode::FORBIDDEN, "{label} on its own ids: {}", response.body);
                assert_eq!(world.snapshot(&world.a.workspace).await, before, "{label}: a refused call changed A");
            }
            cases += 1;

            // B's workspace, and A's workspace with B's ids inside.
            let caller = world.caller(role, *fresh_caller).await;
            let theirs = world.make(&world.b, *needs).await;
            let mut targets = vec![Target { workspace: world.b.workspace.clone(), id: theirs.clone() }];
            if *needs != Needs::Nothing {
                targets.push(Target { workspace: world.a.workspace.clone(), id: theirs });
            }
            for target in targets {
                let before = world.snapshot(&world.b.workspace).await;
                let response = app.call(&caller, endpoint.path, &borrowed(&fields(&target))).await;
                let expected = if target.workspace == world.b.workspace || role.allows(*action) {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(
                    response.status, expected,
                    "{label} against B's ids ({}): {}",
                    target.workspace, response.body
                );
                for secret in [world.b.name, "bravo-owner@example.com", "https://bravo.example"] {
                    assert!(!response.body.contains(secret), "{label} leaked {secret:?}: {}", response.body);
                }
                assert_eq!(world.snapshot(&world.b.workspace).await, before, "{label} changed workspace B");
                cases += 1;
            }
        }
    }

    // Personal ids: one person's session is not another's to end.
    let theirs: String = sqlx::query_scalar("SELECT id FROM sessions WHERE user_id = $1")
        .bind(&world.b.owner.user_id)
        .fetch_one(app.state.sql.pool())
        .await
        .unwrap();
    for caller in [&world.a.owner, &world.a_admin, &world.a_agent] {
        let response = app.call(caller, "/api/accounts/revoke-session", &[("session_id", &theirs)]).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        cases += 1;
    }
    assert_eq!(app.viewer(&world.b.owner.cookie).await["email"], "bravo-owner@example.com");
    assert!(ENDPOINTS.iter().any(|e| matches!(e.kind, Kind::Personal)));
    println!("tenant isolation: {cases} cases on {db:?}");
}

fn borrowed<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_sqlite() {
    run(Db::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_postgres() {
    run(Db::Postgres).await
}
