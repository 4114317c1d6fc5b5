//! The signed-in client of the personal account: a session separate from staff sessions (its own
//! cookie and table), the anti-forgery token of its forms, and the accounts it may see.

use abonent_store::audit::Actor;
use abonent_store::portal::PortalUser;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::client_ip;
use crate::common::forms::form_expired;
use crate::common::tokens::{same_secret, token_hash};
use crate::{AppState, WebError};

pub const PORTAL_COOKIE: &str = "abonent_portal";

/// The signed-in client of a request.
#[derive(Debug, Clone)]
pub struct CurrentClient {
    pub user: PortalUser,
    pub csrf_token: String,
    /// The accounts linked to this personal account (read with the session).
    pub accounts: Vec<i64>,
    pub token_hash: String,
    pub ip: String,
}

impl CurrentClient {
    pub fn actor(&self) -> Actor {
        Actor {
            staff_id: None,
            login: format!("client:{}", self.user.login()),
            ip: self.ip.clone(),
        }
    }

    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if same_secret(token, &self.csrf_token) {
            Ok(())
        } else {
            Err(form_expired())
        }
    }

    /// Refuses (as not found, and audited) an account that is not this client's.
    pub async fn require_account(&self, state: &AppState, account_id: i64) -> Result<(), WebError> {
        if self.accounts.contains(&account_id) {
            return Ok(());
        }
        state
            .store
            .audit(
                &self.actor(),
                "portal.denied",
                "account",
                &account_id.to_string(),
                "",
            )
            .await?;
        Err(WebError::NotFound(
            "Такого лицевого счёта нет в вашем личном кабинете.".into(),
        ))
    }
}

/// Not signed in: the sign-in form, coming back here afterwards.
pub struct PortalRejection(Response);

impl IntoResponse for PortalRejection {
    fn into_response(self) -> Response {
        self.0
    }
}

impl FromRequestParts<AppState> for CurrentClient {
    type Rejection = PortalRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        if let Some(c) = jar.get(PORTAL_COOKIE) {
            let hash = token_hash(c.value());
            match state.store.portal_session(&hash).await {
                Ok(Some(s)) => {
                    return Ok(CurrentClient {
                        user: s.user,
                        csrf_token: s.csrf_token,
                        accounts: s.accounts,
                        token_hash: hash,
                        ip: client_ip(parts),
                    })
                }
                Ok(None) => {}
                Err(e) => {
                    return Err(PortalRejection(
                        crate::PageError(WebError::from(e)).into_response(),
                    ))
                }
            }
        }
        Err(PortalRejection(
            Redirect::to("/my/login?expired=1").into_response(),
        ))
    }
}

pub fn portal_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((PORTAL_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .path("/")
        .build()
}
