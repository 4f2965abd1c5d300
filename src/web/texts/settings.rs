//! The administration's settings page: every setting in force, in Danish, by section. A secret
//! (the database password, the token signing key, the first administrator's password, the SMTP
//! URL with its password) is shown only as set or not set.

use std::time::Duration;

use crate::config::{redact_password, Schedule, Settings};
use crate::web::texts::payroll::PT;

pub struct SettingsSection {
    pub id: &'static str,
    pub heading: &'static str,
    pub rows: Vec<(&'static str, String)>,
}

fn set(present: bool) -> String {
    if present { PT.set } else { PT.not_set }.to_string()
}

fn on(enabled: bool) -> String {
    if enabled { PT.on } else { PT.off }.to_string()
}

/// A URL without its password and query (a key may sit in either).
fn url(u: Option<&str>) -> String {
    u.map_or_else(|| PT.not_set.to_string(), redact_password)
}

fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        _ if s >= 86_400 && s % 86_400 == 0 => format!("{} døgn", s / 86_400),
        _ if s >= 3_600 && s % 3_600 == 0 => format!("{} timer", s / 3_600),
        _ if s >= 60 && s % 60 == 0 => format!("{} minutter", s / 60),
        _ => format!("{s} sekunder"),
    }
}

fn bytes(n: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if n >= MB && n % MB == 0 {
        format!("{} MB", n / MB)
    } else {
        format!("{n} byte")
    }
}

fn schedule(s: &Schedule) -> String {
    match s {
        Schedule::Every(d) => format!("hver {}", duration(*d)),
        Schedule::DailyAt(t) => format!("dagligt kl. {}", t.format("%H.%M")),
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| PT.not_set.to_string(), |v| v.to_string())
}

pub fn sections(s: &Settings, version: &str) -> Vec<SettingsSection> {
    let p = &s.payroll;
    let r = &s.reports;
    let a = &s.addresses;
    let app = &s.app_api;
    vec![
        SettingsSection {
            id: "generelt",
            heading: "Generelt",
            rows: vec![
                ("Version", version.to_string()),
                (
                    "Database",
                    format!("{} ({})", s.database_url.kind(), s.database_url.redacted()),
                ),
                ("Lytter på", s.bind.to_string()),
                (
                    "Arbejdstråde",
                    s.workers
                        .map_or_else(|| "én pr. kerne".to_string(), |w| w.to_string()),
                ),
                (
                    "Offentlig adresse (KORSEL_PUBLIC_URL)",
                    url(s.web.public_url.as_deref()),
                ),
                ("Største forespørgsel", bytes(s.max_body_bytes as u64)),
            ],
        },
        SettingsSection {
            id: "sikkerhed",
            heading: "Log ind og sikkerhed",
            rows: vec![
                (
                    "Nøgle til adgangstokens (KORSEL_JWT_SECRET)",
                    set(s.jwt_secret.is_some()),
                ),
                (
                    "Første administrators adgangskode (KORSEL_ADMIN_PASSWORD)",
                    set(s.admin_password.is_some()),
                ),
                ("Adgangstokens gælder", duration(s.access_token_ttl)),
                ("Fornyelsestokens gælder", duration(s.refresh_token_ttl)),
                (
                    "Browsersession udløber efter inaktivitet",
                    duration(s.web.session_idle),
                ),
                (
                    "Forkerte log ind pr. brugernavn",
                    s.login_throttle.per_username.to_string(),
                ),
                (
                    "Forkerte log ind pr. IP-adresse",
                    s.login_throttle.per_ip.to_string(),
                ),
                (
                    "Tidsrum for forkerte log ind",
                    duration(s.login_throttle.window),
                ),
                ("Betroede proxyer", s.trusted_proxies.len().to_string()),
            ],
        },
        SettingsSection {
            id: "loen",
            heading: "Løn",
            rows: vec![
                ("Kommunenummer (IND01)", opt(p.municipality_number)),
                ("Ansættelsesform (IND01)", p.employment_type.to_string()),
                ("Ekstra ciffer (IND01)", p.extra_number.to_string()),
                ("Første linje i IND01-filen", opt(p.ind01_header.as_deref())),
                ("CPR-nummer i CSV-filen", on(p.csv_include_cpr)),
                ("Lønsystemet skal kvittere inden", duration(p.ack_timeout)),
            ],
        },
        SettingsSection {
            id: "indberetninger",
            heading: "Indberetninger og ture",
            rows: vec![
                (
                    "Ruteberegning (KORSEL_ROUTER_URL)",
                    url(r.router_url.as_deref()),
                ),
                (
                    "Ruteberegning for cykel",
                    url(r.bicycle_router_url.as_deref()),
                ),
                ("Ventetid på ruteberegning", duration(r.router_timeout)),
                ("Norddjurs-metoden", on(r.norddjurs_method)),
                (
                    "Højeste beløb pr. indberetning",
                    crate::web::format::kroner(r.max_amount_ore),
                ),
                ("Største GPS-upload", bytes(s.trips.max_upload_bytes as u64)),
                (
                    "Afstand for hjemme ved GPS-ture",
                    format!("{} m", s.trips.home_radius_m),
                ),
                (
                    "Kortbaggrund (KORSEL_MAP_TILE_URL)",
                    url(s.web.map_tile_url.as_deref()),
                ),
            ],
        },
        SettingsSection {
            id: "adresser",
            heading: "Adresser",
            rows: vec![
                (
                    "Adresseopslag udefra (KORSEL_ADDRESS_UPSTREAM_URL)",
                    url(a.upstream_url.as_deref()),
                ),
                ("Ventetid på adresseopslag", duration(a.upstream_timeout)),
                (
                    "Største afstand ved omvendt opslag",
                    format!("{} m", a.reverse_radius_m),
                ),
                ("Største adressefil", bytes(a.max_import_bytes)),
            ],
        },
        SettingsSection {
            id: "app",
            heading: "Telefonapp",
            rows: vec![
                ("Appens adgang (KORSEL_APP_API)", on(app.enabled)),
                (
                    "Appens log ind udløber efter",
                    app.token_max_age
                        .map_or_else(|| "aldrig".to_string(), duration),
                ),
                ("Navn i appen", app.provider.name.clone()),
                ("Adresse i appen", url(app.provider.public_url.as_deref())),
            ],
        },
        SettingsSection {
            id: "drift",
            heading: "E-mail, planlagte job og opbevaring",
            rows: vec![
                (
                    "E-mail-server (KORSEL_SMTP_URL)",
                    set(s.mail.smtp_url.is_some()),
                ),
                ("Afsender", s.mail.from.clone()),
                ("Forsøg pr. e-mail", s.mail.max_attempts.to_string()),
                ("Planlagte job i denne instans", on(s.jobs.enabled)),
                ("Daglig oversigt til godkendere", schedule(&s.jobs.digest)),
                (
                    "Tjek af manglende kvitteringer",
                    schedule(&s.jobs.payroll_overdue),
                ),
                ("Sletning efter opbevaringstid", schedule(&s.jobs.retention)),
                (
                    "GPS-punkter gemmes i",
                    format!("{} dage", s.retention.gps_days),
                ),
                (
                    "Log ind-hændelser gemmes i",
                    format!("{} dage", s.retention.auth_events_days),
                ),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    #[test]
    fn secrets_are_only_set_or_not_set() {
        let mut s = Settings::with_database(
            "postgres://korsel:db-hemmelighed@db/korsel"
                .parse()
                .unwrap(),
        );
        s.jwt_secret = Some(Secret::new("jwt-hemmelighed-jwt-hemmelighed-123"));
        s.admin_password = Some(Secret::new("admin-hemmelighed"));
        s.mail.smtp_url = Some(Secret::new("smtp://u:smtp-hemmelighed@mail:25"));
        s.web.map_tile_url = Some("https://t.dk/{z}/{x}/{y}.png?key=kort-hemmelighed".into());
        let all: String = sections(&s, "1.2.3")
            .iter()
            .flat_map(|sec| sec.rows.iter().map(|(k, v)| format!("{k}={v}\n")))
            .collect();
        for secret in [
            "db-hemmelighed",
            "jwt-hemmelighed",
            "admin-hemmelighed",
            "smtp-hemmelighed",
            "kort-hemmelighed",
        ] {
            assert!(!all.contains(secret), "{secret} shown:\n{all}");
        }
        assert!(all.contains("Version=1.2.3"));
        assert!(all.contains("(KORSEL_JWT_SECRET)=sat"));
        assert!(all.contains("(KORSEL_SMTP_URL)=sat"));
        assert!(
            all.contains("postgres (postgres://korsel@db/korsel)"),
            "{all}"
        );
        assert!(
            all.contains("Lønsystemet skal kvittere inden=30 minutter"),
            "{all}"
        );
    }
}
