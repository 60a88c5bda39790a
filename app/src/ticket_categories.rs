//! What tickets are about: a workspace's categories, each with example
//! messages that teach the local classifier (`server/src/tickets/categories.rs`)
//! and, optionally, the least priority its tickets get. "Other" is always
//! there: it is what a ticket like none of the examples gets. Until a
//! workspace saves its own, it has the defaults below.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::chat::Priority;
use crate::error::{FieldErrors, ServiceError};

pub const OTHER: &str = "other";
pub const MAX_CATEGORIES: usize = 12;
pub const MAX_EXAMPLES: usize = 20;
pub const MAX_EXAMPLE_CHARS: usize = 200;
pub const MAX_LABEL_CHARS: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketCategory {
    /// Stable: tickets keep it when the label changes.
    pub id: String,
    pub label: String,
    /// Messages such a ticket starts with.
    pub examples: Vec<String>,
    /// Its tickets are at least this urgent.
    pub priority: Option<Priority>,
}

fn category(id: &str, label: &str, examples: &[&str], priority: Option<Priority>) -> TicketCategory {
    TicketCategory {
        id: id.to_owned(),
        label: label.to_owned(),
        examples: examples.iter().map(|e| (*e).to_owned()).collect(),
        priority,
    }
}

/// What every workspace starts with.
pub fn default_categories() -> Vec<TicketCategory> {
    vec![
        category(
            "billing",
            "Billing",
            &[
                "I was charged twice this month",
                "Can I get a refund for my order?",
                "My payment was declined",
                "Where can I download my invoice?",
                "Why is my bill higher than last month?",
                "Please cancel my subscription and stop charging my card",
            ],
            None,
        ),
        category(
            "technical",
            "Technical",
            &[
                "The app crashes when I open it",
                "I get an error when I try to save",
                "The page won't load",
                "The integration stopped syncing",
                "It is very slow and keeps timing out",
                "The button does nothing when I click it",
            ],
            None,
        ),
        category(
            "account",
            "Account",
            &[
                "I can't log in to my account",
                "I forgot my password",
                "How do I change the email on my account?",
                "Please delete my account",
                "I'm locked out after too many attempts",
                "How do I add a colleague to my account?",
            ],
            None,
        ),
        category(
            "feature_request",
            "Feature request",
            &[
                "It would be great if you could add dark mode",
                "Could you support exporting to Excel?",
                "Please add an integration with Slack",
                "I wish I could schedule reports",
                "Do you plan to offer a mobile app?",
            ],
            None,
        ),
        category(OTHER, "Other", &[], None),
    ]
}

/// The label of `id` among `categories` (the id itself when unknown).
pub fn label_of<'a>(categories: &'a [TicketCategory], id: &'a str) -> &'a str {
    categories.iter().find(|c| c.id == id).map_or(id, |c| c.label.as_str())
}

/// One category as the page edits it; a field left out is empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CategoryInput {
    /// Empty for a new one.
    pub id: String,
    pub label: String,
    /// One per line.
    pub examples: String,
    /// `low`, `normal`, `high`, `urgent`, or empty.
    pub priority: String,
}

impl From<&TicketCategory> for CategoryInput {
    fn from(category: &TicketCategory) -> Self {
        CategoryInput {
            id: category.id.clone(),
            label: category.label.clone(),
            examples: category.examples.join("\n"),
            priority: category.priority.map(|p| p.as_str().to_owned()).unwrap_or_default(),
        }
    }
}

/// An id from a label: `Feature request` → `feature_request`.
fn slug(label: &str) -> String {
    let mut slug = String::new();
    for c in label.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('_') {
            slug.push('_');
        }
    }
    let slug = slug.trim_end_matches('_');
    slug.chars().take(MAX_LABEL_CHARS).collect()
}

/// Reads the page's categories; errors are named `label.N`, `examples.N`
/// (N from 0) or `categories`. "Other" is kept last whatever was sent.
pub fn validate_categories(inputs: &[CategoryInput]) -> Result<Vec<TicketCategory>, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut categories: Vec<TicketCategory> = Vec::new();
    let mut other = default_categories().pop().expect("the defaults end with Other");
    for (at, input) in inputs.iter().enumerate() {
        let label: String = input.label.split_whitespace().collect::<Vec<_>>().join(" ");
        let examples: Vec<String> = input
            .examples
            .lines()
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|line| !line.is_empty())
            .collect();
        let priority = match input.priority.as_str() {
            "" => None,
            value => Priority::parse(value),
        };
        if input.id == OTHER {
            other.label = if label.is_empty() { other.label } else { label };
            other.priority = priority;
            continue;
        }
        if label.is_empty() {
            errors.insert(format!("label.{at}"), "Give the category a name.".to_owned());
        } else if label.chars().count() > MAX_LABEL_CHARS {
            errors.insert(format!("label.{at}"), format!("Keep names under {MAX_LABEL_CHARS} characters."));
        } else if categories.iter().any(|c| c.label.eq_ignore_ascii_case(&label))
            || label.eq_ignore_ascii_case(&other.label)
        {
            errors.insert(format!("label.{at}"), format!("There is already a category named {label}."));
        }
        if examples.is_empty() {
            errors.insert(
                format!("examples.{at}"),
                format!("Give {} at least one example message.", if label.is_empty() { "it" } else { &label }),
            );
        } else if examples.len() > MAX_EXAMPLES {
            errors.insert(format!("examples.{at}"), format!("At most {MAX_EXAMPLES} examples per category."));
        } else if examples.iter().any(|e| e.chars().count() > MAX_EXAMPLE_CHARS) {
            errors.insert(format!("examples.{at}"), format!("Keep each example under {MAX_EXAMPLE_CHARS} characters."));
        }
        let id = if input.id.is_empty() { slug(&label) } else { input.id.chars().take(64).collect() };
        let id = if id.is_empty() || id == OTHER || categories.iter().any(|c| c.id == id) {
            format!("category_{}", at + 1)
        } else {
            id
        };
        categories.push(TicketCategory { id, label, examples, priority });
    }
    if categories.len() + 1 > MAX_CATEGORIES {
        errors.insert("categories".to_owned(), format!("At most {MAX_CATEGORIES} categories, Other included."));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    categories.push(other);
    Ok(categories)
}

/// The categories as the settings page shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategorySetup {
    pub categories: Vec<TicketCategory>,
    pub can_edit: bool,
}

#[server(endpoint = "tickets/categories")]
pub async fn load_ticket_categories(workspace_id: String) -> Result<CategorySetup, ServiceError> {
    crate::services::call(|s, caller| async move { s.tickets.categories(&caller, &workspace_id).await }).await
}

#[server(endpoint = "tickets/save-categories")]
pub async fn save_ticket_categories(
    workspace_id: String,
    categories: Vec<CategoryInput>,
) -> Result<CategorySetup, ServiceError> {
    let categories = crate::services::with_status(validate_categories(&categories).map_err(ServiceError::Invalid))?;
    crate::services::call(
        |s, caller| async move { s.tickets.save_categories(&caller, &workspace_id, categories).await },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_keep_their_ids_get_new_ones_from_names_and_end_with_other() {
        let mut inputs: Vec<CategoryInput> = default_categories().iter().map(CategoryInput::from).collect();
        inputs.remove(1);
        inputs.push(CategoryInput {
            label: " Shipping  & delivery ".into(),
            examples: "Where is my parcel?\n\n My order hasn't arrived ".into(),
            priority: "high".into(),
            ..CategoryInput::default()
        });
        let saved = validate_categories(&inputs).unwrap();
        let ids: Vec<&str> = saved.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["billing", "account", "feature_request", "shipping_delivery", OTHER]);
        assert_eq!(saved[3].examples, ["Where is my parcel?", "My order hasn't arrived"]);
        assert_eq!(saved[3].priority, Some(Priority::High));
        assert_eq!(label_of(&saved, "shipping_delivery"), "Shipping & delivery");
        // Other stays, even when left out.
        assert_eq!(validate_categories(&[]).unwrap().len(), 1);
    }

    #[test]
    fn mistakes_are_named_by_row() {
        let row = |label: &str, examples: &str| CategoryInput {
            label: label.into(),
            examples: examples.into(),
            ..CategoryInput::default()
        };
        let errors = validate_categories(&[row("", "x"), row("Billing", ""), row("billing", "y"), row("Other", "z")])
            .unwrap_err();
        assert_eq!(errors["label.0"], "Give the category a name.");
        assert!(errors["examples.1"].contains("at least one example"));
        assert!(errors["label.2"].contains("already a category named billing"));
        assert!(errors["label.3"].contains("already"));
        let many: Vec<CategoryInput> = (0..MAX_CATEGORIES).map(|i| row(&format!("C{i}"), "x")).collect();
        assert!(validate_categories(&many).unwrap_err().contains_key("categories"));
    }
}
