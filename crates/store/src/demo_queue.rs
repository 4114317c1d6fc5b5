//! Demo data of the hall (CHN-01): a month of working days of tickets, calls and visits in every
//! service centre — waits, receptions near and over the norms, transfers to the head of sales,
//! no-shows — and a few visitors waiting today, so the window, the display, the journal and the
//! later quality dashboard have something to show. Written once: a store with tickets is left
//! as it is.

use abonent_domain::frontoffice::queue::{ticket_label, ServiceLevel, VisitResult};
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use sqlx::AnyConnection;

use crate::frontoffice::queue::QueueService;
use crate::{Result, Store, StoreError};

const TOPICS: &[&str] = &[
    "Начисление за электроэнергию",
    "Перерасчёт за период отсутствия",
    "Замена прибора учёта",
    "Передача показаний",
    "Оплата и задолженность",
    "Переоформление договора",
    "Справка об отсутствии задолженности",
    "Льготы и субсидии",
];

const DEMO_BOOKERS: &[&str] = &[
    "Смирнова Ольга Петровна",
    "Кузнецов Иван Сергеевич",
    "Попова Мария Андреевна",
    "Васильев Дмитрий Олегович",
    "Новикова Елена Викторовна",
];

/// A small deterministic generator: the same demo every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Who serves at each level in the demo.
struct DemoStaff {
    technicians: Vec<i64>,
    head_of_sales: Option<i64>,
    branch_head: Option<i64>,
}

impl DemoStaff {
    fn at(&self, level: ServiceLevel, rng: &mut Rng) -> Option<i64> {
        match level {
            ServiceLevel::Technician => {
                let n = self.technicians.len() as u64;
                (n > 0).then(|| self.technicians[rng.below(n) as usize])
            }
            ServiceLevel::HeadOfSales => self.head_of_sales,
            ServiceLevel::BranchHead => self.branch_head,
        }
    }
}

/// One generated visit.
struct Visit<'a> {
    centre_id: i64,
    day: Date,
    number: i64,
    service: &'a QueueService,
    taken_at: i64,
}

fn micros(day: Date, minutes: i64, tz: &TimeZone) -> Result<i64> {
    let t = Time::new(
        i8::try_from(minutes / 60).unwrap_or(9),
        i8::try_from(minutes % 60).unwrap_or(0),
        0,
        0,
    )
    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(day
        .to_datetime(t)
        .to_zoned(tz.clone())
        .map_err(|e| StoreError::Corrupt(e.to_string()))?
        .timestamp()
        .as_microsecond())
}

impl Store {
    /// A month of the hall's life before `today` in every centre; `Ok(0)` when the store has
    /// tickets already.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn demo_queue(&self, today: Date, tz: &TimeZone) -> Result<u64> {
        let (have,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM queue_tickets")
            .fetch_one(self.pool())
            .await?;
        if have > 0 {
            return Ok(0);
        }
        let staff = self.demo_hall_staff().await?;
        let clients: Vec<(i64, String)> =
            sqlx::query_as("SELECT client_id, number FROM accounts ORDER BY id LIMIT 400")
                .fetch_all(self.pool())
                .await?;
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let mut written = 0;
        for centre in self.centres().await? {
            let services = self.queue_services(centre.id).await?;
            for back in (1..=30).rev() {
                let day = today
                    .checked_sub(jiff::Span::new().days(back))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                if matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
                    continue;
                }
                written += self
                    .demo_queue_day(centre.id, day, &services, &staff, &clients, tz, &mut rng)
                    .await?;
            }
            written += self
                .demo_queue_today(centre.id, today, &services, tz)
                .await?;
            written += self
                .demo_bookings(centre.id, today, &services, &clients, tz)
                .await?;
        }
        Ok(written)
    }

    /// A few visits booked for the next working days (by phone and in the personal account).
    async fn demo_bookings(
        &self,
        centre_id: i64,
        today: Date,
        services: &[QueueService],
        clients: &[(i64, String)],
        tz: &TimeZone,
    ) -> Result<u64> {
        use abonent_domain::frontoffice::booking::BookingChannel;
        let mut n = 0u64;
        let mut day = today;
        let mut days = 0;
        while days < 3 {
            day = day
                .tomorrow()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
                continue;
            }
            days += 1;
            for (k, letter) in ["П", "Р", "Н"].iter().enumerate() {
                let Some(s) = services.iter().find(|s| s.letter == *letter) else {
                    continue;
                };
                let client = clients.get((n as usize * 7 + k) % clients.len().max(1));
                let minute = 10 * 60 + i64::try_from(k).unwrap_or(0) * 30 + days * 15;
                let b = crate::frontoffice::booking::NewBooking {
                    centre_id,
                    service_id: s.id,
                    day,
                    slot_start: micros(day, minute, tz)?,
                    slot_minutes: s.norm_minutes,
                    channel: if k % 2 == 0 {
                        BookingChannel::Phone
                    } else {
                        BookingChannel::Portal
                    },
                    name: DEMO_BOOKERS[(n as usize) % DEMO_BOOKERS.len()].into(),
                    phone: Some(format!("+7 912 555-{:02}-{:02}", n % 100, (n * 7) % 100)),
                    email: None,
                    account: None,
                    client_id: client.map(|c| c.0),
                    portal_user_id: None,
                    random: u32::try_from(n * 137 % 1000).unwrap_or(0),
                };
                self.book_visit(&b, &crate::audit::Actor::default()).await?;
                n += 1;
            }
        }
        Ok(n)
    }

    async fn demo_hall_staff(&self) -> Result<DemoStaff> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, role FROM staff WHERE active = 1 ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        let of = |roles: &[&str]| -> Vec<i64> {
            rows.iter()
                .filter(|r| roles.contains(&r.1.as_str()))
                .map(|r| r.0)
                .collect()
        };
        Ok(DemoStaff {
            technicians: of(&["technician", "cashier_technician"]),
            head_of_sales: of(&["head_of_retail_sales"]).first().copied(),
            branch_head: of(&["branch_head"]).first().copied(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn demo_queue_day(
        &self,
        centre_id: i64,
        day: Date,
        services: &[QueueService],
        staff: &DemoStaff,
        clients: &[(i64, String)],
        tz: &TimeZone,
        rng: &mut Rng,
    ) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut numbers = std::collections::HashMap::<String, i64>::new();
        let count = 25 + rng.below(20);
        for _ in 0..count {
            // Mostly payments and readings; a few consultations.
            let pick = rng.below(100);
            let letter = match pick {
                0..=39 => "Р",
                40..=69 => "П",
                70..=84 => "Д",
                85..=94 => "Н",
                _ => "К",
            };
            let Some(service) = services.iter().find(|s| s.letter == letter) else {
                continue;
            };
            let number = numbers.entry(letter.to_owned()).or_insert(0);
            *number += 1;
            let minute = 9 * 60 + i64::try_from(rng.below(8 * 60)).unwrap_or(0);
            let visit = Visit {
                centre_id,
                day,
                number: *number,
                service,
                taken_at: micros(day, minute, tz)?,
            };
            write_demo_visit(&mut tx, &visit, services, staff, clients, rng).await?;
        }
        for (letter, last) in numbers {
            sqlx::query(
                "INSERT INTO queue_counters (centre_id, day, letter, last) VALUES ($1, $2, $3, $4)",
            )
            .bind(centre_id)
            .bind(day.to_string())
            .bind(letter)
            .bind(last)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(count)
    }

    /// A few visitors waiting now, so a window has someone to call.
    async fn demo_queue_today(
        &self,
        centre_id: i64,
        today: Date,
        services: &[QueueService],
        tz: &TimeZone,
    ) -> Result<u64> {
        let now = crate::now_micros();
        let mut n = 0;
        for (letter, k) in [("Р", 3), ("П", 2), ("Д", 1)] {
            let Some(s) = services.iter().find(|s| s.letter == letter) else {
                continue;
            };
            for _ in 0..k {
                // Taken in the last quarter of an hour, or at opening if that is still ahead.
                let opening = micros(today, 9 * 60, tz)?;
                let at = (now - 15 * 60_000_000 + n * 60_000_000).max(opening.min(now));
                self.take_ticket_at(centre_id, s.id, today, at).await?;
                n += 1;
            }
        }
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// A ticket taken at `at` (the demo's past).
    async fn take_ticket_at(
        &self,
        centre_id: i64,
        service_id: i64,
        day: Date,
        at: i64,
    ) -> Result<()> {
        let t = self
            .take_ticket(centre_id, service_id, None, None, day)
            .await?;
        sqlx::query(
            "UPDATE queue_tickets SET taken_at = $1, queued_at = $1, rank_at = $1 WHERE id = $2",
        )
        .bind(at)
        .bind(t.ticket.id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

/// One past visit: the ticket, its calls (a technician's transfer to the head of sales now and
/// then), and what it came to; a few visitors did not come.
async fn write_demo_visit(
    conn: &mut AnyConnection,
    v: &Visit<'_>,
    services: &[QueueService],
    staff: &DemoStaff,
    clients: &[(i64, String)],
    rng: &mut Rng,
) -> Result<()> {
    let label = ticket_label(&v.service.letter, v.number);
    let client = (rng.below(10) < 7 && !clients.is_empty())
        .then(|| &clients[rng.below(clients.len() as u64) as usize]);
    let no_show = rng.below(100) < 5;
    let minute = 60_000_000;
    let wait = i64::try_from(1 + rng.below(20)).unwrap_or(5) * minute;
    let called = v.taken_at + wait;
    // Receptions mostly within the norm, some over it.
    let service_len = i64::try_from(4 + rng.below(16)).unwrap_or(10) * minute
        + i64::try_from(rng.below(60)).unwrap_or(0) * 1_000_000;
    let transfer = v.service.level == ServiceLevel::Technician && rng.below(100) < 10 && !no_show;
    let status = if no_show { "no_show" } else { "done" };
    let ended = called + if no_show { minute } else { service_len };
    let (final_service, final_end) = match (transfer, services.iter().find(|s| s.letter == "Н")) {
        (true, Some(h)) => (h, ended + 5 * minute + service_len),
        _ => (v.service, ended),
    };
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO queue_tickets (centre_id, service_id, day, number, label, account_number, status,
             taken_at, queued_at, rank_at, called_at, calls, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8, $9, 1, $10) RETURNING id",
    )
    .bind(v.centre_id)
    .bind(final_service.id)
    .bind(v.day.to_string())
    .bind(v.number)
    .bind(&label)
    .bind(client.map(|c| c.1.clone()))
    .bind(status)
    .bind(v.taken_at)
    .bind(called)
    .bind(final_end)
    .fetch_one(&mut *conn)
    .await?;
    let Some(first_staff) = staff.at(v.service.level, rng) else {
        return Ok(());
    };
    let first_outcome = match (no_show, transfer) {
        (true, _) => "no_show",
        (false, true) => "transferred",
        _ => "finished",
    };
    insert_call(
        conn,
        id,
        v.service,
        first_staff,
        "1",
        v.taken_at,
        called,
        ended,
        first_outcome,
    )
    .await?;
    let mut last_staff = first_staff;
    if transfer {
        if let Some(h) = staff.head_of_sales {
            insert_call(
                conn,
                id,
                final_service,
                h,
                "Кабинет 5",
                ended,
                ended + 5 * minute,
                final_end,
                "finished",
            )
            .await?;
            last_staff = h;
        }
    }
    if no_show {
        return Ok(());
    }
    write_demo_outcome(conn, id, v.day, last_staff, client, rng, final_end).await
}

/// What a past visit came to.
async fn write_demo_outcome(
    conn: &mut AnyConnection,
    id: i64,
    day: Date,
    staff_id: i64,
    client: Option<&(i64, String)>,
    rng: &mut Rng,
    finished_at: i64,
) -> Result<()> {
    let result = match rng.below(100) {
        0..=74 => VisitResult::Resolved,
        75..=84 => VisitResult::AppealRegistered,
        85..=92 => VisitResult::Consultation,
        _ => VisitResult::Redirected,
    };
    let promised = (result == VisitResult::Consultation)
        .then(|| day.checked_add(jiff::Span::new().days(10)).ok())
        .flatten()
        .map(|d| d.to_string());
    let redirected = (result == VisitResult::Redirected)
        .then_some("Инженер по учёту, каб. 12, вт и чт 9:00–12:00");
    sqlx::query(
        "INSERT INTO queue_visits (ticket_id, staff_id, client_id, account_number, topic, result,
             promised_on, redirected_to, finished_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(staff_id)
    .bind(client.map(|c| c.0))
    .bind(client.map(|c| c.1.clone()))
    .bind(TOPICS[rng.below(TOPICS.len() as u64) as usize])
    .bind(result.code())
    .bind(promised)
    .bind(redirected)
    .bind(finished_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_call(
    conn: &mut AnyConnection,
    ticket: i64,
    service: &QueueService,
    staff_id: i64,
    window: &str,
    queued_at: i64,
    called_at: i64,
    ended_at: i64,
    outcome: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO queue_calls (ticket_id, service_id, level, norm_minutes, staff_id, window_label,
             queued_at, called_at, ended_at, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(ticket)
    .bind(service.id)
    .bind(service.level.code())
    .bind(service.norm_minutes)
    .bind(staff_id)
    .bind(window)
    .bind(queued_at)
    .bind(called_at)
    .bind(ended_at)
    .bind(outcome)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// The demo's kiosk and display of a centre, enrolled anew at every start of the demo (the
    /// previous demo devices are revoked): their links are printed, since a token is shown once.
    #[tracing::instrument(level = "debug", skip_all, fields(centre_id = centre_id))]
    pub async fn demo_hall_devices(
        &self,
        centre_id: i64,
        kiosk_token_hash: &str,
        display_token_hash: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE queue_devices SET revoked_at = $1 WHERE name LIKE 'Демо:%' AND revoked_at IS NULL",
        )
        .bind(crate::now_micros())
        .execute(self.pool())
        .await?;
        let actor = crate::audit::Actor {
            staff_id: None,
            login: "demo".into(),
            ip: String::new(),
        };
        self.enrol_device(
            centre_id,
            "kiosk",
            "Демо: киоск у входа",
            kiosk_token_hash,
            &actor,
        )
        .await?;
        self.enrol_device(
            centre_id,
            "display",
            "Демо: табло зала",
            display_token_hash,
            &actor,
        )
        .await?;
        Ok(())
    }
}
