//! Input cleaning shared by every form: what a person typed is untrusted.

use crate::error::FieldErrors;

/// One line of text: trimmed, with control characters and runs of
/// whitespace collapsed to single spaces.
pub fn clean_line(input: &str) -> String {
    input
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Free text: keeps line breaks, drops other control characters.
pub fn clean_text(input: &str) -> String {
    input
        .replace("\r\n", "\n")
        .chars()
        .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

pub const EMAIL_MAX: usize = 254;

/// A trimmed, lower-cased email, or the field error to show.
pub fn email(field: &str, input: &str, errors: &mut FieldErrors) -> String {
    let email = input.trim().to_ascii_lowercase();
    if email.is_empty() {
        errors.insert(field.into(), "Please enter your email address.".into());
    } else if email.len() > EMAIL_MAX || !is_plausible_email(&email) {
        errors.insert(field.into(), "Please enter a valid email address, like name@company.com.".into());
    }
    email
}

/// A required single line of at most `max` characters.
pub fn required_line(field: &str, input: &str, max: usize, missing: &str, errors: &mut FieldErrors) -> String {
    let value = clean_line(input);
    if value.is_empty() {
        errors.insert(field.into(), missing.into());
    } else if value.chars().count() > max {
        errors.insert(field.into(), format!("Please keep this under {max} characters."));
    }
    value
}

/// A deliberately simple check: one `@`, a non-empty local part, and a
/// dotted domain made of letters, digits and hyphens. Deliverability is
/// proved by replying, not by a regex.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}
