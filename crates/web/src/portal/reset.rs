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

use super::views::notice;
use super::{anonymous, throttle};
use crate::auth::ClientIp;
use crate::common::forms::{check_form_token, with_form_token};
use crate::common::layout::render;
use crate::common::portal_chrome::PortalChrome;
use crate::common::tokens::{random_token, token_hash};
use crate::{AppState, PageError, WebError};

/// How long a reset link works.
pub const RESET_TTL_MICROS: i64 = 3_600_000_000;

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
#[tracing::instrument(level = "debug", skip_all)]
async fn send_link(state: &AppState, ip: &str, login: &PortalLogin) -> Result<(), WebError> {
    let shown = login.shown();
    let key = format!("reset:{shown}");
    throttle(
        state,
        &key,
        ip,
        "portal.reset_throttled",
        " Или обратитесь по телефону горячей линии.",
    )
    .await?;
    let store = &state.store;
    store.record_login_attempt(&key, ip, false).await?;
    let token = random_token();
    let actor = anonymous(ip, &key);
    let Some((user, account)) = store
        .portal_reset_request(login, &token_hash(&token), RESET_TTL_MICROS)
        .await?
    else {
        store
            .audit(&actor, "portal.reset_unknown", "portal_user", &shown, "")
            .await?;
        return Ok(());
    };
    let client_id = match account {
        Some(a) => Some(store.account(a).await?.client_id),
        None => None,
    };
    let link = format!(
        "{}/my/reset/new?token={token}",
        state.config.public_url.trim_end_matches('/')
    );
    let message = match login {
        PortalLogin::Phone(phone) => abonent_store::outbox::NewMessage {
            channel: "sms".into(),
            recipient: phone.clone(),
            client_id,
            account_id: account,
            kind: "portal.reset".into(),
            subject: String::new(),
            body: format!("Новый пароль для личного кабинета (ссылка на 1 час): {link}"),
            ..Default::default()
        },
        PortalLogin::Email(email) => abonent_store::outbox::NewMessage {
            channel: "email".into(),
            recipient: email.clone(),
            client_id,
            account_id: account,
            kind: "portal.reset".into(),
                subject: "Новый пароль для личного кабинета".into(),
                body: format!(
                    "Здравствуйте!\n\nЧтобы задать новый пароль для личного кабинета, откройте \
                     ссылку (она действует 1 час и только один раз):\n\n{link}\n\n\
                     Если вы не просили новый пароль, ничего не делайте: прежний пароль действует.\n"
            ),
            ..Default::default()
        },
    };
    store.queue_message(&message, &actor).await?;
    store
        .audit(
            &actor,
            "portal.reset_sent",
            "portal_user",
            &user.to_string(),
            "",
        )
        .await?;
    Ok(())
}

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
    if q.token.is_empty() || !state.store.portal_reset_live(&token_hash(&q.token)).await? {
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
    let done = state
        .store
        .portal_reset_password(&token_hash(&f.token), &hash, &anonymous(&ip, "portal"))
        .await?;
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
