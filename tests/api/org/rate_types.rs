//! Rate types through the API: seeded for every year, administered through a field whitelist,
//! and every rate kind round-tripping.

use super::*;

#[tokio::test]
async fn rate_types_are_seeded_and_administered_by_whitelist() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let rates = get_ok(&app, &admin, "/api/v1/rate-types?per_page=200").await;
    let low_2026 = rates["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "car_low" && r["valid_from"] == "2026-01-01")
        .unwrap()
        .clone();
    assert_eq!(low_2026["ore_per_km"], 228);
    assert_eq!(low_2026["unverified"], true);
    assert_eq!(low_2026["requires_license_plate"], true);
    assert!(low_2026["tf_code"]
        .as_str()
        .unwrap()
        .starts_with("PLACEHOLDER"));
    let path = format!("/api/v1/rate-types/{}", low_2026["id"]);

    // Kind and period are not in the whitelist.
    let res = app
        .put(
            &path,
            Some(&admin),
            &json!({"description": "x", "tf_code": "0611", "ore_per_km": 228,
                    "unverified": false, "valid_from": "2026-02-01"}),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;
    let res = app
        .put(
            &path,
            Some(&admin),
            &json!({"description": "Bil, lav takst", "tf_code": "0611", "tf_code_2": "0612",
                    "ore_per_km": 228, "unverified": false}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["tf_code"], "0611");
    assert_eq!(updated["tf_code_2"], "0612");
    assert_eq!(updated["valid_from"], "2026-01-01");
    assert_eq!(updated["kind"], "car_low");

    // A new year's period; an overlapping one is refused.
    let next = json!({"kind": "bicycle", "valid_from": "2027-01-01", "valid_to": "2027-12-31",
                      "description": "Cykel", "tf_code": "0620", "ore_per_km": 65});
    let created = post_ok(&app, &admin, "/api/v1/rate-types", next).await;
    assert_eq!(created["is_bicycle"], true);
    assert_eq!(created["requires_license_plate"], false);
    let res = app
        .post(
            "/api/v1/rate-types",
            Some(&admin),
            &json!({"kind": "bicycle", "valid_from": "2026-12-01", "valid_to": "2027-01-31",
                    "description": "Cykel", "tf_code": "0620", "ore_per_km": 65}),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;

    // Everyone reads them; only an admin changes them.
    app.create_user("eva", PW, &["employee"]).await;
    let eva = app.tokens("eva", PW).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(get_ok(&app, &eva, "/api/v1/rate-types").await["total"], 25);
    // The new one is where its Location said, for everyone.
    let one = format!("/api/v1/rate-types/{}", created["id"]);
    assert_eq!(get_ok(&app, &eva, &one).await, created);
    let res = app.get("/api/v1/rate-types/999999", Some(&eva)).await;
    assert_problem(res, 404, "not-found").await;
    let res = app
        .put(
            &path,
            Some(&eva),
            &json!({"description": "x", "tf_code": "1", "ore_per_km": 1, "unverified": false}),
        )
        .await;
    assert_problem(res, 403, "forbidden").await;
}

/// One spelling of every rate kind: what `GET` answers is what `POST` takes (issue 11 item 5:
/// `car_high_above_20k` was listed but refused).
#[tokio::test]
async fn every_rate_kind_round_trips_through_the_api() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let listed = get_ok(&app, &admin, "/api/v1/rate-types?per_page=200").await;
    let mut kinds: Vec<String> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds,
        ["bicycle", "car_high", "car_high_above_20k", "car_low"],
        "the seeded table lists every kind"
    );
    for (year, kind) in (2030..).zip(&kinds) {
        let created = post_ok(
            &app,
            &admin,
            "/api/v1/rate-types",
            json!({"kind": kind, "valid_from": format!("{year}-01-01"),
                   "valid_to": format!("{year}-12-31"), "description": "Ny periode",
                   "tf_code": "0700", "ore_per_km": 100}),
        )
        .await;
        assert_eq!(&created["kind"], kind, "POST answers the kind as sent");
        let shown = get_ok(&app, &admin, "/api/v1/rate-types?per_page=200").await;
        assert!(
            shown["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["id"] == created["id"] && &r["kind"] == kind),
            "GET lists {kind} as it was posted"
        );
    }
}
