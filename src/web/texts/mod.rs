//! Every text of the pages, in one place. Danish is the language of the users (municipal
//! staff); a second language is a second `Texts` value and the maps below.

pub mod admin;
pub mod import;
pub mod payroll;
pub mod settings;

use crate::domain::allowance::distance::DistanceMode;
use crate::domain::allowance::rates::RateKind;
use crate::domain::ids::ReportId;
use crate::domain::report_state::ReportStatus;
use crate::error::ProblemKind;
use crate::services::reports::Flag;

pub mod oidc;

/// The fixed texts. Parameterised texts are the functions further down.
pub struct Texts {
    pub app_name: &'static str,
    pub skip_link: &'static str,
    pub main_nav: &'static str,
    pub nav_employee: &'static str,
    pub nav_my_reports: &'static str,
    pub nav_new_report: &'static str,
    pub nav_year: &'static str,
    pub nav_trips: &'static str,
    pub nav_approver: &'static str,
    pub nav_queue: &'static str,
    pub nav_payroll: &'static str,
    pub nav_batches: &'static str,
    pub nav_waiting: &'static str,
    pub nav_admin: &'static str,
    pub nav_users: &'static str,
    pub nav_organisation: &'static str,
    pub nav_imports: &'static str,
    pub nav_rates: &'static str,
    pub nav_connector_keys: &'static str,
    pub nav_settings: &'static str,
    pub signed_in_as: &'static str,
    pub sign_out: &'static str,
    pub footer: &'static str,

    pub login_title: &'static str,
    pub login_intro: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub login_button: &'static str,
    pub login_failed: &'static str,
    pub login_missing: &'static str,
    pub session_expired: &'static str,
    pub signed_out: &'static str,
    pub login_required: &'static str,
    pub login_form_expired: &'static str,
    pub password_change_required: &'static str,
    pub password_title: &'static str,
    pub password_current: &'static str,
    pub password_new: &'static str,
    pub password_repeat: &'static str,
    pub password_button: &'static str,
    pub password_mismatch: &'static str,
    pub password_wrong_current: &'static str,
    pub password_changed: &'static str,
    pub notifications_title: &'static str,
    pub notifications_email: &'static str,
    pub notifications_no_email: &'static str,
    pub notifications_no_person: &'static str,
    pub notifications_digest: &'static str,
    pub notifications_digest_hint: &'static str,
    pub notifications_saved: &'static str,

    pub error_back: &'static str,
    pub error_number: &'static str,
    pub csrf_refused: &'static str,

    pub my_reports_title: &'static str,
    pub col_date: &'static str,
    pub col_purpose: &'static str,
    pub col_km: &'static str,
    pub col_amount: &'static str,
    pub col_status: &'static str,
    pub col_person: &'static str,
    pub col_unit: &'static str,
    pub col_mode: &'static str,
    pub col_flags: &'static str,
    pub col_select: &'static str,
    pub col_report: &'static str,
    pub filter_year: &'static str,
    pub filter_status: &'static str,
    pub filter_all: &'static str,
    pub filter_button: &'static str,
    pub no_reports: &'static str,
    pub previous_page: &'static str,
    pub next_page: &'static str,
    pub pagination: &'static str,
    pub no_person: &'static str,
    pub show: &'static str,

    pub new_report_title: &'static str,
    pub edit_report_title: &'static str,
    pub from_trip_title: &'static str,
    pub employment: &'static str,
    pub drive_date: &'static str,
    pub purpose: &'static str,
    pub purpose_hint: &'static str,
    pub rate: &'static str,
    pub vehicle: &'static str,
    pub vehicle_none: &'static str,
    pub route: &'static str,
    pub stop_from: &'static str,
    pub stop_via: &'static str,
    pub stop_to: &'static str,
    pub add_via: &'static str,
    pub address_hint: &'static str,
    pub address_chosen: &'static str,
    pub suggestions_none: &'static str,
    pub suggestions_label: &'static str,
    pub round_trip: &'static str,
    pub starts_home: &'static str,
    pub ends_home: &'static str,
    pub home_hint: &'static str,
    pub four_km: &'static str,
    pub four_km_hint: &'static str,
    pub distance: &'static str,
    pub mode_calculated: &'static str,
    pub mode_read: &'static str,
    pub router_missing: &'static str,
    pub typed_km: &'static str,
    pub typed_km_hint: &'static str,
    pub remark: &'static str,
    pub remark_hint: &'static str,
    pub save_draft: &'static str,
    pub save_changes: &'static str,
    pub save_submit: &'static str,
    pub error_summary: &'static str,
    pub cancel: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub trip_distance: &'static str,
    pub trip_uncertainty: &'static str,
    pub trip_start: &'static str,
    pub trip_end: &'static str,
    pub unknown_address: &'static str,

    pub person: &'static str,
    pub route_distance: &'static str,
    pub home_work_deduction: &'static str,
    pub four_km_deduction: &'static str,
    pub reimbursable: &'static str,
    pub amount: &'static str,
    pub account: &'static str,
    pub lines_caption: &'static str,
    pub col_tf_code: &'static str,
    pub col_rate: &'static str,
    pub history: &'static str,
    pub col_when: &'static str,
    pub col_who: &'static str,
    pub col_event: &'static str,
    pub col_comment: &'static str,
    pub rejected_with: &'static str,
    pub edit: &'static str,
    pub edit_resubmit: &'static str,
    pub submit: &'static str,
    pub withdraw: &'static str,
    pub delete_draft: &'static str,
    pub approve: &'static str,
    pub approve_comment: &'static str,
    pub comment_hint: &'static str,
    pub approve_other_account: &'static str,
    pub account_number: &'static str,
    pub account_hint: &'static str,
    pub reject: &'static str,
    pub reject_comment: &'static str,
    pub decision_heading: &'static str,
    pub stale_version: &'static str,
    pub done_saved: &'static str,
    pub done_submitted: &'static str,
    pub done_withdrawn: &'static str,
    pub done_deleted: &'static str,
    pub done_approved: &'static str,
    pub done_rejected: &'static str,
    pub no_map: &'static str,

    pub queue_title: &'static str,
    pub queue_empty: &'static str,
    pub select_all: &'static str,
    pub bulk_approve: &'static str,
    pub bulk_none_selected: &'static str,
    pub bulk_result: &'static str,
    pub outcome_approved: &'static str,
    pub outcome_failed: &'static str,
    pub sort: &'static str,
    pub date_from: &'static str,
    pub date_to: &'static str,
    pub sort_date_asc: &'static str,
    pub sort_date_desc: &'static str,
    pub sort_amount_desc: &'static str,
    pub sort_person: &'static str,
    pub only_flagged: &'static str,
    pub flag_typed: &'static str,
    pub flag_four_km: &'static str,
    pub flag_split: &'static str,
    pub flag_gps_uncertain: &'static str,
    pub flag_resubmitted: &'static str,
    pub flag_app_distance: &'static str,
    pub flag_app_start_home: &'static str,
    pub flag_app_end_home: &'static str,

    pub year_title: &'static str,
    pub threshold_heading: &'static str,
    pub by_status: &'static str,
    pub by_month: &'static str,
    pub col_month: &'static str,
    pub col_reports: &'static str,
    pub counted_total: &'static str,

    pub trips_title: &'static str,
    pub trip_title: &'static str,
    pub no_trips: &'static str,
    pub create_report_from_trip: &'static str,
    pub map_caption: &'static str,
    pub map_label: &'static str,
    pub map_start: &'static str,
    pub map_end: &'static str,
    pub map_stop: &'static str,
}

pub static DA: Texts = Texts {
    app_name: "Korsel",
    skip_link: "Gå til indholdet",
    main_nav: "Hovedmenu",
    nav_employee: "Medarbejder",
    nav_my_reports: "Mine indberetninger",
    nav_new_report: "Ny indberetning",
    nav_year: "Mit år",
    nav_trips: "Mine ture",
    nav_approver: "Godkendelse",
    nav_queue: "Til godkendelse",
    nav_payroll: "Løn",
    nav_batches: "Lønkørsler",
    nav_waiting: "Afventer godkendelse",
    nav_admin: "Administration",
    nav_users: "Brugere",
    nav_organisation: "Organisation",
    nav_imports: "Indlæsning",
    nav_rates: "Takster",
    nav_connector_keys: "Lønsystemnøgler",
    nav_settings: "Indstillinger",
    signed_in_as: "Logget ind som",
    sign_out: "Log ud",
    footer: "Korsel · kørselsgodtgørelse",

    login_title: "Log ind",
    login_intro: "Log ind med dit brugernavn og din adgangskode til Korsel.",
    username: "Brugernavn",
    password: "Adgangskode",
    login_button: "Log ind",
    login_failed: "Brugernavnet eller adgangskoden er forkert.",
    login_missing: "Skriv både brugernavn og adgangskode.",
    session_expired: "Du er blevet logget ud, fordi du ikke har været aktiv i et stykke tid. Log ind igen.",
    signed_out: "Du er logget ud.",
    login_required: "Log ind for at se siden.",
    login_form_expired: "Formularen var udløbet. Prøv igen.",
    password_change_required: "Du er logget ind med en engangsadgangskode. Vælg din egen adgangskode, før du kan bruge Korsel.",
    password_title: "Skift adgangskode",
    password_current: "Nuværende adgangskode",
    password_new: "Ny adgangskode",
    password_repeat: "Gentag den nye adgangskode",
    password_button: "Skift adgangskode",
    password_mismatch: "De to nye adgangskoder er ikke ens.",
    password_wrong_current: "Den nuværende adgangskode er forkert.",
    password_changed: "Din adgangskode er skiftet.",
    notifications_title: "Beskeder",
    notifications_email: "Beskeder fra Korsel sendes til",
    notifications_no_email: "Der er ikke registreret en e-mailadresse på dig, så Korsel kan ikke sende dig beskeder. Kontakt din administrator for at få den registreret.",
    notifications_no_person: "Din brugerkonto er ikke knyttet til en person i organisationen, så der er ingen beskeder at indstille: beskeder og morgenoversigten går til medarbejdere og godkendere, der er knyttet til en person. Skal du have dem, kan en administrator knytte din konto til din person under Administration, Brugere.",
    notifications_digest: "Send mig hver morgen en oversigt over indberetninger, der venter på min godkendelse",
    notifications_digest_hint: "Oversigten sendes kun, når der er noget at godkende. Beskeder om afviste indberetninger sendes altid.",
    notifications_saved: "Dine indstillinger for beskeder er gemt.",

    error_back: "Gå til forsiden",
    error_number: "Fejlnummer:",
    csrf_refused: "Formularen kunne ikke godkendes (sikkerhedsnøglen mangler eller er forældet). Genindlæs siden, og prøv igen.",

    my_reports_title: "Mine indberetninger",
    col_date: "Dato",
    col_purpose: "Formål",
    col_km: "Km",
    col_amount: "Beløb",
    col_status: "Status",
    col_person: "Medarbejder",
    col_unit: "Enhed",
    col_mode: "Afstand",
    col_flags: "Bemærk",
    col_select: "Vælg",
    col_report: "Indberetning",
    filter_year: "År",
    filter_status: "Status",
    filter_all: "Alle",
    filter_button: "Vis",
    no_reports: "Der er ingen indberetninger, der passer til det valgte.",
    previous_page: "Forrige side",
    next_page: "Næste side",
    pagination: "Sider",
    no_person: "Din brugerkonto er ikke knyttet til en medarbejder i organisationen. Kontakt en administrator.",
    show: "Vis",

    new_report_title: "Ny indberetning",
    edit_report_title: "Ret indberetning",
    from_trip_title: "Ny indberetning fra GPS-tur",
    employment: "Ansættelse",
    drive_date: "Dato for kørslen",
    purpose: "Formål",
    purpose_hint: "Fx hjemmebesøg hos borger.",
    rate: "Takst",
    vehicle: "Køretøj",
    vehicle_none: "Intet køretøj",
    route: "Rute",
    stop_from: "Fra",
    stop_via: "Via",
    stop_to: "Til",
    add_via: "Tilføj via-punkt",
    address_hint: "Skriv vejnavn og husnummer, og vælg adressen på listen med forslag.",
    address_chosen: "Valgt:",
    suggestions_none: "Ingen adresser passer til det skrevne.",
    suggestions_label: "Forslag til adresser",
    round_trip: "Tur/retur (samme vej tilbage)",
    starts_home: "Kørslen starter på min bopæl",
    ends_home: "Kørslen slutter på min bopæl",
    home_hint: "Ved beregnede km afgør adresserne det; afkrydsningen gælder aflæste km.",
    four_km: "Brug 4-km-reglen",
    four_km_hint: "Kun hvor din enhed tillader det: de første 4 km pr. dag fra din bopæl trækkes fra.",
    distance: "Afstand",
    mode_calculated: "Beregnet km (ruteberegning)",
    mode_read: "Aflæst km",
    router_missing: "Beregnede km kan ikke vælges: Korsel har ingen ruteberegning (KORSEL_ROUTER_URL er ikke sat). Vælg aflæste km, og skriv en bemærkning.",
    typed_km: "Antal km",
    typed_km_hint: "Fx 12,3.",
    remark: "Bemærkning",
    remark_hint: "Påkrævet ved aflæste km: hvordan er afstanden fundet?",
    save_draft: "Gem som kladde",
    save_changes: "Gem ændringer",
    save_submit: "Gem og send til godkendelse",
    error_summary: "Der er fejl i formularen",
    cancel: "Annullér",
    yes: "Ja",
    no: "Nej",
    trip_distance: "GPS-afstand",
    trip_uncertainty: "Usikkerhed",
    trip_start: "Start",
    trip_end: "Slut",
    unknown_address: "ukendt adresse",

    person: "Medarbejder",
    route_distance: "Kørt afstand",
    home_work_deduction: "Fradrag for kørsel mellem bopæl og arbejde",
    four_km_deduction: "Fradrag efter 4-km-reglen",
    reimbursable: "Afstand med godtgørelse",
    amount: "Beløb",
    account: "Kontering",
    lines_caption: "Beregning af beløbet",
    col_tf_code: "Lønart",
    col_rate: "Sats pr. km",
    history: "Historik",
    col_when: "Tidspunkt",
    col_who: "Hvem",
    col_event: "Hændelse",
    col_comment: "Kommentar",
    rejected_with: "Indberetningen er afvist med kommentaren:",
    edit: "Ret",
    edit_resubmit: "Ret og send igen",
    submit: "Send til godkendelse",
    withdraw: "Træk tilbage",
    delete_draft: "Slet kladden",
    approve: "Godkend",
    approve_comment: "Kommentar (valgfri)",
    comment_hint: "Valgfri ved godkendelse, påkrævet ved afvisning.",
    approve_other_account: "Godkend med anden kontering",
    account_number: "Kontonummer",
    account_hint: "10 cifre.",
    reject: "Afvis",
    reject_comment: "Begrundelse for afvisningen",
    decision_heading: "Din afgørelse",
    stale_version: "Indberetningen er blevet ændret af en anden, mens du så på den. Siden viser nu den nyeste udgave. Se den igennem, og prøv igen.",
    done_saved: "Indberetningen er gemt som kladde.",
    done_submitted: "Indberetningen er sendt til godkendelse.",
    done_withdrawn: "Indberetningen er trukket tilbage og er nu en kladde.",
    done_deleted: "Kladden er slettet.",
    done_approved: "Indberetningen er godkendt.",
    done_rejected: "Indberetningen er afvist.",
    no_map: "Der er ingen koordinater at vise på et kort.",

    queue_title: "Til godkendelse",
    queue_empty: "Der er ingen indberetninger, der venter på din godkendelse.",
    select_all: "Vælg alle på siden",
    bulk_approve: "Godkend valgte",
    bulk_none_selected: "Vælg mindst én indberetning.",
    bulk_result: "Resultat",
    outcome_approved: "Godkendt",
    outcome_failed: "Ikke godkendt",
    sort: "Sortér",
    date_from: "Kørt fra og med",
    date_to: "Kørt til og med",
    sort_date_asc: "Ældste kørsel først",
    sort_date_desc: "Nyeste kørsel først",
    sort_amount_desc: "Største beløb først",
    sort_person: "Medarbejder (A-Å)",
    only_flagged: "Kun dem med bemærkninger",
    flag_typed: "Aflæste km",
    flag_four_km: "4-km-reglen anvendt",
    flag_split: "Delt ved 20.000 km",
    flag_gps_uncertain: "Usikker GPS-afstand",
    flag_resubmitted: "Sendt igen efter afvisning",
    flag_app_distance: "Appens km afviger fra den beregnede afstand",
    flag_app_start_home: "Start hjemme stemmer ikke med GPS-sporet",
    flag_app_end_home: "Slut hjemme stemmer ikke med GPS-sporet",

    year_title: "Mit år",
    threshold_heading: "Høj takst: 20.000 km om året",
    by_status: "Beløb efter status",
    by_month: "Pr. måned (indsendte og godkendte)",
    col_month: "Måned",
    col_reports: "Indberetninger",
    counted_total: "I alt (indsendte, godkendte og overførte)",

    trips_title: "Mine ture",
    trip_title: "GPS-tur",
    no_trips: "Du har ingen uploadede GPS-ture.",
    create_report_from_trip: "Opret indberetning fra turen",
    map_caption: "Kortet viser ruten som en streg: S er start, M er mål, tal er stop undervejs.",
    map_label: "Kort over ruten",
    map_start: "S",
    map_end: "M",
    map_stop: "stop",
};

pub fn status(s: ReportStatus) -> &'static str {
    match s {
        ReportStatus::Draft => "Kladde",
        ReportStatus::Pending => "Afventer godkendelse",
        ReportStatus::Approved => "Godkendt",
        ReportStatus::Rejected => "Afvist",
        ReportStatus::Exported => "Overført til løn",
    }
}

pub fn rate_kind(k: RateKind) -> &'static str {
    match k {
        RateKind::CarHigh => "Bil, høj takst (med kørselsbemyndigelse)",
        RateKind::CarHighAbove20k => "Bil, høj takst over 20.000 km",
        RateKind::CarLow => "Bil, lav takst",
        RateKind::Bicycle => "Cykel, knallert eller løbehjul",
    }
}

pub fn distance_mode(m: DistanceMode) -> &'static str {
    match m {
        DistanceMode::Calculated => "Beregnet",
        DistanceMode::Read => "Aflæst",
        DistanceMode::CalculatedWithoutExtraDistance => "Beregnet uden merkørsel",
        DistanceMode::Gps => "GPS",
    }
}

/// An audit event's action, as stored (`services::reports` writes these names).
pub fn event(action: &str) -> &'static str {
    match action {
        "create" => "Oprettet",
        "submit" => "Sendt til godkendelse",
        "withdraw" => "Trukket tilbage",
        "approve" => "Godkendt",
        "reject" => "Afvist",
        "edit" => "Rettet",
        "admin_reject_approved" => "Afvist efter godkendelse",
        "export" => "Overført til løn",
        "cancel_export" => "Overførsel til løn annulleret",
        "payroll_return" => "Sendt tilbage af lønkontoret",
        _ => "Ændret",
    }
}

/// Heading and explanation of an error page.
pub fn problem(kind: ProblemKind) -> (&'static str, &'static str) {
    match kind {
        ProblemKind::NotFound => (
            "Siden findes ikke",
            "Siden findes ikke, eller du har ikke adgang til den. Tjek adressen, eller gå til forsiden.",
        ),
        ProblemKind::Forbidden => (
            "Du har ikke adgang",
            "Din brugerkonto har ikke den rolle, siden kræver. Kontakt en administrator, hvis du mener, det er en fejl.",
        ),
        ProblemKind::VersionConflict | ProblemKind::PreconditionFailed | ProblemKind::Conflict => (
            "Ændret af en anden",
            "Oplysningerne er blevet ændret af en anden i mellemtiden. Gå tilbage, genindlæs siden, og prøv igen.",
        ),
        ProblemKind::TooManyRequests => (
            "For mange forsøg",
            "Der har været for mange forsøg på kort tid. Vent lidt, og prøv igen.",
        ),
        ProblemKind::RouterUnavailable => (
            "Ruteberegningen svarer ikke",
            "Afstanden kunne ikke beregnes, fordi ruteberegningen ikke svarer. Prøv igen senere, eller brug aflæste km.",
        ),
        ProblemKind::ServiceUnavailable => (
            "Korsel er ikke tilgængelig",
            "En del af systemet svarer ikke lige nu. Prøv igen om lidt.",
        ),
        ProblemKind::Internal => (
            "Der skete en fejl",
            "Der skete en uventet fejl. Prøv igen; hvis fejlen bliver ved, så kontakt support og oplys fejlnummeret.",
        ),
        ProblemKind::PayloadTooLarge => (
            "For meget at modtage",
            "Formularen eller filen er større, end Korsel kan modtage. Gå tilbage, forkort teksten eller vælg en mindre fil, og prøv igen.",
        ),
        ProblemKind::Validation | ProblemKind::BadRequest | ProblemKind::MalformedJson => (
            "Oplysningerne kan ikke bruges",
            "Nogle af oplysningerne er ikke udfyldt korrekt. Gå tilbage, ret dem, og prøv igen.",
        ),
        _ => (
            "Handlingen kunne ikke udføres",
            "Handlingen kunne ikke udføres. Gå tilbage, og prøv igen.",
        ),
    }
}

/// The message next to a form field the report rules refused (`field` as the services name
/// it). Unknown fields get a general message; the services' own wording is English.
pub fn field_error(field: &str) -> &'static str {
    let top = field.split(['/', '[', '.']).next().unwrap_or(field);
    match top {
        "purpose" => "Du skal angive et formål.",
        "route" => "Vælg adresserne på listen med forslag: mindst en fra- og en til-adresse.",
        "typed_distance_m" => "Skriv antal km, fx 12,3.",
        "remark" => "Du skal skrive en bemærkning ved aflæste km.",
        "drive_date" => "Angiv datoen for kørslen.",
        "comment" => "Du skal angive en kommentar.",
        "account" => "Kontonummeret skal være 10 cifre.",
        "employment_id" => "Vælg en af dine ansættelser.",
        "vehicle_id" => "Det valgte transportmiddel kræver en nummerplade. Vælg dit køretøj.",
        "rate_kind" => "Vælg en takst, der gælder på datoen.",
        "four_km_rule" => "4-km-reglen kan ikke bruges for denne ansættelse eller kørsel.",
        "trip_id" => "Turen kan ikke bruges (den er måske allerede brugt i en anden indberetning).",
        "distance_mode" => "Vælg, hvordan afstanden er fundet.",
        _ => "Tjek oplysningerne i formularen.",
    }
}

/// An approver's flag (`services::reports::Flag`). A phone app's code this version does not
/// know is shown as it is.
pub fn flag(flag: &Flag) -> String {
    match flag {
        Flag::TypedDistance => DA.flag_typed,
        Flag::FourKmRule => DA.flag_four_km,
        Flag::SplitAt20000Km => DA.flag_split,
        Flag::GpsUncertain => DA.flag_gps_uncertain,
        Flag::Resubmitted => DA.flag_resubmitted,
        Flag::Review(code) => match code.as_str() {
            "app_distance_differs" => DA.flag_app_distance,
            "starts_at_home_disagrees" => DA.flag_app_start_home,
            "ends_at_home_disagrees" => DA.flag_app_end_home,
            other => return format!("Markeret af appen: {other}"),
        },
    }
    .to_string()
}

/// The rule for a new password, as the form's hint and as its error.
pub fn password_rule(min: usize, max: usize) -> String {
    format!("Mindst {min} og højst {max} tegn.")
}

/// `Side 2 af 7`.
pub fn page_of(page: i64, pages: i64) -> String {
    format!("Side {page} af {pages}")
}

/// `Indberetning 17`.
pub fn report_heading(id: ReportId) -> String {
    format!("Indberetning {id}")
}

/// `Du har brugt 12.345,60 km af 20.000 km`.
pub fn threshold_used(used: &str, limit: &str) -> String {
    format!("Du har brugt {used} af {limit} med høj takst.")
}

pub fn threshold_remaining(remaining: &str) -> String {
    format!("Der er {remaining} tilbage i år.")
}

/// `For mange forkerte forsøg. Vent 3 minutter, og prøv igen.`
pub fn login_throttled(seconds: u64) -> String {
    let minutes = seconds.div_ceil(60).max(1);
    let unit = if minutes == 1 { "minut" } else { "minutter" };
    format!("For mange forkerte forsøg. Vent {minutes} {unit}, og prøv igen.")
}

/// A report's line in a bulk result: `Indberetning 17: Godkendt`.
pub fn bulk_line(id: ReportId, outcome: &str) -> String {
    format!("Indberetning {id}: {outcome}")
}

/// The stops' list label: `Via 2`.
pub fn via_label(n: usize) -> String {
    format!("Via {n}")
}

/// `Afstand i alt (scale bar)`: `500 m`, `2 km`.
pub fn scale_label(metres: f64) -> String {
    if metres >= 1000.0 {
        format!("{} km", (metres / 1000.0).round() as i64)
    } else {
        format!("{} m", metres.round() as i64)
    }
}

/// The number of reports shown of how many: `Viser 1-25 af 120`.
pub fn showing(from: i64, to: i64, total: i64) -> String {
    format!("Viser {from}-{to} af {total}")
}
