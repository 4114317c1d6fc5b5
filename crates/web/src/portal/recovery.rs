//! Recovering a forgotten password of the personal account: the link by e-mail or SMS, its
//! life, and the new password (the adapter is `reset.rs`).

use abonent_store::portal::PortalLogin;

use super::{anonymous, throttle};
use crate::common::tokens::{random_token, token_hash};
use crate::{AppState, WebError};

/// How long a reset link works.
pub const RESET_TTL_MICROS: i64 = 3_600_000_000;

/// Sends a one-time link for a new password, when the login is known; throttled and audited
/// either way, so the answer does not tell whether the login exists.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn send_link(state: &AppState, ip: &str, login: &PortalLogin) -> Result<(), WebError> {
    let shown = login.shown();
    let key = format!("reset:{shown}");
    throttle(
        state,
        &key,
        ip,
        "portal.reset_throttled",
        " Или обратитесь по телефону горячей линии.",
    )
    .await?;
    let store = &state.store;
    store.record_login_attempt(&key, ip, false).await?;
    let token = random_token();
    let actor = anonymous(ip, &key);
    let Some((user, account)) = store
        .portal_reset_request(login, &token_hash(&token), RESET_TTL_MICROS)
        .await?
    else {
        store
            .audit(&actor, "portal.reset_unknown", "portal_user", &shown, "")
            .await?;
        return Ok(());
    };
    let client_id = match account {
        Some(a) => Some(store.account(a).await?.client_id),
        None => None,
    };
    let link = format!(
        "{}/my/reset/new?token={token}",
        state.config.public_url.trim_end_matches('/')
    );
    let message = match login {
        PortalLogin::Phone(phone) => abonent_store::outbox::NewMessage {
            channel: "sms".into(),
            recipient: phone.clone(),
            client_id,
            account_id: account,
            kind: "portal.reset".into(),
            subject: String::new(),
            body: format!("Новый пароль для личного кабинета (ссылка на 1 час): {link}"),
            ..Default::default()
        },
        PortalLogin::Email(email) => abonent_store::outbox::NewMessage {
            channel: "email".into(),
            recipient: email.clone(),
            client_id,
            account_id: account,
            kind: "portal.reset".into(),
                subject: "Новый пароль для личного кабинета".into(),
                body: format!(
                    "Здравствуйте!\n\nЧтобы задать новый пароль для личного кабинета, откройте \
                     ссылку (она действует 1 час и только один раз):\n\n{link}\n\n\
                     Если вы не просили новый пароль, ничего не делайте: прежний пароль действует.\n"
            ),
            ..Default::default()
        },
    };
    store.queue_message(&message, &actor).await?;
    store
        .audit(
            &actor,
            "portal.reset_sent",
            "portal_user",
            &user.to_string(),
            "",
        )
        .await?;
    Ok(())
}

/// Whether a reset link still works (unused and within its hour).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reset_link_live(state: &AppState, token: &str) -> Result<bool, WebError> {
    Ok(state.store.portal_reset_live(&token_hash(token)).await?)
}

/// Sets the new password by a live link; every session of the user ends. `None`: the link no
/// longer works.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reset_password(
    state: &AppState,
    token: &str,
    password_hash: &str,
    ip: &str,
) -> Result<Option<i64>, WebError> {
    Ok(state
        .store
        .portal_reset_password(&token_hash(token), password_hash, &anonymous(ip, "portal"))
        .await?)
}
