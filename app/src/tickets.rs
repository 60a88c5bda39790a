//! Tickets: what needs a person beyond a live chat. One is opened when a
//! conversation is escalated (the visitor asked for a person, was unhappy,
//! or the bot could not answer) or by a member of the team; it carries a
//! number, status, priority, category and assignee, and a history of who
//! changed what. The server implements `TicketService`
//! (`server/src/tickets/`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::chat::{FlagReason, Priority};
use crate::components::format::{first_words, waited};
use crate::desk::Agent;
use crate::error::ServiceError;
use crate::routing::RoutingMode;
use crate::sla::{SlaKind, SlaTimer};
use crate::ticket_categories::{default_categories, TicketCategory};
use crate::ticket_notes::TicketNote;

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Waits on the team.
    Open,
    /// Waits on the requester.
    Pending,
    /// Answered; a reply from the requester opens it again.
    Solved,
    /// Done for good.
    Closed,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 4] =
        [TicketStatus::Open, TicketStatus::Pending, TicketStatus::Solved, TicketStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::Pending => "pending",
            TicketStatus::Solved => "solved",
            TicketStatus::Closed => "closed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        TicketStatus::ALL.into_iter().find(|status| status.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::Open => "Open",
            TicketStatus::Pending => "Pending",
            TicketStatus::Solved => "Solved",
            TicketStatus::Closed => "Closed",
        }
    }

    /// Being worked on: open or pending.
    pub fn is_live(self) -> bool {
        matches!(self, TicketStatus::Open | TicketStatus::Pending)
    }
}

pub const PRIORITIES: [Priority; 4] = [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent];

pub fn priority_label(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "Low",
        Priority::Normal => "Normal",
        Priority::High => "High",
        Priority::Urgent => "Urgent",
    }
}

/// How a ticket came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketSource {
    /// A conversation needed a person, for this reason.
    Escalation(FlagReason),
    /// A member of the team opened it.
    Agent,
    /// Someone wrote to the workspace's support address.
    Email,
}

impl TicketSource {
    pub fn label(self) -> String {
        match self {
            TicketSource::Escalation(reason) => format!("Escalated from a chat: {}", reason.label()),
            TicketSource::Agent => "Opened by the team".to_owned(),
            TicketSource::Email => "Emailed to the support address".to_owned(),
        }
    }
}

/// A ticket as a conversation names it: the way to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketRef {
    pub id: String,
    pub number: i64,
    pub status: TicketStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: String,
    /// `#12`: numbered per workspace.
    pub number: i64,
    pub subject: String,
    pub status: TicketStatus,
    pub priority: Priority,
    pub category: String,
    pub assignee: Option<Agent>,
    /// The team's own labels ("vip", "refund-2026"), in the order added.
    pub tags: Vec<String>,
    pub requester_email: Option<String>,
    pub conversation_id: Option<String>,
    pub source: TicketSource,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the team first replied.
    pub first_replied_at: Option<i64>,
    /// The targets running now (none once solved), as deadlines.
    pub sla: Vec<SlaTimer>,
    /// How many targets it has missed so far.
    pub sla_missed: u32,
    /// The ticket this duplicate was merged into.
    pub merged_into: Option<TicketRef>,
}

/// A ticket this one could be merged into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeCandidate {
    pub id: String,
    pub number: i64,
    pub subject: String,
    pub status: TicketStatus,
}

/// One change in a ticket's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    /// Who: `None` for Lodestar itself (an escalation, a reopening reply).
    pub actor: Option<String>,
    /// `opened`, `reopened`, `status`, `priority`, `category`, `assignee`,
    /// `subject`; `sla` when a target was missed (`to` names it, `from` by
    /// how many ms); `routed` when routing handed it out (`from` the mode);
    /// `tags` (each side the tags, comma-separated); `merged` (`to` the
    /// ticket it went into, "#12") and `merged_in` (`to` the duplicate, "#7").
    pub kind: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub at: i64,
}

impl TicketEvent {
    /// "Maria changed the status from Open to Pending".
    pub fn describe(&self) -> String {
        let who = self.actor.clone().unwrap_or_else(|| "Lodestar".to_owned());
        let shown = |value: &Option<String>| match (self.kind.as_str(), value.as_deref()) {
            (_, None) => "nobody".to_owned(),
            ("status", Some(v)) => TicketStatus::parse(v).map_or_else(|| v.to_owned(), |s| s.label().to_owned()),
            ("priority" | "plan_priority", Some(v)) => {
                Priority::parse(v).map_or_else(|| v.to_owned(), |p| priority_label(p).to_owned())
            }
            // Older lines hold the default categories' ids; newer ones their labels.
            ("category", Some(v)) => {
                default_categories().into_iter().find(|c| c.id == v).map_or_else(|| v.to_owned(), |c| c.label)
            }
            (_, Some(v)) => v.to_owned(),
        };
        match self.kind.as_str() {
            "opened" => format!("{who} opened the ticket"),
            "reopened" => format!("{who} reopened it: the requester replied"),
            "sla" => {
                let target = self.to.as_deref().and_then(SlaKind::parse).map_or("a", |kind| kind.label());
                let by = self.from.as_deref().and_then(|ms| ms.parse::<i64>().ok()).unwrap_or(0);
                format!("{target} target missed by {}", waited(by))
            }
            "routed" => {
                let how = match self.from.as_deref().and_then(RoutingMode::parse) {
                    Some(RoutingMode::RoundRobin) => " (round robin)",
                    Some(RoutingMode::Balanced) => " (fewest open tickets)",
                    _ => "",
                };
                format!("{who} routed it to {}{how}", shown(&self.to))
            }
            "assignee" => match &self.to {
                Some(_) => format!("{who} assigned it to {}", shown(&self.to)),
                None => format!("{who} unassigned it from {}", shown(&self.from)),
            },
            "plan_priority" => format!(
                "{who} raised the priority to {}: the requester is on the {} plan",
                shown(&self.to),
                self.from.as_deref().unwrap_or_default()
            ),
            "emailed" => format!("{who} emailed the requester at {}", shown(&self.to)),
            "merged" => format!("{who} merged it into {}", shown(&self.to)),
            "merged_in" => format!("{who} merged {} into it", shown(&self.to)),
            "tags" => match self.to.as_deref().filter(|t| !t.is_empty()) {
                Some(tags) => format!("{who} set the tags to {tags}"),
                None => format!("{who} removed the tags"),
            },
            kind => format!("{who} changed the {kind} from {} to {}", shown(&self.from), shown(&self.to)),
        }
    }
}

/// Which tickets the list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketView {
    /// Open and pending, most urgent first, then oldest.
    #[default]
    Live,
    /// The caller's open and pending ones.
    Mine,
    Unassigned,
    Solved,
    Closed,
}

impl TicketView {
    pub const ALL: [TicketView; 5] =
        [TicketView::Live, TicketView::Mine, TicketView::Unassigned, TicketView::Solved, TicketView::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketView::Live => "live",
            TicketView::Mine => "mine",
            TicketView::Unassigned => "unassigned",
            TicketView::Solved => "solved",
            TicketView::Closed => "closed",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ServiceError> {
        match value {
            "" => Ok(TicketView::Live),
            other => TicketView::ALL
                .into_iter()
                .find(|view| view.as_str() == other)
                .ok_or_else(|| ServiceError::invalid("view", "Choose one of the ticket views.")),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TicketView::Live => "Open and pending",
            TicketView::Mine => "Mine",
            TicketView::Unassigned => "Unassigned",
            TicketView::Solved => "Solved",
            TicketView::Closed => "Closed",
        }
    }
}

/// The tickets of a view, with the count of every view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketList {
    pub tickets: Vec<Ticket>,
    /// Per view, in [`TicketView::ALL`]'s order.
    pub counts: Vec<u32>,
    /// Members who may be assigned.
    pub agents: Vec<Agent>,
    pub me: Agent,
    pub now: i64,
}

/// Tickets one list shows at most (the most urgent and oldest first).
pub const TICKETS_PAGE: usize = 200;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub ticket: Ticket,
    /// Oldest first.
    pub history: Vec<TicketEvent>,
    /// The team's internal notes, oldest first.
    pub notes: Vec<TicketNote>,
    /// Members it may be assigned to.
    pub agents: Vec<Agent>,
    /// The workspace's categories, to choose from.
    pub categories: Vec<TicketCategory>,
    /// Other tickets being worked on for the same requester: likely duplicates.
    pub merge_candidates: Vec<MergeCandidate>,
    /// Who the requester is, when the business's site identified them.
    pub requester: Option<crate::visitor_identity::IdentifiedVisitor>,
    /// The server's clock when it was read (ms).
    pub now: i64,
}

/// A change to a ticket's fields; `None` leaves one as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketChange {
    pub status: Option<TicketStatus>,
    pub priority: Option<Priority>,
    pub category: Option<String>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<String>>,
    pub subject: Option<String>,
    /// The whole new list; `Some(vec![])` removes every tag.
    pub tags: Option<Vec<String>>,
}

pub const MAX_TAGS: usize = 10;
pub const TAG_MAX_CHARS: usize = 24;

/// Tags from what a member typed (commas or spaces between, a leading `#`
/// dropped): lowercase letters, digits and dashes, each once, at most
/// [`MAX_TAGS`] of at most [`TAG_MAX_CHARS`]. Kept that plain so a tag is a
/// word of its own in storage and in the address (`?tag=vip`).
pub fn parse_tags(text: &str) -> Result<Vec<String>, ServiceError> {
    let mut tags: Vec<String> = Vec::new();
    for word in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty()) {
        let tag = word.trim_start_matches('#').to_lowercase();
        if tag.is_empty() || !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(ServiceError::invalid(
                "tags",
                format!("Tags use letters, digits and dashes: \"{word}\" is not one."),
            ));
        }
        if tag.chars().count() > TAG_MAX_CHARS {
            return Err(ServiceError::invalid("tags", format!("Keep each tag under {TAG_MAX_CHARS} characters.")));
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(ServiceError::invalid("tags", format!("At most {MAX_TAGS} tags per ticket.")));
    }
    Ok(tags)
}

pub const SUBJECT_MAX_CHARS: usize = 200;

/// A subject from what a requester wrote: its words on one line, cut at a
/// word near 80 characters.
pub fn subject_from(text: &str) -> String {
    first_words(text, 80.min(SUBJECT_MAX_CHARS))
}

/// The address a member writes to a ticket's requester at.
pub fn validate_requester(to: &str) -> Result<String, ServiceError> {
    let mut errors = crate::error::FieldErrors::new();
    let email = crate::validate::email("to", to, &mut errors);
    if errors.is_empty() {
        Ok(email)
    } else {
        Err(ServiceError::Invalid(errors))
    }
}

/// A ticket's subject: trimmed, one line, 1 to [`SUBJECT_MAX_CHARS`] characters.
pub fn validate_subject(subject: &str) -> Result<String, ServiceError> {
    let subject: String = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let subject: String = subject.chars().filter(|c| !c.is_control()).collect();
    if subject.is_empty() {
        return Err(ServiceError::invalid("subject", "Say what the ticket is about."));
    }
    if subject.chars().count() > SUBJECT_MAX_CHARS {
        return Err(ServiceError::invalid(
            "subject",
            format!("Keep the subject under {SUBJECT_MAX_CHARS} characters."),
        ));
    }
    Ok(subject)
}

/// Reads the form's fields: empty means "leave as it is"; `assignee` is a
/// member's id, or `nobody`.
pub fn parse_change(
    status: &str,
    priority: &str,
    category: &str,
    assignee: &str,
    subject: &str,
) -> Result<TicketChange, ServiceError> {
    let status = match status {
        "" => None,
        value => Some(
            TicketStatus::parse(value)
                .ok_or_else(|| ServiceError::invalid("status", "Choose open, pending, solved or closed."))?,
        ),
    };
    let priority = match priority {
        "" => None,
        value => Some(
            Priority::parse(value)
                .ok_or_else(|| ServiceError::invalid("priority", "Choose low, normal, high or urgent."))?,
        ),
    };
    let category = match category {
        "" => None,
        // Checked against the workspace's own list by the server.
        value if value.len() <= 64 => Some(value.to_owned()),
        _ => return Err(ServiceError::invalid("category", "Choose one of the categories.")),
    };
    let assignee = match assignee {
        "" => None,
        "nobody" => Some(None),
        id if id.len() <= 64 => Some(Some(id.to_owned())),
        _ => return Err(ServiceError::invalid("assignee", "Choose a member of the team.")),
    };
    let subject = match subject {
        "" => None,
        value => Some(validate_subject(value)?),
    };
    Ok(TicketChange { status, priority, category, assignee, subject, tags: None })
}

#[server(endpoint = "tickets/list")]
pub async fn list_tickets(
    workspace_id: String,
    #[server(default)] view: String,
    /// Only the tickets with this tag; empty: all.
    #[server(default)]
    tag: String,
) -> Result<TicketList, ServiceError> {
    let view = crate::services::with_status(TicketView::parse(&view))?;
    // A tag that cannot be one matches nothing: no need to refuse it.
    let tag = parse_tags(&tag).ok().and_then(|tags| tags.into_iter().next());
    crate::services::call(|s, caller| async move { s.tickets.list(&caller, &workspace_id, view, tag).await }).await
}

#[server(endpoint = "tickets/open")]
pub async fn open_ticket(workspace_id: String, ticket_id: String) -> Result<TicketDetail, ServiceError> {
    crate::services::call(|s, caller| async move { s.tickets.open(&caller, &workspace_id, &ticket_id).await }).await
}

/// Emails the requester of a ticket that has no conversation (at `to`
/// when it has no address yet); their answer comes back into a new
/// conversation the ticket follows. Answers that conversation's id.
#[server(endpoint = "desk/write-to-requester")]
pub async fn write_to_requester(
    workspace_id: String,
    ticket_id: String,
    text: String,
    #[server(default)] to: String,
    #[server(default)] draft_id: String,
) -> Result<String, ServiceError> {
    let to = Some(to).filter(|t| !t.trim().is_empty());
    let draft_id = Some(draft_id).filter(|d| !d.is_empty());
    crate::services::call(|s, caller| async move {
        s.desk.write_to_requester(&caller, &workspace_id, &ticket_id, to, text, draft_id).await
    })
    .await
}

/// Opens a ticket by hand, about a conversation or not.
#[server(endpoint = "tickets/create")]
pub async fn create_ticket(
    workspace_id: String,
    subject: String,
    #[server(default)] priority: String,
    #[server(default)] conversation_id: String,
) -> Result<TicketDetail, ServiceError> {
    let subject = crate::services::with_status(validate_subject(&subject))?;
    let priority = match priority.as_str() {
        "" => Priority::Normal,
        value => crate::services::with_status(
            Priority::parse(value)
                .ok_or_else(|| ServiceError::invalid("priority", "Choose low, normal, high or urgent.")),
        )?,
    };
    let conversation = (!conversation_id.is_empty()).then_some(conversation_id);
    crate::services::call(|s, caller| async move {
        s.tickets.create(&caller, &workspace_id, subject, priority, conversation).await
    })
    .await
}

/// Changes a ticket's status, priority, category or assignee; each change
/// goes into its history under the caller's name.
#[server(endpoint = "tickets/update")]
pub async fn update_ticket(
    workspace_id: String,
    ticket_id: String,
    #[server(default)] status: String,
    #[server(default)] priority: String,
    #[server(default)] category: String,
    #[server(default)] assignee: String,
    #[server(default)] subject: String,
) -> Result<TicketDetail, ServiceError> {
    let change = crate::services::with_status(parse_change(&status, &priority, &category, &assignee, &subject))?;
    crate::services::call(|s, caller| async move { s.tickets.update(&caller, &workspace_id, &ticket_id, change).await })
        .await
}

/// Sets a ticket's tags: every tag it keeps, separated by commas or spaces;
/// empty removes them all (where `update_ticket`'s empty fields mean "no
/// change").
#[server(endpoint = "tickets/tag")]
pub async fn tag_ticket(
    workspace_id: String,
    ticket_id: String,
    #[server(default)] tags: String,
) -> Result<TicketDetail, ServiceError> {
    let tags = crate::services::with_status(parse_tags(&tags))?;
    let change = TicketChange { tags: Some(tags), ..TicketChange::default() };
    crate::services::call(|s, caller| async move { s.tickets.update(&caller, &workspace_id, &ticket_id, change).await })
        .await
}

/// A ticket's number as a member writes it: `12` or `#12`.
pub fn parse_ticket_number(text: &str) -> Result<i64, ServiceError> {
    text.trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ServiceError::invalid("into", "Write the number of the ticket to merge into, such as 12."))
}

/// Merges the ticket, a duplicate, into the one numbered `into`: this one
/// is closed and points there; its notes and tags go there, and its
/// requester's replies reach it. Answers the ticket merged into.
#[server(endpoint = "tickets/merge")]
pub async fn merge_ticket(workspace_id: String, ticket_id: String, into: String) -> Result<TicketDetail, ServiceError> {
    let into = crate::services::with_status(parse_ticket_number(&into))?;
    crate::services::call(|s, caller| async move { s.tickets.merge(&caller, &workspace_id, &ticket_id, into).await })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_number_is_read_with_or_without_its_sign() {
        assert_eq!(parse_ticket_number(" #12 ").unwrap(), 12);
        assert_eq!(parse_ticket_number("7").unwrap(), 7);
        for wrong in ["", "#", "twelve", "0", "-3"] {
            assert!(parse_ticket_number(wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn a_subject_is_one_clean_line_of_bounded_length() {
        assert_eq!(validate_subject("  Refund\n for  order\u{7} 1042 ").unwrap(), "Refund for order 1042");
        assert!(validate_subject(" \n ").is_err());
        assert!(validate_subject(&"x".repeat(SUBJECT_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn a_change_names_the_field_it_cannot_read() {
        let change = parse_change("pending", "", "billing", "nobody", "").unwrap();
        assert_eq!(change.status, Some(TicketStatus::Pending));
        assert_eq!(change.priority, None);
        assert_eq!(change.assignee, Some(None));
        let long = "gossip".repeat(20);
        for (fields, field) in [
            (["later", "", "", ""], "status"),
            (["", "asap", "", ""], "priority"),
            (["", "", long.as_str(), ""], "category"),
        ] {
            let ServiceError::Invalid(errors) =
                parse_change(fields[0], fields[1], fields[2], fields[3], "").unwrap_err()
            else {
                panic!("not a field error")
            };
            assert!(errors.contains_key(field), "{field}");
        }
        let retitled = parse_change("", "", "", "", "  Refund\n twice ").unwrap();
        assert_eq!((retitled.subject.as_deref(), retitled.tags), (Some("Refund twice"), None));
    }

    #[test]
    fn tags_are_plain_lowercase_words_each_once() {
        assert_eq!(parse_tags(" #VIP, refund-2026 vip  ").unwrap(), ["vip", "refund-2026"]);
        assert!(parse_tags("").unwrap().is_empty());
        let refused = |text: &str| match parse_tags(text) {
            Err(ServiceError::Invalid(errors)) => errors["tags"].clone(),
            other => panic!("{other:?}"),
        };
        assert!(refused("vip!").contains("\"vip!\" is not one"));
        assert!(refused(&"a".repeat(TAG_MAX_CHARS + 1)).contains("under 24"));
        let many: Vec<String> = (0..=MAX_TAGS).map(|n| format!("t{n}")).collect();
        assert!(refused(&many.join(",")).contains("At most 10"));
    }

    #[test]
    fn a_subject_is_the_requesters_first_words() {
        assert_eq!(subject_from("My order\nnever came"), "My order never came");
        let long = "word ".repeat(40);
        let subject = subject_from(&long);
        assert!(subject.ends_with("word…") && subject.chars().count() <= 81, "{subject}");
    }

    #[test]
    fn history_reads_as_sentences() {
        let event = |kind: &str, from: Option<&str>, to: Option<&str>| TicketEvent {
            actor: Some("Maria".into()),
            kind: kind.into(),
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            at: 0,
        };
        assert_eq!(
            event("status", Some("open"), Some("pending")).describe(),
            "Maria changed the status from Open to Pending"
        );
        assert_eq!(
            event("priority", Some("normal"), Some("urgent")).describe(),
            "Maria changed the priority from Normal to Urgent"
        );
        assert_eq!(event("assignee", None, Some("Sam")).describe(), "Maria assigned it to Sam");
        assert_eq!(event("assignee", Some("Sam"), None).describe(), "Maria unassigned it from Sam");
        let opened = TicketEvent { actor: None, ..event("opened", None, None) };
        assert_eq!(opened.describe(), "Lodestar opened the ticket");
        assert_eq!(event("tags", Some(""), Some("vip, refund")).describe(), "Maria set the tags to vip, refund");
        assert_eq!(event("tags", Some("vip"), Some("")).describe(), "Maria removed the tags");
        let routed = TicketEvent { actor: None, ..event("routed", Some("balanced"), Some("Sam")) };
        assert_eq!(routed.describe(), "Lodestar routed it to Sam (fewest open tickets)");
        assert_eq!(event("sla", Some("720000"), Some("first_reply")).describe(), "First reply target missed by 12 min");
        let raised = TicketEvent { actor: None, ..event("plan_priority", Some("enterprise"), Some("urgent")) };
        assert_eq!(
            raised.describe(),
            "Lodestar raised the priority to Urgent: the requester is on the enterprise plan"
        );
    }
}
