//! Abonent's HTTP layer: the JSON API under `/api/v1` (OpenAPI at `/api/openapi.json`) and the
//! server-rendered pages of the staff workspace. One module per capability, each with `api.rs`
//! and `pages.rs`; authorisation is decided in one place per capability.

pub mod appeals;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod clients;
pub mod common;
pub mod contracts;
pub mod frontoffice;
pub mod health;
pub mod info;
pub mod info_points;
pub mod metering;
pub mod news;
pub mod notices;
pub mod openapi;
pub mod org;
pub mod payments;
pub mod portal;
pub mod site;

use std::sync::Arc;
use std::time::Duration;

use abonent_store::Store;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{self, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tracing::Instrument;

pub use common::error::{ApiError, PageError, WebError};

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    pub session_ttl: Duration,
    /// Failed sign-ins per login within `throttle_window` before sign-in is refused.
    pub max_failures_per_login: i64,
    /// Failed sign-ins per address within `throttle_window`.
    pub max_failures_per_ip: i64,
    /// Appeals one address may file through the online reception per hour (spam protection).
    pub max_public_appeals_per_hour: i64,
    /// Column layouts of bank payment registries offered at import.
    pub registry_layouts: Vec<abonent_domain::payments::registry::RegistryLayout>,
    /// Bounds of a payment's amount and date (cashier, registries, API).
    pub payment_limits: abonent_domain::payments::registry::PaymentLimits,
    pub throttle_window: Duration,
    /// The company's time zone: dates of the public site, the personal account and letters,
    /// and of staff whose branch has no zone of its own.
    pub time_zone: jiff::tz::TimeZone,
    /// The address clients reach this server at, for links in letters
    /// (`https://lk.example.ru`).
    pub public_url: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_ttl: Duration::from_secs(12 * 3600),
            max_failures_per_login: 5,
            max_failures_per_ip: 30,
            max_public_appeals_per_hour: 10,
            registry_layouts: abonent_domain::payments::registry::RegistryLayout::defaults(),
            payment_limits: abonent_domain::payments::registry::PaymentLimits::default(),
            throttle_window: Duration::from_secs(15 * 60),
            time_zone: abonent_domain::org::default_time_zone(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<health::Metrics>,
    /// Calendar, norms, topics and branches in force, cached briefly.
    pub rules: Arc<appeals::RulesCache>,
    /// Public pages generated from rarely changing data.
    pub pages: Arc<common::page_cache::PageCache>,
    /// The live hall displays of this instance (CHN-01).
    pub boards: Arc<frontoffice::boards::Boards>,
}

impl AppState {
    pub fn new(store: Store, config: WebConfig) -> Self {
        Self {
            store,
            rules: Arc::new(appeals::RulesCache::new(config.time_zone.clone())),
            config: Arc::new(config),
            metrics: Arc::new(health::Metrics::new()),
            pages: Arc::new(common::page_cache::PageCache::default()),
            boards: Arc::new(frontoffice::boards::Boards::default()),
        }
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(site::pages::routes())
        .merge(auth::pages::routes())
        .merge(clients::pages::routes())
        .merge(org::pages::routes())
        .merge(audit::pages::routes())
        .merge(appeals::pages::routes())
        .merge(appeals::public::routes())
        .merge(metering::pages::routes())
        .merge(billing::pages::routes())
        .merge(payments::pages::routes())
        .merge(portal::pages::routes())
        .merge(portal::appeals::routes())
        .merge(portal::home_visits::routes())
        .merge(portal::settings::routes())
        .merge(portal::reset::routes())
        .merge(contracts::pages::routes())
        .merge(notices::pages::routes())
        .merge(info::pages::routes())
        .merge(info_points::pages::routes())
        .merge(news::pages::routes())
        .merge(frontoffice::pages::routes())
        .merge(frontoffice::booking::pages::routes())
        .merge(frontoffice::incidents::pages::routes())
        .merge(frontoffice::competences::pages::routes())
        .merge(frontoffice::home_visits::pages::routes())
        .nest(
            "/api/v1",
            Router::new()
                .merge(auth::api::routes())
                .merge(clients::api::routes())
                .merge(org::api::routes())
                .merge(audit::api::routes())
                .merge(appeals::api::routes())
                .merge(metering::api::routes())
                .merge(billing::api::routes())
                .merge(payments::api::routes())
                .merge(notices::api::routes())
                .merge(news::api::routes())
                .merge(frontoffice::api::routes())
                .merge(frontoffice::booking::api::routes())
                .merge(frontoffice::incidents::api::routes())
                .merge(frontoffice::competences::api::routes())
                .merge(frontoffice::home_visits::api::routes())
                .fallback(api_not_found),
        )
        .merge(openapi::routes())
        .merge(health::routes())
        .merge(assets::routes())
        .fallback(page_not_found)
        .layer(middleware::from_fn(common::body::inspect_body))
        .layer(middleware::from_fn(common::rejections::json_rejections))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn api_not_found() -> ApiError {
    WebError::NotFound("Такого адреса API нет.".into()).into()
}

async fn page_not_found() -> PageError {
    WebError::NotFound("Такой страницы нет.".into()).into()
}

/// Security headers, metrics and one structured log line per request. The path is logged
/// without its query string, which may carry personal data (a searched name or phone).
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    // Every span of the request (handlers, store methods) nests under this one, so a trace
    // shows where its time went, the database's included.
    let span = tracing::debug_span!("request", method = %method, route = %route);
    let mut res = next.run(req).instrument(span).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    state
        .metrics
        .observe(method.as_str(), &route, status, elapsed);
    tracing::info!(
        target: "abonent::http",
        method = %method,
        route = %route,
        status,
        ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    res
}

/// Serves the application on `listener` until `shutdown` completes, with client addresses
/// available to handlers (sign-in throttling and the audit log record them).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
