//! Payments (PAY-01): what the cashier types, checked before anything is stored; bank registries
//! and their content identity (`registry`); the Bank of Russia's checks of requisites (`bank`).
//! Billing (charges, penalties, invoices) reads payments but does not decide them.

pub mod bank;
pub mod registry;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::accounts::coded_enum;
use crate::money::Kopecks;
use crate::validation::FieldErrors;
use registry::PaymentLimits;

coded_enum! {
    /// Why a registry row waits for a person at «Неразобранные платежи».
    HoldReason {
        NoAccount = "account" / "лицевой счёт не найден",
        Duplicate = "duplicate" / "возможный повтор платежа",
        BeforeOpening = "date" / "дата раньше открытия счёта",
    }
}

/// A payment as typed at the cashier.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct PaymentDraft {
    /// Rubles: «1 234,56».
    pub amount: String,
    /// `YYYY-MM-DD`; today when empty.
    #[serde(default)]
    pub paid_on: String,
    #[serde(default)]
    pub payer: String,
}

/// A cashier's payment after its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashierPayment {
    pub amount: Kopecks,
    pub paid_on: Date,
    /// Trimmed; at most 200 characters.
    pub payer: String,
}

/// The longest payer's name kept.
pub const MAX_PAYER_CHARS: usize = 200;

impl PaymentDraft {
    /// Checks the amount (rubles, within `limits`), the date (today when empty, not after
    /// today, within the horizon) and the payer's length; every wrong field is named.
    pub fn check(
        &self,
        limits: &PaymentLimits,
        today: Date,
    ) -> Result<CashierPayment, FieldErrors> {
        let mut e = FieldErrors::new();
        let amount = match Kopecks::parse_rubles(&self.amount) {
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
        let paid_on = self.checked_date(limits, today, &mut e);
        if self.payer.chars().count() > MAX_PAYER_CHARS {
            e.add("payer", "Не длиннее 200 знаков.");
        }
        match (amount, paid_on, e.is_empty()) {
            (Some(amount), Some(paid_on), true) => Ok(CashierPayment {
                amount,
                paid_on,
                payer: self.payer.trim().to_owned(),
            }),
            _ => Err(e),
        }
    }

    fn checked_date(
        &self,
        limits: &PaymentLimits,
        today: Date,
        e: &mut FieldErrors,
    ) -> Option<Date> {
        let typed = self.paid_on.trim();
        if typed.is_empty() {
            return Some(today);
        }
        match typed.parse::<Date>() {
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
    }
}

impl CashierPayment {
    /// A payment cannot predate its account: refused on the date's field.
    pub fn check_opened(&self, opened_on: Option<Date>) -> Result<(), FieldErrors> {
        match opened_on {
            Some(opened) if self.paid_on < opened => Err(FieldErrors::single(
                "paid_on",
                format!(
                    "Дата платежа раньше открытия лицевого счёта ({}).",
                    opened.strftime("%d.%m.%Y")
                ),
            )),
            _ => Ok(()),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(amount: &str, paid_on: &str) -> PaymentDraft {
        PaymentDraft {
            amount: amount.into(),
            paid_on: paid_on.into(),
            payer: " Иванов И. И. ".into(),
        }
    }

    #[test]
    fn a_cashier_payment_is_checked_field_by_field() {
        let today: Date = "2026-12-01".parse().unwrap();
        let limits = PaymentLimits::default();
        let ok = draft("1 234,56", "").check(&limits, today).unwrap();
        assert_eq!(ok.amount, Kopecks(123_456));
        assert_eq!(ok.paid_on, today);
        assert_eq!(ok.payer, "Иванов И. И.");
        let e = draft("0", "2026-12-02").check(&limits, today).unwrap_err();
        assert_eq!(e.get("amount"), Some("Сумма должна быть больше нуля."));
        assert_eq!(
            e.get("paid_on"),
            Some("Дата платежа не может быть позже сегодняшней.")
        );
        let e = draft("10", "01.12.2026").check(&limits, today).unwrap_err();
        assert_eq!(e.get("paid_on"), Some("Дата в виде ГГГГ-ММ-ДД."));
        let opened: Date = "2026-11-15".parse().unwrap();
        let early = draft("10", "2026-11-14").check(&limits, today).unwrap();
        assert!(early.check_opened(Some(opened)).is_err());
        let on_day = draft("10", "2026-11-15").check(&limits, today).unwrap();
        assert!(on_day.check_opened(Some(opened)).is_ok());
    }
}
