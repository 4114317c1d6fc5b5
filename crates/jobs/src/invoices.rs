//! The invoice as a document (BIL-05): built from the stored invoice of a closed period, so the
//! card, the print batch and the e-mail copy show the same thing.

use abonent_domain::calendar::ru_date;
use abonent_domain::money::{Kopecks, Wh};
use abonent_domain::payment_qr::PaymentDetails;
use abonent_domain::refusal::BillingRefusal;
use abonent_domain::restriction::CaseStatus;
use abonent_domain::tariffs::Period;
use abonent_render::{InvoiceDoc, InvoiceLineDoc};
use abonent_store::billing::{InvoiceRow, LineRow};
use abonent_store::restriction::RestrictionCase;
use abonent_store::{Result, Store, StoreError};
use jiff::civil::Date;

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

/// Whether an invoice still carries a restriction case's warning: only while the case is open
/// at the warning step, only on the invoice of the period that warned and later ones, and only
/// while a debt is overdue (a paid-off debt has no warning left to give).
pub fn warning_is_current(case: &RestrictionCase, period: Period, overdue: i64) -> bool {
    case.open != 0
        && case.status == CaseStatus::Warning
        && Period::parse(&case.period).is_some_and(|p| p <= period)
        && overdue > 0
}

/// Builds the invoice of an account for a period, formatted for print, as of today in the
/// account's branch.
#[tracing::instrument(skip_all, fields(account = account_id, %period))]
pub async fn invoice_doc(store: &Store, account_id: i64, period: Period) -> Result<InvoiceDoc> {
    let a = store.account(account_id).await?;
    let zone = store
        .branches()
        .await?
        .into_iter()
        .find(|b| b.id == a.branch_id)
        .and_then(|b| jiff::tz::TimeZone::get(&b.time_zone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::now().to_zoned(zone).date();
    invoice_doc_on(store, account_id, period, today).await
}

/// As [`invoice_doc`], with what is current (a restriction warning) judged on `today`.
/// Refuses an invoice whose payee requisites fail the checks, instead of printing it with a
/// wrong or no payment QR code.
#[tracing::instrument(skip_all, fields(account = account_id, %period, %today))]
pub async fn invoice_doc_on(
    store: &Store,
    account_id: i64,
    period: Period,
    today: Date,
) -> Result<InvoiceDoc> {
    let settings = store.billing_settings().await?;
    settings.check_requisites()?;
    let (inv, lines) = store.invoice(account_id, period).await?;
    let a = store.account(account_id).await?;
    let client = store.client(a.client_id).await?;
    let company = store.company().await?;
    let branch = store
        .branches()
        .await?
        .into_iter()
        .find(|b| b.id == a.branch_id);
    let portal_code = store.portal_code(&a.number).await?;
    let company_lines = company_lines(company.as_ref(), branch.as_ref(), &portal_code);
    let docs_lines = lines.iter().map(line_doc).collect();
    let due_on = abonent_domain::tariffs::Period::parse(&inv.period)
        .map(|p| p.due_date(settings.due_day as i8))
        .map(|d| d.strftime("%d.%m.%Y").to_string())
        .unwrap_or_default();
    let to_pay = inv.closing.max(0);
    let summary = summary(&inv, to_pay);
    let purpose = format!(
        "Оплата электроэнергии, л/с {}, период {:02}.{}",
        a.number, period.month, period.year
    );
    let qr_payload = if to_pay > 0 {
        PaymentDetails {
            sum: Kopecks(to_pay),
            purpose: purpose.clone(),
            last_name: client.surname.clone(),
            first_name: client.first_name.clone(),
            middle_name: client.patronymic.clone().unwrap_or_default(),
            payer_address: a.address(),
            pers_acc: a.number.clone(),
            paym_period: period.mmyyyy(),
            ..settings.payment_details()
        }
        .payload()
        .map_err(|e| StoreError::Refused(BillingRefusal::QrNotFormed(e).into()))?
    } else {
        String::new()
    };
    let notices = warnings(store, account_id, period, today).await?;
    let announcement = store
        .invoice_announcement(period)
        .await?
        .unwrap_or_default();
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
            format!("Назначение: {purpose}"),
        ],
        qr_payload,
        notices,
        announcement,
    })
}

/// The company's and the branch's contacts, and how to reach the personal account.
fn company_lines(
    company: Option<&abonent_store::org::Company>,
    branch: Option<&abonent_store::org::Branch>,
    portal_code: &str,
) -> Vec<String> {
    let mut company_lines = Vec::new();
    if let Some(c) = company {
        company_lines.push(c.name.clone());
        company_lines.push(format!(
            "Горячая линия: {} ({})",
            c.hotline_phones, c.hotline_hours
        ));
        if !c.website.is_empty() {
            company_lines.push(format!("Сайт: {}", c.website));
        }
    }
    if let Some(b) = branch {
        company_lines.push(format!("{}: {}, тел. {}", b.name, b.address, b.phones));
    }
    let site = company
        .map(|c| c.website.trim().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    company_lines.push(format!(
        "Личный кабинет: {}, код для регистрации {}",
        if site.is_empty() {
            "раздел «Клиентам» на сайте".to_owned()
        } else {
            format!("{site}/my")
        },
        portal_code
    ));
    company_lines
}

/// An invoice line as printed.
fn line_doc(l: &LineRow) -> InvoiceLineDoc {
    InvoiceLineDoc {
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
    }
}

/// The sums of the period: opening balance, charges, payments, penalties, what to pay.
fn summary(inv: &InvoiceRow, to_pay: i64) -> Vec<(String, String)> {
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
    summary
}

/// The restriction warnings the invoice of `period` still carries on `today` (PAY-04).
async fn warnings(
    store: &Store,
    account_id: i64,
    period: Period,
    today: Date,
) -> Result<Vec<String>> {
    let mut notices = Vec::new();
    let cases = store.restriction_cases_of_account(account_id).await?;
    if cases
        .iter()
        .any(|c| c.open != 0 && c.status == CaseStatus::Warning)
    {
        let overdue = store.balance_at(account_id, today).await?.overdue;
        for c in cases
            .iter()
            .filter(|c| warning_is_current(c, period, overdue))
        {
            notices.push(format!(
                "ПРЕДУПРЕЖДЕНИЕ. Задолженность {} превышает сумму двух месячных начислений по нормативу. Если её не погасить до {} включительно, предоставление коммунальной услуги по электроснабжению будет ограничено, а затем приостановлено (ПП РФ №\u{a0}354, пп.\u{a0}117–119).",
                money(c.debt),
                ru_date(&c.pay_by)
            ));
        }
    }
    Ok(notices)
}
