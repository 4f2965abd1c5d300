//! The texts of the administration pages (issue 15), beside the shared ones in `texts`.

use crate::domain::org::AddressKind;
use crate::domain::users::Role;
use crate::services::addresses::runs::RunState;
use crate::services::import::FileKind;

pub struct AdminTexts {
    pub imports_title: &'static str,
    pub imports_intro: &'static str,
    pub file_label: &'static str,
    pub upload_preview: &'static str,
    pub upload_progress: &'static str,
    pub upload_sending: &'static str,
    pub upload_failed: &'static str,
    pub upload_no_file: &'static str,
    pub addresses_heading: &'static str,
    pub addresses_hint: &'static str,
    pub address_format: &'static str,
    pub format_auto: &'static str,
    pub address_upload: &'static str,
    pub recent_runs: &'static str,
    pub col_file: &'static str,
    pub col_started: &'static str,
    pub col_state: &'static str,
    pub import_cancelled: &'static str,
    pub preview_title: &'static str,
    pub preview_intro: &'static str,
    pub preview_expires: &'static str,
    pub applied_title: &'static str,
    pub applied_intro: &'static str,
    pub col_kind: &'static str,
    pub refused_heading: &'static str,
    pub refused_intro: &'static str,
    pub col_line: &'static str,
    pub col_column: &'static str,
    pub col_reason: &'static str,
    pub counts_heading: &'static str,
    pub count_new: &'static str,
    pub count_changed: &'static str,
    pub count_ended: &'static str,
    pub count_unchanged: &'static str,
    pub changes_heading: &'static str,
    pub col_key: &'static str,
    pub col_name: &'static str,
    pub col_change: &'static str,
    pub col_what: &'static str,
    pub row_changed: &'static str,
    pub row_ended: &'static str,
    pub apply_button: &'static str,
    pub cancel_button: &'static str,
    pub back_to_imports: &'static str,
    pub preview_gone_title: &'static str,
    pub preview_gone: &'static str,
    pub address_run_title: &'static str,
    pub run_progress: &'static str,
    pub run_refresh: &'static str,
    pub run_failed: &'static str,
    pub run_result: &'static str,
    pub run_rows: &'static str,
    pub run_created: &'static str,
    pub run_updated: &'static str,
    pub run_unchanged: &'static str,
    pub run_units: &'static str,
    pub run_index_size: &'static str,
    pub users_title: &'static str,
    pub search_username: &'static str,
    pub search_button: &'static str,
    pub no_users: &'static str,
    pub col_username: &'static str,
    pub col_roles: &'static str,
    pub col_created: &'static str,
    pub new_user: &'static str,
    pub one_time_hint: &'static str,
    pub create_user: &'static str,
    pub one_time_heading: &'static str,
    pub one_time_shown_once: &'static str,
    pub linked_person: &'static str,
    pub no_person: &'static str,
    pub save_roles: &'static str,
    pub person_external_id: &'static str,
    pub person_link_hint: &'static str,
    pub link_person: &'static str,
    pub reset_password_heading: &'static str,
    pub reset_password_hint: &'static str,
    pub reset_password: &'static str,
    pub back_to_users: &'static str,
    pub deactivated: &'static str,
    pub access_heading: &'static str,
    pub active_hint: &'static str,
    pub deactivated_hint: &'static str,
    pub deactivate: &'static str,
    pub reactivate: &'static str,
    pub deactivated_saved: &'static str,
    pub reactivated_saved: &'static str,
    pub roles_saved: &'static str,
    pub person_linked: &'static str,
    pub organisation_title: &'static str,
    pub organisation_intro: &'static str,
    pub org_units_heading: &'static str,
    pub col_unit: &'static str,
    pub col_external_id: &'static str,
    pub col_leaders: &'static str,
    pub col_substitutes: &'static str,
    pub no_units: &'static str,
    pub personal_approvers_heading: &'static str,
    pub no_personal_approvers: &'static str,
    pub col_person: &'static str,
    pub col_approver: &'static str,
    pub col_period: &'static str,
    pub persons_heading: &'static str,
    pub takes_over: &'static str,
    pub person_read_only: &'static str,
    pub col_email: &'static str,
    pub distance_to_border: &'static str,
    pub not_set: &'static str,
    pub employments_heading: &'static str,
    pub col_employment_number: &'static str,
    pub col_position: &'static str,
    pub col_leader: &'static str,
    pub col_approvers_today: &'static str,
    pub addresses_person_heading: &'static str,
    pub col_address: &'static str,
    pub col_valid_from: &'static str,
    pub overrides_heading: &'static str,
    pub col_km: &'static str,
    pub vehicles_heading: &'static str,
    pub col_plate: &'static str,
    pub col_description: &'static str,
    pub col_primary: &'static str,
    pub none: &'static str,
    pub yes: &'static str,
    pub back_to_organisation: &'static str,
}

pub static ADMIN: AdminTexts = AdminTexts {
    imports_title: "Indlæsning",
    imports_intro: "Indlæs organisationen, medarbejderne og adresseregistret fra filer. En CSV-fil med organisationsenheder eller medarbejdere vises først som en forhåndsvisning af, hvad der vil ændre sig; intet gemmes, før du vælger at indlæse den.",
    file_label: "Fil",
    upload_preview: "Vis forhåndsvisning",
    upload_progress: "Sendt af filen",
    upload_sending: "Sender filen …",
    upload_failed: "Filen kunne ikke sendes. Prøv igen.",
    upload_no_file: "Vælg en fil først.",
    addresses_heading: "Adresseregister (DAWA/DAR)",
    addresses_hint: "En udtræksfil fra DAWA eller Datafordeleren, også gzip-komprimeret. Store filer tager flere minutter; indlæsningen kører videre, når filen er sendt, og adresseopslag bruger det nye register, når den er færdig.",
    address_format: "Filformat",
    format_auto: "Genkend selv",
    address_upload: "Indlæs adresser",
    recent_runs: "Seneste adresseindlæsninger",
    col_file: "Fil",
    col_started: "Startet",
    col_state: "Status",
    import_cancelled: "Indlæsningen er annulleret. Intet er ændret.",
    preview_title: "Forhåndsvisning af indlæsning",
    preview_intro: "Sådan vil indlæsningen ændre de gemte data. Intet er gemt endnu.",
    preview_expires: "Kan indlæses indtil",
    applied_title: "Indlæsning gennemført",
    applied_intro: "Filen er indlæst i én samlet transaktion.",
    col_kind: "Type",
    refused_heading: "Afviste rækker",
    refused_intro: "Filen kan ikke indlæses, før disse rækker er rettet. Intet er gemt.",
    col_line: "Række",
    col_column: "Kolonne",
    col_reason: "Årsag",
    counts_heading: "Rækker i filen",
    count_new: "Nye",
    count_changed: "Ændrede",
    count_ended: "Afsluttede",
    count_unchanged: "Uændrede",
    changes_heading: "Rækker der ændrer noget",
    col_key: "Nøgle",
    col_name: "Navn",
    col_change: "Ændring",
    col_what: "Hvad ændres",
    row_changed: "Ændret",
    row_ended: "Afsluttet",
    apply_button: "Indlæs",
    cancel_button: "Annullér",
    back_to_imports: "Tilbage til indlæsning",
    preview_gone_title: "Forhåndsvisningen findes ikke",
    preview_gone: "Forhåndsvisningen er udløbet, allerede brugt eller annulleret, eller den tilhører en anden. Indlæs filen igen for at se en ny forhåndsvisning.",
    address_run_title: "Indlæsning af adresser",
    run_progress: "Læst af filen",
    run_refresh: "Opdater status",
    run_failed: "Indlæsningen mislykkedes. Intet fra filen er gemt.",
    run_result: "Resultat",
    run_rows: "Rækker læst",
    run_created: "Nye adgangsadresser",
    run_updated: "Ændrede adgangsadresser",
    run_unchanged: "Uændrede adgangsadresser",
    run_units: "Nye og ændrede adresser (etage/dør)",
    run_index_size: "Aktive adresser i søgeindekset",
    users_title: "Brugere",
    search_username: "Søg på brugernavn",
    search_button: "Søg",
    no_users: "Ingen brugere matcher søgningen.",
    col_username: "Brugernavn",
    col_roles: "Roller",
    col_created: "Oprettet",
    new_user: "Opret bruger",
    one_time_hint: "Brugeren får en engangsadgangskode, som vises én gang, og skal vælge sin egen ved første login.",
    create_user: "Opret bruger",
    one_time_heading: "Engangsadgangskode",
    one_time_shown_once: "Giv brugeren denne adgangskode. Den vises kun denne ene gang, og brugeren skal vælge en ny ved første login.",
    linked_person: "Person",
    no_person: "Ikke knyttet til en person",
    save_roles: "Gem roller",
    person_external_id: "Personens eksterne id",
    person_link_hint: "Det eksterne id fra medarbejderfilen. Tomt felt fjerner tilknytningen.",
    link_person: "Knyt til person",
    reset_password_heading: "Nulstil adgangskode",
    reset_password_hint: "Brugeren får en ny engangsadgangskode og bliver logget ud alle steder.",
    reset_password: "Nulstil adgangskode",
    back_to_users: "Tilbage til brugere",
    deactivated: "Deaktiveret",
    access_heading: "Adgang",
    active_hint: "Brugeren er aktiv. En deaktiveret bruger kan ikke logge ind (hverken med \
         adgangskode, app eller organisationens login) og bliver logget ud alle steder.",
    deactivated_hint: "Brugeren er deaktiveret og kan ikke logge ind.",
    deactivate: "Deaktivér bruger",
    reactivate: "Genaktivér bruger",
    deactivated_saved: "Brugeren er deaktiveret og logget ud alle steder.",
    reactivated_saved: "Brugeren er genaktiveret og kan logge ind igen.",
    roles_saved: "Rollerne er gemt.",
    person_linked: "Tilknytningen til personen er gemt.",
    organisation_title: "Organisation",
    organisation_intro: "Organisationsenhederne med ledere og stedfortrædere, og de personlige godkendere, som de er pr.",
    org_units_heading: "Organisationsenheder",
    col_unit: "Enhed",
    col_external_id: "Eksternt id",
    col_leaders: "Ledere",
    col_substitutes: "Stedfortrædere",
    no_units: "Der er ingen organisationsenheder endnu. Indlæs dem under Indlæsning.",
    personal_approvers_heading: "Personlige godkendere",
    no_personal_approvers: "Ingen personlige godkendere.",
    col_person: "Person",
    col_approver: "Godkender",
    col_period: "Periode",
    persons_heading: "Personer",
    takes_over: "overtager",
    person_read_only: "Oplysningerne kommer fra medarbejderindlæsningen og kan ændres dér eller gennem API'et.",
    col_email: "E-mail",
    distance_to_border: "Afstand til grænsen",
    not_set: "Ikke angivet",
    employments_heading: "Ansættelser",
    col_employment_number: "Ansættelsesnummer",
    col_position: "Stilling",
    col_leader: "Leder",
    col_approvers_today: "Godkendere i dag",
    addresses_person_heading: "Adresser",
    col_address: "Adresse",
    col_valid_from: "Gælder fra",
    overrides_heading: "Fast afstand hjem–arbejde",
    col_km: "Km",
    vehicles_heading: "Køretøjer",
    col_plate: "Nummerplade",
    col_description: "Beskrivelse",
    col_primary: "Primær",
    none: "Ingen.",
    yes: "Ja",
    back_to_organisation: "Tilbage til organisationen",
};

pub fn file_kind(kind: FileKind) -> &'static str {
    match kind {
        FileKind::OrgUnits => "Organisationsenheder (CSV)",
        FileKind::Staff => "Medarbejdere (CSV)",
    }
}

pub fn file_kind_hint(kind: FileKind) -> &'static str {
    match kind {
        FileKind::OrgUnits => {
            "Samme format som korsel org import: external_id, name, parent_external_id, …"
        }
        FileKind::Staff => {
            "Samme format som korsel staff import: én række pr. ansættelse (external_id, name, \
             employment_number, org_unit_external_id, position, start_date, …)"
        }
    }
}

pub fn run_state(state: RunState) -> &'static str {
    match state {
        RunState::Running => "I gang",
        RunState::Done => "Færdig",
        RunState::Failed => "Mislykkedes",
    }
}

pub fn role(role: Role) -> &'static str {
    match role {
        Role::Employee => "Medarbejder",
        Role::Approver => "Godkender",
        Role::Payroll => "Løn",
        Role::Admin => "Administrator",
    }
}

pub fn address_kind(kind: AddressKind) -> &'static str {
    match kind {
        AddressKind::Home => "Hjem",
        AddressKind::Work => "Arbejde",
        AddressKind::AlternativeHome => "Alternativ hjemadresse",
        AddressKind::AlternativeWork => "Alternativ arbejdsadresse",
    }
}

/// `Stilling (position): – → Chef`: the column's Danish name with the file's own column name
/// after it (so the cell can be found in the file), then the value before and after as the pages
/// show values (a date as a Danish date, yes/no in Danish, an empty side as a dash).
pub fn field_change(column: &str, before: &str, after: &str) -> String {
    let name = match column_label(column) {
        Some(label) => format!("{label} ({column})"),
        None => column.to_string(),
    };
    format!("{name}: {} → {}", shown_value(before), shown_value(after))
}

/// The Danish name of a column of the organisation or staff file.
fn column_label(column: &str) -> Option<&'static str> {
    Some(match column {
        "name" => "Navn",
        "username" => "Brugernavn",
        "email" => "E-mail",
        "cpr" => "CPR-nummer",
        "position" => "Stilling",
        "start_date" => "Startdato",
        "end_date" => "Slutdato",
        "cost_centre" => "Omkostningssted",
        "is_leader" => "Leder",
        "home_address" => "Hjemmeadresse",
        "approver_external_id" => "Personlig godkender",
        "approver_to" => "Personlig godkender til",
        "substitute_for_org_unit" => "Stedfortræder for enhed",
        "substitute_to" => "Stedfortræder til",
        "parent_external_id" => "Overordnet enhed",
        "four_km_rule_allowed" => "4-km-reglen tilladt",
        "distance_to_border_m" => "Afstand til grænsen (m)",
        "address_label" => "Adresse",
        _ => return None,
    })
}

fn shown_value(value: &str) -> String {
    match value {
        "" => "–".to_string(),
        "true" => "ja".to_string(),
        "false" => "nej".to_string(),
        _ => match chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
            Ok(date) => crate::web::format::date(date),
            Err(_) => value.to_string(),
        },
    }
}

/// `1. jan. 2026 – 31. dec. 2026`, or `fra 1. jan. 2026` without an end.
pub fn period(from: &str, to: Option<&str>) -> String {
    match to {
        Some(to) => format!("{from} – {to}"),
        None => format!("fra {from}"),
    }
}

/// `Viser de første 1000 af 4711 rækker.`
pub fn listed_of(listed: usize, total: usize) -> String {
    format!("Viser de første {listed} af {total} rækker.")
}

/// `12,3 af 480,0 MB læst`.
pub fn bytes_read(read: u64, total: u64) -> String {
    let mb = |b: u64| format!("{:.1}", b as f64 / 1_000_000.0).replace('.', ",");
    format!("{} af {} MB læst", mb(read), mb(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_and_sizes_read_in_danish() {
        assert_eq!(
            field_change("position", "", "Chef"),
            "Stilling (position): – → Chef"
        );
        assert_eq!(
            field_change("end_date", "", "2026-06-30"),
            "Slutdato (end_date): – → 30. jun. 2026"
        );
        assert_eq!(
            field_change("is_leader", "false", "true"),
            "Leder (is_leader): nej → ja"
        );
        assert_eq!(field_change("ukendt", "a", "b"), "ukendt: a → b");
        assert_eq!(bytes_read(1_260_000, 480_000_000), "1,3 af 480,0 MB læst");
        assert_eq!(period("1. jan. 2026", None), "fra 1. jan. 2026");
    }
}
