//! The hall's devices (kiosks and displays) an administrator enrolled for a centre: a device
//! presents its token in a cookie (set once by the enrolment link) or in the
//! `X-Abonent-Device` header; only the token's SHA-256 is stored. Nobody else can print
//! tickets or watch the hall.

use abonent_store::frontoffice::queue::Device;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::common::tokens::token_hash;
use crate::{ApiError, AppState, PageError, WebError};

/// The cookie a kiosk or display keeps its token in.
pub const DEVICE_COOKIE: &str = "abonent_device";
/// The header an API caller presents a device token in.
pub const DEVICE_HEADER: &str = "x-abonent-device";

/// What a device does in the hall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    Kiosk,
    Display,
}

impl DeviceKind {
    pub fn code(self) -> &'static str {
        match self {
            DeviceKind::Kiosk => "kiosk",
            DeviceKind::Display => "display",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "kiosk" => Some(DeviceKind::Kiosk),
            "display" => Some(DeviceKind::Display),
            _ => None,
        }
    }

    pub fn label_ru(self) -> &'static str {
        match self {
            DeviceKind::Kiosk => "киоск выдачи талонов",
            DeviceKind::Display => "табло зала",
        }
    }
}

/// An enrolled, not revoked device that presented its token.
#[derive(Debug, Clone)]
pub struct HallDevice(pub Device);

impl HallDevice {
    /// The device, if it serves `centre_id` as `kind`.
    pub fn check(&self, centre_id: i64, kind: DeviceKind) -> Result<&Device, WebError> {
        if self.0.centre_id == centre_id && self.0.kind == kind.code() {
            Ok(&self.0)
        } else {
            Err(not_enrolled())
        }
    }
}

fn not_enrolled() -> WebError {
    WebError::Forbidden(
        "Это устройство не зарегистрировано для этого центра обслуживания. Попросите \
         администратора выдать ссылку подключения киоска или табло."
            .into(),
    )
}

/// The `Set-Cookie` value of a device after enrolment: HttpOnly, same-site only, kept for a
/// year so the kiosk's browser keeps it across restarts. The token is URL-safe.
pub fn device_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{DEVICE_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000{secure}")
}

/// A refused device: JSON for the API, a page otherwise.
pub struct DeviceRejection {
    api: bool,
    error: WebError,
}

impl IntoResponse for DeviceRejection {
    fn into_response(self) -> Response {
        if self.api {
            ApiError(self.error).into_response()
        } else {
            PageError(self.error).into_response()
        }
    }
}

impl FromRequestParts<AppState> for HallDevice {
    type Rejection = DeviceRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let api = parts.uri.path().starts_with("/api/")
            || parts
                .extensions
                .get::<axum::extract::OriginalUri>()
                .is_some_and(|u| u.0.path().starts_with("/api/"));
        let reject = |error| DeviceRejection { api, error };
        let token = parts
            .headers
            .get(DEVICE_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| {
                CookieJar::from_headers(&parts.headers)
                    .get(DEVICE_COOKIE)
                    .map(|c| c.value().to_owned())
            })
            .filter(|t| !t.is_empty() && t.len() <= 200);
        let Some(token) = token else {
            return Err(reject(not_enrolled()));
        };
        match state.store.device_by_token(&token_hash(&token)).await {
            Ok(Some(d)) => Ok(HallDevice(d)),
            Ok(None) => Err(reject(not_enrolled())),
            Err(e) => Err(reject(e.into())),
        }
    }
}
