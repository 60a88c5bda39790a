//! Business hours: admins set them in the team's time zone; out of hours,
//! a visitor who asks for a person while nobody is at the desk learns when
//! the team is back, and the Settings page says whether the team is in.

use axum::http::StatusCode;
use serde_json::json;

use crate::backend_tests;
use crate::chat::{start, tenant, widget, Tenant, REFUNDS, SHOP};
use crate::support::{TestApp, TestResponse};

backend_tests! {
    async fn out_of_hours_a_visitor_learns_when_the_team_is_back(app) {
        let shop = tenant(&app, "hours@example.com", &[("Refunds", REFUNDS)]).await;
        let workspace = shop.workspace.as_str();
        let ws = [("workspace_id", workspace)];
        // Never set: no hours, always in; the page offers every zone the server knows.
        let first = app.call(&shop.session, "/api/desk/hours", &ws).await.json();
        assert_eq!((first["hours"]["enabled"].as_bool(), first["open_now"].as_bool(), first["can_edit"].as_bool()), (Some(false), Some(true), Some(true)));
        let zones = first["zones"].as_array().unwrap();
        assert!(zones.len() > 300 && zones.contains(&json!("Europe/Paris")) && zones.contains(&json!("America/New_York")));

        // Mistakes are named per field, and nothing is saved.
        let refused = save(&app, &shop, &[("form[enabled]", "true"), ("form[time_zone]", "Mars/Olympus_Mons"), ("form[tue]", "17-9")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        assert!(refused.json()["Invalid"]["tue"].as_str().unwrap().starts_with("Tuesday: "), "{}", refused.body);
        let refused = save(&app, &shop, &[("form[enabled]", "true"), ("form[time_zone]", "Mars/Olympus_Mons"), ("form[mon]", "9-17")]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
        assert!(refused.json()["Invalid"]["time_zone"].as_str().unwrap().contains("Mars/Olympus_Mons"), "{}", refused.body);
        assert_eq!(app.count("desk_settings").await, 0);

        // Open around the clock, but today and tomorrow are holidays: back at midnight the day after.
        let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date();
        let tomorrow = today.tomorrow().unwrap();
        let back = tomorrow.tomorrow().unwrap().to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp().as_millisecond();
        let holidays = format!("{today} Inventory day\n{tomorrow} Team retreat");
        let mut week: Vec<(&str, &str)> =
            ["form[mon]", "form[tue]", "form[wed]", "form[thu]", "form[fri]", "form[sat]", "form[sun]"]
                .into_iter()
                .map(|field| (field, "0:00-24:00"))
                .collect();
        week.extend([("form[enabled]", "true"), ("form[time_zone]", "UTC"), ("form[holidays]", holidays.as_str())]);
        let saved = save(&app, &shop, &week).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        let saved = saved.json();
        assert_eq!((saved["open_now"].as_bool(), saved["next_open"].as_i64()), (Some(false), Some(back)));
        assert_eq!(saved["hours"]["holidays"][1], json!({ "date": tomorrow.to_string(), "name": "Team retreat" }));
        assert_eq!(app.call(&shop.session, "/api/desk/hours", &ws).await.json()["hours"], saved["hours"], "read back as saved");

        // Nobody at the desk: the visitor who asks for a person learns when the team is back, also after a reload.
        let token = start(&app, &shop.key, None).await["token"].as_str().unwrap().to_string();
        let handoff = widget(&app, "POST", &format!("/api/widget/v1/{}/handoff", shop.key), Some(SHOP), Some(json!({ "token": token }))).await;
        assert_eq!(handoff.status, StatusCode::OK, "{}", handoff.body);
        assert_eq!(handoff.json()["queue"]["online"], 0);
        assert_eq!(handoff.json()["queue"]["back_at"], back);
        assert_eq!(start(&app, &shop.key, Some(&token)).await["queue"]["back_at"], back);

        // Hours switched off: the team is reachable whenever, and nobody is told to wait for a date.
        week.retain(|(field, _)| *field != "form[enabled]");
        let off = save(&app, &shop, &week).await.json();
        assert_eq!((off["hours"]["enabled"].as_bool(), off["open_now"].as_bool()), (Some(false), Some(true)));
        assert_eq!(off["hours"]["time_zone"], "UTC", "switched off, the hours are kept for next time");
        assert!(start(&app, &shop.key, Some(&token)).await["queue"]["back_at"].is_null());
    }
}

async fn save(app: &TestApp, shop: &Tenant, fields: &[(&str, &str)]) -> TestResponse {
    let mut all = vec![("workspace_id", shop.workspace.as_str())];
    all.extend_from_slice(fields);
    app.call(&shop.session, "/api/desk/save-hours", &all).await
}
