//! The aggregate's rules without a database: every (status, actor, decision) gives the
//! documented change or a typed refusal; random sequences keep the version and the ledger's
//! 20,000 km and 4-km invariants.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use proptest::prelude::*;

use super::*;
use crate::domain::allowance::rates::seed_rates;
use crate::domain::allowance::{price_person, LedgerReport, RateKind, HIGH_RATE_LIMIT_UNITS};
use crate::domain::ids::{PersonId, ReportId};

const OWNER: PersonId = PersonId(1);
const LEADER: PersonId = PersonId(2);
const STRANGER: PersonId = PersonId(3);

fn at(minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_opt(9, minute, 0)
        .unwrap()
}

fn report(status: ReportStatus) -> DriveReport {
    DriveReport {
        id: ReportId(7),
        owner: OWNER,
        state: ReportState {
            status,
            version: 4,
            rejection_comment: (status == ReportStatus::Rejected).then(|| "forkert rute".into()),
            submitted_at: (status != ReportStatus::Draft).then(|| at(1)),
            decided_at: None,
            decided_by_user_id: None,
            account: None,
        },
    }
}

/// The actors of the matrix: user ids 10 + the person id, 99 for an account without a person.
fn actors() -> Vec<(&'static str, Actor)> {
    let person = |person: PersonId, admin, approver| Actor {
        user_id: UserId(10 + person.0),
        person_id: Some(person),
        admin,
        approver,
    };
    vec![
        ("owner", person(OWNER, false, false)),
        ("owner who approves", person(OWNER, false, true)),
        ("owner who administers", person(OWNER, true, false)),
        ("responsible approver", person(LEADER, false, true)),
        (
            "responsible, no approver role",
            person(LEADER, false, false),
        ),
        ("approver of others", person(STRANGER, false, true)),
        (
            "administrator",
            Actor {
                user_id: UserId(99),
                person_id: None,
                admin: true,
                approver: false,
            },
        ),
        (
            "approver without a person",
            Actor {
                user_id: UserId(98),
                person_id: None,
                admin: false,
                approver: true,
            },
        ),
    ]
}

fn decisions() -> Vec<Decision> {
    let comment = || Comment::required(Some("mangler kvittering")).unwrap();
    vec![
        Decision::Submit,
        Decision::Withdraw,
        Decision::Approve {
            comment: None,
            account: None,
        },
        Decision::Approve {
            comment: Comment::optional(Some("ok")).unwrap(),
            account: Some(Account::parse("1234567890").unwrap()),
        },
        Decision::Reject { comment: comment() },
        Decision::AdminReject { comment: comment() },
    ]
}

/// The documented rules, written out case by case (independently of the implementation): the
/// new status, or the refusal.
fn expected(
    status: ReportStatus,
    actor: &Actor,
    decision: &Decision,
) -> Result<ReportStatus, Refusal> {
    use ReportStatus::*;
    let action = decision.action();
    let invalid = || {
        Err(Refusal::Transition(TransitionError::InvalidTransition {
            action,
            from: status,
        }))
    };
    match decision {
        Decision::Submit | Decision::Withdraw => {
            if actor.person_id != Some(OWNER) {
                return Err(TransitionError::NotOwner(action).into());
            }
            match (decision, status) {
                (Decision::Submit, Draft) => Ok(Pending),
                (Decision::Withdraw, Pending) => Ok(Draft),
                _ => invalid(),
            }
        }
        Decision::Approve { .. } | Decision::Reject { .. } => {
            if !actor.approver {
                return Err(Refusal::ApproverRoleRequired);
            }
            match actor.person_id {
                None => Err(Refusal::NoPersonLinked),
                Some(OWNER) => Err(TransitionError::SelfApproval.into()),
                Some(LEADER) if status == Pending => Ok(match decision {
                    Decision::Approve { .. } => Approved,
                    _ => Rejected,
                }),
                Some(LEADER) => invalid(),
                Some(_) => Err(TransitionError::NotResponsibleApprover.into()),
            }
        }
        Decision::AdminReject { .. } => match (actor.admin, status) {
            (false, _) => Err(TransitionError::NotAdmin(action).into()),
            (true, Approved) => Ok(Rejected),
            (true, _) => invalid(),
        },
    }
}

#[test]
fn every_status_actor_and_decision_gives_the_documented_change_or_a_typed_refusal() {
    let mut cases = 0;
    for status in ReportStatus::ALL {
        let before = report(status);
        for (who, actor) in actors() {
            for decision in decisions() {
                cases += 1;
                let got = before.decide(&actor, &decision, &[LEADER], at(30));
                let context = format!("{decision:?} by {who} on a {status} report");
                match expected(status, &actor, &decision) {
                    Err(refusal) => assert_eq!(got, Err(refusal), "{context}"),
                    Ok(to) => {
                        let change = got.unwrap_or_else(|e| panic!("{context}: refused: {e}"));
                        assert_eq!(change.status, to, "{context}");
                        assert_eq!(change.version, before.state.version + 1, "{context}");
                        assert_stores_what_the_decision_says(&before, &actor, &decision, &change);
                    }
                }
            }
        }
    }
    assert_eq!(cases, 5 * 8 * 6);
}

fn assert_stores_what_the_decision_says(
    before: &DriveReport,
    actor: &Actor,
    decision: &Decision,
    change: &ReportState,
) {
    match decision {
        Decision::Submit => {
            assert_eq!(change.submitted_at, Some(at(30)));
            assert_eq!(change.decided_by_user_id, None);
            assert_eq!(change.rejection_comment, None);
        }
        Decision::Withdraw => {
            assert_eq!(
                change.submitted_at, before.state.submitted_at,
                "keeps when it was submitted"
            );
            assert_eq!(change.decided_at, None);
        }
        Decision::Approve { account, .. } => {
            assert_eq!(change.decided_at, Some(at(30)));
            assert_eq!(change.decided_by_user_id, Some(actor.user_id));
            assert_eq!(
                change.account.as_deref(),
                account.as_ref().map(Account::as_str)
            );
            assert_eq!(change.rejection_comment, None);
        }
        Decision::Reject { comment } | Decision::AdminReject { comment } => {
            assert_eq!(change.decided_at, Some(at(30)));
            assert_eq!(change.decided_by_user_id, Some(actor.user_id));
            assert_eq!(change.rejection_comment.as_deref(), Some(comment.as_str()));
            assert_eq!(
                change.account, before.state.account,
                "a rejection keeps the booking"
            );
        }
    }
}

#[test]
fn approvers_are_those_resolved_for_the_day_of_the_decision() {
    let leader = actors()[3].1;
    let approve = Decision::Approve {
        comment: None,
        account: None,
    };
    let pending = report(ReportStatus::Pending);
    assert_eq!(
        pending.decide(&leader, &approve, &[], at(5)),
        Err(TransitionError::NotResponsibleApprover.into())
    );
    assert!(pending
        .decide(&leader, &approve, &[STRANGER, LEADER], at(5))
        .is_ok());
}

#[test]
fn edits_keep_draft_and_pending_and_resubmit_a_rejected_report() {
    let owner = actors()[0].1;
    for status in ReportStatus::ALL {
        let before = report(status);
        let got = before.edit(&owner, at(40));
        match status {
            ReportStatus::Draft | ReportStatus::Pending => {
                assert_eq!(got, Ok(before.unchanged()), "{status}");
            }
            ReportStatus::Rejected => {
                let change = got.unwrap();
                assert_eq!(change.status, ReportStatus::Pending);
                assert_eq!(change.submitted_at, Some(at(40)));
                assert_eq!(change.rejection_comment, None);
                assert_eq!(change.account, None, "the next approval books it anew");
            }
            _ => assert_eq!(
                got,
                Err(TransitionError::InvalidTransition {
                    action: Action::Edit,
                    from: status
                }
                .into())
            ),
        }
        for (who, other) in actors()
            .into_iter()
            .filter(|(_, a)| a.person_id != Some(OWNER))
        {
            assert_eq!(
                before.edit(&other, at(40)),
                Err(TransitionError::NotOwner(Action::Edit).into()),
                "{who}"
            );
        }
    }
}

#[test]
fn only_the_owner_deletes_and_only_a_never_submitted_draft() {
    let owner = actors()[0].1;
    let draft = report(ReportStatus::Draft);
    assert_eq!(draft.delete(&owner), Ok(()));
    assert_eq!(draft.delete(&actors()[6].1), Err(Refusal::NotOwnerDelete));
    let mut withdrawn = draft.clone();
    withdrawn.state.submitted_at = Some(at(1));
    assert_eq!(withdrawn.delete(&owner), Err(Refusal::NotDeletable));
    for status in [ReportStatus::Pending, ReportStatus::Approved] {
        assert_eq!(report(status).delete(&owner), Err(Refusal::NotDeletable));
    }
}

#[test]
fn payroll_returns_only_an_exported_report_to_pending_undecided() {
    let reason = Comment::required(Some(" ansættelsen er spærret ")).unwrap();
    let mut exported = report(ReportStatus::Exported);
    exported.state.decided_at = Some(at(5));
    exported.state.decided_by_user_id = Some(UserId(12));
    exported.state.account = Some("1234567890".into());
    let back = exported.return_from_payroll(&reason).unwrap();
    assert_eq!(back.status, ReportStatus::Pending);
    assert_eq!(back.version, exported.state.version + 1);
    assert_eq!((back.decided_at, back.decided_by_user_id), (None, None));
    assert_eq!(back.submitted_at, exported.state.submitted_at);
    assert_eq!(back.account.as_deref(), Some("1234567890"));
    for status in ReportStatus::ALL {
        if status != ReportStatus::Exported {
            assert_eq!(
                report(status).return_from_payroll(&reason),
                Err(Refusal::Transition(TransitionError::InvalidTransition {
                    action: Action::PayrollReturn,
                    from: status
                })),
                "{status}"
            );
        }
    }
}

fn apply(report: &DriveReport, change: ReportState) -> DriveReport {
    DriveReport {
        state: change,
        ..report.clone()
    }
}

proptest! {
    /// Any sequence of decisions by any actors: each accepted one moves the version by one and
    /// follows the status machine; a refused one leaves the report as it was; an approved or
    /// exported report is never changed by its owner.
    #[test]
    fn random_decision_sequences_follow_the_status_machine(
        steps in prop::collection::vec((0usize..8, 0usize..6), 1..40)
    ) {
        let (actors, decisions) = (actors(), decisions());
        let mut current = report(ReportStatus::Draft);
        for (minute, (a, d)) in (0u32..).zip(steps) {
            let (actor, decision) = (&actors[a].1, &decisions[d]);
            match (current.decide(actor, decision, &[LEADER], at(minute % 60)), expected(current.state.status, actor, decision)) {
                (Ok(change), Ok(to)) => {
                    prop_assert_eq!(change.status, to);
                    prop_assert_eq!(change.version, current.state.version + 1);
                    current = apply(&current, change);
                }
                (Err(got), Err(want)) => prop_assert_eq!(got, want),
                (got, want) => prop_assert!(false, "{:?} vs {:?}", got, want),
            }
        }
    }

    /// The re-pricing ledger over a random set of a person's reports (any statuses, dates, kinds,
    /// 4-km flags): counted reports never take more than 20,000 high-rate km in a year nor more
    /// than 4 km of 4-km deduction on a day, and no report is paid for more than it drove.
    #[test]
    fn the_ledger_keeps_the_20000_km_and_4_km_rules(
        reports in prop::collection::vec(
            (0u32..365, 0usize..3, 1i64..900_000, any::<bool>(), 0usize..5),
            1..60,
        )
    ) {
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let kinds = [RateKind::CarHigh, RateKind::CarLow, RateKind::Bicycle];
        let ledger: Vec<LedgerReport> = (1i64..).map(ReportId)
            .zip(&reports)
            .map(|(id, &(day, kind, metres, four_km_rule, status))| LedgerReport {
                report_id: id,
                drive_date: start + chrono::Duration::days(i64::from(day)),
                rate_kind: kinds[kind],
                distance_m: metres,
                four_km_rule,
                counted: ReportStatus::ALL[status].is_counted(),
                frozen: None,
            })
            .collect();
        let priced = price_person(&seed_rates(), &ledger).unwrap();
        prop_assert_eq!(priced.len(), ledger.len());
        let mut high_by_year: BTreeMap<i32, i64> = BTreeMap::new();
        let mut four_km_by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        for (report, figures) in ledger.iter().zip(&priced) {
            prop_assert!(figures.four_km_deduction_m >= 0);
            prop_assert!(figures.four_km_deduction_m <= 4_000);
            prop_assert!(report.four_km_rule || figures.four_km_deduction_m == 0);
            prop_assert_eq!(
                figures.reimbursable_m,
                (report.distance_m - figures.four_km_deduction_m).max(0)
            );
            prop_assert!(figures.amount_ore() >= 0);
            let paid_units: i64 = figures.lines.iter().map(|l| l.distance_units).sum();
            prop_assert!(paid_units * 10 <= figures.reimbursable_m + 10);
            if report.counted {
                *four_km_by_day.entry(report.drive_date).or_default() += figures.four_km_deduction_m;
                *high_by_year.entry(report.drive_date.year()).or_default() += figures
                    .lines
                    .iter()
                    .filter(|l| l.rate_kind == RateKind::CarHigh)
                    .map(|l| l.distance_units)
                    .sum::<i64>();
            }
        }
        for (year, units) in high_by_year {
            prop_assert!(units <= HIGH_RATE_LIMIT_UNITS, "{} high-rate units in {}", units, year);
        }
        for (day, metres) in four_km_by_day {
            prop_assert!(metres <= 4_000, "{} m of 4-km deduction on {}", metres, day);
        }
    }
}
