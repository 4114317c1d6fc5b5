//! Home visits (CHN-06, §6.1.3 of the standard): a client who cannot reach a service centre —
//! a disabled person, a veteran, another socially vulnerable client (§5.1) — is visited at home.
//! A request comes from the client's card, by phone or from the personal account; a supervisor
//! assigns a date, a time window and a staff member of the client's branch; the visiting staff
//! member records the result. A request not scheduled within the norm (working days), and a
//! visit whose day passed without a result, are overdue. Pure rules: the store persists, the
//! web layer asks.

use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

use crate::accounts::coded_enum;
use crate::calendar::WorkingCalendar;
use crate::search::phone_key;
use crate::validation::{optional_text, FieldErrors};

coded_enum! {
    /// Where a home visit is.
    HomeVisitStatus {
        Requested = "requested" / "ждёт назначения",
        Scheduled = "scheduled" / "назначен",
        Completed = "completed" / "завершён",
        Cancelled = "cancelled" / "отменён",
    }
}

impl HomeVisitStatus {
    /// Whether the visit may still be scheduled, rescheduled or cancelled.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            HomeVisitStatus::Requested | HomeVisitStatus::Scheduled
        )
    }
}

coded_enum! {
    /// How the request came.
    HomeVisitChannel {
        Card = "card" / "из карточки клиента",
        Phone = "phone" / "по телефону",
        Portal = "portal" / "из личного кабинета",
    }
}

coded_enum! {
    /// What the visit came to.
    HomeVisitOutcome {
        Done = "done" / "выполнено",
        ClientAbsent = "client_absent" / "клиента не было дома",
        Refused = "refused" / "клиент отказался",
    }
}

coded_enum! {
    /// One line of a visit's history.
    HomeVisitEvent {
        Requested = "requested" / "заявка принята",
        Scheduled = "scheduled" / "выезд назначен",
        Rescheduled = "rescheduled" / "выезд перенесён",
        Cancelled = "cancelled" / "выезд отменён",
        Completed = "completed" / "записан результат",
    }
}

/// The norm of scheduling a request, in working days from the day it was received, unless the
/// company sets another (stored setting; the standard names no number, three working days keep
/// a vulnerable client's wait within the week).
pub const DEFAULT_SCHEDULE_WORKING_DAYS: u32 = 3;

/// The bounds of the scheduling norm a person may set.
pub const SCHEDULE_DAYS_RANGE: std::ops::RangeInclusive<u32> = 1..=30;

/// How far ahead a client may ask for a visit, and staff may schedule one (calendar days).
pub const MAX_DAYS_AHEAD: i64 = 90;

/// `start` plus `days` working days: the last day a request received on `start` may be
/// scheduled within the norm.
pub fn add_working_days(cal: &WorkingCalendar, start: Date, days: u32) -> Date {
    let mut d = start;
    let mut left = days;
    while left > 0 {
        let Ok(next) = d.tomorrow() else { break };
        d = next;
        if cal.is_working_day(d) {
            left -= 1;
        }
    }
    d
}

/// Why a visit is marked overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Overdue {
    /// Not scheduled by this day (the norm's last day has passed).
    NotScheduled { by: Date },
    /// Its day passed without a result.
    NoResult { on: Date },
}

impl Overdue {
    /// The mark as a person reads it.
    pub fn label_ru(self) -> String {
        match self {
            Overdue::NotScheduled { by } => format!(
                "просрочено: не назначен до {}",
                crate::calendar::ru_date(&by.to_string())
            ),
            Overdue::NoResult { on } => format!(
                "просрочено: выезд {} без результата",
                crate::calendar::ru_date(&on.to_string())
            ),
        }
    }
}

/// Whether a visit is overdue on `today`: a request not scheduled within `schedule_days` working
/// days of the day it came, or a scheduled visit whose day has passed without a result.
pub fn overdue(
    cal: &WorkingCalendar,
    status: HomeVisitStatus,
    requested_on: Date,
    visit_on: Option<Date>,
    schedule_days: u32,
    today: Date,
) -> Option<Overdue> {
    match (status, visit_on) {
        (HomeVisitStatus::Requested, _) => {
            let by = add_working_days(cal, requested_on, schedule_days);
            (today > by).then_some(Overdue::NotScheduled { by })
        }
        (HomeVisitStatus::Scheduled, Some(on)) => (today > on).then_some(Overdue::NoResult { on }),
        _ => None,
    }
}

/// A request as staff or the client type it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct HomeVisitDraft {
    /// The client (staff's requests; the personal account's client is known).
    #[serde(default)]
    pub client_id: Option<i64>,
    /// The account whose premises are visited: ten digits.
    #[serde(default)]
    pub account: String,
    /// What the visit is for.
    #[serde(default)]
    pub reason: String,
    /// The first day that suits the client, `YYYY-MM-DD`, or empty.
    #[serde(default)]
    pub preferred_from: String,
    /// The last day that suits the client, `YYYY-MM-DD`, or empty.
    #[serde(default)]
    pub preferred_to: String,
    /// Times that suit, as the client says them («после 14:00»).
    #[serde(default)]
    pub preferred_time: String,
    /// A phone to call before the visit.
    #[serde(default)]
    pub contact_phone: String,
    /// [`HomeVisitChannel`] code: `card` or `phone` for staff (the portal sets its own).
    #[serde(default)]
    pub channel: String,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HomeVisitRequest {
    pub reason: String,
    pub preferred_from: Option<Date>,
    pub preferred_to: Option<Date>,
    pub preferred_time: Option<String>,
    /// 10 national digits.
    pub contact_phone: Option<String>,
    pub channel: HomeVisitChannel,
}

/// `ДД.ММ.ГГГГ` or `ГГГГ-ММ-ДД` as a date, for text typed by hand.
fn parse_day(text: &str) -> Option<Date> {
    let t = text.trim();
    if let Ok(d) = t.parse::<Date>() {
        return Some(d);
    }
    let mut parts = t.split('.');
    let (Some(d), Some(m), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

fn day_field(e: &mut FieldErrors, field: &str, text: &str, missing: &str) -> Option<Date> {
    if text.trim().is_empty() {
        if !missing.is_empty() {
            e.add(field, missing);
        }
        return None;
    }
    let d = parse_day(text);
    if d.is_none() {
        e.add(field, "Дата в виде ДД.ММ.ГГГГ, например 15.03.2026.");
    }
    d
}

fn days_after(today: Date, days: i64) -> Date {
    today
        .checked_add(jiff::Span::new().days(days))
        .unwrap_or(today)
}

/// A contact phone as typed: empty, or 10 national digits.
fn contact_phone(e: &mut FieldErrors, text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return None;
    }
    let key = phone_key(text);
    if key.len() != 10 {
        e.add(
            "contact_phone",
            "Телефон: 10 цифр после +7, например +7 912 345-67-89.",
        );
        return None;
    }
    Some(key)
}

impl HomeVisitDraft {
    /// Checks a request: a reason; preferred days, when given, from today on, in order and
    /// within [`MAX_DAYS_AHEAD`]; a phone of 10 digits; a channel staff may record
    /// (`portal` only when `from_portal`).
    pub fn check(&self, today: Date, from_portal: bool) -> Result<HomeVisitRequest, FieldErrors> {
        let mut e = FieldErrors::new();
        let reason = self.reason.trim();
        if reason.is_empty() {
            e.add(
                "reason",
                "Укажите, зачем нужен выезд: например, «заменить прибор учёта».",
            );
        } else if reason.chars().count() > 1000 {
            e.add("reason", "Не более 1000 символов.");
        }
        let from = day_field(&mut e, "preferred_from", &self.preferred_from, "");
        let to = day_field(&mut e, "preferred_to", &self.preferred_to, "");
        if from.is_some_and(|d| d < today) {
            e.add("preferred_from", "Дата не может быть в прошлом.");
        }
        let latest = days_after(today, MAX_DAYS_AHEAD);
        if [from, to].into_iter().flatten().any(|d| d > latest) {
            e.add(
                "preferred_to",
                format!("Выезд планируется не дальше чем на {MAX_DAYS_AHEAD} дней вперёд."),
            );
        }
        if let (Some(a), Some(b)) = (from, to) {
            if b < a {
                e.add("preferred_to", "Конец периода раньше начала.");
            }
        }
        let preferred_time = optional_text(&mut e, "preferred_time", &self.preferred_time, 200);
        let phone = contact_phone(&mut e, &self.contact_phone);
        let channel = if from_portal {
            Some(HomeVisitChannel::Portal)
        } else {
            match HomeVisitChannel::parse(self.channel.trim()) {
                Some(HomeVisitChannel::Portal) | None => {
                    e.add(
                        "channel",
                        "Выберите, откуда заявка: из карточки клиента или по телефону.",
                    );
                    None
                }
                c => c,
            }
        };
        match (channel, e.is_empty()) {
            (Some(channel), true) => Ok(HomeVisitRequest {
                reason: reason.to_owned(),
                preferred_from: from,
                preferred_to: to,
                preferred_time,
                contact_phone: phone,
                channel,
            }),
            _ => Err(e),
        }
    }
}

/// A date, a time window and a staff member, as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ScheduleDraft {
    /// The visit's day, `YYYY-MM-DD` (or `ДД.ММ.ГГГГ`).
    #[serde(default)]
    pub visit_on: String,
    /// The window's start, `HH:MM`.
    #[serde(default)]
    pub time_from: String,
    /// The window's end, `HH:MM`.
    #[serde(default)]
    pub time_to: String,
    /// Who visits: a staff member of the client's branch who serves visitors.
    #[serde(default)]
    pub staff_id: Option<i64>,
    /// Why the visit moves (required when it was scheduled already).
    #[serde(default)]
    pub reason: String,
    /// The version of the visit the page showed.
    #[serde(default)]
    pub version: i64,
}

/// A checked assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub visit_on: Date,
    pub time_from: Time,
    pub time_to: Time,
    pub staff_id: i64,
    pub reason: Option<String>,
}

fn time_field(e: &mut FieldErrors, field: &str, text: &str) -> Option<Time> {
    let t = text.trim();
    let parsed = t
        .split_once(':')
        .and_then(|(h, m)| Some((h.parse::<i8>().ok()?, m.parse::<i8>().ok()?)))
        .and_then(|(h, m)| Time::new(h, m, 0, 0).ok());
    if parsed.is_none() {
        e.add(field, "Время в виде ЧЧ:ММ, например 10:00.");
    }
    parsed
}

/// `HH:MM`.
pub fn hh_mm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

impl ScheduleDraft {
    /// Checks an assignment: a day from today on, within [`MAX_DAYS_AHEAD`]; a window whose end
    /// is after its start; a staff member; a reason when the visit is moved.
    pub fn check(&self, today: Date, rescheduling: bool) -> Result<Schedule, FieldErrors> {
        let mut e = FieldErrors::new();
        let day = day_field(&mut e, "visit_on", &self.visit_on, "Укажите день выезда.");
        if day.is_some_and(|d| d < today) {
            e.add("visit_on", "День выезда не может быть в прошлом.");
        } else if day.is_some_and(|d| d > days_after(today, MAX_DAYS_AHEAD)) {
            e.add(
                "visit_on",
                format!("Выезд назначается не дальше чем на {MAX_DAYS_AHEAD} дней вперёд."),
            );
        }
        let from = time_field(&mut e, "time_from", &self.time_from);
        let to = time_field(&mut e, "time_to", &self.time_to);
        if let (Some(a), Some(b)) = (from, to) {
            if b <= a {
                e.add("time_to", "Конец интервала должен быть позже начала.");
            }
        }
        if self.staff_id.is_none() {
            e.add("staff_id", "Выберите сотрудника, который выедет к клиенту.");
        }
        let reason = optional_text(&mut e, "reason", &self.reason, 500);
        if rescheduling && reason.is_none() {
            e.add(
                "reason",
                "Укажите причину переноса: клиент получит уведомление.",
            );
        }
        match (day, from, to, self.staff_id, e.is_empty()) {
            (Some(visit_on), Some(time_from), Some(time_to), Some(staff_id), true) => {
                Ok(Schedule {
                    visit_on,
                    time_from,
                    time_to,
                    staff_id,
                    reason,
                })
            }
            _ => Err(e),
        }
    }
}

/// A cancellation as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CancelDraft {
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub version: i64,
}

impl CancelDraft {
    pub fn check(&self) -> Result<String, FieldErrors> {
        let mut e = FieldErrors::new();
        let r = self.reason.trim();
        if r.is_empty() {
            e.add(
                "reason",
                "Укажите причину отмены: клиент получит уведомление.",
            );
        } else if r.chars().count() > 500 {
            e.add("reason", "Не более 500 символов.");
        }
        e.into_result(r.to_owned())
    }
}

/// The result of a visit as the visiting staff member types it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ResultDraft {
    /// [`HomeVisitOutcome`] code.
    #[serde(default)]
    pub outcome: String,
    /// What was done, or why not.
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub version: i64,
}

/// A checked result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitResult {
    pub outcome: HomeVisitOutcome,
    pub note: Option<String>,
}

impl ResultDraft {
    /// An outcome; for a visit done, what was done.
    pub fn check(&self) -> Result<VisitResult, FieldErrors> {
        let mut e = FieldErrors::new();
        let outcome = HomeVisitOutcome::parse(self.outcome.trim());
        if outcome.is_none() {
            e.add("outcome", "Выберите, чем закончился выезд.");
        }
        let note = optional_text(&mut e, "note", &self.note, 2000);
        if outcome == Some(HomeVisitOutcome::Done) && note.is_none() {
            e.add("note", "Опишите, что сделано на выезде.");
        }
        match (outcome, e.is_empty()) {
            (Some(outcome), true) => Ok(VisitResult { outcome, note }),
            _ => Err(e),
        }
    }
}

/// What the client's notice says about the visit (the `{event}` of the `home_visit` notice).
pub fn notice_event(
    event: HomeVisitEvent,
    visit: Option<(Date, Time, Time)>,
    reason: Option<&str>,
) -> String {
    let when = visit.map(|(d, a, b)| {
        format!(
            "{}, с {} до {}",
            crate::calendar::ru_date(&d.to_string()),
            hh_mm(a),
            hh_mm(b)
        )
    });
    let because = reason
        .map(|r| format!(" Причина: {r}."))
        .unwrap_or_default();
    match (event, when) {
        (HomeVisitEvent::Scheduled, Some(w)) => format!("назначен на {w}."),
        (HomeVisitEvent::Rescheduled, Some(w)) => format!("перенесён на {w}.{because}"),
        (HomeVisitEvent::Cancelled, _) => format!("отменён.{because}"),
        (_, _) => "принят в работу.".to_owned(),
    }
}

/// The norm of scheduling as typed on the settings form.
pub fn check_schedule_days(text: &str) -> Result<u32, FieldErrors> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|d| SCHEDULE_DAYS_RANGE.contains(d))
        .ok_or_else(|| {
            FieldErrors::single(
                "schedule_days",
                format!(
                    "Норма — целое число рабочих дней от {} до {}.",
                    SCHEDULE_DAYS_RANGE.start(),
                    SCHEDULE_DAYS_RANGE.end()
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn cal() -> WorkingCalendar {
        WorkingCalendar::shipped()
    }

    #[test]
    fn the_norm_counts_working_days() {
        // Friday 2026-03-06 + 3 working days: Mon 9 (Sunday 8 March is a holiday, moved to
        // Monday 9 in the 2026 calendar) — whatever the calendar says, weekends are skipped.
        let by = add_working_days(&cal(), date(2026, 3, 6), 3);
        assert!(by >= date(2026, 3, 11), "{by}");
        // Tuesday 2026-03-17 + 3 = Friday 20.
        assert_eq!(
            add_working_days(&cal(), date(2026, 3, 17), 3),
            date(2026, 3, 20)
        );
        assert_eq!(
            add_working_days(&cal(), date(2026, 3, 20), 1),
            date(2026, 3, 23)
        );
    }

    #[test]
    fn a_request_and_a_visit_become_overdue() {
        let c = cal();
        let req = date(2026, 3, 17);
        let s = HomeVisitStatus::Requested;
        assert_eq!(overdue(&c, s, req, None, 3, date(2026, 3, 20)), None);
        assert_eq!(
            overdue(&c, s, req, None, 3, date(2026, 3, 23)),
            Some(Overdue::NotScheduled {
                by: date(2026, 3, 20)
            })
        );
        let on = Some(date(2026, 3, 25));
        let s = HomeVisitStatus::Scheduled;
        assert_eq!(overdue(&c, s, req, on, 3, date(2026, 3, 25)), None);
        assert_eq!(
            overdue(&c, s, req, on, 3, date(2026, 3, 26)),
            Some(Overdue::NoResult {
                on: date(2026, 3, 25)
            })
        );
        assert!(overdue(&c, s, req, on, 3, date(2026, 3, 26))
            .unwrap()
            .label_ru()
            .starts_with("просрочено"));
        for s in [HomeVisitStatus::Completed, HomeVisitStatus::Cancelled] {
            assert_eq!(overdue(&c, s, req, on, 3, date(2027, 1, 1)), None);
        }
    }

    fn draft() -> HomeVisitDraft {
        HomeVisitDraft {
            client_id: Some(1),
            account: "1000000017".into(),
            reason: "Заменить прибор учёта".into(),
            channel: "phone".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_request_needs_a_reason_and_sane_days() {
        let today = date(2026, 3, 17);
        let ok = draft().check(today, false).unwrap();
        assert_eq!(ok.channel, HomeVisitChannel::Phone);
        assert_eq!(
            draft().check(today, true).unwrap().channel,
            HomeVisitChannel::Portal
        );
        let mut d = draft();
        d.reason = " ".into();
        d.channel = "portal".into();
        d.preferred_from = "16.03.2026".into();
        d.preferred_to = "2026-03-10".into();
        d.contact_phone = "12345".into();
        let e = d.check(today, false).unwrap_err();
        assert!(e.get("reason").unwrap().starts_with("Укажите, зачем"));
        assert!(e.get("channel").is_some());
        assert_eq!(
            e.get("preferred_from"),
            Some("Дата не может быть в прошлом.")
        );
        assert_eq!(e.get("preferred_to"), Some("Конец периода раньше начала."));
        assert!(e.get("contact_phone").is_some());
        let mut d = draft();
        d.preferred_from = "18.03.2026".into();
        d.contact_phone = "8 912 345-67-89".into();
        let ok = d.check(today, false).unwrap();
        assert_eq!(ok.preferred_from, Some(date(2026, 3, 18)));
        assert_eq!(ok.contact_phone.as_deref(), Some("9123456789"));
        d.preferred_to = "2026-12-31".into();
        assert!(d
            .check(today, false)
            .unwrap_err()
            .get("preferred_to")
            .is_some());
    }

    #[test]
    fn a_schedule_needs_a_day_a_window_and_whom() {
        let today = date(2026, 3, 17);
        let d = ScheduleDraft {
            visit_on: "2026-03-19".into(),
            time_from: "10:00".into(),
            time_to: "12:00".into(),
            staff_id: Some(7),
            ..Default::default()
        };
        let s = d.check(today, false).unwrap();
        assert_eq!(s.time_from, time(10, 0, 0, 0));
        // Moving it needs a reason.
        let e = d.check(today, true).unwrap_err();
        assert!(e.get("reason").unwrap().contains("причину переноса"));
        let bad = ScheduleDraft {
            visit_on: "2026-03-16".into(),
            time_from: "12:00".into(),
            time_to: "11:00".into(),
            staff_id: None,
            ..Default::default()
        };
        let e = bad.check(today, false).unwrap_err();
        assert_eq!(
            e.get("visit_on"),
            Some("День выезда не может быть в прошлом.")
        );
        assert!(e.get("time_to").is_some());
        assert!(e.get("staff_id").is_some());
        let e = ScheduleDraft::default().check(today, false).unwrap_err();
        assert_eq!(e.get("visit_on"), Some("Укажите день выезда."));
        assert!(e.get("time_from").unwrap().contains("ЧЧ:ММ"));
    }

    #[test]
    fn a_result_of_a_visit_done_says_what_was_done() {
        let e = ResultDraft {
            outcome: "done".into(),
            ..Default::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(e.get("note"), Some("Опишите, что сделано на выезде."));
        assert!(ResultDraft {
            outcome: "client_absent".into(),
            ..Default::default()
        }
        .check()
        .is_ok());
        assert!(ResultDraft::default()
            .check()
            .unwrap_err()
            .get("outcome")
            .is_some());
        assert!(CancelDraft::default().check().is_err());
        assert_eq!(
            CancelDraft {
                reason: " Клиент в больнице ".into(),
                version: 1
            }
            .check()
            .unwrap(),
            "Клиент в больнице"
        );
    }

    #[test]
    fn notices_name_the_day_and_the_window() {
        let w = Some((date(2026, 3, 19), time(10, 0, 0, 0), time(12, 30, 0, 0)));
        assert_eq!(
            notice_event(HomeVisitEvent::Scheduled, w, None),
            "назначен на 19.03.2026, с 10:00 до 12:30."
        );
        assert_eq!(
            notice_event(HomeVisitEvent::Rescheduled, w, Some("болезнь сотрудника")),
            "перенесён на 19.03.2026, с 10:00 до 12:30. Причина: болезнь сотрудника."
        );
        assert_eq!(
            notice_event(HomeVisitEvent::Cancelled, None, Some("клиент передумал")),
            "отменён. Причина: клиент передумал."
        );
        assert_eq!(check_schedule_days("3"), Ok(3));
        assert!(check_schedule_days("0").is_err());
        assert!(check_schedule_days("x").is_err());
    }
}
