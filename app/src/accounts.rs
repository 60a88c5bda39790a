//! People: sign-up, verification, login, passwords, sessions and the account
//! itself. DTOs and validation here; storage and hashing are the server's
//! `AccountsService`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ServiceError};
use crate::permissions::Role;
use crate::validate;

pub const NAME_MAX: usize = 120;
pub const WORKSPACE_NAME_MAX: usize = 80;
pub const PASSWORD_MIN: usize = 10;
/// Hashing cost grows with input; nobody needs a longer password.
pub const PASSWORD_MAX: usize = 256;

/// What a person is here for, chosen at sign-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// "Support bot for my business": a workspace they own.
    Business,
    /// "Career mentor for me": a personal account.
    Mentor,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Business => "business",
            Purpose::Mentor => "mentor",
        }
    }

    pub fn parse(value: &str) -> Option<Purpose> {
        [Purpose::Business, Purpose::Mentor].into_iter().find(|p| p.as_str() == value)
    }
}

/// A password in memory: never serialised, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn new(value: impl Into<String>) -> Self {
        Password(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// What a sign-up form sent, untrusted.
#[derive(Debug, Clone)]
pub struct SignUpForm {
    pub name: String,
    pub email: String,
    pub password: Password,
    pub purpose: String,
    pub workspace_name: String,
    /// An invitation token when signing up from an invitation link.
    pub invitation: Option<String>,
    /// The career form someone filled in before signing up (its query
    /// string), kept as their mentor profile.
    pub career: Option<String>,
}

/// A sign-up that passed validation.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub email: String,
    pub password: Password,
    pub purpose: Purpose,
    pub workspace_name: Option<String>,
    pub invitation: Option<String>,
    /// Kept as the mentor profile; a form that does not validate is dropped
    /// rather than failing the sign-up.
    pub career: Option<crate::mentor::CareerQuery>,
}

/// A career form's query string is a few hundred bytes; anything near
/// this is not one.
const CAREER_QUERY_MAX: usize = 16 * 1024;

impl SignUpForm {
    pub fn validate(self) -> Result<NewAccount, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = validate::required_line("name", &self.name, NAME_MAX, "Please tell us your name.", &mut errors);
        let email = validate::email("email", &self.email, &mut errors);
        if let Some(problem) = password_problem(self.password.expose(), &email) {
            errors.insert("password".into(), problem);
        }
        let invitation = self.invitation.filter(|t| !t.trim().is_empty());
        let purpose = match Purpose::parse(&self.purpose) {
            Some(p) => p,
            None if invitation.is_some() => Purpose::Business,
            None => {
                errors.insert("purpose".into(), "Please choose what you are here for.".into());
                Purpose::Business
            }
        };
        let workspace_name = if purpose == Purpose::Business && invitation.is_none() {
            let fallback = if name.is_empty() { String::new() } else { format!("{name}'s workspace") };
            let typed = validate::clean_line(&self.workspace_name);
            let chosen = if typed.is_empty() { fallback } else { typed };
            if chosen.chars().count() > WORKSPACE_NAME_MAX {
                errors.insert(
                    "workspace_name".into(),
                    format!("Please keep the workspace name under {WORKSPACE_NAME_MAX} characters."),
                );
            }
            Some(chosen)
        } else {
            None
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let career = self
            .career
            .as_deref()
            .filter(|q| q.len() <= CAREER_QUERY_MAX)
            .map(crate::mentor::CareerForm::parse_query)
            .filter(|form| !form.is_blank())
            .and_then(|form| form.validate().ok());
        Ok(NewAccount { name, email, password: self.password, purpose, workspace_name, invitation, career })
    }
}

/// Why a new password is not acceptable, in words a person can act on.
pub fn password_problem(password: &str, email: &str) -> Option<String> {
    let length = password.chars().count();
    if length < PASSWORD_MIN {
        return Some(format!("Use at least {PASSWORD_MIN} characters."));
    }
    if length > PASSWORD_MAX {
        return Some(format!("Use at most {PASSWORD_MAX} characters."));
    }
    let lowered = password.to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if COMMON_PASSWORDS.contains(&lowered.as_str())
        || lowered == email
        || (local.len() >= 3 && lowered.contains(local))
        || lowered.chars().all(|c| lowered.starts_with(c))
    {
        return Some("That password is too easy to guess. Try a few unrelated words.".into());
    }
    None
}

/// The most used passwords of at least the minimum length, lower-cased.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "0123456789",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "qwertyuiop",
    "qwerty1234",
    "qwerty12345",
    "qwerty123456",
    "password12",
    "password123",
    "password1234",
    "password!1",
    "passw0rd123",
    "iloveyou12",
    "iloveyou123",
    "abcdefghij",
    "abc1234567",
    "a123456789",
    "1234qwerty",
    "1234567890a",
    "asdfghjkl1",
    "asdfghjkl;",
    "zaq12wsxcde",
    "zxcvbnm123",
    "letmein123",
    "welcome123",
    "welcome1234",
    "football123",
    "baseball123",
    "sunshine123",
    "princess123",
    "dragon1234",
    "monkey1234",
    "superman123",
    "trustno1234",
    "changeme123",
    "administrator",
    "admin12345",
    "admin123456",
    "lodestar123",
    "lodestar2026",
    "qwertyuiop1",
    "1111111111",
    "0000000000",
    "9876543210",
    "11223344556",
    "aaaaaaaaaa",
    "password2024",
    "password2025",
    "password2026",
    "summer2026!",
    "winter2026!",
    "football1",
];

/// A person's view of themselves and their workspaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub purpose: Purpose,
    pub workspaces: Vec<WorkspaceSummary>,
}

impl Viewer {
    pub fn workspace(&self, id: &str) -> Option<&WorkspaceSummary> {
        self.workspaces.iter().find(|w| w.id == id)
    }

    /// Where this person lands after logging in.
    pub fn home(&self) -> String {
        match (self.purpose, self.workspaces.first()) {
            (Purpose::Business, Some(workspace)) => format!("/app/w/{}", workspace.id),
            _ => "/mentor".to_string(),
        }
    }

    /// Where `/app` leads: the first workspace, else what the person can
    /// do without one.
    pub fn dashboard_home(&self) -> String {
        match (self.workspaces.first(), self.purpose) {
            (Some(workspace), _) => format!("/app/w/{}", workspace.id),
            (None, Purpose::Business) => "/app/new-workspace".to_string(),
            (None, Purpose::Mentor) => "/app/account".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub plan: String,
}

/// What sign-up answers. The same for a new and an existing email, so the
/// form never reveals who has an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignUpOutcome {
    CheckYourEmail {
        email: String,
    },
    /// Signed up from an invitation: the email is proven, the person is in.
    Joined {
        redirect: String,
    },
}

/// One of a person's browser sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub client_addr: String,
    pub user_agent: String,
    pub current: bool,
}

/// Only same-site paths may be a post-login destination.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local = next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\");
    // Browsers drop tabs and newlines from URLs: "/\t/evil" would become "//evil".
    (local && !next.chars().any(|c| c.is_control() || c.is_whitespace())).then(|| next.to_string())
}

#[server(endpoint = "accounts/sign-up")]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    #[server(default)] purpose: String,
    #[server(default)] workspace_name: String,
    #[server(default)] invitation: Option<String>,
    #[server(default)] career: Option<String>,
) -> Result<SignUpOutcome, ServiceError> {
    let form =
        SignUpForm { name, email, password: Password::new(password), purpose, workspace_name, invitation, career };
    let signed_up = crate::services::call(|s, caller| async move { s.accounts.sign_up(&caller, form).await }).await?;
    if let Some(cookie) = &signed_up.cookie {
        crate::services::set_cookie(cookie);
    }
    Ok(signed_up.outcome)
}

#[server(endpoint = "accounts/log-in")]
pub async fn log_in(
    email: String,
    password: String,
    #[server(default)] next: Option<String>,
) -> Result<(), ServiceError> {
    let password = Password::new(password);
    let outcome =
        crate::services::call(|s, caller| async move { s.accounts.log_in(&caller, &email, &password).await }).await?;
    crate::services::set_cookie(&outcome.cookie);
    crate::services::set_cookie(&outcome.known_browser);
    let destination = safe_next(next.as_deref()).unwrap_or(outcome.home);
    leptos_axum::redirect(&destination);
    Ok(())
}

#[server(endpoint = "accounts/log-out")]
pub async fn log_out() -> Result<(), ServiceError> {
    let cookie = crate::services::call(|s, caller| async move { s.accounts.log_out(&caller).await }).await?;
    crate::services::set_cookie(&cookie);
    leptos_axum::redirect("/login?logged_out=1");
    Ok(())
}

/// The logged-in person, or `None`.
#[server(endpoint = "accounts/viewer")]
pub async fn current_viewer() -> Result<Option<Viewer>, ServiceError> {
    crate::services::call(|s, caller| async move { s.accounts.viewer(&caller).await }).await
}

/// Confirms the email and logs the person in, on to their home.
#[server(endpoint = "accounts/verify-email")]
pub async fn verify_email(token: String) -> Result<String, ServiceError> {
    let (email, outcome) =
        crate::services::call(|s, caller| async move { s.accounts.verify_email(&caller, &token).await }).await?;
    crate::services::set_cookie(&outcome.cookie);
    crate::services::set_cookie(&outcome.known_browser);
    leptos_axum::redirect(&outcome.home);
    Ok(email)
}

/// Sends a fresh verification link; answers the same for any address.
#[server(endpoint = "accounts/resend-verification")]
pub async fn resend_verification(email: String) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move { s.accounts.resend_verification(&caller, &email).await }).await
}

/// Answers the same whether or not the email has an account.
#[server(endpoint = "accounts/request-password-reset")]
pub async fn request_password_reset(email: String) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move { s.accounts.request_password_reset(&caller, &email).await }).await
}

#[server(endpoint = "accounts/reset-password")]
pub async fn reset_password(token: String, password: String) -> Result<(), ServiceError> {
    let password = Password::new(password);
    crate::services::call(|s, caller| async move { s.accounts.reset_password(&caller, &token, &password).await }).await
}

#[server(endpoint = "accounts/change-password")]
pub async fn change_password(current_password: String, new_password: String) -> Result<(), ServiceError> {
    let (current, new) = (Password::new(current_password), Password::new(new_password));
    crate::services::call(|s, caller| async move { s.accounts.change_password(&caller, &current, &new).await }).await
}

#[server(endpoint = "accounts/update-profile")]
pub async fn update_profile(name: String) -> Result<Viewer, ServiceError> {
    crate::services::call(|s, caller| async move { s.accounts.update_profile(&caller, &name).await }).await
}

#[server(endpoint = "accounts/sessions")]
pub async fn list_sessions() -> Result<Vec<SessionSummary>, ServiceError> {
    crate::services::call(|s, caller| async move { s.accounts.list_sessions(&caller).await }).await
}

#[server(endpoint = "accounts/revoke-session")]
pub async fn revoke_session(session_id: String) -> Result<(), ServiceError> {
    crate::services::call(|s, caller| async move { s.accounts.revoke_session(&caller, &session_id).await }).await
}

/// Deletes the account for good. `confirm` must be the person's email.
#[server(endpoint = "accounts/delete")]
pub async fn delete_account(password: String, confirm: String) -> Result<(), ServiceError> {
    let password = Password::new(password);
    let cookie =
        crate::services::call(|s, caller| async move { s.accounts.delete_account(&caller, &password, &confirm).await })
            .await?;
    crate::services::set_cookie(&cookie);
    leptos_axum::redirect("/?account_deleted=1");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(password: &str, purpose: &str) -> SignUpForm {
        SignUpForm {
            name: " Ada ".into(),
            email: "Ada@Example.com".into(),
            password: Password::new(password),
            purpose: purpose.into(),
            workspace_name: String::new(),
            invitation: None,
            career: None,
        }
    }

    #[test]
    fn a_career_form_filled_before_signing_up_comes_along_when_it_is_valid() {
        let kept = SignUpForm {
            career: Some("interest=data+science&experience=mid&skills=Python".into()),
            ..form("correct horse battery", "mentor")
        };
        let career = kept.validate().unwrap().career.expect("kept");
        assert_eq!((career.interest(), career.skills()), ("data science", &["Python".to_string()][..]));
        for dropped in ["", "experience=wizard&interest=x", "nonsense"] {
            let form = SignUpForm { career: Some(dropped.into()), ..form("correct horse battery", "mentor") };
            assert!(form.validate().unwrap().career.is_none(), "{dropped:?}");
        }
    }

    #[test]
    fn a_business_sign_up_gets_a_default_workspace_name() {
        let account = form("correct horse battery", "business").validate().unwrap();
        assert_eq!(account.email, "ada@example.com");
        assert_eq!(account.workspace_name.as_deref(), Some("Ada's workspace"));
        let mentor = form("correct horse battery", "mentor").validate().unwrap();
        assert_eq!(mentor.workspace_name, None);
    }

    #[test]
    fn weak_passwords_are_refused() {
        for weak in [
            "short",
            "password123",
            "QWERTYUIOP",
            "aaaaaaaaaaaa",
            "ada@example.com",
            "my-ada-password",
            &"x".repeat(300),
        ] {
            let errors = form(weak, "business").validate().unwrap_err();
            assert!(errors.contains_key("password"), "{weak:?} was accepted");
        }
        assert!(form("business", "nonsense").validate().unwrap_err().contains_key("purpose"));
    }

    #[test]
    fn passwords_never_print() {
        assert_eq!(format!("{:?}", Password::new("hunter2hunter2")), "Password(…)");
    }

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/app/w/1")), Some("/app/w/1".into()));
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "/a\r\nSet-Cookie: x",
            "/\t/evil.example",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
    }
}
