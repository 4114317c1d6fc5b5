//! Notification and answer-channel preferences in the personal account (PRT-02, ACC-01 §9.7):
//! the client chooses how answers to appeals and notices reach them. The personal account's inbox
//! always gets notices; e-mail uses the address the client confirmed at sign-up; SMS, phone and
//! post need a phone or an address on record. The choice is the client's card's own field,
//! audited, with the consent to notices by e-mail or SMS recorded.

use abonent_domain::clients::{format_phone, Channel};
use abonent_domain::validation::FieldErrors;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use crate::auth::client::CurrentClient;
use crate::auth::ClientIp;
use crate::common::layout::render;
use crate::common::portal_chrome::PortalChrome;
use crate::{AppState, PageError, WebError};
use axum_extra::extract::cookie::CookieJar;

pub fn routes() -> Router<AppState> {
    Router::new().route("/my/settings", get(page).post(save))
}

struct Choice {
    code: &'static str,
    label: String,
    /// Why it cannot be chosen, when it cannot.
    unavailable: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "portal/settings.html")]
struct SettingsPage {
    chrome: PortalChrome,
    choices: Vec<Choice>,
    selected: String,
    errors: FieldErrors,
    saved: bool,
    /// A choice made before the session ended, shown again but not saved yet.
    kept: bool,
}

/// A channel chosen when the session had ended: carried through signing in.
pub(crate) fn kept_channel(channel: &str) -> super::views::Kept {
    super::views::Kept {
        fields: vec![("keep_channel", channel.to_owned())],
        note: "Ваш выбор способа связи сохранён: после входа проверьте его и нажмите «Сохранить»."
            .into(),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn view(
    state: &AppState,
    me: &CurrentClient,
    selected: Option<String>,
    errors: FieldErrors,
    saved: bool,
) -> Result<SettingsPage, WebError> {
    let c = super::my_client(state, me).await?;
    // The card's phone, or the one the client confirmed by SMS at sign-up.
    let phone = c
        .phones
        .first()
        .or(me
            .user
            .phone
            .as_ref()
            .filter(|_| me.user.confirmed_at.is_some()))
        .map(|p| format_phone(p));
    let choices = Channel::ALL
        .iter()
        .map(|ch| {
            let (label, unavailable) = match ch {
                Channel::Portal => ("только в личном кабинете".to_owned(), None),
                Channel::Email => match &me.user.email {
                    Some(e) => (format!("по электронной почте на {e}"), None),
                    None => ("по электронной почте".to_owned(), Some(NO_EMAIL)),
                },
                Channel::Sms => match &phone {
                    Some(p) => (format!("СМС на {p}"), None),
                    None => ("СМС".to_owned(), Some(NO_PHONE)),
                },
                Channel::Phone => match &phone {
                    Some(p) => (format!("звонком на {p} (ответы на обращения)"), None),
                    None => ("по телефону".to_owned(), Some(NO_PHONE)),
                },
                Channel::Post => match &c.postal_address {
                    Some(a) => (format!("письмом по адресу {a}"), None),
                    None => ("почтой".to_owned(), Some(NO_ADDRESS)),
                },
            };
            Choice {
                code: ch.code(),
                label,
                unavailable,
            }
        })
        .collect();
    Ok(SettingsPage {
        chrome: PortalChrome {
            title: "Как с вами связываться".into(),
            email: Some(me.user.login()),
            csrf: me.csrf_token.clone(),
        },
        choices,
        kept: selected.is_some() && errors.is_empty() && !saved,
        selected: selected.unwrap_or_else(|| c.preferred_channel.code().to_owned()),
        errors,
        saved,
    })
}

const NO_PHONE: &str =
    "Вашего телефона нет в наших данных: сообщите его в центре обслуживания или по горячей линии.";
const NO_EMAIL: &str =
    "Личный кабинет открыт по номеру телефона, адреса электронной почты в нём нет.";
const NO_ADDRESS: &str =
    "Вашего почтового адреса нет в наших данных: сообщите его в центре обслуживания.";

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
    /// A choice kept through signing in again.
    #[serde(default)]
    typed: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn page(
    State(state): State<AppState>,
    me: CurrentClient,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let page = view(
        &state,
        &me,
        q.typed,
        FieldErrors::new(),
        !q.saved.is_empty(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    channel: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn save(
    State(state): State<AppState>,
    me: Result<CurrentClient, crate::auth::client::PortalRejection>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<SettingsForm>,
) -> Result<Response, PageError> {
    let Ok(me) = me else {
        // The session ended while the client chose: sign in again with the choice kept.
        return super::views::sign_in_again(
            &state,
            jar,
            &ip,
            ("client", "settings"),
            kept_channel(&f.channel),
        )
        .await;
    };
    me.check_csrf(&f.csrf)?;
    let c = super::my_client(&state, &me).await?;
    let client = c.id;
    let confirmed_phone = me
        .user
        .phone
        .as_deref()
        .filter(|_| me.user.confirmed_at.is_some());
    let refused = match Channel::parse(f.channel.trim()) {
        None => Err("Выберите способ связи."),
        Some(Channel::Sms | Channel::Phone) if c.phones.is_empty() && confirmed_phone.is_none() => {
            Err(NO_PHONE)
        }
        Some(Channel::Email) if me.user.email.is_none() => Err(NO_EMAIL),
        Some(Channel::Post) if c.postal_address.is_none() => Err(NO_ADDRESS),
        Some(ch) => Ok(ch),
    };
    match refused {
        Ok(ch) => {
            let email = me.user.email.as_deref().filter(|_| ch == Channel::Email);
            let phone = confirmed_phone.filter(|_| matches!(ch, Channel::Sms | Channel::Phone));
            super::set_my_channel(&state, &me, client, ch, email, phone).await?;
            Ok(Redirect::to("/my/settings?saved=1").into_response())
        }
        Err(msg) => {
            let page = view(
                &state,
                &me,
                Some(f.channel),
                FieldErrors::single("channel", msg),
                false,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}
