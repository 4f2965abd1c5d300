//! The OS2indberetning phone apps (issue 14): their login with an app password and a GuId held
//! forever (`access`), and their drive reports (`upload`).
//!
//! The apps are unchanged, so the protocol is theirs (reference §7): errors are
//! `{"ErrorMessage", "ErrorCode"}` with codes 600–690, not problem+json. Services here say
//! which of those a failure is ([`AppError`]); `http::handlers::os2app` writes the answer.

pub mod access;
pub mod upload;

use serde::Serialize;

use crate::config::ProviderEntry;
use crate::domain::os2app::BodyError;
use crate::error::{Error, ProblemKind};

/// A failed app request, in the protocol's terms.
#[derive(Debug)]
pub enum AppError {
    /// 401 + 610: unknown, revoked or expired GuId; wrong username or app password.
    InvalidAuthorization(String),
    /// 401 + 670: the report's `ProfileId` is not the GuId's owner.
    ReportAndUserDoNotMatch,
    /// 400 + 640: the report cannot be saved as it is (a field refused, or its body unreadable).
    SaveError(String),
    /// 400 + 640: a login body that cannot be read (no report is involved, so the message
    /// does not speak of one).
    Unreadable(String),
    /// 413 + 640: the body or its coordinates exceed the limits.
    TooLarge(String),
    /// korsel's own problems that are not about the request's content: throttling (429), the
    /// database or route service being away (503), internal errors (500).
    Other(Error),
}

impl AppError {
    /// The same refusal for a request that saves no report: a save error becomes unreadable.
    pub fn unreadable(self) -> Self {
        match self {
            AppError::SaveError(message) => AppError::Unreadable(message),
            other => other,
        }
    }
}

impl crate::services::auth::SignInError for AppError {
    fn is_wrong_credentials(&self) -> bool {
        matches!(self, AppError::InvalidAuthorization(_))
    }
}

impl From<Error> for AppError {
    /// A problem with the request's content is a save error; the rest keeps its status.
    fn from(e: Error) -> Self {
        match &e {
            Error::Problem(p) if p.kind == ProblemKind::PayloadTooLarge => {
                AppError::TooLarge(p.detail.clone())
            }
            Error::Problem(p)
                if (400..500).contains(&p.kind.status())
                    && p.kind != ProblemKind::TooManyRequests =>
            {
                AppError::SaveError(p.detail.clone())
            }
            _ => AppError::Other(e),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::Other(e.into())
    }
}

impl From<BodyError> for AppError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooManyPoints { .. } => AppError::TooLarge(e.to_string()),
            BodyError::Field { .. } => AppError::SaveError(e.to_string()),
        }
    }
}

/// One entry of the apps' provider list, with the names the apps read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderListEntry {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "APIUrl")]
    pub api_url: String,
    #[serde(rename = "ImgUrl")]
    pub img_url: String,
    #[serde(rename = "TextColor")]
    pub text_color: String,
    #[serde(rename = "PrimaryColor")]
    pub primary_color: String,
    #[serde(rename = "SecondaryColor")]
    pub secondary_color: String,
}

/// The provider entry of this installation. Its APIUrl comes from `KORSEL_APP_PUBLIC_URL`, else
/// from `request_base` (the scheme and host a request came in on).
pub fn provider_entry(
    settings: &ProviderEntry,
    request_base: Option<&str>,
) -> anyhow::Result<ProviderListEntry> {
    let base = settings
        .public_url
        .as_deref()
        .or(request_base)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "set KORSEL_APP_PUBLIC_URL (korsel's address as the phones reach it, e.g. \
             https://korsel.example.dk) to make the provider entry"
            )
        })?;
    Ok(ProviderListEntry {
        name: settings.name.clone(),
        api_url: format!("{}/api/", base.trim_end_matches('/')),
        img_url: settings.logo_url.clone().unwrap_or_default(),
        text_color: settings.text_color.clone(),
        primary_color: settings.primary_color.clone(),
        secondary_color: settings.secondary_color.clone(),
    })
}
