//! Mail: answers go out over SMTP (or into a folder, for development), and the company mailbox
//! is polled over IMAP; each letter is stored raw first, then registered as an appeal with its
//! attachments, or attached to the appeal it answers (APL-01, APL-05).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use abonent_domain::appeals::{accepted_type, AppealDraft, AppealKind, MAX_TEXT_CHARS};
use abonent_store::appeals::{NewAppeal, NewAttachment};
use abonent_store::audit::Actor;
use abonent_store::idempotency::IdemKey;
use abonent_store::Store;
use futures::TryStreamExt;
use lettre::message::header::ContentType;
use lettre::{AsyncTransport, Message};
use mail_parser::{MessageParser, MimeHeaders};
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

pub use crate::error::SendError;
use crate::error::{JobError, Result};

/// Mail settings (`[mail]` in the configuration file, `ABONENT_MAIL_…` in the environment).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MailConfig {
    /// Outgoing: `smtp://user:password@host:587?tls=required`, `smtps://…:465`,
    /// `smtp://127.0.0.1:25` (plain, for a local relay) or `folder:/path` (development: each
    /// letter becomes a `.eml` file). Empty: answers by e-mail wait in the queue.
    pub smtp_url: String,
    /// The sender: `АО «ЮТЭК» <info@example.ru>`.
    pub from: String,
    /// Incoming: `imaps://user:password@host:993/INBOX` or `imap://…:143/INBOX` (plain, for a
    /// local server). Empty: no mailbox intake.
    pub imap_url: String,
    /// How often the mailbox is polled, in seconds (default 60).
    pub imap_poll_seconds: u64,
}

impl MailConfig {
    pub fn poll_seconds(&self) -> i64 {
        if self.imap_poll_seconds == 0 {
            60
        } else {
            self.imap_poll_seconds as i64
        }
    }

    /// The settings with passwords hidden, for logs and `--help` output.
    pub fn redacted(&self) -> String {
        fn hide(u: &str) -> String {
            match url::Url::parse(u) {
                Ok(mut url) if url.password().is_some() => {
                    let _ = url.set_password(Some("***"));
                    url.to_string()
                }
                _ => u.to_owned(),
            }
        }
        format!(
            "smtp={} imap={}",
            hide(&self.smtp_url),
            hide(&self.imap_url)
        )
    }
}

/// The Message-ID of the letter that carries answer `reply_id`: replies to it find the appeal.
pub fn answer_message_id(reply_id: i64) -> String {
    format!("<answer-{reply_id}@abonent.invalid>")
}

fn reply_id_in(header: &str) -> Option<i64> {
    let start = header.find("answer-")? + "answer-".len();
    let digits: String = header[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

fn appeal_id_in(header: &str) -> Option<i64> {
    let start = header.find("<appeal-")? + "<appeal-".len();
    let digits: String = header[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// Sends the answer letter of `reply_id` and records the delivery.
#[tracing::instrument(skip_all, fields(reply = reply_id))]
pub async fn deliver_answer(store: &Store, cfg: &MailConfig, reply_id: i64) -> Result<String> {
    let appeal_id = store
        .appeal_of_reply(reply_id)
        .await?
        .ok_or(JobError::NoSuchReply)?;
    let appeal = store.appeal(appeal_id).await?;
    let reply = store
        .appeal_replies(appeal_id)
        .await?
        .into_iter()
        .find(|r| r.id == reply_id)
        .ok_or(JobError::NoSuchReply)?;
    if reply.delivery != "queued" {
        return Ok(format!("reply {reply_id} already {}", reply.delivery));
    }
    let to = appeal
        .applicant_email
        .clone()
        .ok_or(JobError::NoApplicantEmail)?;
    let body = format!(
        "{}!\n\nНа Ваше обращение № {} сообщаем.\n\n{}\n\nИсполнитель: {}, тел. {}\n\n{}\n{}\n\n\
         Ответить можно на это письмо: ответ будет приложен к обращению.\n",
        if appeal.applicant_name.is_empty() {
            "Здравствуйте".to_owned()
        } else {
            format!("Уважаемый(ая) {}", appeal.applicant_name)
        },
        appeal.number,
        reply.body,
        reply.executor_name,
        abonent_domain::clients::format_phone(&reply.executor_phone),
        reply.signatory_position,
        reply.signatory_name,
    );
    send(
        cfg,
        &to,
        &format!("Ответ на обращение № {}", appeal.number),
        &answer_message_id(reply_id),
        body,
    )
    .await?;
    store.mark_reply_delivered(reply_id, "sent").await?;
    Ok(format!("answer {reply_id} sent"))
}

/// Sends the applicant the confirmation of registration (APL-02): number, topic and deadline,
/// and, for an appeal filed with a tracking code, the code and the status page's address.
#[tracing::instrument(skip_all, fields(appeal = p.appeal_id))]
pub async fn send_confirmation(
    store: &Store,
    jobs: &crate::JobsConfig,
    p: &abonent_store::jobs::AppealConfirm,
) -> Result<String> {
    let (cfg, appeal_id) = (&jobs.mail, p.appeal_id);
    let a = store.appeal(appeal_id).await?;
    let Some(to) = a.applicant_email.clone() else {
        return Ok("no e-mail address".into());
    };
    let deadline = a
        .deadline
        .parse::<jiff::civil::Date>()
        .map(|d| d.strftime("%d.%m.%Y").to_string())
        .unwrap_or_else(|_| a.deadline.clone());
    let tracking = p.tracking_code.as_deref().map_or_else(String::new, |code| {
        format!(
            "Код для проверки статуса: {code}\nСтатус обращения: {}/reception/status \
             (введите номер и код)\n",
            jobs.public_url.trim_end_matches('/')
        )
    });
    let body = format!(
        "Ваше обращение зарегистрировано.\n\nРегистрационный номер: {}\nТематика: {}\n\
         Срок ответа: не позднее {deadline}.\n{tracking}\nОтветить можно на это письмо: ответ \
         будет приложен к обращению.\n",
        a.number, a.topic_name
    );
    send(
        cfg,
        &to,
        &format!("Обращение № {} зарегистрировано", a.number),
        &format!("<appeal-{appeal_id}@abonent.invalid>"),
        body,
    )
    .await?;
    Ok(format!("confirmation of {} sent", a.number))
}

/// Sends a staff member the copy of a workspace notice (assignment, reminder, escalation). Staff
/// without an address, or a server without a mail transport, have the workspace only.
#[tracing::instrument(skip_all, fields(notice = notice_id))]
pub async fn send_staff_notice(store: &Store, cfg: &MailConfig, notice_id: i64) -> Result<String> {
    let (n, email) = store.notice_for_mail(notice_id).await?;
    if email.trim().is_empty() || cfg.smtp_url.is_empty() {
        return Ok("workspace only".into());
    }
    send(
        cfg,
        email.trim(),
        &format!("Абонент: {}", n.text),
        &format!("<notice-{notice_id}@abonent.invalid>"),
        format!(
            "{}\n\nОткройте раздел «{}» в Абоненте.\n",
            n.text,
            if n.incident_id.is_some() {
                "Инциденты"
            } else {
                "Обращения"
            }
        ),
    )
    .await?;
    Ok(format!("notice {notice_id} mailed"))
}

/// Sends one plain-text letter through the configured transport.
async fn send(
    cfg: &MailConfig,
    to: &str,
    subject: &str,
    message_id: &str,
    body: String,
) -> Result<(), SendError> {
    send_with(cfg, to, subject, message_id, body, Vec::new()).await
}

/// A file attached to a letter.
#[derive(Debug, Clone)]
pub struct MailFile {
    pub name: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// Sends a plain-text letter with attachments.
pub async fn send_with(
    cfg: &MailConfig,
    to: &str,
    subject: &str,
    message_id: &str,
    body: String,
    files: Vec<MailFile>,
) -> Result<(), SendError> {
    use lettre::message::{Attachment, MultiPart, SinglePart};
    use SendError::Other;
    if cfg.smtp_url.is_empty() {
        return Err(Other("no mail transport configured (mail.smtp_url)".into()));
    }
    let from = if cfg.from.is_empty() {
        "Abonent <noreply@abonent.invalid>"
    } else {
        cfg.from.as_str()
    };
    let builder = Message::builder()
        .from(from.parse().map_err(|e| Other(format!("mail.from: {e}")))?)
        .to(to
            .parse()
            .map_err(|e| SendError::Address(format!("recipient {to}: {e}")))?)
        .subject(subject)
        .message_id(Some(message_id.to_owned()));
    let msg = if files.is_empty() {
        builder.header(ContentType::TEXT_PLAIN).body(body)
    } else {
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(body));
        for f in files {
            let ct = ContentType::parse(f.content_type).map_err(|e| Other(e.to_string()))?;
            parts = parts.singlepart(Attachment::new(f.name).body(f.bytes, ct));
        }
        builder.multipart(parts)
    }
    .map_err(|e| Other(e.to_string()))?;
    if let Some(dir) = cfg.smtp_url.strip_prefix("folder:") {
        std::fs::create_dir_all(dir).map_err(|e| Other(format!("{dir}: {e}")))?;
        lettre::AsyncFileTransport::<lettre::Tokio1Executor>::new(dir)
            .send(msg)
            .await
            .map_err(|e| Other(e.to_string()))?;
    } else {
        lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(&cfg.smtp_url)
            .map_err(|e| Other(e.to_string()))?
            .build()
            .send(msg)
            .await
            .map_err(|e| Other(e.to_string()))?;
    }
    Ok(())
}

/// A connection to the IMAP server, plain or TLS.
#[derive(Debug)]
enum MailStream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for MailStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MailStream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MailStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MailStream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_flush(cx),
            MailStream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            MailStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            MailStream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// Where the mailbox is.
pub struct ImapTarget {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub mailbox: String,
}

pub fn parse_imap_url(u: &str) -> Result<ImapTarget> {
    let url = url::Url::parse(u).map_err(|e| JobError::Config(format!("mail.imap_url: {e}")))?;
    let tls = match url.scheme() {
        "imaps" => true,
        "imap" => false,
        s => {
            return Err(JobError::Config(format!(
                "mail.imap_url: unknown scheme {s} (imap or imaps)"
            )))
        }
    };
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let mailbox = url.path().trim_start_matches('/');
    Ok(ImapTarget {
        tls,
        host: url
            .host_str()
            .ok_or_else(|| JobError::Config("mail.imap_url: no host".into()))?
            .to_owned(),
        port: url.port().unwrap_or(if tls { 993 } else { 143 }),
        user: decode(url.username()),
        password: decode(url.password().unwrap_or("")),
        mailbox: if mailbox.is_empty() {
            "INBOX".into()
        } else {
            decode(mailbox)
        },
    })
}

async fn connect(t: &ImapTarget) -> Result<async_imap::Client<MailStream>> {
    let tcp = TcpStream::connect((t.host.as_str(), t.port))
        .await
        .map_err(|e| JobError::Imap(format!("IMAP {}:{}: {e}", t.host, t.port)))?;
    let stream = if t.tls {
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
            tokio_rustls::rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| JobError::Imap(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(t.host.clone())
            .map_err(|e| JobError::Imap(e.to_string()))?;
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .map_err(|e| JobError::Imap(format!("IMAP TLS: {e}")))?;
        MailStream::Tls(Box::new(tls))
    } else {
        MailStream::Plain(tcp)
    };
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await
        .map_err(|e| JobError::Imap(e.to_string()))?
        .ok_or_else(|| {
            JobError::Imap("IMAP server closed the connection before its greeting".into())
        })?;
    Ok(client)
}

/// Fetches new letters into the store (raw, unchanged); returns how many were new.
#[tracing::instrument(skip_all)]
pub async fn fetch_mailbox(store: &Store, cfg: &MailConfig) -> Result<usize> {
    let t = parse_imap_url(&cfg.imap_url)?;
    let client = connect(&t).await?;
    let mut session = client
        .login(&t.user, &t.password)
        .await
        .map_err(|(e, _)| JobError::Imap(format!("IMAP login: {e}")))?;
    let mb = session
        .select(&t.mailbox)
        .await
        .map_err(|e| JobError::Imap(format!("IMAP select {}: {e}", t.mailbox)))?;
    let validity = i64::from(mb.uid_validity.unwrap_or(0));
    let key = format!("{}@{}:{}/{}", t.user, t.host, t.port, t.mailbox);
    let last = store.inbox_last_uid(&key, validity).await?;
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {}:*", last + 1))
        .await
        .map_err(|e| JobError::Imap(e.to_string()))?
        .into_iter()
        .filter(|u| i64::from(*u) > last)
        .collect();
    uids.sort_unstable();
    let mut new = 0;
    for uid in uids {
        let fetches: Vec<_> = session
            .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
            .await
            .map_err(|e| JobError::Imap(e.to_string()))?
            .try_collect()
            .await
            .map_err(|e| JobError::Imap(e.to_string()))?;
        for f in fetches {
            let Some(body) = f.body() else { continue };
            let message_id = MessageParser::default()
                .parse_headers(body)
                .and_then(|m| m.message_id().map(str::to_owned));
            if store
                .inbox_store(&key, validity, i64::from(uid), message_id.as_deref(), body)
                .await?
            {
                new += 1;
            }
        }
    }
    let _ = session.logout().await;
    Ok(new)
}

/// What became of the stored letters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IntakeReport {
    pub registered: usize,
    pub attached: usize,
    pub failed: usize,
}

/// Registers or attaches every stored letter that is still new.
#[tracing::instrument(skip_all)]
pub async fn process_inbox(store: &Store) -> Result<IntakeReport> {
    let mut rep = IntakeReport::default();
    loop {
        let batch = store.inbox_pending(50).await?;
        if batch.is_empty() {
            return Ok(rep);
        }
        for letter in batch {
            match process_letter(store, letter.id, &letter.raw).await {
                Ok(Outcome::Registered) => rep.registered += 1,
                Ok(Outcome::Attached) => rep.attached += 1,
                Err(reason) => {
                    store
                        .inbox_mark(letter.id, "failed", None, Some(&reason.to_string()))
                        .await?;
                    rep.failed += 1;
                }
            }
        }
    }
}

enum Outcome {
    Registered,
    Attached,
}

fn files_of(raw: &[u8], msg: &mail_parser::Message<'_>) -> (Vec<NewAttachment>, Vec<String>) {
    // The letter itself is kept whole (APL-02: the original, unchanged).
    let mut files = vec![NewAttachment {
        file_name: "письмо.eml".into(),
        content_type: "message/rfc822".into(),
        content: raw.to_vec(),
    }];
    let mut skipped = Vec::new();
    for (i, part) in msg.attachments().enumerate() {
        let name = part
            .attachment_name()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("вложение-{}", i + 1));
        match accepted_type(&name) {
            Some(ct)
                if part.contents().len() <= 10 * 1024 * 1024 && !part.contents().is_empty() =>
            {
                files.push(NewAttachment {
                    file_name: name,
                    content_type: ct.to_owned(),
                    content: part.contents().to_vec(),
                })
            }
            _ => skipped.push(name),
        }
    }
    (files, skipped)
}

/// A stored letter, read: who wrote, about what, what came with it, and what it answers.
struct Letter {
    from: String,
    name: String,
    subject: String,
    text: String,
    files: Vec<NewAttachment>,
    skipped: Vec<String>,
    /// Message-IDs it replies to or references.
    threads: Vec<String>,
}

/// Reads a stored letter; one without a sender's address is refused.
fn read_letter(raw: &[u8]) -> Result<Letter> {
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or_else(|| JobError::Letter("письмо не удалось разобрать".into()))?;
    let from = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| a.contains('@'))
        .ok_or_else(|| JobError::Letter("в письме нет адреса отправителя".into()))?;
    let name = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.name())
        .unwrap_or("")
        .trim()
        .to_owned();
    let subject = msg.subject().unwrap_or("").trim().to_owned();
    let text = msg
        .body_text(0)
        .map(|t| t.trim().to_owned())
        .unwrap_or_default();
    let (files, skipped) = files_of(raw, &msg);

    let mut threads: Vec<String> = Vec::new();
    for h in [msg.in_reply_to(), msg.references()] {
        if let Some(list) = h.as_text_list() {
            threads.extend(list.iter().map(|s| s.to_string()));
        } else if let Some(one) = h.as_text() {
            threads.push(one.to_owned());
        }
    }
    Ok(Letter {
        from,
        name,
        subject,
        text,
        files,
        skipped,
        threads,
    })
}

/// The appeal a letter belongs to: a reply to our answer, or a letter naming an appeal of the
/// same sender.
async fn appeal_of_letter(store: &Store, letter: &Letter) -> Result<Option<i64>> {
    let Letter {
        from,
        subject,
        threads,
        ..
    } = letter;
    let mut target = None;
    for t in threads {
        if let Some(id) = appeal_id_in(t) {
            if store.appeal(id).await.is_ok() {
                target = Some(id);
                break;
            }
        }
        if let Some(rid) = reply_id_in(t) {
            target = store.appeal_of_reply(rid).await?;
            if target.is_some() {
                break;
            }
        }
    }
    if target.is_none() {
        if let Some(number) = number_in(subject) {
            if let Ok(a) = store.appeal_by_number(&number).await {
                if a.applicant_email.as_deref().map(str::to_lowercase) == Some(from.clone()) {
                    target = Some(a.id);
                }
            }
        }
    }
    Ok(target)
}

/// Attaches a letter to its appeal.
async fn attach_letter(
    store: &Store,
    inbox_id: i64,
    appeal_id: i64,
    letter: &Letter,
) -> Result<Outcome> {
    let Letter {
        from,
        subject,
        text,
        files,
        ..
    } = letter;
    let mut summary = format!("письмо от {from}");
    if !subject.is_empty() {
        summary.push_str(&format!(", тема «{subject}»"));
    }
    let excerpt: String = text.chars().take(500).collect();
    if !excerpt.is_empty() {
        summary.push_str(&format!(": {excerpt}"));
    }
    store
        .attach_letter_to_appeal(inbox_id, appeal_id, &summary, files)
        .await?;
    Ok(Outcome::Attached)
}

/// Registers a letter as a new appeal (an information request by e-mail, APL-01).
async fn register_letter(store: &Store, inbox_id: i64, letter: Letter) -> Result<Outcome> {
    let Letter {
        from,
        name,
        subject,
        text,
        files,
        skipped,
        ..
    } = letter;
    if text.is_empty() && files.len() == 1 {
        return Err(JobError::Letter("письмо без текста и без вложений".into()));
    }
    let mut body = String::new();
    if !subject.is_empty() {
        body.push_str(&format!("Тема: {subject}\n\n"));
    }
    body.push_str(if text.is_empty() {
        "(текст — во вложениях)"
    } else {
        &text
    });
    if !skipped.is_empty() {
        body.push_str(&format!(
            "\n\n[Вложения другого типа сохранены в исходном письме: {}]",
            skipped.join(", ")
        ));
    }
    let body: String = body.chars().take(MAX_TEXT_CHARS).collect();
    let mut draft = AppealDraft {
        channel: "email".into(),
        kind: AppealKind::InformationRequest.code().into(),
        topic: "other".into(),
        text: body,
        applicant_name: if name.is_empty() { from.clone() } else { name },
        email: from.clone(),
        answer_channel: "email".into(),
        ..Default::default()
    };
    let data = match draft.validate(false) {
        Ok(d) => d,
        Err(_) => {
            // An address our validator refuses is kept in the name; the answer goes by post.
            draft.email.clear();
            draft.answer_channel = "post".into();
            draft.applicant_name = format!("{} <{from}>", draft.applicant_name);
            draft
                .validate(false)
                .map_err(|e| JobError::Letter(e.to_string()))?
        }
    };
    let branches = store.branches().await?;
    let branch = branches.first().ok_or(JobError::NoBranch)?;
    let zone = jiff::tz::TimeZone::get(&branch.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let today = jiff::Timestamp::now().to_zoned(zone).date();
    let norms = store
        .appeal_norms()
        .await?
        .get(&data.kind)
        .copied()
        .unwrap_or_default();
    let cal = store.working_calendar().await?;
    let new = NewAppeal {
        data,
        branch_id: branch.id,
        account_id: None,
        registered_on: today,
        deadline: norms.deadline(&cal, today).date,
        repeat_window_days: norms.repeat_window_days,
        tracking_hash: None,
        tracking_code: None,
        attachments: files,
    };
    let actor = Actor {
        staff_id: None,
        login: "почта".into(),
        ip: String::new(),
    };
    // The key makes a second pass after a crash return the first registration.
    let reg = store
        .register_appeal(
            &new,
            Some(&IdemKey::new("mail", inbox_id.to_string())),
            &actor,
        )
        .await?;
    store
        .inbox_mark(inbox_id, "registered", Some(reg.id), None)
        .await?;
    Ok(Outcome::Registered)
}

#[tracing::instrument(skip_all, fields(letter = inbox_id))]
async fn process_letter(store: &Store, inbox_id: i64, raw: &[u8]) -> Result<Outcome> {
    let letter = read_letter(raw)?;
    match appeal_of_letter(store, &letter).await? {
        Some(appeal_id) => attach_letter(store, inbox_id, appeal_id, &letter).await,
        None => register_letter(store, inbox_id, letter).await,
    }
}

/// «2026-000123» in a subject.
fn number_in(subject: &str) -> Option<String> {
    let b = subject.as_bytes();
    (0..b.len().saturating_sub(10)).find_map(|i| {
        let w = &b[i..i + 11];
        let ok = w[..4].iter().all(u8::is_ascii_digit)
            && w[4] == b'-'
            && w[5..].iter().all(u8::is_ascii_digit)
            && b.get(i + 11).is_none_or(|c| !c.is_ascii_digit())
            && (i == 0 || !b[i - 1].is_ascii_digit());
        ok.then(|| String::from_utf8_lossy(w).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threading_keys() {
        assert_eq!(reply_id_in("<answer-42@abonent.invalid>"), Some(42));
        assert_eq!(reply_id_in("<other@x>"), None);
        assert_eq!(
            number_in("Re: Ответ на обращение № 2026-000123").as_deref(),
            Some("2026-000123")
        );
        assert_eq!(number_in("2026-0001234"), None);
        let t = parse_imap_url("imaps://inbox%40utek.ru:p%40ss@mail.utek.ru/INBOX").unwrap();
        assert!(t.tls);
        assert_eq!(
            (t.user.as_str(), t.password.as_str()),
            ("inbox@utek.ru", "p@ss")
        );
        assert_eq!(t.port, 993);
        let cfg = MailConfig {
            smtp_url: "smtp://u:secret@h:587?tls=required".into(),
            ..Default::default()
        };
        assert!(!cfg.redacted().contains("secret"));
    }
}
