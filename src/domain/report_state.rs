//! Report status and pure transition checks (OS2indberetning §5.1/§5.3,
//! with a `Draft` state added and `Invoiced` renamed `Exported`).
//!
//! ```text
//! Draft --submit(owner)--> Pending
//! Pending --withdraw(owner)--> Draft
//! Draft/Pending --edit(owner)--> same state;  Rejected --edit(owner)--> Pending
//! Pending --approve(responsible approver, not owner)--> Approved
//! Pending --reject(responsible approver, not owner, comment)--> Rejected
//! Approved --admin_reject_approved(admin, comment)--> Rejected
//! Approved --export--> Exported --cancel_export--> Approved
//! Exported --payroll_return(payroll, reason)--> Pending
//! ```
//! Each function checks the actor first, then the current status, and
//! returns the new status. Nobody approves or rejects their own report (an
//! admin rejecting an approved report of their own is allowed: it can only
//! reduce the payout).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

pub use crate::domain::ids::PersonId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportStatus {
    Draft,
    Pending,
    Approved,
    Rejected,
    Exported,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 5] = [
        ReportStatus::Draft,
        ReportStatus::Pending,
        ReportStatus::Approved,
        ReportStatus::Rejected,
        ReportStatus::Exported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Draft => "draft",
            ReportStatus::Pending => "pending",
            ReportStatus::Approved => "approved",
            ReportStatus::Rejected => "rejected",
            ReportStatus::Exported => "exported",
        }
    }

    /// Counts for the 20,000 km and 4‑km rules (not draft, not rejected).
    pub fn is_counted(self) -> bool {
        matches!(
            self,
            ReportStatus::Pending | ReportStatus::Approved | ReportStatus::Exported
        )
    }

    /// Payroll lines are fixed (exported) and must not be re‑priced.
    pub fn is_frozen(self) -> bool {
        self == ReportStatus::Exported
    }
}

impl fmt::Display for ReportStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown report status {0:?}")]
pub struct ParseStatusError(pub String);

impl FromStr for ReportStatus {
    type Err = ParseStatusError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| ParseStatusError(s.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Submit,
    Withdraw,
    Approve,
    Reject,
    Edit,
    AdminRejectApproved,
    Export,
    CancelExport,
    PayrollReturn,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Withdraw => "withdraw",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Edit => "edit",
            Action::AdminRejectApproved => "admin_reject_approved",
            Action::Export => "export",
            Action::CancelExport => "cancel_export",
            Action::PayrollReturn => "payroll_return",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("cannot {action} a report that is {from}")]
    InvalidTransition { action: Action, from: ReportStatus },
    #[error("only the report owner may {0}")]
    NotOwner(Action),
    #[error("a person cannot approve or reject their own report")]
    SelfApproval,
    #[error("not a responsible approver of this report")]
    NotResponsibleApprover,
    #[error("only an administrator may {0}")]
    NotAdmin(Action),
    #[error("a comment is required to {0}")]
    CommentRequired(Action),
}

fn expect(
    action: Action,
    from: ReportStatus,
    allowed: &[ReportStatus],
) -> Result<(), TransitionError> {
    if allowed.contains(&from) {
        Ok(())
    } else {
        Err(TransitionError::InvalidTransition { action, from })
    }
}

fn check_approver(
    actor: PersonId,
    owner: PersonId,
    approvers: &[PersonId],
) -> Result<(), TransitionError> {
    if actor == owner {
        return Err(TransitionError::SelfApproval);
    }
    if !approvers.contains(&actor) {
        return Err(TransitionError::NotResponsibleApprover);
    }
    Ok(())
}

/// Draft → Pending, by the owner.
pub fn submit(
    from: ReportStatus,
    actor: PersonId,
    owner: PersonId,
) -> Result<ReportStatus, TransitionError> {
    if actor != owner {
        return Err(TransitionError::NotOwner(Action::Submit));
    }
    expect(Action::Submit, from, &[ReportStatus::Draft])?;
    Ok(ReportStatus::Pending)
}

/// Pending → Draft, by the owner: takes a submitted report back out of the approval queue
/// (it stops counting for the 4‑km and 20,000 km rules until submitted again).
pub fn withdraw(
    from: ReportStatus,
    actor: PersonId,
    owner: PersonId,
) -> Result<ReportStatus, TransitionError> {
    if actor != owner {
        return Err(TransitionError::NotOwner(Action::Withdraw));
    }
    expect(Action::Withdraw, from, &[ReportStatus::Pending])?;
    Ok(ReportStatus::Draft)
}

/// Pending → Approved, by a responsible approver (see `approvers`) who is
/// not the owner.
pub fn approve(
    from: ReportStatus,
    actor: PersonId,
    owner: PersonId,
    approvers: &[PersonId],
) -> Result<ReportStatus, TransitionError> {
    check_approver(actor, owner, approvers)?;
    expect(Action::Approve, from, &[ReportStatus::Pending])?;
    Ok(ReportStatus::Approved)
}

/// Pending → Rejected, by a responsible approver, with a non‑blank comment.
pub fn reject(
    from: ReportStatus,
    actor: PersonId,
    owner: PersonId,
    approvers: &[PersonId],
    comment: &str,
) -> Result<ReportStatus, TransitionError> {
    check_approver(actor, owner, approvers)?;
    expect(Action::Reject, from, &[ReportStatus::Pending])?;
    if comment.trim().is_empty() {
        return Err(TransitionError::CommentRequired(Action::Reject));
    }
    Ok(ReportStatus::Rejected)
}

/// Owner edit: allowed in Draft (stays Draft), Pending (stays Pending) and
/// Rejected (resubmitted as Pending). Approved/Exported are locked.
pub fn edit(
    from: ReportStatus,
    actor: PersonId,
    owner: PersonId,
) -> Result<ReportStatus, TransitionError> {
    if actor != owner {
        return Err(TransitionError::NotOwner(Action::Edit));
    }
    expect(
        Action::Edit,
        from,
        &[
            ReportStatus::Draft,
            ReportStatus::Pending,
            ReportStatus::Rejected,
        ],
    )?;
    Ok(match from {
        ReportStatus::Draft => ReportStatus::Draft,
        _ => ReportStatus::Pending,
    })
}

/// Approved → Rejected by an administrator, with a non‑blank comment
/// (OS2: mail to owner and approver). An exported report must first be
/// `cancel_export`ed (which is where a payroll correction is produced).
pub fn admin_reject_approved(
    from: ReportStatus,
    actor_is_admin: bool,
    comment: &str,
) -> Result<ReportStatus, TransitionError> {
    if !actor_is_admin {
        return Err(TransitionError::NotAdmin(Action::AdminRejectApproved));
    }
    expect(Action::AdminRejectApproved, from, &[ReportStatus::Approved])?;
    if comment.trim().is_empty() {
        return Err(TransitionError::CommentRequired(
            Action::AdminRejectApproved,
        ));
    }
    Ok(ReportStatus::Rejected)
}

/// Approved → Exported (payroll transfer; system/admin action).
pub fn export(from: ReportStatus) -> Result<ReportStatus, TransitionError> {
    expect(Action::Export, from, &[ReportStatus::Approved])?;
    Ok(ReportStatus::Exported)
}

/// Exported → Approved (payroll transfer undone/failed; system/admin action).
pub fn cancel_export(from: ReportStatus) -> Result<ReportStatus, TransitionError> {
    expect(Action::CancelExport, from, &[ReportStatus::Exported])?;
    Ok(ReportStatus::Approved)
}

/// Exported → Pending: payroll could not pay the report (a locked employment, a cost centre it
/// refuses) and sends it back to the approver, with the reason, to approve again (perhaps to
/// another account) or reject to the employee. The HTTP layer admits payroll and administrators.
pub fn payroll_return(from: ReportStatus, reason: &str) -> Result<ReportStatus, TransitionError> {
    expect(Action::PayrollReturn, from, &[ReportStatus::Exported])?;
    if reason.trim().is_empty() {
        return Err(TransitionError::CommentRequired(Action::PayrollReturn));
    }
    Ok(ReportStatus::Pending)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReportStatus::*;

    const OWNER: PersonId = PersonId(1);
    const LEADER: PersonId = PersonId(2);
    const OTHER: PersonId = PersonId(3);

    #[test]
    fn status_strings_round_trip() {
        let cases = [
            (Draft, "draft"),
            (Pending, "pending"),
            (Approved, "approved"),
            (Rejected, "rejected"),
            (Exported, "exported"),
        ];
        for (st, s) in cases {
            assert_eq!(st.as_str(), s);
            assert_eq!(st.to_string(), s);
            assert_eq!(s.parse::<ReportStatus>().unwrap(), st);
        }
        for bad in ["Pending", "accepted", "invoiced", "", " draft"] {
            assert_eq!(
                bad.parse::<ReportStatus>(),
                Err(ParseStatusError(bad.to_string()))
            );
        }
    }

    #[test]
    fn counted_and_frozen() {
        let cases = [
            (Draft, false, false),
            (Pending, true, false),
            (Approved, true, false),
            (Rejected, false, false),
            (Exported, true, true),
        ];
        for (st, counted, frozen) in cases {
            assert_eq!(st.is_counted(), counted, "{st}");
            assert_eq!(st.is_frozen(), frozen, "{st}");
        }
    }

    /// Full status × action matrix with a permitted actor.
    #[test]
    fn transition_matrix() {
        type F = fn(ReportStatus) -> Result<ReportStatus, TransitionError>;
        let actions: [(Action, F); 9] = [
            (Action::Submit, |s| submit(s, OWNER, OWNER)),
            (Action::Withdraw, |s| withdraw(s, OWNER, OWNER)),
            (Action::Approve, |s| approve(s, LEADER, OWNER, &[LEADER])),
            (Action::Reject, |s| {
                reject(s, LEADER, OWNER, &[LEADER], "forkert rute")
            }),
            (Action::Edit, |s| edit(s, OWNER, OWNER)),
            (Action::AdminRejectApproved, |s| {
                admin_reject_approved(s, true, "fejl")
            }),
            (Action::Export, export),
            (Action::CancelExport, cancel_export),
            (Action::PayrollReturn, |s| {
                payroll_return(s, "ansættelsen er spærret")
            }),
        ];
        // expected new status per (action, from); None = InvalidTransition
        let expected = |a: Action, from: ReportStatus| -> Option<ReportStatus> {
            match (a, from) {
                (Action::Submit, Draft) => Some(Pending),
                (Action::Withdraw, Pending) => Some(Draft),
                (Action::Approve, Pending) => Some(Approved),
                (Action::Reject, Pending) => Some(Rejected),
                (Action::Edit, Draft) => Some(Draft),
                (Action::Edit, Pending) => Some(Pending),
                (Action::Edit, Rejected) => Some(Pending),
                (Action::AdminRejectApproved, Approved) => Some(Rejected),
                (Action::Export, Approved) => Some(Exported),
                (Action::CancelExport, Exported) => Some(Approved),
                (Action::PayrollReturn, Exported) => Some(Pending),
                _ => None,
            }
        };
        for (action, f) in actions {
            for from in ReportStatus::ALL {
                let got = f(from);
                match expected(action, from) {
                    Some(to) => assert_eq!(got, Ok(to), "{action} from {from}"),
                    None => assert_eq!(
                        got,
                        Err(TransitionError::InvalidTransition { action, from }),
                        "{action} from {from}"
                    ),
                }
            }
        }
    }

    #[test]
    fn actor_checks() {
        type Case = (
            &'static str,
            Result<ReportStatus, TransitionError>,
            TransitionError,
        );
        let cases: Vec<Case> = vec![
            (
                "submit by other",
                submit(Draft, OTHER, OWNER),
                TransitionError::NotOwner(Action::Submit),
            ),
            (
                "withdraw by other",
                withdraw(Pending, LEADER, OWNER),
                TransitionError::NotOwner(Action::Withdraw),
            ),
            (
                "edit by other",
                edit(Pending, LEADER, OWNER),
                TransitionError::NotOwner(Action::Edit),
            ),
            (
                "approve own report",
                approve(Pending, OWNER, OWNER, &[OWNER, LEADER]),
                TransitionError::SelfApproval,
            ),
            (
                "reject own report",
                reject(Pending, OWNER, OWNER, &[OWNER], "x"),
                TransitionError::SelfApproval,
            ),
            (
                "approve by non-approver",
                approve(Pending, OTHER, OWNER, &[LEADER]),
                TransitionError::NotResponsibleApprover,
            ),
            (
                "approve with no approvers",
                approve(Pending, LEADER, OWNER, &[]),
                TransitionError::NotResponsibleApprover,
            ),
            (
                "reject without comment",
                reject(Pending, LEADER, OWNER, &[LEADER], "  "),
                TransitionError::CommentRequired(Action::Reject),
            ),
            (
                "admin reject by non-admin",
                admin_reject_approved(Approved, false, "x"),
                TransitionError::NotAdmin(Action::AdminRejectApproved),
            ),
            (
                "admin reject without comment",
                admin_reject_approved(Approved, true, ""),
                TransitionError::CommentRequired(Action::AdminRejectApproved),
            ),
            (
                "payroll return without a reason",
                payroll_return(Exported, " "),
                TransitionError::CommentRequired(Action::PayrollReturn),
            ),
            // actor is checked before status
            (
                "approve own approved report",
                approve(Approved, OWNER, OWNER, &[OWNER]),
                TransitionError::SelfApproval,
            ),
        ];
        for (name, got, want) in cases {
            assert_eq!(got, Err(want), "{name}");
        }
    }

    #[test]
    fn errors_have_clear_messages() {
        let e = approve(Exported, LEADER, OWNER, &[LEADER]).unwrap_err();
        assert_eq!(e.to_string(), "cannot approve a report that is exported");
        let e = edit(Approved, OWNER, OWNER).unwrap_err();
        assert_eq!(e.to_string(), "cannot edit a report that is approved");
    }
}
