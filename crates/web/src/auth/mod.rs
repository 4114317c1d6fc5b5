//! Staff sign-in, sessions, CSRF and authorisation (ORG-03, ORG-04).
//!
//! A session is a random 256-bit token in an HttpOnly, SameSite=Lax cookie (pages) or an
//! `Authorization: Bearer` header (API); the database keeps only its SHA-256. Each session has a
//! CSRF token that every form and every cookie-authenticated API write must echo. Rights are
//! checked here, on the server, through [`CurrentStaff::require`].

pub mod api;
pub mod client;
pub mod pages;

use std::net::SocketAddr;

use abonent_domain::org::{validate_password, Permission, Role};
use abonent_domain::validation::FieldErrors;
use abonent_store::audit::Actor;
use abonent_store::org::Staff;
use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::common::tokens::{random_token, same_secret, token_hash};
use crate::{ApiError, AppState, WebError};

pub const SESSION_COOKIE: &str = "abonent_session";
pub const LOGIN_CSRF_COOKIE: &str = "abonent_login_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A browser-session cookie; the server ends the session after its TTL whatever the browser does.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .build()
}

/// The client address as seen by this server.
pub fn client_ip(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default()
}

/// Whether the request is for the JSON API (the nested API router sees its path without the
/// `/api/v1` prefix, so the original URI decides).
fn is_api(parts: &Parts) -> bool {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| parts.uri.path(), |u| u.0.path())
        .starts_with("/api/")
}

/// The signed-in staff member of this request.
#[derive(Debug, Clone)]
pub struct CurrentStaff {
    pub staff: Staff,
    pub role: Role,
    pub csrf_token: String,
    pub token_hash: String,
    /// Authenticated by a bearer token (no cookie, so no CSRF risk).
    pub via_bearer: bool,
    pub ip: String,
    /// The time zone of the staff member's branch (the company's when it has none): dates and
    /// times this person sees and types.
    pub zone: jiff::tz::TimeZone,
}

impl CurrentStaff {
    pub fn can(&self, p: Permission) -> bool {
        self.role.can(p)
    }

    /// Refuses the action unless the role has the right.
    pub fn require(&self, p: Permission) -> Result<(), WebError> {
        if self.can(p) {
            Ok(())
        } else {
            Err(WebError::forbidden())
        }
    }

    /// Like [`require`](Self::require), and a refusal that touches personal data is audited.
    pub async fn require_audited(
        &self,
        state: &AppState,
        p: Permission,
        object_kind: &str,
        object_id: &str,
    ) -> Result<(), WebError> {
        if self.can(p) {
            return Ok(());
        }
        state
            .store
            .audit(
                &self.actor(),
                "access.denied",
                object_kind,
                object_id,
                &format!("{p:?}"),
            )
            .await?;
        Err(WebError::forbidden())
    }

    pub fn actor(&self) -> Actor {
        Actor {
            staff_id: Some(self.staff.id),
            login: self.staff.login.clone(),
            ip: self.ip.clone(),
        }
    }

    /// Checks the CSRF token of a form.
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if same_secret(token, &self.csrf_token) {
            Ok(())
        } else {
            Err(WebError::Forbidden(
                "Форма устарела или отправлена не с этой страницы. Обновите страницу и повторите."
                    .into(),
            ))
        }
    }
}

/// Why a request has no staff member: pages redirect to sign-in, the API answers 401.
pub struct AuthRejection {
    api: bool,
    error: WebError,
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        if self.api {
            ApiError(self.error).into_response()
        } else if matches!(self.error, WebError::Unauthorized) {
            Redirect::to("/login").into_response()
        } else {
            crate::PageError(self.error).into_response()
        }
    }
}

async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Option<CurrentStaff>, WebError> {
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let (token, via_bearer) = match bearer {
        Some(t) => (t, true),
        None => {
            let jar = CookieJar::from_headers(&parts.headers);
            match jar.get(SESSION_COOKIE) {
                Some(c) => (c.value().to_owned(), false),
                None => return Ok(None),
            }
        }
    };
    let hash = token_hash(&token);
    let Some(session) = state.store.session(&hash).await? else {
        return Ok(None);
    };
    let role = session.staff.role;
    let zone = crate::common::clock::zone_or(&session.staff.time_zone, &state.config.time_zone);
    let me = CurrentStaff {
        zone,
        staff: session.staff,
        role,
        csrf_token: session.csrf_token,
        token_hash: hash,
        via_bearer,
        ip: client_ip(parts),
    };
    // Cookie-authenticated API writes must carry the CSRF token in a header.
    let is_api = is_api(parts);
    let writes = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if is_api && writes && !via_bearer {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        me.check_csrf(sent)?;
    }
    Ok(Some(me))
}

impl FromRequestParts<AppState> for CurrentStaff {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let api = is_api(parts);
        match resolve(parts, state).await {
            Ok(Some(s)) => Ok(s),
            Ok(None) => Err(AuthRejection {
                api,
                error: WebError::Unauthorized,
            }),
            Err(error) => Err(AuthRejection { api, error }),
        }
    }
}

impl OptionalFromRequestParts<AppState> for CurrentStaff {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        let api = is_api(parts);
        resolve(parts, state)
            .await
            .map_err(|error| AuthRejection { api, error })
    }
}

/// Outcome of a sign-in attempt.
pub enum SignIn {
    Ok {
        staff: Box<Staff>,
        token: String,
        csrf: String,
    },
    Refused(WebError),
}

/// Verifies a login and password with throttling and auditing; on success creates a session.
pub async fn sign_in(
    state: &AppState,
    login: &str,
    password: &str,
    ip: &str,
) -> Result<SignIn, WebError> {
    let login = login.trim().to_lowercase();
    let store = &state.store;
    let cfg = &state.config;
    let (by_login, by_ip) = store
        .recent_failures(&login, ip, cfg.throttle_window.as_micros() as i64)
        .await?;
    let actor = Actor {
        staff_id: None,
        login: login.clone(),
        ip: ip.to_owned(),
    };
    if by_login >= cfg.max_failures_per_login || by_ip >= cfg.max_failures_per_ip {
        store
            .audit(&actor, "login.throttled", "staff", &login, "")
            .await?;
        let minutes = cfg.throttle_window.as_secs().div_ceil(60);
        return Ok(SignIn::Refused(WebError::TooManyRequests(format!(
            "Слишком много неудачных попыток входа. Повторите через {minutes} мин. или обратитесь к администратору."
        ))));
    }
    let creds = store.staff_credentials(&login).await?;
    let pw = password.to_owned();
    let hash = creds
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| abonent_domain::password::dummy_hash().to_owned());
    let ok = tokio::task::spawn_blocking(move || abonent_domain::password::verify(&pw, &hash))
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    match creds {
        Some((staff, _)) if ok && staff.active => {
            store.record_login_attempt(&login, ip, true).await?;
            let token = random_token();
            let csrf = random_token();
            store
                .create_session(
                    &token_hash(&token),
                    staff.id,
                    &csrf,
                    ip,
                    cfg.session_ttl.as_micros() as i64,
                )
                .await?;
            let actor = Actor {
                staff_id: Some(staff.id),
                ..actor
            };
            store
                .audit(&actor, "login.success", "staff", &staff.id.to_string(), "")
                .await?;
            Ok(SignIn::Ok {
                staff: Box::new(staff),
                token,
                csrf,
            })
        }
        other => {
            store.record_login_attempt(&login, ip, false).await?;
            let why = match other {
                Some((s, _)) if ok && !s.active => "inactive",
                Some(_) => "wrong password",
                None => "unknown login",
            };
            store
                .audit(&actor, "login.failure", "staff", &login, why)
                .await?;
            Ok(SignIn::Refused(WebError::BadCredentials))
        }
    }
}

/// The client address of a request (empty when the server runs without connect info, as in
/// in-process tests).
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// Checks and applies a password change; ends every session of this staff member.
pub async fn apply_password_change(
    state: &AppState,
    me: &CurrentStaff,
    current: &str,
    new: &str,
    again: &str,
) -> Result<(), WebError> {
    let mut e = FieldErrors::new();
    let (_, hash) = state
        .store
        .staff_credentials(&me.staff.login)
        .await?
        .ok_or(WebError::Unauthorized)?;
    let cur = current.to_owned();
    let ok = tokio::task::spawn_blocking(move || abonent_domain::password::verify(&cur, &hash))
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    if !ok {
        e.add("current_password", "Текущий пароль введён неверно.");
    }
    validate_password(&mut e, "new_password", new);
    if new != again {
        e.add("new_password_again", "Пароли не совпадают.");
    }
    if new == current && e.get("new_password").is_none() {
        e.add(
            "new_password",
            "Новый пароль должен отличаться от текущего.",
        );
    }
    e.into_result(())?;
    let pw = new.to_owned();
    let hash = crate::common::tokens::hash_password(pw).await?;
    state.store.set_staff_password(me.staff.id, &hash).await?;
    state
        .store
        .audit(
            &me.actor(),
            "password.change",
            "staff",
            &me.staff.id.to_string(),
            "",
        )
        .await?;
    Ok(())
}

/// Ends this session (the API's sign-out).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn end_session(state: &AppState, me: &CurrentStaff) -> Result<(), WebError> {
    state.store.delete_session(&me.token_hash).await?;
    Ok(())
}

/// Ends this session and audits the sign-out (the pages' «Выйти»).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn sign_out(state: &AppState, me: &CurrentStaff) -> Result<(), WebError> {
    state.store.delete_session(&me.token_hash).await?;
    state
        .store
        .audit(&me.actor(), "logout", "staff", &me.staff.id.to_string(), "")
        .await?;
    Ok(())
}

/// The permissions `/me` reports, by name, that this person has.
#[tracing::instrument(level = "debug", skip_all)]
pub fn permission_names(me: &CurrentStaff) -> Vec<String> {
    [
        Permission::ViewClients,
        Permission::EditClients,
        Permission::AdministerOrganisation,
        Permission::ViewAudit,
        Permission::ViewAppeals,
        Permission::RegisterAppeals,
        Permission::AssignAppeals,
        Permission::HandleAppeals,
        Permission::ConfigureAppeals,
    ]
    .into_iter()
    .filter(|p| me.can(*p))
    .map(|p| format!("{p:?}"))
    .collect()
}

/// The layout of a staff page: the navigation this person may use.
impl crate::common::layout::Chrome {
    pub fn for_staff(title: &str, s: &CurrentStaff, section: &'static str) -> Self {
        Self {
            title: title.to_owned(),
            user: Some(crate::common::layout::ChromeUser {
                name: s.staff.full_name.clone(),
                role: s.role.label_ru().to_owned(),
                can_clients: s.can(Permission::ViewClients),
                can_admin: s.can(Permission::AdministerOrganisation),
                can_audit: s.can(Permission::ViewAudit),
                can_appeals: s.can(Permission::ViewAppeals),
                can_billing: s.can(Permission::ViewBilling),
                can_notices: s.can(Permission::ConfigureNotices),
                can_info: s.can(Permission::EditPublicPages),
                can_queue: s.can(Permission::ServeVisitors) || s.can(Permission::ViewVisits),
                incidents_href: if s.can(Permission::ViewIncidents) {
                    Some("/incidents")
                } else if s.can(Permission::RecordIncidents) {
                    Some("/incidents/new")
                } else {
                    None
                },
            }),
            csrf: s.csrf_token.clone(),
            section,
        }
    }
}
