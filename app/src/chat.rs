//! The support bot's conversations: the DTOs the widget API, the dashboard
//! and the server share, and the rules for what a visitor may send.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{FieldErrors, ServiceError};
use crate::plans::Product;
use crate::validate;

/// Longest visitor message, in characters.
pub const MESSAGE_MAX_CHARS: usize = 2_000;
/// How many earlier messages the bot sees with each question.
pub const HISTORY_MESSAGES: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    Negative,
    Neutral,
    Positive,
}

impl SentimentLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            SentimentLabel::Negative => "negative",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Positive => "positive",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [SentimentLabel::Negative, SentimentLabel::Neutral, SentimentLabel::Positive]
            .into_iter()
            .find(|label| label.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            SentimentLabel::Negative => "Negative",
            SentimentLabel::Neutral => "Neutral",
            SentimentLabel::Positive => "Positive",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent]
            .into_iter()
            .find(|priority| priority.as_str() == value)
    }
}

/// How a visitor's message reads: `score` runs from -1 (angry) to 1 (happy).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    pub score: f32,
    pub label: SentimentLabel,
    pub priority: Priority,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    Visitor,
    Bot,
    Agent,
}

impl Author {
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Visitor => "visitor",
            Author::Bot => "bot",
            Author::Agent => "agent",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Author::Visitor, Author::Bot, Author::Agent].into_iter().find(|a| a.as_str() == value)
    }
}

/// A passage an answer cites as `[n]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    pub number: u32,
    pub title: String,
    /// Only `http(s)` links survive; files have none.
    pub url: Option<String>,
    pub source_id: String,
    /// For a citation without a link: the cited passage as clean text
    /// (at most [`QUOTE_CHARS`]), which the widget opens in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
}

/// The longest quote a citation carries.
pub const QUOTE_CHARS: usize = 700;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: String,
    pub author: Author,
    /// Who from the team wrote an agent's message, as the visitor sees them.
    #[serde(default)]
    pub author_name: Option<String>,
    /// Plain text with `[n]` citation markers; never HTML.
    pub body: String,
    pub citations: Vec<Citation>,
    pub suggestions: Vec<String>,
    /// 0–1, for bot answers.
    pub confidence: Option<f32>,
    /// For visitor messages.
    pub sentiment: Option<Sentiment>,
    /// 1 for thumbs up, -1 for thumbs down.
    pub feedback: Option<i8>,
    /// A short note shown under the answer, e.g. that the AI provider was
    /// unavailable and this is the offline answer.
    pub note: Option<String>,
    /// A visitor's message that came by email rather than the widget.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_email: bool,
    pub created_at: i64,
}

/// Why a conversation waits for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    AskedForHuman,
    NegativeSentiment,
    NotAnswered,
    /// The visitor answered the team's email while nobody answered the chat.
    RepliedByEmail,
    /// Someone wrote to the workspace's support address.
    Emailed,
}

impl FlagReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagReason::AskedForHuman => "asked_for_human",
            FlagReason::NegativeSentiment => "negative_sentiment",
            FlagReason::NotAnswered => "not_answered",
            FlagReason::RepliedByEmail => "replied_by_email",
            FlagReason::Emailed => "emailed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            FlagReason::AskedForHuman,
            FlagReason::NegativeSentiment,
            FlagReason::NotAnswered,
            FlagReason::RepliedByEmail,
            FlagReason::Emailed,
        ]
        .into_iter()
        .find(|r| r.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            FlagReason::AskedForHuman => "Asked for a person",
            FlagReason::NegativeSentiment => "Unhappy visitor",
            FlagReason::NotAnswered => "The bot could not answer",
            FlagReason::RepliedByEmail => "Replied by email",
            FlagReason::Emailed => "Wrote to the support address",
        }
    }
}

/// What the widget needs at load: appearance, texts and behaviour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WidgetSettings {
    pub title: String,
    /// `#rrggbb`.
    pub colour: String,
    pub position: WidgetPosition,
    pub greeting: String,
    pub starters: Vec<String>,
    /// Ask for an email before the first message.
    pub ask_email: bool,
    /// Overrides the built-in language chosen from the page, e.g. `"es"`.
    pub language: Option<String>,
    /// An emoji or initials shown beside the title.
    pub avatar: String,
    pub launcher_icon: LauncherIcon,
    /// The workspace's own words for the widget's buttons (empty: built in).
    pub texts: WidgetTexts,
    /// Leave out "Powered by Lodestar" (a paid plan's choice; on Free the link shows regardless).
    pub hide_branding: bool,
}

/// Per-workspace overrides of the widget's built-in words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WidgetTexts {
    pub placeholder: String,
    pub send: String,
    pub human: String,
}

/// What the launcher button shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LauncherIcon {
    #[default]
    Chat,
    Question,
    Help,
    Sparkle,
}

impl LauncherIcon {
    pub const ALL: [LauncherIcon; 4] =
        [LauncherIcon::Chat, LauncherIcon::Question, LauncherIcon::Help, LauncherIcon::Sparkle];

    pub fn as_str(self) -> &'static str {
        match self {
            LauncherIcon::Chat => "chat",
            LauncherIcon::Question => "question",
            LauncherIcon::Help => "help",
            LauncherIcon::Sparkle => "sparkle",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.as_str() == value)
    }

    /// What the widget's launcher button shows.
    pub fn glyph(self) -> &'static str {
        match self {
            LauncherIcon::Chat => "💬",
            LauncherIcon::Question => "❓",
            LauncherIcon::Help => "🛟",
            LauncherIcon::Sparkle => "✨",
        }
    }

    pub fn label(self) -> String {
        let name = match self {
            LauncherIcon::Chat => "Speech bubble",
            LauncherIcon::Question => "Question mark",
            LauncherIcon::Help => "Lifebuoy",
            LauncherIcon::Sparkle => "Sparkles",
        };
        format!("{name} {}", self.glyph())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WidgetPosition {
    Right,
    Left,
}

impl Default for WidgetSettings {
    fn default() -> Self {
        WidgetSettings {
            title: "Chat with us".into(),
            colour: "#4f46e5".into(),
            position: WidgetPosition::Right,
            greeting: "Hi! Ask me anything about our products and services.".into(),
            starters: Vec::new(),
            ask_email: false,
            language: None,
            avatar: String::new(),
            launcher_icon: LauncherIcon::Chat,
            texts: WidgetTexts::default(),
            hide_branding: false,
        }
    }
}

/// How the bot speaks and which model it uses. Never sent to the widget:
/// the instructions are the workspace's system prompt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BotSettings {
    /// Who the bot is ("You are Sam, Acme's support assistant.").
    pub persona: String,
    /// Extra instructions, placed before the guardrails.
    pub instructions: String,
    /// A model of the deployment's provider, instead of its default (paid plans).
    pub model: Option<String>,
    /// How much of the month's answers visitors may spend, and how fast.
    pub limits: VisitorLimits,
}

/// The owner's fair-use limits on the widget (the Widget page). Anyone can
/// send the widget questions, so no one client, and no one day, may spend
/// the month's answers: past its share a client is asked to pass an
/// automatic check that costs a browser a moment and a flood far more.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VisitorLimits {
    /// Answers one visitor address (on IPv6, one /64) gets per day before
    /// the check; `None`: the plan's default.
    pub per_address_daily: Option<u32>,
    /// Answers the whole widget gives per day; `None`: the plan's default,
    /// `Some(0)`: no daily ceiling.
    pub daily_ceiling: Option<u32>,
    /// Past its share a client is refused until tomorrow instead of checked.
    pub no_challenge: bool,
}

/// The limits in force for a plan, defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveLimits {
    pub per_address_daily: u32,
    pub daily_ceiling: Option<u32>,
    pub challenge: bool,
}

impl VisitorLimits {
    /// One address's share of a day: the larger of 10 answers and 5 % of
    /// the month's quota (250 where the plan is unlimited).
    pub fn default_per_address(plan: &str) -> u32 {
        Product::SupportBot.monthly_quota(plan).map_or(250, |quota| (quota / 20).max(10))
    }

    /// The most one day may spend: half the month's quota, at least 50
    /// (no ceiling where the plan is unlimited), so that even a flood from
    /// many addresses leaves answers for the rest of the month.
    pub fn default_ceiling(plan: &str) -> Option<u32> {
        Product::SupportBot.monthly_quota(plan).map(|quota| (quota / 2).max(50))
    }

    pub fn effective(&self, plan: &str) -> EffectiveLimits {
        EffectiveLimits {
            per_address_daily: self.per_address_daily.unwrap_or_else(|| Self::default_per_address(plan)),
            daily_ceiling: match self.daily_ceiling {
                Some(0) => None,
                Some(n) => Some(n),
                None => Self::default_ceiling(plan),
            },
            challenge: !self.no_challenge,
        }
    }
}

/// A visitor's message, cleaned: control characters removed (newlines and
/// tabs kept), surrounding space trimmed, at most [`MESSAGE_MAX_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorText(String);

impl VisitorText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub fn validate_visitor_message(text: &str) -> Result<VisitorText, String> {
    let cleaned: String = text.chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').map(bidi_safe).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        return Err("Please type a message.".into());
    }
    let length = cleaned.chars().count();
    if length > MESSAGE_MAX_CHARS {
        return Err(format!("That message is {length} characters long; please keep it under {MESSAGE_MAX_CHARS}."));
    }
    Ok(VisitorText(cleaned.to_string()))
}

/// Bidirectional overrides can make stored text read differently from what
/// was sent; they become plain spaces.
pub(crate) fn bidi_safe(c: char) -> char {
    if matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
        ' '
    } else {
        c
    }
}

/// Asking for a person, in the languages the widget speaks.
pub fn asks_for_human(text: &str) -> bool {
    const PHRASES: &[&str] = &[
        "talk to a human",
        "speak to a human",
        "talk to a person",
        "speak to a person",
        "real person",
        "human agent",
        "live agent",
        "talk to someone",
        "speak to someone",
        "talk to an agent",
        "speak to an agent",
        "customer service rep",
        "hablar con una persona",
        "hablar con un humano",
        "hablar con un agente",
        "parler à un humain",
        "parler a un humain",
        "parler à quelqu'un",
        "parler à un conseiller",
        "mit einem menschen",
        "mit einem mitarbeiter",
    ];
    let lower = text.to_lowercase();
    PHRASES.iter().any(|p| lower.contains(p))
}

/// The dashboard's Widget page: everything it edits and shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidgetSetup {
    pub settings: WidgetSettings,
    pub bot: BotSettings,
    /// "ai" when the deployment has an LLM provider, else "offline".
    pub mode: String,
    /// The deployment's default model, when it has a provider.
    pub default_model: Option<String>,
    /// Whether the plan may choose its own model.
    pub can_choose_model: bool,
    /// Whether the plan may leave out "Powered by Lodestar".
    pub can_remove_branding: bool,
    /// A short-lived key for the live preview (`/widget-preview/{key}`).
    pub preview_key: String,
    /// The workspace's active publishable keys, for the embed code.
    pub keys: Vec<EmbedKey>,
    pub fair_use: FairUse,
}

/// The Widget page's fair-use panel: the plan's defaults, what is in force,
/// and today so far (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FairUse {
    pub default_per_address: u32,
    pub default_ceiling: Option<u32>,
    pub effective: EffectiveLimits,
    pub answers_today: u32,
    /// Visitor addresses that used their whole share today.
    pub clients_at_share: u32,
}

/// A new workspace's first steps, each ticked when it has happened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstSteps {
    /// A source is ready to answer from.
    pub knowledge: bool,
    /// Someone asked a test question or chatted in the preview.
    pub tested: bool,
    /// The widget's look was saved.
    pub styled: bool,
    /// A widget key names the site it may run on.
    pub installed: bool,
    /// A visitor (not the team's preview) started a conversation.
    pub conversation: bool,
}

impl FirstSteps {
    pub fn done(&self) -> usize {
        [self.knowledge, self.tested, self.styled, self.installed, self.conversation].iter().filter(|d| **d).count()
    }

    pub fn all_done(&self) -> bool {
        self.done() == 5
    }
}

/// The support bot's answers in the workspace's usage period against the
/// plan's quota: the calendar month (UTC), or on a paid plan the billing
/// period its last paid invoice paid for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BotUsage {
    pub answers: u32,
    /// `None` on plans without a monthly limit.
    pub quota: Option<u32>,
    /// When the answers start afresh (ms).
    pub resets_at: i64,
    /// The period is a paid billing period, not the calendar month.
    pub billing_period: bool,
}

impl BotUsage {
    /// Visitors now get the quota message instead of answers.
    pub fn used_up(&self) -> bool {
        self.quota.is_some_and(|quota| self.answers >= quota)
    }

    /// At 80 % or more of the quota, not yet used up.
    pub fn nearly_used_up(&self) -> bool {
        !self.used_up() && self.quota.is_some_and(|quota| u64::from(self.answers) * 5 >= u64::from(quota) * 4)
    }

    /// "this month" or "this billing period".
    pub fn period_name(&self) -> &'static str {
        if self.billing_period {
            "this billing period"
        } else {
            "this month"
        }
    }
}

/// A publishable key as the Widget page shows it (public by nature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedKey {
    pub id: String,
    pub name: String,
    pub display: String,
    pub allowed_origins: Vec<String>,
}

pub const TITLE_MAX: usize = 60;
pub const GREETING_MAX: usize = 300;
pub const STARTERS_MAX: usize = 4;
pub const STARTER_MAX: usize = 80;
pub const AVATAR_MAX: usize = 4;
pub const BUTTON_TEXT_MAX: usize = 40;
pub const PERSONA_MAX: usize = 500;
pub const INSTRUCTIONS_MAX: usize = 4000;
pub const MODEL_MAX: usize = 100;
pub const LANGUAGES: [(&str, &str); 4] = [("en", "English"), ("es", "Español"), ("fr", "Français"), ("de", "Deutsch")];

/// The Widget page's form, as typed (fields left out are empty; the
/// checkbox sends `true` only when ticked).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WidgetForm {
    pub title: String,
    pub colour: String,
    pub position: String,
    pub greeting: String,
    /// One per line.
    pub starters: String,
    pub ask_email: bool,
    pub hide_branding: bool,
    /// Empty: from the page.
    pub language: String,
    pub avatar: String,
    pub launcher_icon: String,
    pub placeholder_text: String,
    pub send_text: String,
    pub human_text: String,
    pub persona: String,
    pub instructions: String,
    pub model: String,
    /// Empty: the plan's default.
    pub per_address_daily: String,
    /// Empty: the plan's default; 0: none.
    pub daily_ceiling: String,
    pub refuse_past_share: bool,
}

/// The largest number a fair-use limit field takes.
pub const LIMIT_MAX: u32 = 10_000_000;

/// A whole number in `min..=LIMIT_MAX`, or `None` when left empty.
fn optional_count(field: &str, input: &str, min: u32, errors: &mut FieldErrors) -> Option<u32> {
    let value = input.trim().replace([',', '_', ' '], "");
    if value.is_empty() {
        return None;
    }
    match value.parse::<u32>() {
        Ok(n) if (min..=LIMIT_MAX).contains(&n) => Some(n),
        _ => {
            errors.insert(
                field.into(),
                format!("Please enter a whole number from {min} to 10,000,000, or leave it empty."),
            );
            None
        }
    }
}

fn optional_line(field: &str, input: &str, max: usize, errors: &mut FieldErrors) -> String {
    let value = validate::clean_line(input);
    if value.chars().count() > max {
        errors.insert(field.into(), format!("Please keep this under {max} characters."));
    }
    value
}

fn optional_text(field: &str, input: &str, max: usize, errors: &mut FieldErrors) -> String {
    let value = validate::clean_text(input);
    if value.chars().count() > max {
        errors.insert(field.into(), format!("Please keep this under {max} characters."));
    }
    value
}

pub fn is_hex_colour(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// Checks the Widget page's form; every problem is named by its field.
pub fn validate_widget_form(form: &WidgetForm) -> Result<(WidgetSettings, BotSettings), FieldErrors> {
    let mut errors = FieldErrors::new();
    let title =
        validate::required_line("title", &form.title, TITLE_MAX, "Please give the chat window a title.", &mut errors);
    let colour = form.colour.trim().to_ascii_lowercase();
    if !is_hex_colour(&colour) {
        errors.insert("colour".into(), "Please choose a colour like #4f46e5.".into());
    }
    let position = match form.position.as_str() {
        "left" => WidgetPosition::Left,
        "right" | "" => WidgetPosition::Right,
        _ => {
            errors.insert("position".into(), "Please choose left or right.".into());
            WidgetPosition::Right
        }
    };
    let greeting = optional_text("greeting", &form.greeting, GREETING_MAX, &mut errors);
    let starters: Vec<String> = form.starters.lines().map(validate::clean_line).filter(|s| !s.is_empty()).collect();
    if starters.len() > STARTERS_MAX {
        errors.insert("starters".into(), format!("Please list at most {STARTERS_MAX} suggestions."));
    } else if starters.iter().any(|s| s.chars().count() > STARTER_MAX) {
        errors.insert("starters".into(), format!("Please keep each suggestion under {STARTER_MAX} characters."));
    }
    let language = match form.language.trim() {
        "" => None,
        code if LANGUAGES.iter().any(|(c, _)| *c == code) => Some(code.to_owned()),
        _ => {
            errors.insert("language".into(), "Please choose one of the listed languages.".into());
            None
        }
    };
    let avatar = optional_line("avatar", &form.avatar, AVATAR_MAX, &mut errors);
    let launcher_icon = LauncherIcon::parse(form.launcher_icon.trim()).unwrap_or_else(|| {
        if !form.launcher_icon.trim().is_empty() {
            errors.insert("launcher_icon".into(), "Please choose one of the listed icons.".into());
        }
        LauncherIcon::Chat
    });
    let texts = WidgetTexts {
        placeholder: optional_line("placeholder_text", &form.placeholder_text, STARTER_MAX, &mut errors),
        send: optional_line("send_text", &form.send_text, BUTTON_TEXT_MAX, &mut errors),
        human: optional_line("human_text", &form.human_text, BUTTON_TEXT_MAX, &mut errors),
    };
    let persona = optional_text("persona", &form.persona, PERSONA_MAX, &mut errors);
    let instructions = optional_text("instructions", &form.instructions, INSTRUCTIONS_MAX, &mut errors);
    let model = form.model.trim();
    if model.len() > MODEL_MAX || !model.chars().all(|c| c.is_ascii_alphanumeric() || "._:/-@".contains(c)) {
        errors.insert("model".into(), "A model name has letters, digits and . _ : / - @ only.".into());
    }
    let limits = VisitorLimits {
        per_address_daily: optional_count("per_address_daily", &form.per_address_daily, 1, &mut errors),
        daily_ceiling: optional_count("daily_ceiling", &form.daily_ceiling, 0, &mut errors),
        no_challenge: form.refuse_past_share,
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let settings = WidgetSettings {
        title,
        colour,
        position,
        greeting,
        starters,
        ask_email: form.ask_email,
        language,
        avatar,
        launcher_icon,
        texts,
        hide_branding: form.hide_branding,
    };
    let bot = BotSettings { persona, instructions, model: (!model.is_empty()).then(|| model.to_owned()), limits };
    Ok((settings, bot))
}

/// One conversation in the dashboard's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub id: String,
    pub visitor_email: Option<String>,
    pub origin: String,
    /// The visitor's latest message, shortened.
    pub preview: String,
    pub message_count: u32,
    pub sentiment: Option<SentimentLabel>,
    pub priority: Priority,
    pub flag: Option<FlagReason>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The Conversations page's search and filters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationFilter {
    /// Words in any message.
    pub query: String,
    pub sentiment: Option<SentimentLabel>,
    pub flagged_only: bool,
    /// Unix milliseconds, inclusive.
    pub from: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub until: Option<i64>,
}

/// A conversation with every message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub conversation: ConversationSummary,
    pub messages: Vec<ChatMessage>,
}

/// Most conversations one list shows.
pub const CONVERSATIONS_PAGE: usize = 100;

/// `YYYY-MM-DD` (a date input's value) to Unix milliseconds at UTC midnight.
pub fn parse_date(value: &str) -> Option<i64> {
    let mut parts = value.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(1970..=9999).contains(&year) {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some((era * 146_097 + day_of_era - 719_468) * 86_400_000)
}

pub fn conversation_filter(
    query: &str,
    sentiment: &str,
    flagged_only: bool,
    from: &str,
    until: &str,
) -> Result<ConversationFilter, FieldErrors> {
    let mut errors = FieldErrors::new();
    let query = optional_line("query", query, 200, &mut errors);
    let sentiment = match sentiment.trim() {
        "" | "any" => None,
        other => SentimentLabel::parse(other).or_else(|| {
            errors.insert("sentiment".into(), "Please choose a listed sentiment.".into());
            None
        }),
    };
    let mut date = |field: &str, value: &str| match value.trim() {
        "" => None,
        value => parse_date(value).or_else(|| {
            errors.insert(field.into(), "Please enter a date like 2026-11-22.".into());
            None
        }),
    };
    let from = date("from", from);
    // The whole "until" day is included.
    let until = date("until", until).map(|day| day + 86_400_000);
    if let (Some(from), Some(until)) = (from, until) {
        if from >= until {
            errors.insert("until".into(), "The end date is before the start date.".into());
        }
    }
    if errors.is_empty() {
        Ok(ConversationFilter { query, sentiment, flagged_only, from, until })
    } else {
        Err(errors)
    }
}

#[server(endpoint = "chat/widget")]
pub async fn load_widget_setup(workspace_id: String) -> Result<WidgetSetup, ServiceError> {
    crate::services::call(|s, caller| async move { s.chat.widget_setup(&caller, &workspace_id).await }).await
}

#[server(endpoint = "chat/save_widget")]
pub async fn save_widget_setup(workspace_id: String, form: WidgetForm) -> Result<WidgetSetup, ServiceError> {
    let (settings, bot) = crate::services::with_status(validate_widget_form(&form).map_err(ServiceError::Invalid))?;
    crate::services::call(|s, caller| async move { s.chat.save_widget(&caller, &workspace_id, settings, bot).await })
        .await
}

#[server(endpoint = "chat/usage")]
pub async fn load_bot_usage(workspace_id: String) -> Result<BotUsage, ServiceError> {
    crate::services::call(|s, caller| async move { s.chat.usage(&caller, &workspace_id).await }).await
}

#[server(endpoint = "chat/first-steps")]
pub async fn load_first_steps(workspace_id: String) -> Result<FirstSteps, ServiceError> {
    crate::services::call(|s, caller| async move { s.chat.first_steps(&caller, &workspace_id).await }).await
}

#[server(endpoint = "chat/conversations")]
pub async fn list_conversations(
    workspace_id: String,
    #[server(default)] query: String,
    #[server(default)] sentiment: String,
    #[server(default)] flagged_only: bool,
    #[server(default)] from: String,
    #[server(default)] until: String,
) -> Result<Vec<ConversationSummary>, ServiceError> {
    let filter = crate::services::with_status(
        conversation_filter(&query, &sentiment, flagged_only, &from, &until).map_err(ServiceError::Invalid),
    )?;
    crate::services::call(|s, caller| async move { s.chat.conversations(&caller, &workspace_id, filter).await }).await
}

#[server(endpoint = "chat/transcript")]
pub async fn load_transcript(workspace_id: String, conversation_id: String) -> Result<Transcript, ServiceError> {
    crate::services::call(|s, caller| async move { s.chat.transcript(&caller, &workspace_id, &conversation_id).await })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_says_when_the_quota_is_nearly_or_wholly_used() {
        let usage = |answers, quota| BotUsage { answers, quota, resets_at: 0, billing_period: false };
        assert!(!usage(79, Some(100)).nearly_used_up() && !usage(79, Some(100)).used_up());
        assert!(usage(80, Some(100)).nearly_used_up() && !usage(80, Some(100)).used_up());
        assert!(usage(100, Some(100)).used_up() && !usage(100, Some(100)).nearly_used_up());
        assert!(!usage(1_000_000, None).used_up() && !usage(1_000_000, None).nearly_used_up());
        assert_eq!(usage(0, None).period_name(), "this month");
        assert_eq!(BotUsage { billing_period: true, ..usage(0, None) }.period_name(), "this billing period");
    }

    #[test]
    fn visitor_messages_are_cleaned_and_capped() {
        assert_eq!(validate_visitor_message("  hi\u{0007} there\n ").unwrap().as_str(), "hi there");
        assert_eq!(validate_visitor_message("a\u{202E}b").unwrap().as_str(), "a b");
        assert!(validate_visitor_message(" \u{0000} ").is_err());
        assert!(validate_visitor_message(&"x".repeat(MESSAGE_MAX_CHARS)).is_ok());
        let error = validate_visitor_message(&"é".repeat(MESSAGE_MAX_CHARS + 1)).unwrap_err();
        assert!(error.contains("2001 characters"), "{error}");
    }

    #[test]
    fn asking_for_a_person_is_recognised_in_four_languages() {
        for text in [
            "Can I talk to a human please",
            "Quiero hablar con una persona",
            "Je veux parler à un humain",
            "Kann ich mit einem Menschen sprechen?",
        ] {
            assert!(asks_for_human(text), "{text}");
        }
        assert!(!asks_for_human("How do humans use this?"));
    }

    #[test]
    fn the_widget_form_is_checked_field_by_field() {
        let good = WidgetForm {
            title: " Help ".into(),
            colour: "#0A7C66".into(),
            position: "left".into(),
            starters: "How do refunds work?\n\n  Where is my order? ".into(),
            language: "fr".into(),
            launcher_icon: "help".into(),
            model: "gpt-4o".into(),
            ..WidgetForm::default()
        };
        let (settings, bot) = validate_widget_form(&good).unwrap();
        assert_eq!((settings.title.as_str(), settings.colour.as_str()), ("Help", "#0a7c66"));
        assert_eq!(settings.starters, ["How do refunds work?", "Where is my order?"]);
        assert_eq!((settings.position, settings.launcher_icon), (WidgetPosition::Left, LauncherIcon::Help));
        assert_eq!(bot.model.as_deref(), Some("gpt-4o"));
        assert_eq!(bot.limits, VisitorLimits::default(), "empty limits are the plan's defaults");
        let limited = WidgetForm {
            per_address_daily: " 1,500 ".into(),
            daily_ceiling: "0".into(),
            refuse_past_share: true,
            ..good.clone()
        };
        let limits = validate_widget_form(&limited).unwrap().1.limits;
        assert_eq!(limits, VisitorLimits { per_address_daily: Some(1500), daily_ceiling: Some(0), no_challenge: true });
        assert_eq!(
            limits.effective("free"),
            EffectiveLimits { per_address_daily: 1500, daily_ceiling: None, challenge: false }
        );
        let bad = WidgetForm {
            title: String::new(),
            colour: "red".into(),
            starters: "a\nb\nc\nd\ne".into(),
            language: "xx".into(),
            model: "gpt 4; drop".into(),
            instructions: "x".repeat(INSTRUCTIONS_MAX + 1),
            per_address_daily: "0".into(),
            daily_ceiling: "lots".into(),
            ..WidgetForm::default()
        };
        let errors = validate_widget_form(&bad).unwrap_err();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            ["colour", "daily_ceiling", "instructions", "language", "model", "per_address_daily", "starters", "title"]
        );
    }

    #[test]
    fn fair_use_defaults_follow_the_plan() {
        let none = VisitorLimits::default();
        assert_eq!(
            none.effective("free"),
            EffectiveLimits { per_address_daily: 10, daily_ceiling: Some(50), challenge: true }
        );
        assert_eq!(
            none.effective("pro"),
            EffectiveLimits { per_address_daily: 250, daily_ceiling: Some(2500), challenge: true }
        );
        assert_eq!(none.effective("enterprise").daily_ceiling, None);
        let owner = VisitorLimits { per_address_daily: Some(3), daily_ceiling: Some(20), no_challenge: false };
        assert_eq!(
            owner.effective("pro"),
            EffectiveLimits { per_address_daily: 3, daily_ceiling: Some(20), challenge: true }
        );
    }

    #[test]
    fn conversation_filters_read_dates_as_whole_utc_days() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-11-22"), Some(1_795_305_600_000));
        assert_eq!(parse_date("2026-13-01"), None);
        let filter = conversation_filter(" refund ", "negative", true, "2026-11-22", "2026-11-22").unwrap();
        assert_eq!(filter.until.unwrap() - filter.from.unwrap(), 86_400_000);
        assert_eq!(filter.sentiment, Some(SentimentLabel::Negative));
        let errors = conversation_filter("", "furious", false, "yesterday", "").unwrap_err();
        assert_eq!(errors.len(), 2);
    }
}
