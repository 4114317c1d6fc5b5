//! The directory of competences (CHN-07, §6.2.3.3, §6.3.3): staff read it to redirect a client
//! to who decides; those with the right keep it; the published entries are on the public site.
//! The one place where its rights are checked.

pub mod api;
pub mod pages;

use abonent_domain::frontoffice::competences::{CompetenceDraft, CompetenceQuery};
use abonent_domain::org::{Permission, Role};
use abonent_domain::validation::FieldErrors;
use abonent_store::frontoffice::competences::Competence;
use abonent_store::org::{Centre, Staff};
use abonent_store::StoreError;

use crate::auth::CurrentStaff;
use crate::{AppState, WebError};

/// What a staff member may do with the directory: every staff member reads it.
pub struct Rights;

impl Rights {
    /// Adding, changing, deleting and reordering entries.
    pub fn edit(me: &CurrentStaff) -> Result<(), WebError> {
        me.require(Permission::EditCompetences)
    }
    pub fn may_edit(me: &CurrentStaff) -> bool {
        me.can(Permission::EditCompetences)
    }
}

/// Keeps the entries whose texts contain every word typed, in any form.
fn search(all: Vec<Competence>, q: &str) -> Vec<Competence> {
    match CompetenceQuery::parse(q) {
        None => all,
        Some(query) => all
            .into_iter()
            .filter(|c| {
                query.matches(&[
                    &c.topic,
                    &c.questions,
                    &c.position,
                    c.staff_name.as_deref().unwrap_or(""),
                    c.centre_name.as_deref().unwrap_or(""),
                ])
            })
            .collect(),
    }
}

/// The directory for staff (unpublished entries too), filtered by the words of `q`.
pub async fn list(
    state: &AppState,
    _me: &CurrentStaff,
    q: &str,
) -> Result<Vec<Competence>, WebError> {
    Ok(search(state.store.competences(false).await?, q))
}

/// The published entries, for the public page; no sign-in.
pub async fn published(state: &AppState, q: &str) -> Result<Vec<Competence>, WebError> {
    Ok(search(state.store.competences(true).await?, q))
}

/// One entry, for the editing form.
pub async fn entry(state: &AppState, me: &CurrentStaff, id: i64) -> Result<Competence, WebError> {
    Rights::edit(me)?;
    state.store.competence(id).await.map_err(not_found)
}

fn not_found(e: StoreError) -> WebError {
    match e {
        StoreError::NotFound => WebError::NotFound("Такой записи в справочнике нет.".into()),
        e => e.into(),
    }
}

/// Adds an entry (`id` none) or changes one; returns its id.
pub async fn save(
    state: &AppState,
    me: &CurrentStaff,
    id: Option<i64>,
    d: &CompetenceDraft,
) -> Result<i64, WebError> {
    Rights::edit(me)?;
    let data = d.check()?;
    let mut e = FieldErrors::new();
    if let Some(s) = data.staff_id {
        match state.store.staff(s).await {
            Ok(s) if s.active => {}
            Ok(_) | Err(StoreError::NotFound) => {
                e.add("staff_id", "Выберите сотрудника из списка.")
            }
            Err(x) => return Err(x.into()),
        }
    }
    if let Some(c) = data.centre_id {
        match state.store.centre(c).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                e.add("centre_id", "Выберите центр обслуживания из списка.")
            }
            Err(x) => return Err(x.into()),
        }
    }
    if !e.is_empty() {
        return Err(e.into());
    }
    state
        .store
        .save_competence(id, &data, &me.actor())
        .await
        .map_err(not_found)
}

pub async fn delete(state: &AppState, me: &CurrentStaff, id: i64) -> Result<(), WebError> {
    Rights::edit(me)?;
    state
        .store
        .delete_competence(id, &me.actor())
        .await
        .map_err(not_found)
}

/// Moves an entry one place up (or down) the list.
pub async fn move_entry(
    state: &AppState,
    me: &CurrentStaff,
    id: i64,
    up: bool,
) -> Result<(), WebError> {
    Rights::edit(me)?;
    state
        .store
        .move_competence(id, up, &me.actor())
        .await
        .map_err(not_found)
}

/// What the form offers: the centres and the active staff (administrators receive no one).
pub async fn choices(
    state: &AppState,
    me: &CurrentStaff,
) -> Result<(Vec<Centre>, Vec<Staff>), WebError> {
    Rights::edit(me)?;
    let staff = state
        .store
        .staff_list()
        .await?
        .into_iter()
        .filter(|s| s.active && s.role != Role::Administrator)
        .collect();
    Ok((state.store.centres().await?, staff))
}
