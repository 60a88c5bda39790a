//! The career mentor's own cost: parsing the O*NET dataset and building the
//! recommender (start-up time and the memory they hold), then a
//! recommendation's latency with the dataset in memory, for profiles from
//! the labelled set (their interests embedded beforehand, as the request
//! path does once per request), alone and as the page gets them, and the
//! chat's offline answers.
//! `cargo bench -p server --bench mentor`;
//! `cargo xtask bench` runs it too. Prints numbers, asserts nothing.
//! Targets: a recommendation's p99 under 20 ms, the dataset under 60 MB.

use std::time::{Duration, Instant};

use app::mentor::{CareerResults, MatchMode};
use app::mentor_chat::STARTERS;
use lodestar_server::knowledge::embed::LocalMiniLm;
use lodestar_server::mentor::answers;
use lodestar_server::mentor::onet::Onet;
use lodestar_server::mentor::recommend::{Experience, Profile, Recommender};
use lodestar_server::mentor::results::role_match;

mod support;
use support::{model_dir, report, rss_mb};

const ROUNDS: usize = 20;

fn main() {
    let before = rss_mb();
    let started = Instant::now();
    let onet = Onet::get().expect("the dataset parses");
    let parsed = started.elapsed();
    let after_parse = rss_mb();
    let started = Instant::now();
    let recommender = Recommender::new(onet).expect("the recommender builds");
    let built = started.elapsed();
    let after_build = rss_mb();
    println!("  start-up: dataset parsed in {:.1} ms, recommender built in {:.1} ms", ms(parsed), ms(built));
    println!(
        "  memory (resident): dataset {:.1} MB, recommender's indexes {:.1} MB, {:.1} MB in all",
        after_parse - before,
        after_build - after_parse,
        after_build - before
    );

    let model = LocalMiniLm::load_blocking(&model_dir()).expect("the MiniLM model");
    let profiles: Vec<(Profile, Vec<f32>)> = include_str!("../tests/data/mentor/profiles.tsv")
        .lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            let profile = Profile {
                interest: cells[0].to_string(),
                experience: Experience::Mid,
                skills: cells[2]
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| recommender.skills.normalise(s))
                    .collect(),
                hours_per_week: 10,
            };
            let meaning = model.model().embed(std::slice::from_ref(&profile.interest)).remove(0);
            (profile, meaning)
        })
        .collect();
    let mut times: Vec<Duration> = Vec::new();
    for _ in 0..ROUNDS {
        for (profile, meaning) in &profiles {
            let started = Instant::now();
            let roles = recommender.recommend(profile, Some(meaning));
            times.push(started.elapsed());
            assert!(!roles.is_empty());
        }
    }
    report("recommendations (5 roles with readiness and gaps, 1,016 occupations)", &mut times);
    let mut times: Vec<Duration> = Vec::new();
    for (profile, meaning) in &profiles {
        let started = Instant::now();
        let roles: Vec<_> = recommender
            .recommend(profile, Some(meaning))
            .iter()
            .map(|r| role_match(&recommender, r, profile))
            .collect();
        times.push(started.elapsed());
        assert!(!roles.is_empty());
    }
    report("results as the page gets them (+ reasons, roadmaps, 4 adjacent roles each)", &mut times);
    // The chat's offline answer: the person's results, then an answer
    // composed from them (the embedding is timed below).
    let mut times: Vec<Duration> = Vec::new();
    for (profile, meaning) in &profiles {
        for question in STARTERS {
            let started = Instant::now();
            let roles = recommender
                .recommend(profile, Some(meaning))
                .iter()
                .map(|r| role_match(&recommender, r, profile))
                .collect();
            let results =
                CareerResults { skills: Vec::new(), roles, hours_per_week: 10, mode: MatchMode::WordsAndMeaning };
            let answer = answers::answer(question, &results);
            times.push(started.elapsed());
            assert!(!answer.text.is_empty());
        }
    }
    report("offline mentor answers (results, then composed; the 4 suggested questions)", &mut times);
    let mut times: Vec<Duration> = Vec::new();
    for (profile, _) in &profiles {
        let started = Instant::now();
        let _ = model.model().embed(std::slice::from_ref(&profile.interest));
        times.push(started.elapsed());
    }
    report("embedding the interest (once per request, before ranking)", &mut times);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
