//! What a résumé says, read from the text the extraction worker returns:
//! whether it is a résumé at all, the skills it names (for the person to
//! confirm) and roughly how many years of work it spans.
//!
//! - **A résumé** has the sections résumés have (Experience, Education,
//!   Skills, Summary, Projects, …), the date ranges of jobs ("2019 –
//!   present", "Mar 2020 - Jan 2023") and contact details. Two of those
//!   signals are needed, so a recipe, an invoice or a help article is
//!   refused with a reason instead of yielding a list of stray words.
//! - **Skills**: in a skills section every listed item counts: O*NET's
//!   technologies by name (as the form reads them, typos forgiven), and
//!   anything else short enough to be a skill ("Customer service") kept as
//!   written. Elsewhere only technologies named in the prose count, and
//!   never a one-word name that is ordinary English ("Word", "Project"),
//!   so "led the project" adds nothing, nor does the name the résumé
//!   opens with ("Ada Lovelace" is not the Ada language). Each skill keeps
//!   the sentence it came from, so the person sees why it was found.
//! - **Years**: the longest "N years of experience" or the span of the job
//!   date ranges outside Education, whichever is more.

use super::skills::{Skill, SkillIndex};
use crate::knowledge::extract::{Block, BlockKind};

/// The most skills one reading offers; the form takes this many at most.
pub const MAX_FOUND: usize = app::mentor::SKILLS_MAX;
/// A listed item longer than this is a sentence, not a skill.
const ITEM_MAX_CHARS: usize = 40;
const ITEM_MAX_WORDS: usize = 4;
/// How much of the sentence a skill came from is shown beside it.
const EVIDENCE_MAX_CHARS: usize = 140;

/// A skill found in a résumé and the sentence it was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub skill: Skill,
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeParts {
    pub skills: Vec<Found>,
    /// Years of work it spans, when it says or dates any.
    pub years: Option<u32>,
}

/// The file has text, but not a résumé's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAResume;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Skills,
    Education,
    Other,
}

/// Headings résumés use, by the start of their words, and the section each opens.
const HEADINGS: &[(&str, Section)] = &[
    ("skill", Section::Skills),
    ("technolog", Section::Skills),
    ("tool", Section::Skills),
    ("competenc", Section::Skills),
    ("expertise", Section::Skills),
    ("proficienc", Section::Skills),
    ("tech stack", Section::Skills),
    ("software", Section::Skills),
    ("programming", Section::Skills),
    ("languages", Section::Skills),
    ("education", Section::Education),
    ("academic", Section::Education),
    ("certification", Section::Education),
    ("courses", Section::Education),
    ("coursework", Section::Education),
    ("training", Section::Education),
    ("experience", Section::Other),
    ("employment", Section::Other),
    ("work history", Section::Other),
    ("career", Section::Other),
    ("summary", Section::Other),
    ("profile", Section::Other),
    ("objective", Section::Other),
    ("about me", Section::Other),
    ("projects", Section::Other),
    ("volunteer", Section::Other),
    ("awards", Section::Other),
    ("achievements", Section::Other),
    ("publications", Section::Other),
    ("references", Section::Other),
    ("interests", Section::Other),
    ("hobbies", Section::Other),
    ("internship", Section::Other),
    ("contact", Section::Other),
];

/// Words that end a date range at today.
const NOW_WORDS: &[&str] = &["present", "current", "now", "today", "date"];

/// Reads `blocks` (the worker's output) as a résumé; `this_year` bounds
/// the dates it believes.
pub fn read(index: &SkillIndex, blocks: &[Block], this_year: i64) -> Result<ResumeParts, NotAResume> {
    let mut section = None;
    let mut sections_seen: Vec<&str> = Vec::new();
    let mut ranges = 0;
    let mut contact = false;
    let mut span: Option<(i64, i64)> = None;
    let mut stated_years = 0;
    let mut found = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        // A résumé opens with its owner's name, which may be a
        // technology's too (Ada, Ruby, Julia): not a skill.
        if i == 0 && block.text.split_whitespace().count() <= 4 && heading_of(block).is_none() {
            continue;
        }
        let mut here = section;
        let text = match heading_of(block) {
            Some(Heading { name, opens, inline }) => {
                if !sections_seen.contains(&name) {
                    sections_seen.push(name);
                }
                match inline {
                    // "Skills: Python, SQL": that line alone is a list of skills.
                    Some(rest) => {
                        here = Some(opens);
                        rest
                    }
                    None => {
                        section = Some(opens);
                        continue;
                    }
                }
            }
            // Other headings (a name, a job, a line a PDF set apart) stay
            // in the section they are in.
            None => block.text.trim(),
        };
        if text.is_empty() {
            continue;
        }
        let rest = text;
        contact |= has_contact(rest);
        stated_years = stated_years.max(years_stated(rest));
        for (start, end) in date_ranges(rest, this_year) {
            ranges += 1;
            if here != Some(Section::Education) {
                span = Some(span.map_or((start, end), |(s, e)| (s.min(start), e.max(end))));
            }
        }
        if here == Some(Section::Skills) {
            listed_skills(index, rest, &mut found);
        } else {
            for sentence in sentences(rest) {
                for id in index.find_in(&without_addresses(sentence), false) {
                    add(&mut found, Skill::Technology(id), sentence);
                }
            }
        }
    }
    let sections = sections_seen.len();
    let is_resume = sections >= 2 || (sections >= 1 && (ranges >= 1 || contact)) || (ranges >= 2 && contact);
    if !is_resume {
        return Err(NotAResume);
    }
    found.truncate(MAX_FOUND);
    let spanned = span.map_or(0, |(start, end)| end - start);
    let years = u32::try_from(spanned.max(stated_years)).ok().filter(|years| *years > 0 || span.is_some());
    Ok(ResumeParts { skills: found, years })
}

struct Heading<'a> {
    /// The heading's stem in [`HEADINGS`].
    name: &'static str,
    opens: Section,
    /// What follows "Skills:" on the same line.
    inline: Option<&'a str>,
}

/// Whether a block opens a résumé section: a heading, a short line in
/// capitals or title case ("SKILLS", "Work History"), or a label before a
/// colon ("Skills: Python, SQL").
fn heading_of(block: &Block) -> Option<Heading<'_>> {
    let text = block.text.trim();
    let (label, inline) = match text.split_once(':') {
        Some((label, rest)) if label.split_whitespace().count() <= 3 => (label, Some(rest.trim())),
        _ => (text, None),
    };
    let words: Vec<&str> = label.split_whitespace().collect();
    let capitalised = words.iter().all(|w| !w.chars().next().is_some_and(char::is_lowercase));
    let looks_like_one = match block.kind {
        BlockKind::Heading(_) => words.len() <= 5,
        _ => inline.is_some() || (words.len() <= 3 && capitalised),
    };
    if !looks_like_one {
        return None;
    }
    let name = format!(" {}", words.join(" ").to_lowercase());
    let (stem, opens) = HEADINGS.iter().find(|(stem, _)| name.contains(&format!(" {stem}")))?;
    Some(Heading { name: stem, opens: *opens, inline })
}

/// A list of skills: items split at commas, bullets and bars; a label
/// before a colon dropped ("Languages: Python, SQL"); what is in brackets
/// read for technologies ("Python (pandas, NumPy)").
fn listed_skills(index: &SkillIndex, text: &str, found: &mut Vec<Found>) {
    for line in text.lines() {
        let line = match line.split_once(':') {
            Some((label, rest)) if label.split_whitespace().count() <= 3 => rest,
            _ => line,
        };
        for item in line.split([',', ';', '•', '|', '·', '▪', '●']) {
            let item = item.trim().trim_start_matches(['-', '*', '–', '—']).trim();
            if item.is_empty() {
                continue;
            }
            let plain = without_brackets(item);
            let named = index.find_in(item, true);
            match index.normalise(&plain) {
                Skill::Technology(id) => add(found, Skill::Technology(id), line),
                Skill::Other(other) if named.is_empty() && looks_like_a_skill(&other) => {
                    add(found, Skill::Other(other), line)
                }
                Skill::Other(_) => {}
            }
            for id in named {
                add(found, Skill::Technology(id), line);
            }
        }
    }
}

fn without_brackets(item: &str) -> String {
    let mut depth = 0u32;
    let kept: String = item
        .chars()
        .filter(|c| {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => {
                    depth = depth.saturating_sub(1);
                    return false;
                }
                _ => {}
            }
            depth == 0
        })
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn looks_like_a_skill(item: &str) -> bool {
    let words = item.split_whitespace().count();
    (1..=ITEM_MAX_WORDS).contains(&words)
        && item.chars().count() <= ITEM_MAX_CHARS
        && item.chars().any(char::is_alphabetic)
        && item.chars().all(|c| c.is_alphanumeric() || " &-'.+#/".contains(c))
        && !item.ends_with('.')
}

fn add(found: &mut Vec<Found>, skill: Skill, sentence: &str) {
    let known = found.iter().any(|f| match (&f.skill, &skill) {
        (Skill::Other(a), Skill::Other(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    });
    if !known {
        found.push(Found { skill, evidence: shortened(sentence) });
    }
}

fn shortened(sentence: &str) -> String {
    let tidy = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
    if tidy.chars().count() <= EVIDENCE_MAX_CHARS {
        return tidy;
    }
    let cut: String = tidy.chars().take(EVIDENCE_MAX_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// Sentences and lines, each read on its own so a skill's evidence is short.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', '•']).flat_map(|line| line.split(". ")).map(str::trim).filter(|s| !s.is_empty())
}

/// The sentence without email and web addresses ("ada@example.net" names
/// no Ada language).
fn without_addresses(sentence: &str) -> String {
    sentence
        .split_whitespace()
        .filter(|word| {
            !(word.contains('@') || word.contains("://") || word.starts_with("www.") || word.contains(".com/"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn has_contact(text: &str) -> bool {
    let lower = text.to_lowercase();
    let email = text
        .split_whitespace()
        .any(|word| word.split_once('@').is_some_and(|(name, host)| !name.is_empty() && host.contains('.')));
    let phone = text.split(|c: char| !(c.is_ascii_digit() || " +-().".contains(c))).any(|run| {
        (9..=15).contains(&run.chars().filter(char::is_ascii_digit).count()) && run.contains([' ', '-', '(', '+'])
    });
    email || phone || lower.contains("linkedin.com/")
}

/// Words and numbers, with each dash a word of its own.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || c == '+' {
            word.push(c);
        } else {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word).to_lowercase());
            }
            if matches!(c, '-' | '–' | '—') {
                out.push("-".to_owned());
            }
        }
    }
    if !word.is_empty() {
        out.push(word.to_lowercase());
    }
    out
}

fn year(token: &str, this_year: i64) -> Option<i64> {
    let year: i64 = token.parse().ok().filter(|_| token.len() == 4)?;
    (1950..=this_year + 1).contains(&year).then_some(year)
}

/// "2019 – 2022", "Mar 2020 - present", "2018 to now": a year, within a
/// word or two a dash or "to", then within a few words a later year or a
/// word for today.
fn date_ranges(text: &str, this_year: i64) -> Vec<(i64, i64)> {
    let words = tokens(text);
    let mut ranges = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let Some(start) = year(word, this_year) else { continue };
        let Some(joint) = (i + 1..words.len().min(i + 3)).find(|&j| matches!(words[j].as_str(), "-" | "to" | "until"))
        else {
            continue;
        };
        let end = words[joint + 1..words.len().min(joint + 4)].iter().find_map(|w| {
            if NOW_WORDS.contains(&w.as_str()) {
                Some(this_year)
            } else {
                year(w, this_year)
            }
        });
        if let Some(end) = end.filter(|end| *end >= start) {
            ranges.push((start, end.min(this_year)));
        }
    }
    ranges
}

/// The largest "N years of experience" ("7+ years", "5 yrs' experience").
fn years_stated(text: &str) -> i64 {
    let words = tokens(text);
    let mut most = 0;
    for (i, word) in words.iter().enumerate() {
        let Ok(n) = word.trim_end_matches('+').parse::<i64>() else { continue };
        let says_years = words.get(i + 1).is_some_and(|w| matches!(w.as_str(), "years" | "yrs" | "year"));
        let of_experience = words.iter().skip(i + 2).take(4).any(|w| w.starts_with("experience"));
        if says_years && of_experience && (1..=50).contains(&n) {
            most = most.max(n);
        }
    }
    most
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::extract::{self, Reading};
    use crate::mentor::onet::Onet;

    fn index() -> (&'static Onet, SkillIndex) {
        let onet = Onet::get().unwrap();
        (onet, SkillIndex::new(onet))
    }

    fn read_text(text: &str) -> Result<(Vec<String>, Option<u32>), NotAResume> {
        let (onet, index) = index();
        let blocks = extract::read(text.as_bytes(), Reading::Lines).expect("text is readable").blocks;
        read(&index, &blocks, 2026).map(|parts| {
            let names = parts
                .skills
                .iter()
                .map(|f| match &f.skill {
                    Skill::Technology(id) => onet.technology(*id).name.to_string(),
                    Skill::Other(other) => format!("other: {other}"),
                })
                .collect();
            (names, parts.years)
        })
    }

    const RESUME: &str = "Ruby Martinez\nruby.martinez@example.com · +44 7700 900123\n\n\
        SUMMARY\nData analyst with 4 years of experience turning messy data into decisions.\n\n\
        EXPERIENCE\nData Analyst, Northwind Traders (Mar 2021 – present)\n\
        Built weekly dashboards in Tableau from PostgreSQL data. Led the project to move reporting off MS Excel.\n\
        Junior Analyst, Contoso (2019 - 2021)\nAutomated reports with Python.\n\n\
        EDUCATION\nBSc Mathematics, University of Leeds, 2015 – 2018\n\n\
        SKILLS\nSQL, Python (pandas, NumPy), Git\nStakeholder management; Customer service\n";

    #[test]
    fn a_resume_yields_its_skills_in_order_with_listed_soft_skills() {
        let (names, years) = read_text(RESUME).unwrap();
        for expected in ["Tableau", "PostgreSQL", "Microsoft Excel", "Python", "Structured query language SQL", "Git"] {
            assert!(names.contains(&expected.to_string()), "{expected} missing from {names:?}");
        }
        assert!(names.contains(&"other: Stakeholder management".to_string()), "{names:?}");
        assert!(names.contains(&"other: Customer service".to_string()), "{names:?}");
        // "Led the project" is prose, not Microsoft Project; the job titles are not skills.
        assert!(!names.iter().any(|n| n.contains("Project") || n.contains("Analyst")), "{names:?}");
        // Her name is not the Ruby language.
        assert!(!names.iter().any(|n| n.contains("Ruby")), "{names:?}");
        // 2019 to now (2026), not counting the degree: 7 years.
        assert_eq!(years, Some(7));
        // Each skill appears once.
        let mut unique = names.clone();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
    }

    #[test]
    fn stated_years_count_when_no_dates_say_more() {
        let text = "# Sam Lee\n\n## Profile\nFront-end developer, 6+ years of experience with JavaScript.\n\n\
            ## Skills\n- React\n- CSS\n";
        let (names, years) = read_text(text).unwrap();
        assert_eq!(years, Some(6));
        assert!(names.contains(&"JavaScript".to_string()), "{names:?}");
        assert!(names.contains(&"React".to_string()), "{names:?}");
    }

    #[test]
    fn what_is_not_a_resume_is_refused() {
        for text in [
            "Lemon drizzle cake\n\nIngredients: 225g butter, 225g sugar, 4 eggs.\nMethod: beat the butter and sugar, \
             then fold in the flour. Bake for 45 minutes.",
            "# Shipping\nOrders ship within 2 days. We use Microsoft Excel to track them.\n# Returns\nReturn within 30 days.",
            "Invoice 2024-118\nDate: 12 March 2024\nTotal due: £420.00",
        ] {
            assert_eq!(read_text(text), Err(NotAResume), "{text}");
        }
    }

    #[test]
    fn dates_and_contacts_are_read_as_written() {
        assert_eq!(date_ranges("Jan 2019 – Mar 2021", 2026), [(2019, 2021)]);
        assert_eq!(date_ranges("2018 to present", 2026), [(2018, 2026)]);
        assert_eq!(date_ranges("2015-2018", 2026), [(2015, 2018)]);
        assert!(date_ranges("2021 - 2019", 2026).is_empty());
        assert!(date_ranges("1066 - 1087", 2026).is_empty());
        assert_eq!(years_stated("over 12 years' experience"), 12);
        assert_eq!(years_stated("12 years ago"), 0);
        assert!(has_contact("rosa@example.com"));
        assert!(has_contact("Tel: +44 7700 900123"));
        assert!(!has_contact("Total 420.00, order 12345"));
    }

    #[test]
    fn hostile_text_yields_no_markup_and_bounded_evidence() {
        let long =
            format!("SKILLS\n{}\nEXPERIENCE\n2019 - 2020 {}", "<script>alert(1)</script>, SQL", "x ".repeat(5000));
        let (onet, index) = index();
        let blocks = extract::read(long.as_bytes(), Reading::Lines).unwrap().blocks;
        let parts = read(&index, &blocks, 2026).unwrap();
        assert!(parts.skills.iter().all(|f| f.evidence.chars().count() <= EVIDENCE_MAX_CHARS));
        let names: Vec<String> = parts
            .skills
            .iter()
            .map(|f| match &f.skill {
                Skill::Technology(id) => onet.technology(*id).name.to_string(),
                Skill::Other(o) => o.clone(),
            })
            .collect();
        assert!(names.contains(&"Structured query language SQL".to_string()), "{names:?}");
        assert!(!names.iter().any(|n| n.contains('<')), "{names:?}");
    }
}
