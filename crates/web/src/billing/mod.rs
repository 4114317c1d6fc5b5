//! Billing in the workspace and the API: tariffs and norms (BIL-01, BIL-02), invoices with the
//! payment QR (BIL-05), payments at the cashier and bank registries (PAY-01), balance and debt
//! (PAY-02), the restriction procedure (PAY-04). The billing run itself is `abonent bill`.

pub mod api;
pub mod pages;
pub mod restriction;

use abonent_domain::org::Permission;
use abonent_domain::tariffs::Period;
use abonent_domain::validation::FieldErrors;
use abonent_render::InvoiceDoc;
use serde::Deserialize;
use utoipa::ToSchema;

use abonent_domain::tariffs::{Norm, Tariff, TariffDraft};
use abonent_store::accounts::AccountView;
use abonent_store::billing::{Balance, BillingSettings, InvoiceRow, LineRow, PeriodRow};
use abonent_store::org::Company;
use abonent_store::outbox::OutboxView;
use abonent_store::payments::PaymentView;
use abonent_store::restriction::{
    DeliveryListRow, RestrictionCase, RestrictionStep, WarningDelivery,
};

use crate::auth::CurrentStaff;
use crate::common::clock::today_in;
use crate::{AppState, WebError};

pub use abonent_jobs::invoices::{money, rate_label, rule_label};

/// The rights of billing, decided here and nowhere else: which permission each kind of action
/// needs. The adapters ask these; `tests/http.rs` walks every route with every role.
pub struct Rights;

impl Rights {
    /// Tariffs, norms, periods, balances, invoices, restriction cases.
    pub fn view(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ViewBilling)
    }
    /// Tariffs, norms and billing settings.
    pub fn configure(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ConfigureBilling)
    }
    pub fn may_configure(me: &CurrentStaff) -> bool {
        me.can(Permission::ConfigureBilling)
    }
    /// The cashier's form on the account page.
    pub fn may_take_payments(me: &CurrentStaff) -> bool {
        me.can(Permission::TakePayments)
    }
    /// Registries (the link from the billing page).
    pub fn may_import(me: &CurrentStaff) -> bool {
        me.can(Permission::ImportPayments)
    }
    /// Held readings waiting for review (the link from the billing page).
    pub fn may_review_readings(me: &CurrentStaff) -> bool {
        me.can(Permission::EditClients)
    }
    /// Steps of the restriction procedure.
    pub fn manage_restriction(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ManageRestriction)
    }
    pub fn may_manage_restriction(me: &CurrentStaff) -> bool {
        me.can(Permission::ManageRestriction)
    }
    /// Records of how a warning reached the client.
    pub fn record_delivery(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::RecordWarningDelivery)
    }
    pub fn may_record_delivery(me: &CurrentStaff) -> bool {
        me.can(Permission::RecordWarningDelivery)
    }
}

/// Tariffs by period and category, newest first (BIL-01).
pub async fn tariffs(state: &AppState, me: &CurrentStaff) -> Result<Vec<Tariff>, WebError> {
    Rights::view(me)?;
    Ok(state.store.tariffs().await?)
}

/// The tariffs for the public page: no sign-in.
pub async fn public_tariffs(state: &AppState) -> Result<Vec<Tariff>, WebError> {
    Ok(state.store.tariffs().await?)
}

/// Adds or replaces a category's tariff from a period; the public pages show it at once.
pub async fn save_tariff(
    state: &AppState,
    me: &CurrentStaff,
    d: &TariffDraft,
) -> Result<Tariff, WebError> {
    Rights::configure(me)?;
    let t = d.validate()?;
    state.store.save_tariff(&t, &me.actor()).await?;
    state.pages.clear();
    Ok(t)
}

/// Consumption norms per category, rooms and residents (BIL-02).
pub async fn norms(state: &AppState, me: &CurrentStaff) -> Result<Vec<Norm>, WebError> {
    Rights::view(me)?;
    Ok(state.store.norms().await?)
}

/// Replaces a category's norm table with the cells as typed (all checked first).
pub async fn save_norms<'a>(
    state: &AppState,
    me: &CurrentStaff,
    category: &str,
    cells: impl Iterator<Item = (i64, i64, &'a str)>,
) -> Result<(), WebError> {
    Rights::configure(me)?;
    let norms = validate_norms(category, cells)?;
    state
        .store
        .save_norms(category, &norms, &me.actor())
        .await?;
    state.pages.clear();
    Ok(())
}

/// Due day, rates, warning term, payee requisites.
pub async fn settings(state: &AppState, me: &CurrentStaff) -> Result<BillingSettings, WebError> {
    Rights::view(me)?;
    Ok(state.store.billing_settings().await?)
}

/// Checks and saves the billing settings.
pub async fn save_settings(
    state: &AppState,
    me: &CurrentStaff,
    s: &BillingSettings,
) -> Result<(), WebError> {
    Rights::configure(me)?;
    validate_settings(s)?;
    state.store.save_billing_settings(s, &me.actor()).await?;
    Ok(())
}

/// Billing periods, running or closed, with totals.
pub async fn periods(state: &AppState, me: &CurrentStaff) -> Result<Vec<PeriodRow>, WebError> {
    Rights::view(me)?;
    Ok(state.store.billing_periods().await?)
}

/// An account's balance and debt past due at the end of a typed date (today when empty);
/// the view is audited.
pub async fn balance(
    state: &AppState,
    me: &CurrentStaff,
    account_id: i64,
    date: &str,
) -> Result<Balance, WebError> {
    Rights::view(me)?;
    let date = if date.trim().is_empty() {
        today_in(&me.zone)
    } else {
        date.trim()
            .parse()
            .map_err(|_| WebError::from(FieldErrors::single("date", "Дата в виде ГГГГ-ММ-ДД.")))?
    };
    state.store.account(account_id).await?;
    state
        .store
        .audit(
            &me.actor(),
            "balance.view",
            "account",
            &account_id.to_string(),
            "",
        )
        .await?;
    Ok(state.store.balance_at(account_id, date).await?)
}

/// An account's invoices, newest first.
pub async fn invoices(
    state: &AppState,
    me: &CurrentStaff,
    account_id: i64,
) -> Result<Vec<InvoiceRow>, WebError> {
    Rights::view(me)?;
    state.store.account(account_id).await?;
    Ok(state.store.invoices_of_account(account_id).await?)
}

/// One invoice with its lines; the view is audited.
pub async fn invoice(
    state: &AppState,
    me: &CurrentStaff,
    account_id: i64,
    period: &str,
) -> Result<(InvoiceRow, Vec<LineRow>), WebError> {
    Rights::view(me)?;
    let p = parse_period(period)?;
    let found = state.store.invoice(account_id, p).await?;
    state
        .store
        .audit(
            &me.actor(),
            "invoice.view",
            "account",
            &account_id.to_string(),
            period,
        )
        .await?;
    Ok(found)
}

/// Messages to the account's client with their delivery status, newest first.
pub async fn messages(
    state: &AppState,
    me: &CurrentStaff,
    account_id: i64,
) -> Result<Vec<OutboxView>, WebError> {
    Rights::view(me)?;
    state.store.account(account_id).await?;
    Ok(state.store.messages_of_account(account_id, 100).await?)
}

/// Open restriction cases, newest first.
pub async fn restrictions(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<Vec<RestrictionCase>, WebError> {
    Rights::view(me)?;
    Ok(state.store.restriction_cases(true, 500).await?)
}

/// How a case's warning reached the client, in the order entered.
pub async fn deliveries(
    state: &AppState,
    me: &CurrentStaff,
    case_id: i64,
) -> Result<Vec<WarningDelivery>, WebError> {
    Rights::view(me)?;
    state.store.restriction_case(case_id).await?;
    Ok(state.store.warning_deliveries(case_id).await?)
}

/// What the billing index shows: periods, settlements to print for, and counts of waiting work.
pub struct Overview {
    pub periods: Vec<PeriodRow>,
    pub settlements: Vec<String>,
    /// Open restriction cases.
    pub open_cases: usize,
    /// Readings held for review.
    pub held: usize,
}

/// The billing index: periods with totals, settlements, open cases and held readings.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn overview(state: &AppState, me: &CurrentStaff) -> Result<Overview, WebError> {
    Rights::view(me)?;
    let periods = state.store.billing_periods().await?;
    Ok(Overview {
        periods,
        settlements: state.store.settlements().await?,
        open_cases: state.store.restriction_cases(true, 10_000).await?.len(),
        held: state.store.held_readings(1000).await?.len(),
    })
}

/// Invoices printed at most per batch.
const BATCH_LIMIT: i64 = 5000;

/// One print-ready PDF of a settlement's (or street's) invoices for hand delivery; audited.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn batch_pdf(
    state: &AppState,
    me: &CurrentStaff,
    period: &str,
    settlement: &str,
    street: &str,
) -> Result<(Vec<u8>, Period), WebError> {
    Rights::view(me)?;
    let period = parse_period(period)?;
    let ids = state
        .store
        .batch_accounts(period, settlement, street.trim(), BATCH_LIMIT)
        .await?;
    if ids.is_empty() {
        return Err(WebError::NotFound(format!(
            "За {} в «{}» счетов нет.",
            period.label_ru(),
            settlement
        )));
    }
    let mut docs = Vec::with_capacity(ids.len());
    for id in &ids {
        docs.push(invoice_doc(state, *id, period).await?);
    }
    state
        .store
        .audit(
            &me.actor(),
            "invoice.print_batch",
            "billing",
            &period.to_string(),
            &format!("{settlement} {street}: {} invoices", ids.len()),
        )
        .await?;
    let title = format!("Счета за {} — {}", period.label_ru(), settlement);
    Ok((render_pdf(docs, title).await?, period))
}

/// What the public tariff page shows; no sign-in.
pub struct PublicTariffs {
    pub company: Option<Company>,
    pub tariffs: Vec<Tariff>,
    pub norms: Vec<Norm>,
}

/// Tariffs, norms and the company's name and hotline for the public page (BIL-01).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_tariff_data(state: &AppState) -> Result<PublicTariffs, WebError> {
    let company = state.store.company().await?;
    Ok(PublicTariffs {
        company,
        tariffs: state.store.tariffs().await?,
        norms: state.store.norms().await?,
    })
}

/// An account's billing as its page shows it.
pub struct AccountBilling {
    pub account: AccountView,
    pub client_name: String,
    pub balance: Balance,
    pub invoices: Vec<InvoiceRow>,
    /// The latest 50, newest first.
    pub payments: Vec<PaymentView>,
    pub cases: Vec<RestrictionCase>,
}

/// An account's balance at a date, invoices, payments and restriction cases; the view is
/// audited.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn account_billing(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    on: jiff::civil::Date,
) -> Result<AccountBilling, WebError> {
    Rights::view(me)?;
    let account = state.store.account(id).await?;
    let client = state.store.client(account.client_id).await?;
    let balance = state.store.balance_at(id, on).await?;
    state
        .store
        .audit(&me.actor(), "billing.view", "account", &id.to_string(), "")
        .await?;
    let invoices = state.store.invoices_of_account(id).await?;
    let payments = state.store.payments_of_account(id, 50).await?;
    Ok(AccountBilling {
        account,
        client_name: client.full_name,
        balance,
        invoices,
        payments,
        cases: state.store.restriction_cases_of_account(id).await?,
    })
}

/// An invoice formatted for the screen with the e-mail copies sent of it.
pub struct InvoiceWithMessages {
    pub period: Period,
    pub doc: InvoiceDoc,
    /// The address for the e-mail form: as typed, or the client's.
    pub to: String,
    /// Messages to the account that carried this invoice, newest first.
    pub messages: Vec<OutboxView>,
}

/// One invoice for the screen with its e-mail copies; the view is audited.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn invoice_with_messages(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    period: &str,
    to: Option<String>,
) -> Result<InvoiceWithMessages, WebError> {
    Rights::view(me)?;
    let p = parse_period(period)?;
    let doc = invoice_doc(state, id, p).await?;
    state
        .store
        .audit(
            &me.actor(),
            "invoice.view",
            "account",
            &id.to_string(),
            period,
        )
        .await?;
    let to = match to {
        Some(t) => t,
        None => {
            let a = state.store.account(id).await?;
            state
                .store
                .client(a.client_id)
                .await?
                .email
                .unwrap_or_default()
        }
    };
    let attachment = format!("invoice:{p}");
    let messages = state
        .store
        .messages_of_account(id, 100)
        .await?
        .into_iter()
        .filter(|m| m.attachment == attachment)
        .collect();
    Ok(InvoiceWithMessages {
        period: p,
        doc,
        to,
        messages,
    })
}

/// An invoice formatted for print, for the PDF; audited.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn invoice_for_pdf(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    period: &str,
) -> Result<(InvoiceDoc, Period), WebError> {
    Rights::view(me)?;
    let p = parse_period(period)?;
    let doc = invoice_doc(state, id, p).await?;
    state
        .store
        .audit(
            &me.actor(),
            "invoice.pdf",
            "account",
            &id.to_string(),
            period,
        )
        .await?;
    Ok((doc, p))
}

/// Open restriction cases, newest first, at most `limit`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn open_cases(
    state: &AppState,
    me: &CurrentStaff,
    limit: i64,
) -> Result<Vec<RestrictionCase>, WebError> {
    Rights::view(me)?;
    Ok(state.store.restriction_cases(true, limit).await?)
}

/// Settlements with warnings to hand over, and how many in each.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delivery_districts(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<Vec<(String, i64)>, WebError> {
    Rights::view(me)?;
    Ok(state.store.delivery_settlements().await?)
}

/// A courier's list of warnings to hand over in a settlement.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delivery_list(
    state: &AppState,
    me: &CurrentStaff,
    settlement: &str,
) -> Result<Vec<DeliveryListRow>, WebError> {
    Rights::view(me)?;
    Ok(state.store.delivery_list(settlement).await?)
}

/// A restriction case as its page shows it.
pub struct CaseView {
    pub case: RestrictionCase,
    pub steps: Vec<RestrictionStep>,
    pub deliveries: Vec<WarningDelivery>,
    /// The account's balance today.
    pub balance: Balance,
}

/// A restriction case with its steps, the records of the warning's delivery and today's balance.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn case_view(state: &AppState, me: &CurrentStaff, id: i64) -> Result<CaseView, WebError> {
    Rights::view(me)?;
    let (case, steps) = state.store.restriction_case(id).await?;
    let deliveries = state.store.warning_deliveries(id).await?;
    let balance = state
        .store
        .balance_at(case.account_id, today_in(&me.zone))
        .await?;
    Ok(CaseView {
        case,
        steps,
        deliveries,
        balance,
    })
}

/// The announcements printed on invoices (§10.2), newest period first: (period, text).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn announcements(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<Vec<(String, String)>, WebError> {
    Rights::view(me)?;
    Ok(state.store.invoice_announcements(24).await?)
}

/// Checks and saves the announcement of a period's invoices; an empty text removes it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save_announcement(
    state: &AppState,
    me: &CurrentStaff,
    period: &str,
    text: &str,
) -> Result<(), WebError> {
    Rights::configure(me)?;
    let mut e = FieldErrors::new();
    let p = Period::parse(period.trim());
    if p.is_none() {
        e.add("period", "Укажите период в виде ГГГГ-ММ, например 2026-12.");
    }
    let text = match abonent_domain::tariffs::check_announcement(text) {
        Ok(t) => Some(t),
        Err(te) => {
            e.0.extend(te.0);
            None
        }
    };
    let (p, text) = e.into_checked(p.zip(text), "period")?;
    state
        .store
        .set_invoice_announcement(p, &text, &me.actor())
        .await?;
    Ok(())
}

pub fn parse_period(s: &str) -> Result<Period, WebError> {
    Period::parse(s).ok_or_else(|| {
        FieldErrors::single("period", "Укажите период в виде ГГГГ-ММ, например 2026-11.").into()
    })
}

/// Builds the invoice of an account for a period, formatted for print.
pub async fn invoice_doc(
    state: &AppState,
    account_id: i64,
    period: Period,
) -> Result<InvoiceDoc, WebError> {
    Ok(abonent_jobs::invoices::invoice_doc(&state.store, account_id, period).await?)
}

/// A copy of an invoice by e-mail, as asked for by a person.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct InvoiceMailDraft {
    /// The address; the client's own when empty.
    #[serde(default)]
    pub to: String,
}

/// Queues a copy of an invoice by e-mail (BIL-05) in the outbox: sent by the worker with the
/// PDF attached, retried while the mail server is down. Returns the message.
pub async fn queue_invoice_mail(
    state: &AppState,
    me: &CurrentStaff,
    account_id: i64,
    period: &str,
    d: &InvoiceMailDraft,
) -> Result<abonent_store::outbox::OutboxView, WebError> {
    Rights::view(me)?;
    let p = parse_period(period)?;
    let store = &state.store;
    let a = store.account(account_id).await?;
    store.invoice(account_id, p).await?;
    let client = store.client(a.client_id).await?;
    let to = match d.to.trim() {
        "" => client.email.clone().unwrap_or_default(),
        t => t.to_owned(),
    };
    if to.is_empty() {
        return Err(FieldErrors::single(
            "to",
            "У клиента нет адреса электронной почты: укажите адрес, на который отправить счёт.",
        )
        .into());
    }
    if !abonent_domain::clients::valid_email(&to) {
        return Err(FieldErrors::single(
            "to",
            "Адрес электронной почты указан неверно, например ivanov@mail.ru.",
        )
        .into());
    }
    let id = store
        .queue_message(
            &abonent_store::outbox::NewMessage {
                channel: "email".into(),
                recipient: to,
                client_id: Some(a.client_id),
                account_id: Some(account_id),
                kind: "invoice".into(),
                attachment: format!("invoice:{p}"),
                ..Default::default()
            },
            &me.actor(),
        )
        .await?
        .ok_or_else(|| {
            WebError::Internal(anyhow::anyhow!("a message without a key was not queued"))
        })?;
    Ok(store.message(id).await?)
}

/// Renders PDFs off the async threads.
pub async fn render_pdf(docs: Vec<InvoiceDoc>, title: String) -> Result<Vec<u8>, WebError> {
    tokio::task::spawn_blocking(move || {
        if docs.len() == 1 {
            abonent_render::invoice(&docs[0])
        } else {
            abonent_render::invoices(&docs, &title)
        }
    })
    .await
    .map_err(|e| WebError::Internal(anyhow::anyhow!(e)))?
    .map_err(|e| WebError::Internal(anyhow::anyhow!(e)))
}

/// A step of the restriction procedure as submitted.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct StepDraft {
    /// `restricted`, `suspended`, `reconnected` or `closed`.
    pub step: String,
    /// The case's version the person saw.
    pub version: i64,
    #[serde(default)]
    pub note: String,
}

pub async fn restriction_step(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    d: &StepDraft,
) -> Result<(), WebError> {
    Rights::manage_restriction(me)?;
    if abonent_store::restriction::step_label(&d.step).is_empty() || d.step == "warning" {
        return Err(FieldErrors::single("step", "Выберите шаг.").into());
    }
    if matches!(d.step.as_str(), "restricted" | "suspended") && d.note.trim().is_empty() {
        return Err(FieldErrors::single(
            "note",
            "Укажите основание: номер и дату акта об ограничении или приостановлении.",
        )
        .into());
    }
    let today = today_in(&me.zone);
    Ok(state
        .store
        .restriction_step(id, d.version, &d.step, d.note.trim(), today, &me.actor())
        .await?)
}

/// Checks a full norm table of a category: rooms 1…4 × residents 1…5, kWh > 0 with at most
/// three decimals.
pub fn validate_norms<'a>(
    category: &str,
    cells: impl Iterator<Item = (i64, i64, &'a str)>,
) -> Result<Vec<abonent_domain::tariffs::Norm>, FieldErrors> {
    use abonent_domain::tariffs::{Norm, NORM_RESIDENTS, NORM_ROOMS};
    let mut e = FieldErrors::new();
    if abonent_domain::accounts::AccountCategory::parse(category).is_none() {
        e.add("category", "Нет такой категории.");
    }
    let mut out: Vec<Norm> = Vec::new();
    for (rooms, residents, kwh) in cells {
        let field = format!("n_{rooms}_{residents}");
        if !(1..=NORM_ROOMS).contains(&rooms) || !(1..=NORM_RESIDENTS).contains(&residents) {
            e.add(&field, "Комнат — от 1 до 4, проживающих — от 1 до 5.");
            continue;
        }
        let t = kwh.trim().replace(',', ".");
        let (w, f) = t.split_once('.').unwrap_or((&t, ""));
        let ok = !w.is_empty()
            && w.len() <= 5
            && w.chars().all(|c| c.is_ascii_digit())
            && f.len() <= 3
            && f.chars().all(|c| c.is_ascii_digit());
        let wh = if ok {
            w.parse::<i64>().unwrap_or(0) * 1000 + format!("{f:0<3}").parse::<i64>().unwrap_or(0)
        } else {
            0
        };
        if wh <= 0 {
            e.add(
                &field,
                "Норматив — число кВт·ч больше нуля, например 143 или 142,5.",
            );
            continue;
        }
        if out
            .iter()
            .any(|n| n.rooms == rooms && n.residents == residents)
        {
            e.add(&field, "Ячейка указана дважды.");
            continue;
        }
        out.push(Norm {
            category: category.to_owned(),
            rooms,
            residents,
            wh,
        });
    }
    if e.is_empty() && out.len() != (NORM_ROOMS * NORM_RESIDENTS) as usize {
        e.add("norms", "Заполните все ячейки таблицы: 4 × 5.");
    }
    e.into_result(out)
}

/// Checks billing settings: the due day, rates, the warning term, and the requisites as the
/// payment QR needs them and the Bank of Russia checks them; each wrong field is named.
pub fn validate_settings(s: &abonent_store::billing::BillingSettings) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::new();
    if !(1..=28).contains(&s.due_day) {
        e.add("due_day", "День оплаты — от 1 до 28.");
    }
    if !(1..=10_000).contains(&s.key_rate_bp) {
        e.add("key_rate_bp", "Ключевая ставка — от 0,01 до 100 %.");
    }
    if s.cap_bp.is_some_and(|c| !(1..=10_000).contains(&c)) {
        e.add(
            "cap_bp",
            "Ограничение ставки — от 0,01 до 100 %, или пусто.",
        );
    }
    if !(1..=90).contains(&s.warning_days) {
        e.add("warning_days", "Срок по предупреждению — от 1 до 90 дней.");
    }
    // The requisites as the Bank of Russia checks them (control keys, INN check digits, KPP).
    if let Err(q) = s.payment_details().validate_payee() {
        for f in q.0 {
            let field = match f.field.as_str() {
                "name" => "payee_name",
                "kpp" => "payee_kpp",
                other => other,
            };
            e.add(field, f.detail);
        }
    }
    e.into_result(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_rubles() {
        assert_eq!(rate_label(31_200), "3,12\u{a0}₽");
        assert_eq!(rate_label(30_000), "3,00\u{a0}₽");
        assert_eq!(rate_label(31_234), "3,1234\u{a0}₽");
        assert_eq!(rate_label(31_230), "3,123\u{a0}₽");
    }

    #[test]
    fn norm_tables_are_complete_and_positive() {
        let cells: Vec<(i64, i64, String)> = (1..=4)
            .flat_map(|r| (1..=5).map(move |p| (r, p, format!("{},5", 100 + r * 10 + p))))
            .collect();
        let ok = validate_norms("urban", cells.iter().map(|c| (c.0, c.1, c.2.as_str()))).unwrap();
        assert_eq!(ok.len(), 20);
        assert_eq!(ok[0].wh, 111_500);
        let e = validate_norms("urban", [(1, 1, "0"), (5, 1, "3")].into_iter()).unwrap_err();
        assert!(e.get("n_1_1").is_some() && e.get("n_5_1").is_some());
        let e = validate_norms("urban", [(1, 1, "143")].into_iter()).unwrap_err();
        assert!(e.get("norms").is_some());
    }
}
