//! The shapes the administration handlers share: a page query checked, a 201 with its
//! `Location`, and [`admin_handlers!`], which writes the admin-only list/create/show/update/delete
//! handlers that only translate HTTP to one service call (issue 12: one helper instead of a
//! dozen copies of the same six lines).

use actix_web::{web, HttpResponse};

use crate::domain::page::PageRequest;
use crate::error::Error;

/// The page query, validated (422 naming the field otherwise).
pub fn checked(page: web::Query<PageRequest>) -> Result<PageRequest, Error> {
    let page = page.into_inner();
    page.validate()
        .map_err(|(field, e)| Error::validation(field, e))?;
    Ok(page)
}

/// Runs `f` on a pooled connection and answers 200 with its result as JSON.
pub async fn ok_json<T: serde::Serialize + Send + 'static>(
    state: &crate::http::AppState,
    f: impl FnOnce(&mut crate::db::DbConnection) -> Result<T, Error> + Send + 'static,
) -> Result<HttpResponse, Error> {
    let out = state.db.run(f).await?;
    Ok(HttpResponse::Ok().json(out))
}

/// 201 with the new resource's address and its body.
pub fn created<T: serde::Serialize>(location: String, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header(("Location", location))
        .json(body)
}

/// Admin-only handlers, one line each: `kind name(Input) [IdType] => service, location;` (the id
/// type, for the kinds with an `{id}`, is `i64` when left out).
///
/// | kind | request | service call | answer |
/// |---|---|---|---|
/// | `list` | `?page&per_page` | `f(c, page)` | 200 |
/// | `create` | JSON `Input` | `f(c, input)` | 201, `Location: location(&out)` |
/// | `show` | `/{id}` | `f(c, id)` | 200 |
/// | `update` | `/{id}` + JSON `Input` | `f(c, id, input)` | 200 |
/// | `create_under` | `/{id}` + JSON `Input` | `f(c, id, input)` | 201, `Location: location(id, &out)` |
/// | `delete` | `/{id}` | `f(c, id)` | 204 |
///
/// The caller is an [`Admin`](crate::http::extract::Admin) (401/403 otherwise); the service
/// function may be a path or a closure.
macro_rules! admin_handlers {
    ($($(#[$m:meta])* $kind:ident $name:ident $(($input:ty))? $([$id:ty])? => $f:expr $(, $loc:expr)?;)*) => {$(
        $crate::http::handlers::shape::admin_handlers!(
            @one $kind [$(#[$m])*] $name [$($input)?] [$f] [$($loc)?] [$($id)?]
        );
    )*};
    (@one list [$(#[$m:meta])*] $name:ident [] [$f:expr] [] [$($id:ty)?]) => {
        $(#[$m])*
        pub async fn $name(
            state: actix_web::web::Data<$crate::http::AppState>,
            _: $crate::http::extract::Admin,
            page: actix_web::web::Query<$crate::domain::page::PageRequest>,
        ) -> Result<actix_web::HttpResponse, $crate::error::Error> {
            let page = $crate::http::handlers::shape::checked(page)?;
            let out = state.db.run(move |c| ($f)(c, page)).await?;
            Ok(actix_web::HttpResponse::Ok().json(out))
        }
    };
    (@one create [$(#[$m:meta])*] $name:ident [$input:ty] [$f:expr] [$loc:expr] [$($id:ty)?]) => {
        $(#[$m])*
        pub async fn $name(
            state: actix_web::web::Data<$crate::http::AppState>,
            _: $crate::http::extract::Admin,
            body: actix_web::web::Json<$input>,
        ) -> Result<actix_web::HttpResponse, $crate::error::Error> {
            let input = body.into_inner();
            let out = state.db.run(move |c| ($f)(c, input)).await?;
            Ok($crate::http::handlers::shape::created(($loc)(&out), &out))
        }
    };
    (@one show [$(#[$m:meta])*] $name:ident [] [$f:expr] [] [$($id:ty)?]) => {
        $crate::http::handlers::shape::admin_handlers!(
            @id_only [$(#[$m])*] $name [$f] [$($id)?] |out| actix_web::HttpResponse::Ok().json(out)
        );
    };
    (@one update [$(#[$m:meta])*] $name:ident [$input:ty] [$f:expr] [] [$($id:ty)?]) => {
        $crate::http::handlers::shape::admin_handlers!(
            @by_id [$(#[$m])*] $name [$input] [$f] [$($id)?] |_id, out| actix_web::HttpResponse::Ok().json(out)
        );
    };
    (@one create_under [$(#[$m:meta])*] $name:ident [$input:ty] [$f:expr] [$loc:expr] [$($id:ty)?]) => {
        $crate::http::handlers::shape::admin_handlers!(
            @by_id [$(#[$m])*] $name [$input] [$f] [$($id)?]
            |id, out| $crate::http::handlers::shape::created(($loc)(id, &out), &out)
        );
    };
    // A record's id in the path and a JSON body; `answer` turns (id, result) into the response.
    (@by_id [$(#[$m:meta])*] $name:ident [$input:ty] [$f:expr] [$($id:ty)?] $answer:expr) => {
        $(#[$m])*
        pub async fn $name(
            state: actix_web::web::Data<$crate::http::AppState>,
            _: $crate::http::extract::Admin,
            id: actix_web::web::Path<$crate::http::handlers::shape::path_id!($($id)?)>,
            body: actix_web::web::Json<$input>,
        ) -> Result<actix_web::HttpResponse, $crate::error::Error> {
            let (id, input) = (id.into_inner(), body.into_inner());
            let out = state.db.run(move |c| ($f)(c, id, input)).await?;
            Ok(($answer)(id, out))
        }
    };
    (@one delete [$(#[$m:meta])*] $name:ident [] [$f:expr] [] [$($id:ty)?]) => {
        $crate::http::handlers::shape::admin_handlers!(
            @id_only [$(#[$m])*] $name [$f] [$($id)?] |_| actix_web::HttpResponse::NoContent().finish()
        );
    };
    // A record's id in the path and no body; `answer` turns the result into the response.
    (@id_only [$(#[$m:meta])*] $name:ident [$f:expr] [$($id:ty)?] $answer:expr) => {
        $(#[$m])*
        pub async fn $name(
            state: actix_web::web::Data<$crate::http::AppState>,
            _: $crate::http::extract::Admin,
            id: actix_web::web::Path<$crate::http::handlers::shape::path_id!($($id)?)>,
        ) -> Result<actix_web::HttpResponse, $crate::error::Error> {
            let id = id.into_inner();
            let out = state.db.run(move |c| ($f)(c, id)).await?;
            Ok(($answer)(out))
        }
    };
}
pub(crate) use admin_handlers;

/// The type of a handler's `{id}`: the entity's id type when the line names one (`[PersonId]`),
/// else `i64`.
macro_rules! path_id {
    () => {
        i64
    };
    ($id:ty) => {
        $id
    };
}
pub(crate) use path_id;
