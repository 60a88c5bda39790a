//! The emails billing sends: to a workspace's owners, or to the person whose
//! mentor plan it is. Each follows a change of the stored billing (a failed
//! renewal, a plan changed, a cancellation scheduled, a trial ending), so a
//! repeated event, which changes nothing, sends nothing again.

use app::dates::long_date;
use app::plans::Tier;
use sqlx::AnyPool;

use super::accounts::PayerKey;
use super::sync::Notice;
use crate::accounts::mailer::Email;

/// Who is told, and what their billing page is.
pub struct Recipient {
    pub email: String,
    pub name: String,
    /// "Demo Store's" or "your".
    pub whose: String,
    pub billing_link: String,
}

/// Who is told: a workspace's active owners, or the person.
pub async fn recipients(db: &AnyPool, key: &PayerKey, public_url: &str) -> Result<Vec<Recipient>, sqlx::Error> {
    if key.kind == "workspace" {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT u.email, u.name, w.name FROM memberships m JOIN users u ON u.id = m.user_id
             JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.workspace_id = $1 AND m.role = 'owner' AND m.suspended_at IS NULL ORDER BY m.created_at",
        )
        .bind(&key.owner_id)
        .fetch_all(db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(email, name, workspace)| Recipient {
                email,
                name,
                whose: format!("{workspace}'s"),
                billing_link: format!("{public_url}/app/w/{}/billing", key.owner_id),
            })
            .collect())
    } else {
        Ok(person(db, &key.owner_id)
            .await?
            .map(|(email, name)| Recipient {
                email,
                name,
                whose: "your".into(),
                billing_link: format!("{public_url}/app/account"),
            })
            .into_iter()
            .collect())
    }
}

/// A person's email and name.
pub async fn person(db: &AnyPool, id: &str) -> Result<Option<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT email, name FROM users WHERE id = $1").bind(id).fetch_optional(db).await
}

/// The email for `notice`.
pub fn email(to: &Recipient, key: &PayerKey, notice: &Notice) -> Email {
    let product = if key.kind == "workspace" { "Lodestar plan" } else { "career mentor plan" };
    let (subject, body) = match notice {
        Notice::PaymentFailed { grace_ends_at } => (
            format!("Payment failed for {} {product}", to.whose),
            format!(
                "We could not take the payment that renews {} {product}. Nothing is lost and everything keeps \
                 working until {}; after that the plan returns to Free limits until the payment goes through.\n\n\
                 Update the card on the billing page:",
                to.whose,
                long_date(*grace_ends_at)
            ),
        ),
        Notice::PlanChanged { from, to: now } => (
            format!("{} {product} is now {}", capitalised(&to.whose), now.label()),
            match (from, now) {
                (_, Tier::Free) => format!(
                    "{} {product} is back on Free, so Free limits apply from now on. Nothing was deleted: \
                     subscribe again at any time to lift them.",
                    capitalised(&to.whose)
                ),
                (Tier::Free, _) => {
                    format!("Thank you: {} {product} is now {}. Its limits apply at once.", to.whose, now.label())
                }
                _ => format!("{} {product} changed from {} to {}.", capitalised(&to.whose), from.label(), now.label()),
            },
        ),
        Notice::CancellationScheduled { at } => (
            format!("{} {product} will end on {}", capitalised(&to.whose), long_date(*at)),
            format!(
                "As asked, {} {product} will not renew: it stays as it is until {}, then returns to Free \
                 (nothing is deleted). Changed your mind? Renew it from the billing page before then.",
                to.whose,
                long_date(*at)
            ),
        ),
    };
    Email {
        to: to.email.clone(),
        subject,
        text: format!("Hi {},\n\n{body}\n\n{}\n", to.name, to.billing_link),
        link: to.billing_link.clone(),
        thread: None,
    }
}

/// The email a trial's coming end asks for (`customer.subscription.trial_will_end`).
pub fn trial_ending(to: &Recipient, key: &PayerKey, ends: i64) -> Email {
    let product = if key.kind == "workspace" { "Lodestar" } else { "the career mentor" };
    Email {
        to: to.email.clone(),
        subject: format!("Your trial of {product} ends on {}", long_date(ends)),
        text: format!(
            "Hi {},\n\nThe trial ends on {}. With a card on file the plan simply continues; without one it \
             returns to Free limits (nothing is deleted).\n\n{}\n",
            to.name,
            long_date(ends),
            to.billing_link
        ),
        link: to.billing_link.clone(),
        thread: None,
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
