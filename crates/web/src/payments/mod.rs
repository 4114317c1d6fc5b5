//! Payments (PAY-01) in the workspace and the API: the cashier, bank registries and the rows
//! waiting for a person. The one place where their rights are checked; billing reads payments
//! (balances, penalties) but takes none.

pub mod api;
pub mod pages;

use abonent_domain::accounts::AccountNumber;
use abonent_domain::org::Permission;
use abonent_domain::payments::registry::{parse, ParseRules};
pub use abonent_domain::payments::PaymentDraft;
use abonent_domain::validation::FieldErrors;
use abonent_store::payments::{ImportOutcome, PaymentView, RegistryView, UnmatchedView};

use crate::auth::CurrentStaff;
use crate::common::clock::today_in;
use crate::{AppState, WebError};

/// Whether this person may import registries and settle waiting rows.
pub fn may_import(me: &CurrentStaff) -> Result<(), WebError> {
    me.require(Permission::ImportPayments)
}

/// Takes a payment at the cashier (PAY-01); returns the receipt (payment) number.
pub async fn take_payment(
    state: &AppState,
    me: &CurrentStaff,
    account_id: i64,
    d: &PaymentDraft,
) -> Result<i64, WebError> {
    me.require(Permission::TakePayments)?;
    let payment = d.check(&state.config.payment_limits, today_in(&me.zone))?;
    let account = state.store.account(account_id).await?;
    payment.check_opened(account.opened_on.parse::<jiff::civil::Date>().ok())?;
    Ok(state
        .store
        .take_payment(
            account_id,
            payment.amount,
            payment.paid_on,
            &payment.payer,
            &me.actor(),
        )
        .await?)
}

/// The account's payments, newest first.
pub async fn account_payments(
    state: &AppState,
    me: &CurrentStaff,
    account_id: i64,
    limit: i64,
) -> Result<Vec<PaymentView>, WebError> {
    me.require(Permission::ViewBilling)?;
    state.store.account(account_id).await?;
    Ok(state.store.payments_of_account(account_id, limit).await?)
}

/// Registry rows waiting for a person (no account, a possible repeat, a date before opening).
pub async fn unmatched(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<Vec<UnmatchedView>, WebError> {
    may_import(me)?;
    Ok(state.store.unmatched_payments(500).await?)
}

/// The latest registries and the rows waiting for a person, for the registries page.
pub async fn registries(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<(Vec<RegistryView>, Vec<UnmatchedView>), WebError> {
    may_import(me)?;
    Ok((
        state.store.registries(50).await?,
        state.store.unmatched_payments(500).await?,
    ))
}

/// What the cashier's receipt shows (PAY-01); only payments taken at the cashier have one.
pub struct Receipt {
    pub payment: PaymentView,
    pub account: abonent_store::accounts::AccountView,
    pub client_name: String,
    pub payee_inn: String,
    pub company: String,
}

/// The receipt of a payment taken at the cashier.
pub async fn receipt(state: &AppState, me: &CurrentStaff, id: i64) -> Result<Receipt, WebError> {
    me.require(Permission::ViewBilling)?;
    let payment = state.store.payment(id).await?;
    if payment.source != "cashier" {
        return Err(WebError::NotFound(
            "Квитанция выдаётся на платежи в кассе.".into(),
        ));
    }
    let account = state.store.account(payment.account_id).await?;
    let client = state.store.client(account.client_id).await?;
    let settings = state.store.billing_settings().await?;
    let company = state.store.company().await?;
    Ok(Receipt {
        payment,
        account,
        client_name: client.full_name,
        payee_inn: settings.payee_inn,
        company: company.map(|c| c.name).unwrap_or_default(),
    })
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
    may_import(me)?;
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

/// Credits an unmatched registry row to an account given by its number.
pub async fn resolve_unmatched(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    account_number: &str,
) -> Result<i64, WebError> {
    may_import(me)?;
    let number = account_by_number_text(account_number)?;
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
    may_import(me)?;
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

/// Registry files up to 64 MB.
pub const MAX_REGISTRY_BYTES: usize = 64 * 1024 * 1024;

/// Account numbers typed by people: the check digit explains a typo.
pub fn account_by_number_text(s: &str) -> Result<AccountNumber, WebError> {
    AccountNumber::parse(s.trim()).map_err(|m| FieldErrors::single("account_number", m).into())
}
