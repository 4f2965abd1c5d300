//! Building and running the HTTP application (zero2prod's `Application::build`).

use std::net::TcpListener;
use std::sync::Arc;

use std::time::Duration;

use actix_http::{error::DispatchError, HttpService, KeepAlive};
use actix_service::{fn_service, map_config, IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::{AppConfig, Server};
use actix_web::middleware::from_fn;
use actix_web::{web, App};
use anyhow::Context;
use tokio::net::TcpStream;
use tracing_actix_web::TracingLogger;

use crate::config::{DatabaseUrl, Settings};
use crate::db::{app_settings, Database, DbConnection};
use crate::http::connection::{self, ConnectionLimiter, ProblemIo};
use crate::http::middleware::{request_context, KorselRootSpan};
use crate::http::{error, routes, AppState};
use crate::routing::osrm::OsrmRouter;
use crate::routing::RouteService;
use crate::services::address_watch;
use crate::services::addresses::{self as address_service, LoadedIndex, Registry};
use crate::services::auth::LoginThrottle;
use crate::services::oidc::Provider;
use crate::services::tokens::{self, TokenKeys};
use crate::services::upstream::Upstream;
use crate::services::users::{self, BootstrapPassword, BOOTSTRAP_ADMIN};

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Opens and migrates the database, creates the first admin if needed, and binds the
    /// listener (port 0 picks a free port, for tests).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        settings.validate().map_err(anyhow::Error::msg)?;
        let prepared = {
            let settings = settings.clone();
            tokio::task::spawn_blocking(move || prepare(&settings)).await??
        };
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {} (KORSEL_BIND)", settings.bind))?;
        let port = listener.local_addr()?.port();
        tracing::info!(address = %listener.local_addr()?, "listening");
        let server = serve(listener, prepared, settings)?;
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

struct Prepared {
    db: Database,
    keys: TokenKeys,
    addresses: LoadedIndex,
}

/// Opens the database, migrates it, bootstraps the admin and loads the signing key. Blocking.
fn prepare(settings: &Settings) -> anyhow::Result<Prepared> {
    let db = open_database(&settings.database_url)?;
    let secret = db.with_startup_lock(|conn| bootstrap(conn, settings))?;
    let mut conn = db.get().map_err(|e| anyhow::anyhow!("{e}"))?;
    let addresses = address_service::load_index(&mut conn)
        .map_err(|e| anyhow::anyhow!("cannot build the address index: {e}"))?;
    drop(conn);
    let keys = TokenKeys::new(secret.as_bytes(), settings.access_token_ttl);
    Ok(Prepared {
        db,
        keys,
        addresses,
    })
}

/// First-start work: the first admin, the seeded rate types and the signing key. Every step
/// does nothing when its data is there already, so instances starting one after the other
/// (under the start-up lock) agree on one admin, one key and one set of rates. Returns the key.
fn bootstrap(conn: &mut DbConnection, settings: &Settings) -> anyhow::Result<String> {
    match users::bootstrap_admin(conn, settings.admin_password.as_ref().map(|s| s.expose()))
        .map_err(|e| anyhow::anyhow!("cannot create the first admin: {e}"))?
    {
        Some(BootstrapPassword::Generated(password)) => {
            // Straight to the terminal, once, and never into the (JSON) log a collector keeps.
            eprintln!(
                "\nThe first administrator '{BOOTSTRAP_ADMIN}' has the one-time password:\n\n    \
                 {password}\n\nSign in with it at /log-ind, where you are asked for your own \
                 (or set it with PUT /api/v1/me/password); until then every other request is \
                 refused. It is shown only now.\n"
            );
            tracing::warn!(
                "created the first administrator '{BOOTSTRAP_ADMIN}' with a one-time password, \
                 printed once on standard error (not logged); the first sign-in must set a new one"
            )
        }
        Some(BootstrapPassword::Configured) => tracing::info!(
            "created the first administrator '{BOOTSTRAP_ADMIN}' with the password from KORSEL_ADMIN_PASSWORD"
        ),
        None => {}
    }
    let seeded = crate::services::org::seed_rate_types(conn)
        .map_err(|e| anyhow::anyhow!("cannot seed the rate types: {e}"))?;
    if seeded > 0 {
        tracing::info!(rate_types = seeded, "seeded the rate types 2022-2026");
    }
    crate::services::tf_codes::warn_about_placeholders(conn)
        .map_err(|e| anyhow::anyhow!("cannot check the TF codes: {e}"))?;
    Ok(match &settings.jwt_secret {
        Some(secret) => secret.expose().to_string(),
        None => {
            let stored =
                app_settings::get_or_insert(conn, "jwt_secret", &tokens::generate_secret())
                    .context("cannot store the generated JWT secret")?;
            tracing::info!(
                "KORSEL_JWT_SECRET is not set; using the signing key kept in the database"
            );
            stored
        }
    })
}

/// Opens and migrates the database; shared by `serve` and the other subcommands.
pub fn open_database(url: &DatabaseUrl) -> anyhow::Result<Database> {
    let db = Database::connect(url)?;
    let (applied, total) = db.migrate()?;
    tracing::info!(
        database = url.kind(),
        location = %url.redacted(),
        migrations = total,
        applied_now = applied,
        "database ready"
    );
    Ok(db)
}

fn serve(listener: TcpListener, prepared: Prepared, settings: Settings) -> anyhow::Result<Server> {
    let max_body = settings.max_body_bytes;
    let workers = settings.workers;
    let addresses = Arc::new(Registry::new(
        prepared.addresses,
        settings.addresses.reverse_radius_m,
        settings.addresses.match_tolerance_m,
    ));
    let upstream = settings
        .addresses
        .upstream_url
        .as_deref()
        .map(|url| Upstream::new(url, settings.addresses.upstream_timeout))
        .transpose()?;
    let router = match &settings.reports.router_url {
        Some(url) => {
            let bicycle = settings
                .reports
                .bicycle_router_url
                .as_deref()
                .unwrap_or(url);
            let router = OsrmRouter::new(url, bicycle, settings.reports.router_timeout)?;
            tracing::info!(
                car = %url,
                bicycle = %bicycle,
                "route service: OSRM; manual reports can be priced from their stops"
            );
            Some(Arc::new(router) as Arc<dyn RouteService>)
        }
        None => {
            tracing::warn!(
                "no route service (KORSEL_ROUTER_URL unset): manual reports cannot be priced \
                 from their stops (the \"calculated\" distance mode is refused; see the README's \
                 route service recipe)"
            );
            None
        }
    };
    match settings.payroll.municipality_number {
        Some(number) => tracing::info!(municipality = number, "payroll: CSV and KMD OPUS IND01"),
        None => tracing::info!(
            "payroll: CSV only (set KORSEL_PAYROLL_MUNICIPALITY_NUMBER for KMD OPUS IND01)"
        ),
    }
    address_watch::start(prepared.db.clone(), addresses.clone());
    // issue 16: e-mail outbox, approver digest, overdue payroll batches, retention.
    if settings.jobs.enabled {
        let runner = crate::services::jobs::Runner::new(prepared.db.clone(), settings.clone())?;
        tokio::spawn(runner.run_forever());
    } else {
        tracing::info!("scheduled jobs: off in this instance (KORSEL_JOBS=off)");
    }
    match &settings.mail.smtp_url {
        Some(_) => tracing::info!(from = %settings.mail.from, "e-mail notices: sent over SMTP"),
        None => tracing::warn!(
            "e-mail notices: KORSEL_SMTP_URL is not set; notices are kept in the outbox, \
             marked undeliverable"
        ),
    }
    let oidc = match (&settings.oidc, &settings.web.public_url) {
        (Some(oidc), Some(public_url)) => {
            tracing::info!(issuer = %oidc.issuer, "single sign-on: OpenID Connect");
            Some(Arc::new(Provider::new(oidc.clone(), public_url)?))
        }
        _ => None,
    };
    let state = web::Data::new(AppState {
        db: prepared.db,
        keys: prepared.keys,
        addresses,
        upstream,
        throttle: LoginThrottle::new(settings.login_throttle),
        router,
        oidc,
        settings,
    });
    let http = state.settings.http;
    let limiter = ConnectionLimiter::new(http.max_connections_per_ip);
    let app = move || {
        App::new()
            .app_data(state.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(max_body)
                    .error_handler(error::json_error),
            )
            .app_data(web::PayloadConfig::default().limit(max_body))
            .app_data(web::QueryConfig::default().error_handler(crate::web::error::query_error))
            .app_data(web::PathConfig::default().error_handler(crate::web::error::path_error))
            .configure(routes::configure)
            .configure(crate::web::configure)
            .default_service(web::to(crate::web::error::fallback))
            .wrap(from_fn(request_context))
            .wrap(from_fn(crate::web::security_headers))
            .wrap(TracingLogger::<KorselRootSpan>::new())
    };
    // actix-web's `HttpServer`, assembled by hand so that every connection passes through
    // `http::connection` (the per-address cap, problem+json for the parser's own errors).
    let local = listener.local_addr()?;
    let mut builder = actix_server::Server::build();
    if let Some(workers) = workers {
        builder = builder.workers(workers);
    }
    let server = builder
        .listen("korsel", listener, move || {
            let limiter = limiter.clone();
            let keep_alive = match http.keep_alive.is_zero() {
                true => KeepAlive::Disabled,
                false => KeepAlive::Timeout(http.keep_alive),
            };
            let service = app()
                .into_factory()
                .map_err(|e: actix_web::Error| e.error_response());
            let h1 = HttpService::build()
                .keep_alive(keep_alive)
                .client_request_timeout(http.request_head_timeout)
                .client_disconnect_timeout(Duration::from_secs(1))
                .local_addr(local)
                .h1(map_config(service, |_| AppConfig::default()));
            fn_service(move |io: TcpStream| {
                let limiter = limiter.clone();
                async move {
                    let peer = io.peer_addr().ok();
                    let _ = io.set_nodelay(true);
                    match limiter.admit(peer.map(|p| p.ip())) {
                        Some(permit) => Ok((ProblemIo::new(io, permit), peer)),
                        None => {
                            tracing::warn!(peer = ?peer, "connection refused: too many from this address");
                            connection::refuse(io, http.max_connections_per_ip).await;
                            Err(DispatchError::Io(std::io::Error::other("over the per-address cap")))
                        }
                    }
                }
            })
            .and_then(h1)
        })?
        .run();
    Ok(server)
}
