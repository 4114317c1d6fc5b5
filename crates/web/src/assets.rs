//! Static assets compiled into the binary: nothing is loaded from outside the server (PRT-03).

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::AppState;

const APP_CSS: &str = include_str!("../assets/app.css");
const FAVICON: &str = include_str!("../assets/favicon.svg");
const PRINT_JS: &str = include_str!("../assets/print.js");
const HALL_CSS: &str = include_str!("../assets/hall.css");
const HALL_JS: &str = include_str!("../assets/hall.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/assets/app.css",
            get(|| async { asset("text/css; charset=utf-8", APP_CSS) }),
        )
        .route(
            "/assets/print.js",
            get(|| async { asset("text/javascript; charset=utf-8", PRINT_JS) }),
        )
        .route(
            "/assets/hall.css",
            get(|| async { asset("text/css; charset=utf-8", HALL_CSS) }),
        )
        .route(
            "/assets/hall.js",
            get(|| async { asset("text/javascript; charset=utf-8", HALL_JS) }),
        )
        .route(
            "/assets/favicon.svg",
            get(|| async { asset("image/svg+xml", FAVICON) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}
