//! Demo billing history (OPS-02, BENCHMARKS): meters on most demo accounts, monthly readings and
//! payments, and a closed billing run per month — the "12 months of history" the billing
//! benchmark starts from. Deterministic by account id; resumable: a month whose readings or
//! payments are stored is not generated again, and the billing run resumes by itself.

use abonent_domain::tariffs::Period;
use jiff::civil::Date;

use crate::demo::Rng;
use crate::sql::values_clause;
use crate::{now_micros, Result, Store};

/// Rows per statement and per transaction while generating.
const ROWS: usize = 1000;
const TX_ROWS: usize = 50_000;
const DEMO_NOTE: &str = "демо";
const DEMO_PAYER: &str = "Демо-платёж";

/// One demo meter's facts for generating readings.
struct DemoMeter {
    id: i64,
    account_id: i64,
    zones: usize,
    initial: Vec<i64>,
}

/// kWh per zone consumed by an account in month `k` (0 = the first generated month): a base of
/// 80…400 kWh, more in winter, split by zones.
fn consumption(account_id: i64, k: u32, month: i8, zones: usize) -> Vec<i64> {
    let mut r = Rng::new((account_id as u64) << 8 | u64::from(k));
    let base = 80 + (Rng::new(account_id as u64).below(320)) as i64;
    let winter = matches!(month, 11 | 12 | 1 | 2) as i64;
    let total = base + winter * base / 3 + r.below(40) as i64 - 20;
    match zones {
        1 => vec![total],
        2 => vec![total * 7 / 10, total - total * 7 / 10],
        _ => vec![total / 4, total / 2, total - total / 4 - total / 2],
    }
}

/// Whether the client sends readings in month `k` (9 of 10 months).
fn submits(account_id: i64, k: u32) -> bool {
    Rng::new((account_id as u64) << 16 ^ u64::from(k) ^ 0x5EED).below(10) != 0
}

/// Whether the client pays in month `k` (17 of 20 months), and how much of the bill (all, or half
/// in one of ten payments).
fn pays(account_id: i64, k: u32) -> Option<(i64, i64)> {
    let mut r = Rng::new((account_id as u64) << 20 ^ u64::from(k) ^ 0xFA11);
    if r.below(20) < 3 {
        return None;
    }
    Some(if r.below(10) == 0 { (1, 2) } else { (1, 1) })
}

fn join(v: &[i64]) -> String {
    v.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn micros_at(d: Date) -> i64 {
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_microsecond())
        .unwrap_or_else(|_| now_micros())
}

impl Store {
    /// Generates `months` months of history ending with `last` for every account; `last` is
    /// billed and closed too unless `leave_last_open` (its readings and payments wait for
    /// `abonent bill`, as in the billing benchmark). `progress(stage, done, total)` reports
    /// each stage.
    #[tracing::instrument(level = "debug", skip_all, fields(last = %last))]
    pub async fn demo_billing(
        &self,
        months: u32,
        last: Period,
        leave_last_open: bool,
        mut progress: impl FnMut(&str, u64, u64),
    ) -> Result<()> {
        let mut first = last;
        for _ in 1..months.max(1) {
            first = first.prev();
        }
        self.demo_meters(&mut progress).await?;
        let meters = self.load_demo_meters().await?;
        let mut p = first;
        let mut k = 0u32;
        loop {
            let closed: Option<(String,)> = sqlx::query_as(
                "SELECT status FROM billing_periods WHERE period = $1 AND status = 'closed'",
            )
            .bind(p.to_string())
            .fetch_optional(self.pool())
            .await?;
            if closed.is_none() {
                let label = format!("{p}: показания");
                self.demo_readings(&meters, first, p, k, &mut |d, t| progress(&label, d, t))
                    .await?;
                if k > 0 {
                    self.demo_payments(p, k).await?;
                }
                if !(leave_last_open && p == last) {
                    let label = format!("{p}: начисления");
                    self.bill(p, 5000, None, |d, t| progress(&label, d, t))
                        .await?;
                }
            }
            if p == last {
                break;
            }
            p = p.next();
            k += 1;
        }
        let today = crate::from_micros(now_micros())
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date();
        self.demo_warning_deliveries(today).await?;
        Ok(())
    }

    /// Records plausible deliveries of the open cases' warnings (PAY-04), so the demo shows
    /// every way: by case id, the invoice from a courier's list, a signature, a registered letter
    /// with its receipt, one still without it, a recorded call; three in eight await delivery
    /// (the outbox may still deliver them by SMS or e-mail). Cases with a record are left alone.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn demo_warning_deliveries(&self, today: Date) -> Result<usize> {
        use abonent_domain::restriction::NewDelivery;
        let cases: Vec<(i64, String)> = sqlx::query_as(
            "SELECT c.id, c.period FROM restriction_cases c
             WHERE c.open AND c.status = 'warning'
               AND NOT EXISTS (SELECT 1 FROM warning_deliveries d WHERE d.case_id = c.id)
             ORDER BY c.id",
        )
        .fetch_all(self.pool())
        .await?;
        let tech: Option<(i64,)> = sqlx::query_as("SELECT id FROM staff WHERE login = 'tech'")
            .fetch_optional(self.pool())
            .await?;
        let actor = crate::audit::Actor {
            staff_id: tech.map(|t| t.0),
            login: "demo".into(),
            ip: String::new(),
        };
        let mut n = 0;
        for (id, period) in cases {
            let Some(issued) = Period::parse(&period).map(|p| p.next().first_day()) else {
                continue;
            };
            if issued > today {
                continue;
            }
            let day = |d: i64| {
                issued
                    .checked_add(jiff::Span::new().days(d))
                    .unwrap_or(issued)
                    .min(today)
            };
            let d = match id % 8 {
                0 => NewDelivery::Invoice {
                    on: day(3),
                    by: "Курьер Сидоров П. П.".into(),
                },
                1 => NewDelivery::Signature {
                    on: day(5),
                    by: "Григорьева А. Ю.".into(),
                },
                2 => NewDelivery::Letter {
                    rpo: format!("6284{:010}", id),
                    sent_on: day(2),
                    receipt_on: Some(day(9)),
                },
                3 => NewDelivery::Letter {
                    rpo: format!("6284{:010}", id),
                    sent_on: day(4),
                    receipt_on: None,
                },
                4 => NewDelivery::Call {
                    at: day(6).at(11, 20, 0, 0),
                    by: "Павлов Д. О.".into(),
                    phone: format!("912{:07}", id % 10_000_000),
                    note: "Клиенту сообщено о долге и сроке оплаты; запись разговора сохранена"
                        .into(),
                },
                _ => continue,
            };
            self.record_delivery(id, &d, &actor).await?;
            n += 1;
        }
        Ok(n)
    }

    /// A meter on 85 % of accounts without one (1, 2 or 3 zones); 70 % of the rest could have
    /// one installed.
    async fn demo_meters(&self, progress: &mut impl FnMut(&str, u64, u64)) -> Result<()> {
        let ids: Vec<(i64,)> = sqlx::query_as(
            "SELECT a.id FROM accounts a WHERE NOT EXISTS (SELECT 1 FROM meters m WHERE m.account_id = a.id)
             ORDER BY a.id",
        )
        .fetch_all(self.pool())
        .await?;
        let total = ids.len() as u64;
        let now = now_micros();
        for (n, part) in ids.chunks(TX_ROWS).enumerate() {
            let mut tx = self.begin_write().await?;
            let with: Vec<i64> = part
                .iter()
                .map(|r| r.0)
                .filter(|id| Rng::new(*id as u64 ^ 0x4D45).below(100) < 85)
                .collect();
            for rows in with.chunks(ROWS) {
                let sql = format!(
                    "INSERT INTO meters (account_id, serial, model, zones, digits, installed_on, verified_on,
                         interval_years, initial_values, created_at) VALUES {}",
                    values_clause(self.backend(), rows.len(), 10)
                );
                let mut q = sqlx::query(&sql);
                for id in rows {
                    let mut r = Rng::new(*id as u64 ^ 0x5A0E);
                    let zones = match r.below(20) {
                        0..=13 => 1,
                        14..=18 => 2,
                        _ => 3,
                    };
                    let initial: Vec<i64> = (0..zones).map(|_| r.below(20_000) as i64).collect();
                    q = q
                        .bind(*id)
                        .bind(format!("D{id:08}"))
                        .bind("Меркурий 201")
                        .bind(zones as i64)
                        .bind(6i64)
                        .bind("2020-01-15")
                        .bind("2020-01-15")
                        .bind(16i64)
                        .bind(join(&initial))
                        .bind(now);
                }
                q.execute(&mut *tx).await?;
            }
            let without: Vec<i64> = part
                .iter()
                .map(|r| r.0)
                .filter(|id| !with.contains(id) && Rng::new(*id as u64 ^ 0x1A57).below(10) >= 7)
                .collect();
            for rows in without.chunks(ROWS) {
                let sql = format!(
                    "UPDATE accounts SET meter_installable = FALSE WHERE id IN ({})",
                    rows.iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                );
                sqlx::query(&sql).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            progress(
                "приборы учёта",
                ((n + 1) * TX_ROWS).min(ids.len()) as u64,
                total,
            );
        }
        Ok(())
    }

    async fn load_demo_meters(&self) -> Result<Vec<DemoMeter>> {
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
            "SELECT id, account_id, zones, initial_values FROM meters WHERE serial LIKE 'D%' ORDER BY id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, account_id, zones, initial)| DemoMeter {
                id,
                account_id,
                zones: zones as usize,
                initial: initial.split(',').filter_map(|v| v.parse().ok()).collect(),
            })
            .collect())
    }

    /// Readings of month `k` (period `p`) in one transaction, or none if already there.
    async fn demo_readings(
        &self,
        meters: &[DemoMeter],
        first: Period,
        p: Period,
        k: u32,
        progress: &mut impl FnMut(u64, u64),
    ) -> Result<()> {
        let have: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM readings WHERE period = $1 AND note = $2 LIMIT 1")
                .bind(p.to_string())
                .bind(DEMO_NOTE)
                .fetch_optional(self.pool())
                .await?;
        if have.is_some() {
            return Ok(());
        }
        let received = micros_at(p.first_day().saturating_add(jiff::Span::new().days(19)));
        let mut rows: Vec<(i64, String, String)> = Vec::with_capacity(meters.len());
        for m in meters {
            if !submits(m.account_id, k) {
                continue;
            }
            // Register values now and at the last reading sent before.
            let mut values = m.initial.clone();
            let mut last = m.initial.clone();
            let mut month = first;
            for j in 0..=k {
                for (v, c) in
                    values
                        .iter_mut()
                        .zip(consumption(m.account_id, j, month.month, m.zones))
                {
                    *v += c;
                }
                if j < k && submits(m.account_id, j) {
                    last = values.clone();
                }
                month = month.next();
            }
            let used: Vec<i64> = values
                .iter()
                .zip(&last)
                .map(|(v, l)| (v - l) * 1000)
                .collect();
            rows.push((m.id, join(&values), join(&used)));
        }
        let total = rows.len() as u64;
        let mut tx = self.begin_write().await?;
        for (n, part) in rows.chunks(ROWS).enumerate() {
            let sql = format!(
                "INSERT INTO readings (meter_id, reading_values, consumption_wh, received_at, period,
                     channel, status, note) VALUES {}",
                values_clause(self.backend(), part.len(), 8)
            );
            let mut q = sqlx::query(&sql);
            for (id, values, used) in part {
                q = q
                    .bind(*id)
                    .bind(values.clone())
                    .bind(used.clone())
                    .bind(received)
                    .bind(p.to_string())
                    .bind("portal")
                    .bind("accepted")
                    .bind(DEMO_NOTE);
            }
            q.execute(&mut *tx).await?;
            progress(((n + 1) * ROWS).min(rows.len()) as u64, total);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Payments of month `k` (period `p`) against the previous invoice, in one transaction.
    async fn demo_payments(&self, p: Period, k: u32) -> Result<()> {
        let have: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM payments WHERE period = $1 AND payer = $2 LIMIT 1")
                .bind(p.to_string())
                .bind(DEMO_PAYER)
                .fetch_optional(self.pool())
                .await?;
        if have.is_some() {
            return Ok(());
        }
        let owed: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT account_id, closing FROM invoices WHERE period = $1 AND closing > 0",
        )
        .bind(p.prev().to_string())
        .fetch_all(self.pool())
        .await?;
        let paid_on = p
            .first_day()
            .saturating_add(jiff::Span::new().days(9))
            .to_string();
        let now = now_micros();
        let rows: Vec<(i64, i64)> = owed
            .into_iter()
            .filter_map(|(id, closing)| pays(id, k).map(|(n, d)| (id, closing * n / d)))
            .filter(|(_, amount)| *amount > 0)
            .collect();
        let mut tx = self.begin_write().await?;
        for part in rows.chunks(ROWS) {
            let sql = format!(
                "INSERT INTO payments (account_id, paid_on, amount, period, source, payer, created_at)
                 VALUES {}",
                values_clause(self.backend(), part.len(), 7)
            );
            let mut q = sqlx::query(&sql);
            for (id, amount) in part {
                q = q
                    .bind(*id)
                    .bind(paid_on.clone())
                    .bind(*amount)
                    .bind(p.to_string())
                    .bind("registry")
                    .bind(DEMO_PAYER)
                    .bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_plausible() {
        assert_eq!(consumption(7, 3, 1, 2), consumption(7, 3, 1, 2));
        let c = consumption(7, 3, 7, 1)[0];
        assert!((60..=420).contains(&c), "{c}");
        assert_eq!(consumption(9, 0, 12, 3).len(), 3);
        let sent = (0..100).filter(|k| submits(11, *k)).count();
        assert!((75..=100).contains(&sent), "{sent}");
    }
}
