//! The texts of the payroll pages ("Løn") and of the administration's rates, connector keys
//! and settings pages.

use crate::domain::allowance::rates::RateKind;
use crate::domain::ids::BatchId;
use crate::payroll::PayrollFormat;
use crate::services::payroll::{Batch, BatchStatus};

pub struct PayrollTexts {
    pub banner_placeholders: &'static str,
    pub banner_link: &'static str,
    pub banner_ask_admin: &'static str,

    pub batches_title: &'static str,
    pub batches_intro: &'static str,
    pub no_batches: &'static str,
    pub new_batch: &'static str,
    pub col_batch: &'static str,
    pub col_up_to: &'static str,
    pub col_format: &'static str,
    pub col_reports: &'static str,
    pub col_km: &'static str,
    pub col_amount: &'static str,
    pub col_state: &'static str,
    pub col_created_by: &'static str,

    pub new_title: &'static str,
    pub new_intro: &'static str,
    pub up_to: &'static str,
    pub up_to_hint: &'static str,
    pub format: &'static str,
    pub preview_button: &'static str,
    pub preview_heading: &'static str,
    pub preview_reports: &'static str,
    pub preview_km: &'static str,
    pub preview_amount: &'static str,
    pub preview_empty: &'static str,
    pub create_button: &'static str,
    pub up_to_missing: &'static str,
    pub create_refused: &'static str,

    pub batch_created: &'static str,
    pub created_at: &'static str,
    pub fetched_at: &'static str,
    pub acknowledged_at: &'static str,
    pub cancelled_at: &'static str,
    pub cancel_reason: &'static str,
    pub download: &'static str,
    pub download_hint: &'static str,
    pub cancel_link: &'static str,
    pub batch_reports: &'static str,
    pub col_employment: &'static str,
    pub col_person: &'static str,
    pub col_date: &'static str,
    pub col_purpose: &'static str,

    pub cancel_title: &'static str,
    pub cancel_reason_label: &'static str,
    pub cancel_reason_hint: &'static str,
    pub cancel_reason_missing: &'static str,
    pub cancel_button: &'static str,
    pub cancel_back: &'static str,
    pub cancel_fetched_warning: &'static str,
    pub cancel_not_possible: &'static str,
    pub col_payroll_state: &'static str,
    pub returned_marker: &'static str,
    pub return_link: &'static str,
    pub return_title: &'static str,
    pub return_intro: &'static str,
    pub return_reason_label: &'static str,
    pub return_reason_hint: &'static str,
    pub return_button: &'static str,
    pub return_not_possible: &'static str,
    pub report_returned: &'static str,
    pub batch_cancelled: &'static str,

    pub waiting_title: &'static str,
    pub waiting_intro: &'static str,
    pub waiting_none: &'static str,
    pub waiting_per_unit: &'static str,
    pub waiting_per_approver: &'static str,
    pub col_unit: &'static str,
    pub col_approver: &'static str,
    pub col_waiting: &'static str,
    pub col_oldest: &'static str,
    pub without_approver: &'static str,

    pub rates_title: &'static str,
    pub rates_intro: &'static str,
    pub rates_year: &'static str,
    pub col_kind: &'static str,
    pub col_period: &'static str,
    pub col_rate: &'static str,
    pub col_tf_code: &'static str,
    pub col_tf_code_2: &'static str,
    pub placeholder: &'static str,
    pub save_tf_codes: &'static str,
    pub tf_codes_saved: &'static str,
    pub tf_code_refused: &'static str,
    pub add_rate_title: &'static str,
    pub add_rate_intro: &'static str,
    pub kind: &'static str,
    pub valid_from: &'static str,
    pub valid_to: &'static str,
    pub rate_kr: &'static str,
    pub rate_kr_hint: &'static str,
    pub tf_code: &'static str,
    pub tf_code_2: &'static str,
    pub tf_code_2_hint: &'static str,
    pub description: &'static str,
    pub description_hint: &'static str,
    pub add_rate_button: &'static str,
    pub rate_added: &'static str,
    pub rate_refused: &'static str,

    pub keys_title: &'static str,
    pub keys_intro: &'static str,
    pub no_keys: &'static str,
    pub key_name: &'static str,
    pub key_name_hint: &'static str,
    pub create_key: &'static str,
    pub key_created: &'static str,
    pub key_shown_once: &'static str,
    pub key_refused: &'static str,
    pub col_key: &'static str,
    pub col_created: &'static str,
    pub col_last_used: &'static str,
    pub col_key_state: &'static str,
    pub col_action: &'static str,
    pub key_active: &'static str,
    pub key_revoked: &'static str,
    pub never: &'static str,
    pub revoke: &'static str,
    pub key_revoked_done: &'static str,

    pub settings_title: &'static str,
    pub settings_intro: &'static str,
    pub col_setting: &'static str,
    pub col_value: &'static str,
    pub set: &'static str,
    pub not_set: &'static str,
    pub on: &'static str,
    pub off: &'static str,
}

pub static PT: PayrollTexts = PayrollTexts {
    banner_placeholders: "Lønfilen kan ikke dannes endnu: en eller flere takster, der er i brug, har stadig en midlertidig lønart (TF-kode).",
    banner_link: "Sæt lønarterne under Takster",
    banner_ask_admin: "Bed en administrator sætte lønarterne under Administration, Takster.",

    batches_title: "Lønkørsler",
    batches_intro: "En lønkørsel samler alle godkendte indberetninger til og med en dato i én lønfil.",
    no_batches: "Der er ikke dannet nogen lønkørsler endnu.",
    new_batch: "Ny lønkørsel",
    col_batch: "Kørsel",
    col_up_to: "Til og med",
    col_format: "Format",
    col_reports: "Indberetninger",
    col_km: "Km",
    col_amount: "Beløb",
    col_state: "Tilstand",
    col_created_by: "Dannet af",

    new_title: "Ny lønkørsel",
    new_intro: "Vælg en dato og et format. Du ser først, hvad kørslen vil indeholde, og danner den bagefter.",
    up_to: "Alle godkendte indberetninger til og med",
    up_to_hint: "Kørselsdatoen, fx den sidste dag i måneden.",
    format: "Format",
    preview_button: "Vis hvad kørslen indeholder",
    preview_heading: "Det vil lønkørslen indeholde",
    preview_reports: "Godkendte indberetninger",
    preview_km: "Km i alt",
    preview_amount: "Beløb i alt",
    preview_empty: "Der er ingen godkendte indberetninger til og med datoen. Dannes kørslen alligevel, bliver den tom.",
    create_button: "Dan lønkørslen",
    up_to_missing: "Angiv en dato.",
    create_refused: "Lønkørslen blev ikke dannet:",

    batch_created: "Lønkørslen er dannet. Hent lønfilen herunder.",
    created_at: "Dannet",
    fetched_at: "Hentet af lønsystemet",
    acknowledged_at: "Kvitteret af lønsystemet",
    cancelled_at: "Annulleret",
    cancel_reason: "Begrundelse",
    download: "Hent lønfilen",
    download_hint: "Filen er den samme ved hver hentning.",
    cancel_link: "Annullér lønkørslen",
    batch_reports: "Indberetninger i kørslen",
    col_employment: "Ansættelse",
    col_person: "Medarbejder",
    col_date: "Dato",
    col_purpose: "Formål",

    cancel_title: "Annullér lønkørsel",
    cancel_reason_label: "Begrundelse for annulleringen",
    cancel_reason_hint: "Fx forkert dato. Begrundelsen gemmes i historikken.",
    cancel_reason_missing: "Skriv en begrundelse.",
    cancel_button: "Annullér lønkørslen",
    cancel_back: "Tilbage til lønkørslen",
    cancel_fetched_warning: "Lønsystemet har allerede hentet kørslen. Er den sendt videre, skal lønnen rettes i lønsystemet.",
    cancel_not_possible: "Lønkørslen kan ikke annulleres: den er allerede annulleret eller kvitteret af lønsystemet. Ret i stedet i lønsystemet.",
    col_payroll_state: "I lønnen",
    returned_marker: "Sendt tilbage",
    return_link: "Send tilbage",
    return_title: "Send indberetning tilbage til godkenderen",
    return_intro: "Brug dette, når lønsystemet ikke kunne udbetale indberetningen (fx en spærret ansættelse eller et omkostningssted, lønsystemet afviser). Indberetningen afventer igen godkendelse; godkendt igen kommer den med i en senere lønkørsel. Lønfilen ændres ikke.",
    return_reason_label: "Hvorfor kunne lønsystemet ikke udbetale den?",
    return_reason_hint: "Godkenderen og medarbejderen ser begrundelsen i indberetningens historik.",
    return_button: "Send tilbage til godkenderen",
    return_not_possible: "Indberetningen kan ikke sendes tilbage: lønkørslen er ikke kvitteret af lønsystemet (annullér i stedet lønkørslen), eller indberetningen er allerede sendt tilbage.",
    report_returned: "Indberetningen er sendt tilbage til godkenderen.",
    batch_cancelled: "Lønkørslen er annulleret, og dens indberetninger er godkendte igen.",

    waiting_title: "Afventer godkendelse",
    waiting_intro: "Indsendte indberetninger, der endnu ikke er godkendt, så godkendere kan rykkes før en lønfrist.",
    waiting_none: "Ingen indberetninger afventer godkendelse.",
    waiting_per_unit: "Pr. enhed",
    waiting_per_approver: "Pr. godkender",
    col_unit: "Enhed",
    col_approver: "Godkender",
    col_waiting: "Afventer",
    col_oldest: "Ældste kørselsdato",
    without_approver: "Indberetninger uden nogen godkender i dag (ret organisationen):",

    rates_title: "Takster",
    rates_intro: "Satser pr. km og lønarter (TF-koder) pr. år. Lønarterne bruges i lønfilen; en midlertidig lønart skal erstattes, før der kan dannes lønkørsler.",
    rates_year: "Takster",
    col_kind: "Takst",
    col_period: "Periode",
    col_rate: "Sats pr. km",
    col_tf_code: "Lønart",
    col_tf_code_2: "Ekstra lønart (km uden beløb)",
    placeholder: "midlertidig",
    save_tf_codes: "Gem lønarter",
    tf_codes_saved: "Lønarterne er gemt.",
    tf_code_refused: "Lønarterne blev ikke gemt: en lønart skal udfyldes og må højst have 64 tegn.",
    add_rate_title: "Tilføj en takst",
    add_rate_intro: "Fx næste års takster: én takst ad gangen, med periode, sats og lønart.",
    kind: "Takst",
    valid_from: "Gælder fra",
    valid_to: "Gælder til og med",
    rate_kr: "Sats pr. km i kroner",
    rate_kr_hint: "Fx 3,81.",
    tf_code: "Lønart (TF-kode)",
    tf_code_2: "Ekstra lønart",
    tf_code_2_hint: "Valgfri: en lønart, der får samme km uden beløb.",
    description: "Beskrivelse",
    description_hint: "Valgfri; ellers takstens navn.",
    add_rate_button: "Tilføj taksten",
    rate_added: "Taksten er tilføjet.",
    rate_refused: "Taksten blev ikke tilføjet:",

    keys_title: "Lønsystemnøgler",
    keys_intro: "En nøgle giver lønsystemets forbindelse adgang til at hente lønkørsler og kvittere for dem, og intet andet.",
    no_keys: "Der er ingen nøgler.",
    key_name: "Navn på nøglen",
    key_name_hint: "Fx lønsystemets servernavn.",
    create_key: "Opret nøgle",
    key_created: "Nøglen er oprettet. Kopiér den nu: den vises kun denne ene gang.",
    key_shown_once: "Nøgle",
    key_refused: "Nøglen blev ikke oprettet: navnet skal udfyldes, må højst have 64 tegn og må ikke være brugt før.",
    col_key: "Navn",
    col_created: "Oprettet",
    col_last_used: "Sidst brugt",
    col_key_state: "Tilstand",
    col_action: "Handling",
    key_active: "Aktiv",
    key_revoked: "Tilbagekaldt",
    never: "Aldrig",
    revoke: "Tilbagekald",
    key_revoked_done: "Nøglen er tilbagekaldt.",

    settings_title: "Indstillinger",
    settings_intro: "Indstillingerne, som Korsel kører med. De ændres i serverens miljøvariabler; hemmeligheder vises aldrig, kun om de er sat.",
    col_setting: "Indstilling",
    col_value: "Værdi",
    set: "sat",
    not_set: "ikke sat",
    on: "til",
    off: "fra",
};

pub fn format_name(f: PayrollFormat) -> &'static str {
    match f {
        PayrollFormat::Csv => "CSV",
        PayrollFormat::KmdInd01 => "KMD OPUS IND01",
    }
}

/// A batch's state: made, fetched by the payroll connector, acknowledged, or cancelled.
pub fn batch_state(b: &Batch) -> &'static str {
    match b.status {
        BatchStatus::Cancelled => "Annulleret",
        BatchStatus::Acknowledged => "Kvitteret",
        BatchStatus::Open if b.first_fetched_at.is_some() => "Hentet",
        BatchStatus::Open => "Dannet",
    }
}

/// `Lønkørsel 7`.
pub fn batch_heading(id: BatchId) -> String {
    format!("Lønkørsel {id}")
}

/// What cancelling gives back: `12 indberetninger bliver godkendte igen …`.
pub fn cancel_returns(reports: i64) -> String {
    let what = if reports == 1 {
        "1 indberetning bliver godkendt igen".to_string()
    } else {
        format!("{reports} indberetninger bliver godkendte igen")
    };
    format!("{what} og kan komme med i en senere lønkørsel. Lønfilen må ikke bruges.")
}

/// `Takster 2027`.
pub fn rates_year(year: i32) -> String {
    format!("{} {year}", PT.rates_year)
}

pub fn save_tf_codes_of(year: i32) -> String {
    format!("{} for {year}", PT.save_tf_codes)
}

/// A TF code field's label for one rate type: `Lønart, Bil, lav takst 2026`.
pub fn tf_code_label(kind: RateKind, first: bool, year: i32) -> String {
    let which = if first {
        PT.col_tf_code
    } else {
        PT.col_tf_code_2
    };
    format!("{which}, {} {year}", super::rate_kind(kind))
}

/// Why a batch was not made, from the problem the API would answer.
pub fn create_refusal(kind: crate::error::ProblemKind, field: Option<&str>) -> &'static str {
    use crate::error::ProblemKind;
    match (kind, field) {
        (ProblemKind::Conflict, _) => {
            "En anden dannede en lønkørsel med de samme indberetninger i samme øjeblik. Se listen over lønkørsler, og prøv igen."
        }
        (_, Some("format")) => {
            "Formatet KMD OPUS IND01 er ikke sat op på serveren (kommunenummeret mangler). Vælg CSV, eller bed driften sætte KORSEL_PAYROLL_MUNICIPALITY_NUMBER."
        }
        (_, None) => {
            "En takst har stadig en midlertidig lønart (ret lønarterne under Takster), eller lønfilen kan ikke skrives: IND01 kræver lønarter på 4 tegn og et CPR-nummer for hver medarbejder."
        }
        _ => "Oplysningerne kan ikke bruges. Tjek dato og format.",
    }
}

/// Why a rate type was not added, from the problem the API would answer (`None`: the form's
/// fields could not be read).
pub fn rate_refusal(kind: crate::error::ProblemKind, field: Option<&str>) -> &'static str {
    use crate::error::ProblemKind;
    match (kind, field) {
        (ProblemKind::Conflict, _) => "Der findes allerede en takst af den slags fra den dato.",
        (_, Some("valid_from")) => "Perioden overlapper en anden takst af samme slags.",
        (_, Some("valid_to")) => "Slutdatoen ligger før startdatoen.",
        (_, Some("tf_code" | "tf_code_2")) => "Lønarten skal udfyldes og må højst have 64 tegn.",
        (_, Some("description")) => "Beskrivelsen må højst have 200 tegn.",
        (_, Some("ore_per_km")) => "Satsen skal være mellem 0 og 1.000 kr. pr. km.",
        _ => "Vælg en takst, angiv begge datoer, en sats som fx 3,81 og en lønart.",
    }
}
