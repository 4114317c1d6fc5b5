//! The restriction procedure's warnings (PAY-04, ПП 354 п. 119): recording how each warning
//! reached the client — one at a time on the case's page and the API, or a courier's delivery
//! list of a district in one go. Permission checks and validation live here; pages and the API
//! adapt.

use abonent_domain::restriction::{validate, DeliveryDraft, NewDelivery};
use abonent_domain::tariffs::Period;
use abonent_domain::validation::FieldErrors;
use abonent_store::restriction::RestrictionCase;
use jiff::civil::Date;

use super::Rights;
use crate::auth::CurrentStaff;
use crate::common::clock::today_in;
use crate::{AppState, WebError};

/// The day a case's warning was issued: the first day after its billed period (the invoice
/// carrying it goes out then). Nothing is delivered before it.
pub fn issued_on(case: &RestrictionCase) -> Result<Date, WebError> {
    Period::parse(&case.period)
        .map(|p| p.next().first_day())
        .ok_or_else(|| WebError::Internal(anyhow::anyhow!("case {}: period", case.id)))
}

/// Records one delivery of a case's warning; returns the record's id.
pub async fn record_delivery(
    state: &AppState,
    me: &CurrentStaff,
    case_id: i64,
    d: &DeliveryDraft,
) -> Result<i64, WebError> {
    Rights::record_delivery(me)?;
    let (case, _) = state.store.restriction_case(case_id).await?;
    let today = today_in(&me.zone);
    let delivery = validate(d, issued_on(&case)?, today).map_err(WebError::Invalid)?;
    Ok(state
        .store
        .record_delivery(case_id, &delivery, &me.actor())
        .await?)
}

/// The field of a delivery list's line: the day the invoice of case `id` was handed over.
pub fn list_field(case_id: i64) -> String {
    format!("d_{case_id}")
}

/// Records a courier's delivery list of `settlement`: `dates` holds, per case, the day typed
/// (blank: not delivered yet). Only the district's warnings awaiting delivery are accepted.
/// Returns how many were recorded.
pub async fn record_delivery_list(
    state: &AppState,
    me: &CurrentStaff,
    settlement: &str,
    delivered_by: &str,
    dates: &[(i64, String)],
) -> Result<usize, WebError> {
    Rights::record_delivery(me)?;
    let today = today_in(&me.zone);
    let listed = state.store.delivery_list(settlement).await?;
    let mut e = FieldErrors::new();
    let mut out = Vec::new();
    for (case_id, typed) in dates {
        if typed.trim().is_empty() {
            continue;
        }
        let field = list_field(*case_id);
        let Some(row) = listed.iter().find(|r| r.case_id == *case_id) else {
            e.add(
                &field,
                "Этого предупреждения уже нет в списке: вручение записано или дело закрыто.",
            );
            continue;
        };
        let earliest = Period::parse(&row.period)
            .map(|p| p.next().first_day())
            .unwrap_or(today);
        let d = DeliveryDraft {
            way: "invoice".into(),
            delivered_on: typed.clone(),
            delivered_by: delivered_by.to_owned(),
            ..Default::default()
        };
        match validate(&d, earliest, today) {
            Ok(NewDelivery::Invoice { on, .. }) => out.push((*case_id, on)),
            Ok(_) => {}
            Err(errs) => {
                for x in errs.0 {
                    // The person's name is one field of the whole list.
                    if x.field == "delivered_on" {
                        e.add(&field, format!("Счёт {}: {}", row.account_number, x.detail));
                    } else if e.get("delivered_by").is_none() {
                        e.add("delivered_by", x.detail);
                    }
                }
            }
        }
    }
    if delivered_by.trim().is_empty() && e.get("delivered_by").is_none() {
        e.add(
            "delivered_by",
            "Укажите, кто вручил: фамилию и инициалы курьера или сотрудника.",
        );
    }
    if out.is_empty() && e.is_empty() {
        e.add(
            "delivered_by",
            "Укажите дату вручения хотя бы для одного счёта.",
        );
    }
    if !e.is_empty() {
        return Err(WebError::Invalid(e));
    }
    Ok(state
        .store
        .record_invoice_deliveries(&out, delivered_by.trim(), &me.actor())
        .await?)
}
