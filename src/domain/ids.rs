//! Ids of the domain's entities, one type each, so a person's id cannot be passed where an
//! employment's is meant. They hold the database's `i64` as it is: the rows wrap it when they
//! enter the domain, and nothing converts between id kinds or integer widths.

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! entity_ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        /// The decimal number, as in a form field or a URL.
        impl FromStr for $name {
            type Err = ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

entity_ids!(
    /// A person (an employee, a leader, an approver).
    PersonId,
    /// A unit of the organisation tree.
    OrgUnitId,
    /// One employment of a person in an org unit.
    EmploymentId,
    /// A drive report.
    ReportId,
    /// A GPS trip uploaded by a phone.
    TripId,
    /// A login account (linked to a person by its username, or not at all).
    UserId,
    /// A payroll batch: the reports sent to payroll together, and their file.
    BatchId,
    /// A person's registered vehicle (its plate goes on the report).
    VehicleId,
    /// A rate type: one rate kind's rate and TF code for one period.
    RateTypeId,
    /// A substitute: a person who approves for an org unit's leader for a period.
    SubstituteId,
    /// A personal approver: a person who approves one person's reports for a period.
    PersonalApproverId,
    /// One of a person's addresses (home, work or alternative).
    AddressId,
);
