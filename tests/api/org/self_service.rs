//! Employees' self-service through the API: their own licence plates and alternative addresses.

use super::*;

#[tokio::test]
async fn employees_manage_their_own_plates_and_alternative_addresses() {
    let app = spawn_app().await;
    let org = build_org(&app).await;
    let nina = app.tokens("nina", PW).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let me = get_ok(&app, &nina, "/api/v1/me/person").await;
    assert_eq!(me["id"], org.nina);
    assert_eq!(me["cpr"], "0101901234");
    let emps = get_ok(&app, &nina, "/api/v1/me/employments").await;
    assert_eq!(emps[0]["employment_number"], "4000");

    let first = post_ok(
        &app,
        &nina,
        "/api/v1/me/vehicles",
        json!({"plate": "ab 12 345"}),
    )
    .await;
    assert_eq!(first["plate"], "AB12345");
    assert_eq!(first["is_primary"], true);
    let second = post_ok(
        &app,
        &nina,
        "/api/v1/me/vehicles",
        json!({"plate": "CD67890", "description": "Elbil", "is_primary": true}),
    )
    .await;
    assert_eq!(second["is_primary"], true);
    let res = app
        .post(
            "/api/v1/me/vehicles",
            Some(&nina),
            &json!({"plate": "AB 12345"}),
        )
        .await;
    assert_problem(res, 409, "conflict").await;
    let res = app
        .post("/api/v1/me/vehicles", Some(&nina), &json!({"plate": "!"}))
        .await;
    assert_problem(res, 422, "validation-failed").await;
    let list = get_ok(&app, &nina, "/api/v1/me/vehicles").await;
    assert_eq!(list[0]["is_primary"], false);
    assert_eq!(list[1]["is_primary"], true);
    let res = app
        .put(
            &format!("/api/v1/me/vehicles/{}/primary", id(&first)),
            Some(&nina),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = delete(&app, &nina, &format!("/api/v1/me/vehicles/{}", id(&first))).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let list = get_ok(&app, &nina, "/api/v1/me/vehicles").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["is_primary"], true);

    let home = json!({"kind": "home", "registry_address_id": "dar-9", "label": "Hjem",
                      "latitude": 56.1, "longitude": 10.1, "valid_from": "2024-01-01"});
    let res = app.post("/api/v1/me/addresses", Some(&nina), &home).await;
    assert_problem(res, 403, "forbidden").await;
    let alt = post_ok(
        &app,
        &nina,
        "/api/v1/me/addresses",
        json!({"kind": "alternative_work", "employment_id": org.emp_nina,
               "registry_address_id": "dar-10", "label": "Filial", "latitude": 56.2,
               "longitude": 10.3, "valid_from": "2024-02-01"}),
    )
    .await;
    post_ok(
        &app,
        &org.admin,
        &format!("/api/v1/persons/{}/addresses", org.nina),
        home,
    )
    .await;
    let mine = get_ok(&app, &nina, "/api/v1/me/addresses").await;
    assert_eq!(mine["addresses"].as_array().unwrap().len(), 2);
    let admin_home = mine["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "home")
        .unwrap()
        .clone();
    let res = delete(
        &app,
        &nina,
        &format!("/api/v1/me/addresses/{}", id(&admin_home)),
    )
    .await;
    assert_problem(res, 403, "forbidden").await;
    let res = delete(&app, &nina, &format!("/api/v1/me/addresses/{}", id(&alt))).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // A user with no person gets a clear 404.
    app.create_user("nobody", PW, &["employee"]).await;
    let nobody = app.tokens("nobody", PW).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app.get("/api/v1/me/approvers", Some(&nobody)).await;
    assert_problem(res, 404, "not-found").await;
}
