//! Demo home visits (CHN-06): a month of requests from the demo clients with a vulnerable
//! category — most visited, one client not at home, some coming, a request waiting, one
//! cancelled, and two overdue (a request never scheduled, a visit without a result).

use abonent_domain::frontoffice::home_visits::{
    HomeVisitChannel, HomeVisitOutcome, HomeVisitRequest, Schedule, VisitResult,
};
use jiff::civil::{time, Date};
use jiff::ToSpan;

use crate::audit::Actor;
use crate::{Result, Store};

const REASONS: &[&str] = &[
    "Снять контрольные показания прибора учёта: клиент не может прийти в центр.",
    "Заменить прибор учёта с истёкшим сроком поверки, клиент передвигается на коляске.",
    "Разъяснить начисления и оформить заявление на перерасчёт на дому.",
    "Заключить договор энергоснабжения: клиент не выходит из дома.",
    "Проверить пломбы и схему подключения после жалобы на мигание света.",
    "Принять документы на льготу по оплате, клиент — ветеран.",
];

/// (days before today the request came, what it comes to): `None` stays a request, `Some(d)`
/// is scheduled `d` days after today (negative: in the past), and then the outcome, if any.
type Plan = (i64, Option<i64>, Option<HomeVisitOutcome>);

const PLANS: &[Plan] = &[
    (29, Some(-26), Some(HomeVisitOutcome::Done)),
    (26, Some(-22), Some(HomeVisitOutcome::Done)),
    (22, Some(-19), Some(HomeVisitOutcome::ClientAbsent)),
    (19, Some(-15), Some(HomeVisitOutcome::Done)),
    (15, Some(-12), Some(HomeVisitOutcome::Refused)),
    (12, Some(-8), Some(HomeVisitOutcome::Done)),
    (9, Some(-5), Some(HomeVisitOutcome::Done)),
    // scheduled, the day passed, no result: overdue
    (8, Some(-3), None),
    // waiting for a day for longer than the norm: overdue
    (9, None, None),
    (3, Some(1), None),
    (2, Some(3), None),
    (0, None, None),
];

impl Store {
    /// Adds the demo month of home visits once (nothing when any visit exists). Returns how many.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn demo_home_visits(&self, today: Date) -> Result<usize> {
        let (have,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM home_visits")
            .fetch_one(self.pool())
            .await?;
        if have > 0 {
            return Ok(0);
        }
        let clients: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT c.id, a.id, a.branch_id FROM clients c JOIN accounts a ON a.client_id = c.id
             WHERE c.vulnerable <> '' ORDER BY c.id LIMIT 13",
        )
        .fetch_all(self.pool())
        .await?;
        let head = self.staff_credentials("head").await?.map(|(s, _)| s);
        let scheduler = Actor {
            staff_id: head.as_ref().map(|s| s.id),
            login: head.map_or_else(|| "demo".into(), |s| s.login),
            ip: String::new(),
        };
        let mut added = 0;
        for (i, ((client, account, branch), plan)) in clients.iter().zip(PLANS).enumerate() {
            let visitors = self.home_visitors(*branch).await?;
            let Some(visitor) = visitors.get(i % visitors.len().max(1)) else {
                break;
            };
            let (ago, day, outcome) = *plan;
            let requested_on = today.checked_sub(ago.days()).unwrap_or(today);
            let channel = match i % 3 {
                0 => HomeVisitChannel::Phone,
                1 => HomeVisitChannel::Card,
                _ => HomeVisitChannel::Portal,
            };
            let r = HomeVisitRequest {
                reason: REASONS[i % REASONS.len()].into(),
                preferred_from: Some(requested_on),
                preferred_to: requested_on.checked_add(10.days()).ok(),
                preferred_time: (i % 2 == 0).then(|| "после обеда".into()),
                contact_phone: None,
                channel,
            };
            let by = if channel == HomeVisitChannel::Portal {
                Actor::default()
            } else {
                scheduler.clone()
            };
            let v = self
                .request_home_visit(*client, *account, &r, requested_on, &by)
                .await?;
            added += 1;
            let Some(offset) = day else { continue };
            let s = Schedule {
                visit_on: today.checked_add(offset.days()).unwrap_or(today),
                time_from: time(10 + (i % 4) as i8 * 2, 0, 0, 0),
                time_to: time(11 + (i % 4) as i8 * 2, 30, 0, 0),
                staff_id: visitor.id,
                reason: None,
            };
            let v = self
                .schedule_home_visit(v.id, v.version, &s, &scheduler)
                .await?;
            if let Some(outcome) = outcome {
                let note = match outcome {
                    HomeVisitOutcome::Done => {
                        Some("Показания сняты, вопрос клиента решён на месте.".into())
                    }
                    HomeVisitOutcome::ClientAbsent => {
                        Some("Дверь не открыли, по телефону не ответили.".into())
                    }
                    HomeVisitOutcome::Refused => None,
                };
                let me = Actor {
                    staff_id: Some(visitor.id),
                    login: "demo".into(),
                    ip: String::new(),
                };
                self.record_home_visit_result(
                    v.id,
                    v.version,
                    &VisitResult { outcome, note },
                    false,
                    &me,
                )
                .await?;
            }
        }
        if let Some((client, account, _)) = clients.get(PLANS.len()) {
            self.demo_cancelled_visit(*client, *account, today, &scheduler)
                .await?;
            added += 1;
        }
        Ok(added)
    }

    /// A request by phone cancelled: the client came to the centre after all.
    async fn demo_cancelled_visit(
        &self,
        client: i64,
        account: i64,
        today: Date,
        scheduler: &Actor,
    ) -> Result<()> {
        let r = HomeVisitRequest {
            reason: "Проверить прибор учёта после замены проводки.".into(),
            preferred_from: None,
            preferred_to: None,
            preferred_time: None,
            contact_phone: None,
            channel: HomeVisitChannel::Phone,
        };
        let requested_on = today.checked_sub(6.days()).unwrap_or(today);
        let v = self
            .request_home_visit(client, account, &r, requested_on, scheduler)
            .await?;
        self.cancel_home_visit(
            v.id,
            v.version,
            "Клиент пришёл в центр обслуживания сам.",
            scheduler,
        )
        .await?;
        Ok(())
    }
}
