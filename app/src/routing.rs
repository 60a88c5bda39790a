//! Ticket routing: who gets a ticket nobody has taken. By hand (the
//! default: the team picks from the list), round robin (the agent routed
//! to longest ago) or balanced (the agent with the fewest open tickets),
//! always among members at the desk now and under their capacity, and,
//! where a member takes only some categories, only theirs. A ticket no one
//! can take waits in the queue and goes, oldest first, to the first agent
//! who frees up (`server/src/tickets/routing.rs`).

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ServiceError};
use crate::ticket_categories::TicketCategory;

/// Open tickets an agent holds before routing passes them by.
pub const DEFAULT_CAPACITY: u32 = 10;
pub const MAX_CAPACITY: u32 = 500;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingMode {
    /// The team assigns tickets themselves.
    #[default]
    Manual,
    /// Each ticket to the eligible agent routed to longest ago.
    RoundRobin,
    /// Each ticket to the eligible agent with the fewest open tickets.
    Balanced,
}

impl RoutingMode {
    pub const ALL: [RoutingMode; 3] = [RoutingMode::Manual, RoutingMode::RoundRobin, RoutingMode::Balanced];

    pub fn as_str(self) -> &'static str {
        match self {
            RoutingMode::Manual => "manual",
            RoutingMode::RoundRobin => "round_robin",
            RoutingMode::Balanced => "balanced",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        RoutingMode::ALL.into_iter().find(|mode| mode.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            RoutingMode::Manual => "By hand",
            RoutingMode::RoundRobin => "Round robin",
            RoutingMode::Balanced => "Balanced",
        }
    }

    pub fn explain(self) -> &'static str {
        match self {
            RoutingMode::Manual => "The team assigns tickets themselves from the list.",
            RoutingMode::RoundRobin => "Each new ticket goes to the next agent in turn.",
            RoutingMode::Balanced => "Each new ticket goes to the agent with the fewest open tickets.",
        }
    }
}

/// One member's part in routing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberRouting {
    /// Open tickets they hold at most; `None`: the workspace's.
    pub capacity: Option<u32>,
    /// The categories they take (ids); empty: every one.
    pub categories: Vec<String>,
}

/// How a workspace routes tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoutingPolicy {
    pub mode: RoutingMode,
    /// Open tickets an agent holds at most, unless their own says otherwise.
    pub capacity: u32,
    /// By member id.
    pub members: BTreeMap<String, MemberRouting>,
}

impl Default for RoutingPolicy {
    fn default() -> Self {
        RoutingPolicy { mode: RoutingMode::Manual, capacity: DEFAULT_CAPACITY, members: BTreeMap::new() }
    }
}

impl RoutingPolicy {
    pub fn capacity_of(&self, member_id: &str) -> u32 {
        self.members.get(member_id).and_then(|m| m.capacity).unwrap_or(self.capacity)
    }

    /// The categories `member_id` takes; empty: every one.
    pub fn categories_of(&self, member_id: &str) -> &[String] {
        self.members.get(member_id).map_or(&[], |m| m.categories.as_slice())
    }
}

/// A member as the routing panel shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingAgent {
    pub id: String,
    pub name: String,
    /// At the desk now (the inbox or the tickets open) and not away.
    pub online: bool,
    /// Set themselves away.
    pub away: bool,
    /// Open tickets assigned to them.
    pub open: u32,
}

/// The routing panel: the policy, the team, the categories, the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutingSetup {
    pub policy: RoutingPolicy,
    pub agents: Vec<RoutingAgent>,
    pub categories: Vec<TicketCategory>,
    /// Open tickets nobody holds.
    pub queued: u32,
    pub can_edit: bool,
}

/// One member's row as the page sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberInput {
    pub member_id: String,
    /// A number, or empty for the workspace's.
    pub capacity: String,
    pub categories: Vec<String>,
}

/// The routing form as the page sends it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoutingInput {
    pub mode: String,
    pub capacity: String,
    pub members: Vec<MemberInput>,
}

fn capacity(value: &str) -> Result<Option<u32>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    match value.parse::<u32>() {
        Ok(n) if n <= MAX_CAPACITY => Ok(Some(n)),
        _ => Err(format!("Write a number of tickets from 0 to {MAX_CAPACITY}.")),
    }
}

/// Reads the form against the workspace's categories; errors are named
/// `mode`, `capacity` or `capacity.N` (the Nth member row).
pub fn validate_routing(input: &RoutingInput, categories: &[TicketCategory]) -> Result<RoutingPolicy, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mode = RoutingMode::parse(&input.mode).unwrap_or_else(|| {
        errors.insert("mode".to_owned(), "Choose how tickets are routed.".to_owned());
        RoutingMode::Manual
    });
    let workspace_capacity = match capacity(&input.capacity) {
        Ok(Some(n)) => n,
        Ok(None) => {
            errors.insert("capacity".to_owned(), "Say how many open tickets an agent holds at most.".to_owned());
            DEFAULT_CAPACITY
        }
        Err(message) => {
            errors.insert("capacity".to_owned(), message);
            DEFAULT_CAPACITY
        }
    };
    let mut members = BTreeMap::new();
    for (at, member) in input.members.iter().enumerate() {
        let own = capacity(&member.capacity).unwrap_or_else(|message| {
            errors.insert(format!("capacity.{at}"), message);
            None
        });
        // Only the workspace's categories, each once, in the list's order.
        let taken: Vec<String> =
            categories.iter().filter(|c| member.categories.contains(&c.id)).map(|c| c.id.clone()).collect();
        if (own.is_some() || !taken.is_empty()) && !member.member_id.is_empty() {
            members.insert(member.member_id.clone(), MemberRouting { capacity: own, categories: taken });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(RoutingPolicy { mode, capacity: workspace_capacity, members })
}

#[server(endpoint = "tickets/routing")]
pub async fn load_routing(workspace_id: String) -> Result<RoutingSetup, ServiceError> {
    crate::services::call(|s, caller| async move { s.tickets.routing(&caller, &workspace_id).await }).await
}

#[server(endpoint = "tickets/save-routing")]
pub async fn save_routing(workspace_id: String, routing: RoutingInput) -> Result<RoutingSetup, ServiceError> {
    crate::services::call(|s, caller| async move { s.tickets.save_routing(&caller, &workspace_id, routing).await })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket_categories::default_categories;

    fn member(id: &str, capacity: &str, categories: &[&str]) -> MemberInput {
        MemberInput {
            member_id: id.into(),
            capacity: capacity.into(),
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn the_form_keeps_what_differs_from_the_workspace() {
        let input = RoutingInput {
            mode: "balanced".into(),
            capacity: " 8 ".into(),
            members: vec![
                member("a", "", &[]),
                member("b", "3", &[]),
                member("c", "", &["technical", "unknown", "billing", "billing"]),
            ],
        };
        let policy = validate_routing(&input, &default_categories()).unwrap();
        assert_eq!(policy.mode, RoutingMode::Balanced);
        assert_eq!(policy.capacity, 8);
        assert!(!policy.members.contains_key("a"));
        assert_eq!(policy.capacity_of("a"), 8);
        assert_eq!(policy.capacity_of("b"), 3);
        assert_eq!(policy.categories_of("c"), ["billing", "technical"]);
        assert!(policy.categories_of("a").is_empty());
    }

    #[test]
    fn mistakes_are_named() {
        let input = RoutingInput {
            mode: "lottery".into(),
            capacity: "".into(),
            members: vec![member("a", "many", &[]), member("b", "501", &[])],
        };
        let errors = validate_routing(&input, &[]).unwrap_err();
        assert_eq!(errors["mode"], "Choose how tickets are routed.");
        assert!(errors["capacity"].contains("at most"));
        assert!(errors["capacity.0"].contains("from 0 to 500"));
        assert!(errors["capacity.1"].contains("from 0 to 500"));
    }
}
