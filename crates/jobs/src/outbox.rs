//! The outbox sender (NTF-01): claims due messages with a lease, sends each by its channel and
//! records the outcome. A channel that is down leaves the message queued for a later attempt;
//! a crash after the channel accepted a message and before it is recorded sends it again once
//! (same Message-ID), never loses it.

use abonent_domain::tariffs::Period;
use abonent_render::InvoiceDoc;
use abonent_store::outbox::OutboxMessage;
use abonent_store::Store;

use crate::mail::{send_with, MailConfig, MailFile, SendError};

/// Messages claimed at a time, and how long they are leased.
pub const BATCH: i64 = 50;
pub const LEASE_MICROS: i64 = 300_000_000;

/// The Message-ID of an outbox letter.
pub fn message_id(id: i64) -> String {
    format!("<outbox-{id}@abonent.invalid>")
}

/// Sends every due message; returns a summary.
pub async fn send_due(store: &Store, cfg: &MailConfig, worker: &str) -> Result<String, String> {
    let (mut sent, mut failed) = (0, 0);
    loop {
        let batch = store
            .claim_messages(worker, BATCH, LEASE_MICROS)
            .await
            .map_err(|e| e.to_string())?;
        if batch.is_empty() {
            break;
        }
        let mut any_sent = false;
        for m in batch {
            match send_one(store, cfg, &m).await {
                Ok(()) => {
                    store
                        .message_sent(m.id, worker)
                        .await
                        .map_err(|e| e.to_string())?;
                    sent += 1;
                    any_sent = true;
                }
                Err(e) => {
                    let permanent = matches!(e, SendError::Address(_));
                    tracing::warn!(message = m.id, attempts = m.attempts, error = %e, "message not sent");
                    store
                        .message_failed(m.id, worker, m.attempts, &e.to_string(), permanent)
                        .await
                        .map_err(|e| e.to_string())?;
                    failed += 1;
                }
            }
        }
        if !any_sent {
            // The channel is down: the rest waits for its next attempt.
            break;
        }
    }
    Ok(format!("sent {sent}, not sent {failed}"))
}

async fn send_one(store: &Store, cfg: &MailConfig, m: &OutboxMessage) -> Result<(), SendError> {
    if m.channel != "email" {
        return Err(SendError::Address(format!(
            "channel {} is not available",
            m.channel
        )));
    }
    let (mut subject, mut body) = (m.subject.clone(), m.body.clone());
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
    send_with(cfg, &m.recipient, &subject, &message_id(m.id), body, files).await
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
