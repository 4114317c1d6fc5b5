//! Notice templates per kind and channel (NTF-03): edited by staff with a preview on sample
//! values, checked before saving (only the kind's placeholders, SMS length), audited.
//! The one place where their rights are checked; `api.rs` and `pages.rs` are its adapters.

pub mod api;
pub mod pages;

use abonent_domain::notices::validate_template;
use abonent_domain::org::Permission;
use abonent_store::notices::NoticeTemplate;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::CurrentStaff;
use crate::{AppState, WebError};

/// What a staff member may do with the notice templates.
pub struct Rights;

impl Rights {
    /// Reading and changing the templates.
    pub fn configure(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::ConfigureNotices)
    }
}

/// The templates of every notice and channel.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn templates(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<Vec<NoticeTemplate>, WebError> {
    Rights::configure(me)?;
    Ok(state.store.notice_templates().await?)
}

/// A template as typed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TemplateDraft {
    #[serde(default)]
    pub subject: String,
    pub body: String,
}

/// Checks and saves a template.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn save_template(
    state: &AppState,
    me: &CurrentStaff,
    kind_code: &str,
    channel: &str,
    d: &TemplateDraft,
) -> Result<(), WebError> {
    Rights::configure(me)?;
    validate_template(kind_code, channel, &d.subject, &d.body)?;
    state
        .store
        .save_notice_template(
            kind_code,
            channel,
            d.subject.trim(),
            d.body.trim(),
            &me.actor(),
        )
        .await?;
    Ok(())
}
