//! Everything korsel holds about the caller, as one JSON document (`GET /api/v1/me/export`;
//! GDPR art. 15). Built from the same views the API shows the caller, asked as the caller, so
//! it holds nothing about anyone else that the caller could not already see.

use serde_json::{json, Value};

use crate::db::{self, outbox, DbConnection};
use crate::domain::gps::decode_track;
use crate::domain::ids::UserId;
use crate::domain::page::{Page, PageRequest, MAX_PER_PAGE};
use crate::error::Result;
use crate::services::notices::internal;
use crate::services::reports::{self, Caller, ListQuery};
use crate::services::{app_api, org, trips, users};

/// Every page of a paged list.
fn all_pages<T>(mut page: impl FnMut(PageRequest) -> Result<Page<T>>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for number in 1.. {
        let got = page(PageRequest {
            page: number,
            per_page: MAX_PER_PAGE,
        })?;
        let done = got.items.len() < MAX_PER_PAGE as usize;
        out.extend(got.items);
        if done {
            break;
        }
    }
    Ok(out)
}

fn to_value(v: impl serde::Serialize) -> Result<Value> {
    serde_json::to_value(v).map_err(internal)
}

/// The caller's data: account, person, employments, addresses, vehicles, GPS trips with their
/// points, reports with their audit trails, e-mail notices, phone-app logins and sign-in events.
pub fn export(conn: &mut DbConnection, user_id: UserId) -> Result<Value> {
    let user = users::get(conn, user_id)?;
    let person = org::person_of_user_id(conn, user_id)?;
    let trips = all_pages(|page| trips::list_mine(conn, user_id, page))?
        .into_iter()
        .map(|trip| {
            let id = trip.id;
            let mut value = to_value(&trip)?;
            let points = match db::trips::track(conn, id)? {
                Some(bytes) => decode_track(&bytes).map_err(internal)?,
                None => Vec::new(),
            };
            value["points"] = to_value(points)?;
            Ok(value)
        })
        .collect::<Result<Vec<Value>>>()?;
    let app_logins = all_pages(|page| app_api::access::list_tokens(conn, user_id, None, page))?;
    let sign_ins = crate::services::oidc::audit::of_user(conn, &user.username)?;
    let mut out = json!({
        "exported_at": db::utc_now().and_utc(),
        "user": to_value(&user)?,
        "trips": trips,
        "app_logins": to_value(app_logins)?,
        "sign_in_events": to_value(sign_ins)?,
        "person": null,
    });
    let Some(person) = person else {
        return Ok(out);
    };
    let caller = Caller {
        user_id,
        admin: false,
        approver: false,
        payroll: false,
    };
    let reports = all_pages(|page| {
        reports::list(
            conn,
            caller,
            ListQuery {
                status: None,
                from: None,
                to: None,
                person_id: None,
            },
            page,
        )
    })?
    .into_iter()
    .map(|report| {
        let mut value = to_value(&report)?;
        value["history"] = to_value(reports::history(conn, caller, report.id)?)?;
        Ok(value)
    })
    .collect::<Result<Vec<Value>>>()?;
    let notices: Vec<Value> = outbox::for_person(conn, person.id)?
        .into_iter()
        .map(|n| {
            json!({
                "kind": n.kind,
                "to": n.recipient,
                "status": n.status,
                "notice": serde_json::from_str::<Value>(&n.payload).unwrap_or(Value::Null),
                "created_at": n.created_at.and_utc(),
                "sent_at": n.sent_at.map(|t| t.and_utc()),
            })
        })
        .collect();
    out["person"] = to_value(org::PersonDetail::from(person.clone()))?;
    out["employments"] = to_value(org::my_employments(conn, user_id)?)?;
    out["addresses"] = to_value(org::addresses(conn, person.id)?)?;
    out["vehicles"] = to_value(org::vehicles(conn, person.id)?)?;
    out["reports"] = Value::Array(reports);
    out["notices"] = Value::Array(notices);
    Ok(out)
}
