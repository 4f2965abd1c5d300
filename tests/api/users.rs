use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn admin_creates_lists_and_reads_users() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let res = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "Hanne.Hansen", "password": "sundhedsplejerske", "roles": ["employee"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["username"], "hanne.hansen");
    assert_eq!(created["roles"], json!(["employee"]));
    assert!(created.get("password_hash").is_none());
    assert_eq!(location, format!("/api/v1/users/{}", created["id"]));

    let fetched: Value = app.get(&location, Some(&admin)).await.json().await.unwrap();
    assert_eq!(fetched, created);

    for i in 0..3 {
        app.create_user(&format!("user{i}"), "a long password", &["employee"])
            .await;
    }
    let page: Value = app
        .get("/api/v1/users?page=2&per_page=2", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 5);
    assert_eq!(page["page"], 2);
    assert_eq!(page["per_page"], 2);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["username"], "user0");

    app.tokens("hanne.hansen", "sundhedsplejerske").await;
}

#[tokio::test]
async fn duplicate_and_invalid_usernames_are_rejected() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.create_user("pia", "a long password", &[]).await;
    let res = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "PIA", "password": "a long password"}),
        )
        .await;
    assert_problem(res, 409, "username-taken").await;
    let res = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "p i a", "password": "a long password"}),
        )
        .await;
    let body = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(body["field"], "username");
    let res = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "ole", "password": "short"}),
        )
        .await;
    let body = assert_problem(res, 422, "validation-failed").await;
    assert_eq!(body["field"], "password");
    let res = app
        .post(
            "/api/v1/users",
            Some(&admin),
            &json!({"username": "ole", "password": "a long password", "roles": ["boss"]}),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;
}

#[tokio::test]
async fn roles_change_at_the_next_refresh() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app
        .create_user("jens", "a long password", &["employee"])
        .await;
    let jens = app.tokens("jens", "a long password").await;

    let res = app
        .put(
            &format!("/api/v1/users/{id}/roles"),
            Some(&admin),
            &json!({"roles": ["approver", "employee"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["roles"], json!(["employee", "approver"]));

    let refreshed: Value = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": jens["refresh_token"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let me: Value = app
        .get("/api/v1/me", refreshed["access_token"].as_str())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], json!(["employee", "approver"]));
}

#[tokio::test]
async fn password_reset_ends_sessions() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let id = app
        .create_user("karen", "a long password", &["employee"])
        .await;
    let karen = app.tokens("karen", "a long password").await;
    let res = app
        .put(
            &format!("/api/v1/users/{id}/password"),
            Some(&admin),
            &json!({"password": "another long one"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .post(
            "/api/v1/auth/refresh",
            None,
            &json!({"refresh_token": karen["refresh_token"]}),
        )
        .await;
    assert_problem(res, 401, "invalid-token").await;
    assert_problem(
        app.login("karen", "a long password").await,
        401,
        "invalid-credentials",
    )
    .await;
    app.tokens("karen", "another long one").await;
}

#[tokio::test]
async fn users_change_their_own_password_knowing_the_current_one() {
    let app = spawn_app().await;
    app.create_user("lis", "a long password", &["employee"])
        .await;
    let lis = app.tokens("lis", "a long password").await;
    let token = lis["access_token"].as_str();
    let res = app
        .put(
            "/api/v1/me/password",
            token,
            &json!({"current_password": "wrong one!!", "new_password": "brand new password"}),
        )
        .await;
    assert_problem(res, 422, "validation-failed").await;
    let res = app
        .put(
            "/api/v1/me/password",
            token,
            &json!({"current_password": "a long password", "new_password": "brand new password"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    app.tokens("lis", "brand new password").await;
}

#[tokio::test]
async fn only_admins_manage_users() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let target = app
        .create_user("target", "a long password", &["employee"])
        .await;
    for role in ["employee", "approver", "payroll"] {
        let name = format!("a-{role}");
        app.create_user(&name, "a long password", &[role]).await;
        let token = app.tokens(&name, "a long password").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let t = Some(token.as_str());
        assert_problem(app.get("/api/v1/users", t).await, 403, "forbidden").await;
        assert_problem(
            app.get(&format!("/api/v1/users/{target}"), t).await,
            403,
            "forbidden",
        )
        .await;
        let res = app
            .post(
                "/api/v1/users",
                t,
                &json!({"username": "x", "password": "a long password"}),
            )
            .await;
        assert_problem(res, 403, "forbidden").await;
        let res = app
            .put(
                &format!("/api/v1/users/{target}/roles"),
                t,
                &json!({"roles": ["admin"]}),
            )
            .await;
        assert_problem(res, 403, "forbidden").await;
        let res = app
            .put(
                &format!("/api/v1/users/{target}/password"),
                t,
                &json!({"password": "a long password"}),
            )
            .await;
        assert_problem(res, 403, "forbidden").await;
    }
    // And without a token, 401 everywhere.
    assert_problem(app.get("/api/v1/users", None).await, 401, "unauthenticated").await;
    // The admin can.
    assert_eq!(
        app.get("/api/v1/users", Some(&admin)).await.status(),
        StatusCode::OK
    );
    assert_problem(
        app.get("/api/v1/users/999999", Some(&admin)).await,
        404,
        "not-found",
    )
    .await;
}

/// The role extractors (issue 12): every admin-only route refuses a signed-in non-admin with the
/// same 403 problem, before it reads the body (even a malformed one), and a caller without a
/// token with 401; the payroll routes let payroll in and keep everyone else out.
#[tokio::test]
async fn role_extractors_refuse_the_same_way_on_every_admin_route() {
    use reqwest::Method;
    let app = spawn_app().await;
    let mut tokens = std::collections::HashMap::new();
    for role in ["employee", "approver", "payroll"] {
        let name = format!("r-{role}");
        app.create_user(&name, "a long password", &[role]).await;
        let token = app.tokens(&name, "a long password").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        tokens.insert(role, token);
    }
    let admin_routes: &[(Method, &str)] = &[
        (Method::GET, "/api/v1/org-units"),
        (Method::POST, "/api/v1/org-units"),
        (Method::GET, "/api/v1/org-units/1"),
        (Method::PUT, "/api/v1/org-units/1"),
        (Method::GET, "/api/v1/persons"),
        (Method::POST, "/api/v1/persons"),
        (Method::PUT, "/api/v1/persons/1"),
        (Method::PUT, "/api/v1/persons/1/distance-to-border"),
        (Method::GET, "/api/v1/persons/1/approvers"),
        (Method::POST, "/api/v1/persons/1/addresses"),
        (Method::DELETE, "/api/v1/persons/1/addresses/2"),
        (Method::POST, "/api/v1/persons/1/home-work-overrides"),
        (Method::POST, "/api/v1/persons/1/vehicles"),
        (Method::GET, "/api/v1/employments"),
        (Method::POST, "/api/v1/employments"),
        (Method::GET, "/api/v1/employments/1"),
        (Method::PUT, "/api/v1/employments/1"),
        (Method::GET, "/api/v1/substitutes"),
        (Method::POST, "/api/v1/substitutes"),
        (Method::DELETE, "/api/v1/substitutes/1"),
        (Method::GET, "/api/v1/personal-approvers"),
        (Method::POST, "/api/v1/personal-approvers"),
        (Method::DELETE, "/api/v1/personal-approvers/1"),
        (Method::POST, "/api/v1/rate-types"),
        (Method::PUT, "/api/v1/rate-types/1"),
        (Method::POST, "/api/v1/import/org-units"),
        (Method::POST, "/api/v1/import/staff"),
        (Method::POST, "/api/v1/addresses/import"),
        (Method::GET, "/api/v1/users"),
        (Method::POST, "/api/v1/users"),
        (Method::GET, "/api/v1/users/1"),
        (Method::PUT, "/api/v1/users/1/roles"),
        (Method::PUT, "/api/v1/users/1/password"),
        (Method::PUT, "/api/v1/users/1/app-password"),
        (Method::GET, "/api/v1/users/1/app-tokens"),
        (Method::DELETE, "/api/v1/users/1/app-tokens/1"),
    ];
    // Not an object any handler accepts: the role is refused before the body is looked at.
    let junk = json!(["not", "a", "valid", "body"]);
    for (method, path) in admin_routes {
        for token in tokens.values() {
            let res = app
                .request(method.clone(), path, Some(token), Some(&junk))
                .await;
            let body = assert_problem(res, 403, "forbidden").await;
            assert_eq!(
                body["detail"], "this requires the admin role",
                "{method} {path}"
            );
        }
        let res = app.request(method.clone(), path, None, Some(&junk)).await;
        assert_problem(res, 401, "unauthenticated").await;
    }
    let batches = "/api/v1/payroll/batches";
    for role in ["employee", "approver"] {
        let res = app.get(batches, Some(&tokens[role])).await;
        let body = assert_problem(res, 403, "forbidden").await;
        assert_eq!(body["detail"], "this requires the payroll or admin role");
    }
    let res = app.get(batches, Some(&tokens["payroll"])).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_problem(app.get(batches, None).await, 401, "unauthenticated").await;
}
