//! The mentor's offline answers: what a question asks (by cue phrases,
//! see [`Intent`]), which recommended role it is about, and an answer
//! composed from the person's results with the figures and the O*NET rows
//! it used. No model writes anything here, so nothing is made up: every
//! number comes from the same results the `/mentor` page shows.

use app::mentor::{weeks_text, CareerResults, RoleMatch};
use app::mentor_chat::STARTERS;

/// What a question asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    WhyRole,
    LearnFirst,
    TimeToReady,
    Adjacent,
    Readiness,
    Duties,
    SkillsNeeded,
    Compare,
    /// Nothing recognised: what the mentor can answer.
    Help,
}

/// Cue phrases per intent, matched on the question's lower-cased words;
/// a phrase of several words counts for more than one word.
const CUES: [(Intent, &[&str]); 8] = [
    (
        Intent::WhyRole,
        &[
            "why",
            "recommend",
            "recommended",
            "reason",
            "reasons",
            "suit",
            "suits",
            "fit for",
            "good match",
            "chosen",
            "chose",
            "picked",
        ],
    ),
    (
        Intent::LearnFirst,
        &[
            "learn first",
            "first",
            "start",
            "begin",
            "next step",
            "focus on",
            "priority",
            "prioritise",
            "prioritize",
            "learn next",
            "study",
            "where do i start",
            "what should i learn",
        ],
    ),
    (
        Intent::TimeToReady,
        &[
            "how long",
            "weeks",
            "months",
            "when will",
            "job-ready",
            "job ready",
            "how soon",
            "timeline",
            "time will",
            "take me",
            "ready by",
        ],
    ),
    (
        Intent::Adjacent,
        &[
            "adjacent",
            "other roles",
            "other jobs",
            "alternative",
            "alternatives",
            "similar",
            "related",
            "move to",
            "switch",
            "next door",
            "pivot",
            "instead",
        ],
    ),
    (
        Intent::Readiness,
        &["how ready", "readiness", "score", "percent", "chances", "confidence", "qualified", "am i ready", "my level"],
    ),
    (
        Intent::Duties,
        &[
            "what does",
            "what do",
            "day to day",
            "all day",
            "tasks",
            "describe",
            "duties",
            "what is a",
            "what's a",
            "responsibilities",
            "like to work as",
        ],
    ),
    (
        Intent::SkillsNeeded,
        &[
            "what skills",
            "skills do i need",
            "skills needed",
            "technologies",
            "tools",
            "need to know",
            "requirements",
            "missing",
            "gaps",
            "lacking",
        ],
    ),
    (
        Intent::Compare,
        &[
            "compare",
            "best role",
            "which role",
            "my options",
            "top roles",
            "ranking",
            "all roles",
            "other recommendations",
            "list the roles",
        ],
    ),
];

/// An answer with what it rests on and what to ask next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub intent: Intent,
    pub text: String,
    pub sources: Vec<String>,
}

/// The intent whose cues the question carries most of.
pub fn intent_of(question: &str) -> Intent {
    let text = words(question);
    let mut best = (0, Intent::Help);
    for (intent, cues) in CUES {
        let score: usize = cues
            .iter()
            .filter(|cue| contains_phrase(&text, cue))
            .map(|cue| if cue.contains(' ') { 3 } else { 2 })
            .sum();
        if score > best.0 {
            best = (score, intent);
        }
    }
    best.1
}

/// Lower-case words with single spaces around them, so a phrase matches
/// whole words only (" start " is not in " restart ").
fn words(text: &str) -> String {
    let mut out = String::from(" ");
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\'')) {
        if !word.is_empty() {
            out.push_str(&word.to_lowercase().replace('’', "'"));
            out.push(' ');
        }
    }
    out
}

fn contains_phrase(words: &str, phrase: &str) -> bool {
    words.contains(&format!(" {phrase} "))
}

/// The recommended role the question names, else the first.
pub fn role_in<'a>(question: &str, results: &'a CareerResults) -> Option<&'a RoleMatch> {
    let text = words(question);
    results.roles.iter().max_by_key(|role| {
        let title = words(&role.title);
        let named = title.split(' ').filter(|w| w.len() > 3).filter(|w| contains_phrase(&text, singular(w))).count();
        // Ties (none named) go to the earlier, higher-ranked role.
        (named, std::cmp::Reverse(results.roles.iter().position(|r| r.soc == role.soc)))
    })
}

/// "scientists" → "scientist": titles in O*NET are plural, people ask in
/// the singular.
fn singular(word: &str) -> &str {
    word.strip_suffix('s').unwrap_or(word)
}

/// Answers `question` from `results`.
pub fn answer(question: &str, results: &CareerResults) -> Composed {
    let intent = intent_of(question);
    let Some(role) = role_in(question, results) else {
        return Composed {
            intent: Intent::Help,
            text: "I couldn't find roles for your profile. Try describing the work you'd like in other words on the \
                   career form."
                .into(),
            sources: Vec::new(),
        };
    };
    let rank = results.roles.iter().position(|r| r.soc == role.soc).map_or(1, |i| i + 1);
    let hours = results.hours_per_week;
    let (text, sources) = match intent {
        Intent::WhyRole => (why(role, rank, results.roles.len()), vec![occupation_source(role), skills_source(role)]),
        Intent::LearnFirst => (learn_first(role, hours), vec![skills_source(role), hours_source()]),
        Intent::TimeToReady => (time_to_ready(role, hours), vec![hours_source(), skills_source(role)]),
        Intent::Adjacent => (adjacent(role), vec![related_source(role), skills_source(role)]),
        Intent::Readiness => (readiness(role), vec![skills_source(role), zone_source(role)]),
        Intent::Duties => (duties(role), vec![occupation_source(role), zone_source(role)]),
        Intent::SkillsNeeded => (skills_needed(role), vec![skills_source(role)]),
        Intent::Compare => {
            (compare(results), vec!["O*NET 29.2: Occupation Data, Technology Skills and Job Zones".into()])
        }
        Intent::Help => (help(role), Vec::new()),
    };
    Composed { intent, text, sources }
}

fn occupation_source(role: &RoleMatch) -> String {
    format!("O*NET 29.2: Occupation Data and Alternate Titles, {}", role.soc)
}

fn skills_source(role: &RoleMatch) -> String {
    format!("O*NET 29.2: Technology Skills (Hot and In Demand flags), {}", role.soc)
}

fn zone_source(role: &RoleMatch) -> String {
    match &role.job_zone {
        Some(zone) => format!("O*NET 29.2: Job Zone {} for {}", zone.zone, role.soc),
        None => format!("O*NET 29.2: Job Zones, {}", role.soc),
    }
}

fn related_source(role: &RoleMatch) -> String {
    format!("O*NET 29.2: Related Occupations, {}", role.soc)
}

fn hours_source() -> String {
    "Lodestar's learning-hours table (typical hours per kind of skill)".into()
}

fn why(role: &RoleMatch, rank: usize, of: usize) -> String {
    let mut text = format!(
        "{} ({}) came {} of {of} for you, with a score of {} out of 100. ",
        role.title,
        role.soc,
        ordinal(rank),
        role.score
    );
    // The reasons name the titles the words matched.
    text.push_str(&role.reasons.join(" "));
    text.push_str(&format!(
        " The score weighs your interest ({} %), your key technologies ({}) and how your experience fits the job \
         zone ({} %).",
        role.interest,
        role.coverage_text(),
        role.experience_fit
    ));
    text
}

fn ordinal(n: usize) -> &'static str {
    ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"].get(n - 1).copied().unwrap_or("later")
}

fn learn_first(role: &RoleMatch, hours: u8) -> String {
    if role.gaps.is_empty() {
        return format!(
            "You already have every key technology O*NET lists for {}. What raises your readiness now is \
             experience: {}",
            role.title,
            role.movers.first().cloned().unwrap_or_else(|| "build a project that shows it and apply.".into())
        );
    }
    let mut text = format!("For {}, start with the quick wins, at your {hours} hours a week:", role.title);
    for (i, gap) in role.gaps.iter().take(3).enumerate() {
        text.push_str(&format!(
            "\n{}. {}: about {} weeks ({} hours), +{} readiness points{}.",
            i + 1,
            gap.name,
            weeks_text(gap.weeks),
            gap.hours,
            gap.points,
            flags(gap.hot, gap.in_demand)
        ));
    }
    if let Some(first) = role.gaps.first() {
        text.push_str(&format!("\nThe estimate for {} assumes {}", first.name, lower_first(&first.assumption)));
    }
    text
}

/// " (hot, in demand)" from O*NET's flags.
fn flags(hot: bool, in_demand: bool) -> &'static str {
    match (hot, in_demand) {
        (true, true) => " (hot and in demand)",
        (true, false) => " (hot)",
        (false, true) => " (in demand)",
        (false, false) => "",
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

fn time_to_ready(role: &RoleMatch, hours: u8) -> String {
    let roadmap = &role.roadmap;
    if roadmap.phases.is_empty() {
        return format!(
            "You have the key technologies for {} already, so there is nothing to learn first: you're about {} % \
             ready, and the rest is experience.",
            role.title, role.readiness
        );
    }
    let months = (roadmap.total_weeks / 4.33).round().max(1.0);
    let mut text = format!(
        "At {hours} hours a week, the plan for {} takes about {} weeks (roughly {months:.0} month{}):",
        role.title,
        weeks_text(roadmap.total_weeks),
        if months == 1.0 { "" } else { "s" }
    );
    for phase in &roadmap.phases {
        let steps: Vec<&str> = phase.steps.iter().map(|s| s.name.as_str()).collect();
        text.push_str(&format!(
            "\n• {}, weeks {} to {}: {}.",
            phase.kind.label(),
            weeks_text(phase.start_week),
            weeks_text(phase.end_week),
            steps.join(", ")
        ));
    }
    if !roadmap.later.is_empty() {
        text.push_str(&format!("\nLeft for later so the plan stays doable: {}.", roadmap.later.join(", ")));
    }
    text.push_str(&format!(
        "\nYou're about {} % ready today. More hours a week shorten it in proportion.",
        role.readiness
    ));
    text
}

fn adjacent(role: &RoleMatch) -> String {
    if role.adjacent.is_empty() {
        return format!("O*NET lists no related occupations for {} that I could score for you.", role.title);
    }
    let mut text = format!("Roles next to {} that O*NET relates to it:", role.title);
    for next in &role.adjacent {
        text.push_str(&format!("\n• {}", next.summary()));
        if !next.reuses.is_empty() {
            text.push_str(&format!("; reuses {}", next.reuses.join(", ")));
        }
        if !next.adds.is_empty() {
            text.push_str(&format!("; adds {}", next.adds.join(", ")));
        }
        text.push('.');
    }
    text
}

fn readiness(role: &RoleMatch) -> String {
    let mut text = format!(
        "You're about {} % ready for {}: you have {}. {}: {}",
        role.readiness,
        role.title,
        role.coverage_text(),
        role.confidence.label(),
        role.confidence_reason
    );
    if !role.movers.is_empty() {
        text.push_str(&format!("\nWhat would raise it most: {}", role.movers.join("; ")));
    }
    text
}

fn duties(role: &RoleMatch) -> String {
    let mut text = format!("{} ({}): {}", role.title, role.soc, role.description);
    if let Some(zone) = &role.job_zone {
        text.push_str(&format!("\nJob Zone {} ({}): {}", zone.zone, zone.name, zone.experience));
    }
    let tools: Vec<&str> = role.key_skills.iter().take(6).map(|k| k.name.as_str()).collect();
    if !tools.is_empty() {
        text.push_str(&format!("\nThe technologies most used in it: {}.", tools.join(", ")));
    }
    text
}

fn skills_needed(role: &RoleMatch) -> String {
    let have: Vec<&str> = role.key_skills.iter().filter(|k| k.have).map(|k| k.name.as_str()).collect();
    let missing: Vec<String> = role
        .key_skills
        .iter()
        .filter(|k| !k.have)
        .map(|k| format!("{}{}", k.name, flags(k.hot, k.in_demand)))
        .collect();
    let mut text = format!("The key technologies for {}: you have {}.", role.title, role.coverage_text());
    if !have.is_empty() {
        text.push_str(&format!("\nYou have: {}.", have.join(", ")));
    }
    if !missing.is_empty() {
        text.push_str(&format!("\nTo learn: {}.", missing.join(", ")));
    }
    text
}

fn compare(results: &CareerResults) -> String {
    let mut text = String::from("Your roles, best first:");
    for (i, role) in results.roles.iter().enumerate() {
        text.push_str(&format!(
            "\n{}. {} ({}): score {}, {} % ready, {}.",
            i + 1,
            role.title,
            role.soc,
            role.score,
            role.readiness,
            role.coverage_text()
        ));
    }
    text
}

fn help(role: &RoleMatch) -> String {
    format!(
        "I answer from your profile and the O*NET data, so I can tell you why a role was recommended, what to \
         learn first, how long until you're job-ready, how ready you are, what a role involves, which skills it \
         needs and which roles are next door. Ask about {} or any of your other roles by name.",
        role.title
    )
}

/// Questions to offer next: the starters and questions about the person's
/// roles, leaving out what this conversation has asked already.
pub fn suggestions(results: &CareerResults, asked: &[String], after: Option<Intent>) -> Vec<String> {
    let asked: Vec<Intent> = asked.iter().map(|q| intent_of(q)).chain(after).collect();
    let mut offered: Vec<(Intent, String)> = STARTERS.iter().map(|q| (intent_of(q), q.to_string())).collect();
    if let Some(top) = results.roles.first() {
        offered.push((Intent::Readiness, format!("How ready am I for {}?", top.title)));
        offered.push((Intent::Duties, format!("What does a {} do?", singular_title(&top.title))));
    }
    if let Some(second) = results.roles.get(1) {
        offered.push((Intent::SkillsNeeded, format!("What skills do I need for {}?", second.title)));
    }
    offered.push((Intent::Compare, "Compare my top roles".into()));
    let fresh: Vec<String> =
        offered.iter().filter(|(intent, _)| !asked.contains(intent)).map(|(_, q)| q.clone()).take(4).collect();
    if fresh.is_empty() {
        offered.into_iter().map(|(_, q)| q).take(4).collect()
    } else {
        fresh
    }
}

/// "Data Scientists" → "Data Scientist"; "Web and Digital Interface
/// Designers" → "Web and Digital Interface Designer".
fn singular_title(title: &str) -> String {
    match title.split_once(", ") {
        Some((head, tail)) => format!("{}, {tail}", singular_title(head)),
        None => title.strip_suffix('s').unwrap_or(title).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ways people ask the suggested questions and their neighbours, none
    /// of them the suggestion's own words.
    const PARAPHRASES: &[(Intent, &str)] = &[
        (Intent::WhyRole, "Why this role?"),
        (Intent::WhyRole, "why did you pick data scientist for me"),
        (Intent::WhyRole, "What's the reason it suits me?"),
        (Intent::WhyRole, "Why is it a good match for me?"),
        (Intent::WhyRole, "how come you recommended this one"),
        (Intent::LearnFirst, "Where do I start?"),
        (Intent::LearnFirst, "what should i study next"),
        (Intent::LearnFirst, "Which skill should I focus on?"),
        (Intent::LearnFirst, "What's the first thing to learn?"),
        (Intent::LearnFirst, "what's my next step"),
        (Intent::TimeToReady, "How long will it take me?"),
        (Intent::TimeToReady, "When will I be ready for a job?"),
        (Intent::TimeToReady, "how many weeks until I can apply"),
        (Intent::TimeToReady, "What's the timeline?"),
        (Intent::TimeToReady, "how soon can I be job ready"),
        (Intent::Adjacent, "What other roles could I do?"),
        (Intent::Adjacent, "Are there similar jobs?"),
        (Intent::Adjacent, "what alternatives do I have"),
        (Intent::Adjacent, "Could I pivot to something related?"),
        (Intent::Adjacent, "Which roles are next door?"),
        (Intent::Readiness, "How ready am I?"),
        (Intent::Readiness, "What's my readiness score?"),
        (Intent::Readiness, "Am I qualified?"),
        (Intent::Readiness, "what are my chances"),
        (Intent::Duties, "What does a data scientist do?"),
        (Intent::Duties, "What are the tasks in this job?"),
        (Intent::Duties, "Describe the role day to day"),
        (Intent::Duties, "What are the responsibilities?"),
        (Intent::SkillsNeeded, "What skills do I need?"),
        (Intent::SkillsNeeded, "which tools are required"),
        (Intent::SkillsNeeded, "What am I missing?"),
        (Intent::SkillsNeeded, "What technologies should I know?"),
        (Intent::Compare, "Compare my options"),
        (Intent::Compare, "Which role is best for me?"),
        (Intent::Compare, "show me all roles ranked"),
        (Intent::Help, "hello"),
        (Intent::Help, "tell me a joke"),
    ];

    #[test]
    fn the_suggested_questions_and_their_paraphrases_are_understood() {
        for starter in STARTERS {
            assert_ne!(intent_of(starter), Intent::Help, "{starter}");
        }
        let wrong: Vec<_> = PARAPHRASES
            .iter()
            .filter(|(intent, question)| intent_of(question) != *intent)
            .map(|(intent, question)| format!("{question:?}: {:?}, expected {intent:?}", intent_of(question)))
            .collect();
        let right = PARAPHRASES.len() - wrong.len();
        assert!(right * 100 >= PARAPHRASES.len() * 95, "{right} of {} right; wrong: {wrong:#?}", PARAPHRASES.len());
    }

    #[test]
    fn whole_words_only_and_titles_in_the_singular() {
        assert_eq!(intent_of("restart"), Intent::Help, "\"start\" is not in \"restart\"");
        assert_eq!(singular_title("Data Scientists"), "Data Scientist");
        assert_eq!(singular_title("Managers, All Other"), "Manager, All Other");
    }
}
