//! Contact sales: the Enterprise enquiry form on the pricing page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ServiceError};
use crate::validate::{clean_line, clean_text, is_plausible_email, EMAIL_MAX};

pub const NAME_MAX: usize = 120;
pub const COMPANY_MAX: usize = 200;
pub const MESSAGE_MAX: usize = 4000;

/// What the visitor typed, untrusted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactSalesForm {
    pub name: String,
    pub email: String,
    pub company: String,
    pub message: String,
}

/// A lead that passed validation. Only [`ContactSalesForm::validate`] makes
/// one, so a service that receives it never sees unchecked input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLead {
    name: String,
    email: String,
    company: Option<String>,
    message: String,
}

impl NewLead {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn email(&self) -> &str {
        &self.email
    }
    pub fn company(&self) -> Option<&str> {
        self.company.as_deref()
    }
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// What the page shows once a lead is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeadReceipt {
    pub reference: String,
    pub email: String,
}

impl ContactSalesForm {
    pub fn validate(&self) -> Result<NewLead, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = clean_line(&self.name);
        let email = self.email.trim().to_ascii_lowercase();
        let company = clean_line(&self.company);
        let message = clean_text(&self.message);

        if name.is_empty() {
            errors.insert("name".into(), "Please tell us your name.".into());
        } else if name.chars().count() > NAME_MAX {
            errors.insert("name".into(), format!("Please keep your name under {NAME_MAX} characters."));
        }
        if email.is_empty() {
            errors.insert("email".into(), "Please enter your work email.".into());
        } else if email.len() > EMAIL_MAX || !is_plausible_email(&email) {
            errors.insert("email".into(), "Please enter a valid email address, like name@company.com.".into());
        }
        if company.chars().count() > COMPANY_MAX {
            errors.insert("company".into(), format!("Please keep the company name under {COMPANY_MAX} characters."));
        }
        if message.is_empty() {
            errors.insert("message".into(), "Please tell us a little about what you need.".into());
        } else if message.chars().count() > MESSAGE_MAX {
            errors.insert("message".into(), format!("Please keep your message under {MESSAGE_MAX} characters."));
        }

        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewLead { name, email, company: (!company.is_empty()).then_some(company), message })
    }
}

/// Stores an Enterprise enquiry. Thin: validation is [`ContactSalesForm::validate`],
/// storage is the server's `SalesService`.
#[server(endpoint = "contact-sales")]
pub async fn submit_contact_sales(
    name: String,
    email: String,
    company: String,
    message: String,
) -> Result<LeadReceipt, ServiceError> {
    let form = ContactSalesForm { name, email, company, message };
    crate::services::call(|s, _caller| async move { s.sales.submit_lead(&form).await }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(email: &str, message: &str) -> ContactSalesForm {
        ContactSalesForm {
            name: "  Ada \t Lovelace ".into(),
            email: email.into(),
            company: "".into(),
            message: message.into(),
        }
    }

    #[test]
    fn accepts_a_good_lead_and_normalises_it() {
        let lead = form(" Ada@Example.COM ", "We have 40 agents.\r\nCan you help?").validate().unwrap();
        assert_eq!(lead.name(), "Ada Lovelace");
        assert_eq!(lead.email(), "ada@example.com");
        assert_eq!(lead.company(), None);
        assert_eq!(lead.message(), "We have 40 agents.\nCan you help?");
    }

    #[test]
    fn rejects_bad_emails() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a b@example.com",
            "ada@exa mple.com",
            "ada@-example.com",
            "ada..x@example.com",
            "ada@example.c0m",
        ] {
            let errors = form(bad, "hello").validate().unwrap_err();
            assert!(errors.contains_key("email"), "{bad:?} was accepted");
        }
    }

    #[test]
    fn rejects_empty_and_oversized_fields() {
        let errors = ContactSalesForm {
            name: "\u{7}  ".into(),
            email: "ada@example.com".into(),
            company: "x".repeat(COMPANY_MAX + 1),
            message: "y".repeat(MESSAGE_MAX + 1),
        }
        .validate()
        .unwrap_err();
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["company", "message", "name"]);
        let blank = form("ada@example.com", " \n ").validate().unwrap_err();
        assert!(blank.contains_key("message"));
    }

    #[test]
    fn strips_control_characters_but_keeps_text() {
        let lead = form("ada@example.com", "hi\u{0}\u{1b}[31m there").validate().unwrap();
        assert_eq!(lead.message(), "hi[31m there");
    }
}
