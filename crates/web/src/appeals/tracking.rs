//! Following an appeal with its number and tracking code: the citizen's view (APL-02).

use abonent_domain::validation::FieldErrors;
use serde::Serialize;
use utoipa::ToSchema;

use crate::common::clock::format_time;
use crate::common::layout::ru_date;
use crate::common::tokens::same_secret;
use crate::{AppState, WebError};

/// A reply as the citizen sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicReply {
    pub interim: bool,
    pub body: String,
    pub executor_name: String,
    pub executor_phone: String,
    pub signatory_name: String,
    pub signatory_position: String,
    /// «26.11.2026 16:05», the branch's time.
    pub sent_at: String,
}

/// What the holder of the tracking code may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackedAppeal {
    pub number: String,
    pub registered_at: String,
    pub kind: String,
    pub topic: String,
    pub status: String,
    /// «17.03.2026».
    pub deadline: String,
    pub replies: Vec<PublicReply>,
    /// The ground, when the appeal was left without action.
    pub ground: Option<String>,
}

/// Looks an appeal up by number and code. Wrong pairs are counted per address and per number,
/// so codes cannot be guessed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn track(
    state: &AppState,
    ip: &str,
    number: &str,
    code: &str,
) -> Result<TrackedAppeal, WebError> {
    let number = number.trim();
    let code = super::normalise_code(code);
    let mut e = FieldErrors::new();
    if number.is_empty() {
        e.add("number", "Укажите регистрационный номер обращения.");
    }
    if code.is_empty() {
        e.add("code", "Укажите код для проверки статуса.");
    }
    e.into_result(())?;
    let probe = format!("track:{number}");
    let window = state.config.throttle_window.as_micros() as i64;
    let (by_number, by_ip) = state.store.recent_failures(&probe, ip, window).await?;
    if by_number >= 10 || by_ip >= state.config.max_failures_per_ip {
        return Err(WebError::TooManyRequests(
            "Слишком много неверных попыток. Повторите через 15 минут.".into(),
        ));
    }
    let found = match state.store.appeal_by_number(number).await {
        Ok(a) => Some(a),
        Err(abonent_store::StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let a = match found {
        Some(a)
            if a.tracking_hash
                .as_deref()
                .is_some_and(|h| same_secret(h, &crate::common::tokens::token_hash(&code))) =>
        {
            a
        }
        _ => {
            state.store.record_login_attempt(&probe, ip, false).await?;
            return Err(FieldErrors::single(
                "code",
                "Обращение с таким номером и кодом не найдено. Проверьте номер и код из подтверждения о регистрации.",
            )
            .into());
        }
    };
    let rules = state.rules.get(&state.store).await?;
    let tz = rules.branch_zone(a.branch_id);
    let replies = state
        .store
        .appeal_replies(a.id)
        .await?
        .into_iter()
        .map(|r| PublicReply {
            interim: r.interim == 1,
            body: r.body,
            executor_name: r.executor_name,
            executor_phone: abonent_domain::clients::format_phone(&r.executor_phone),
            signatory_name: r.signatory_name,
            signatory_position: r.signatory_position,
            sent_at: format_time(r.sent_at, &tz),
        })
        .collect();
    Ok(TrackedAppeal {
        number: a.number.clone(),
        registered_at: format_time(a.registered_at, &tz),
        kind: a.kind.label_ru().to_owned(),
        topic: a.topic_name.clone(),
        status: a.status.label_ru().to_owned(),
        deadline: ru_date(&a.deadline),
        replies,
        ground: a.ground.map(|g| g.label_ru().to_owned()),
    })
}
