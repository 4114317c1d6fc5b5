//! Payment points (§5.2.2 «Пункты приёма платежей, включая график обслуживания»): the public page
//! is generated from the centres' cash desks and the points staff keep here.
//! The one place where their rights are checked; `pages.rs` is its adapter.

pub mod pages;

use abonent_domain::info::PaymentPointData;
use abonent_domain::org::Permission;
use abonent_store::info::PaymentPoint;
use abonent_store::org::Centre;

use crate::auth::CurrentStaff;
use crate::{AppState, WebError};

/// What a staff member may do with the payment points.
pub struct Rights;

impl Rights {
    /// Adding, changing and withdrawing points (the public pages' right).
    pub fn edit(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::EditPublicPages)
    }
}

/// The points in service and the service centres, for the public page; no sign-in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn public_points(state: &AppState) -> Result<(Vec<PaymentPoint>, Vec<Centre>), WebError> {
    let points = state.store.payment_points(false).await?;
    Ok((points, state.store.centres().await?))
}

/// Every point, withdrawn ones too, for the staff's list.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn all_points(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<Vec<PaymentPoint>, WebError> {
    Rights::edit(me)?;
    Ok(state.store.payment_points(true).await?)
}

/// Saves a checked point: a new one when `id` is none.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save_point(
    state: &AppState,
    me: &CurrentStaff,
    id: Option<i64>,
    data: &PaymentPointData,
) -> Result<(), WebError> {
    Rights::edit(me)?;
    state
        .store
        .save_payment_point(id, data, &me.actor())
        .await?;
    Ok(())
}

/// Takes a point off the public page.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn withdraw_point(state: &AppState, me: &CurrentStaff, id: i64) -> Result<(), WebError> {
    Rights::edit(me)?;
    Ok(state.store.withdraw_payment_point(id, &me.actor()).await?)
}
