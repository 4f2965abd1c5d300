//! The drive report aggregate: every rule about who may change a report and what the change
//! stores lives here, behind [`DriveReport`]'s methods.
//!
//! A method takes the actor, the decision and (for approving and rejecting) the report's
//! responsible approvers, resolved by the caller for the day of the decision, and returns either
//! the [`ReportState`] to store (status, timestamps, comment, account and the next version) or a
//! typed [`Refusal`]. It reads no database and keeps no clock: the service loads the report,
//! asks the aggregate, stores the change under the version it read, and writes the audit event.
//! The status machine itself is [`crate::domain::report_state`].

#[cfg(test)]
mod tests;
mod text;

use chrono::NaiveDateTime;
use thiserror::Error;

use crate::domain::ids::{PersonId, ReportId, UserId};

pub use super::report_state::{Action, ReportStatus, TransitionError};
pub use text::{Account, Comment, Purpose, TextError};

use super::report_state as state;

/// Who acts on a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    /// The person linked to the user account (none for a technical or admin-only account).
    pub person_id: Option<PersonId>,
    pub admin: bool,
    pub approver: bool,
}

/// A change of status asked for by the owner, an approver or an administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Submit,
    Withdraw,
    /// `account`: when the approver books the report to another account.
    Approve {
        comment: Option<Comment>,
        account: Option<Account>,
    },
    Reject {
        comment: Comment,
    },
    AdminReject {
        comment: Comment,
    },
}

impl Decision {
    pub fn action(&self) -> Action {
        match self {
            Decision::Submit => Action::Submit,
            Decision::Withdraw => Action::Withdraw,
            Decision::Approve { .. } => Action::Approve,
            Decision::Reject { .. } => Action::Reject,
            Decision::AdminReject { .. } => Action::AdminRejectApproved,
        }
    }

    pub fn comment(&self) -> Option<&Comment> {
        match self {
            Decision::Submit | Decision::Withdraw => None,
            Decision::Approve { comment, .. } => comment.as_ref(),
            Decision::Reject { comment } | Decision::AdminReject { comment } => Some(comment),
        }
    }

    /// Approving and rejecting are for the report's responsible approvers, so the caller must
    /// resolve them; the other decisions do not look at them.
    pub fn needs_approvers(&self) -> bool {
        matches!(self, Decision::Approve { .. } | Decision::Reject { .. })
    }
}

/// The part of a report its transitions read and write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriveReport {
    pub id: ReportId,
    /// The person whose report it is.
    pub owner: PersonId,
    pub state: ReportState,
}

/// A report's status and its bookkeeping at one version: what a transition reads, and what it
/// stores (the fields after it, at the next version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportState {
    pub status: ReportStatus,
    pub version: i64,
    pub rejection_comment: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by_user_id: Option<UserId>,
    pub account: Option<String>,
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("this requires the approver role")]
    ApproverRoleRequired,
    #[error("no person is linked to your user account, so you approve nobody")]
    NoPersonLinked,
    #[error("only the report's owner may delete it")]
    NotOwnerDelete,
    #[error("only a draft that was never submitted can be deleted; withdraw a pending report")]
    NotDeletable,
}

impl DriveReport {
    /// The change `decision` by `actor` makes at `now`; `approvers` are the persons responsible
    /// for the report on the day of the decision (read only when the decision needs them).
    pub fn decide(
        &self,
        actor: &Actor,
        decision: &Decision,
        approvers: &[PersonId],
        now: NaiveDateTime,
    ) -> Result<ReportState, Refusal> {
        let from = self.state.status;
        let owner_only = || {
            actor
                .person_id
                .ok_or(TransitionError::NotOwner(decision.action()))
        };
        let to = match decision {
            Decision::Submit => state::submit(from, owner_only()?, self.owner)?,
            Decision::Withdraw => state::withdraw(from, owner_only()?, self.owner)?,
            Decision::Approve { .. } | Decision::Reject { .. } => {
                if !actor.approver {
                    return Err(Refusal::ApproverRoleRequired);
                }
                let me = actor.person_id.ok_or(Refusal::NoPersonLinked)?;
                match decision {
                    Decision::Reject { comment } => {
                        state::reject(from, me, self.owner, approvers, comment.as_str())?
                    }
                    _ => state::approve(from, me, self.owner, approvers)?,
                }
            }
            Decision::AdminReject { comment } => {
                state::admin_reject_approved(from, actor.admin, comment.as_str())?
            }
        };
        let kept = self.unchanged();
        Ok(match decision {
            Decision::Submit => ReportState {
                status: to,
                rejection_comment: None,
                submitted_at: Some(now),
                decided_at: None,
                decided_by_user_id: None,
                ..kept
            },
            Decision::Withdraw => ReportState {
                status: to,
                rejection_comment: None,
                decided_at: None,
                decided_by_user_id: None,
                ..kept
            },
            Decision::Approve { account, .. } => ReportState {
                status: to,
                rejection_comment: None,
                decided_at: Some(now),
                decided_by_user_id: Some(actor.user_id),
                account: account.as_ref().map(|a| a.as_str().to_string()),
                ..kept
            },
            Decision::Reject { comment } | Decision::AdminReject { comment } => ReportState {
                status: to,
                rejection_comment: Some(comment.as_str().to_string()),
                decided_at: Some(now),
                decided_by_user_id: Some(actor.user_id),
                ..kept
            },
        })
    }

    /// The owner replaces the content: a draft or pending report keeps its status, a rejected
    /// one is resubmitted as pending (and the next approval books it anew).
    pub fn edit(&self, actor: &Actor, now: NaiveDateTime) -> Result<ReportState, Refusal> {
        let me = actor
            .person_id
            .ok_or(TransitionError::NotOwner(Action::Edit))?;
        let to = state::edit(self.state.status, me, self.owner)?;
        let kept = self.unchanged();
        if to == self.state.status {
            return Ok(kept);
        }
        Ok(ReportState {
            status: to,
            rejection_comment: None,
            submitted_at: Some(now),
            decided_at: None,
            decided_by_user_id: None,
            account: None,
            ..kept
        })
    }

    /// Payroll sends an exported report back to its approver (payroll refused it): pending
    /// again, undecided, at the next version; when it was submitted and its account stay.
    /// Payroll is no person's role on the report, so the caller admits the actor (payroll or an
    /// administrator) before asking.
    pub fn return_from_payroll(&self, reason: &Comment) -> Result<ReportState, Refusal> {
        let to = state::payroll_return(self.state.status, reason.as_str())?;
        Ok(ReportState {
            status: to,
            rejection_comment: None,
            decided_at: None,
            decided_by_user_id: None,
            ..self.unchanged()
        })
    }

    /// Only the owner deletes, and only a draft that was never submitted (one that was keeps its
    /// audit trail: withdraw it instead).
    pub fn delete(&self, actor: &Actor) -> Result<(), Refusal> {
        if actor.person_id != Some(self.owner) {
            return Err(Refusal::NotOwnerDelete);
        }
        if self.state.status != ReportStatus::Draft || self.state.submitted_at.is_some() {
            return Err(Refusal::NotDeletable);
        }
        Ok(())
    }

    /// The status fields as they are, at the next version (a change that touches only the
    /// content or the figures).
    pub fn unchanged(&self) -> ReportState {
        ReportState {
            version: self.state.version + 1,
            ..self.state.clone()
        }
    }
}
