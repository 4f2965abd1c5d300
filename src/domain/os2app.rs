//! The OS2indberetning phone apps' protocol (reference `os2indberetning.md` §7): reading their
//! request bodies and the shapes of their answers. Pure: no I/O.
//!
//! OS2's ASP.NET binder matched keys case-insensitively and converted strings to numbers, so
//! the two apps send different spellings of the same report: Android numbers and a Joda
//! date-time (`2019-03-05T08:12:44.000+01:00`), iOS coordinates as `"%f"` strings and
//! `yyyy-MM-dd` dates. Both send `TotalDistance` and `HomeToBorderDistance` as kilometre
//! strings. Everything here accepts all of these; anything else is a [`BodyError`] naming the
//! field.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::ids::{EmploymentId, OrgUnitId, PersonId, RateTypeId};
use crate::domain::org::copenhagen_date;

/// 5,000 km: more than anyone drives in a day (the same bound as a typed distance).
pub const MAX_DISTANCE_M: i64 = 5_000_000;
/// Longest accepted purpose and remark, characters.
pub const MAX_TEXT_CHARS: usize = 1_000;
/// Longest accepted Uuid and GuId, characters (OS2 stored `VARCHAR(38)`).
const MAX_KEY_CHARS: usize = 64;

/// What is wrong with a request body, for the app's error answer.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyError {
    /// A field is missing or unusable.
    Field { field: String, message: String },
    /// More coordinates than a trip may have.
    TooManyPoints { count: usize, limit: usize },
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::Field { field, message } => write!(f, "{field}: {message}"),
            BodyError::TooManyPoints { count, limit } => {
                write!(
                    f,
                    "a report may have at most {limit} coordinates; this one has {count}"
                )
            }
        }
    }
}

fn bad(field: &str, message: impl Into<String>) -> BodyError {
    BodyError::Field {
        field: field.to_string(),
        message: message.into(),
    }
}

/// A JSON object whose keys are matched case-insensitively, as OS2's binder did.
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Fields<'a> {
    pub fn of(value: &'a Value, path: &'a str) -> Result<Fields<'a>, BodyError> {
        match value {
            Value::Object(map) => Ok(Fields { map, path }),
            _ => Err(bad(
                if path.is_empty() { "body" } else { path },
                "must be a JSON object",
            )),
        }
    }

    fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The value of `key` (any casing); JSON null counts as absent.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    fn required(&self, key: &str) -> Result<&'a Value, BodyError> {
        self.get(key)
            .ok_or_else(|| bad(&self.name(key), "required"))
    }

    pub fn text(&self, key: &str, max_chars: usize) -> Result<Option<String>, BodyError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.chars().count() > max_chars => Err(bad(
                &self.name(key),
                format!("at most {max_chars} characters"),
            )),
            Some(Value::String(s)) if s.chars().any(|c| c.is_control() && c != '\n') => {
                Err(bad(&self.name(key), "contains control characters"))
            }
            Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(_) => Err(bad(&self.name(key), "must be a string")),
        }
    }

    pub fn required_text(&self, key: &str, max_chars: usize) -> Result<String, BodyError> {
        self.text(key, max_chars)?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad(&self.name(key), "required"))
    }

    /// A positive id, as a JSON integer or a string of digits.
    pub fn id(&self, key: &str) -> Result<i64, BodyError> {
        let field = self.name(key);
        let id = match self.required(key)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        id.filter(|&id| id > 0)
            .ok_or_else(|| bad(&field, "must be a positive whole number"))
    }

    /// `true`/`false`, also `1`/`0` and their strings; absent is `false`.
    pub fn flag(&self, key: &str) -> Result<bool, BodyError> {
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(false),
            Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(true),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Ok(true),
                "false" | "0" | "" => Ok(false),
                _ => Err(bad(&self.name(key), "must be true or false")),
            },
            Some(_) => Err(bad(&self.name(key), "must be true or false")),
        }
    }

    /// A finite number, as JSON or as a string with `.` or `,` as the decimal separator.
    fn number(&self, key: &str) -> Result<Option<f64>, BodyError> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::Number(n) => n.as_f64(),
            Value::String(s) if s.trim().is_empty() => return Ok(None),
            Value::String(s) => parse_decimal(s),
            _ => None,
        };
        parsed
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(|| bad(&self.name(key), "must be a number"))
    }

    /// Kilometres (OS2 sends `"23.4"`) as whole metres within `0..=MAX_DISTANCE_M`; absent is 0.
    pub fn km_as_metres(&self, key: &str) -> Result<i64, BodyError> {
        let Some(km) = self.number(key)? else {
            return Ok(0);
        };
        let metres = (km * 1000.0).round();
        if !(0.0..=MAX_DISTANCE_M as f64).contains(&metres) {
            return Err(bad(
                &self.name(key),
                format!("must be between 0 and {} km", MAX_DISTANCE_M / 1000),
            ));
        }
        Ok(metres as i64)
    }
}

/// `"56.153411"`, `"56,153411"`, `"-1e-3"`: a plain decimal. Rejects words such as `NaN` and
/// `inf`, which Rust's float parser would take.
fn parse_decimal(s: &str) -> Option<f64> {
    let s = s.trim();
    let plain = s
        .bytes()
        .all(|b| b.is_ascii_digit() || b"+-.,eE".contains(&b));
    if !plain || s.bytes().filter(|&b| b == b',').count() > 1 {
        return None;
    }
    s.replace(',', ".").parse().ok()
}

/// The login body of `POST /api/auth`.
pub struct Credentials {
    pub username: String,
    pub password: String,
}

pub fn parse_credentials(body: &Value) -> Result<Credentials, BodyError> {
    let fields = Fields::of(body, "")?;
    // The password as typed: not trimmed.
    let password = match fields.get("Password") {
        Some(Value::String(p)) if p.chars().count() <= 1_000 => p.clone(),
        Some(_) => {
            return Err(bad(
                "Password",
                "must be a string of at most 1000 characters",
            ))
        }
        None => return Err(bad("Password", "required")),
    };
    Ok(Credentials {
        username: fields.required_text("UserName", 200)?,
        password,
    })
}

/// The GuId of `POST /api/userinfo` (`{"GuId": …}`) or of a report's `Authorization`.
pub fn parse_guid(fields: &Fields<'_>) -> Result<String, BodyError> {
    fields.required_text("GuId", MAX_KEY_CHARS)
}

/// The GuId of a `DriveObject`, read before (and whatever else is wrong with) the rest, so an
/// invalid authorization is answered as such.
pub fn guid_of_drive_object(body: &Value) -> Option<String> {
    let top = Fields::of(body, "").ok()?;
    let auth = Fields::of(top.get("Authorization")?, "Authorization").ok()?;
    parse_guid(&auth).ok()
}

/// One coordinate of the app's route.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinate {
    pub latitude: f64,
    pub longitude: f64,
    /// The user paused here: a stop of the route.
    pub is_via_point: bool,
}

/// The `DriveReport` of `POST /api/report`, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct DriveReport {
    /// The device's idempotency key, lower-cased.
    pub uuid: String,
    pub profile_id: PersonId,
    pub employment_id: EmploymentId,
    pub rate_id: RateTypeId,
    pub purpose: String,
    pub remark: Option<String>,
    pub starts_at_home: bool,
    pub ends_at_home: bool,
    pub four_km_rule: bool,
    /// The drive's calendar date in Denmark.
    pub date: NaiveDate,
    pub home_to_border_m: i64,
    /// The app's own distance (`route.TotalDistance`).
    pub total_distance_m: i64,
    pub coordinates: Vec<Coordinate>,
}

/// The whole `DriveObject`: who sends it and what.
#[derive(Debug, Clone, PartialEq)]
pub struct DriveObject {
    pub guid: String,
    pub report: DriveReport,
}

/// Reads a `DriveObject`. `today` is the Danish date now (a drive may not be later than
/// tomorrow); `max_points` bounds the coordinates.
pub fn parse_drive_object(
    body: &Value,
    today: NaiveDate,
    max_points: usize,
) -> Result<DriveObject, BodyError> {
    let top = Fields::of(body, "")?;
    let auth = Fields::of(top.required("Authorization")?, "Authorization")?;
    let guid = parse_guid(&auth)?;
    let report = Fields::of(top.required("DriveReport")?, "DriveReport")?;
    let route = Fields::of(report.required("route")?, "DriveReport.route")?;
    let coordinates = parse_coordinates(&route, max_points)?;
    if coordinates.len() == 1 {
        return Err(bad(
            "DriveReport.route.GPSCoordinates",
            "0 or at least 2 coordinates; 1 is invalid",
        ));
    }
    let uuid = report
        .required_text("Uuid", MAX_KEY_CHARS)?
        .to_ascii_lowercase();
    if !uuid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("DriveReport.Uuid", "must be printable ASCII"));
    }
    Ok(DriveObject {
        guid,
        report: DriveReport {
            uuid,
            profile_id: PersonId(report.id("ProfileId")?),
            employment_id: EmploymentId(report.id("EmploymentId")?),
            rate_id: RateTypeId(report.id("RateId")?),
            purpose: report.required_text("Purpose", MAX_TEXT_CHARS)?,
            remark: report
                .text("ManualEntryRemark", MAX_TEXT_CHARS)?
                .filter(|s| !s.is_empty()),
            starts_at_home: report.flag("StartsAtHome")?,
            ends_at_home: report.flag("EndsAtHome")?,
            four_km_rule: report.flag("FourKmRule")?,
            date: parse_date(report.required("Date")?, today)?,
            home_to_border_m: report.km_as_metres("HomeToBorderDistance")?,
            total_distance_m: route.km_as_metres("TotalDistance")?,
            coordinates,
        },
    })
}

fn parse_coordinates(route: &Fields<'_>, max_points: usize) -> Result<Vec<Coordinate>, BodyError> {
    let field = "DriveReport.route.GPSCoordinates";
    let items = match route.get("GPSCoordinates") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(bad(field, "must be a list")),
    };
    if items.len() > max_points {
        return Err(BodyError::TooManyPoints {
            count: items.len(),
            limit: max_points,
        });
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = format!("{field}[{i}]");
            let point = Fields::of(item, &path)?;
            let latitude = point
                .number("Latitude")?
                .ok_or_else(|| bad(&format!("{path}.Latitude"), "required"))?;
            let longitude = point
                .number("Longitude")?
                .ok_or_else(|| bad(&format!("{path}.Longitude"), "required"))?;
            if latitude.abs() > 90.0 {
                return Err(bad(&format!("{path}.Latitude"), "must be within ±90"));
            }
            if longitude.abs() > 180.0 {
                return Err(bad(&format!("{path}.Longitude"), "must be within ±180"));
            }
            Ok(Coordinate {
                latitude,
                longitude,
                is_via_point: point.flag("IsViaPoint")?,
            })
        })
        .collect()
}

/// Android's Joda `DateTime.toString()` (an offset date-time: its instant's Danish date), iOS'
/// `yyyy-MM-dd`, or a date-time without offset (taken as Danish local time). From 2000 to
/// tomorrow.
fn parse_date(value: &Value, today: NaiveDate) -> Result<NaiveDate, BodyError> {
    let field = "DriveReport.Date";
    let Value::String(s) = value else {
        return Err(bad(field, "must be a date string"));
    };
    let s = s.trim();
    let date = DateTime::parse_from_rfc3339(s)
        .map(|t| copenhagen_date(t.to_utc()))
        .ok()
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.date())
        })
        .ok_or_else(|| bad(field, "must be yyyy-MM-dd or an ISO 8601 date-time"))?;
    let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid date");
    if date < earliest || date > today + chrono::Days::new(1) {
        return Err(bad(field, "must be between 2000-01-01 and tomorrow"));
    }
    Ok(date)
}

// ================================================================ answers

/// `UserInfoViewModel`: names exactly as OS2's C# declared them (PascalCase except `profile`
/// and `rates`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserInfo {
    pub profile: Profile,
    pub rates: Vec<Rate>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Profile {
    pub id: PersonId,
    pub firstname: String,
    pub lastname: String,
    /// Strings, as the apps expect.
    pub home_latitude: String,
    pub home_longitude: String,
    pub authorization: Authorization,
    pub employments: Vec<Employment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Authorization {
    #[serde(rename = "GuId")]
    pub guid: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Employment {
    pub id: EmploymentId,
    pub employment_position: String,
    pub man_nr: String,
    /// Unix seconds.
    pub start_date_timestamp: i64,
    /// Unix seconds; 0: open-ended.
    pub end_date_timestamp: i64,
    pub org_unit: OrgUnit,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OrgUnit {
    pub org_id: OrgUnitId,
    pub four_km_rule_allowed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rate {
    pub id: RateTypeId,
    pub description: String,
    /// A string, as OS2's DMZ model had it.
    pub year: String,
}

/// OS2 split the name in first and last name; korsel keeps one name. The last word is the last
/// name.
pub fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.rsplit_once(' ') {
        Some((first, last)) => (first.trim().to_string(), last.to_string()),
        None => (name.to_string(), String::new()),
    }
}

/// A date as OS2 wrote it: Unix seconds of its midnight, the local date taken as UTC (the apps
/// show the date part).
pub fn date_timestamp(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp()
}

/// A coordinate as the apps expect it: a decimal string.
pub fn coordinate_text(value: f64) -> String {
    format!("{value:.6}")
}

/// The codes of the app protocol's error answers (`ErrorCodes` in OS2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    UnknownError = 600,
    InvalidAuthorization = 610,
    SaveError = 640,
    ReportAndUserDoNotMatch = 670,
    DuplicateReportFound = 690,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 10).unwrap()
    }

    fn android() -> Value {
        json!({
            "Authorization": {"GuId": "7d0f"},
            "DriveReport": {
                "Uuid": "B3C1E6A2-0000-4000-8000-000000000001", "Purpose": "Møde i Ebeltoft",
                "EmploymentId": 1001, "RateId": 7, "ManualEntryRemark": "",
                "StartsAtHome": true, "EndsAtHome": false, "FourKmRule": false,
                "Date": "2026-03-05T00:12:44.000+01:00", "HomeToBorderDistance": "0.0",
                "route": {"TotalDistance": "23.4", "GPSCoordinates": [
                    {"Latitude": 56.153411, "Longitude": 10.203891, "IsViaPoint": false},
                    {"Latitude": 56.160002, "Longitude": 10.210010, "IsViaPoint": true},
                    {"Latitude": 56.170123, "Longitude": 10.220456, "IsViaPoint": false}
                ]},
                "ProfileId": 42
            }
        })
    }

    fn error_field(result: Result<DriveObject, BodyError>) -> String {
        match result {
            Err(BodyError::Field { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn reads_android_numbers_and_a_joda_date_time() {
        let parsed = parse_drive_object(&android(), today(), 100).unwrap();
        assert_eq!(parsed.guid, "7d0f");
        let r = parsed.report;
        assert_eq!(r.uuid, "b3c1e6a2-0000-4000-8000-000000000001");
        assert_eq!(
            (r.profile_id, r.employment_id, r.rate_id),
            (PersonId(42), EmploymentId(1001), RateTypeId(7))
        );
        assert_eq!(r.date, NaiveDate::from_ymd_opt(2026, 3, 5).unwrap());
        assert_eq!((r.total_distance_m, r.home_to_border_m), (23_400, 0));
        assert_eq!(r.remark, None);
        assert!(r.starts_at_home && !r.ends_at_home && !r.four_km_rule);
        assert_eq!(r.coordinates.len(), 3);
        assert!(r.coordinates[1].is_via_point);
        assert_eq!(r.coordinates[0].latitude, 56.153411);
    }

    #[test]
    fn reads_ios_strings_and_lower_case_keys() {
        let body = json!({
            "authorization": {"guid": "7d0f"},
            "drivereport": {
                "uuid": "x-1", "purpose": "Hjemmebesøg", "employmentid": "1001", "rateid": "7",
                "startsathome": 1, "endsathome": "true", "fourkmrule": "0",
                "date": "2026-03-05", "hometoborderdistance": "2,5", "profileid": "42",
                "Route": {"totaldistance": "12.0", "gpscoordinates": [
                    {"latitude": "56.153411", "longitude": "10.203891", "isviapoint": "false"},
                    {"latitude": "56.170123", "longitude": "10.220456"}
                ]}
            }
        });
        let r = parse_drive_object(&body, today(), 100).unwrap().report;
        assert_eq!(
            (r.employment_id, r.rate_id, r.profile_id),
            (EmploymentId(1001), RateTypeId(7), PersonId(42))
        );
        assert!(r.starts_at_home && r.ends_at_home && !r.four_km_rule);
        assert_eq!((r.total_distance_m, r.home_to_border_m), (12_000, 2_500));
        assert_eq!(r.coordinates[1].longitude, 10.220456);
        assert!(!r.coordinates[1].is_via_point);
    }

    #[test]
    fn refuses_bad_input_naming_the_field() {
        let with = |pointer: &str, value: Value| {
            let mut body = android();
            *body.pointer_mut(pointer).unwrap() = value;
            error_field(parse_drive_object(&body, today(), 100))
        };
        let lat = "/DriveReport/route/GPSCoordinates/0/Latitude";
        assert!(with(lat, json!("NaN")).ends_with("Latitude"));
        assert!(with(lat, json!("abc")).ends_with("Latitude"));
        assert!(with(lat, json!(90.5)).ends_with("Latitude"));
        assert!(with(lat, json!("inf")).ends_with("Latitude"));
        assert_eq!(
            with("/DriveReport/EmploymentId", json!("x")),
            "DriveReport.EmploymentId"
        );
        assert_eq!(with("/DriveReport/RateId", json!(-3)), "DriveReport.RateId");
        assert_eq!(
            with("/DriveReport/Date", json!("05-03-2026")),
            "DriveReport.Date"
        );
        assert_eq!(
            with("/DriveReport/Date", json!("2026-03-12")),
            "DriveReport.Date"
        );
        assert_eq!(
            with("/DriveReport/route/TotalDistance", json!("-1")),
            "DriveReport.route.TotalDistance"
        );
        assert_eq!(
            with("/DriveReport/route/TotalDistance", json!("9999")),
            "DriveReport.route.TotalDistance"
        );
        assert_eq!(
            with("/DriveReport/Purpose", json!("  ")),
            "DriveReport.Purpose"
        );
        assert_eq!(with("/DriveReport", json!([])), "DriveReport");
        assert_eq!(
            error_field(parse_drive_object(&json!("x"), today(), 100)),
            "body"
        );
    }

    #[test]
    fn one_coordinate_is_refused_and_zero_are_accepted() {
        let mut body = android();
        let coords = body
            .pointer_mut("/DriveReport/route/GPSCoordinates")
            .unwrap();
        coords.as_array_mut().unwrap().truncate(1);
        assert_eq!(
            error_field(parse_drive_object(&body, today(), 100)),
            "DriveReport.route.GPSCoordinates"
        );
        *body
            .pointer_mut("/DriveReport/route/GPSCoordinates")
            .unwrap() = json!([]);
        let r = parse_drive_object(&body, today(), 100).unwrap().report;
        assert!(r.coordinates.is_empty());
    }

    #[test]
    fn too_many_coordinates_are_their_own_error() {
        assert_eq!(
            parse_drive_object(&android(), today(), 2),
            Err(BodyError::TooManyPoints { count: 3, limit: 2 })
        );
    }

    #[test]
    fn answers_have_the_apps_names() {
        let info = UserInfo {
            profile: Profile {
                id: PersonId(42),
                firstname: "Jens".into(),
                lastname: "Jensen".into(),
                home_latitude: coordinate_text(56.1234),
                home_longitude: coordinate_text(10.1234),
                authorization: Authorization { guid: "g".into() },
                employments: vec![Employment {
                    id: EmploymentId(1001),
                    employment_position: "Sagsbehandler - Borgerservice".into(),
                    man_nr: "012345".into(),
                    start_date_timestamp: date_timestamp(
                        NaiveDate::from_ymd_opt(2015, 1, 1).unwrap(),
                    ),
                    end_date_timestamp: 0,
                    org_unit: OrgUnit {
                        org_id: OrgUnitId(123),
                        four_km_rule_allowed: false,
                    },
                }],
            },
            rates: vec![Rate {
                id: RateTypeId(7),
                description: "Kørsel i egen bil".into(),
                year: "2026".into(),
            }],
        };
        let v = serde_json::to_value(info).unwrap();
        assert_eq!(v["profile"]["Firstname"], "Jens");
        assert_eq!(v["profile"]["HomeLatitude"], "56.123400");
        assert_eq!(v["profile"]["Authorization"]["GuId"], "g");
        let e = &v["profile"]["Employments"][0];
        assert_eq!(e["ManNr"], "012345");
        assert_eq!(e["StartDateTimestamp"], 1_420_070_400);
        assert_eq!(e["EndDateTimestamp"], 0);
        assert_eq!(e["OrgUnit"]["FourKmRuleAllowed"], false);
        assert_eq!(v["rates"][0]["Year"], "2026");
        assert_eq!(
            split_name("Jens Peter Jensen"),
            ("Jens Peter".into(), "Jensen".into())
        );
        assert_eq!(split_name("Cher"), ("Cher".into(), String::new()));
    }
}
