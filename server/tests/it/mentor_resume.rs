//! Résumés on the career form: read in the sandboxed extraction worker
//! (PDF, Word, text), their skills confirmed before they join the profile,
//! nothing kept for anyone signed out, bad files refused with a reason,
//! the extension's API, and limits per client.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use lodestar_server::knowledge::extract;
use serde_json::{json, Value};

use crate::backend_tests;
use crate::knowledge::{data, multipart_body, BOUNDARY};
use crate::support::{Session, TestApp, TestResponse, PASSWORD};

const CAREER: &str = "interest=analyse+data&experience=junior&skills=Excel&hours=8";

fn resume(name: &str) -> Vec<u8> {
    std::fs::read(data(&format!("resumes/{name}"))).unwrap()
}

/// The page's upload, as `session` or as someone signed out.
async fn read(app: &TestApp, session: Option<&Session>, name: &str, bytes: Vec<u8>) -> TestResponse {
    let mut request = Request::post("/api/mentor/resume")
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .header("sec-fetch-site", "same-origin");
    if let Some(session) = session {
        request = request.header("cookie", &session.cookie);
    }
    app.request(request.body(Body::from(multipart_body(&[(name, bytes)]))).unwrap()).await
}

/// The extension's upload, with a bearer token (or none).
async fn read_by_api(app: &TestApp, token: Option<&str>, name: &str, bytes: Vec<u8>) -> TestResponse {
    let mut request = Request::post("/api/mentor/v1/resume")
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    app.request(request.body(Body::from(multipart_body(&[(name, bytes)]))).unwrap()).await
}

async fn confirm_by_api(app: &TestApp, token: &str, id: &str, body: Value) -> TestResponse {
    app.post_json(
        &format!("/api/mentor/v1/resume/{id}/confirm"),
        body,
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await
}

fn names(reading: &Value) -> Vec<String> {
    reading["skills"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect()
}

async fn profile(app: &TestApp, session: &Session) -> Value {
    let response = app.call(session, "/api/mentor/profile", &[]).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()
}

async fn token_for(app: &TestApp, email: &str) -> String {
    let tokens = app.post_json("/api/v1/auth/token", json!({ "email": email, "password": PASSWORD }), &[]).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    tokens.json()["access_token"].as_str().unwrap().to_owned()
}

backend_tests! {
    async fn a_resume_is_read_then_confirmed_into_the_profile_exported_and_deleted_with_the_account(app) {
        let rosa = app.verified_user_with("rosa@example.com", "mentor", &[("career", CAREER)]).await;
        let reading = read(&app, Some(&rosa), "rosa-martinez.txt", resume("rosa-martinez.txt")).await;
        assert_eq!(reading.status, StatusCode::OK, "{}", reading.body);
        let reading = reading.json();
        let found = names(&reading);
        for skill in ["Tableau", "PostgreSQL", "Microsoft Excel", "Python", "Git", "Stakeholder management", "Customer service"] {
            assert!(found.contains(&skill.to_string()), "{skill} not in {found:?}");
        }
        assert!(!found.iter().any(|s| s.contains("Project")), "prose is not a skill: {found:?}");
        let tableau = reading["skills"].as_array().unwrap().iter().find(|s| s["name"] == "Tableau").unwrap();
        assert!(tableau["evidence"].as_str().unwrap().contains("dashboards in Tableau"), "{tableau}");
        assert_eq!(tableau["technology"], true);
        assert_eq!(reading["format"], "Text");
        // From 2019 to the present job, not counting the degree.
        assert_eq!(reading["years"], app::dates::civil(lodestar_server::sql::now_millis()).0 - 2019);
        let id = reading["id"].as_str().expect("kept for someone signed in").to_owned();

        // Nothing joins the profile before it is confirmed.
        assert_eq!(profile(&app, &rosa).await["skills"], json!(["Excel"]));
        let confirmed = app.call(&rosa, "/api/mentor/resume/confirm", &[
            ("id", &id),
            ("confirmed[skills][0]", "Tableau"),
            ("confirmed[skills][1]", "customer service"),
            ("confirmed[experience]", "senior"),
        ]).await;
        assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
        let saved = profile(&app, &rosa).await;
        assert_eq!(saved["skills"], json!(["Excel", "Tableau", "Customer service"]));
        assert_eq!(saved["experience"], "senior");
        assert_eq!(saved["interest"], "analyse data", "the rest of the profile is kept");

        // A skill that was not found is refused, and so is someone else's reading.
        let made_up = app.call(&rosa, "/api/mentor/resume/confirm", &[("id", &id), ("confirmed[skills][0]", "Brain surgery")]).await;
        assert_eq!(made_up.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", made_up.body);
        assert!(made_up.body.contains("was not found in this résumé"), "{}", made_up.body);
        let mallory = app.verified_user("mallory@example.com", "mentor").await;
        let theirs = app.call(&mallory, "/api/mentor/resume/confirm", &[("id", &id), ("confirmed[skills][0]", "Tableau")]).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.body);
        assert!(profile(&app, &mallory).await.is_null());

        let export = app.get_as(&rosa, "/account/export").await.json();
        assert_eq!(export["mentor_resume"]["file_name"], "rosa-martinez.txt");
        assert_eq!(export["mentor_resume"]["skills_confirmed"], json!(["Tableau", "Customer service"]));
        assert!(export["mentor_resume"]["skills_found"].as_array().unwrap().len() >= 7);

        // Reading another replaces it: one per person.
        let again = read(&app, Some(&rosa), "sam-lee.docx", resume("sam-lee.docx")).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        assert_eq!(app.count("mentor_resumes").await, 1);
        let gone = app.call(&rosa, "/api/mentor/resume/confirm", &[("id", &id), ("confirmed[skills][0]", "Tableau")]).await;
        assert_eq!(gone.status, StatusCode::NOT_FOUND, "the replaced reading is gone");

        let deleted = app.call(&rosa, "/api/accounts/delete", &[("password", PASSWORD), ("confirm", "rosa@example.com")]).await;
        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
        assert_eq!(app.count("mentor_resumes").await, 0);
    }

    async fn anyone_can_read_a_resume_and_nothing_is_kept(app) {
        let reading = read(&app, None, "sam-lee.docx", resume("sam-lee.docx")).await;
        assert_eq!(reading.status, StatusCode::OK, "{}", reading.body);
        let reading = reading.json();
        assert!(reading["id"].is_null());
        assert_eq!(reading["format"], "Word document");
        let found = names(&reading);
        for skill in ["JavaScript", "React", "Node.js", "Git", "Adobe Photoshop", "Mentoring"] {
            assert!(found.contains(&skill.to_string()), "{skill} not in {found:?}");
        }
        // "6+ years of experience", and 2017 to now.
        assert!(reading["years"].as_u64().unwrap() >= 6, "{reading}");
        assert_eq!(app.count("mentor_resumes").await, 0);

        // A PDF, as résumés most often are.
        let lines = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        let pdf = extract::pdf_with_lines("Ada Okafor", &[lines(&[
            "Ada Okafor", "ada@example.net", "EXPERIENCE", "Accountant, Fenwick & Co, 2016 - 2024",
            "Prepared month-end accounts in SAP and Microsoft Excel.", "SKILLS", "QuickBooks, Budgeting, Audit",
        ])]);
        let reading = read(&app, None, "ada.pdf", pdf).await;
        assert_eq!(reading.status, StatusCode::OK, "{}", reading.body);
        let found = names(&reading.json());
        assert!(found.contains(&"Microsoft Excel".to_string()), "{found:?}");
        assert!(found.iter().any(|s| s.contains("QuickBooks")), "{found:?}");
        assert!(found.iter().any(|s| s.starts_with("Budgeting")), "{found:?}");
        assert!(!found.contains(&"Ada".to_string()), "her name is not the Ada language: {found:?}");
    }

    async fn bad_files_are_refused_with_a_reason_and_nothing_is_kept(app) {
        let rosa = app.verified_user("rosa@example.com", "mentor").await;
        let image = std::fs::read(data("hostile/image.pdf")).unwrap();
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("photo.pdf", image, "PNG"),
            ("cake.txt", resume("not-a-resume.txt"), "doesn't look like a résumé"),
            ("empty.txt", Vec::new(), "no text"),
            ("huge.txt", vec![b'a'; 5 * 1024 * 1024 + 1], "over 5 MB"),
            ("bomb.docx", std::fs::read(data("hostile/bomb.docx")).unwrap(), "couldn't read|far more text"),
            ("truncated.pdf", std::fs::read(data("hostile/truncated.pdf")).unwrap(), "couldn't read"),
            ("page.html", b"<html><body><h1>Skills</h1><p>Python</p></body></html>".to_vec(), "not a résumé we can read"),
        ];
        for (name, bytes, reason) in cases {
            let refused = read(&app, Some(&rosa), name, bytes).await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {}", refused.body);
            let message = refused.json()["fields"]["file"].as_str().unwrap_or_default().to_owned();
            assert!(reason.split('|').any(|r| message.contains(r)), "{name}: {message}");
            assert!(!message.contains("panicked"), "{name}: {message}");
        }
        let hostile = "SKILLS\n<script>alert(1)</script>, SQL, ' OR 1=1 --\nEXPERIENCE\nDBA, 2019 - 2020";
        let reading = read(&app, Some(&rosa), "hostile.txt", hostile.as_bytes().to_vec()).await;
        assert_eq!(reading.status, StatusCode::OK, "{}", reading.body);
        let found = names(&reading.json());
        assert!(found.contains(&"Structured query language SQL".to_string()), "{found:?}");
        assert!(!found.iter().any(|s| s.contains('<') || s.contains('=')), "{found:?}");

        // A request without a file says what to send.
        let no_file = app.request(
            Request::post("/api/mentor/resume")
                .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
                .header("sec-fetch-site", "same-origin")
                .body(Body::from(format!("--{BOUNDARY}--\r\n")))
                .unwrap(),
        ).await;
        assert_eq!(no_file.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", no_file.body);
        assert!(no_file.body.contains("Choose your résumé file"), "{}", no_file.body);
        assert_eq!(app.count("mentor_resumes").await, 1, "only the hostile-but-readable one was kept");
    }

    async fn the_extension_reads_and_confirms_with_a_token(app) {
        app.verified_user_with("ada@example.com", "mentor", &[("career", CAREER)]).await;
        let token = token_for(&app, "ada@example.com").await;
        let missing = read_by_api(&app, None, "cv.txt", resume("rosa-martinez.txt")).await;
        assert_eq!(missing.status, StatusCode::UNAUTHORIZED, "{}", missing.body);

        let reading = read_by_api(&app, Some(&token), "cv.txt", resume("rosa-martinez.txt")).await;
        assert_eq!(reading.status, StatusCode::OK, "{}", reading.body);
        let id = reading.json()["id"].as_str().unwrap().to_owned();
        let confirmed = confirm_by_api(&app, &token, &id, json!({ "skills": ["Python", "Git"] })).await;
        assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
        let form = confirmed.json();
        assert_eq!(form["skills"], json!(["Excel", "Python", "Git"]));
        assert_eq!(form["experience"], "junior", "experience is changed only when asked");
        let profile = app.request(
            Request::get("/api/mentor/v1/profile").header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap(),
        ).await;
        assert_eq!(profile.json()["skills"], json!(["Excel", "Python", "Git"]));

        let bad = confirm_by_api(&app, &token, &id, json!({ "skills": ["Python"], "experience": "wizard" })).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);

        // Another person's token cannot confirm Ada's reading.
        app.verified_user("bob@example.com", "mentor").await;
        let bob = token_for(&app, "bob@example.com").await;
        let theirs = confirm_by_api(&app, &bob, &id, json!({ "skills": ["Python"] })).await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND, "{}", theirs.body);
        // Bob has no profile: confirming his own reading makes one from it.
        let his = read_by_api(&app, Some(&bob), "cv.docx", resume("sam-lee.docx")).await.json();
        let made = confirm_by_api(&app, &bob, his["id"].as_str().unwrap(), json!({ "skills": ["React"] })).await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.body);
        assert_eq!(made.json()["skills"], json!(["React"]));
        assert_eq!(made.json()["experience"], "senior", "from the résumé's years");
    }

    async fn readings_are_limited_per_client(app) {
        let mut statuses = Vec::new();
        for _ in 0..11 {
            let response = read(&app, None, "cake.txt", resume("not-a-resume.txt")).await;
            statuses.push((response.status, response.header("retry-after").to_owned()));
        }
        assert!(statuses[..10].iter().all(|(s, _)| *s == StatusCode::UNPROCESSABLE_ENTITY), "{statuses:?}");
        let (last, retry_after) = &statuses[10];
        assert_eq!(*last, StatusCode::TOO_MANY_REQUESTS);
        assert!(retry_after.parse::<u64>().unwrap() > 0);
    }
}
