//! Demo appeals at any scale (OPS-02; the 1,000,000-appeal benchmarks of the appeals issue):
//! deterministic texts, applicants from the demo clients, two years of registrations with the
//! statuses a working registry has — most answered on time, some open, a few overdue.

use std::collections::HashMap;

use abonent_domain::appeals::{search_terms, AppealKind, IntakeChannel, DEFAULT_TOPICS};
use abonent_domain::calendar::WorkingCalendar;
use abonent_domain::org::Role;
use jiff::civil::Date;
use jiff::ToSpan;

use crate::demo::{demo_client, BATCH};
use crate::sql::values_clause;
use crate::{now_micros, Backend, Result, Store, StoreError};

const TEXTS: &[&str] = &[
    "Прошу проверить начисление за {m}: сумма выше обычной, показания передавал вовремя.",
    "Не работает счётчик в квартире, показания не меняются уже неделю.",
    "Перебои с электроснабжением на {s}, вечером мигает свет и падает напряжение.",
    "Прошу заключить договор энергоснабжения на новое помещение по адресу {s}.",
    "Платёж за {m} не зачислен на лицевой счёт, квитанцию прилагаю.",
    "Благодарю техника за вежливое и быстрое обслуживание в центре.",
    "Прошу заменить прибор учёта: истёк межповерочный интервал.",
    "Получил уведомление об ограничении подачи, задолженность погашена {m}.",
    "Предлагаю принимать показания через мессенджер и по СМС.",
    "Не согласен с перерасчётом по нормативу за {m}, прошу пересчитать по показаниям.",
    "На {s} нет света с утра, прошу сообщить срок восстановления.",
    "Прошу выдать справку об отсутствии задолженности.",
];

/// The demo text and topic of the `i`-th demo appeal.
pub fn demo_appeal_text(i: u64) -> (String, &'static str) {
    let c = demo_client((i % 999_983) as u32 + 1);
    let t = TEXTS[(i % TEXTS.len() as u64) as usize];
    let text = t
        .replace(
            "{m}",
            abonent_domain::tariffs::MONTHS_RU[((i / 7) % 12) as usize],
        )
        .replace(
            "{s}",
            &format!("{}, д. {}", c.premises.street, c.premises.house),
        );
    let topic = match i % TEXTS.len() as u64 {
        0 | 9 => "billing",
        1 | 6 => "meter",
        2 => "supply_quality",
        3 => "contract",
        4 => "payment",
        5 => "staff_conduct",
        7 => "restriction",
        10 => "outage",
        _ => DEFAULT_TOPICS[(i % DEFAULT_TOPICS.len() as u64) as usize].0,
    };
    (text, topic)
}

impl Store {
    /// Adds demo appeals until the registry holds `target`; resumable and idempotent.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn demo_appeals(&self, target: u64, mut progress: impl FnMut(u64)) -> Result<u64> {
        let (have,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM appeals")
            .fetch_one(self.pool())
            .await?;
        let have = have as u64;
        if have >= target {
            return Ok(0);
        }
        let branch = self
            .branches()
            .await?
            .first()
            .map(|b| (b.id, b.time_zone.clone()))
            .ok_or_else(|| StoreError::Setup("no branch: run seed_defaults first".into()))?;
        let executors = self.demo_executors().await?;
        let zone = jiff::tz::TimeZone::get(&branch.1).unwrap_or(jiff::tz::TimeZone::UTC);
        let today = jiff::Timestamp::now().to_zoned(zone.clone()).date();
        let run = DemoAppealsRun {
            target,
            branch_id: branch.0,
            zone,
            today,
            cal: self.working_calendar().await?,
            executors,
            now: now_micros(),
            span_days: 730,
        };
        let mut deadlines: HashMap<Date, Date> = HashMap::new();
        let mut next_id = self.next_id("appeals").await?;
        let mut i = have;
        let mut added = 0;
        while i < target {
            let end = (i + BATCH as u64).min(target);
            let n = (end - i) as usize;
            self.write_demo_appeals(&run, &mut deadlines, i, n, next_id)
                .await?;
            next_id += n as i64;
            added += n as u64;
            i = end;
            progress(added);
        }
        // Later registrations continue after the generated numbers.
        let last = next_id - 1;
        for y in [today.year() - 2, today.year() - 1, today.year()] {
            sqlx::query(
                "INSERT INTO appeal_counters (year, last) VALUES ($1, $2)
                 ON CONFLICT (year) DO UPDATE SET last = CASE WHEN appeal_counters.last > $2 THEN appeal_counters.last ELSE $2 END",
            )
            .bind(i64::from(y))
            .bind(last)
            .execute(self.pool())
            .await?;
        }
        if self.backend() == Backend::Postgres {
            for t in ["appeals", "appeal_events"] {
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"
                ))
                .execute(self.pool())
                .await?;
            }
            sqlx::query("ANALYZE appeals").execute(self.pool()).await?;
        } else {
            sqlx::query("ANALYZE").execute(self.pool()).await?;
        }
        Ok(added)
    }
}

/// What every generated appeal shares.
struct DemoAppealsRun {
    target: u64,
    branch_id: i64,
    zone: jiff::tz::TimeZone,
    today: Date,
    cal: WorkingCalendar,
    executors: Vec<i64>,
    now: i64,
    /// Registrations spread over this many days before today.
    span_days: i64,
}

impl Store {
    /// Active staff who may execute appeals.
    async fn demo_executors(&self) -> Result<Vec<i64>> {
        Ok(self
            .staff_list()
            .await?
            .into_iter()
            .filter(|s| {
                s.active
                    && matches!(
                        s.role,
                        Role::Technician
                            | Role::CashierTechnician
                            | Role::HeadOfRetailSales
                            | Role::BranchHead
                    )
            })
            .map(|s| s.id)
            .collect())
    }

    /// Writes the `n` appeals from number `first_seq` of the run (ids from `next_id`), their
    /// search terms and history, in one transaction.
    async fn write_demo_appeals(
        &self,
        run: &DemoAppealsRun,
        deadlines: &mut HashMap<Date, Date>,
        first_seq: u64,
        n: usize,
        next_id: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "INSERT INTO appeals (id, number, registered_at, registered_on, channel, kind, topic,
                 branch_id, applicant_name, applicant_email, applicant_address, answer_channel,
                 original_text, flagged, status, executor_id, assigned_at, deadline,
                 original_deadline, closed_at, closed_on, on_time, search_terms, version,
                 reminded_for, escalated_for)
             VALUES {}",
            values_clause(self.backend(), n, 26)
        );
        let mut q = sqlx::query(&sql);
        let mut fts: Vec<(i64, String)> = Vec::with_capacity(n);
        let mut events: Vec<(i64, i64)> = Vec::with_capacity(n);
        for k in 0..n {
            let seq = first_seq + k as u64;
            let id = next_id + k as i64;
            // Older appeals first; the newest land in the last few days.
            let days_ago = run.span_days - (seq as i64 * run.span_days / run.target.max(1) as i64);
            let on = run.today.saturating_sub(days_ago.days());
            let at = on
                .to_zoned(run.zone.clone())
                .map(|z| z.timestamp().as_microsecond())
                .unwrap_or(run.now)
                + ((seq * 7_919) % 36_000) as i64 * 1_000_000
                + 8 * 3_600_000_000;
            let deadline = *deadlines
                .entry(on)
                .or_insert_with(|| run.cal.deadline(on, 15).date);
            let c = demo_client((seq % 999_983) as u32 + 1);
            let name = format!("{} {} {}", c.surname, c.first_name, c.patronymic);
            let (text, topic) = demo_appeal_text(seq);
            let terms = format!("{} {}", search_terms(&text), search_terms(&name));
            let kind = AppealKind::ALL[(seq % 5) as usize].code();
            let channel = IntakeChannel::ALL[(seq % 8) as usize].code();
            let open = deadline >= run.today || seq.is_multiple_of(37);
            let exec = if run.executors.is_empty() || (open && seq.is_multiple_of(3)) {
                None
            } else {
                Some(run.executors[(seq % run.executors.len() as u64) as usize])
            };
            let status = match (open, exec) {
                (true, None) => "registered",
                (true, Some(_)) => "assigned",
                (false, _) if seq.is_multiple_of(50) => "left_without_action",
                _ => "answered",
            };
            let closed_on = (!open).then(|| {
                let late = seq.is_multiple_of(41);
                if late {
                    deadline.saturating_add(2.days())
                } else {
                    on.saturating_add(((seq % 12) as i64 + 1).days())
                }
            });
            let closed_at = closed_on.map(|d| {
                d.to_zoned(run.zone.clone())
                    .map(|z| z.timestamp().as_microsecond())
                    .unwrap_or(run.now)
                    + 12 * 3_600_000_000
            });
            q = q
                .bind(id)
                .bind(abonent_domain::appeals::registration_number(on.year(), id))
                .bind(at)
                .bind(on.to_string())
                .bind(channel)
                .bind(kind)
                .bind(topic)
                .bind(run.branch_id)
                .bind(name)
                .bind(c.email.clone())
                .bind(c.postal_address.clone())
                .bind(if c.email.is_some() { "email" } else { "post" })
                .bind(text)
                .bind(0i64)
                .bind(status)
                .bind(exec)
                .bind(exec.map(|_| at + 3_600_000_000))
                .bind(deadline.to_string())
                .bind(deadline.to_string())
                .bind(closed_at)
                .bind(closed_on.map(|d| d.to_string()))
                .bind(closed_on.map(|d| i64::from(d <= deadline)))
                .bind(terms.clone())
                .bind(1i64)
                // History: reminders and escalations of past deadlines were sent then.
                .bind(
                    (open && deadline <= run.today.saturating_add(3.days()))
                        .then(|| deadline.to_string()),
                )
                .bind((open && deadline < run.today).then(|| deadline.to_string()));
            fts.push((id, terms));
            events.push((id, at));
        }
        q.execute(&mut *tx).await?;
        insert_demo_history(&mut tx, self.backend(), fts, events).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The generated appeals' search terms (SQLite's full-text table) and their registration in
/// the history.
async fn insert_demo_history(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    fts: Vec<(i64, String)>,
    events: Vec<(i64, i64)>,
) -> Result<()> {
    let n = events.len();
    if backend == Backend::Sqlite {
        let sql = format!(
            "INSERT INTO appeal_fts (rowid, terms) VALUES {}",
            values_clause(backend, n, 2)
        );
        let mut q = sqlx::query(&sql);
        for (id, t) in fts {
            q = q.bind(id).bind(t);
        }
        q.execute(&mut *tx).await?;
    }
    let sql = format!(
        "INSERT INTO appeal_events (appeal_id, at, actor_name, action, details) VALUES {}",
        values_clause(backend, n, 5)
    );
    let mut q = sqlx::query(&sql);
    for (id, at) in events {
        q = q
            .bind(id)
            .bind(at)
            .bind("demo")
            .bind("registered")
            .bind("демо-данные");
    }
    q.execute(&mut *tx).await?;
    Ok(())
}
