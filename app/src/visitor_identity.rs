//! Identified visitors: a business that knows who is signed in on its site
//! tells the widget, with a token its own server signs (an HS256 JWT under
//! the workspace's identity secret, as Intercom's Messenger security does),
//! so the team sees the customer's name, email and plan, and a plan can
//! raise the priority of the customer's tickets. The claims are read here;
//! the server checks the signature (`server/src/chat/identity.rs`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::chat::Priority;
use crate::error::ServiceError;
use crate::validate::{clean_line, is_plausible_email, EMAIL_MAX};

/// A visitor as the business's token names them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentifiedVisitor {
    /// The business's own id for the person (the token's `sub`).
    pub user_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Their plan with the business, as the business names it ("enterprise").
    pub plan: Option<String>,
}

impl IdentifiedVisitor {
    /// What the token claims, cleaned; an error names what is wrong, for
    /// the developer who wrote the token.
    pub fn from_claims(sub: &str, name: Option<&str>, email: Option<&str>, plan: Option<&str>) -> Result<Self, String> {
        let user_id = clean_line(sub);
        if user_id.is_empty() || user_id.chars().count() > USER_ID_MAX_CHARS {
            return Err(format!(
                "The identity token's \"sub\" must be the user's id, 1 to {USER_ID_MAX_CHARS} characters."
            ));
        }
        // Shown to the team: no direction overrides that make a name read otherwise.
        let optional = |value: Option<&str>| {
            value
                .map(|v| clean_line(&v.chars().map(crate::chat::bidi_safe).collect::<String>()))
                .filter(|v| !v.is_empty())
        };
        let name = optional(name).map(|name| name.chars().take(NAME_MAX_CHARS).collect());
        let email = optional(email).map(|email| email.to_lowercase());
        if let Some(email) = &email {
            if email.len() > EMAIL_MAX || !is_plausible_email(email) {
                return Err(format!("The identity token's \"email\" is not an email address: {email}."));
            }
        }
        let plan = match optional(plan) {
            Some(plan) => Some(plan_name(&plan).ok_or_else(|| {
                format!("The identity token's \"plan\" must be a plan's name, up to {PLAN_MAX_CHARS} letters, digits, spaces or dashes: {plan}.")
            })?),
            None => None,
        };
        Ok(IdentifiedVisitor { user_id, name, email, plan })
    }

    /// "Dana Reyes · Enterprise plan", for the team's pages.
    pub fn summary(&self) -> String {
        let who = self.name.clone().or_else(|| self.email.clone()).unwrap_or_else(|| self.user_id.clone());
        match &self.plan {
            Some(plan) => format!("{who} · {} plan", capitalised(plan)),
            None => who,
        }
    }
}

pub const USER_ID_MAX_CHARS: usize = 200;
pub const NAME_MAX_CHARS: usize = 80;
pub const PLAN_MAX_CHARS: usize = 40;
/// Plans a workspace may rank.
pub const MAX_PLANS: usize = 20;

/// A plan's name as compared: trimmed, lower case, inner spaces single;
/// `None` unless it is letters, digits, spaces, dashes or underscores.
pub fn plan_name(text: &str) -> Option<String> {
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let fits = !name.is_empty() && name.chars().count() <= PLAN_MAX_CHARS;
    (fits && name.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))).then_some(name)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The least priority a plan's tickets get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanPriority {
    pub plan: String,
    pub priority: Priority,
}

/// The priority `plan` raises a ticket to, if the workspace ranks it.
pub fn plan_priority(ranked: &[PlanPriority], plan: Option<&str>) -> Option<Priority> {
    let plan = plan_name(plan?)?;
    ranked.iter().find(|ranked| ranked.plan == plan).map(|ranked| ranked.priority)
}

/// The typed form: `enterprise: urgent, pro: high`, one plan per line or
/// between commas. Each plan once; at most [`MAX_PLANS`].
pub fn parse_plan_priorities(text: &str) -> Result<Vec<PlanPriority>, ServiceError> {
    let refuse = |message: String| ServiceError::invalid("plans", message);
    let mut ranked: Vec<PlanPriority> = Vec::new();
    for entry in text.split([',', '\n']).map(str::trim).filter(|e| !e.is_empty()) {
        let Some((plan, priority)) = entry.rsplit_once(':') else {
            return Err(refuse(format!("Write each plan as \"plan: priority\": \"{entry}\" has no colon.")));
        };
        let plan = plan_name(plan).ok_or_else(|| {
            refuse(format!(
                "\"{}\" is not a plan's name: letters, digits, spaces and dashes, up to {PLAN_MAX_CHARS}.",
                plan.trim()
            ))
        })?;
        let priority = Priority::parse(&priority.trim().to_lowercase()).ok_or_else(|| {
            refuse(format!("\"{}\" is not a priority: use low, normal, high or urgent.", priority.trim()))
        })?;
        if ranked.iter().any(|r| r.plan == plan) {
            return Err(refuse(format!("The plan \"{plan}\" is there twice.")));
        }
        ranked.push(PlanPriority { plan, priority });
    }
    if ranked.len() > MAX_PLANS {
        return Err(refuse(format!("Rank at most {MAX_PLANS} plans.")));
    }
    Ok(ranked)
}

/// The typed form of a saved list, one plan per line.
pub fn format_plan_priorities(ranked: &[PlanPriority]) -> String {
    ranked.iter().map(|r| format!("{}: {}", r.plan, r.priority.as_str())).collect::<Vec<_>>().join("\n")
}

/// The identity panel of the Settings page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentitySetup {
    /// The secret the business's server signs tokens with; only for those
    /// who configure the widget.
    pub secret: Option<String>,
    pub plans: Vec<PlanPriority>,
    /// The caller may rank plans (configures the desk).
    pub can_rank: bool,
}

#[server(endpoint = "desk/identity")]
pub async fn load_identity(workspace_id: String) -> Result<IdentitySetup, ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.identity(&caller, &workspace_id).await }).await
}

/// A new secret: tokens signed with the old one stop working at once.
#[server(endpoint = "desk/rotate-identity-secret")]
pub async fn rotate_identity_secret(workspace_id: String) -> Result<IdentitySetup, ServiceError> {
    crate::services::call(|s, caller| async move { s.desk.rotate_identity_secret(&caller, &workspace_id).await }).await
}

#[server(endpoint = "desk/save-plan-priorities")]
pub async fn save_plan_priorities(workspace_id: String, plans: String) -> Result<IdentitySetup, ServiceError> {
    let plans = crate::services::with_status(parse_plan_priorities(&plans))?;
    crate::services::call(|s, caller| async move { s.desk.save_plan_priorities(&caller, &workspace_id, plans).await })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_ranked_from_the_typed_form_and_matched_whatever_their_case() {
        let ranked = parse_plan_priorities("Enterprise: urgent, pro : HIGH\n\n  Team  plan: normal").unwrap();
        assert_eq!(format_plan_priorities(&ranked), "enterprise: urgent\npro: high\nteam plan: normal");
        assert_eq!(plan_priority(&ranked, Some(" ENTERPRISE ")), Some(Priority::Urgent));
        assert_eq!(plan_priority(&ranked, Some("team   plan")), Some(Priority::Normal));
        assert_eq!(plan_priority(&ranked, Some("free")), None);
        assert_eq!(plan_priority(&ranked, None), None);
        assert_eq!(parse_plan_priorities("").unwrap(), vec![]);
    }

    #[test]
    fn a_wrong_plan_line_is_named() {
        let message = |text: &str| match parse_plan_priorities(text) {
            Err(ServiceError::Invalid(fields)) => fields["plans"].clone(),
            other => panic!("{other:?}"),
        };
        assert!(message("enterprise urgent").contains("has no colon"));
        assert!(message("pro: soon").contains("\"soon\" is not a priority"));
        assert!(message("pro: high, Pro: low").contains("there twice"));
        assert!(message("<b>: high").contains("not a plan's name"));
        let many: Vec<String> = (0..=MAX_PLANS).map(|n| format!("p{n}: high")).collect();
        assert!(message(&many.join(",")).contains("at most 20"));
    }

    #[test]
    fn claims_are_cleaned_and_a_wrong_one_says_which() {
        let visitor =
            IdentifiedVisitor::from_claims(" u-42 ", Some("Dana Reyes"), Some("Dana@Example.com"), Some("Enterprise"))
                .unwrap();
        assert_eq!(visitor.user_id, "u-42");
        assert_eq!(visitor.email.as_deref(), Some("dana@example.com"));
        assert_eq!(visitor.plan.as_deref(), Some("enterprise"));
        assert_eq!(visitor.summary(), "Dana Reyes · Enterprise plan");
        let spoofed = IdentifiedVisitor::from_claims("u", Some("Ana\u{202E}nimda"), None, None).unwrap();
        assert_eq!(spoofed.name.as_deref(), Some("Ana nimda"));
        let bare = IdentifiedVisitor::from_claims("u-7", None, Some(""), None).unwrap();
        assert_eq!((bare.summary(), bare.email), ("u-7".to_owned(), None));
        assert!(IdentifiedVisitor::from_claims("", None, None, None).unwrap_err().contains("\"sub\""));
        assert!(IdentifiedVisitor::from_claims("u", None, Some("nope"), None).unwrap_err().contains("\"email\""));
        assert!(IdentifiedVisitor::from_claims("u", None, None, Some("gold!")).unwrap_err().contains("\"plan\""));
    }
}
