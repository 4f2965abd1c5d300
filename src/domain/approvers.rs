//! Approver resolution over a plain snapshot of the organisation
//! (OS2indberetning `GetResponsibleLeadersForReport`, `os2indberetning.md` §5.2).
//!
//! # Rules (evaluated for the report's **drive date**; all periods are
//! inclusive calendar dates, `to = None` = open‑ended)
//!
//! 1. **Personal approver wins**: if the report owner has personal approvers
//!    valid on the date (and the approver is not the owner), the result is
//!    exactly those approvers — no leader, no substitutes.
//! 2. **Leader**: start at the employment's org unit. The unit's leaders are
//!    the persons with an `is_leader` employment in that unit valid on the
//!    date, **excluding the owner**. If there are none (no leader, expired
//!    leader, or the only leader is the owner) walk up to the parent, and so
//!    on to the root. So a leader's own reports go to the next leader up;
//!    co‑leaders of the same unit approve each other. No leader up to the
//!    root → no approvers (empty result; the caller must handle it, OS2 had a
//!    nightly `AddLeadersToReportsThatHaveNone`).
//! 3. **Substitutes** valid on the date are added:
//!    - org‑unit substitutes (`SubstituteScope::OrgUnit`) are searched on the
//!      walked path from the employment's unit up to the leader's unit,
//!      considering only units **without any valid leader** plus the
//!      leader's unit (units skipped because their leader is the owner are
//!      not considered: their substitutes stand in for the owner). The first
//!      such unit (bottom‑up) with valid substitutes adds all of them.
//!    - leader substitutes (`SubstituteScope::Leader(leader)`) of every
//!      resolved leader are added.
//!    - if any added substitute has `takes_over`, the leader(s) are removed
//!      ("TakesOverOriginalLeaderReports").
//!    - a substitute who is the owner is ignored entirely (also for
//!      `takes_over`), so the leader stays.
//! 4. The owner is never returned; the result is a de‑duplicated set
//!    (ordered: personal approvers / leaders by id, then substitutes by id).
//!    Any member may approve. `line_leaders` are the true line managers
//!    (OS2 `ActualLeader`) for reporting, even when a substitute took over.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use thiserror::Error;

pub use crate::domain::ids::{EmploymentId, OrgUnitId, PersonId};

fn valid_on(from: NaiveDate, to: Option<NaiveDate>, date: NaiveDate) -> bool {
    from <= date && to.is_none_or(|t| date <= t)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub id: OrgUnitId,
    pub parent_id: Option<OrgUnitId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employment {
    pub id: EmploymentId,
    pub person_id: PersonId,
    pub org_unit_id: OrgUnitId,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    pub is_leader: bool,
}

impl Employment {
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        valid_on(self.from, self.to, date)
    }
}

/// Whose approvals a substitute covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubstituteScope {
    /// The leader(s) of this org unit (and its leaderless sub‑units).
    OrgUnit(OrgUnitId),
    /// This leader, wherever they lead.
    Leader(PersonId),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Substitute {
    pub scope: SubstituteScope,
    pub substitute_id: PersonId,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    /// Replaces the leader instead of approving alongside them.
    pub takes_over: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalApprover {
    /// The report owner.
    pub person_id: PersonId,
    pub approver_id: PersonId,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSnapshot {
    pub org_units: Vec<OrgUnit>,
    pub employments: Vec<Employment>,
    pub substitutes: Vec<Substitute>,
    pub personal_approvers: Vec<PersonalApprover>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApproverRole {
    PersonalApprover,
    Leader,
    Substitute,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approver {
    pub person_id: PersonId,
    pub role: ApproverRole,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approvers {
    /// Who may approve (never the owner).
    pub approvers: Vec<Approver>,
    /// The line leader(s) found by the walk (OS2 `ActualLeader`); empty when
    /// a personal approver applies or no leader exists.
    pub line_leaders: Vec<PersonId>,
    /// Org unit of the line leader(s).
    pub leader_org_unit: Option<OrgUnitId>,
}

impl Approvers {
    pub fn person_ids(&self) -> Vec<PersonId> {
        self.approvers.iter().map(|a| a.person_id).collect()
    }
    pub fn contains(&self, person_id: PersonId) -> bool {
        self.approvers.iter().any(|a| a.person_id == person_id)
    }
    pub fn is_empty(&self) -> bool {
        self.approvers.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApproverError {
    #[error("employment {0} not found")]
    EmploymentNotFound(EmploymentId),
    #[error("employment {employment_id} does not belong to person {person_id}")]
    EmploymentOfOtherPerson {
        employment_id: EmploymentId,
        person_id: PersonId,
    },
    #[error("employment {employment_id} is not valid on {date}")]
    EmploymentNotValid {
        employment_id: EmploymentId,
        date: NaiveDate,
    },
    #[error("org unit {0} not found")]
    UnknownOrgUnit(OrgUnitId),
    #[error("org unit tree has a cycle at {0}")]
    OrgCycle(OrgUnitId),
}

fn sorted_unique(mut v: Vec<PersonId>) -> Vec<PersonId> {
    v.sort_unstable();
    v.dedup();
    v
}

/// Resolve who may approve a report of `person_id` on `employment_id`
/// driven on `date`. See the module docs for the rules.
pub fn approvers_for(
    org: &OrgSnapshot,
    person_id: PersonId,
    employment_id: EmploymentId,
    date: NaiveDate,
) -> Result<Approvers, ApproverError> {
    let employment = org
        .employments
        .iter()
        .find(|e| e.id == employment_id)
        .ok_or(ApproverError::EmploymentNotFound(employment_id))?;
    if employment.person_id != person_id {
        return Err(ApproverError::EmploymentOfOtherPerson {
            employment_id,
            person_id,
        });
    }
    if !employment.valid_on(date) {
        return Err(ApproverError::EmploymentNotValid {
            employment_id,
            date,
        });
    }

    // 1. personal approver
    let personal = sorted_unique(
        org.personal_approvers
            .iter()
            .filter(|p| p.person_id == person_id && p.approver_id != person_id)
            .filter(|p| valid_on(p.from, p.to, date))
            .map(|p| p.approver_id)
            .collect(),
    );
    if !personal.is_empty() {
        return Ok(Approvers {
            approvers: personal
                .into_iter()
                .map(|id| Approver {
                    person_id: id,
                    role: ApproverRole::PersonalApprover,
                })
                .collect(),
            line_leaders: vec![],
            leader_org_unit: None,
        });
    }

    // 2. walk up to the first unit with a valid leader other than the owner
    let units: HashMap<OrgUnitId, &OrgUnit> = org.org_units.iter().map(|u| (u.id, u)).collect();
    let leaders_in = |unit: OrgUnitId, include_owner: bool| -> Vec<PersonId> {
        sorted_unique(
            org.employments
                .iter()
                .filter(|e| e.org_unit_id == unit && e.is_leader && e.valid_on(date))
                .filter(|e| include_owner || e.person_id != person_id)
                .map(|e| e.person_id)
                .collect(),
        )
    };
    let mut visited = HashSet::new();
    // units whose org-unit substitutes may apply (leaderless units, then the leader's)
    let mut substitute_units: Vec<OrgUnitId> = Vec::new();
    let mut current = Some(employment.org_unit_id);
    let mut found: Option<(OrgUnitId, Vec<PersonId>)> = None;
    while let Some(unit_id) = current {
        if !visited.insert(unit_id) {
            return Err(ApproverError::OrgCycle(unit_id));
        }
        let unit = units
            .get(&unit_id)
            .ok_or(ApproverError::UnknownOrgUnit(unit_id))?;
        let leaders = leaders_in(unit_id, false);
        if !leaders.is_empty() {
            substitute_units.push(unit_id);
            found = Some((unit_id, leaders));
            break;
        }
        if leaders_in(unit_id, true).is_empty() {
            substitute_units.push(unit_id);
        }
        current = unit.parent_id;
    }
    let Some((leader_unit, leaders)) = found else {
        return Ok(Approvers::default());
    };

    // 3. substitutes
    let active_subs = |scope: SubstituteScope| {
        org.substitutes.iter().filter(move |s| {
            s.scope == scope && s.substitute_id != person_id && valid_on(s.from, s.to, date)
        })
    };
    let mut subs: Vec<&Substitute> = substitute_units
        .iter()
        .map(|u| active_subs(SubstituteScope::OrgUnit(*u)).collect::<Vec<_>>())
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    for l in &leaders {
        subs.extend(active_subs(SubstituteScope::Leader(*l)));
    }
    let takes_over = subs.iter().any(|s| s.takes_over);

    let mut approvers: Vec<Approver> = Vec::new();
    if !takes_over {
        approvers.extend(leaders.iter().map(|&id| Approver {
            person_id: id,
            role: ApproverRole::Leader,
        }));
    }
    for id in sorted_unique(subs.iter().map(|s| s.substitute_id).collect()) {
        if !approvers.iter().any(|a| a.person_id == id) {
            approvers.push(Approver {
                person_id: id,
                role: ApproverRole::Substitute,
            });
        }
    }
    approvers.retain(|a| a.person_id != person_id);
    Ok(Approvers {
        approvers,
        line_leaders: leaders,
        leader_org_unit: Some(leader_unit),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    // Tree: 1 (root, leader 100)
    //        ├─ 2 (leader 200)  ── 4 (no leader) ── 5 (leader 500 expired 2026-03-31)
    //        └─ 3 (no leader)
    // Staff: 201 in 2, 401 in 4, 501 in 5, 301 in 3, 202 co-leader candidate
    fn base() -> OrgSnapshot {
        let emp =
            |id: i64, person: i64, unit: i64, leader: bool, to: Option<NaiveDate>| Employment {
                id: EmploymentId(id),
                person_id: PersonId(person),
                org_unit_id: OrgUnitId(unit),
                from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                to,
                is_leader: leader,
            };
        OrgSnapshot {
            org_units: vec![
                OrgUnit {
                    id: OrgUnitId(1),
                    parent_id: None,
                },
                OrgUnit {
                    id: OrgUnitId(2),
                    parent_id: Some(OrgUnitId(1)),
                },
                OrgUnit {
                    id: OrgUnitId(3),
                    parent_id: Some(OrgUnitId(1)),
                },
                OrgUnit {
                    id: OrgUnitId(4),
                    parent_id: Some(OrgUnitId(2)),
                },
                OrgUnit {
                    id: OrgUnitId(5),
                    parent_id: Some(OrgUnitId(4)),
                },
            ],
            employments: vec![
                emp(1000, 100, 1, true, None),
                emp(2000, 200, 2, true, None),
                emp(2010, 201, 2, false, None),
                emp(3010, 301, 3, false, None),
                emp(4010, 401, 4, false, None),
                emp(5000, 500, 5, true, Some(d(3, 31))),
                emp(5010, 501, 5, false, None),
                emp(5001, 500, 5, false, None), // 500 keeps a non-leader job
            ],
            substitutes: vec![],
            personal_approvers: vec![],
        }
    }

    fn sub(
        scope: SubstituteScope,
        who: i64,
        from: NaiveDate,
        to: Option<NaiveDate>,
        takes_over: bool,
    ) -> Substitute {
        Substitute {
            scope,
            substitute_id: PersonId(who),
            from,
            to,
            takes_over,
        }
    }

    fn ids(
        org: &OrgSnapshot,
        person: i64,
        employment: i64,
        date: NaiveDate,
    ) -> Vec<(i64, ApproverRole)> {
        approvers_for(org, PersonId(person), EmploymentId(employment), date)
            .unwrap()
            .approvers
            .iter()
            .map(|a| (a.person_id.0, a.role))
            .collect()
    }

    use ApproverRole as R;

    /// (name, person, employment, date, expected approvers)
    type LeaderCase = (&'static str, i64, i64, NaiveDate, Vec<(i64, ApproverRole)>);
    use SubstituteScope as S;

    #[test]
    fn leader_resolution_table() {
        let org = base();
        // (name, person, employment, date, expected)
        let cases: &[LeaderCase] = &[
            (
                "employee -> own unit leader",
                201,
                2010,
                d(6, 1),
                vec![(200, R::Leader)],
            ),
            (
                "leaderless unit -> parent leader",
                301,
                3010,
                d(6, 1),
                vec![(100, R::Leader)],
            ),
            (
                "leaderless unit two levels",
                401,
                4010,
                d(6, 1),
                vec![(200, R::Leader)],
            ),
            (
                "leader's own report -> next leader up",
                200,
                2000,
                d(6, 1),
                vec![(100, R::Leader)],
            ),
            ("root leader: nobody above", 100, 1000, d(6, 1), vec![]),
            (
                "leader valid on date",
                501,
                5010,
                d(3, 31),
                vec![(500, R::Leader)],
            ),
            (
                "leader expired -> walk up",
                501,
                5010,
                d(4, 1),
                vec![(200, R::Leader)],
            ),
            (
                "ex-leader's report after expiry",
                500,
                5001,
                d(4, 1),
                vec![(200, R::Leader)],
            ),
            (
                "leader's own report, leader job",
                500,
                5000,
                d(3, 1),
                vec![(200, R::Leader)],
            ),
        ];
        for (name, person, employment, date, want) in cases {
            assert_eq!(&ids(&org, *person, *employment, *date), want, "{name}");
        }
        let a = approvers_for(&org, PersonId(200), EmploymentId(2000), d(6, 1)).unwrap();
        assert_eq!(a.line_leaders, vec![PersonId(100)]);
        assert_eq!(a.leader_org_unit, Some(OrgUnitId(1)));
    }

    #[test]
    fn co_leaders_approve_each_other() {
        let mut org = base();
        org.employments.push(Employment {
            id: EmploymentId(2020),
            person_id: PersonId(202),
            org_unit_id: OrgUnitId(2),
            from: d(1, 1),
            to: None,
            is_leader: true,
        });
        assert_eq!(
            ids(&org, 201, 2010, d(6, 1)),
            vec![(200, R::Leader), (202, R::Leader)]
        );
        assert_eq!(ids(&org, 200, 2000, d(6, 1)), vec![(202, R::Leader)]);
    }

    #[test]
    fn personal_approver_rules() {
        let mut org = base();
        org.personal_approvers.push(PersonalApprover {
            person_id: PersonId(201),
            approver_id: PersonId(999),
            from: d(2, 1),
            to: Some(d(2, 28)),
        });
        org.substitutes
            .push(sub(S::OrgUnit(OrgUnitId(2)), 777, d(1, 1), None, false));
        // the owner as own personal approver is ignored
        org.personal_approvers.push(PersonalApprover {
            person_id: PersonId(401),
            approver_id: PersonId(401),
            from: d(1, 1),
            to: None,
        });
        let cases: &[LeaderCase] = &[
            (
                "personal approver wins over leader and substitutes",
                201,
                2010,
                d(2, 1),
                vec![(999, R::PersonalApprover)],
            ),
            (
                "last valid day inclusive",
                201,
                2010,
                d(2, 28),
                vec![(999, R::PersonalApprover)],
            ),
            (
                "before period -> leader + substitute",
                201,
                2010,
                d(1, 31),
                vec![(200, R::Leader), (777, R::Substitute)],
            ),
            (
                "after period -> leader + substitute",
                201,
                2010,
                d(3, 1),
                vec![(200, R::Leader), (777, R::Substitute)],
            ),
            (
                "self as personal approver ignored",
                401,
                4010,
                d(6, 1),
                vec![(200, R::Leader), (777, R::Substitute)],
            ),
        ];
        for (name, person, employment, date, want) in cases {
            assert_eq!(&ids(&org, *person, *employment, *date), want, "{name}");
        }
        assert!(
            approvers_for(&org, PersonId(201), EmploymentId(2010), d(2, 1))
                .unwrap()
                .line_leaders
                .is_empty()
        );
    }

    #[test]
    fn substitutes_add_and_take_over() {
        // (name, substitutes, person, employment, date, expected)
        type Case = (
            &'static str,
            Vec<Substitute>,
            i64,
            i64,
            NaiveDate,
            Vec<(i64, ApproverRole)>,
        );
        let cases: Vec<Case> = vec![
            (
                "org substitute added",
                vec![sub(S::OrgUnit(OrgUnitId(2)), 777, d(1, 1), None, false)],
                201,
                2010,
                d(6, 1),
                vec![(200, R::Leader), (777, R::Substitute)],
            ),
            (
                "takes_over replaces leader",
                vec![sub(S::OrgUnit(OrgUnitId(2)), 777, d(1, 1), None, true)],
                201,
                2010,
                d(6, 1),
                vec![(777, R::Substitute)],
            ),
            (
                "leader-scoped substitute",
                vec![sub(S::Leader(PersonId(200)), 778, d(1, 1), None, false)],
                201,
                2010,
                d(6, 1),
                vec![(200, R::Leader), (778, R::Substitute)],
            ),
            (
                "leader-scoped takes over",
                vec![sub(S::Leader(PersonId(200)), 778, d(1, 1), None, true)],
                201,
                2010,
                d(6, 1),
                vec![(778, R::Substitute)],
            ),
            (
                "substitute of another leader ignored",
                vec![sub(S::Leader(PersonId(100)), 778, d(1, 1), None, true)],
                201,
                2010,
                d(6, 1),
                vec![(200, R::Leader)],
            ),
            (
                "expired substitute ignored",
                vec![sub(
                    S::OrgUnit(OrgUnitId(2)),
                    777,
                    d(1, 1),
                    Some(d(5, 31)),
                    true,
                )],
                201,
                2010,
                d(6, 1),
                vec![(200, R::Leader)],
            ),
            (
                "leaderless child unit reaches parent's substitutes",
                vec![sub(S::OrgUnit(OrgUnitId(2)), 777, d(1, 1), None, false)],
                401,
                4010,
                d(6, 1),
                vec![(200, R::Leader), (777, R::Substitute)],
            ),
            (
                "first level bottom-up with substitutes wins",
                vec![
                    sub(S::OrgUnit(OrgUnitId(2)), 777, d(1, 1), None, false),
                    sub(S::OrgUnit(OrgUnitId(4)), 744, d(1, 1), None, false),
                ],
                401,
                4010,
                d(6, 1),
                vec![(200, R::Leader), (744, R::Substitute)],
            ),
            (
                "leader's own substitutes do not approve the leader's report",
                vec![
                    sub(S::OrgUnit(OrgUnitId(2)), 777, d(1, 1), None, true),
                    sub(S::Leader(PersonId(200)), 778, d(1, 1), None, true),
                ],
                200,
                2000,
                d(6, 1),
                vec![(100, R::Leader)],
            ),
            (
                "substitute who is the owner is ignored (leader stays)",
                vec![sub(S::OrgUnit(OrgUnitId(2)), 201, d(1, 1), None, true)],
                201,
                2010,
                d(6, 1),
                vec![(200, R::Leader)],
            ),
            (
                "substitute who is also the leader is not duplicated",
                vec![sub(S::OrgUnit(OrgUnitId(2)), 200, d(1, 1), None, false)],
                201,
                2010,
                d(6, 1),
                vec![(200, R::Leader)],
            ),
        ];
        for (name, subs, person, employment, date, want) in cases {
            let mut org = base();
            org.substitutes = subs;
            assert_eq!(ids(&org, person, employment, date), want, "{name}");
            // line leader is always reported
            let a = approvers_for(&org, PersonId(person), EmploymentId(employment), date).unwrap();
            assert!(!a.line_leaders.is_empty(), "{name}");
            assert!(!a.contains(PersonId(person)), "{name}");
        }
    }

    #[test]
    fn overlapping_substitute_periods() {
        let mut org = base();
        org.substitutes = vec![
            sub(
                S::OrgUnit(OrgUnitId(2)),
                701,
                d(7, 1),
                Some(d(7, 20)),
                false,
            ),
            sub(
                S::OrgUnit(OrgUnitId(2)),
                702,
                d(7, 15),
                Some(d(7, 31)),
                true,
            ),
        ];
        let cases: &[(NaiveDate, Vec<(i64, ApproverRole)>)] = &[
            (d(6, 30), vec![(200, R::Leader)]),
            (d(7, 1), vec![(200, R::Leader), (701, R::Substitute)]),
            (d(7, 14), vec![(200, R::Leader), (701, R::Substitute)]),
            // overlap: both substitutes; 702 takes over so the leader drops out
            (d(7, 15), vec![(701, R::Substitute), (702, R::Substitute)]),
            (d(7, 20), vec![(701, R::Substitute), (702, R::Substitute)]),
            (d(7, 21), vec![(702, R::Substitute)]),
            (d(7, 31), vec![(702, R::Substitute)]),
            (d(8, 1), vec![(200, R::Leader)]),
        ];
        for (date, want) in cases {
            assert_eq!(&ids(&org, 201, 2010, *date), want, "{date}");
        }
    }

    #[test]
    fn no_leader_anywhere_gives_empty() {
        let org = OrgSnapshot {
            org_units: vec![OrgUnit {
                id: OrgUnitId(1),
                parent_id: None,
            }],
            employments: vec![Employment {
                id: EmploymentId(1),
                person_id: PersonId(1),
                org_unit_id: OrgUnitId(1),
                from: d(1, 1),
                to: None,
                is_leader: false,
            }],
            ..Default::default()
        };
        let a = approvers_for(&org, PersonId(1), EmploymentId(1), d(6, 1)).unwrap();
        assert!(a.is_empty());
        assert_eq!(a.leader_org_unit, None);
    }

    #[test]
    fn errors() {
        let org = base();
        assert_eq!(
            approvers_for(&org, PersonId(201), EmploymentId(1), d(6, 1)),
            Err(ApproverError::EmploymentNotFound(EmploymentId(1)))
        );
        assert!(matches!(
            approvers_for(&org, PersonId(202), EmploymentId(2010), d(6, 1)),
            Err(ApproverError::EmploymentOfOtherPerson { .. })
        ));
        assert!(matches!(
            approvers_for(
                &org,
                PersonId(201),
                EmploymentId(2010),
                NaiveDate::from_ymd_opt(2019, 12, 31).unwrap()
            ),
            Err(ApproverError::EmploymentNotValid { .. })
        ));
        let mut cyc = base();
        cyc.org_units[2].parent_id = Some(OrgUnitId(3));
        assert_eq!(
            approvers_for(&cyc, PersonId(301), EmploymentId(3010), d(6, 1)),
            Err(ApproverError::OrgCycle(OrgUnitId(3)))
        );
        let mut unknown = base();
        unknown.org_units.retain(|u| u.id != OrgUnitId(1));
        assert_eq!(
            approvers_for(&unknown, PersonId(301), EmploymentId(3010), d(6, 1)),
            Err(ApproverError::UnknownOrgUnit(OrgUnitId(1)))
        );
    }
}
