//! The support bot's conversations: the DTOs the widget API, the dashboard
//! and the server share, and the rules for what a visitor may send.

use serde::{Deserialize, Serialize};

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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: String,
    pub author: Author,
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
    pub created_at: i64,
}

/// Why a conversation waits for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    AskedForHuman,
    NegativeSentiment,
    NotAnswered,
}

impl FlagReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagReason::AskedForHuman => "asked_for_human",
            FlagReason::NegativeSentiment => "negative_sentiment",
            FlagReason::NotAnswered => "not_answered",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [FlagReason::AskedForHuman, FlagReason::NegativeSentiment, FlagReason::NotAnswered]
            .into_iter()
            .find(|r| r.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            FlagReason::AskedForHuman => "Asked for a person",
            FlagReason::NegativeSentiment => "Unhappy visitor",
            FlagReason::NotAnswered => "The bot could not answer",
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
fn bidi_safe(c: char) -> char {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
