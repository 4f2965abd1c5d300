//! Texts of single sign-on (issue 18): the sign-in button and the pages of a refused sign-in.

use crate::services::oidc::{Refusal, TokenProblem};

pub const BUTTON: &str = "Log ind med din organisations konto";
pub const SSO_INTRO: &str = "Brug den samme konto som til kommunens andre systemer.";
pub const PASSWORD_HEADING: &str = "Log ind med brugernavn og adgangskode";
pub const ADMINS_ONLY: &str = "Kun administratorer logger ind med adgangskode.";
pub const PASSWORD_REFUSED: &str = "Log ind med adgangskode er kun for administratorer. Brug \
     knappen »Log ind med din organisations konto«.";

pub const REFUSED_HEADING: &str = "Du blev ikke logget ind";
pub const UNLINKED_HEADING: &str = "Din konto er ikke knyttet til en medarbejder";

/// The message of the page for a refused single sign-on.
pub fn refusal(refusal: &Refusal) -> (&'static str, &'static str) {
    let message = match refusal {
        Refusal::Unlinked(_) => {
            return (
                UNLINKED_HEADING,
                "Din konto er ikke knyttet til en medarbejder i Korsel, så du kan ikke logge \
                 ind endnu. Kontakt lønafdelingen eller din leder, så de kan få dig registreret \
                 som medarbejder.",
            )
        }
        Refusal::Deactivated(_) => {
            "Din konto i Korsel er deaktiveret, så du kan ikke logge ind. Kontakt lønafdelingen \
             eller Korsels administrator, hvis det er en fejl."
        }
        Refusal::ProviderError { .. } => {
            "Log ind blev afbrudt eller afvist hos din organisations login. Prøv igen."
        }
        Refusal::UnknownState | Refusal::NoCode => {
            "Log ind-forsøget var udløbet eller allerede brugt. Start forfra med knappen på \
             log ind-siden."
        }
        Refusal::Token(TokenProblem::Expired) => {
            "Svaret fra din organisations login var udløbet. Tjek at computerens ur går rigtigt, \
             og prøv igen."
        }
        Refusal::NoUsername(_) => {
            "Din organisations login sendte ikke dit brugernavn. Kontakt it-afdelingen."
        }
        Refusal::Unavailable(_) => {
            "Din organisations login kan ikke nås lige nu. Prøv igen om lidt; sker det igen, \
             kontakt it-afdelingen."
        }
        Refusal::CodeRefused(_) | Refusal::Token(_) | Refusal::WrongNonce => {
            "Svaret fra din organisations login kunne ikke godkendes, så du er ikke logget ind. \
             Prøv igen; sker det igen, kontakt it-afdelingen."
        }
    };
    (REFUSED_HEADING, message)
}
