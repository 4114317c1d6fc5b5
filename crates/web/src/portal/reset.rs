//! A forgotten password of the personal account: the client asks for a link by e-mail (the
//! answer is the same whether the address is known or not, and asking is throttled per address
//! and per IP), the link works once and for an hour, the new password ends every session.

use abonent_domain::clients::format_phone;
use abonent_domain::validation::FieldErrors;
use abonent_store::portal::PortalLogin;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::cookie::CookieJar;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::recovery::{reset_link_live, reset_password, send_link};
use super::views::notice;
use crate::auth::ClientIp;
use crate::common::forms::{check_form_token, with_form_token};
use crate::common::layout::render;
use crate::common::portal_chrome::PortalChrome;
use crate::{AppState, PageError, WebError};

/// How long a reset link works.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/my/reset", get(ask_form).post(ask))
        .route("/my/reset/new", get(new_form).post(set_new))
}

#[derive(Template)]
#[template(path = "portal/reset.html")]
struct AskPage {
    chrome: PortalChrome,
    email: String,
    errors: FieldErrors,
}

fn chrome(title: &str, csrf: String) -> PortalChrome {
    PortalChrome {
        title: title.into(),
        email: None,
        csrf,
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn ask_form(State(state): State<AppState>, jar: CookieJar) -> Result<Response, PageError> {
    let (jar, token) = with_form_token(jar, &state);
    let page = AskPage {
        chrome: chrome("Восстановление пароля", token),
        email: String::new(),
        errors: FieldErrors::new(),
    };
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct AskForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    email: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn ask(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<AskForm>,
) -> Result<Response, PageError> {
    let login = PortalLogin::parse(&f.email);
    let result = match (check_form_token(&jar, &f.csrf), &login) {
        (Err(e), _) => Err(e),
        (Ok(()), None) => Err(WebError::Invalid(FieldErrors::single(
            "email",
            "Укажите адрес электронной почты или номер телефона, с которым вы входите в личный кабинет.",
        ))),
        (Ok(()), Some(l)) => send_link(&state, &ip, l).await,
    };
    match (result, login) {
        (Ok(()), Some(PortalLogin::Phone(p))) => Ok(render(&notice(
            "Проверьте СМС",
            format!(
                "Если личный кабинет с номером {} есть, мы отправили на него СМС со ссылкой для \
                 нового пароля. Ссылка действует 1 час. СМС нет — обратитесь по телефону горячей линии.",
                format_phone(&p)
            ),
            ("/my/login", "Ко входу"),
        ))?
        .into_response()),
        (Ok(()), l) => Ok(render(&notice(
            "Проверьте почту",
            format!(
                "Если личный кабинет с адресом {} есть, мы отправили на него письмо со \
                 ссылкой для нового пароля. Ссылка действует 1 час. Письма нет — проверьте папку \
                 «Спам» или обратитесь по телефону горячей линии.",
                l.map(|l| l.shown()).unwrap_or_default()
            ),
            ("/my/login", "Ко входу"),
        ))?
        .into_response()),
        (Err(e), _) => {
            let (status, errors) = e.on_form("email");
            let (jar, token) = with_form_token(jar, &state);
            let page = AskPage {
                chrome: chrome("Восстановление пароля", token),
                email: f.email,
                errors,
            };
            Ok((status, jar, render(&page)?).into_response())
        }
    }
}

/// Sends the link when the address is a confirmed user's; every request counts against the
/// throttle, so the mailbox of someone else cannot be flooded.
#[derive(Template)]
#[template(path = "portal/reset_new.html")]
struct NewPage {
    chrome: PortalChrome,
    token: String,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn gone() -> Result<Response, PageError> {
    Ok((
        StatusCode::GONE,
        render(&notice(
            "Ссылка не действует",
            "Ссылка для нового пароля устарела или уже использована. Запросите новую.".into(),
            ("/my/reset", "Запросить ссылку"),
        ))?,
    )
        .into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn new_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<TokenQuery>,
) -> Result<Response, PageError> {
    if q.token.is_empty() || !reset_link_live(&state, &q.token).await? {
        return gone();
    }
    let (jar, csrf) = with_form_token(jar, &state);
    let page = NewPage {
        chrome: chrome("Новый пароль", csrf),
        token: q.token,
        errors: FieldErrors::new(),
    };
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct NewForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn set_new(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<NewForm>,
) -> Result<Response, PageError> {
    let mut e = FieldErrors::new();
    if let Err(err) = check_form_token(&jar, &f.csrf) {
        e.add("password", err.public_message());
    } else {
        abonent_domain::org::validate_password(&mut e, "password", &f.password);
        if f.password != f.password_again {
            e.add("password_again", "Пароли не совпадают.");
        }
    }
    if !e.is_empty() {
        let (jar, csrf) = with_form_token(jar, &state);
        let page = NewPage {
            chrome: chrome("Новый пароль", csrf),
            token: f.token,
            errors: e,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, jar, render(&page)?).into_response());
    }
    let pw = f.password.clone();
    let hash = crate::common::tokens::hash_password(pw).await?;
    let done = reset_password(&state, &f.token, &hash, &ip).await?;
    if done.is_none() {
        return gone();
    }
    Ok(render(&notice(
        "Пароль изменён",
        "Новый пароль сохранён, все прежние сеансы завершены. Войдите с новым паролем.".into(),
        ("/my/login", "Войти"),
    ))?
    .into_response())
}
