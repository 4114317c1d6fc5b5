//! Pages of the personal account (`/my`): they work without JavaScript and on a phone.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::{Cookie, CookieJar};
use axum_extra::extract::Form;
use serde::Deserialize;

use super::views::{notice, sign_in_again, Kept, LoginPage};
use super::{quick_reading, sign_in, sign_up, ClientSignIn, QuickReadingDraft, SignUpDraft};
use crate::auth::client::{portal_cookie, CurrentClient, PORTAL_COOKIE};
use crate::auth::ClientIp;
use crate::billing::{money, rule_label};
use crate::common::forms::{check_form_token, with_form_token};
use crate::common::layout::{render, ru_date};
use crate::common::portal_chrome::PortalChrome;
use crate::{AppState, PageError, WebError};
use abonent_domain::validation::FieldErrors;
use abonent_store::portal::PortalLogin;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/my", get(home))
        .route("/my/signup", get(signup_form).post(signup))
        .route("/my/confirm", get(confirm))
        .route("/my/confirm-phone", get(phone_form).post(phone_submit))
        .route("/my/login", get(login_form).post(login))
        .route("/my/logout", post(logout))
        .route("/my/accounts/{id}/invoices/{period}/pdf", get(invoice_pdf))
        .route("/my/meters/{id}/readings", post(reading))
        .route("/my/accounts/link", get(link_form).post(link_submit))
        .route("/readings", get(quick_form).post(quick_submit))
}

#[derive(Template)]
#[template(path = "portal/confirm_phone.html")]
struct PhonePage {
    chrome: PortalChrome,
    phone: String,
    code: String,
    errors: FieldErrors,
    /// What was just done: a code sent, or a new one sent.
    note: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct PhoneQuery {
    #[serde(default)]
    phone: String,
    #[serde(default)]
    sent: Option<String>,
}

fn phone_page(
    token: String,
    phone: &str,
    code: String,
    errors: FieldErrors,
    note: Option<String>,
) -> PhonePage {
    PhonePage {
        chrome: PortalChrome {
            title: "Подтверждение телефона".into(),
            email: None,
            csrf: token,
        },
        phone: match PortalLogin::parse(phone) {
            Some(l @ PortalLogin::Phone(_)) => l.shown(),
            _ => phone.to_owned(),
        },
        code,
        errors,
        note,
    }
}

/// The form for the code sent by SMS (after signing up with a phone).
#[tracing::instrument(level = "debug", skip_all)]
async fn phone_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<PhoneQuery>,
) -> Result<Response, PageError> {
    let (jar, token) = with_form_token(jar, &state);
    let note = q.sent.map(|_| {
        format!(
            "Личный кабинет открыт. Мы отправили СМС с кодом на {}: введите код, чтобы подтвердить телефон. Код действует 15 минут.",
            PortalLogin::parse(&q.phone).map_or(q.phone.clone(), |l| l.shown())
        )
    });
    let page = phone_page(token, &q.phone, String::new(), FieldErrors::new(), note);
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct PhoneForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
    /// `resend` asks for a new code.
    #[serde(default)]
    action: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn phone_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<PhoneForm>,
) -> Result<Response, PageError> {
    let resend = f.action == "resend";
    let result = match check_form_token(&jar, &f.csrf) {
        Ok(()) if resend => super::resend_phone_code(&state, &ip, &f.phone).await,
        Ok(()) => super::confirm_phone(&state, &ip, &f.phone, &f.code).await,
        Err(e) => Err(e),
    };
    let (jar, token) = with_form_token(jar, &state);
    match result {
        Ok(()) if !resend => Ok(render(&notice(
            "Телефон подтверждён",
            "Спасибо! Теперь войдите в личный кабинет с этим номером телефона и паролем.".into(),
            ("/my/login", "Войти"),
        ))?
        .into_response()),
        Ok(()) => {
            let note = Some(
                "Если этот номер ждёт подтверждения, мы отправили на него новый код; прежний больше не действует."
                    .to_owned(),
            );
            let page = phone_page(token, &f.phone, String::new(), FieldErrors::new(), note);
            Ok((jar, render(&page)?).into_response())
        }
        Err(e) => {
            let (status, errors) = e.on_form("code");
            let page = phone_page(token, &f.phone, f.code.clone(), errors, None);
            Ok((status, jar, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "portal/link.html")]
struct LinkPage {
    chrome: PortalChrome,
    account: String,
    code: String,
    errors: FieldErrors,
}

fn link_page(me: &CurrentClient, account: String, code: String, errors: FieldErrors) -> LinkPage {
    LinkPage {
        chrome: PortalChrome {
            title: "Добавить лицевой счёт".into(),
            email: Some(me.user.login()),
            csrf: me.csrf_token.clone(),
        },
        account,
        code,
        errors,
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn link_form(me: CurrentClient) -> Result<Response, PageError> {
    Ok(render(&link_page(
        &me,
        String::new(),
        String::new(),
        FieldErrors::new(),
    ))?
    .into_response())
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    code: String,
}

/// Another account into this personal account, by its number and invoice code.
#[tracing::instrument(level = "debug", skip_all)]
async fn link_submit(
    State(state): State<AppState>,
    me: CurrentClient,
    Form(f): Form<LinkForm>,
) -> Result<Response, PageError> {
    let result = match me.check_csrf(&f.csrf) {
        Ok(()) => super::link_account(&state, &me, &f.account, &f.code).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/my#acc-{id}")).into_response()),
        Err(e) => {
            let (status, errors) = e.on_form("code");
            let page = link_page(&me, f.account, f.code, errors);
            Ok((status, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "portal/signup.html")]
struct SignUpPage {
    chrome: PortalChrome,
    form: SignUpDraft,
    errors: FieldErrors,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn signup_form(State(state): State<AppState>, jar: CookieJar) -> Result<Response, PageError> {
    let (jar, token) = with_form_token(jar, &state);
    let page = SignUpPage {
        chrome: PortalChrome {
            title: "Регистрация в личном кабинете".into(),
            email: None,
            csrf: token,
        },
        form: SignUpDraft::default(),
        errors: FieldErrors::new(),
    };
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct SignUpForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    draft: SignUpDraft,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn signup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<SignUpForm>,
) -> Result<Response, PageError> {
    let result = match check_form_token(&jar, &f.csrf) {
        Ok(()) => sign_up(&state, &ip, &f.draft).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(PortalLogin::Email(email)) => Ok(render(&notice(
            "Подтвердите адрес",
            format!(
                "Личный кабинет открыт. Мы отправили письмо на {email}: откройте ссылку из него, \
                 чтобы подтвердить адрес, и войдите. Ссылка действует 3 дня."
            ),
            ("/my/login", "Ко входу в личный кабинет"),
        ))?
        .into_response()),
        // A phone: the form for the code from the SMS.
        Ok(PortalLogin::Phone(phone)) => {
            Ok(Redirect::to(&format!("/my/confirm-phone?phone={phone}&sent=1")).into_response())
        }
        Err(e) => {
            // The form again, with what was typed (not the passwords) and the reasons.
            let (status, errors) = e.on_form("form");
            let (jar, token) = with_form_token(jar, &state);
            let page = SignUpPage {
                chrome: PortalChrome {
                    title: "Регистрация в личном кабинете".into(),
                    email: None,
                    csrf: token,
                },
                form: SignUpDraft {
                    password: String::new(),
                    password_again: String::new(),
                    ..f.draft
                },
                errors,
            };
            Ok((status, jar, render(&page)?).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    #[serde(default)]
    token: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn confirm(
    State(state): State<AppState>,
    Query(q): Query<ConfirmQuery>,
) -> Result<Response, PageError> {
    let done = super::confirm_email(&state, &q.token).await?;
    Ok(match done {
        Some(_) => render(&notice(
            "Адрес подтверждён",
            "Спасибо! Теперь войдите в личный кабинет с этим адресом и паролем.".into(),
            ("/my/login", "Войти"),
        ))?
        .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            render(&notice(
                "Ссылка не действует",
                "Ссылка устарела или уже использована. Если адрес уже подтверждён — просто войдите; \
                 иначе зарегистрируйтесь заново через 3 дня или обратитесь в центр обслуживания."
                    .into(),
                ("/my/login", "Войти"),
            ))?,
        )
            .into_response(),
    })
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    expired: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn login_form(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let (jar, token) = with_form_token(jar, &state);
    let page = LoginPage::form(token, !q.expired.is_empty(), None);
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    keep_meter: Option<i64>,
    #[serde(default)]
    keep_values: String,
    /// A channel chosen in «Как с вами связываться» before the session ended.
    #[serde(default)]
    keep_channel: String,
    /// `1` when an appeal typed before the session ended comes along (the `appeal_…` fields).
    #[serde(default)]
    keep_appeal: String,
    #[serde(default)]
    appeal_account: String,
    #[serde(default)]
    appeal_kind: String,
    #[serde(default)]
    appeal_topic: String,
    #[serde(default)]
    appeal_text: String,
    #[serde(default)]
    appeal_answer_channel: String,
}

impl LoginForm {
    fn appeal(&self) -> Option<super::appeals::ClientAppealDraft> {
        (self.keep_appeal == "1").then(|| super::appeals::ClientAppealDraft {
            account: self.appeal_account.clone(),
            kind: self.appeal_kind.clone(),
            topic: self.appeal_topic.clone(),
            text: self.appeal_text.clone(),
            answer_channel: self.appeal_answer_channel.clone(),
        })
    }

    fn kept(&self) -> Option<Kept> {
        if let Some(meter) = self.keep_meter {
            return Some(kept_reading(meter, &self.keep_values));
        }
        if !self.keep_channel.is_empty() {
            return Some(super::settings::kept_channel(&self.keep_channel));
        }
        self.appeal().map(|d| super::appeals::kept_appeal(&d))
    }
}

pub(crate) fn kept_reading(meter: i64, values: &str) -> Kept {
    Kept {
        fields: vec![("keep_meter", meter.to_string()), ("keep_values", values.to_owned())],
        note: format!(
            "Введённые показания ({values}) сохранены: после входа проверьте их и нажмите «Передать»."
        ),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let outcome = match check_form_token(&jar, &f.csrf) {
        Err(e) => ClientSignIn::Refused(e),
        Ok(()) if f.email.trim().is_empty() || f.password.is_empty() => ClientSignIn::Refused(
            WebError::BadRequest("Введите адрес электронной почты и пароль.".into()),
        ),
        Ok(()) => sign_in(&state, &f.email, &f.password, &ip).await?,
    };
    match outcome {
        ClientSignIn::Ok { token } => {
            if let Some(draft) = f.appeal() {
                // The appeal form again, filled in, under the new session.
                if let Some(me) = super::session_of(&state, &token, &ip).await? {
                    let page = super::appeals::kept_form(&state, &me, draft).await?;
                    let jar = jar
                        .remove(Cookie::build(crate::common::forms::FORM_COOKIE).path("/"))
                        .add(portal_cookie(token, state.config.secure_cookies));
                    return Ok((jar, page).into_response());
                }
            }
            let jar = jar
                .remove(Cookie::build(crate::common::forms::FORM_COOKIE).path("/"))
                .add(portal_cookie(token, state.config.secure_cookies));
            let to = match f.keep_meter {
                Some(m) => format!(
                    "/my?meter={m}&typed={}#meter-{m}",
                    crate::common::download::enc(&f.keep_values)
                ),
                // The choice shown again, not yet saved.
                None if !f.keep_channel.is_empty() => {
                    format!(
                        "/my/settings?typed={}",
                        crate::common::download::enc(&f.keep_channel)
                    )
                }
                None => "/my".to_owned(),
            };
            Ok((jar, Redirect::to(&to)).into_response())
        }
        ClientSignIn::Refused(e) => {
            let (jar, token) = with_form_token(jar, &state);
            let message = match &e {
                WebError::BadCredentials => "Неверный адрес или пароль.".to_owned(),
                other => other.public_message(),
            };
            let page = LoginPage {
                chrome: PortalChrome {
                    title: "Вход в личный кабинет".into(),
                    email: None,
                    csrf: token,
                },
                email: f.email.clone(),
                error: Some(message),
                expired: false,
                keep: f.kept(),
            };
            Ok((e.status(), jar, render(&page)?).into_response())
        }
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn logout(
    State(state): State<AppState>,
    me: CurrentClient,
    jar: CookieJar,
    Form(f): Form<crate::common::forms::CsrfForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    super::sign_out(&state, &me).await?;
    let jar = jar.remove(Cookie::build(PORTAL_COOKIE).path("/"));
    Ok((jar, Redirect::to("/my/login")).into_response())
}

struct InvoiceLine {
    period: String,
    label: String,
    charged: String,
    closing: String,
    due_on: String,
    rule: &'static str,
}

struct PaymentLine {
    paid_on: String,
    amount: String,
    source: &'static str,
}

struct MeterBox {
    id: i64,
    serial: String,
    zones: i64,
    last: String,
    /// What the client typed and why it was refused, or what was accepted.
    typed: String,
    errors: FieldErrors,
    outcome: Option<super::ReadingNote>,
}

struct AccountBox {
    id: i64,
    number: String,
    address: String,
    owes: bool,
    balance: String,
    overdue: String,
    has_overdue: bool,
    invoices: Vec<InvoiceLine>,
    payments: Vec<PaymentLine>,
    meters: Vec<MeterBox>,
    /// The last twelve billed months: the charts and their numbers.
    chart_kwh: String,
    chart_rub: String,
    months: Vec<MonthLine>,
}

struct MonthLine {
    label: String,
    kwh: String,
    charged: String,
    /// A month whose net consumption or charge is below zero holds a recalculation: it is said
    /// so on its own line, never shown as negative consumption.
    recalc: Option<String>,
}

/// «К оплате» as people read it: an amount owed, or «переплата» — never a negative sum.
fn to_pay(kopecks: i64) -> String {
    if kopecks < 0 {
        format!("переплата {}", money(kopecks.saturating_neg()))
    } else {
        money(kopecks)
    }
}

const MONTHS_SHORT: [&str; 12] = [
    "янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек",
];

struct InboxLine {
    subject: String,
    body: String,
    at: String,
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage {
    chrome: PortalChrome,
    accounts: Vec<AccountBox>,
    inbox: Vec<InboxLine>,
    /// Announcements to everyone and to the districts of the user's accounts (outages first).
    news: Vec<crate::news::NewsLine>,
}

/// A reading form's state to show again on the page.
struct MeterState {
    meter_id: i64,
    typed: String,
    errors: FieldErrors,
    outcome: Option<super::ReadingNote>,
}

/// The account's invoices for the list, newest first.
fn invoice_lines(recent: &[(abonent_store::billing::InvoiceRow, i64)]) -> Vec<InvoiceLine> {
    recent
        .iter()
        .map(|(i, _)| InvoiceLine {
            label: abonent_domain::tariffs::Period::parse(&i.period)
                .map(|p| p.label_ru())
                .unwrap_or_else(|| i.period.clone()),
            charged: money(i.charged),
            closing: to_pay(i.closing),
            due_on: ru_date(&i.due_on),
            rule: rule_label(&i.rule),
            period: i.period.clone(),
        })
        .collect()
}

/// The account's latest payments, with where they were paid.
fn payment_lines(payments: Vec<abonent_store::payments::PaymentView>) -> Vec<PaymentLine> {
    payments
        .into_iter()
        .map(|p| PaymentLine {
            paid_on: ru_date(&p.paid_on),
            amount: money(p.amount),
            source: if p.source == "cashier" {
                "касса"
            } else {
                "банк"
            },
        })
        .collect()
}

/// The consumption and charge charts (oldest month first) and the same months as a table.
fn history(
    id: i64,
    recent: Vec<(abonent_store::billing::InvoiceRow, i64)>,
) -> (String, String, Vec<MonthLine>) {
    let mut kwh_bars = Vec::new();
    let mut rub_bars = Vec::new();
    let mut months = Vec::new();
    for (i, wh) in recent.into_iter().rev() {
        let (period, wh, charged) = (i.period, wh, i.charged);
        let p = abonent_domain::tariffs::Period::parse(&period);
        let short = p.map_or(period.clone(), |p| {
            format!(
                "{} {:02}",
                MONTHS_SHORT[(p.month - 1) as usize],
                p.year % 100
            )
        });
        let recalc = match (wh < 0, charged < 0) {
            (false, false) => None,
            (true, false) => Some(format!(
                "перерасчёт {}",
                abonent_domain::money::Wh(wh).display_kwh()
            )),
            (false, true) => Some(format!("перерасчёт {}", money(charged))),
            (true, true) => Some(format!(
                "перерасчёт {}, {}",
                abonent_domain::money::Wh(wh).display_kwh(),
                money(charged)
            )),
        };
        let (wh, charged) = (wh.max(0), charged.max(0));
        let kwh = abonent_domain::money::Wh(wh).display_kwh();
        kwh_bars.push(super::chart::Bar {
            label: short.clone(),
            value: wh,
            text: kwh.clone(),
        });
        rub_bars.push(super::chart::Bar {
            label: short,
            value: charged,
            text: money(charged),
        });
        months.push(MonthLine {
            label: p.map_or(period, |p| p.label_ru()),
            kwh,
            charged: money(charged),
            recalc,
        });
    }
    (
        super::chart::bars_svg(
            &format!("chart-kwh-{id}"),
            "Потребление по месяцам, кВт·ч",
            &kwh_bars,
        ),
        super::chart::bars_svg(
            &format!("chart-rub-{id}"),
            "Начислено по месяцам, ₽",
            &rub_bars,
        ),
        months,
    )
}

/// One account's box: balance, invoices, payments, charts and meters with the reading forms
/// (the one in `meter_state` keeps what was typed).
fn account_box(o: super::AccountOverview, meter_state: &mut Option<MeterState>) -> AccountBox {
    let id = o.account.id;
    let (a, b) = (o.account, o.balance);
    let invoices = invoice_lines(&o.recent);
    let payments = payment_lines(o.payments);
    let meters = o
        .meters
        .into_iter()
        .map(|m| {
            let mine = meter_state
                .take_if(|s| s.meter_id == m.id)
                .map(|s| (s.typed, s.errors, s.outcome));
            let (typed, errors, outcome) =
                mine.unwrap_or_else(|| (String::new(), FieldErrors::new(), None));
            MeterBox {
                id: m.id,
                serial: m.serial,
                zones: m.zones,
                last: m
                    .last_values
                    .clone()
                    .unwrap_or(m.initial_values)
                    .replace(',', ", "),
                typed,
                errors,
                outcome,
            }
        })
        .collect();
    let (chart_kwh, chart_rub, months) = history(id, o.recent);
    AccountBox {
        chart_kwh,
        chart_rub,
        months,
        id,
        number: a.number.clone(),
        address: a.address(),
        owes: b.balance >= 0,
        balance: money(b.balance.abs()),
        overdue: money(b.overdue),
        has_overdue: b.overdue > 0,
        invoices,
        payments,
        meters,
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn home_view(
    state: &AppState,
    me: &CurrentClient,
    meter_state: Option<MeterState>,
) -> Result<HomePage, WebError> {
    let tz = crate::common::clock::company_tz(state).clone();
    let data = super::home(state, me).await?;
    let mut meter_state = meter_state;
    let accounts = data
        .accounts
        .into_iter()
        .map(|o| account_box(o, &mut meter_state))
        .collect();
    let inbox = data
        .inbox
        .into_iter()
        .map(|m| InboxLine {
            subject: m.subject,
            body: m.body,
            at: m
                .sent_at
                .map(|t| crate::common::clock::format_time(t, &tz))
                .unwrap_or_default(),
        })
        .collect();
    let mut news: Vec<_> = data
        .news
        .iter()
        .map(|n| crate::news::NewsLine::of(n, &tz))
        .collect();
    news.sort_by_key(|n| !n.outage);
    Ok(HomePage {
        chrome: PortalChrome {
            title: "Личный кабинет".into(),
            email: Some(me.user.login()),
            csrf: me.csrf_token.clone(),
        },
        accounts,
        inbox,
        news,
    })
}

#[derive(Deserialize, Default)]
pub struct HomeQuery {
    /// After a reading was stored: its meter and id, to say how it was taken.
    #[serde(default)]
    meter: Option<i64>,
    #[serde(default)]
    reading: Option<i64>,
    /// A reading typed before the session ended, to send again.
    #[serde(default)]
    typed: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn home(
    State(state): State<AppState>,
    me: CurrentClient,
    Query(q): Query<HomeQuery>,
) -> Result<Response, PageError> {
    // Only a meter of the client's own accounts is shown (home_view lists just those).
    let ms = match (q.meter, q.reading) {
        (Some(meter_id), None) if q.typed.is_some() => Some(MeterState {
            meter_id,
            typed: q.typed.clone().unwrap_or_default(),
            errors: FieldErrors::single(
                "values",
                "Сеанс закончился, и показания не были переданы. Проверьте их и нажмите «Передать».",
            ),
            outcome: None,
        }),
        (Some(meter_id), Some(id)) => {
            super::my_reading(&state, &me, meter_id, id)
                .await?
                .map(|r| MeterState {
                    meter_id,
                    typed: String::new(),
                    errors: FieldErrors::new(),
                    outcome: Some(reading_outcome(&r)),
                })
        }
        _ => None,
    };
    Ok(render(&home_view(&state, &me, ms).await?)?.into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn invoice_pdf(
    State(state): State<AppState>,
    me: CurrentClient,
    Path((id, period)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    let (pdf, name) = super::invoice_pdf(&state, &me, id, &period).await?;
    Ok(crate::common::download::pdf_response(pdf, &name))
}

#[derive(Deserialize)]
pub struct ReadingForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    values: String,
}

/// A reading from the personal account: the same checks as at the counter (MTR-02, MTR-03).
#[tracing::instrument(level = "debug", skip_all)]
async fn reading(
    State(state): State<AppState>,
    me: Result<CurrentClient, crate::auth::client::PortalRejection>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Path(meter_id): Path<i64>,
    Form(f): Form<ReadingForm>,
) -> Result<Response, PageError> {
    let Ok(me) = me else {
        // The session ended while the client typed: sign in again with the reading kept.
        return sign_in_again(
            &state,
            jar,
            &ip,
            ("meter", &meter_id.to_string()),
            kept_reading(meter_id, &f.values),
        )
        .await;
    };
    if me.check_csrf(&f.csrf).is_err() {
        // A stale page (signed in again elsewhere): the reading is shown again, not sent.
        let ms = MeterState {
            meter_id,
            typed: f.values.clone(),
            errors: FieldErrors::single(
                "values",
                "Страница устарела, и показания не были переданы. Проверьте их и нажмите «Передать» ещё раз.",
            ),
            outcome: None,
        };
        let page = home_view(&state, &me, Some(ms)).await?;
        return Ok((StatusCode::FORBIDDEN, render(&page)?).into_response());
    }
    let result = super::send_reading(&state, &me, meter_id, &f.values).await;
    match result {
        // Post/redirect/get: a reload does not send the reading again, and the answer is light.
        Ok(r) => Ok(Redirect::to(&format!(
            "/my?meter={meter_id}&reading={}#meter-{meter_id}",
            r.id
        ))
        .into_response()),
        Err(WebError::Invalid(errors)) => {
            let ms = MeterState {
                meter_id,
                typed: f.values.clone(),
                errors,
                outcome: None,
            };
            let page = home_view(&state, &me, Some(ms)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// What the client is told about a stored reading.
fn reading_outcome(r: &abonent_store::metering::ReadingView) -> super::ReadingNote {
    let period = abonent_domain::tariffs::Period::parse(&r.period)
        .map(|p| p.label_ru())
        .unwrap_or_else(|| r.period.clone());
    match r.status.as_str() {
        "held" => super::ReadingNote::held(&r.note),
        "rejected" => super::ReadingNote::rejected(&r.note),
        _ => super::ReadingNote::accepted(format!(
            "Показания приняты и учтены за {period}: расход {} кВт·ч.",
            r.consumption_wh
                .values()
                .iter()
                .map(|&w| abonent_domain::money::Wh(w)
                    .display_kwh()
                    .trim_end_matches(" кВт·ч")
                    .to_owned())
                .collect::<Vec<_>>()
                .join(" / ")
        )),
    }
}

#[derive(Template)]
#[template(path = "portal/quick_reading.html")]
struct QuickReadingPage {
    chrome: PortalChrome,
    form: QuickReadingDraft,
    errors: FieldErrors,
    outcome: Option<super::ReadingNote>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn quick_form(State(state): State<AppState>, jar: CookieJar) -> Result<Response, PageError> {
    let (jar, token) = with_form_token(jar, &state);
    let page = QuickReadingPage {
        chrome: PortalChrome {
            title: "Передать показания".into(),
            email: None,
            csrf: token,
        },
        form: QuickReadingDraft::default(),
        errors: FieldErrors::new(),
        outcome: None,
    };
    Ok((jar, render(&page)?).into_response())
}

#[derive(Deserialize)]
pub struct QuickForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    draft: QuickReadingDraft,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn quick_submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(f): Form<QuickForm>,
) -> Result<Response, PageError> {
    let result = match check_form_token(&jar, &f.csrf) {
        Ok(()) => quick_reading(&state, &ip, &f.draft).await,
        Err(e) => Err(e),
    };
    let (jar, token) = with_form_token(jar, &state);
    let chrome = PortalChrome {
        title: "Передать показания".into(),
        email: None,
        csrf: token,
    };
    let (status, page) = match result {
        Ok(text) => (
            StatusCode::OK,
            QuickReadingPage {
                chrome,
                form: QuickReadingDraft {
                    account: f.draft.account,
                    serial: f.draft.serial,
                    values: String::new(),
                },
                errors: FieldErrors::new(),
                outcome: Some(text),
            },
        ),
        Err(e) => {
            let (status, errors) = e.on_form("form");
            (
                status,
                QuickReadingPage {
                    chrome,
                    form: f.draft,
                    errors,
                    outcome: None,
                },
            )
        }
    };
    Ok((status, jar, render(&page)?).into_response())
}
