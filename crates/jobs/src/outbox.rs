//! The outbox sender (NTF-01): claims due messages with a lease, sends each by its channel and
//! records the outcome. A channel that is down leaves the message queued for a later attempt;
//! a crash after the channel accepted a message and before it is recorded sends it again once
//! (same Message-ID), never loses it.

use std::collections::BTreeMap;

use abonent_domain::tariffs::Period;
use abonent_render::InvoiceDoc;
use abonent_store::outbox::OutboxMessage;
use abonent_store::Store;
use serde::Deserialize;

use crate::error::JobError;
use crate::mail::{send_with, MailConfig, MailFile, SendError};
use crate::Stop;

/// The SMS gateway (`[sms]` in the configuration): each message is `POST`ed to `url` as JSON
/// `{"to": "+79…", "text": "…", "sender": "…"}` with `Authorization: Bearer token` when a token is
/// set; any 2xx answer means accepted. Empty `url`: SMS wait in the outbox. `folder:/path`
/// (development and the demo): each SMS becomes a text file there.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SmsConfig {
    pub url: String,
    pub token: String,
    pub sender: String,
}

/// Messages claimed at a time, and how long they are leased.
pub const BATCH: i64 = 50;
pub const LEASE_MICROS: i64 = 300_000_000;

/// The Message-ID of an outbox letter.
pub fn message_id(id: i64) -> String {
    format!("<outbox-{id}@abonent.invalid>")
}

/// Sends every due message; returns a summary.
#[tracing::instrument(skip_all, fields(%worker))]
pub async fn send_due(
    store: &Store,
    cfg: &MailConfig,
    sms: &SmsConfig,
    worker: &str,
) -> Result<String, JobError> {
    Ok(send_due_until(store, cfg, sms, worker, &Stop::never())
        .await?
        .summary())
}

/// What a run of the sender did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendReport {
    pub sent: u64,
    pub failed: u64,
    /// A stop was asked: the messages claimed and not yet sent were given back.
    pub stopped: bool,
}

impl SendReport {
    pub fn summary(&self) -> String {
        let s = format!("sent {}, not sent {}", self.sent, self.failed);
        if self.stopped {
            format!("{s}; stopped, the rest stays queued")
        } else {
            s
        }
    }
}

/// Sends due messages until none is left or `stop` is asked: the message in hand is finished
/// and recorded, the rest of the claimed batch is given back (claimable again at once).
#[tracing::instrument(skip_all, fields(%worker))]
pub async fn send_due_until(
    store: &Store,
    cfg: &MailConfig,
    sms: &SmsConfig,
    worker: &str,
    stop: &Stop,
) -> Result<SendReport, JobError> {
    let mut r = SendReport::default();
    loop {
        if stop.requested() {
            r.stopped = true;
            break;
        }
        let batch = store.claim_messages(worker, BATCH, LEASE_MICROS).await?;
        if batch.is_empty() {
            break;
        }
        let mut any_sent = false;
        for m in batch {
            if stop.requested() {
                r.stopped = true;
                break;
            }
            match send_one(store, cfg, sms, &m).await {
                Ok((subject, body)) => {
                    let recorded = store.message_sent(m.id, worker, &subject, &body).await?;
                    if recorded && m.kind == "restriction_warning" {
                        record_delivery(store, &m).await?;
                    }
                    r.sent += 1;
                    any_sent = true;
                }
                Err(e) => {
                    let permanent = matches!(e, SendError::Address(_));
                    tracing::warn!(message = m.id, attempts = m.attempts, error = %e, "message not sent");
                    store
                        .message_failed(m.id, worker, m.attempts, &e.to_string(), permanent)
                        .await?;
                    r.failed += 1;
                }
            }
        }
        if r.stopped {
            let released = store.release_messages(worker).await?;
            tracing::info!(%worker, released, "stopping: claimed messages given back");
            break;
        }
        if !any_sent {
            // The channel is down: the rest waits for its next attempt.
            break;
        }
    }
    Ok(r)
}

/// A delivered restriction warning is a step of its case (PAY-04).
#[tracing::instrument(skip_all, fields(message = m.id))]
async fn record_delivery(store: &Store, m: &OutboxMessage) -> Result<(), JobError> {
    let v: serde_json::Value = serde_json::from_str(&m.params)?;
    let Some(case) = v["case"].as_i64() else {
        return Err(JobError::NoCase(m.id));
    };
    Ok(store
        .record_warning_delivery(case, &m.channel, &m.recipient)
        .await?)
}

/// The subject and text of a reminder from its template and values.
async fn render_notice(store: &Store, m: &OutboxMessage) -> Result<(String, String), SendError> {
    let t = store
        .notice_template(&m.kind, &m.channel)
        .await
        .map_err(|e| SendError::Other(format!("template {} {}: {e}", m.kind, m.channel)))?;
    let raw: BTreeMap<String, serde_json::Value> = serde_json::from_str(&m.params)
        .map_err(|e| SendError::Address(format!("bad values of message: {e}")))?;
    let mut values = BTreeMap::new();
    for (k, v) in raw {
        let text = match (k.as_str(), &v) {
            ("amount", serde_json::Value::Number(n)) => {
                abonent_domain::money::Kopecks(n.as_i64().unwrap_or(0)).to_string()
            }
            ("due_date", serde_json::Value::String(d)) => abonent_domain::calendar::ru_date(d),
            ("period", serde_json::Value::String(p)) => Period::parse(p)
                .map(|p| p.label_ru())
                .unwrap_or_else(|| p.clone()),
            (_, serde_json::Value::String(s)) => s.clone(),
            (_, other) => other.to_string(),
        };
        values.insert(k, text);
    }
    if let Some(id) = values.get("news").and_then(|v| v.parse::<i64>().ok()) {
        // An announcement's text is read when it is sent, not copied into every message.
        let n = store
            .news_item(id)
            .await
            .map_err(|e| SendError::Other(e.to_string()))?
            .ok_or_else(|| SendError::Address(format!("announcement {id} is gone")))?;
        if n.withdrawn_at.is_some() {
            // Withdrawn before its message went out: it is not sent (final, not retried).
            return Err(SendError::Address(format!("announcement {id} withdrawn")));
        }
        values.insert("place".into(), n.audience());
        values.insert("when".into(), n.interval().unwrap_or_default());
        values.insert("title".into(), n.title);
        values.insert("text".into(), n.body);
        values.insert("url".into(), n.link);
    }
    let hotline = store
        .company()
        .await
        .map_err(|e| SendError::Other(e.to_string()))?
        .map(|c| c.hotline_phones)
        .unwrap_or_default();
    values.insert("hotline".into(), hotline);
    Ok((
        abonent_domain::notices::render(&t.subject, &values),
        abonent_domain::notices::render(&t.body, &values),
    ))
}

/// Sends one message by its channel; returns the subject and text as sent.
#[tracing::instrument(skip_all, fields(message = m.id, channel = %m.channel))]
async fn send_one(
    store: &Store,
    cfg: &MailConfig,
    sms: &SmsConfig,
    m: &OutboxMessage,
) -> Result<(String, String), SendError> {
    let (mut subject, mut body) = (m.subject.clone(), m.body.clone());
    if !m.params.is_empty() && body.is_empty() {
        (subject, body) = render_notice(store, m).await?;
    }
    match m.channel.as_str() {
        // The personal account's inbox: delivered by being stored.
        "portal" => return Ok((subject, body)),
        "sms" => {
            send_sms(sms, &m.recipient, &body).await?;
            return Ok((subject, body));
        }
        "email" => {}
        other => {
            return Err(SendError::Address(format!(
                "channel {other} is not available"
            )));
        }
    }
    let mut files = Vec::new();
    if let Some(period) = m.attachment.strip_prefix("invoice:") {
        let period = Period::parse(period)
            .ok_or_else(|| SendError::Address(format!("bad attachment {}", m.attachment)))?;
        let account_id = m
            .account_id
            .ok_or_else(|| SendError::Address("an invoice without an account".into()))?;
        let doc = crate::invoices::invoice_doc(store, account_id, period)
            .await
            .map_err(|e| SendError::Other(e.to_string()))?;
        if subject.is_empty() {
            subject = format!("{}, лицевой счёт {}", doc.title, doc.account_number);
        }
        if body.is_empty() {
            body = invoice_letter(&doc);
        }
        let name = format!("schet_{}_{}.pdf", doc.account_number, period);
        let bytes = tokio::task::spawn_blocking(move || abonent_render::invoice(&doc))
            .await
            .map_err(|e| SendError::Other(e.to_string()))?
            .map_err(|e| SendError::Other(e.to_string()))?;
        files.push(MailFile {
            name,
            content_type: "application/pdf",
            bytes,
        });
    }
    send_with(
        cfg,
        &m.recipient,
        &subject,
        &message_id(m.id),
        body.clone(),
        files,
    )
    .await?;
    Ok((subject, body))
}

/// `+7XXXXXXXXXX` from the ten digits we store.
fn e164(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        10 => format!("+7{digits}"),
        11 if digits.starts_with('8') || digits.starts_with('7') => format!("+7{}", &digits[1..]),
        _ => format!("+{digits}"),
    }
}

/// Posts an SMS to the gateway; 400 and 422 (a number or text it will never take) are final,
/// anything else (the gateway down, a wrong token) is retried.
async fn send_sms(cfg: &SmsConfig, phone: &str, text: &str) -> Result<(), SendError> {
    if cfg.url.is_empty() {
        return Err(SendError::Other(
            "no SMS gateway configured (sms.url)".into(),
        ));
    }
    if let Some(dir) = cfg.url.strip_prefix("folder:") {
        let file = std::path::Path::new(dir).join(format!(
            "sms-{}-{}.txt",
            jiff::Timestamp::now().as_microsecond(),
            e164(phone).trim_start_matches('+')
        ));
        return std::fs::create_dir_all(dir)
            .and_then(|_| std::fs::write(&file, format!("{}\n{text}\n", e164(phone))))
            .map_err(|e| SendError::Other(format!("{}: {e}", file.display())));
    }
    let (url, token) = (cfg.url.clone(), cfg.token.clone());
    let payload = serde_json::json!({"to": e164(phone), "text": text, "sender": cfg.sender});
    tokio::task::spawn_blocking(move || {
        let mut req = ureq::post(&url).timeout(std::time::Duration::from_secs(15));
        if !token.is_empty() {
            req = req.set("Authorization", &format!("Bearer {token}"));
        }
        match req.send_json(payload) {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(code, _)) if code == 400 || code == 422 => Err(
                SendError::Address(format!("SMS gateway refused: HTTP {code}")),
            ),
            Err(ureq::Error::Status(code, _)) => {
                Err(SendError::Other(format!("SMS gateway: HTTP {code}")))
            }
            Err(e) => Err(SendError::Other(format!("SMS gateway: {e}"))),
        }
    })
    .await
    .map_err(|e| SendError::Other(e.to_string()))?
}

/// The text of the letter that carries an invoice: the sums, the due date and who to call.
pub fn invoice_letter(doc: &InvoiceDoc) -> String {
    let mut s = format!(
        "Здравствуйте, {}!\n\n{} по лицевому счёту {} — во вложении (PDF, с QR-кодом для оплаты в \
         приложении банка).\n\n",
        doc.client_name, doc.title, doc.account_number
    );
    for (label, value) in &doc.summary {
        s.push_str(&format!("{label}: {value}\n"));
    }
    s.push_str(&format!("{}.\n\n", doc.due));
    for n in &doc.notices {
        s.push_str(n);
        s.push_str("\n\n");
    }
    for l in &doc.company_lines {
        s.push_str(l);
        s.push('\n');
    }
    s.push_str("\nЭто письмо отправлено автоматически.\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_sms_to_a_folder_is_a_text_file_there() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = SmsConfig {
            url: format!("folder:{}/sms", dir.path().display()),
            ..Default::default()
        };
        send_sms(&cfg, "9125550102", "Код: 123456").await.unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path().join("sms"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert_eq!(text, "+79125550102\nКод: 123456\n");
    }
}
