//! Billing pages of the workspace and the public tariff page.

use abonent_domain::accounts::AccountCategory;
use abonent_domain::money::Wh;
use abonent_domain::restriction::CaseStatus;
use abonent_domain::tariffs::{Norm, Tariff, TariffDraft, NORM_RESIDENTS, NORM_ROOMS};
use abonent_domain::validation::FieldErrors;
use abonent_store::billing::{BillingSettings, PeriodRow};
use abonent_store::restriction::{next_steps, step_label, RestrictionCase, RestrictionStep};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::Rights;
use super::{money, rate_label, rule_label, StepDraft};
use crate::auth::CurrentStaff;
use crate::common::clock::format_time;
use crate::common::clock::today_in;
use crate::common::download::pdf_response;
use crate::common::forms::Opt;
use crate::common::layout::{render, ru_date, Chrome};
use crate::{AppState, PageError, WebError};
use abonent_domain::payments::PaymentDraft;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/billing", get(index))
        .route("/billing/print", get(print_batch))
        .route("/billing/tariffs", get(tariffs_page).post(tariff_save))
        .route("/billing/norms/{category}", post(norms_save))
        .route("/billing/settings", post(settings_save))
        .route(
            "/billing/announcements",
            get(announcements_page).post(announcement_save),
        )
        .route("/billing/restrictions", get(restrictions_page))
        .route(
            "/billing/restrictions/delivery-list",
            get(delivery_list_page).post(delivery_list_save),
        )
        .route("/billing/restrictions/{id}", get(case_page).post(case_step))
        .route("/billing/restrictions/{id}/deliveries", post(case_delivery))
        .route("/accounts/{id}/billing", get(account_page))
        .route("/accounts/{id}/payments", post(payment_take))
        .route("/accounts/{id}/invoices/{period}", get(invoice_page))
        .route("/accounts/{id}/invoices/{period}/pdf", get(invoice_pdf))
        .route("/accounts/{id}/invoices/{period}/email", post(invoice_mail))
        .route("/tariffs", get(public_tariffs))
}

fn category_label(code: &str) -> String {
    AccountCategory::parse(code).map_or(code.to_owned(), |c| c.label_ru().to_owned())
}

fn categories() -> Vec<Opt> {
    AccountCategory::ALL
        .iter()
        .map(|c| Opt {
            code: c.code().into(),
            label: c.label_ru().into(),
        })
        .collect()
}

/// A period row for people.
pub struct PeriodLine {
    pub period: String,
    pub label: String,
    pub status: &'static str,
    pub accounts: i64,
    pub charged: String,
    pub closed: String,
}

#[derive(Template)]
#[template(path = "billing/index.html")]
struct IndexPage {
    chrome: Chrome,
    periods: Vec<PeriodLine>,
    settlements: Vec<String>,
    closed: Vec<String>,
    can_import: bool,
    open_cases: usize,
    can_review: bool,
    held: usize,
}

fn period_lines(rows: Vec<PeriodRow>, tz: &jiff::tz::TimeZone) -> Vec<PeriodLine> {
    rows.into_iter()
        .map(|p| PeriodLine {
            label: abonent_domain::tariffs::Period::parse(&p.period)
                .map(|x| x.label_ru())
                .unwrap_or_default(),
            status: if p.status == "closed" {
                "закрыт"
            } else {
                "идёт расчёт"
            },
            accounts: p.accounts,
            charged: money(p.charged),
            closed: p.closed_at.map(|t| format_time(t, tz)).unwrap_or_default(),
            period: p.period,
        })
        .collect()
}

#[tracing::instrument(level = "debug", skip_all)]
async fn index(State(state): State<AppState>, me: CurrentStaff) -> Result<Response, PageError> {
    let o = super::overview(&state, &me).await?;
    let rows = o.periods;
    let closed = rows
        .iter()
        .filter(|p| p.status == "closed")
        .map(|p| p.period.clone())
        .collect();
    let page = IndexPage {
        chrome: Chrome::for_staff("Расчёты", &me, "billing"),
        periods: period_lines(rows, &me.zone),
        settlements: o.settlements,
        closed,
        can_import: Rights::may_import(&me),
        open_cases: o.open_cases,
        can_review: Rights::may_review_readings(&me),
        held: o.held,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize, Default)]
pub struct PrintParams {
    #[serde(default)]
    period: String,
    #[serde(default)]
    settlement: String,
    #[serde(default)]
    street: String,
}

/// One print-ready PDF of a settlement's (or street's) invoices for hand delivery.
#[tracing::instrument(level = "debug", skip_all)]
async fn print_batch(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<PrintParams>,
) -> Result<Response, PageError> {
    let (pdf, period) = super::batch_pdf(&state, &me, &p.period, &p.settlement, &p.street).await?;
    Ok(pdf_response(pdf, &format!("scheta-{period}.pdf")))
}

/// A tariff for the page.
pub struct TariffLine {
    pub valid_from: String,
    pub category: String,
    pub single: String,
    pub day: String,
    pub night: String,
    pub peak: String,
    pub half_peak: String,
    pub day_hours: String,
    pub night_hours: String,
    pub peak_hours: String,
    pub half_peak_hours: String,
    pub basis: String,
}

fn tariff_lines(t: Vec<Tariff>) -> Vec<TariffLine> {
    t.into_iter()
        .map(|t| TariffLine {
            category: category_label(&t.category),
            single: rate_label(t.single),
            day: rate_label(t.day),
            night: rate_label(t.night),
            peak: rate_label(t.peak),
            half_peak: rate_label(t.half_peak),
            valid_from: t.valid_from,
            day_hours: t.day_hours,
            night_hours: t.night_hours,
            peak_hours: t.peak_hours,
            half_peak_hours: t.half_peak_hours,
            basis: t.basis,
        })
        .collect()
}

/// A category's norm table: rows of rooms, cells of residents (kWh text).
pub struct NormTable {
    pub category: String,
    pub label: String,
    pub rows: Vec<(i64, Vec<(i64, String)>)>,
}

fn norm_tables(norms: &[Norm]) -> Vec<NormTable> {
    AccountCategory::ALL
        .iter()
        .map(|c| NormTable {
            category: c.code().into(),
            label: c.label_ru().into(),
            rows: (1..=NORM_ROOMS)
                .map(|r| {
                    (
                        r,
                        (1..=NORM_RESIDENTS)
                            .map(|p| {
                                let v = norms
                                    .iter()
                                    .find(|n| {
                                        n.category == c.code() && n.rooms == r && n.residents == p
                                    })
                                    .map(|n| {
                                        Wh(n.wh).display_kwh().trim_end_matches(" кВт·ч").to_owned()
                                    })
                                    .unwrap_or_default();
                                (p, v)
                            })
                            .collect(),
                    )
                })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "billing/tariffs.html")]
struct TariffsPage {
    chrome: Chrome,
    tariffs: Vec<TariffLine>,
    norms: Vec<NormTable>,
    settings: SettingsForm,
    can_edit: bool,
    form: TariffDraft,
    categories: Vec<Opt>,
    errors: FieldErrors,
    /// Which form the errors belong to: `tariff`, `settings` or a category.
    errors_for: String,
    tariff_errors: FieldErrors,
    settings_errors: FieldErrors,
    done: bool,
}

/// Billing settings as text fields.
#[derive(Deserialize, Default, Clone)]
pub struct SettingsForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    due_day: String,
    /// Percent: «16,5».
    #[serde(default)]
    key_rate: String,
    #[serde(default)]
    cap: String,
    #[serde(default)]
    warning_days: String,
    #[serde(default)]
    payee_name: String,
    #[serde(default)]
    payee_inn: String,
    #[serde(default)]
    payee_kpp: String,
    #[serde(default)]
    personal_acc: String,
    #[serde(default)]
    bank_name: String,
    #[serde(default)]
    bic: String,
    #[serde(default)]
    corresp_acc: String,
}

fn percent(bp: i64) -> String {
    let s = format!("{},{:02}", bp / 100, bp % 100);
    s.trim_end_matches('0').trim_end_matches(',').to_owned()
}

/// «16,5» → 1650 basis points.
fn parse_percent(s: &str) -> Option<i64> {
    let t = s.trim().trim_end_matches('%').trim().replace(',', ".");
    let (w, f) = t.split_once('.').unwrap_or((&t, ""));
    if w.is_empty() || f.len() > 2 || !w.chars().chain(f.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(w.parse::<i64>().ok()? * 100 + format!("{f:0<2}").parse::<i64>().ok()?)
}

impl SettingsForm {
    fn of(s: &BillingSettings) -> Self {
        Self {
            csrf: String::new(),
            due_day: s.due_day.to_string(),
            key_rate: percent(s.key_rate_bp),
            cap: s.cap_bp.map(percent).unwrap_or_default(),
            warning_days: s.warning_days.to_string(),
            payee_name: s.payee_name.clone(),
            payee_inn: s.payee_inn.clone(),
            payee_kpp: s.payee_kpp.clone(),
            personal_acc: s.personal_acc.clone(),
            bank_name: s.bank_name.clone(),
            bic: s.bic.clone(),
            corresp_acc: s.corresp_acc.clone(),
        }
    }

    fn parse(&self) -> Result<BillingSettings, FieldErrors> {
        let mut e = FieldErrors::new();
        let int = |e: &mut FieldErrors, f: &str, v: &str| match v.trim().parse::<i64>() {
            Ok(n) => n,
            Err(_) => {
                e.add(f, "Введите целое число.");
                0
            }
        };
        let due_day = int(&mut e, "due_day", &self.due_day);
        let warning_days = int(&mut e, "warning_days", &self.warning_days);
        let key_rate_bp = parse_percent(&self.key_rate).unwrap_or_else(|| {
            e.add("key_rate_bp", "Ставка в процентах, например 16,5.");
            0
        });
        let cap_bp = if self.cap.trim().is_empty() {
            None
        } else {
            Some(parse_percent(&self.cap).unwrap_or_else(|| {
                e.add("cap_bp", "Ставка в процентах, например 9,5, или пусто.");
                0
            }))
        };
        let s = BillingSettings {
            due_day,
            key_rate_bp,
            cap_bp,
            warning_days,
            payee_name: self.payee_name.trim().to_owned(),
            payee_inn: self.payee_inn.trim().to_owned(),
            payee_kpp: self.payee_kpp.trim().to_owned(),
            personal_acc: self.personal_acc.trim().to_owned(),
            bank_name: self.bank_name.trim().to_owned(),
            bic: self.bic.trim().to_owned(),
            corresp_acc: self.corresp_acc.trim().to_owned(),
        };
        if e.is_empty() {
            super::validate_settings(&s)?;
        }
        e.into_result(s)
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn tariffs_view(
    state: &AppState,
    me: &CurrentStaff,
    form: TariffDraft,
    settings: Option<SettingsForm>,
    errors: FieldErrors,
    errors_for: &str,
    done: bool,
) -> Result<TariffsPage, WebError> {
    Rights::view(me)?;
    let norms = super::norms(state, me).await?;
    let tables = norm_tables(&norms);
    Ok(TariffsPage {
        chrome: Chrome::for_staff("Тарифы и нормативы", me, "billing"),
        tariffs: tariff_lines(super::tariffs(state, me).await?),
        norms: tables,
        settings: match settings {
            Some(s) => s,
            None => SettingsForm::of(&super::settings(state, me).await?),
        },
        can_edit: Rights::may_configure(me),
        form,
        categories: categories(),
        tariff_errors: if errors_for == "tariff" {
            errors.clone()
        } else {
            FieldErrors::new()
        },
        settings_errors: if errors_for == "settings" {
            errors.clone()
        } else {
            FieldErrors::new()
        },
        errors,
        errors_for: errors_for.to_owned(),
        done,
    })
}

#[derive(Deserialize, Default)]
pub struct DoneParam {
    #[serde(default)]
    done: Option<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn tariffs_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(p): Query<DoneParam>,
) -> Result<Response, PageError> {
    let form = TariffDraft {
        category: "urban".into(),
        ..Default::default()
    };
    let page = tariffs_view(
        &state,
        &me,
        form,
        None,
        FieldErrors::new(),
        "",
        p.done.is_some(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize, Default)]
pub struct TariffForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(flatten)]
    draft: TariffDraft,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn tariff_save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<TariffForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::save_tariff(&state, &me, &f.draft).await {
        Ok(_) => Ok(Redirect::to("/billing/tariffs?done=1").into_response()),
        Err(WebError::Invalid(e)) => {
            let page = tariffs_view(&state, &me, f.draft, None, e, "tariff", false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(WebError::Conflict(m)) => {
            let page = tariffs_view(
                &state,
                &me,
                f.draft,
                None,
                FieldErrors::single("valid_from", m),
                "tariff",
                false,
            )
            .await?;
            Ok((StatusCode::CONFLICT, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn norms_save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(category): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let csrf = f
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    me.check_csrf(csrf)?;
    let cells: Vec<(i64, i64, &str)> = f
        .iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix("n_")?;
            let (r, p) = rest.split_once('_')?;
            Some((r.parse().ok()?, p.parse().ok()?, v.as_str()))
        })
        .collect();
    match super::save_norms(&state, &me, &category, cells.into_iter()).await {
        Ok(()) => Ok(Redirect::to("/billing/tariffs?done=1").into_response()),
        Err(WebError::Invalid(e)) => {
            let mut page = tariffs_view(
                &state,
                &me,
                TariffDraft::default(),
                None,
                e,
                &category,
                false,
            )
            .await?;
            // Keep what was typed.
            if let Some(t) = page.norms.iter_mut().find(|t| t.category == category) {
                for (r, cells) in t.rows.iter_mut() {
                    for (p, v) in cells.iter_mut() {
                        if let Some((_, typed)) = f.iter().find(|(k, _)| *k == format!("n_{r}_{p}"))
                        {
                            *v = typed.clone();
                        }
                    }
                }
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn settings_save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<SettingsForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    Rights::configure(&me)?;
    match f.parse() {
        Ok(s) => {
            super::save_settings(&state, &me, &s).await?;
            Ok(Redirect::to("/billing/tariffs?done=1").into_response())
        }
        Err(e) => {
            let page = tariffs_view(
                &state,
                &me,
                TariffDraft::default(),
                Some(f.clone()),
                e,
                "settings",
                false,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "billing/public_tariffs.html")]
struct PublicTariffsPage {
    chrome: Chrome,
    tariffs: Vec<TariffLine>,
    norms: Vec<NormTable>,
    company: String,
    hotline: String,
}

/// The portal's «Тарифы» page, generated from the same data billing uses (BIL-01).
#[tracing::instrument(level = "debug", skip_all)]
async fn public_tariffs(State(state): State<AppState>) -> Result<Response, PageError> {
    if let Some(html) = state.pages.get("tariffs") {
        return Ok(axum::response::Html(html).into_response());
    }
    let data = super::public_tariff_data(&state).await?;
    let company = data.company;
    let page = PublicTariffsPage {
        chrome: Chrome::anonymous("Тарифы на электроэнергию для населения"),
        tariffs: tariff_lines(data.tariffs),
        norms: norm_tables(&data.norms),
        company: company.as_ref().map(|c| c.name.clone()).unwrap_or_default(),
        hotline: company.map(|c| c.hotline_phones).unwrap_or_default(),
    };
    let html = render(&page)?;
    state.pages.put("tariffs", html.0.clone());
    Ok(html.into_response())
}

/// An invoice row for the account page.
pub struct InvoiceLine {
    pub period: String,
    pub label: String,
    pub opening: String,
    pub charged: String,
    pub paid: String,
    pub penalty: String,
    pub closing: String,
    pub due_on: String,
    pub rule: &'static str,
}

pub struct PaymentLine {
    pub id: i64,
    pub paid_on: String,
    pub amount: String,
    pub period: String,
    pub source: &'static str,
    pub payer: String,
}

#[derive(Template)]
#[template(path = "billing/account.html")]
struct AccountPage {
    chrome: Chrome,
    account_id: i64,
    number: String,
    client_id: i64,
    client_name: String,
    date: String,
    balance: String,
    overdue: String,
    owes: bool,
    last_period: String,
    invoices: Vec<InvoiceLine>,
    payments: Vec<PaymentLine>,
    cases: Vec<RestrictionCase>,
    can_pay: bool,
    form: PaymentDraft,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct DateQuery {
    #[serde(default)]
    date: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn account_view(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    date: &str,
    form: PaymentDraft,
    errors: FieldErrors,
) -> Result<AccountPage, WebError> {
    Rights::view(me)?;
    let today = today_in(&me.zone);
    let (on, mut errors) = match date.trim() {
        "" => (today, errors),
        d => match d.parse::<jiff::civil::Date>() {
            Ok(v) => (v, errors),
            Err(_) => {
                let mut e = errors;
                e.add("date", "Дата в виде ГГГГ-ММ-ДД.");
                (today, e)
            }
        },
    };
    let data = super::account_billing(state, me, id, on).await?;
    let (a, b) = (data.account, data.balance);
    let invoices = data
        .invoices
        .into_iter()
        .map(|i| InvoiceLine {
            label: abonent_domain::tariffs::Period::parse(&i.period)
                .map(|x| x.label_ru())
                .unwrap_or_default(),
            opening: money(i.opening),
            charged: money(i.charged),
            paid: money(i.paid),
            penalty: money(i.penalty),
            closing: money(i.closing),
            due_on: ru_date(&i.due_on),
            rule: rule_label(&i.rule),
            period: i.period,
        })
        .collect();
    let payments = data
        .payments
        .into_iter()
        .map(|p| PaymentLine {
            id: p.id,
            paid_on: ru_date(&p.paid_on),
            amount: money(p.amount),
            period: p.period,
            source: if p.source == "cashier" {
                "касса"
            } else {
                "реестр банка"
            },
            payer: p.payer,
        })
        .collect();
    errors.0.dedup();
    Ok(AccountPage {
        chrome: Chrome::for_staff(&format!("Расчёты по счёту № {}", a.number), me, "clients"),
        account_id: id,
        number: a.number.clone(),
        client_id: a.client_id,
        client_name: data.client_name,
        date: on.to_string(),
        balance: money(b.balance.abs()),
        overdue: money(b.overdue),
        owes: b.balance >= 0,
        last_period: b.last_period.unwrap_or_default(),
        invoices,
        payments,
        cases: data.cases,
        can_pay: Rights::may_take_payments(me),
        form,
        errors,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn account_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<DateQuery>,
) -> Result<Response, PageError> {
    let page = account_view(
        &state,
        &me,
        id,
        &q.date,
        PaymentDraft::default(),
        FieldErrors::new(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize, Default)]
pub struct PaymentForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// A one-time token of the form: a double submit takes one payment.
    #[serde(default, rename = "_once")]
    once: String,
    #[serde(flatten)]
    draft: PaymentDraft,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn payment_take(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<PaymentForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let key = (!f.once.trim().is_empty()).then(|| {
        abonent_store::idempotency::IdemKey::new(
            format!("payment-form:{}", me.staff.id),
            f.once.trim(),
        )
    });
    let result = crate::common::idempotency::once(&state, key, async {
        crate::payments::take_payment(&state, &me, id, &f.draft).await
    })
    .await;
    match result {
        Ok(payment) => Ok(Redirect::to(&format!("/payments/{payment}/receipt")).into_response()),
        Err(WebError::Invalid(e)) => {
            let page = account_view(&state, &me, id, "", f.draft, e).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "billing/invoice.html")]
struct InvoicePage {
    chrome: Chrome,
    account_id: i64,
    period: String,
    doc: abonent_render::InvoiceDoc,
    /// The e-mail form: the address typed (or the client's), its errors.
    to: String,
    errors: FieldErrors,
    queued: bool,
    messages: Vec<MessageLine>,
}

struct MessageLine {
    recipient: String,
    status: &'static str,
    created: String,
    sent: String,
    error: String,
}

pub fn message_status(s: &str) -> &'static str {
    match s {
        "sent" => "отправлено",
        "failed" => "не доставлено",
        _ => "в очереди",
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn invoice_view(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    period: &str,
    to: Option<String>,
    errors: FieldErrors,
    queued: bool,
) -> Result<InvoicePage, WebError> {
    let super::InvoiceWithMessages {
        period: p,
        doc,
        to,
        messages,
    } = super::invoice_with_messages(state, me, id, period, to).await?;
    let tz = &me.zone;
    let messages = messages
        .into_iter()
        .map(|m| MessageLine {
            recipient: m.recipient,
            status: message_status(&m.status),
            created: format_time(m.created_at, tz),
            sent: m.sent_at.map(|t| format_time(t, tz)).unwrap_or_default(),
            error: if m.status == "sent" {
                String::new()
            } else {
                m.last_error
            },
        })
        .collect();
    Ok(InvoicePage {
        chrome: Chrome::for_staff(&doc.title, me, "clients"),
        account_id: id,
        period: p.to_string(),
        doc,
        to,
        errors,
        queued,
        messages,
    })
}

#[derive(Deserialize, Default)]
pub struct QueuedQuery {
    #[serde(default)]
    queued: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn invoice_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((id, period)): Path<(i64, String)>,
    Query(q): Query<QueuedQuery>,
) -> Result<Response, PageError> {
    let page = invoice_view(
        &state,
        &me,
        id,
        &period,
        None,
        FieldErrors::new(),
        !q.queued.is_empty(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize, Default)]
pub struct InvoiceMailForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// A one-time token of the form: a double submit queues one letter.
    #[serde(default, rename = "_once")]
    once: String,
    #[serde(flatten)]
    draft: super::InvoiceMailDraft,
}

/// «Отправить копию по электронной почте» on the invoice (BIL-05).
#[tracing::instrument(level = "debug", skip_all)]
async fn invoice_mail(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((id, period)): Path<(i64, String)>,
    Form(f): Form<InvoiceMailForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let key = (!f.once.trim().is_empty()).then(|| {
        abonent_store::idempotency::IdemKey::new(
            format!("invoice-mail-form:{}", me.staff.id),
            f.once.trim(),
        )
    });
    let result = crate::common::idempotency::once(&state, key, async {
        super::queue_invoice_mail(&state, &me, id, &period, &f.draft).await
    })
    .await;
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/accounts/{id}/invoices/{period}?queued=1")).into_response())
        }
        Err(WebError::Invalid(e)) => {
            let page = invoice_view(&state, &me, id, &period, Some(f.draft.to), e, false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn invoice_pdf(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((id, period)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    let (doc, p) = super::invoice_for_pdf(&state, &me, id, &period).await?;
    let name = format!("schet-{}-{p}.pdf", doc.account_number);
    let pdf = super::render_pdf(vec![doc], String::new()).await?;
    Ok(pdf_response(pdf, &name))
}

/// A case in the list: whether its warning's delivery is recorded and when the restriction
/// becomes possible.
pub struct CaseLine {
    pub case: RestrictionCase,
    /// «05.12.2026», or empty when no delivery is recorded.
    pub delivered: String,
    /// The first day the restriction is possible, or why it is not known yet.
    pub possible_from: String,
}

fn case_line(case: RestrictionCase) -> CaseLine {
    let delivered = case
        .delivered_on
        .as_deref()
        .map(ru_date)
        .unwrap_or_default();
    let possible_from = match (case.status, case.pay_by.parse::<jiff::civil::Date>()) {
        (CaseStatus::Warning, Ok(p)) if !delivered.is_empty() => {
            ru_date(&abonent_domain::restriction::restriction_from(p).to_string())
        }
        (CaseStatus::Warning, _) => "после вручения + срок".into(),
        _ => "—".into(),
    };
    CaseLine {
        case,
        delivered,
        possible_from,
    }
}

#[derive(Template)]
#[template(path = "billing/restrictions.html")]
struct RestrictionsPage {
    chrome: Chrome,
    cases: Vec<CaseLine>,
    districts: Vec<(String, i64)>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn restrictions_page(
    State(state): State<AppState>,
    me: CurrentStaff,
) -> Result<Response, PageError> {
    Rights::view(&me)?;
    let page = RestrictionsPage {
        chrome: Chrome::for_staff("Ограничение за долги", &me, "billing"),
        cases: super::open_cases(&state, &me, 1000)
            .await?
            .into_iter()
            .map(case_line)
            .collect(),
        districts: super::delivery_districts(&state, &me).await?,
    };
    Ok(render(&page)?.into_response())
}

/// A line of a courier's delivery list.
pub struct ListLine {
    pub case_id: i64,
    pub field: String,
    pub account_number: String,
    pub address: String,
    pub client: String,
    pub debt: String,
    pub typed: String,
}

#[derive(Template)]
#[template(path = "billing/delivery_list.html")]
struct DeliveryListPage {
    chrome: Chrome,
    settlement: String,
    districts: Vec<(String, i64)>,
    lines: Vec<ListLine>,
    today: String,
    can_deliver: bool,
    delivered_by: String,
    errors: FieldErrors,
    saved: Option<usize>,
}

#[derive(Deserialize, Default)]
pub struct ListParams {
    #[serde(default)]
    settlement: String,
    #[serde(default)]
    saved: Option<usize>,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn delivery_list_view(
    state: &AppState,
    me: &CurrentStaff,
    settlement: &str,
    typed: &std::collections::HashMap<String, String>,
    errors: FieldErrors,
    saved: Option<usize>,
) -> Result<DeliveryListPage, WebError> {
    Rights::view(me)?;
    let lines = if settlement.is_empty() {
        Vec::new()
    } else {
        super::delivery_list(state, me, settlement)
            .await?
            .into_iter()
            .map(|r| {
                let field = super::restriction::list_field(r.case_id);
                ListLine {
                    case_id: r.case_id,
                    typed: typed.get(&field).cloned().unwrap_or_default(),
                    field,
                    address: r.address(),
                    client: r.client_name(),
                    debt: money(r.debt),
                    account_number: r.account_number,
                }
            })
            .collect()
    };
    let title = if settlement.is_empty() {
        "Списки вручения предупреждений".to_owned()
    } else {
        format!("Вручение предупреждений: {settlement}")
    };
    Ok(DeliveryListPage {
        chrome: Chrome::for_staff(&title, me, "billing"),
        settlement: settlement.to_owned(),
        districts: super::delivery_districts(state, me).await?,
        lines,
        today: ru_date(&today_in(&me.zone).to_string()),
        can_deliver: Rights::may_record_delivery(me),
        delivered_by: typed.get("delivered_by").cloned().unwrap_or_default(),
        errors,
        saved,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn delivery_list_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(q): Query<ListParams>,
) -> Result<Response, PageError> {
    let page = delivery_list_view(
        &state,
        &me,
        q.settlement.trim(),
        &Default::default(),
        FieldErrors::new(),
        q.saved,
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn delivery_list_save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> Result<Response, PageError> {
    me.check_csrf(f.get("_csrf").map_or("", String::as_str))?;
    let settlement = f.get("settlement").map_or("", |s| s.trim()).to_owned();
    let by = f.get("delivered_by").cloned().unwrap_or_default();
    let dates: Vec<(i64, String)> = f
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("d_")?.parse().ok()?, v.clone())))
        .collect();
    match super::restriction::record_delivery_list(&state, &me, &settlement, &by, &dates).await {
        Ok(n) => Ok(Redirect::to(&format!(
            "/billing/restrictions/delivery-list?settlement={}&saved={n}",
            crate::common::download::enc(&settlement)
        ))
        .into_response()),
        Err(WebError::Invalid(e)) => {
            let page = delivery_list_view(&state, &me, &settlement, &f, e, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub struct StepOption {
    pub code: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "billing/case.html")]
struct CasePage {
    chrome: Chrome,
    case: RestrictionCase,
    status: &'static str,
    steps: Vec<(String, &'static str, String, String)>,
    options: Vec<StepOption>,
    can_act: bool,
    debt: String,
    overdue: String,
    errors: FieldErrors,
    note: String,
    line: CaseLine,
    deliveries: Vec<DeliveryLine>,
    can_deliver: bool,
    /// The delivery form as submitted (fields prefixed with its way), kept on error.
    dform: std::collections::HashMap<String, String>,
    derrors: FieldErrors,
}

impl CasePage {
    /// The value typed into a delivery form's field, kept after an error.
    fn dv(&self, name: &str) -> &str {
        self.dform.get(name).map_or("", String::as_str)
    }
}

/// A record of delivery for people.
pub struct DeliveryLine {
    pub way: &'static str,
    pub delivered_on: String,
    pub by: String,
    pub details: String,
    pub entered: String,
}

fn delivery_line(
    d: abonent_store::restriction::WarningDelivery,
    tz: &jiff::tz::TimeZone,
) -> DeliveryLine {
    use abonent_domain::restriction::DeliveryWay;
    let way = d.way.label_ru();
    let mut details = Vec::new();
    if let Some(r) = &d.rpo {
        details.push(format!("РПО {r}"));
    }
    if let Some(x) = &d.sent_on {
        details.push(format!("отправлено {}", ru_date(x)));
    }
    if d.way == DeliveryWay::Letter && d.delivered_on.is_none() {
        details.push("уведомление о вручении не вернулось: срок не начался".into());
    }
    if let Some(x) = &d.called_at {
        details.push(format!("звонок {}", x.replace('T', " ")));
    }
    if let Some(x) = &d.phone {
        details.push(format!(
            "номер {}",
            abonent_domain::clients::format_phone(x)
        ));
    }
    if let Some(x) = &d.recipient {
        details.push(format!("получатель {x}"));
    }
    if !d.note.is_empty() {
        details.push(d.note.clone());
    }
    DeliveryLine {
        way,
        delivered_on: d
            .delivered_on
            .as_deref()
            .map(ru_date)
            .unwrap_or_else(|| "—".into()),
        by: d.delivered_by,
        details: details.join("; "),
        entered: format!(
            "{}, {}",
            d.entered_by_login.as_deref().unwrap_or(match d.way {
                DeliveryWay::Email | DeliveryWay::Sms | DeliveryWay::Portal => "рассылка",
                _ => "—",
            }),
            format_time(d.entered_at, tz)
        ),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
async fn case_view(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    errors: FieldErrors,
    note: String,
) -> Result<CasePage, WebError> {
    case_view_with(
        state,
        me,
        id,
        errors,
        note,
        Default::default(),
        FieldErrors::new(),
    )
    .await
}

#[tracing::instrument(level = "debug", skip_all)]
async fn case_view_with(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    errors: FieldErrors,
    note: String,
    dform: std::collections::HashMap<String, String>,
    derrors: FieldErrors,
) -> Result<CasePage, WebError> {
    let super::CaseView {
        case,
        steps,
        deliveries,
        balance: b,
    } = super::case_view(state, me, id).await?;
    let tz0 = me.zone.clone();
    let deliveries = deliveries
        .into_iter()
        .map(|d| delivery_line(d, &tz0))
        .collect();
    let case_open = case.open == 1;
    let tz = me.zone.clone();
    let steps = steps
        .into_iter()
        .map(|s: RestrictionStep| {
            (
                format_time(s.at, &tz),
                step_label(&s.step),
                s.staff_login.unwrap_or_else(|| "расчёт".into()),
                s.note,
            )
        })
        .collect();
    Ok(CasePage {
        chrome: Chrome::for_staff(
            &format!("Ограничение: счёт № {}", case.account_number),
            me,
            "billing",
        ),
        status: case.status.label_ru(),
        options: next_steps(case.status.code())
            .iter()
            .map(|c| StepOption {
                code: c,
                label: step_label(c),
            })
            .collect(),
        can_act: Rights::may_manage_restriction(me),
        debt: money(case.debt),
        overdue: money(b.overdue),
        steps,
        line: case_line(case.clone()),
        case,
        errors,
        note,
        deliveries,
        can_deliver: Rights::may_record_delivery(me) && case_open,
        dform,
        derrors,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn case_delivery(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<std::collections::HashMap<String, String>>,
) -> Result<Response, PageError> {
    me.check_csrf(f.get("_csrf").map_or("", String::as_str))?;
    let way = f.get("way").cloned().unwrap_or_default();
    let field = |name: &str| f.get(&format!("{way}_{name}")).cloned().unwrap_or_default();
    let d = abonent_domain::restriction::DeliveryDraft {
        way: way.clone(),
        delivered_on: field("delivered_on"),
        delivered_by: field("delivered_by"),
        rpo: field("rpo"),
        sent_on: field("sent_on"),
        receipt_on: field("receipt_on"),
        called_at: field("called_at"),
        phone: field("phone"),
        note: field("note"),
    };
    let refused = match super::restriction::record_delivery(&state, &me, id, &d).await {
        Ok(_) => {
            return Ok(
                Redirect::to(&format!("/billing/restrictions/{id}#deliveries-h")).into_response(),
            )
        }
        Err(WebError::Invalid(e)) => (StatusCode::UNPROCESSABLE_ENTITY, e),
        Err(WebError::Conflict(m)) => (StatusCode::CONFLICT, FieldErrors::single("way", m)),
        Err(e) => return Err(e.into()),
    };
    // The errors name the draft's fields; the page's fields carry the way as a prefix.
    let mut errors = FieldErrors::new();
    for x in refused.1 .0 {
        let name = if x.field == "way" {
            x.field
        } else {
            format!("{way}_{}", x.field)
        };
        errors.add(&name, x.detail);
    }
    let page = case_view_with(
        &state,
        &me,
        id,
        FieldErrors::new(),
        String::new(),
        f,
        errors,
    )
    .await?;
    Ok((refused.0, render(&page)?).into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn case_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    Ok(
        render(&case_view(&state, &me, id, FieldErrors::new(), String::new()).await?)?
            .into_response(),
    )
}

#[derive(Deserialize, Default)]
pub struct StepForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    step: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    note: String,
}

#[tracing::instrument(level = "debug", skip_all)]
async fn case_step(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    let d = StepDraft {
        step: f.step.clone(),
        version: f.version,
        note: f.note.clone(),
    };
    match super::restriction_step(&state, &me, id, &d).await {
        Ok(()) => Ok(Redirect::to(&format!("/billing/restrictions/{id}")).into_response()),
        Err(WebError::Invalid(e)) => {
            let page = case_view(&state, &me, id, e, f.note).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(WebError::Conflict(m)) => {
            let page = case_view(&state, &me, id, FieldErrors::single("step", m), f.note).await?;
            Ok((StatusCode::CONFLICT, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "billing/announcements.html")]
struct AnnouncementsPage {
    chrome: Chrome,
    list: Vec<(String, String)>,
    period: String,
    text: String,
    errors: FieldErrors,
    can_edit: bool,
    saved: bool,
}

#[derive(Deserialize, Default)]
pub struct AnnouncementForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize, Default)]
pub struct SavedParam {
    #[serde(default)]
    saved: String,
}

/// The page of the announcements printed on a period's invoices (§10.2).
#[tracing::instrument(level = "debug", skip_all)]
async fn announcements_view(
    state: &AppState,
    me: &CurrentStaff,
    form: (String, String),
    errors: FieldErrors,
    saved: bool,
) -> Result<AnnouncementsPage, WebError> {
    let list = super::announcements(state, me).await?;
    Ok(AnnouncementsPage {
        chrome: Chrome::for_staff("Объявление в счетах", me, "billing"),
        list,
        period: form.0,
        text: form.1,
        errors,
        can_edit: super::Rights::may_configure(me),
        saved,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
async fn announcements_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Query(q): Query<SavedParam>,
) -> Result<Response, PageError> {
    let next = crate::common::clock::today_in(&me.zone).first_of_month();
    let period = format!("{:04}-{:02}", next.year(), next.month());
    let page = announcements_view(
        &state,
        &me,
        (period, String::new()),
        FieldErrors::new(),
        !q.saved.is_empty(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

#[tracing::instrument(level = "debug", skip_all)]
async fn announcement_save(
    State(state): State<AppState>,
    me: CurrentStaff,
    Form(f): Form<AnnouncementForm>,
) -> Result<Response, PageError> {
    me.check_csrf(&f.csrf)?;
    match super::save_announcement(&state, &me, &f.period, &f.text).await {
        Ok(()) => Ok(Redirect::to("/billing/announcements?saved=1").into_response()),
        Err(WebError::Invalid(errors)) => {
            let page = announcements_view(&state, &me, (f.period, f.text), errors, false).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
