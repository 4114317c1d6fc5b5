//! Pages the portal's adapters share: the sign-in page (also shown when a session ended
//! mid-form, keeping what was typed) and the one-message notice page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

use crate::common::forms::with_form_token;
use crate::common::layout::render;
use crate::common::portal_chrome::PortalChrome;
use crate::{AppState, PageError};

#[derive(Template)]
#[template(path = "portal/notice.html")]
pub struct NoticePage {
    chrome: PortalChrome,
    heading: String,
    text: String,
    link: (String, String),
}

pub fn notice(title: &str, text: String, link: (&str, &str)) -> NoticePage {
    NoticePage {
        chrome: PortalChrome {
            title: title.into(),
            email: None,
            csrf: String::new(),
        },
        heading: title.into(),
        text,
        link: (link.0.into(), link.1.into()),
    }
}

#[derive(Template)]
#[template(path = "portal/login.html")]
pub struct LoginPage {
    pub chrome: PortalChrome,
    pub email: String,
    pub error: Option<String>,
    pub expired: bool,
    /// What was typed when the session ended: carried through the sign-in, shown again after.
    pub keep: Option<Kept>,
}

impl LoginPage {
    /// The empty sign-in form with its one-time token; `expired` says the session ended.
    pub fn form(token: String, expired: bool, keep: Option<Kept>) -> Self {
        Self {
            chrome: PortalChrome {
                title: "Вход в личный кабинет".into(),
                email: None,
                csrf: token,
            },
            email: String::new(),
            error: None,
            expired,
            keep,
        }
    }
}

/// A form typed when the session ended, as hidden fields of the sign-in form, with a note.
pub struct Kept {
    pub fields: Vec<(&'static str, String)>,
    pub note: String,
}

/// The sign-in page after the session ended mid-form (401), keeping what was typed; audited.
pub async fn sign_in_again(
    state: &AppState,
    jar: CookieJar,
    ip: &str,
    object: (&str, &str),
    kept: Kept,
) -> Result<Response, PageError> {
    state
        .store
        .audit(
            &super::anonymous(ip, "portal"),
            "portal.session_expired",
            object.0,
            object.1,
            "input kept for after sign-in",
        )
        .await?;
    let (jar, token) = with_form_token(jar, state);
    let page = LoginPage::form(token, true, Some(kept));
    Ok((StatusCode::UNAUTHORIZED, jar, render(&page)?).into_response())
}
