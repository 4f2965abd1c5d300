//! The free-text and account fields of trips and reports, as parsing newtypes: a value of one of
//! these types has passed its rule, so a trip's purpose can always become a report's purpose.

use std::fmt;

use thiserror::Error;

use crate::domain::org::required_text;

/// Why a text field was refused; the message is the one the API shows under the field's name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must not contain control characters")]
    ControlCharacter,
    #[error("a comment is required")]
    CommentRequired,
    #[error("must be 10 digits")]
    NotAnAccount,
}

/// What a drive was for ("formål"): trimmed, one line (no control characters), at most
/// [`Purpose::MAX`] characters. Trips, reports and the phone-app endpoints share this rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose(String);

impl Purpose {
    pub const MAX: usize = 500;

    pub fn parse(value: &str) -> Result<Purpose, TextError> {
        one_line(value, Purpose::MAX).map(Purpose)
    }

    /// An optional purpose (a trip's): absent or blank is none.
    pub fn optional(value: Option<&str>) -> Result<Option<Purpose>, TextError> {
        match value.map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => Purpose::parse(v).map(Some),
        }
    }
}

/// An approver's or administrator's comment on a decision: trimmed, at most
/// [`Comment::MAX`] characters, and several lines allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment(String);

impl Comment {
    pub const MAX: usize = 1_000;

    /// An optional comment (an approval's): absent or blank is none.
    pub fn optional(value: Option<&str>) -> Result<Option<Comment>, TextError> {
        let Some(trimmed) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        if trimmed.chars().count() > Comment::MAX {
            return Err(TextError::TooLong(Comment::MAX));
        }
        Ok(Some(Comment(trimmed.to_string())))
    }

    /// A comment the decision cannot go without (a rejection's).
    pub fn required(value: Option<&str>) -> Result<Comment, TextError> {
        Comment::optional(value)?.ok_or(TextError::CommentRequired)
    }
}

/// The account an approver books a report to instead of the employment's ("godkend med anden
/// kontering"): 10 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account(String);

impl Account {
    pub fn parse(value: &str) -> Result<Account, TextError> {
        let value = value.trim();
        if value.len() == 10 && value.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Account(value.to_string()))
        } else {
            Err(TextError::NotAnAccount)
        }
    }
}

/// The three share how they are read back and shown.
macro_rules! text_value {
    ($($name:ident),*) => {$(
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

text_value!(Purpose, Comment, Account);

fn one_line(value: &str, max: usize) -> Result<String, TextError> {
    required_text(value, max).map_err(|_| {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            TextError::Empty
        } else if trimmed.chars().count() > max {
            TextError::TooLong(max)
        } else {
            TextError::ControlCharacter
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn purpose_is_trimmed_one_line_and_bounded() {
        assert_eq!(
            Purpose::parse("  Hjemmebesøg ").unwrap().as_str(),
            "Hjemmebesøg"
        );
        assert_eq!(Purpose::parse(" \t "), Err(TextError::Empty));
        assert_eq!(
            Purpose::parse("Hjemme\nbesøg"),
            Err(TextError::ControlCharacter)
        );
        assert!(Purpose::parse(&"x".repeat(Purpose::MAX)).is_ok());
        assert_eq!(
            Purpose::parse(&"x".repeat(Purpose::MAX + 1)),
            Err(TextError::TooLong(Purpose::MAX))
        );
        assert_eq!(Purpose::optional(None), Ok(None));
        assert_eq!(Purpose::optional(Some("  ")), Ok(None));
    }

    #[test]
    fn comments_are_trimmed_and_required_where_the_decision_needs_one() {
        assert_eq!(Comment::optional(Some("  ")), Ok(None));
        assert_eq!(
            Comment::optional(Some(" forkert\nrute "))
                .unwrap()
                .unwrap()
                .as_str(),
            "forkert\nrute"
        );
        assert_eq!(
            Comment::required(Some(" ")),
            Err(TextError::CommentRequired)
        );
        assert_eq!(Comment::required(None), Err(TextError::CommentRequired));
        assert_eq!(
            Comment::optional(Some(&"é".repeat(Comment::MAX + 1))),
            Err(TextError::TooLong(Comment::MAX))
        );
    }

    #[test]
    fn accounts_are_ten_digits() {
        assert_eq!(
            Account::parse(" 1234567890 ").unwrap().as_str(),
            "1234567890"
        );
        for bad in [
            "123456789",
            "12345678901",
            "12345abcde",
            "",
            "１２３４５６７８９０",
        ] {
            assert_eq!(Account::parse(bad), Err(TextError::NotAnAccount), "{bad}");
        }
    }

    proptest! {
        /// A purpose that parsed parses again to itself: a trip's purpose can always be copied
        /// into a report.
        #[test]
        fn a_parsed_purpose_is_a_fixed_point(raw in "\\PC{0,600}") {
            if let Ok(purpose) = Purpose::parse(&raw) {
                prop_assert_eq!(Purpose::parse(purpose.as_str()), Ok(purpose.clone()));
                prop_assert!(purpose.as_str().chars().count() <= Purpose::MAX);
            }
        }
    }
}
