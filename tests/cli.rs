//! The binary itself: bad configuration fails at start-up with one line naming the setting, and
//! the user commands work against a fresh database.

use std::process::{Command, Output};

fn korsel(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_korsel"));
    cmd.args(args).env("RUST_LOG", "warn");
    for key in [
        "KORSEL_DATABASE_URL",
        "KORSEL_BIND",
        "KORSEL_JWT_SECRET",
        "KORSEL_ADMIN_PASSWORD",
        "KORSEL_LOG_FORMAT",
        "KORSEL_ADDRESS_REVERSE_RADIUS_M",
        "KORSEL_ADDRESS_UPSTREAM_URL",
    ] {
        cmd.env_remove(key);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("korsel runs")
}

fn stderr_line(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        text.trim_end().lines().count(),
        1,
        "one line expected: {text}"
    );
    text.trim_end().to_string()
}

#[test]
fn bad_settings_fail_with_one_line_naming_the_setting() {
    let cases = [
        ("KORSEL_BIND", "not-an-address"),
        ("KORSEL_DATABASE_URL", "mysql://localhost/korsel"),
        ("KORSEL_LOG_FORMAT", "xml"),
        ("KORSEL_JWT_SECRET", "too-short"),
    ];
    for (key, value) in cases {
        let out = korsel(&["serve"], &[(key, value)]);
        assert_eq!(out.status.code(), Some(2), "{key}");
        let line = stderr_line(&out);
        assert!(
            line.starts_with("error:") && line.contains(key),
            "{key}: {line}"
        );
    }
}

#[test]
fn user_commands_work_on_a_fresh_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let env = [("KORSEL_DATABASE_URL", url.as_str())];

    let out = korsel(
        &[
            "user", "add", "Hanne", "--role", "employee", "--role", "approver",
        ],
        &env,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("created user hanne"), "{stdout}");
    assert!(stdout.contains("employee,approver"), "{stdout}");
    assert!(
        stdout.contains("password: "),
        "a generated password is printed: {stdout}"
    );

    let out = korsel(&["user", "list"], &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("hanne") && stdout.contains("1 of 1 users"),
        "{stdout}"
    );

    let out = korsel(&["user", "set-password", "nobody"], &env);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("user not found"));
}

#[test]
fn track_distance_prints_one_json_object_for_json_and_gpx() {
    let fixtures = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/tracks/simulated/real-roads"
    );
    for file in ["geo-000.json", "geo-000.gpx"] {
        let path = format!("{fixtures}/{file}");
        let out = korsel(&["track", "distance", &path], &[]);
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert!(
            report["distance_m"].as_u64().unwrap() > 1000,
            "{file}: {report}"
        );
        for key in [
            "points_in",
            "points_used",
            "dropped",
            "gaps_bridged",
            "uncertainty_m",
        ] {
            assert!(report.get(key).is_some(), "{file}: missing {key}");
        }
        assert!(report.get("track").is_none());
    }
    let out = korsel(&["track", "distance", "/nonexistent.json"], &[]);
    assert!(!out.status.success());
}

#[test]
fn addresses_import_prints_a_summary_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/addresses/dawa-fano-2015/adgangsadresser.csv"
    );
    let env = [("KORSEL_DATABASE_URL", url.as_str())];
    let out = korsel(&["addresses", "import", file], &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("4843 rows") && stdout.contains("4843 created, 0 updated, 0 unchanged"),
        "{stdout}"
    );
    let out = korsel(&["addresses", "import", "--format", "csv", file], &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("0 created, 0 updated, 4843 unchanged"),
        "{stdout}"
    );
    let out = korsel(&["addresses", "import", "/nonexistent.csv"], &env);
    assert!(!out.status.success());
}

#[test]
fn org_and_staff_import_print_a_summary_and_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("import.db").display());
    let env = [("KORSEL_DATABASE_URL", url.as_str())];
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");

    let run = |args: &[&str]| {
        let out = korsel(args, &env);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let org = format!("{examples}/org_units.csv");
    let staff = format!("{examples}/staff.csv");
    let out = run(&["org", "import", &org]);
    assert!(out.contains("6 rows"), "{out}");
    assert!(out.contains("created     6"), "{out}");
    let out = run(&["staff", "import", &staff]);
    assert!(out.contains("31 rows"), "{out}");
    assert!(out.contains("persons              created    30"), "{out}");
    let out = run(&["staff", "import", &staff]);
    assert!(out.contains("unchanged    30"), "{out}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "external_id,name,parent_external_id\nX,Y,NOPE\n").unwrap();
    let out = korsel(&["org", "import", bad.to_str().unwrap()], &env);
    assert!(!out.status.success());
    let line = stderr_line(&out);
    assert!(line.contains("row 2, column parent_external_id"), "{line}");
}
