//! The client's personal account (личный кабинет, PRT-02): sign-up with the account number and
//! the code printed on the invoice, e-mail confirmation, sign-in with throttling, and what a
//! client does there — balance and debt, invoices as PDF, payments, readings by the same checks
//! as staff use. Client sessions are separate from staff sessions (their own cookie and table).

pub mod appeals;
pub mod chart;
pub mod home_visits;
pub mod pages;
mod recovery;
pub mod reset;
pub mod settings;
pub mod views;

use abonent_domain::accounts::AccountNumber;
use abonent_domain::clients::{format_phone, Channel};
use abonent_domain::refusal::{PortalRefusal, Refusal};
use abonent_domain::validation::FieldErrors;
use abonent_store::accounts::AccountView;
use abonent_store::appeals::{AppealFilter, AppealRow, Reply, View};
use abonent_store::audit::Actor;
use abonent_store::billing::{Balance, InvoiceRow};
use abonent_store::clients::ClientRecord;
use abonent_store::metering::{MeterView, ReadingView};
use abonent_store::news::News;
use abonent_store::notices::InboxMessage;
use abonent_store::payments::PaymentView;
use abonent_store::portal::{code_matches, phone_code_hash, PhoneCode, PortalLogin};
use abonent_store::StoreError;
use serde::Deserialize;

use crate::auth::client::CurrentClient;
use crate::common::clock::{company_tz, today_in};
use crate::common::tokens::{random_token, token_hash};
use crate::metering::ReadingOutcome;
use crate::{AppState, WebError};

/// How long the confirmation link of a new address works.
pub const CONFIRM_TTL_MICROS: i64 = 3 * 24 * 3_600_000_000;

/// The sign-up form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SignUpDraft {
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_again: String,
    #[serde(default)]
    pub consent: String,
}

pub(crate) fn anonymous(ip: &str, what: &str) -> Actor {
    Actor {
        staff_id: None,
        login: what.to_owned(),
        ip: ip.to_owned(),
    }
}

/// An account number typed into a form (the field `account`).
fn typed_account(e: &mut FieldErrors, typed: &str) -> Option<AccountNumber> {
    match AccountNumber::parse(typed.trim()) {
        Ok(n) => Some(n),
        Err(msg) => {
            e.add("account", msg);
            None
        }
    }
}

/// Refuses when `key` (or the address) has failed too often within the throttling window;
/// the refusal is audited. `what` ends the message: «Повторите через N мин. {what}».
pub(crate) async fn throttle(
    state: &AppState,
    key: &str,
    ip: &str,
    action: &str,
    what: &str,
) -> Result<(), WebError> {
    let cfg = &state.config;
    let (by_key, by_ip) = state
        .store
        .recent_failures(key, ip, cfg.throttle_window.as_micros() as i64)
        .await?;
    if by_key < cfg.max_failures_per_login && by_ip < cfg.max_failures_per_ip {
        return Ok(());
    }
    state
        .store
        .audit(&anonymous(ip, key), action, "throttle", key, "")
        .await?;
    let minutes = cfg.throttle_window.as_secs().div_ceil(60);
    Err(WebError::TooManyRequests(format!(
        "Слишком много неверных попыток. Повторите через {minutes} мин.{what}"
    )))
}

/// Signs a client up: checks the form, the account number and its code (throttled per number
/// and per address), creates the user and sends the confirmation link. Returns the address.
pub async fn sign_up(state: &AppState, ip: &str, d: &SignUpDraft) -> Result<PortalLogin, WebError> {
    let store = &state.store;
    let mut e = FieldErrors::new();
    let number = typed_account(&mut e, &d.account);
    let digits: String = d.code.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 8 {
        e.add(
            "code",
            "Код — 8 цифр; он напечатан в счёте за электроэнергию, в строке «Личный кабинет».",
        );
    }
    let login = PortalLogin::parse(&d.email);
    if login.is_none() {
        e.add("email", BAD_LOGIN);
    }
    abonent_domain::org::validate_password(&mut e, "password", &d.password);
    if d.password != d.password_again {
        e.add("password_again", "Пароли не совпадают.");
    }
    if d.consent.is_empty() {
        e.add(
            "consent",
            "Без согласия на обработку персональных данных личный кабинет открыть нельзя.",
        );
    }
    let (number, login) = e.into_checked(number.zip(login), "account")?;
    let actor = anonymous(ip, &format!("signup:{number}"));
    let account =
        account_by_code(state, ip, &number, &d.code, ("signup", "sign_up"), &actor).await?;
    let key = format!("signup:{number}");
    let pw = d.password.clone();
    let hash = crate::common::tokens::hash_password(pw).await?;
    let shown = login.shown();
    // The link's token for an address, a six-digit code for a phone.
    let (secret, secret_hash, ttl) = match &login {
        PortalLogin::Email(_) => {
            let t = random_token();
            let h = token_hash(&t);
            (t, h, CONFIRM_TTL_MICROS)
        }
        PortalLogin::Phone(p) => {
            let c = sms_code();
            let h = phone_code_hash(p, &c);
            (c, h, PHONE_CODE_TTL_MICROS)
        }
    };
    let actor = anonymous(ip, &format!("client:{shown}"));
    match store
        .portal_sign_up(account.id, &login, &hash, &secret_hash, ttl, &actor)
        .await
    {
        Ok(_) => {}
        Err(StoreError::Refused(Refusal::Portal(PortalRefusal::LoginTaken))) => {
            return Err(FieldErrors::single(
                "email",
                match login {
                    PortalLogin::Email(_) => {
                        "Этот адрес уже зарегистрирован. Войдите в личный кабинет с ним."
                    }
                    PortalLogin::Phone(_) => {
                        "Этот номер уже зарегистрирован. Войдите в личный кабинет с ним."
                    }
                },
            )
            .into())
        }
        Err(StoreError::Refused(Refusal::Portal(PortalRefusal::AccountLinked))) => {
            store
                .audit(
                    &actor,
                    "portal.sign_up_refused",
                    "account",
                    number.as_str(),
                    "already linked",
                )
                .await?;
            return Err(FieldErrors::single(
                "account",
                "К этому лицевому счёту уже открыт личный кабинет. Если вы его не открывали, обратитесь в центр обслуживания.",
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    store.record_login_attempt(&key, ip, true).await?;
    send_confirmation(state, &login, &secret, &account, &actor).await?;
    Ok(login)
}

/// The confirmation of a new personal account: a link by e-mail or a code by SMS, through
/// the outbox (retried while the server or gateway is down).
async fn send_confirmation(
    state: &AppState,
    login: &PortalLogin,
    secret: &str,
    account: &abonent_store::accounts::AccountView,
    actor: &Actor,
) -> Result<(), WebError> {
    let (store, cfg) = (&state.store, &state.config);
    match &login {
        PortalLogin::Email(email) => {
            let link = format!(
                "{}/my/confirm?token={secret}",
                cfg.public_url.trim_end_matches('/')
            );
            store
                .queue_message(
                    &abonent_store::outbox::NewMessage {
                        channel: "email".into(),
                        recipient: email.clone(),
                        client_id: Some(account.client_id),
                        account_id: Some(account.id),
                        kind: "portal.confirm".into(),
                        subject: "Подтвердите адрес для личного кабинета".into(),
                        body: format!(
                            "Здравствуйте!\n\nВы открыли личный кабинет по лицевому счёту {}. Чтобы \
                             войти, подтвердите адрес — откройте ссылку (она действует 3 дня):\n\n{link}\n\n\
                             Если вы не открывали личный кабинет, ничего не делайте.\n",
                            account.number
                        ),
                        ..Default::default()
                    },
                    actor,
                )
                .await?;
        }
        PortalLogin::Phone(phone) => {
            send_sms_code(state, phone, secret, account.client_id, account.id, actor).await?;
        }
    }
    Ok(())
}

/// How long a code sent by SMS works, and the pause before another may be asked for.
pub const PHONE_CODE_TTL_MICROS: i64 = 15 * 60 * 1_000_000;
pub const PHONE_CODE_PAUSE_MICROS: i64 = 60 * 1_000_000;

const BAD_LOGIN: &str = "Укажите адрес электронной почты (например ivanov@mail.ru) или номер мобильного телефона (например +7 912 345-67-89).";

/// Six random digits.
pub(crate) fn sms_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

/// Queues the SMS with a confirmation code (through the outbox: retried while the gateway is
/// down, its delivery recorded).
pub(crate) async fn send_sms_code(
    state: &AppState,
    phone: &str,
    code: &str,
    client_id: i64,
    account_id: i64,
    actor: &Actor,
) -> Result<(), WebError> {
    state
        .store
        .queue_message(
            &abonent_store::outbox::NewMessage {
                channel: "sms".into(),
                recipient: phone.to_owned(),
                client_id: Some(client_id),
                account_id: Some(account_id),
                kind: "portal.confirm_phone".into(),
                subject: String::new(),
                body: format!(
                    "Код для личного кабинета: {code}. Действует 15 минут. Никому его не сообщайте."
                ),
                ..Default::default()
            },
            actor,
        )
        .await?;
    Ok(())
}

/// A mobile number typed into the field `phone`: its 10 national digits.
fn typed_mobile(typed: &str) -> Result<String, WebError> {
    match PortalLogin::parse(typed) {
        Some(PortalLogin::Phone(p)) => Ok(p),
        _ => Err(FieldErrors::single(
            "phone",
            "Номер мобильного телефона, например +7 912 345-67-89.",
        )
        .into()),
    }
}

/// Confirms a phone by the code from the SMS (throttled per phone and address, audited).
pub async fn confirm_phone(
    state: &AppState,
    ip: &str,
    phone_typed: &str,
    code: &str,
) -> Result<(), WebError> {
    let phone = typed_mobile(phone_typed)?;
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    let key = format!("phone:{phone}");
    throttle(
        state,
        &key,
        ip,
        "portal.phone_code_throttled",
        " Или попросите новый код.",
    )
    .await?;
    let actor = anonymous(ip, &format!("client:{}", format_phone(&phone)));
    let confirmed = if digits.len() == 6 {
        state
            .store
            .portal_confirm_phone(&phone, &phone_code_hash(&phone, &digits))
            .await?
    } else {
        None
    };
    match confirmed {
        Some(user) => {
            state.store.record_login_attempt(&key, ip, true).await?;
            state
                .store
                .audit(
                    &actor,
                    "portal.phone_confirmed",
                    "portal_user",
                    &user.to_string(),
                    "",
                )
                .await?;
            Ok(())
        }
        None => {
            state.store.record_login_attempt(&key, ip, false).await?;
            state
                .store
                .audit(
                    &actor,
                    "portal.phone_code_refused",
                    "portal_user",
                    &phone,
                    "",
                )
                .await?;
            Err(FieldErrors::single(
                "code",
                "Код не подходит или устарел. Проверьте его в СМС или попросите новый.",
            )
            .into())
        }
    }
}

/// Sends a new code to a phone waiting for confirmation (not more often than once a minute).
/// The same answer whether or not the phone is known.
pub async fn resend_phone_code(
    state: &AppState,
    ip: &str,
    phone_typed: &str,
) -> Result<(), WebError> {
    let phone = typed_mobile(phone_typed)?;
    let key = format!("phone:{phone}");
    throttle(state, &key, ip, "portal.phone_code_throttled", "").await?;
    let code = sms_code();
    let actor = anonymous(ip, &format!("client:{}", format_phone(&phone)));
    match state
        .store
        .portal_new_phone_code(
            &phone,
            &phone_code_hash(&phone, &code),
            PHONE_CODE_TTL_MICROS,
            PHONE_CODE_PAUSE_MICROS,
        )
        .await?
    {
        PhoneCode::Stored { user, account } => {
            if let Some(account) = account {
                let a = state.store.account(account).await?;
                send_sms_code(state, &phone, &code, a.client_id, a.id, &actor).await?;
            }
            state
                .store
                .audit(
                    &actor,
                    "portal.phone_code_sent",
                    "portal_user",
                    &user.to_string(),
                    "",
                )
                .await?;
            Ok(())
        }
        PhoneCode::TooSoon => Err(WebError::TooManyRequests(
            "Новый код можно попросить через минуту после предыдущего.".into(),
        )),
        PhoneCode::Unknown => Ok(()),
    }
}

/// The account whose number and invoice code were typed: throttled per number (`key:number`)
/// and per address; a wrong pair is one message for both (no hint which is wrong), counted and
/// audited as `portal.{action}_refused`.
async fn account_by_code(
    state: &AppState,
    ip: &str,
    number: &AccountNumber,
    code: &str,
    (key, what): (&str, &str),
    actor: &Actor,
) -> Result<abonent_store::accounts::AccountView, WebError> {
    let store = &state.store;
    let key = format!("{key}:{number}");
    throttle(
        state,
        &key,
        ip,
        &format!("portal.{what}_throttled"),
        " Или обратитесь в центр обслуживания.",
    )
    .await?;
    let account = match store.account_by_number(number).await {
        Ok(a) => Some(a),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let code_ok = match &account {
        Some(a) => code_matches(&store.portal_code(&a.number).await?, code),
        None => false,
    };
    match account.filter(|_| code_ok) {
        Some(a) => Ok(a),
        None => {
            store.record_login_attempt(&key, ip, false).await?;
            store
                .audit(
                    actor,
                    &format!("portal.{what}_refused"),
                    "account",
                    number.as_str(),
                    "wrong number or code",
                )
                .await?;
            Err(FieldErrors::single(
                "code",
                "Номер лицевого счёта или код не подходят. Проверьте их по последнему счёту за электроэнергию.",
            )
            .into())
        }
    }
}

/// Adds another account to a client's personal account (a second flat, a country house): its
/// number and the code from its invoice, checked like at sign-up. Audited.
pub async fn link_account(
    state: &AppState,
    me: &CurrentClient,
    account_typed: &str,
    code: &str,
) -> Result<i64, WebError> {
    let mut e = FieldErrors::new();
    let number = typed_account(&mut e, account_typed);
    let number = e.into_checked(number, "account")?;
    let actor = me.actor();
    let account = account_by_code(state, &me.ip, &number, code, ("link", "link"), &actor).await?;
    if me.accounts.contains(&account.id) {
        return Err(
            FieldErrors::single("account", "Этот лицевой счёт уже в вашем кабинете.").into(),
        );
    }
    match state
        .store
        .portal_link_account(me.user.id, account.id, &actor)
        .await
    {
        Ok(()) => {
            state
                .store
                .record_login_attempt(&format!("link:{number}"), &me.ip, true)
                .await?;
            Ok(account.id)
        }
        Err(StoreError::Refused(Refusal::Portal(PortalRefusal::AccountLinked))) => Err(FieldErrors::single(
            "account",
            "К этому лицевому счёту уже открыт другой личный кабинет. Если вы его не открывали, обратитесь в центр обслуживания.",
        )
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// Outcome of a client's sign-in.
pub enum ClientSignIn {
    Ok { token: String },
    Refused(WebError),
}

/// Signs a client in (throttled per address and per IP, like staff).
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<ClientSignIn, WebError> {
    let store = &state.store;
    let cfg = &state.config;
    let login = PortalLogin::parse(email);
    let email = login
        .as_ref()
        .map_or_else(|| email.trim().to_lowercase(), PortalLogin::shown);
    let key = match &login {
        Some(PortalLogin::Phone(p)) => format!("portal:{p}"),
        _ => format!("portal:{email}"),
    };
    let actor = anonymous(ip, &format!("client:{email}"));
    if let Err(e) = throttle(state, &key, ip, "portal.login_throttled", "").await {
        return Ok(ClientSignIn::Refused(e));
    }
    let creds = match &login {
        Some(l) => store.portal_credentials(l).await?,
        None => None,
    };
    let pw = password.to_owned();
    let hash = creds
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| abonent_domain::password::dummy_hash().to_owned());
    let ok = tokio::task::spawn_blocking(move || abonent_domain::password::verify(&pw, &hash))
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    match creds {
        Some((user, _)) if ok => {
            if user.confirmed_at.is_none() {
                return Ok(ClientSignIn::Refused(WebError::Forbidden(match user.phone {
                    Some(_) if user.email.is_none() => format!(
                        "Сначала подтвердите телефон: введите код из СМС, отправленного на {email}, на странице «Подтверждение телефона» (/my/confirm-phone)."
                    ),
                    _ => format!(
                        "Сначала подтвердите адрес: мы отправили письмо со ссылкой на {email}."
                    ),
                })));
            }
            store.record_login_attempt(&key, ip, true).await?;
            let token = random_token();
            store
                .create_portal_session(
                    &token_hash(&token),
                    user.id,
                    &random_token(),
                    ip,
                    cfg.session_ttl.as_micros() as i64,
                )
                .await?;
            store
                .audit(
                    &actor,
                    "portal.login",
                    "portal_user",
                    &user.id.to_string(),
                    "",
                )
                .await?;
            Ok(ClientSignIn::Ok { token })
        }
        other => {
            store.record_login_attempt(&key, ip, false).await?;
            store
                .audit(
                    &actor,
                    "portal.login_failure",
                    "portal_user",
                    &email,
                    if other.is_some() {
                        "wrong password"
                    } else {
                        "unknown address"
                    },
                )
                .await?;
            Ok(ClientSignIn::Refused(WebError::BadCredentials))
        }
    }
}

/// A reading without signing in (PRT-02): the account number and the last digits of the meter's
/// serial number stand for the bill in hand. Throttled like sign-in; the same checks as staff.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct QuickReadingDraft {
    #[serde(default)]
    pub account: String,
    #[serde(default)]
    pub serial: String,
    #[serde(default)]
    pub values: String,
}

/// What a client is told about a reading sent: accepted (green), held for a specialist's check
/// (yellow, not a success) or rejected (red).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadingNote {
    pub text: String,
    /// The alert's kind: `ok`, `warn` or `error`.
    pub kind: &'static str,
}

impl ReadingNote {
    pub fn accepted(text: String) -> Self {
        Self { text, kind: "ok" }
    }
    pub fn held(note: &str) -> Self {
        Self {
            text: format!(
                "Показания получены, но ещё не учтены: их проверит специалист ({note}). Результат появится в личном кабинете."
            ),
            kind: "warn",
        }
    }
    pub fn rejected(note: &str) -> Self {
        Self {
            text: format!("Показания не приняты: {note}."),
            kind: "error",
        }
    }
}

/// Checks and stores a reading sent without signing in; returns what to tell the client.
pub async fn quick_reading(
    state: &AppState,
    ip: &str,
    d: &QuickReadingDraft,
) -> Result<ReadingNote, WebError> {
    let store = &state.store;
    let mut e = FieldErrors::new();
    let number = typed_account(&mut e, &d.account);
    let digits: String = d.serial.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        e.add(
            "serial",
            "Укажите не меньше 4 последних цифр заводского номера прибора учёта.",
        );
    }
    if d.values.trim().is_empty() {
        e.add("values", "Укажите показания.");
    }
    let number = e.into_checked(number, "account")?;
    let key = format!("reading:{number}");
    throttle(
        state,
        &key,
        ip,
        "reading.quick_throttled",
        " Или передайте показания по телефону.",
    )
    .await?;
    let meter = match store.account_by_number(&number).await {
        Ok(a) => store
            .meters_of_account(a.id)
            .await?
            .into_iter()
            .filter(|m| m.removed_on.is_none())
            .find(|m| {
                let s: String = m.serial.chars().filter(char::is_ascii_digit).collect();
                s.ends_with(&digits)
            }),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let actor = anonymous(ip, &key);
    let Some(meter) = meter else {
        store.record_login_attempt(&key, ip, false).await?;
        store
            .audit(
                &actor,
                "reading.quick_refused",
                "account",
                number.as_str(),
                "",
            )
            .await?;
        return Err(FieldErrors::single(
            "serial",
            "Номер лицевого счёта или цифры номера прибора не подходят. Номер прибора — на его корпусе и в счёте.",
        )
        .into());
    };
    let tz = crate::common::clock::company_tz(state).clone();
    let r = crate::metering::store_reading(state, &meter, &d.values, "portal", &actor, &tz).await?;
    store.record_login_attempt(&key, ip, true).await?;
    Ok(if r.status == "held" {
        ReadingNote::held(&r.note)
    } else {
        ReadingNote::accepted(format!(
            "Показания приняты и учтены за {}: расход {} кВт·ч. Спасибо!",
            r.period,
            r.consumption.join(" / ")
        ))
    })
}

/// The client of the user's accounts (the first one's, when several are linked).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_client(state: &AppState, me: &CurrentClient) -> Result<ClientRecord, WebError> {
    let id = *me
        .accounts
        .first()
        .ok_or_else(|| WebError::NotFound("К кабинету не подключён лицевой счёт.".into()))?;
    let client_id = state.store.account(id).await?.client_id;
    Ok(state.store.client(client_id).await?)
}

/// Saves how the client wants to be told (and the confirmed address or phone it needs).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_my_channel(
    state: &AppState,
    me: &CurrentClient,
    client_id: i64,
    channel: Channel,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<(), WebError> {
    Ok(state
        .store
        .set_client_channel(client_id, channel, email, phone, &me.actor())
        .await?)
}

/// The user's accounts, as they are linked.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_accounts(
    state: &AppState,
    me: &CurrentClient,
) -> Result<Vec<AccountView>, WebError> {
    let mut accounts = Vec::with_capacity(me.accounts.len());
    for &id in &me.accounts {
        accounts.push(state.store.account(id).await?);
    }
    Ok(accounts)
}

/// An account by its number, if there is one.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn account_by_number(
    state: &AppState,
    number: &AccountNumber,
) -> Result<Option<AccountView>, WebError> {
    match state.store.account_by_number(number).await {
        Ok(a) => Ok(Some(a)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// An appeal of the client's with the replies sent on it.
pub struct MyAppeal {
    pub appeal: AppealRow,
    pub replies: Vec<Reply>,
}

/// The appeals of the clients of the user's accounts, newest first, with their replies; the
/// view is audited (ORG-05).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_appeals(state: &AppState, me: &CurrentClient) -> Result<Vec<MyAppeal>, WebError> {
    let store = &state.store;
    let mut clients = Vec::new();
    for &id in &me.accounts {
        let c = store.account(id).await?.client_id;
        if !clients.contains(&c) {
            clients.push(c);
        }
    }
    let mut appeals = Vec::new();
    for c in clients {
        let rows = store
            .list_appeals(&AppealFilter {
                view: View::All,
                client_id: Some(c),
                limit: 50,
                ..Default::default()
            })
            .await?;
        for appeal in rows {
            let replies = store.appeal_replies(appeal.id).await?;
            appeals.push(MyAppeal { appeal, replies });
        }
    }
    store
        .audit(
            &me.actor(),
            "portal.appeals",
            "portal_user",
            &me.user.id.to_string(),
            "",
        )
        .await?;
    Ok(appeals)
}

/// Confirms a new address by the link's token; `None`: the link does not work.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn confirm_email(state: &AppState, token: &str) -> Result<Option<i64>, WebError> {
    if token.is_empty() {
        return Ok(None);
    }
    Ok(state.store.portal_confirm(&token_hash(token)).await?)
}

/// The client signed in with a new session token (right after sign-in, before the cookie
/// comes back).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn session_of(
    state: &AppState,
    token: &str,
    ip: &str,
) -> Result<Option<CurrentClient>, WebError> {
    let hash = token_hash(token);
    Ok(state
        .store
        .portal_session(&hash)
        .await?
        .map(|s| CurrentClient {
            user: s.user,
            csrf_token: s.csrf_token,
            accounts: s.accounts,
            token_hash: hash,
            ip: ip.to_owned(),
        }))
}

/// Ends the client's session.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn sign_out(state: &AppState, me: &CurrentClient) -> Result<(), WebError> {
    Ok(state.store.delete_portal_session(&me.token_hash).await?)
}

/// One account as the personal account's home page shows it.
pub struct AccountOverview {
    pub account: AccountView,
    pub balance: Balance,
    /// The latest payments, newest first.
    pub payments: Vec<PaymentView>,
    /// The last twelve invoices with their consumption (Wh), newest first.
    pub recent: Vec<(InvoiceRow, i64)>,
    /// The meters in service.
    pub meters: Vec<MeterView>,
}

/// What the personal account's home page shows.
pub struct HomeData {
    pub accounts: Vec<AccountOverview>,
    pub inbox: Vec<InboxMessage>,
    pub news: Vec<News>,
}

/// Balances, invoices, payments and meters of each linked account, the inbox and the news for
/// the client's districts; "today" in the company's zone.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn home(state: &AppState, me: &CurrentClient) -> Result<HomeData, WebError> {
    let store = &state.store;
    let today = today_in(company_tz(state));
    let mut accounts = Vec::with_capacity(me.accounts.len());
    for &id in &me.accounts {
        let account = store.account(id).await?;
        let (balance, payments) = store.balance_and_payments(id, today, 10).await?;
        let recent = store.recent_invoices(id, 12).await?;
        let meters = store
            .meters_of_account(id)
            .await?
            .into_iter()
            .filter(|m| m.removed_on.is_none())
            .collect();
        accounts.push(AccountOverview {
            account,
            balance,
            payments,
            recent,
            meters,
        });
    }
    Ok(HomeData {
        accounts,
        inbox: store.portal_inbox(me.user.id, 20).await?,
        news: store.news_for_portal_user(me.user.id, 5).await?,
    })
}

/// A reading of one of the client's meters, to say how it was taken.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_reading(
    state: &AppState,
    me: &CurrentClient,
    meter_id: i64,
    id: i64,
) -> Result<Option<ReadingView>, WebError> {
    if state
        .store
        .meter_of_portal_user(meter_id, me.user.id)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    Ok(state.store.reading_of_meter(meter_id, id).await?)
}

/// Sends a reading of one of the client's meters by the same checks as staff use; someone
/// else's meter is refused (audited).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn send_reading(
    state: &AppState,
    me: &CurrentClient,
    meter_id: i64,
    values: &str,
) -> Result<ReadingOutcome, WebError> {
    // The meter and that it is this client's, in one query.
    let meter = match state
        .store
        .meter_of_portal_user(meter_id, me.user.id)
        .await?
    {
        Some(m) => m,
        None => {
            let m = state.store.meter(meter_id).await?;
            me.require_account(state, m.account_id).await?;
            m
        }
    };
    let tz = company_tz(state).clone();
    crate::metering::store_reading(state, &meter, values, "portal", &me.actor(), &tz).await
}

/// An invoice of one of the client's accounts as a PDF, with its file name; audited.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn invoice_pdf(
    state: &AppState,
    me: &CurrentClient,
    id: i64,
    period: &str,
) -> Result<(Vec<u8>, String), WebError> {
    me.require_account(state, id).await?;
    let p = crate::billing::parse_period(period)?;
    let doc = crate::billing::invoice_doc(state, id, p).await?;
    state
        .store
        .audit(
            &me.actor(),
            "portal.invoice_pdf",
            "account",
            &id.to_string(),
            period,
        )
        .await?;
    let name = format!("schet-{}-{p}.pdf", doc.account_number);
    let pdf = crate::billing::render_pdf(vec![doc], String::new()).await?;
    Ok((pdf, name))
}
