//! `openapi.yaml` is the contract: the route table and the spec must list the same operations.

use std::collections::BTreeSet;

use reqwest::StatusCode;

use crate::helpers::spawn_app;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

fn spec() -> serde_yaml::Value {
    serde_yaml::from_str(include_str!("../../openapi.yaml")).expect("openapi.yaml parses")
}

#[test]
fn route_table_and_spec_list_the_same_operations() {
    let spec = spec();
    let mut in_spec = BTreeSet::new();
    for (path, item) in spec["paths"].as_mapping().expect("paths") {
        let path = path.as_str().unwrap().to_string();
        for (method, _) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            if METHODS.contains(&method) {
                in_spec.insert((method.to_string(), path.clone()));
            }
        }
    }
    let in_app: BTreeSet<(String, String)> = korsel::http::routes::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let missing_in_spec: Vec<_> = in_app.difference(&in_spec).collect();
    let missing_in_app: Vec<_> = in_spec.difference(&in_app).collect();
    assert!(
        missing_in_spec.is_empty() && missing_in_app.is_empty(),
        "routes not in openapi.yaml: {missing_in_spec:?}; spec operations with no route: {missing_in_app:?}"
    );
}

#[test]
fn every_operation_documents_problem_errors() {
    let spec = spec();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        for (method, op) in item.as_mapping().unwrap() {
            let responses = &op["responses"];
            assert!(
                responses.get("default").is_some(),
                "{method:?} {path:?} has no default (problem+json) response"
            );
        }
    }
}

#[tokio::test]
async fn the_spec_is_served() {
    let app = spawn_app().await;
    let res = app.get("/openapi.yaml", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.text().await.unwrap(),
        include_str!("../../openapi.yaml")
    );
}

#[test]
fn migration_folders_hold_the_same_migrations() {
    let names = |backend: &str| -> BTreeSet<String> {
        std::fs::read_dir(format!(
            "{}/migrations/{backend}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
    for name in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let path = format!(
                    "{}/migrations/{backend}/{name}/{file}",
                    env!("CARGO_MANIFEST_DIR")
                );
                assert!(std::path::Path::new(&path).exists(), "missing {path}");
            }
        }
    }
}
