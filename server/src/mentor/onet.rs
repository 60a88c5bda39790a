//! The O*NET occupational data the career mentor rests on: `server/onet/`,
//! made from an O*NET release by `cargo xtask onet` and compiled into the
//! binary, so it is parsed once per process ([`Onet::get`]) and never read
//! from disk per request. Rows are addressed by index (`OccupationId`,
//! `TechnologyId`) so that an occupation's skills and related roles are
//! small integers rather than repeated strings.

use std::collections::HashMap;
use std::sync::OnceLock;

pub use app::mentor::Tier;

const OCCUPATIONS: &str = include_str!("../../onet/occupations.tsv");
const TITLES: &str = include_str!("../../onet/titles.tsv");
const TECHNOLOGY: &str = include_str!("../../onet/technology.tsv");
const TASKS: &str = include_str!("../../onet/tasks.tsv");
const RELATED: &str = include_str!("../../onet/related.tsv");
const JOB_ZONES: &str = include_str!("../../onet/job_zones.tsv");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OccupationId(pub u16);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TechnologyId(pub u16);

#[derive(Debug)]
pub struct Occupation {
    /// The O*NET-SOC code, `15-1254.00`.
    pub code: Box<str>,
    pub title: Box<str>,
    pub description: Box<str>,
    /// 1 (little preparation) to 5 (extensive); O*NET leaves a few without.
    pub job_zone: Option<u8>,
    /// RIASEC scores, 1 to 7: Realistic, Investigative, Artistic, Social,
    /// Enterprising, Conventional.
    pub interests: Option<[f32; 6]>,
    /// Other names people use for it (alternate and short titles).
    pub titles: Vec<Box<str>>,
    pub core_tasks: Vec<Box<str>>,
    pub technologies: Vec<Uses>,
    /// Related occupations, closest tier first, each tier in O*NET's order.
    pub related: Vec<Related>,
}

/// One technology an occupation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uses {
    pub technology: TechnologyId,
    /// O*NET's In Demand flag: employers ask for it in this occupation.
    pub in_demand: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Related {
    pub occupation: OccupationId,
    pub tier: Tier,
}

#[derive(Debug)]
pub struct Technology {
    pub name: Box<str>,
    /// What kind of tool it is ("Spreadsheet software").
    pub category: Box<str>,
    /// O*NET's Hot Technology flag: often in job postings.
    pub hot: bool,
}

/// What a job zone asks of a person.
#[derive(Debug)]
pub struct JobZone {
    pub zone: u8,
    pub name: Box<str>,
    pub experience: Box<str>,
    pub education: Box<str>,
    pub training: Box<str>,
}

#[derive(Debug)]
pub struct Onet {
    occupations: Vec<Occupation>,
    technologies: Vec<Technology>,
    job_zones: Vec<JobZone>,
    by_code: HashMap<Box<str>, OccupationId>,
}

#[derive(Debug, thiserror::Error)]
#[error("the O*NET dataset (server/onet/{file}) is unreadable at line {line}: {problem}; rebuild it with `cargo xtask onet`")]
pub struct OnetError {
    file: &'static str,
    line: usize,
    problem: String,
}

static ONET: OnceLock<Result<Onet, OnetError>> = OnceLock::new();

impl Onet {
    /// The dataset, parsed on first use.
    pub fn get() -> Result<&'static Onet, &'static OnetError> {
        ONET.get_or_init(Onet::parse).as_ref()
    }

    /// Parses the dataset now if no one has yet, and says what it cost:
    /// start-up calls this so that the first person to ask is not the one
    /// who waits, and a broken dataset stops the server there.
    pub fn load() -> Result<&'static Onet, &'static OnetError> {
        let started = std::time::Instant::now();
        let onet = Onet::get()?;
        tracing::info!(
            occupations = onet.occupations.len(),
            technologies = onet.technologies.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "O*NET dataset ready"
        );
        Ok(onet)
    }

    pub fn occupations(&self) -> &[Occupation] {
        &self.occupations
    }

    pub fn occupation(&self, id: OccupationId) -> &Occupation {
        &self.occupations[usize::from(id.0)]
    }

    /// By O*NET-SOC code (`15-1254.00`).
    pub fn find(&self, code: &str) -> Option<OccupationId> {
        self.by_code.get(code).copied()
    }

    pub fn technologies(&self) -> &[Technology] {
        &self.technologies
    }

    pub fn technology(&self, id: TechnologyId) -> &Technology {
        &self.technologies[usize::from(id.0)]
    }

    pub fn job_zone(&self, zone: u8) -> Option<&JobZone> {
        self.job_zones.iter().find(|z| z.zone == zone)
    }

    fn parse() -> Result<Onet, OnetError> {
        let mut occupations = Vec::new();
        let mut by_code = HashMap::new();
        for row in rows("occupations.tsv", OCCUPATIONS, "soc\ttitle\tjob_zone\tinterests\tdescription") {
            let (line, [code, title, zone, interests, description]) = row?;
            let bad = |problem: String| OnetError { file: "occupations.tsv", line, problem };
            let id = OccupationId(u16::try_from(occupations.len()).map_err(|_| bad("too many occupations".into()))?);
            let job_zone = match zone {
                "" => None,
                zone => Some(zone.parse().map_err(|_| bad(format!("job zone {zone:?}")))?),
            };
            let interests = match interests {
                "" => None,
                scores => {
                    let scores: Vec<f32> = scores
                        .split(' ')
                        .map(str::parse)
                        .collect::<Result<_, _>>()
                        .map_err(|_| bad(format!("interest scores {scores:?}")))?;
                    Some(scores.try_into().map_err(|_| bad("not six interest scores".into()))?)
                }
            };
            by_code.insert(code.into(), id);
            occupations.push(Occupation {
                code: code.into(),
                title: title.into(),
                description: description.into(),
                job_zone,
                interests,
                titles: Vec::new(),
                core_tasks: Vec::new(),
                technologies: Vec::new(),
                related: Vec::new(),
            });
        }
        let lookup = |file: &'static str, line: usize, code: &str| {
            by_code.get(code).copied().ok_or_else(|| OnetError {
                file,
                line,
                problem: format!("{code:?} is not in occupations.tsv"),
            })
        };

        for row in rows("titles.tsv", TITLES, "soc\ttitles") {
            let (line, [code, titles]) = row?;
            let id = lookup("titles.tsv", line, code)?;
            occupations[usize::from(id.0)].titles = titles.split('|').map(Box::from).collect();
        }
        for row in rows("tasks.tsv", TASKS, "soc\ttask") {
            let (line, [code, task]) = row?;
            let id = lookup("tasks.tsv", line, code)?;
            occupations[usize::from(id.0)].core_tasks.push(task.into());
        }
        let mut technologies = Vec::new();
        for row in rows("technology.tsv", TECHNOLOGY, "technology\tcategory\thot\toccupations") {
            let (line, [name, category, hot, users]) = row?;
            let id = TechnologyId(u16::try_from(technologies.len()).map_err(|_| OnetError {
                file: "technology.tsv",
                line,
                problem: "too many technologies".into(),
            })?);
            for user in users.split(',') {
                let (code, in_demand) = user.strip_suffix('*').map_or((user, false), |code| (code, true));
                let occupation = lookup("technology.tsv", line, code)?;
                occupations[usize::from(occupation.0)].technologies.push(Uses { technology: id, in_demand });
            }
            technologies.push(Technology { name: name.into(), category: category.into(), hot: hot == "Y" });
        }
        for row in rows("related.tsv", RELATED, "soc\tprimary_short\tprimary_long\tsupplemental") {
            let (line, [code, short, long, supplemental]) = row?;
            let id = lookup("related.tsv", line, code)?;
            let mut related = Vec::new();
            for (tier, list) in
                [(Tier::PrimaryShort, short), (Tier::PrimaryLong, long), (Tier::Supplemental, supplemental)]
            {
                for other in list.split(',').filter(|c| !c.is_empty()) {
                    related.push(Related { occupation: lookup("related.tsv", line, other)?, tier });
                }
            }
            occupations[usize::from(id.0)].related = related;
        }
        let mut job_zones = Vec::new();
        for row in rows("job_zones.tsv", JOB_ZONES, "zone\tname\texperience\teducation\ttraining") {
            let (line, [zone, name, experience, education, training]) = row?;
            job_zones.push(JobZone {
                zone: zone.parse().map_err(|_| OnetError {
                    file: "job_zones.tsv",
                    line,
                    problem: format!("job zone {zone:?}"),
                })?,
                name: name.into(),
                experience: experience.into(),
                education: education.into(),
                training: training.into(),
            });
        }
        Ok(Onet { occupations, technologies, job_zones, by_code })
    }
}

/// A file's rows after its header, which must be `header`: the dataset's
/// format is its header rows, so a file from another format is refused
/// rather than misread. Each row comes with its line number.
fn rows<'a, const N: usize>(
    file: &'static str,
    text: &'a str,
    header: &'static str,
) -> impl Iterator<Item = Result<(usize, [&'a str; N]), OnetError>> + 'a {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let header_error = (first != header).then(|| OnetError {
        file,
        line: 1,
        problem: format!("the header is {first:?}, expected {header:?}"),
    });
    header_error.map(Err).into_iter().chain(lines.enumerate().map(move |(n, line)| {
        let cells: Vec<&str> = line.split('\t').collect();
        let count = cells.len();
        cells.try_into().map(|cells| (n + 2, cells)).map_err(|_| OnetError {
            file,
            line: n + 2,
            problem: format!("{count} cells where the header has {N}"),
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_loads_whole_and_its_rows_connect() {
        let onet = Onet::get().unwrap();
        assert_eq!(onet.occupations().len(), 1016);
        let web = onet.occupation(onet.find("15-1254.00").unwrap());
        assert_eq!(&*web.title, "Web Developers");
        assert_eq!(web.job_zone, Some(3));
        assert!(web.interests.is_some_and(|s| s.iter().all(|v| (1.0..=7.0).contains(v))));
        assert!(web.titles.iter().any(|t| t.eq_ignore_ascii_case("full stack developer")), "{:?}", &web.titles[..5]);
        assert!(!web.core_tasks.is_empty());
        let javascript = web
            .technologies
            .iter()
            .map(|uses| (onet.technology(uses.technology), uses.in_demand))
            .find(|(t, _)| &*t.name == "JavaScript")
            .unwrap();
        assert!(javascript.0.hot && javascript.1, "JavaScript is hot and in demand for web developers");
        // Related roles resolve to occupations, closest tier first.
        assert!(web.related.windows(2).all(|pair| pair[0].tier <= pair[1].tier));
        let first = onet.occupation(web.related[0].occupation);
        assert_eq!(web.related[0].tier, Tier::PrimaryShort);
        assert!(first.code.starts_with("15-"), "a web developer's closest relative is a computer job: {}", first.title);
        assert_eq!(onet.job_zone(5).unwrap().zone, 5);
        assert!(onet.job_zone(6).is_none());
        assert!(
            include_str!("../../onet/README.md").contains(app::mentor::ONET_ATTRIBUTION),
            "the attribution shown is the dataset's"
        );
    }

    #[test]
    fn a_file_from_another_format_is_refused_with_its_name() {
        let error = rows::<2>("titles.tsv", "soc\ttitle\tsource\n", "soc\ttitles").next().unwrap().unwrap_err();
        assert!(error.to_string().contains("server/onet/titles.tsv"), "{error}");
        let error = rows::<2>("titles.tsv", "soc\ttitles\n15-1254.00\n", "soc\ttitles").next().unwrap().unwrap_err();
        assert_eq!((error.line, error.problem.as_str()), (2, "1 cells where the header has 2"));
    }
}
