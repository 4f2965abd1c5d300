//! The approval queue and bulk approval.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::shape::ok_json;
use crate::domain::page::PageRequest;
use crate::error::Error;
use crate::http::extract::AuthUser;
use crate::http::handlers::reports::{caller, checked, context};
use crate::http::AppState;
use crate::services::reports::{self, BulkItem, QueueQuery};

pub async fn queue(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<QueueQuery>,
    page: web::Query<PageRequest>,
) -> Result<HttpResponse, Error> {
    let (caller, query, page) = (caller(&user), query.into_inner(), checked(page)?);
    ok_json(&state, move |c| reports::queue(c, caller, query, page)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkApprove {
    items: Vec<BulkItem>,
    #[serde(default)]
    comment: Option<String>,
}

pub async fn bulk_approve(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<BulkApprove>,
) -> Result<HttpResponse, Error> {
    let BulkApprove { items, comment } = body.into_inner();
    let comment = comment.filter(|c| !c.trim().is_empty());
    let results = reports::bulk_approve(&context(&state), caller(&user), items, comment).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "results": results })))
}
