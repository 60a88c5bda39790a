//! The career mentor through its doors: the server functions the `/mentor`
//! page calls and the page itself, rendered on the server from its address.

use axum::http::StatusCode;

use crate::backend_tests;
use crate::support::{TestApp, PASSWORD};

const RECOMMEND: &str = "/api/mentor/recommendations";
const SAME_SITE: &[(&str, &str)] = &[("sec-fetch-site", "same-origin")];

async fn recommend(app: &TestApp, interest: &str, experience: &str, skills: &[&str]) -> crate::support::TestResponse {
    let keys: Vec<String> = (0..skills.len()).map(|i| format!("form[skills][{i}]")).collect();
    let mut fields =
        vec![("form[interest]", interest), ("form[experience]", experience), ("form[hours_per_week]", "10")];
    fields.extend(keys.iter().map(String::as_str).zip(skills.iter().copied()));
    app.post_form(RECOMMEND, &fields, SAME_SITE).await
}

backend_tests! {
    async fn a_persons_words_and_skills_get_roles_with_their_reasons_and_plan(app) {
        let response =
            recommend(&app, "I'd like to make websites for small businesses", "junior", &["HTML", "css", "js", "teamwork"]).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        let results = response.json();
        let roles = results["roles"].as_array().unwrap();
        assert_eq!(roles.len(), 5);
        let web = roles.iter().take(3).find(|r| r["soc"] == "15-1254.00").expect("Web Developers in the top 3");
        assert!(web["readiness"].as_u64().unwrap() > 0);
        assert!(web["reasons"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("key technologies")));
        assert!(!web["gaps"].as_array().unwrap().is_empty());
        assert!(!web["roadmap"]["phases"].as_array().unwrap().is_empty());
        assert!(!web["adjacent"].as_array().unwrap().is_empty());
        // "js" reads as JavaScript; teamwork is kept though O*NET lists no such technology.
        let skills = results["skills"].as_array().unwrap();
        assert_eq!(skills[2]["technology"], "JavaScript");
        assert_eq!(skills[3], serde_json::json!({ "typed": "teamwork", "technology": null }));
        assert_eq!(results["mode"], "words_and_meaning", "the test app embeds with the local model");
    }

    async fn empty_absurd_and_hostile_forms_get_clear_errors_or_plain_text(app) {
        let empty = recommend(&app, "  ", "junior", &[]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.json()["Invalid"]["interest"].as_str().unwrap().contains("interests you"));
        let long = recommend(&app, &"data ".repeat(2_000), "junior", &[]).await;
        assert_eq!(long.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(long.json()["Invalid"]["interest"].as_str().unwrap().contains("1000"));
        let wizard = recommend(&app, "data", "wizard", &[]).await;
        assert!(wizard.json()["Invalid"]["experience"].is_string());
        let hostile = recommend(&app, "<script>alert(1)</script> analyse data", "mid", &["<img src=x onerror=alert(1)>"]).await;
        assert_eq!(hostile.status, StatusCode::OK, "{}", hostile.body);
        assert_eq!(hostile.json()["skills"][0]["typed"], "<img src=x onerror=alert(1)>", "kept as text, never as markup");

        // The address fills the form: what it holds is text, wherever it lands.
        let page = app
            .get_page(
                None,
                "/mentor?interest=%3C%2Ftextarea%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E+data&experience=mid&skills=%3Cimg+src%3Dx%3E",
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        for raw in ["<script>alert(1)", "<img src=x>", "</textarea><script"] {
            assert!(!page.body.contains(raw), "{raw:?} reached the page as markup");
        }
        assert!(page.body.contains("&lt;/textarea&gt;&lt;script&gt;alert(1)"), "the interest is kept, as text");
        assert!(page.body.contains("&lt;img src=x&gt;"));
    }

    async fn the_page_renders_results_from_its_address_before_any_code_loads(app) {
        let page = app.get_page(None, "/mentor?interest=analyse+data+with+statistics&experience=mid&skills=Python,+SQL,+R&hours=5").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for expected in ["Roles for you", "Readiness", "Skill gaps", "Your roadmap", "O*NET 29.2 Database", "Weeks at 5 h"] {
            assert!(page.body.contains(expected), "{expected:?} on the page");
        }
        assert!(page.body.contains("Data Scientists"), "the role the words and skills point to");
        let blank = app.get_page(None, "/mentor").await;
        assert!(blank.body.contains("What you&#x27;ll get") || blank.body.contains("What you'll get"));
        assert!(!blank.body.contains("Roles for you"));
        assert!(blank.body.contains("CC BY 4.0"), "the attribution travels with the data");
    }

    async fn skill_suggestions_come_from_the_data_most_used_first(app) {
        let response = app.get("/api/mentor/skills?typed=pyth").await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        let names: Vec<String> =
            response.json().as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect();
        assert_eq!(names.first().map(String::as_str), Some("Python"), "{names:?}");
        let nothing = app.get("/api/mentor/skills?typed=%20").await;
        assert_eq!(nothing.json(), serde_json::json!([]));
    }

    async fn one_client_cannot_monopolise_the_recommender(app) {
        for _ in 0..30 {
            let response = recommend(&app, "", "junior", &["Excel"]).await;
            assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        }
        let refused = recommend(&app, "", "junior", &["Excel"]).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.header("retry-after").parse::<u64>().unwrap() >= 1);
    }

    async fn a_signed_in_persons_form_is_their_profile_and_theirs_alone(app) {
        let ada = app.verified_user("ada@example.com", "mentor").await;
        let bob = app.verified_user("bob@example.com", "mentor").await;
        assert_eq!(app.call(&ada, "/api/mentor/profile", &[]).await.json(), serde_json::Value::Null, "none yet");
        let form = [
            ("form[interest]", "I want to build websites"),
            ("form[experience]", "junior"),
            ("form[skills][0]", "HTML"),
            ("form[skills][1]", "CSS"),
            ("form[hours_per_week]", "12"),
        ];
        let saved = app.call(&ada, "/api/mentor/save-profile", &form).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        let profile = app.call(&ada, "/api/mentor/profile", &[]).await.json();
        assert_eq!(profile["interest"], "I want to build websites");
        assert_eq!(profile["skills"], serde_json::json!(["HTML", "CSS"]));
        assert_eq!(profile["hours_per_week"], 12);
        // Saving again replaces it.
        let again = app.call(&ada, "/api/mentor/save-profile", &[("form[interest]", "data"), ("form[experience]", "mid")]).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(app.call(&ada, "/api/mentor/profile", &[]).await.json()["interest"], "data");
        assert_eq!(app.count("mentor_profiles").await, 1);
        // Nobody else sees or changes it.
        assert_eq!(app.call(&bob, "/api/mentor/profile", &[]).await.json(), serde_json::Value::Null);
        assert_eq!(app.post_form("/api/mentor/profile", &[], SAME_SITE).await.json(), serde_json::Value::Null);
        let anonymous = app.post_form("/api/mentor/save-profile", &form, SAME_SITE).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let bad = app.call(&bob, "/api/mentor/save-profile", &[("form[interest]", " "), ("form[experience]", "mid")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.count("mentor_profiles").await, 1);

        // Opening the bare page leads to the saved results.
        let page = app.get_page(Some(&ada), "/mentor").await;
        assert_eq!(page.status, StatusCode::FOUND, "{}", page.body);
        assert!(page.header("location").starts_with("/mentor?interest=data&experience=mid"), "{}", page.header("location"));
        assert_eq!(app.get_page(Some(&bob), "/mentor").await.status, StatusCode::OK, "no profile: the form");

        // The export carries it; deleting the account deletes it.
        assert_eq!(app.get_as(&ada, "/account/export").await.json()["mentor_profile"]["interest"], "data");
        let gone = app.call(&ada, "/api/accounts/delete", &[("password", PASSWORD), ("confirm", "ada@example.com")]).await;
        assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
        assert_eq!(app.count("mentor_profiles").await, 0);
    }

    async fn the_form_filled_before_signing_up_becomes_the_new_profile(app) {
        let career = "interest=analyse+data&experience=mid&skills=Python%2C+SQL&hours=6";
        let grace = app.verified_user_with("grace@example.com", "mentor", &[("career", career)]).await;
        let profile = app.call(&grace, "/api/mentor/profile", &[]).await.json();
        assert_eq!(profile["interest"], "analyse data");
        assert_eq!(profile["skills"], serde_json::json!(["Python", "SQL"]));
        assert_eq!(profile["hours_per_week"], 6);
        // A form that does not validate is dropped, never the sign-up.
        let alan = app.verified_user_with("alan@example.com", "mentor", &[("career", "experience=wizard")]).await;
        assert_eq!(app.call(&alan, "/api/mentor/profile", &[]).await.json(), serde_json::Value::Null);
    }
}
