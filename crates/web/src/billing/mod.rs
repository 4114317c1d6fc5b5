//! Billing in the workspace and the API: tariffs and norms (BIL-01, BIL-02), invoices with the
//! payment QR (BIL-05), payments at the cashier and bank registries (PAY-01), balance and debt
//! (PAY-02), the restriction procedure (PAY-04). The billing run itself is `abonent bill`.

pub mod api;
pub mod pages;
pub mod restriction;

use abonent_domain::money::Kopecks;
use abonent_domain::org::Permission;
use abonent_domain::registry::{parse, ParseRules};
use abonent_domain::tariffs::Period;
use abonent_domain::validation::FieldErrors;
use abonent_render::InvoiceDoc;
use abonent_store::payments::ImportOutcome;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::CurrentStaff;
use crate::common::clock::today_in;
use crate::{AppState, WebError};

pub use abonent_jobs::invoices::{money, rate_label, rule_label};

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
    me.require(Permission::ViewBilling)?;
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

/// A payment as typed at the cashier.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PaymentDraft {
    /// Rubles: «1 234,56».
    pub amount: String,
    /// `YYYY-MM-DD`; today when empty.
    #[serde(default)]
    pub paid_on: String,
    #[serde(default)]
    pub payer: String,
}

/// Takes a payment at the cashier (PAY-01); returns the receipt (payment) number.
pub async fn take_payment(
    state: &AppState,
    me: &CurrentStaff,
    account_id: i64,
    d: &PaymentDraft,
) -> Result<i64, WebError> {
    me.require(Permission::TakePayments)?;
    let today = today_in(&me.zone);
    let mut e = FieldErrors::new();
    let limits = state.config.payment_limits;
    let amount = match Kopecks::parse_rubles(&d.amount) {
        Ok(k) => match limits.check_amount(k) {
            Ok(()) => Some(k),
            Err(m) => {
                e.add("amount", sentence(&m));
                None
            }
        },
        Err(m) => {
            e.add("amount", m);
            None
        }
    };
    let paid_on = if d.paid_on.trim().is_empty() {
        Some(today)
    } else {
        match d.paid_on.trim().parse::<jiff::civil::Date>() {
            Ok(v) if v > today => {
                e.add("paid_on", "Дата платежа не может быть позже сегодняшней.");
                None
            }
            Ok(v) => match limits.check_date(v, today) {
                Ok(()) => Some(v),
                Err(m) => {
                    e.add("paid_on", sentence(&m));
                    None
                }
            },
            Err(_) => {
                e.add("paid_on", "Дата в виде ГГГГ-ММ-ДД.");
                None
            }
        }
    };
    if d.payer.chars().count() > 200 {
        e.add("payer", "Не длиннее 200 знаков.");
    }
    let (Some(amount), Some(paid_on), true) = (amount, paid_on, e.is_empty()) else {
        return Err(e.into());
    };
    let account = state.store.account(account_id).await?;
    if let Ok(opened) = account.opened_on.parse::<jiff::civil::Date>() {
        if paid_on < opened {
            return Err(FieldErrors::single(
                "paid_on",
                format!(
                    "Дата платежа раньше открытия лицевого счёта ({}).",
                    opened.strftime("%d.%m.%Y")
                ),
            )
            .into());
        }
    }
    Ok(state
        .store
        .take_payment(account_id, amount, paid_on, d.payer.trim(), &me.actor())
        .await?)
}

/// A message of the domain («сумма должна …») as a sentence for a form field.
fn sentence(m: &str) -> String {
    let mut c = m.chars();
    let mut out: String = c
        .next()
        .map(|f| f.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(c.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// Imports a registry file: every malformed line is reported with its number and nothing is
/// imported; the same file again changes nothing.
pub async fn import_registry(
    state: &AppState,
    me: &CurrentStaff,
    bank: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<ImportOutcome, WebError> {
    me.require(Permission::ImportPayments)?;
    let Some(layout) = state
        .config
        .registry_layouts
        .iter()
        .find(|l| l.code == bank)
    else {
        return Err(FieldErrors::single("bank", "Выберите формат реестра.").into());
    };
    if bytes.is_empty() {
        return Err(FieldErrors::single("file", "Выберите файл реестра.").into());
    }
    let rules = ParseRules {
        limits: state.config.payment_limits,
        today: today_in(&me.zone),
    };
    let rows = parse(bytes, layout, &rules).map_err(|errors| {
        let mut e = FieldErrors::new();
        for l in errors.iter().take(200) {
            if l.line_no == 0 {
                e.add("file", l.detail.clone());
            } else {
                e.add("file", format!("строка {}: {}", l.line_no, l.detail));
            }
        }
        if errors.len() > 200 {
            e.add(
                "file",
                format!("… и ещё {} строк с ошибками", errors.len() - 200),
            );
        }
        WebError::Invalid(e)
    })?;
    Ok(state
        .store
        .import_registry(&layout.code, file_name, bytes, &rows, &me.actor())
        .await?)
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
    me.require(Permission::ManageRestriction)?;
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

/// Credits an unmatched registry row to an account given by its number.
pub async fn resolve_unmatched(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    account_number: &str,
) -> Result<i64, WebError> {
    me.require(Permission::ImportPayments)?;
    let number = api::account_by_number_text(account_number)?;
    let account = match state.store.account_by_number(&number).await {
        Ok(a) => a,
        Err(abonent_store::StoreError::NotFound) => {
            return Err(FieldErrors::single("account_number", "Такого лицевого счёта нет.").into())
        }
        Err(e) => return Err(e.into()),
    };
    Ok(state
        .store
        .resolve_unmatched(id, account.id, &me.actor())
        .await?)
}

/// Leaves a held registry row uncredited: a person found it repeats a credited payment.
pub async fn reject_unmatched(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    note: &str,
) -> Result<(), WebError> {
    me.require(Permission::ImportPayments)?;
    let note = note.trim();
    if note.chars().count() > 500 {
        return Err(FieldErrors::single("note", "Не длиннее 500 знаков.").into());
    }
    let note = if note.is_empty() {
        "повтор уже зачисленного платежа"
    } else {
        note
    };
    Ok(state.store.reject_unmatched(id, note, &me.actor()).await?)
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

/// Registry files up to 64 MB.
pub const MAX_REGISTRY_BYTES: usize = 64 * 1024 * 1024;
