//! The binary itself: bad configuration fails at start-up with one line naming the setting, and
//! the user commands work against a fresh database.

use std::process::{Command, Output};

#[path = "api/payroll/fixture.rs"]
mod payroll_fixture;

/// Every setting's variable: cleared, so the developer's environment does not leak in.
const SETTINGS: [&str; 43] = [
    "KORSEL_DATABASE_URL",
    "KORSEL_BIND",
    "KORSEL_JWT_SECRET",
    "KORSEL_ADMIN_PASSWORD",
    "KORSEL_LOG_FORMAT",
    "KORSEL_ADDRESS_REVERSE_RADIUS_M",
    "KORSEL_ADDRESS_UPSTREAM_URL",
    "KORSEL_PAYROLL_MUNICIPALITY_NUMBER",
    "KORSEL_PAYROLL_EMPLOYMENT_TYPE",
    "KORSEL_PAYROLL_EXTRA_NUMBER",
    "KORSEL_PAYROLL_IND01_HEADER",
    "KORSEL_PAYROLL_CSV_INCLUDE_CPR",
    "KORSEL_PAYROLL_ACK_TIMEOUT_MINUTES",
    "KORSEL_APP_API",
    "KORSEL_APP_TOKEN_MAX_AGE_DAYS",
    "KORSEL_APP_PROVIDER_NAME",
    "KORSEL_APP_PUBLIC_URL",
    "KORSEL_APP_LOGO_URL",
    "KORSEL_APP_TEXT_COLOR",
    "KORSEL_APP_PRIMARY_COLOR",
    "KORSEL_APP_SECONDARY_COLOR",
    "KORSEL_TRUSTED_PROXIES",
    "KORSEL_PUBLIC_URL",
    "KORSEL_SESSION_IDLE_MINUTES",
    "KORSEL_MAP_TILE_URL",
    "KORSEL_SMTP_URL",
    "KORSEL_MAIL_FROM",
    "KORSEL_JOBS",
    "KORSEL_DIGEST_AT",
    "KORSEL_MAIL_SEND_EVERY_S",
    "KORSEL_RETENTION_GPS_DAYS",
    "KORSEL_RETENTION_AUTH_EVENTS_DAYS",
    "KORSEL_MAIL_SEND_TIMEOUT_S",
    "KORSEL_JOBS_LEASE_S",
    "KORSEL_OIDC_ISSUER",
    "KORSEL_OIDC_CLIENT_ID",
    "KORSEL_OIDC_CLIENT_SECRET",
    "KORSEL_OIDC_SCOPES",
    "KORSEL_OIDC_USERNAME_CLAIM",
    "KORSEL_OIDC_ROLE_MAP",
    "KORSEL_OIDC_GROUPS_CLAIM",
    "KORSEL_OIDC_API_AUDIENCE",
    "KORSEL_PASSWORD_LOGIN",
];

/// A command with the settings cleared and warnings-only logs.
fn clean(program: &str) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("RUST_LOG", "warn");
    for key in SETTINGS {
        cmd.env_remove(key);
    }
    cmd
}

fn korsel(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = clean(env!("CARGO_BIN_EXE_korsel"));
    cmd.args(args);
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
        ("KORSEL_PAYROLL_MUNICIPALITY_NUMBER", "10000"),
        ("KORSEL_PAYROLL_EMPLOYMENT_TYPE", "12"),
        ("KORSEL_APP_API", "maybe"),
        ("KORSEL_APP_PRIMARY_COLOR", "purple"),
        ("KORSEL_APP_PUBLIC_URL", "ftp://korsel"),
        ("KORSEL_APP_TOKEN_MAX_AGE_DAYS", "0"),
        ("KORSEL_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local"),
        ("KORSEL_SMTP_URL", "http://mail.example"),
        ("KORSEL_PUBLIC_URL", "korsel.example"),
        ("KORSEL_DIGEST_AT", "25:00"),
        ("KORSEL_RETENTION_GPS_DAYS", "0"),
        ("KORSEL_OIDC_ROLE_MAP", "boss=grp-chefer"),
        ("KORSEL_OIDC_ROLE_MAP", "approver"),
        ("KORSEL_OIDC_USERNAME_CLAIM", "sub"),
        ("KORSEL_PASSWORD_LOGIN", "nobody"),
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
fn single_sign_on_needs_the_public_url_and_openid() {
    let issuer = [
        ("KORSEL_OIDC_ISSUER", "https://login.example/tenant/v2.0"),
        ("KORSEL_OIDC_CLIENT_ID", "korsel"),
    ];
    let out = korsel(&["serve"], &issuer);
    assert_eq!(out.status.code(), Some(2));
    let line = stderr_line(&out);
    assert!(line.contains("KORSEL_PUBLIC_URL"), "{line}");
    let mut env = issuer.to_vec();
    env.push(("KORSEL_PUBLIC_URL", "https://korsel.example"));
    env.push(("KORSEL_OIDC_SCOPES", "profile email"));
    let out = korsel(&["serve"], &env);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_line(&out).contains("KORSEL_OIDC_SCOPES"));
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
fn jobs_lists_every_scheduled_job() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let out = korsel(
        &["jobs"],
        &[
            ("KORSEL_DATABASE_URL", url.as_str()),
            ("KORSEL_DIGEST_AT", "05:45"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for job in [
        "mail-outbox",
        "approver-digest",
        "payroll-overdue",
        "retention",
    ] {
        assert!(stdout.contains(job), "{stdout}");
    }
    assert!(
        stdout.contains("daily at 05:45 Europe/Copenhagen"),
        "{stdout}"
    );
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
    let out = run(&[
        "addresses",
        "import",
        &format!("{examples}/fano-adgangsadresser.csv"),
    ]);
    assert!(out.contains("4843 created"), "{out}");
    let out = run(&["org", "import", &org]);
    assert!(out.contains("6 rows"), "{out}");
    assert!(out.contains("created     6"), "{out}");
    let out = run(&["staff", "import", &staff]);
    assert!(out.contains("31 rows"), "{out}");
    assert!(out.contains("persons              created    30"), "{out}");
    assert!(out.contains("home addresses       created    30"), "{out}");
    assert!(out.contains("licence plates       created    29"), "{out}");
    let out = run(&["staff", "import", &staff]);
    assert!(out.contains("unchanged    30"), "{out}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "external_id,name,parent_external_id\nX,Y,NOPE\n").unwrap();
    let out = korsel(&["org", "import", bad.to_str().unwrap()], &env);
    assert!(!out.status.success());
    let line = stderr_line(&out);
    assert!(line.contains("row 2, column parent_external_id"), "{line}");
}

#[test]
fn payroll_export_writes_the_file_and_batches_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("payroll.db").display());
    let report = {
        let db = korsel::app::open_database(&url.parse().unwrap()).unwrap();
        let mut conn = db.get().unwrap();
        korsel::services::org::seed_rate_types(&mut conn).unwrap();
        let roles = korsel::domain::users::Roles::new([korsel::domain::users::Role::Admin]);
        korsel::services::users::create(&mut conn, "admin", "admin-password-for-tests", &roles)
            .unwrap();
        let mut seed = payroll_fixture::Seeder::new(&mut conn);
        let anne = seed.employee("Anne Ødegård", Some("0101901234"), "42");
        seed.approved(
            anne,
            "2026-01-05",
            "Møde",
            1_000,
            &[("1111", 1_000, 394, 394)],
        );
        seed.approved(
            anne,
            "2026-01-09",
            "Kursus",
            2_345,
            &[("1111", 2_345, 394, 924)],
        )
    };
    let out_file = dir.path().join("ind01.txt");
    let out_path = out_file.to_str().unwrap();
    let export = [
        "payroll",
        "export",
        "--up-to",
        "2026-01-31",
        "--format",
        "kmd-ind01",
        "--out",
        out_path,
    ];

    // No municipality number: refused, nothing exported, no file.
    let out = korsel(&export, &[("KORSEL_DATABASE_URL", url.as_str())]);
    assert!(!out.status.success());
    assert!(stderr_line(&out).contains("KORSEL_PAYROLL_MUNICIPALITY_NUMBER"));
    assert!(!out_file.exists());

    let env = [
        ("KORSEL_DATABASE_URL", url.as_str()),
        ("KORSEL_PAYROLL_MUNICIPALITY_NUMBER", "751"),
        ("KORSEL_PAYROLL_EMPLOYMENT_TYPE", "1"),
        ("KORSEL_PAYROLL_IND01_HEADER", "0751 Kørsel"),
    ];
    let out = korsel(&export, &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim_end(),
        format!(
            "batch 1 (kmd-ind01, up to 2026-01-31): 2 reports, 3,34 km, 13,18 kr; \
             1 IND01 record written to {out_path}"
        )
    );
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap(),
        "0751 Kørsel\r\nDA6075110101901234011110003340000000             310126\r\n"
    );

    let db = korsel::db::Database::connect(&url.parse().unwrap()).unwrap();
    let state = payroll_fixture::state_of(&mut db.get().unwrap(), report);
    assert_eq!(
        state,
        (
            "exported".to_string(),
            payroll_fixture::APPROVED_VERSION + 1
        )
    );

    // The reports are exported: a second run makes an empty batch.
    let out = korsel(&export, &env);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("batch 2 (kmd-ind01, up to 2026-01-31): 0 reports"));

    let out = korsel(&["payroll", "batches"], &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(rows.len(), 4, "{stdout}");
    assert!(
        rows[1].trim_start().starts_with("2 ") && rows[2].trim_start().starts_with("1 "),
        "{stdout}"
    );
    assert!(
        rows[2].contains("command line") && rows[2].contains("3,34") && rows[2].contains("open"),
        "{stdout}"
    );
    assert_eq!(rows[3], "2 of 2 batches (page 1)");

    let out = korsel(&["payroll", "api-key", "create", "opus-agent"], &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().nth(1).unwrap().starts_with("korsel_pk_"),
        "{stdout}"
    );
    let out = korsel(&["payroll", "api-key", "list"], &env);
    assert!(String::from_utf8_lossy(&out.stdout).contains("opus-agent"));
}

#[test]
fn app_provider_entry_prints_the_object_for_the_apps_provider_list() {
    let out = korsel(
        &["app", "provider-entry"],
        &[
            ("KORSEL_APP_PROVIDER_NAME", "Syddjurs"),
            ("KORSEL_APP_PUBLIC_URL", "https://korsel.syddjurs.dk/"),
            ("KORSEL_APP_LOGO_URL", "https://syddjurs.dk/vaaben.png"),
            ("KORSEL_APP_PRIMARY_COLOR", "#6b2d52"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entry: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        entry,
        serde_json::json!({"Name": "Syddjurs", "APIUrl": "https://korsel.syddjurs.dk/api/",
            "ImgUrl": "https://syddjurs.dk/vaaben.png", "TextColor": "#FFFFFF",
            "PrimaryColor": "#6b2d52", "SecondaryColor": "#6583D3"})
    );
    // Without the public URL it says what to set.
    let out = korsel(&["app", "provider-entry"], &[]);
    assert!(!out.status.success());
    assert!(stderr_line(&out).contains("KORSEL_APP_PUBLIC_URL"));
}

/// Each subcommand's `--help` shows the options it uses (and the database and log format every
/// subcommand reads), not the server's or payroll's (issue 11 item 15).
#[test]
fn every_help_shows_only_its_own_options() {
    let help = |args: &[&str]| {
        let mut args = args.to_vec();
        args.push("--help");
        let out = korsel(&args, &[]);
        assert!(out.status.success(), "{args:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let server_only = [
        "--bind",
        "--jwt-secret",
        "--http-max-connections-per-ip",
        "--router-url",
        "--trusted-proxies",
    ];
    let payroll_only = ["--payroll-municipality-number", "--payroll-ind01-header"];
    for args in [
        &["migrate"][..],
        &["user", "add"],
        &["user", "list"],
        &["addresses", "import"],
        &["track", "distance"],
        &["org", "import"],
        &["staff", "import"],
        &["payroll", "batches"],
        &["payroll", "api-key", "create"],
    ] {
        let text = help(args);
        for option in server_only.iter().chain(&payroll_only) {
            assert!(
                !text.contains(option),
                "{args:?} --help shows {option}:\n{text}"
            );
        }
        assert!(text.contains("--database-url"), "{args:?}:\n{text}");
    }
    let serve = help(&["serve"]);
    for option in server_only.iter().chain(&payroll_only) {
        assert!(
            serve.contains(option),
            "serve --help lacks {option}:\n{serve}"
        );
    }
    assert!(serve.contains("--app-api"), "{serve}");
    let provider_entry = help(&["app", "provider-entry"]);
    assert!(
        provider_entry.contains("--app-public-url"),
        "{provider_entry}"
    );
    assert!(!provider_entry.contains("--bind"), "{provider_entry}");
    let export = help(&["payroll", "export"]);
    assert!(export.contains("--payroll-municipality-number"), "{export}");
    assert!(!export.contains("--bind"), "{export}");
    let import = help(&["addresses", "import"]);
    for option in ["--skip-invalid", "--dry-run", "--allow-mass-deactivation"] {
        assert!(import.contains(option), "{import}");
    }
}

/// The README's walk-through, block by block as a reader pastes it: the first block starts the
/// server, the others run in one shell in a scratch directory (with `examples/` linked in),
/// `cargo run --release --` replaced by the built binary and port 8080 by a free one.
#[test]
fn the_readme_walk_through_ends_with_an_ind01_file() {
    let readme = include_str!("../README.md");
    let section = readme
        .split("<!-- walk-through:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- walk-through:end -->").next())
        .expect("the README marks its walk-through");
    let blocks: Vec<&str> = section
        .split("```sh\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    let (server, script) = blocks.split_first().expect("a server block and the rest");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let binary = env!("CARGO_BIN_EXE_korsel");
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples"),
        dir.path().join("examples"),
    )
    .unwrap();

    // The server block: VAR=value assignments, then the command.
    let mut server_cmd = clean(binary);
    server_cmd
        .current_dir(dir.path())
        .env("KORSEL_BIND", &address);
    let words: Vec<&str> = server.split_whitespace().collect();
    let command_at = words.iter().position(|w| !w.contains('=')).unwrap();
    for assignment in &words[..command_at] {
        let (key, value) = assignment.split_once('=').unwrap();
        server_cmd.env(key, value);
    }
    assert_eq!(
        &words[command_at..],
        ["cargo", "run", "--release", "--", "serve"]
    );
    server_cmd.arg("serve");
    let mut server = ServerGuard(server_cmd.spawn().expect("the server starts"));
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(&address).is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the server listens within a minute"
        );
        if let Some(status) = server.0.try_wait().unwrap() {
            panic!("the server stopped: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    let script = script
        .join("\n")
        .replace("cargo run --release --", binary)
        .replace("127.0.0.1:8080", &address);
    let out = clean("bash")
        .args(["-eu", "-c", &script])
        .current_dir(dir.path())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"status\":\"approved\""), "{stdout}");
    let ind01 = std::fs::read_to_string(dir.path().join("ind01.txt")).expect("ind01.txt");
    let line = ind01.lines().last().unwrap_or_default();
    assert_eq!(line.len(), 55, "{ind01}");
    // Municipality 563, employment type 0, then the CPR of Camilla in the staff file.
    let camilla_cpr = include_str!("../examples/staff.csv")
        .lines()
        .find(|l| l.starts_with("P006,"))
        .and_then(|l| l.split(',').nth(3))
        .unwrap()
        .replace('-', "");
    assert!(
        line.starts_with(&format!("DA605630{camilla_cpr}00611")),
        "{line}"
    );
    assert!(line.ends_with("310326"), "{line}");
}

/// Stops the walk-through's server however the test ends.
struct ServerGuard(std::process::Child);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
