//! What people type as skills, matched to O*NET's technology names: "excel",
//! "MS Excel" and "Microsoft Excel" are all `Microsoft Excel`; "html" is
//! `Hypertext markup language HTML`; "javscript" is `JavaScript`. What the
//! data does not list ("customer service", "negotiation") is kept as the
//! person wrote it, tidied, so no skill is lost: it just has no O*NET row
//! to rest on.
//!
//! Every technology is reachable by its full name and by the shorter names
//! people use, derived from the name itself: without its vendor
//! ("Microsoft Excel" → "excel"), by its trailing acronym ("… markup
//! language HTML" → "html"), without a trailing "software". Where two
//! technologies share a short name, the one more occupations use gets it
//! (so "java" is Oracle Java). Typed input has its common abbreviations
//! expanded first ("ms", "js", "k8s"), and a single typo is forgiven in
//! words of five letters or more.

use std::collections::{HashMap, HashSet};

use super::onet::{Onet, TechnologyId};

/// First words that name a vendor rather than a product. Curated: a
/// frequent first word is as often a generic one ("Computer", "Data").
const VENDORS: &[&str] = &[
    "adobe",
    "amazon",
    "apache",
    "apple",
    "atlassian",
    "autodesk",
    "cisco",
    "corel",
    "google",
    "ibm",
    "intuit",
    "microsoft",
    "oracle",
    "sap",
    "salesforce",
    "the mathworks",
];

/// Abbreviations people type, as whole words, and what they stand for.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("ms", "microsoft"),
    ("js", "javascript"),
    ("ts", "typescript"),
    ("k8s", "kubernetes"),
    ("postgres", "postgresql"),
    ("ppt", "powerpoint"),
    ("gcp", "google cloud"),
];

/// The longest skill a person may type; longer is cut, not refused.
pub const MAX_SKILL_CHARS: usize = 80;

/// A skill as the mentor understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skill {
    /// One of O*NET's technologies.
    Technology(TechnologyId),
    /// Anything else, tidied: kept, but with no data row behind it.
    Other(String),
}

pub struct SkillIndex {
    /// Lookup key → technology: full names first, then the short names
    /// their more common owner won.
    keys: HashMap<String, TechnologyId>,
    /// How many occupations use each technology: who wins a shared short
    /// name, and the order of suggestions.
    users: Vec<u16>,
    /// One-word names that are also ordinary English: they occur in
    /// O*NET's own task statements ("word", "project", "access"), so in
    /// prose they are read as words, and as skills only where a résumé
    /// lists them as skills.
    ordinary: HashSet<String>,
    /// One-word names that are a name's trailing acronym ("html" from
    /// "Hypertext markup language HTML", "apps" from "… System APPS"): in
    /// prose they count only written in capitals, so "web apps" is not APPS.
    acronyms: HashSet<String>,
}

/// The most words a technology's name spans when found in prose.
const LONGEST_NAME_WORDS: usize = 5;

impl SkillIndex {
    pub fn new(onet: &Onet) -> Self {
        let mut users = vec![0u16; onet.technologies().len()];
        for occupation in onet.occupations() {
            for uses in &occupation.technologies {
                users[usize::from(uses.technology.0)] += 1;
            }
        }
        let mut keys: HashMap<String, TechnologyId> = HashMap::new();
        let mut short: HashMap<String, TechnologyId> = HashMap::new();
        for (i, technology) in onet.technologies().iter().enumerate() {
            let id = TechnologyId(i as u16);
            keys.entry(key(&technology.name)).or_insert(id);
            for name in short_names(&technology.name) {
                let slot = short.entry(name).or_insert(id);
                if users[usize::from(id.0)] > users[usize::from(slot.0)] {
                    *slot = id;
                }
            }
        }
        for (name, id) in short {
            keys.entry(name).or_insert(id);
        }
        let mut uses: HashMap<&str, u32> = keys.keys().filter(|k| !k.contains(' ')).map(|k| (k.as_str(), 0)).collect();
        for occupation in onet.occupations() {
            for task in &occupation.core_tasks {
                for word in key(task).split(' ') {
                    if let Some(count) = uses.get_mut(word) {
                        *count += 1;
                    }
                }
            }
        }
        let ordinary = uses.into_iter().filter(|(_, count)| *count >= 3).map(|(word, _)| word.to_owned()).collect();
        let acronyms = onet
            .technologies()
            .iter()
            .filter_map(|t| trailing_acronym(&t.name.split_whitespace().collect::<Vec<_>>()).map(|(last, _)| key(last)))
            .collect();
        SkillIndex { keys, users, ordinary, acronyms }
    }

    /// The technologies a line of prose names, by full or short name, the
    /// longest name first where names overlap ("Microsoft Power BI", not
    /// "Power"). No typo is forgiven here: prose is not a skill typed on
    /// purpose. One-word names of two letters or fewer, or that are
    /// ordinary English, count only when `listed` (the line is in a list
    /// of skills).
    pub fn find_in(&self, text: &str, listed: bool) -> Vec<TechnologyId> {
        let expanded = expand(&key(text));
        let words: Vec<&str> = expanded.split(' ').filter(|w| !w.is_empty()).collect();
        let mut found = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let longest = LONGEST_NAME_WORDS.min(words.len() - i);
            let matched = (1..=longest).rev().find_map(|n| {
                let name = words[i..i + n].join(" ");
                let id = *self.keys.get(&name)?;
                let plain_word = n == 1 && (name.chars().count() <= 2 || self.ordinary.contains(&name));
                let lower_acronym = n == 1 && self.acronyms.contains(&name) && !written_in_capitals(text, &name);
                (listed || !(plain_word || lower_acronym)).then_some((n, id))
            });
            match matched {
                Some((n, id)) => {
                    if !found.contains(&id) {
                        found.push(id);
                    }
                    i += n;
                }
                None => i += 1,
            }
        }
        found
    }

    /// What `typed` means: a technology, or the text itself, tidied.
    pub fn normalise(&self, typed: &str) -> Skill {
        let tidy: String =
            typed.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(MAX_SKILL_CHARS).collect();
        let typed_key = expand(&key(&tidy));
        if typed_key.is_empty() {
            return Skill::Other(tidy);
        }
        if let Some(id) = self.keys.get(&typed_key) {
            return Skill::Technology(*id);
        }
        if typed_key.chars().count() >= 5 {
            let mut near: Vec<(&String, &TechnologyId)> =
                self.keys.iter().filter(|(k, _)| within_one_edit(k, &typed_key)).collect();
            near.sort_by_key(|(k, id)| (std::cmp::Reverse(self.users[usize::from(id.0)]), k.len(), *k));
            if let Some((_, id)) = near.first() {
                return Skill::Technology(**id);
            }
        }
        Skill::Other(tidy)
    }

    /// Technologies whose names (full or short) start with what was typed,
    /// the most widely used first: the form's suggestions.
    pub fn suggest(&self, typed: &str, limit: usize) -> Vec<TechnologyId> {
        let prefix = expand(&key(typed));
        if prefix.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<TechnologyId> =
            self.keys.iter().filter(|(k, _)| k.starts_with(&prefix)).map(|(_, id)| *id).collect();
        found.sort_by_key(|id| (std::cmp::Reverse(self.users[usize::from(id.0)]), id.0));
        found.dedup();
        found.truncate(limit);
        found
    }
}

/// Whether `text` has `word` in capitals ("HTML", not "html").
fn written_in_capitals(text: &str, word: &str) -> bool {
    let upper = word.to_uppercase();
    text.split(|c: char| !c.is_alphanumeric()).any(|w| w == upper)
}

/// Lower case, punctuation as spaces (but `+`, `#` and `.` inside a word,
/// for C++, C# and Node.js), single spaces.
fn key(text: &str) -> String {
    let cleaned: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, '+' | '#' | '.') { c } else { ' ' })
        .collect();
    cleaned
        .split_whitespace()
        .map(|word| word.trim_matches('.'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn expand(key: &str) -> String {
    key.split(' ')
        .map(|word| ABBREVIATIONS.iter().find(|(short, _)| *short == word).map_or(word, |(_, long)| long))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The shorter names a technology goes by, as keys.
fn short_names(name: &str) -> Vec<String> {
    let words: Vec<&str> = name.split_whitespace().collect();
    let mut names = Vec::new();
    let full = key(name);
    // Without a trailing "software": "Amazon Web Services AWS software".
    let base: &[&str] = match words.split_last() {
        Some((last, rest)) if last.eq_ignore_ascii_case("software") && !rest.is_empty() => rest,
        _ => &words,
    };
    names.push(key(&base.join(" ")));
    // Without the vendor: "Microsoft Excel" → "excel".
    for vendor in VENDORS {
        if let Some(rest) = full.strip_prefix(vendor).and_then(|rest| rest.strip_prefix(' ')) {
            let rest_base = key(&base.join(" ")).strip_prefix(vendor).map(|r| r.trim().to_string());
            names.push(rest.to_string());
            names.extend(rest_base.filter(|r| !r.is_empty()));
        }
    }
    // A trailing acronym after a descriptive name: "Hypertext markup
    // language HTML" → "html", and the description alone.
    if let Some((last, rest)) = trailing_acronym(base) {
        names.push(key(last));
        names.push(key(&rest.join(" ")));
    }
    names.retain(|n| !n.is_empty() && *n != full);
    names
}

/// The acronym a descriptive name ends with ("Hypertext markup language
/// HTML"), and the words before it.
fn trailing_acronym<'a, 'b>(words: &'b [&'a str]) -> Option<(&'a str, &'b [&'a str])> {
    let (last, rest) = words.split_last()?;
    let is_acronym = last.len() >= 2
        && last.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && last.chars().any(|c| c.is_ascii_uppercase());
    (is_acronym && rest.iter().any(|w| w.chars().any(|c| c.is_lowercase()))).then_some((*last, rest))
}

/// Whether `a` becomes `b` by one insertion, deletion, substitution or
/// swap of neighbours.
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 || a == b {
        return a == b;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    match ra.len().cmp(&rb.len()) {
        std::cmp::Ordering::Equal => {
            ra[1..] == rb[1..] || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
        }
        std::cmp::Ordering::Greater => ra[1..] == *rb,
        std::cmp::Ordering::Less => *ra == rb[1..],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> (&'static Onet, SkillIndex) {
        let onet = Onet::get().unwrap();
        (onet, SkillIndex::new(onet))
    }

    fn name(onet: &Onet, skill: Skill) -> String {
        match skill {
            Skill::Technology(id) => onet.technology(id).name.to_string(),
            Skill::Other(text) => format!("other: {text}"),
        }
    }

    #[test]
    fn what_people_type_finds_the_technology() {
        let (onet, index) = index();
        for (typed, expected) in [
            ("excel", "Microsoft Excel"),
            ("MS Excel", "Microsoft Excel"),
            ("Microsoft Excel", "Microsoft Excel"),
            ("  microsoft   EXCEL ", "Microsoft Excel"),
            ("html", "Hypertext markup language HTML"),
            ("CSS", "Cascading style sheets CSS"),
            ("js", "JavaScript"),
            ("javscript", "JavaScript"),
            ("python", "Python"),
            ("Photoshop", "Adobe Photoshop"),
            ("aws", "Amazon Web Services AWS software"),
            ("k8s", "Kubernetes"),
            ("node.js", "Node.js"),
            ("C++", "C++"),
            ("java", "Oracle Java"),
            ("power bi", "Microsoft Power BI"),
        ] {
            assert_eq!(name(onet, index.normalise(typed)), expected, "{typed:?}");
        }
    }

    #[test]
    fn skills_the_data_does_not_list_are_kept_as_written() {
        let (onet, index) = index();
        assert_eq!(name(onet, index.normalise(" Customer   service ")), "other: Customer service");
        assert_eq!(name(onet, index.normalise("negotiation")), "other: negotiation");
        // Short words are not "corrected" into something else.
        assert_eq!(name(onet, index.normalise("Rust")), "other: Rust");
        assert_eq!(name(onet, index.normalise("!!!")), "other: !!!");
        let long = "x".repeat(500);
        assert_eq!(index.normalise(&long), Skill::Other("x".repeat(MAX_SKILL_CHARS)));
    }

    #[test]
    fn suggestions_put_widely_used_technologies_first() {
        let (onet, index) = index();
        let names: Vec<String> =
            index.suggest("exc", 5).into_iter().map(|id| onet.technology(id).name.to_string()).collect();
        assert_eq!(names.first().map(String::as_str), Some("Microsoft Excel"), "{names:?}");
        let names: Vec<String> =
            index.suggest("ms po", 5).into_iter().map(|id| onet.technology(id).name.to_string()).collect();
        assert!(names.iter().all(|n| n.starts_with("Microsoft Po")), "{names:?}");
        assert!(names.contains(&"Microsoft PowerPoint".to_string()), "{names:?}");
        assert!(index.suggest("", 5).is_empty());
        assert!(index.suggest("zzzzqq", 5).is_empty());
    }

    #[test]
    fn prose_names_technologies_but_ordinary_words_stay_words() {
        let (onet, index) = index();
        let names = |text: &str, listed: bool| -> Vec<String> {
            index.find_in(text, listed).into_iter().map(|id| onet.technology(id).name.to_string()).collect()
        };
        assert_eq!(
            names("Built dashboards in Microsoft Power BI and Tableau from PostgreSQL data with Python.", false),
            ["Microsoft Power BI", "Tableau", "PostgreSQL", "Python"]
        );
        assert_eq!(names("Reported weekly in MS Excel", false), ["Microsoft Excel"]);
        // An acronym counts in capitals: "web apps" is not the APPS system.
        assert!(names("Built accessible web apps", false).is_empty());
        assert_eq!(names("Pages in HTML", false), ["Hypertext markup language HTML"]);
        // Ordinary words in prose are not skills ...
        assert!(names("Led the project and gave every word of the report access to the team", false).is_empty());
        // ... but they are in a list of skills.
        assert!(
            names("Word, Project", true).contains(&"Microsoft Word".to_string()),
            "{:?}",
            names("Word, Project", true)
        );
        assert!(names("", false).is_empty());
    }

    #[test]
    fn one_edit_means_one() {
        assert!(within_one_edit("javascript", "javscript"));
        assert!(within_one_edit("javascript", "javacsript"));
        assert!(within_one_edit("python", "pyhton"));
        assert!(within_one_edit("python", "pythons"));
        assert!(within_one_edit("python", "pithon"));
        assert!(!within_one_edit("python", "pytohn s"));
        assert!(!within_one_edit("excel", "exelc"));
    }
}
