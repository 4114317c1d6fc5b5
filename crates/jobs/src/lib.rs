//! Job workers and the scheduler (ARCHITECTURE "Jobs"). The scheduler enqueues periodic work
//! into the queue with a key per time slot, so several instances enqueue it once; workers claim
//! jobs with a lease and call the same store and domain code as the web layer.
//!
//! Periodic jobs: `appeals.sweep` (APL-09 reminders before the deadline and escalation when
//! overdue) every 15 minutes, `mail.poll` (the company mailbox, APL-01) every
//! `mail.imap_poll_seconds` when a mailbox is configured, `maintenance.purge` daily. Other jobs
//! are enqueued by the change that causes them: `appeal.deliver_answer` (APL-05), `outbox.send`
//! (messages to clients, NTF-01; also every minute while messages wait for a retry),
//! `news.notify` (an announcement to the clients of its district, NTF-02).
//!
//! Stopping (OPS-06): the worker looks at its [`Stop`] between jobs and between messages; when a
//! stop is asked it finishes the message in hand, gives back the job and the messages it claimed
//! (claimable again at once) and returns, whatever the backlog.

use std::time::Duration;

use abonent_store::jobs::{
    DeliverAnswer, Job, JobKind, JobPayload, NewsNotify, RemindersDaily, StaffMail,
};
use abonent_store::{now_micros, Store};
use tracing::instrument;

pub mod error;
pub mod invoices;
pub mod mail;
pub mod outbox;

pub use error::{JobError, Result};
pub use mail::MailConfig;

/// Asks the workers to stop (held by whoever handles the signals).
#[derive(Debug)]
pub struct StopHandle(tokio::sync::watch::Sender<bool>);

impl StopHandle {
    /// Asks every [`Stop`] of this handle to stop; they see it at their next check.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

/// Whether the workers should stop: checked between jobs and between messages.
#[derive(Debug, Clone)]
pub struct Stop(tokio::sync::watch::Receiver<bool>);

impl Stop {
    /// A pair: the handle that asks, and the stop the workers look at.
    pub fn pair() -> (StopHandle, Stop) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        (StopHandle(tx), Stop(rx))
    }

    /// A stop that is never asked (tests, and one-off runs that should finish their work).
    pub fn never() -> Stop {
        let (tx, rx) = tokio::sync::watch::channel(false);
        // The receiver keeps the last value when the sender is gone.
        drop(tx);
        Stop(rx)
    }

    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once a stop is asked (never, for [`Stop::never`]).
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        if rx.wait_for(|stop| *stop).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// What the workers need besides the store.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    pub mail: MailConfig,
    pub sms: outbox::SmsConfig,
    /// The company's time zone (`[company] time_zone`): the day of reminders and deadlines
    /// when no branch names a zone.
    pub time_zone: jiff::tz::TimeZone,
    /// The address citizens reach the site at (`public_url`), for links in letters.
    pub public_url: String,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            mail: MailConfig::default(),
            sms: outbox::SmsConfig::default(),
            time_zone: abonent_domain::org::default_time_zone(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// How often the scheduler looks at the clock, and how long a claimed job is leased.
pub const TICK: Duration = Duration::from_secs(20);
pub const LEASE: Duration = Duration::from_secs(300);
/// Slot of the appeals sweep.
pub const SWEEP_EVERY_MINUTES: i64 = 15;

/// Local hour from which the day's reminders go out.
pub const REMINDERS_HOUR: i8 = 10;

/// Queues the reminders of a day (debt, due date, readings, a new tariff) for every account
/// concerned.
#[instrument(skip_all, fields(%today))]
pub async fn queue_reminders(
    store: &Store,
    today: jiff::civil::Date,
) -> abonent_store::Result<String> {
    let mut parts = Vec::new();
    for k in abonent_domain::notices::KINDS.iter().filter(|k| k.daily) {
        let f = store.queue_reminders(k.code, today).await?;
        parts.push(format!(
            "{}: {} (e-mail {}, SMS {}, portal {})",
            k.code,
            f.total(),
            f.email,
            f.sms,
            f.portal
        ));
    }
    Ok(parts.join("; "))
}

/// Enqueues the periodic jobs due in the current slots (idempotent across instances).
#[instrument(skip_all)]
pub async fn schedule(store: &Store, cfg: &JobsConfig) -> abonent_store::Result<()> {
    let now = now_micros();
    if !cfg.mail.imap_url.is_empty() {
        let slot = now / 1_000_000 / cfg.mail.poll_seconds();
        store
            .enqueue(
                &JobKind::MailPoll,
                "",
                Some(&format!("mail.poll@{slot}")),
                now,
            )
            .await?;
    }
    let minutes = now / 60_000_000;
    let slot = minutes / SWEEP_EVERY_MINUTES;
    store
        .enqueue(
            &JobKind::AppealsSweep,
            "",
            Some(&format!("appeals.sweep@{slot}")),
            now,
        )
        .await?;
    if store.messages_due().await? {
        // Retries of messages whose channel was down (new messages start the sender at once).
        store
            .enqueue(
                &JobKind::OutboxSend,
                "",
                Some(&format!("outbox.send@{minutes}")),
                now,
            )
            .await?;
    }
    // Reminders to clients once a day, from 10:00 in the company's zone (NTF-02).
    let local = jiff::Timestamp::now().to_zoned(cfg.time_zone.clone());
    if local.hour() >= REMINDERS_HOUR {
        store
            .enqueue_payload(
                &RemindersDaily { day: local.date() },
                Some(&format!("reminders@{}", local.date())),
                now,
            )
            .await?;
    }
    let day = minutes / (24 * 60);
    store
        .enqueue(
            &JobKind::MaintenancePurge,
            "",
            Some(&format!("maintenance.purge@{day}")),
            now,
        )
        .await?;
    Ok(())
}

/// How a job ended that did not fail.
enum JobEnd {
    Done(String),
    /// A stop was asked before the job finished: it is given back, to be run again.
    Interrupted(String),
}

/// Runs one job; an error is recorded and the job retried later.
pub async fn run_job(store: &Store, cfg: &JobsConfig, job: &Job) -> Result<String> {
    match run_job_until(store, cfg, job, &Stop::never()).await? {
        JobEnd::Done(s) | JobEnd::Interrupted(s) => Ok(s),
    }
}

/// The typed payload of a job, or [`JobError::BadPayload`].
fn payload<P: JobPayload>(job: &Job) -> Result<P> {
    job.payload().ok_or(JobError::BadPayload)
}

/// Runs one job, looking at `stop` where the job is long (the outbox, the appeals sweep).
#[instrument(skip_all, fields(job = job.id, kind = %job.kind, attempts = job.attempts))]
async fn run_job_until(store: &Store, cfg: &JobsConfig, job: &Job, stop: &Stop) -> Result<JobEnd> {
    let done = match &job.kind {
        JobKind::MailPoll => poll_mailbox(store, cfg).await?,
        JobKind::StaffMail => {
            let p: StaffMail = payload(job)?;
            mail::send_staff_notice(store, &cfg.mail, p.notice_id).await?
        }
        JobKind::AppealConfirm => {
            let p: abonent_store::jobs::AppealConfirm = payload(job)?;
            mail::send_confirmation(store, cfg, &p).await?
        }
        JobKind::AppealDeliverAnswer => {
            let p: DeliverAnswer = payload(job)?;
            mail::deliver_answer(store, &cfg.mail, p.reply_id).await?
        }
        JobKind::OutboxSend => {
            let r =
                outbox::send_due_until(store, &cfg.mail, &cfg.sms, &job_worker(job), stop).await?;
            return Ok(if r.stopped {
                JobEnd::Interrupted(r.summary())
            } else {
                JobEnd::Done(r.summary())
            });
        }
        JobKind::NewsNotify => notify_news(store, payload(job)?).await?,
        JobKind::RemindersDaily => {
            let p: RemindersDaily = payload(job)?;
            let done = queue_reminders(store, p.day).await?;
            // Visits booked for tomorrow are reminded of the day before (CHN-01).
            let tomorrow = p.day.saturating_add(jiff::Span::new().days(1));
            let booked = store
                .queue_booking_reminders(tomorrow, &cfg.time_zone)
                .await?;
            format!("{done}; booked visits of tomorrow: {booked}")
        }
        JobKind::AppealsSweep => return sweep_appeals(store, cfg, stop).await,
        JobKind::MaintenancePurge => purge(store).await?,
        JobKind::Unknown(other) => return Err(JobError::UnknownKind(other.clone())),
    };
    Ok(JobEnd::Done(done))
}

/// `mail.poll`: fetches the mailbox, then registers or attaches what came.
#[instrument(skip_all)]
async fn poll_mailbox(store: &Store, cfg: &JobsConfig) -> Result<String> {
    let fetched = mail::fetch_mailbox(store, &cfg.mail).await?;
    let r = mail::process_inbox(store).await?;
    Ok(format!(
        "fetched {fetched}; registered {}, attached {}, failed {}",
        r.registered, r.attached, r.failed
    ))
}

/// `news.notify`: queues an announcement's messages to its clients.
#[instrument(skip_all, fields(news = p.news_id))]
async fn notify_news(store: &Store, p: NewsNotify) -> Result<String> {
    let id = p.news_id;
    let f = store.news_fan_out(id).await?;
    Ok(format!(
        "news {id}: {} (e-mail {}, SMS {}, portal {})",
        f.total(),
        f.email,
        f.sms,
        f.portal
    ))
}

/// `appeals.sweep`: reminders before the deadlines and escalations of overdue appeals, in
/// batches, until none is left or a stop is asked.
#[instrument(skip_all)]
async fn sweep_appeals(store: &Store, cfg: &JobsConfig, stop: &Stop) -> Result<JobEnd> {
    let norms = store.appeal_norms().await?;
    let remind = norms.values().map(|n| n.remind_days).max().unwrap_or(3);
    let zone = cfg.time_zone.clone();
    let today = jiff::Timestamp::now().to_zoned(zone).date();
    let until = today.saturating_add(jiff::Span::new().days(remind));
    let mut total = abonent_store::appeals::SweepReport::default();
    loop {
        if stop.requested() {
            return Ok(JobEnd::Interrupted(format!(
                "stopped: reminded {}, escalated {}",
                total.reminded, total.escalated
            )));
        }
        let r = store.appeal_sweep(today, until, 500).await?;
        total.reminded += r.reminded;
        total.escalated += r.escalated;
        if r.reminded + r.escalated == 0 {
            break;
        }
    }
    Ok(JobEnd::Done(format!(
        "reminded {}, escalated {}",
        total.reminded, total.escalated
    )))
}

/// `maintenance.purge`: forgets idempotency keys after a week and finished jobs after 30 days.
#[instrument(skip_all)]
async fn purge(store: &Store) -> Result<String> {
    let now = now_micros();
    let keys = store
        .purge_idempotency_keys(now - 7 * 86_400_000_000)
        .await?;
    let jobs = store.purge_done_jobs(now - 30 * 86_400_000_000).await?;
    Ok(format!("purged {keys} keys, {jobs} jobs"))
}

/// The outbox lease holder of a job: the job's id makes it unique per run.
fn job_worker(job: &Job) -> String {
    format!("job-{}-{}", job.id, job.attempts)
}

/// Claims and runs due jobs until none is left; returns how many ran.
#[instrument(skip_all, fields(%worker))]
pub async fn drain(store: &Store, cfg: &JobsConfig, worker: &str) -> abonent_store::Result<usize> {
    drain_until(store, cfg, worker, &Stop::never()).await
}

/// As [`drain`], until `stop` is asked: no job is claimed after that, and a job it interrupts
/// is given back (claimable again at once). Returns how many jobs finished.
#[instrument(skip_all, fields(%worker))]
pub async fn drain_until(
    store: &Store,
    cfg: &JobsConfig,
    worker: &str,
    stop: &Stop,
) -> abonent_store::Result<usize> {
    let mut n = 0;
    while !stop.requested() {
        let Some(job) = store.claim_job(worker, LEASE.as_micros() as i64).await? else {
            break;
        };
        match run_job_until(store, cfg, &job, stop).await {
            Ok(JobEnd::Done(summary)) => {
                tracing::info!(job = job.id, kind = %job.kind, %summary, "job done");
                store.complete_job(job.id, worker).await?;
            }
            Ok(JobEnd::Interrupted(summary)) => {
                tracing::info!(job = job.id, kind = %job.kind, %summary, "job interrupted by the stop; given back");
                store.release_job(job.id, worker).await?;
                break;
            }
            Err(e) => {
                tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempts, error = %e, "job failed");
                store
                    .fail_job(job.id, worker, job.attempts, &e.to_string())
                    .await?;
            }
        }
        n += 1;
    }
    Ok(n)
}

/// The scheduler and one worker, until `stop` is asked; then the job in hand is given back
/// after its current message, and this returns.
#[instrument(skip_all, fields(%worker))]
pub async fn run(store: Store, cfg: JobsConfig, worker: String, stop: Stop) {
    let mut tick = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            _ = stop.wait() => break,
            _ = tick.tick() => {
                if stop.requested() {
                    break;
                }
                if let Err(e) = schedule(&store, &cfg).await {
                    tracing::warn!(error = %e, "scheduling jobs failed");
                }
                if let Err(e) = drain_until(&store, &cfg, &worker, &stop).await {
                    tracing::warn!(error = %e, "running jobs failed");
                }
            }
        }
    }
    tracing::info!(%worker, "worker stopped");
}
