//! The OpenAPI description of `/api/v1`, generated from the handlers and types.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Abonent API", description = "Customer service and billing for residential electricity retailers. Errors: `{\"errors\":[{\"field\":…,\"detail\":…}]}` with Russian messages."),
    paths(
        crate::auth::api::create_session,
        crate::auth::api::delete_session,
        crate::auth::api::me,
        crate::auth::api::change_password,
        crate::clients::api::search,
        crate::clients::api::card,
        crate::clients::api::create,
        crate::clients::api::update,
        crate::clients::api::export,
        crate::clients::api::open_account,
        crate::org::api::company,
        crate::org::api::put_company,
        crate::org::api::branches,
        crate::org::api::create_branch,
        crate::org::api::update_branch,
        crate::org::api::centres,
        crate::org::api::create_centre,
        crate::org::api::update_centre,
        crate::org::api::staff,
        crate::org::api::create_staff,
        crate::org::api::update_staff,
        crate::org::api::reset_password,
        crate::org::api::calendar_year,
        crate::org::api::put_calendar_year,
        crate::org::api::deadline,
        crate::audit::api::list,
        crate::appeals::api::register,
        crate::appeals::api::list,
        crate::appeals::api::card,
        crate::appeals::api::assign,
        crate::appeals::api::interim,
        crate::appeals::api::extend,
        crate::appeals::api::answer,
        crate::appeals::api::leave,
        crate::appeals::api::clear_flag,
        crate::appeals::api::classify,
        crate::appeals::api::attachment,
        crate::appeals::api::stats,
        crate::appeals::api::norms,
        crate::appeals::api::put_norms,
        crate::appeals::api::topics,
        crate::appeals::api::put_topic,
        crate::appeals::api::public_register,
        crate::appeals::api::public_track,
        crate::metering::api::add_meter,
        crate::metering::api::meters,
        crate::metering::api::submit,
        crate::metering::api::readings,
        crate::metering::api::held,
        crate::metering::api::review,
        crate::metering::api::set_state,
        crate::billing::api::tariffs,
        crate::billing::api::public_tariffs,
        crate::billing::api::save_tariff,
        crate::billing::api::norms,
        crate::billing::api::save_norms,
        crate::billing::api::settings,
        crate::billing::api::save_settings,
        crate::billing::api::periods,
        crate::billing::api::balance,
        crate::billing::api::invoices,
        crate::billing::api::invoice,
        crate::billing::api::mail_invoice,
        crate::billing::api::messages,
        crate::billing::api::payments,
        crate::billing::api::pay,
        crate::billing::api::import,
        crate::billing::api::unmatched,
        crate::billing::api::resolve,
        crate::billing::api::restrictions,
        crate::billing::api::step,
    ),
    tags(
        (name = "auth", description = "Staff sign-in (ORG-04)"),
        (name = "clients", description = "Clients, accounts, search (ACC-01, ACC-02, ACC-04)"),
        (name = "org", description = "Organisation, staff, working calendar (ORG-01…ORG-03, ORG-06)"),
        (name = "audit", description = "Personal-data audit log (ORG-05)"),
        (name = "metering", description = "Meters and readings (MTR-01…MTR-04)"),
        (name = "billing", description = "Tariffs, norms, invoices, payments, registries, restriction (BIL-01…BIL-05, PAY-01…PAY-04)"),
        (name = "appeals", description = "Appeals registry and the online reception (APL-01…APL-10, CHN-02)"),
    )
)]
pub struct ApiDoc;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/api/openapi.json",
        get(|| async { Json(ApiDoc::openapi()) }),
    )
}
