//! `cargo xtask onet DIR`: makes the career mentor's dataset, `server/onet/`,
//! from the O*NET database's text files as published (DIR holds
//! `Occupation Data.txt` and the rest). The dataset is committed, so the
//! product builds and runs from a clone alone; this command is only for
//! moving to a new O*NET release. It keeps what the mentor reads (titles,
//! job zones, interests, technology skills with their flags, core tasks,
//! related occupations), one line per occupation or technology where that
//! saves repeating codes, and writes the attribution the licence asks for
//! beside it; then the server embeds each occupation (`vectors.bin`, see
//! `server/src/mentor/vectors.rs`). The text files are the same for the
//! same input, byte for byte.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::util::Context;

/// Bumped when a file's columns change, so the server can refuse a dataset
/// it would misread.
pub const FORMAT: u32 = 1;

/// The six RIASEC interests, in the order `occupations.tsv` lists them.
const INTERESTS: [&str; 6] = ["Realistic", "Investigative", "Artistic", "Social", "Enterprising", "Conventional"];

pub fn run(ctx: &Context, source: Option<&str>) -> Result<(), String> {
    let source = source.ok_or("usage: cargo xtask onet DIR (the O*NET text files, e.g. db_29_2_text/)")?;
    let out = ctx.root.join("server").join("onet");
    std::fs::create_dir_all(&out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    for (name, contents) in convert(Path::new(source))? {
        let path = out.join(name);
        std::fs::write(&path, &contents).map_err(|e| format!("writing {}: {e}", path.display()))?;
        println!("  {:<24} {:>9} bytes", name, contents.len());
    }
    // The occupation vectors come from the server's own MiniLM, which reads
    // the files just written (they are compiled in).
    crate::model::ensure(ctx)?;
    let vectors = out.join("vectors.bin");
    let vectors = vectors.to_str().ok_or("the checkout's path is not UTF-8")?;
    ctx.cargo(&["run", "--locked", "-p", "server", "--", "onet-vectors", vectors])
        .env("MODEL_DIR", crate::model::dir(ctx))
        .status_ok("writing the occupation vectors")?;
    println!("wrote {}", out.display());
    Ok(())
}

/// One published file: its rows, with the named columns in the order asked.
fn table(dir: &Path, file: &str, columns: &[&str]) -> Result<Vec<Vec<String>>, String> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let at: Vec<usize> = columns
        .iter()
        .map(|column| header.iter().position(|h| h == column).ok_or(format!("{file} has no column {column:?}")))
        .collect::<Result<_, _>>()?;
    lines
        .filter(|line| !line.is_empty())
        .enumerate()
        .map(|(n, line)| {
            let cells: Vec<&str> = line.split('\t').collect();
            at.iter()
                .map(|&i| cells.get(i).map(|cell| cell.trim().to_string()))
                .collect::<Option<Vec<_>>>()
                .ok_or(format!("{file}, row {}: fewer cells than the header", n + 2))
        })
        .collect()
}

/// `11-1011.00`: what every table keys rows by.
fn is_soc(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            2 => *c == b'-',
            7 => *c == b'.',
            _ => c.is_ascii_digit(),
        })
}

/// The dataset's files, by name.
pub fn convert(dir: &Path) -> Result<Vec<(&'static str, String)>, String> {
    let release = release(dir)?;
    let occupations = table(dir, "Occupation Data.txt", &["O*NET-SOC Code", "Title", "Description"])?;
    let known: HashSet<&str> = occupations.iter().map(|row| row[0].as_str()).collect();
    if let Some(bad) = occupations.iter().find(|row| !is_soc(&row[0])) {
        return Err(format!("Occupation Data.txt: {:?} is not an O*NET-SOC code", bad[0]));
    }
    let check = |file: &str, code: &str| {
        if known.contains(code) {
            Ok(())
        } else {
            Err(format!("{file} names {code:?}, which Occupation Data.txt does not have"))
        }
    };

    let mut zones = HashMap::new();
    for row in table(dir, "Job Zones.txt", &["O*NET-SOC Code", "Job Zone"])? {
        check("Job Zones.txt", &row[0])?;
        zones.insert(row[0].clone(), row[1].clone());
    }
    let mut interests: HashMap<String, [Option<String>; 6]> = HashMap::new();
    for row in table(dir, "Interests.txt", &["O*NET-SOC Code", "Element Name", "Scale ID", "Data Value"])? {
        check("Interests.txt", &row[0])?;
        if let (Some(i), "OI") = (INTERESTS.iter().position(|name| *name == row[1]), row[2].as_str()) {
            interests.entry(row[0].clone()).or_default()[i] = Some(row[3].clone());
        }
    }
    let mut out_occupations = String::from("soc\ttitle\tjob_zone\tinterests\tdescription\n");
    for row in &occupations {
        let scores = interests.get(&row[0]).and_then(|s| s.iter().cloned().collect::<Option<Vec<_>>>());
        let _ = writeln!(
            out_occupations,
            "{}\t{}\t{}\t{}\t{}",
            row[0],
            row[1],
            zones.get(&row[0]).map_or("", String::as_str),
            scores.map(|s| s.join(" ")).unwrap_or_default(),
            row[2]
        );
    }

    // Alternate and short titles, without the occupation's own title and
    // without repeats that differ only in case.
    let own: HashMap<&str, String> = occupations.iter().map(|row| (row[0].as_str(), row[1].to_lowercase())).collect();
    let mut titles: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for row in table(dir, "Alternate Titles.txt", &["O*NET-SOC Code", "Alternate Title", "Short Title"])? {
        check("Alternate Titles.txt", &row[0])?;
        for title in [&row[1], &row[2]] {
            if title.is_empty() || title == "n/a" {
                continue;
            }
            if title.contains('|') {
                return Err(format!("Alternate Titles.txt: {title:?} holds the separator `|`"));
            }
            let lower = title.to_lowercase();
            if own[row[0].as_str()] != lower && seen.insert((row[0].clone(), lower)) {
                titles.entry(row[0].clone()).or_default().push(title.clone());
            }
        }
    }
    let mut out_titles = String::from("soc\ttitles\n");
    for (soc, list) in &titles {
        let _ = writeln!(out_titles, "{soc}\t{}", list.join("|"));
    }

    // One line per technology: its category, whether it is a Hot
    // Technology, and the occupations that use it (`*`: In Demand there).
    // A few technologies sit in several categories; the commonest wins.
    struct Technology {
        categories: BTreeMap<String, usize>,
        hot: bool,
        occupations: Vec<String>,
    }
    let mut technologies: BTreeMap<String, Technology> = BTreeMap::new();
    let technology_rows = table(
        dir,
        "Technology Skills.txt",
        &["O*NET-SOC Code", "Example", "Commodity Title", "Hot Technology", "In Demand"],
    )?;
    for row in technology_rows {
        check("Technology Skills.txt", &row[0])?;
        let entry = technologies.entry(row[1].clone()).or_insert_with(|| Technology {
            categories: BTreeMap::new(),
            hot: false,
            occupations: Vec::new(),
        });
        *entry.categories.entry(row[2].clone()).or_default() += 1;
        entry.hot |= row[3] == "Y";
        let code = if row[4] == "Y" { format!("{}*", row[0]) } else { row[0].clone() };
        if !entry.occupations.iter().any(|c| c.trim_end_matches('*') == row[0]) {
            entry.occupations.push(code);
        }
    }
    let mut out_technology = String::from("technology\tcategory\thot\toccupations\n");
    for (name, technology) in &technologies {
        let category = technology
            .categories
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(name, _)| name.as_str())
            .unwrap_or_default();
        let mut occupations = technology.occupations.clone();
        occupations.sort();
        let _ = writeln!(
            out_technology,
            "{name}\t{category}\t{}\t{}",
            if technology.hot { "Y" } else { "N" },
            occupations.join(",")
        );
    }

    // Core tasks only: the supplemental ones are, by O*NET's definition, not
    // central to the job.
    let mut out_tasks = String::from("soc\ttask\n");
    for row in table(dir, "Task Statements.txt", &["O*NET-SOC Code", "Task", "Task Type"])? {
        check("Task Statements.txt", &row[0])?;
        if row[2] == "Core" {
            let _ = writeln!(out_tasks, "{}\t{}", row[0], row[1]);
        }
    }

    const TIERS: [&str; 3] = ["Primary-Short", "Primary-Long", "Supplemental"];
    let mut related: BTreeMap<String, [Vec<(u32, String)>; 3]> = BTreeMap::new();
    for row in table(
        dir,
        "Related Occupations.txt",
        &["O*NET-SOC Code", "Related O*NET-SOC Code", "Relatedness Tier", "Index"],
    )? {
        check("Related Occupations.txt", &row[0])?;
        check("Related Occupations.txt", &row[1])?;
        let tier = TIERS.iter().position(|t| *t == row[2]).ok_or(format!("unknown relatedness tier {:?}", row[2]))?;
        let index =
            row[3].parse().map_err(|_| format!("Related Occupations.txt: index {:?} is not a number", row[3]))?;
        related.entry(row[0].clone()).or_default()[tier].push((index, row[1].clone()));
    }
    let mut out_related = String::from("soc\tprimary_short\tprimary_long\tsupplemental\n");
    for (soc, tiers) in &mut related {
        let lists: Vec<String> = tiers
            .iter_mut()
            .map(|tier| {
                tier.sort();
                tier.iter().map(|(_, code)| code.as_str()).collect::<Vec<_>>().join(",")
            })
            .collect();
        let _ = writeln!(out_related, "{soc}\t{}", lists.join("\t"));
    }

    let mut out_zones = String::from("zone\tname\texperience\teducation\ttraining\n");
    for row in table(dir, "Job Zone Reference.txt", &["Job Zone", "Name", "Experience", "Education", "Job Training"])? {
        let _ = writeln!(out_zones, "{}", row.join("\t"));
    }

    let readme = readme(&release, occupations.len(), titles.values().map(Vec::len).sum(), technologies.len());
    Ok(vec![
        ("README.md", readme),
        ("occupations.tsv", out_occupations),
        ("titles.tsv", out_titles),
        ("technology.tsv", out_technology),
        ("tasks.tsv", out_tasks),
        ("related.tsv", out_related),
        ("job_zones.tsv", out_zones),
    ])
}

/// "29.2", from the first line of the release's `Read Me.txt`.
fn release(dir: &Path) -> Result<String, String> {
    let path = dir.join("Read Me.txt");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    text.lines()
        .next()
        .and_then(|line| line.strip_prefix("O*NET ")?.strip_suffix(" Database"))
        .map(str::to_string)
        .ok_or(format!("{} does not start with \"O*NET <release> Database\"", path.display()))
}

fn readme(release: &str, occupations: usize, titles: usize, technologies: usize) -> String {
    format!(
        "# The career mentor's occupational data

This product includes information from the O*NET {release} Database by the U.S. Department of Labor, Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 license. O*NET® is a trademark of USDOL/ETA.

Made from the O*NET {release} text files by `cargo xtask onet DIR` (`xtask/src/onet.rs`), format {FORMAT}. Do not edit by hand: run the command on a new release instead. USDOL/ETA has not approved, endorsed or tested this selection.

What it keeps, tab-separated, with a header row:
- `occupations.tsv`: the {occupations} occupations: O*NET-SOC code, title, job zone (1-5, empty where O*NET has none), RIASEC interest scores (Realistic, Investigative, Artistic, Social, Enterprising, Conventional; 1-7, empty where none), description.
- `titles.tsv`: {titles} other names for the occupations (alternate and short titles, `|`-separated), without the occupation's own title or repeats.
- `technology.tsv`: {technologies} technologies: category, Hot Technology (Y/N), and the occupations that use them (`*`: In Demand there).
- `tasks.tsv`: each occupation's core tasks.
- `related.tsv`: related occupations by tier (Primary-Short, Primary-Long, Supplemental), each in O*NET's order.
- `job_zones.tsv`: what each job zone means: experience, education and training.
- `vectors.bin`: each occupation embedded by all-MiniLM-L6-v2 (int8), for matching a person's words by meaning.

Left out: supplemental tasks, title sources, commodity codes, interest high-points and dates.
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny release in a directory of its own (`test` names it: tests run
    /// in parallel).
    fn fixture(test: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("onet-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files = [
            ("Read Me.txt", "O*NET 29.2 Database\nFebruary 2025 Release\n"),
            (
                "Occupation Data.txt",
                "O*NET-SOC Code\tTitle\tDescription\n15-1254.00\tWeb Developers\tDevelop websites.\n15-1255.00\tWeb and Digital Interface Designers\tDesign interfaces.\n",
            ),
            ("Job Zones.txt", "O*NET-SOC Code\tJob Zone\tDate\tDomain Source\n15-1254.00\t3\t08/2023\tAnalyst\n"),
            (
                "Interests.txt",
                "O*NET-SOC Code\tElement ID\tElement Name\tScale ID\tData Value\tDate\tDomain Source\n\
                 15-1254.00\t1.B.1.a\tRealistic\tOI\t2.00\td\ts\n15-1254.00\t1.B.1.b\tInvestigative\tOI\t5.00\td\ts\n\
                 15-1254.00\t1.B.1.c\tArtistic\tOI\t5.50\td\ts\n15-1254.00\t1.B.1.d\tSocial\tOI\t1.50\td\ts\n\
                 15-1254.00\t1.B.1.e\tEnterprising\tOI\t2.50\td\ts\n15-1254.00\t1.B.1.f\tConventional\tOI\t4.00\td\ts\n\
                 15-1254.00\t1.B.1.g\tFirst Interest High-Point\tIH\t3.00\td\ts\n",
            ),
            (
                "Alternate Titles.txt",
                "O*NET-SOC Code\tAlternate Title\tShort Title\tSource(s)\n15-1254.00\tWebsite Developer\tn/a\t08\n\
                 15-1254.00\tWEB DEVELOPERS\tn/a\t08\n15-1254.00\tWeb Programmer\tWeb Dev\t08\n15-1254.00\twebsite developer\tn/a\t10\n",
            ),
            (
                "Technology Skills.txt",
                "O*NET-SOC Code\tExample\tCommodity Code\tCommodity Title\tHot Technology\tIn Demand\n\
                 15-1255.00\tJavaScript\t1\tObject or component oriented development software\tY\tN\n\
                 15-1254.00\tJavaScript\t1\tObject or component oriented development software\tY\tY\n\
                 15-1254.00\tNotepad\t2\tText editing software\tN\tN\n",
            ),
            (
                "Task Statements.txt",
                "O*NET-SOC Code\tTask ID\tTask\tTask Type\tIncumbents Responding\tDate\tDomain Source\n\
                 15-1254.00\t1\tWrite code.\tCore\t1\td\ts\n15-1254.00\t2\tAttend conferences.\tSupplemental\t1\td\ts\n",
            ),
            (
                "Related Occupations.txt",
                "O*NET-SOC Code\tRelated O*NET-SOC Code\tRelatedness Tier\tIndex\n\
                 15-1254.00\t15-1255.00\tPrimary-Short\t1\n",
            ),
            (
                "Job Zone Reference.txt",
                "Job Zone\tName\tExperience\tEducation\tJob Training\tExamples\tSVP Range\n3\tJob Zone Three\tSome\tSchool\tA year\tx\ty\n",
            ),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        dir
    }

    fn file<'a>(files: &'a [(&str, String)], name: &str) -> &'a str {
        &files.iter().find(|(n, _)| *n == name).unwrap().1
    }

    #[test]
    fn keeps_what_the_mentor_reads_in_compact_lines() {
        let dir = fixture("keeps");
        let files = convert(&dir).unwrap();
        assert_eq!(
            file(&files, "occupations.tsv").lines().nth(1).unwrap(),
            "15-1254.00\tWeb Developers\t3\t2.00 5.00 5.50 1.50 2.50 4.00\tDevelop websites."
        );
        // No zone and no interests: empty cells, not a missing row.
        assert_eq!(
            file(&files, "occupations.tsv").lines().nth(2).unwrap(),
            "15-1255.00\tWeb and Digital Interface Designers\t\t\tDesign interfaces."
        );
        // The own title and a case-only repeat are dropped; short titles kept.
        assert_eq!(file(&files, "titles.tsv"), "soc\ttitles\n15-1254.00\tWebsite Developer|Web Programmer|Web Dev\n");
        assert_eq!(
            file(&files, "technology.tsv"),
            "technology\tcategory\thot\toccupations\n\
             JavaScript\tObject or component oriented development software\tY\t15-1254.00*,15-1255.00\n\
             Notepad\tText editing software\tN\t15-1254.00\n"
        );
        assert_eq!(file(&files, "tasks.tsv"), "soc\ttask\n15-1254.00\tWrite code.\n");
        assert_eq!(file(&files, "related.tsv").lines().nth(1).unwrap(), "15-1254.00\t15-1255.00\t\t");
        assert!(file(&files, "README.md").contains("O*NET 29.2 Database by the U.S. Department of Labor"));
        // The same input makes the same bytes.
        assert_eq!(convert(&dir).unwrap(), files);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_row_about_an_unknown_occupation_is_an_error() {
        let dir = fixture("unknown");
        std::fs::write(dir.join("Job Zones.txt"), "O*NET-SOC Code\tJob Zone\n99-9999.00\t2\n").unwrap();
        let error = convert(&dir).unwrap_err();
        assert!(error.contains("99-9999.00"), "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
