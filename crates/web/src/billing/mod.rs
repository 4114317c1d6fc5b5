//! Billing in the workspace and the API: tariffs and norms (BIL-01, BIL-02), invoices with the
//! payment QR (BIL-05), payments at the cashier and bank registries (PAY-01), balance and debt
//! (PAY-02), the restriction procedure (PAY-04). The billing run itself is `abonent bill`.

pub mod api;
pub mod pages;

use abonent_domain::money::{Kopecks, Wh};
use abonent_domain::org::Permission;
use abonent_domain::payment_qr::PaymentDetails;
use abonent_domain::registry::parse;
use abonent_domain::tariffs::Period;
use abonent_domain::validation::FieldErrors;
use abonent_render::{InvoiceDoc, InvoiceLineDoc};
use abonent_store::payments::ImportOutcome;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::appeals::today_in_zone;
use crate::auth::CurrentStaff;
use crate::{AppState, WebError};

/// «3,12 ₽» from kopecks × 100 per kWh (two decimals at least, four at most).
pub fn rate_label(rate: i64) -> String {
    let rub = rate / 10_000;
    let frac = format!("{:04}", rate % 10_000);
    let frac = frac.trim_end_matches('0');
    let frac = if frac.len() < 2 {
        format!("{frac:0<2}")
    } else {
        frac.to_owned()
    };
    format!("{rub},{frac}\u{a0}₽")
}

pub fn money(k: impl std::borrow::Borrow<i64>) -> String {
    Kopecks(*k.borrow()).to_string()
}

/// How an invoice line is called, by the rule that produced it.
pub fn rule_label(rule: &str) -> &'static str {
    match rule {
        "readings" => "Электроэнергия по показаниям прибора учёта",
        "average" => "Электроэнергия по среднемесячному объёму",
        "norm" => "Электроэнергия по нормативу потребления",
        "increased_norm" => "Электроэнергия по нормативу с коэффициентом 1,5",
        "p61" => "Перерасчёт по показаниям",
        "penalty" => "Пени",
        _ => "Начисление",
    }
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
    let store = &state.store;
    let (inv, lines) = store.invoice(account_id, period).await?;
    let a = store.account(account_id).await?;
    let client = store.client(a.client_id).await?;
    let settings = store.billing_settings().await?;
    let company = store.company().await?;
    let branch = store
        .branches()
        .await?
        .into_iter()
        .find(|b| b.id == a.branch_id);
    let mut company_lines = Vec::new();
    if let Some(c) = &company {
        company_lines.push(c.name.clone());
        company_lines.push(format!(
            "Горячая линия: {} ({})",
            c.hotline_phones, c.hotline_hours
        ));
        if !c.website.is_empty() {
            company_lines.push(format!("Сайт: {}", c.website));
        }
    }
    if let Some(b) = &branch {
        company_lines.push(format!("{}: {}, тел. {}", b.name, b.address, b.phones));
    }
    let docs_lines = lines
        .iter()
        .map(|l| InvoiceLineDoc {
            description: if l.zone.is_empty() {
                rule_label(&l.rule).to_owned()
            } else {
                format!("{}, зона «{}»", rule_label(&l.rule), l.zone)
            },
            basis: format!("{}: {}", l.clause, l.explanation),
            volume: if l.energy_wh == 0 {
                String::new()
            } else {
                Wh(l.energy_wh).display_kwh()
            },
            rate: if l.rate == 0 {
                String::new()
            } else {
                rate_label(l.rate)
            },
            amount: money(l.amount),
        })
        .collect();
    let due_on = abonent_domain::tariffs::Period::parse(&inv.period)
        .map(|p| p.due_date(settings.due_day as i8))
        .map(|d| d.strftime("%d.%m.%Y").to_string())
        .unwrap_or_default();
    let to_pay = inv.closing.max(0);
    let mut summary = vec![
        (
            if inv.opening < 0 {
                "Аванс на начало периода"
            } else {
                "Задолженность на начало периода"
            }
            .to_owned(),
            money(inv.opening.abs()),
        ),
        ("Начислено за период".to_owned(), money(inv.charged)),
        ("Оплачено в периоде".to_owned(), money(inv.paid)),
        ("Пени".to_owned(), money(inv.penalty)),
    ];
    if inv.closing < 0 {
        summary.push(("Переплата (аванс)".into(), money(-inv.closing)));
    }
    summary.push(("Итого к оплате".into(), money(to_pay)));
    let qr_payload = if to_pay > 0 {
        PaymentDetails {
            name: settings.payee_name.clone(),
            personal_acc: settings.personal_acc.clone(),
            bank_name: settings.bank_name.clone(),
            bic: settings.bic.clone(),
            corresp_acc: settings.corresp_acc.clone(),
            payee_inn: settings.payee_inn.clone(),
            sum: Kopecks(to_pay),
            pers_acc: a.number.clone(),
            paym_period: period.mmyyyy(),
        }
        .payload()
        .unwrap_or_default()
    } else {
        String::new()
    };
    let mut notices = Vec::new();
    for c in store.restriction_cases_of_account(account_id).await? {
        if c.open != 0 && c.status == "warning" {
            notices.push(format!(
                "ПРЕДУПРЕЖДЕНИЕ. Задолженность {} превышает сумму двух месячных начислений по нормативу. Если её не погасить до {} включительно, предоставление коммунальной услуги по электроснабжению будет ограничено, а затем приостановлено (ПП РФ № 354, пп. 117–119).",
                money(c.debt),
                crate::pages::ru_date(&c.pay_by)
            ));
        }
    }
    Ok(InvoiceDoc {
        company: company.map(|c| c.short_name).unwrap_or_default(),
        company_lines,
        title: format!("Счёт за электроэнергию за {} г.", period.label_ru()),
        account_number: a.number.clone(),
        client_name: client.full_name.clone(),
        address: a.address(),
        account_facts: format!(
            "{}; проживает {} чел., комнат {}",
            a.category_label(),
            a.residents,
            a.rooms
        ),
        lines: docs_lines,
        summary,
        due: if to_pay > 0 {
            format!("Оплатить до {due_on}")
        } else {
            "К оплате ничего нет".into()
        },
        requisites: vec![
            format!(
                "Получатель: {}, ИНН {}, КПП {}",
                settings.payee_name, settings.payee_inn, settings.payee_kpp
            ),
            format!("Р/с {} в {}", settings.personal_acc, settings.bank_name),
            format!("БИК {}, к/с {}", settings.bic, settings.corresp_acc),
            format!(
                "Назначение: оплата электроэнергии, л/с {}, период {:02}.{}",
                a.number, period.month, period.year
            ),
        ],
        qr_payload,
        notices,
    })
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
    let today = today_in_zone(&me.staff.time_zone);
    let mut e = FieldErrors::new();
    let amount = match Kopecks::parse_rubles(&d.amount) {
        Ok(k) if k.0 > 0 => Some(k),
        Ok(_) => {
            e.add("amount", "Сумма должна быть больше нуля.");
            None
        }
        Err(m) => {
            e.add("amount", m);
            None
        }
    };
    let paid_on = if d.paid_on.trim().is_empty() {
        Some(today)
    } else {
        match d.paid_on.trim().parse::<jiff::civil::Date>() {
            Ok(v) if v <= today => Some(v),
            Ok(_) => {
                e.add("paid_on", "Дата платежа не может быть позже сегодняшней.");
                None
            }
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
    state.store.account(account_id).await?;
    Ok(state
        .store
        .take_payment(account_id, amount, paid_on, d.payer.trim(), &me.actor())
        .await?)
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
    let rows = parse(bytes, layout).map_err(|errors| {
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
    if abonent_store::payments::step_label(&d.step).is_empty() || d.step == "warning" {
        return Err(FieldErrors::single("step", "Выберите шаг.").into());
    }
    if matches!(d.step.as_str(), "restricted" | "suspended") && d.note.trim().is_empty() {
        return Err(FieldErrors::single(
            "note",
            "Укажите основание: номер и дату акта об ограничении или приостановлении.",
        )
        .into());
    }
    let today = today_in_zone(&me.staff.time_zone);
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
/// payment QR needs them.
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
    let kpp_ok = s.payee_kpp.len() == 9 && s.payee_kpp.chars().all(|c| c.is_ascii_alphanumeric());
    if !s.payee_kpp.is_empty() && !kpp_ok {
        e.add("payee_kpp", "КПП: 9 знаков.");
    }
    let qr = PaymentDetails {
        name: s.payee_name.clone(),
        personal_acc: s.personal_acc.clone(),
        bank_name: s.bank_name.clone(),
        bic: s.bic.clone(),
        corresp_acc: s.corresp_acc.clone(),
        payee_inn: s.payee_inn.clone(),
        sum: Kopecks(100),
        pers_acc: "1".into(),
        paym_period: "012026".into(),
    };
    if let Err(q) = qr.validate() {
        for f in q.0 {
            let field = match f.field.as_str() {
                "name" => "payee_name",
                "personal_acc" => "personal_acc",
                "bank_name" => "bank_name",
                "bic" => "bic",
                "corresp_acc" => "corresp_acc",
                "payee_inn" => "payee_inn",
                _ => continue,
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
