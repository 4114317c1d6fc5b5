//! The electronic queue of a service centre (CHN-01, §6.3): services with a letter and a norm of
//! reception time, tickets («Р-015»), who serves which service (the standard's escalation
//! technician → head of retail sales → branch head), and what a finished visit records.
//! Pure rules: the store persists, the web layer asks.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::accounts::{coded_enum, AccountNumber};
use crate::org::Role;
use crate::validation::{optional_text, required_text, FieldErrors};

coded_enum! {
    /// Who receives the visitor of a service (§6.3.3, §6.3.4).
    ServiceLevel {
        Technician = "technician" / "техник (техник-кассир)",
        HeadOfSales = "head_of_sales" / "начальник отдела по продаже электроэнергии населению",
        BranchHead = "branch_head" / "руководитель отделения",
    }
}

impl ServiceLevel {
    /// The standard's norm of the average reception, in minutes (§6.3.4): a technician 10–15
    /// minutes, the head of sales and the branch head 15 minutes. The upper bound is the norm
    /// a visit is measured against.
    pub fn default_norm_minutes(self) -> u32 {
        15
    }

    /// Where a visitor goes when the answer does not satisfy them (§6.3.3).
    pub fn escalation(self) -> Option<ServiceLevel> {
        match self {
            ServiceLevel::Technician => Some(ServiceLevel::HeadOfSales),
            ServiceLevel::HeadOfSales => Some(ServiceLevel::BranchHead),
            ServiceLevel::BranchHead => None,
        }
    }

    /// The level a staff member of `role` serves at a window, if any.
    pub fn of_role(role: Role) -> Option<ServiceLevel> {
        match role {
            Role::Technician | Role::CashierTechnician => Some(ServiceLevel::Technician),
            Role::HeadOfRetailSales => Some(ServiceLevel::HeadOfSales),
            Role::BranchHead => Some(ServiceLevel::BranchHead),
            _ => None,
        }
    }
}

coded_enum! {
    /// Where a ticket is.
    TicketStatus {
        Waiting = "waiting" / "ожидает",
        Called = "called" / "вызван",
        Done = "done" / "обслужен",
        NoShow = "no_show" / "не явился",
    }
}

coded_enum! {
    /// How one call of a ticket to a window ended.
    CallOutcome {
        Finished = "finished" / "приём завершён",
        Transferred = "transferred" / "переведён",
        NoShow = "no_show" / "не явился",
        Returned = "returned" / "возвращён в очередь",
    }
}

coded_enum! {
    /// What a visit came to (CHN-01).
    VisitResult {
        Resolved = "resolved" / "вопрос решён",
        AppealRegistered = "appeal" / "зарегистрировано обращение",
        Consultation = "consultation" / "консультация: ответ к обещанному сроку",
        Redirected = "redirected" / "направлен к компетентному специалисту",
    }
}

/// A service of a centre's queue as the standard ships it; each centre may change them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultService {
    pub letter: &'static str,
    pub name: &'static str,
    pub level: ServiceLevel,
    /// Lower is called first.
    pub priority: i64,
}

/// The services every centre starts with (§6.3.3): the technicians' three, then the two
/// consultations the standard names.
pub fn default_services() -> Vec<DefaultService> {
    use ServiceLevel::*;
    vec![
        DefaultService {
            letter: "Р",
            name: "Оплата и расчёты",
            level: Technician,
            priority: 10,
        },
        DefaultService {
            letter: "П",
            name: "Показания и приборы учёта",
            level: Technician,
            priority: 10,
        },
        DefaultService {
            letter: "Д",
            name: "Договор энергоснабжения",
            level: Technician,
            priority: 10,
        },
        DefaultService {
            letter: "Н",
            name: "Консультация начальника отдела по продаже электроэнергии населению",
            level: HeadOfSales,
            priority: 5,
        },
        DefaultService {
            letter: "К",
            name: "Консультация руководителя отделения",
            level: BranchHead,
            priority: 5,
        },
    ]
}

/// The printed number of a ticket: the service's letter and the day's number, «Р-015».
pub fn ticket_label(letter: &str, number: i64) -> String {
    format!("{letter}-{number:03}")
}

/// The expected wait in whole minutes: the tickets ahead, each taking the service's norm,
/// shared by the windows serving it (at least one).
pub fn expected_wait_minutes(ahead: u32, norm_minutes: u32, windows: u32) -> u32 {
    let windows = windows.max(1);
    (ahead.saturating_mul(norm_minutes)).div_ceil(windows)
}

/// Whether a reception of `seconds` kept the norm of `norm_minutes`.
pub fn within_norm(seconds: i64, norm_minutes: u32) -> bool {
    seconds <= i64::from(norm_minutes) * 60
}

/// The longest a promised answer of a consultation may take (§6.3.3): 15 calendar days.
pub const CONSULTATION_DAYS: i64 = 15;

/// A service of a centre as an administrator types it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ServiceDraft {
    /// One capital letter printed on the ticket, «Р».
    pub letter: String,
    pub name: String,
    /// [`ServiceLevel`] code.
    pub level: String,
    /// Lower is called first; 0–99.
    #[serde(default)]
    pub priority: String,
    /// The norm of the average reception, minutes (1–120).
    #[serde(default)]
    pub norm_minutes: String,
    #[serde(default)]
    pub active: bool,
}

/// A checked service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    pub letter: String,
    pub name: String,
    pub level: ServiceLevel,
    pub priority: i64,
    pub norm_minutes: u32,
    pub active: bool,
}

impl ServiceDraft {
    pub fn check(&self) -> Result<ServiceSpec, FieldErrors> {
        let mut e = FieldErrors::new();
        let letter = self.letter.trim().to_uppercase();
        let mut chars = letter.chars();
        let ok_letter =
            matches!((chars.next(), chars.next()), (Some(c), None) if c.is_alphabetic());
        if !ok_letter {
            e.add("letter", "Одна буква, например «Р».");
        }
        let name = required_text(&mut e, "name", &self.name, 200);
        let level = ServiceLevel::parse(self.level.trim());
        if level.is_none() {
            e.add("level", "Выберите, кто принимает.");
        }
        let priority = match self.priority.trim() {
            "" => Some(10),
            p => p.parse::<i64>().ok().filter(|v| (0..=99).contains(v)),
        };
        if priority.is_none() {
            e.add("priority", "Целое число от 0 до 99.");
        }
        let norm = match self.norm_minutes.trim() {
            "" => level.map(ServiceLevel::default_norm_minutes),
            n => n.parse::<u32>().ok().filter(|v| (1..=120).contains(v)),
        };
        if norm.is_none() && level.is_some() {
            e.add("norm_minutes", "Норма — целое число минут от 1 до 120.");
        }
        match (level, priority, norm, e.is_empty()) {
            (Some(level), Some(priority), Some(norm_minutes), true) => Ok(ServiceSpec {
                letter,
                name,
                level,
                priority,
                norm_minutes,
                active: self.active,
            }),
            _ => Err(e),
        }
    }
}

/// What the kiosk sends: the service and, optionally, the account number.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TicketRequest {
    pub service_id: i64,
    /// Ten digits, or empty.
    #[serde(default)]
    pub account: String,
}

/// The optional account number given at the kiosk.
pub fn kiosk_account(text: &str) -> Result<Option<AccountNumber>, FieldErrors> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return Ok(None);
    }
    AccountNumber::parse(&t)
        .map(Some)
        .map_err(|m| FieldErrors::single("account", format!("{m} Номер можно не указывать.")))
}

/// How a staff member ends a visit, as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct FinishDraft {
    /// [`VisitResult`] code.
    pub result: String,
    /// What the visitor came with.
    #[serde(default)]
    pub topic: String,
    /// The client found by account number, name or address; optional for an anonymous visitor.
    #[serde(default)]
    pub client_id: Option<i64>,
    /// Ten digits, or empty.
    #[serde(default)]
    pub account: String,
    /// For a consultation: when the answer is promised, `YYYY-MM-DD`, within 15 calendar days.
    #[serde(default)]
    pub promised_on: String,
    /// For a redirection: to whom (position, name, room, hours).
    #[serde(default)]
    pub redirected_to: String,
    #[serde(default)]
    pub note: String,
}

/// A checked end of a visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    pub result: VisitResult,
    pub topic: String,
    pub client_id: Option<i64>,
    pub account: Option<AccountNumber>,
    pub promised_on: Option<Date>,
    pub redirected_to: Option<String>,
    pub note: Option<String>,
}

impl FinishDraft {
    /// Checks the result and what it needs: a consultation a promised date from today to 15
    /// calendar days ahead (§6.3.3), a redirection the person redirected to.
    pub fn check(&self, today: Date) -> Result<Finish, FieldErrors> {
        let mut e = FieldErrors::new();
        let result = VisitResult::parse(self.result.trim());
        if result.is_none() {
            e.add("result", "Выберите, чем закончился приём.");
        }
        let topic = required_text(&mut e, "topic", &self.topic, 500);
        let account = match kiosk_account(&self.account) {
            Ok(a) => a,
            Err(f) => {
                e.0.extend(f.0);
                None
            }
        };
        let promised_on = self.promised(result, today, &mut e);
        let redirected_to = optional_text(&mut e, "redirected_to", &self.redirected_to, 300);
        if result == Some(VisitResult::Redirected) && redirected_to.is_none() {
            e.add(
                "redirected_to",
                "Укажите, к кому направлен клиент: должность, фамилия, где и когда принимает.",
            );
        }
        let note = optional_text(&mut e, "note", &self.note, 2000);
        match (result, e.is_empty()) {
            (Some(result), true) => Ok(Finish {
                result,
                topic,
                client_id: self.client_id,
                account,
                promised_on,
                redirected_to,
                note,
            }),
            _ => Err(e),
        }
    }

    fn promised(
        &self,
        result: Option<VisitResult>,
        today: Date,
        e: &mut FieldErrors,
    ) -> Option<Date> {
        let text = self.promised_on.trim();
        if result != Some(VisitResult::Consultation) {
            return None;
        }
        let Ok(d) = text.parse::<Date>() else {
            e.add("promised_on", "Укажите дату ответа, не позже 15 дней.");
            return None;
        };
        let latest = today.checked_add(jiff::Span::new().days(CONSULTATION_DAYS));
        if d < today || latest.is_ok_and(|l| d > l) {
            e.add(
                "promised_on",
                "Срок ответа — не позже 15 календарных дней со дня приёма (п. 6.3.3 стандарта).",
            );
            return None;
        }
        Some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn finish(result: &str, promised: &str) -> FinishDraft {
        FinishDraft {
            result: result.into(),
            topic: "Перерасчёт".into(),
            promised_on: promised.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_consultation_promises_at_most_fifteen_calendar_days() {
        let today = date(2026, 12, 17);
        // The 15th day (crossing the year) is allowed, the 16th is not.
        assert_eq!(
            finish("consultation", "2027-01-01")
                .check(today)
                .unwrap()
                .promised_on,
            Some(date(2027, 1, 1))
        );
        let e = finish("consultation", "2027-01-02")
            .check(today)
            .unwrap_err();
        assert!(e.get("promised_on").unwrap().contains("15"));
        // Today is allowed, yesterday is not; a date is required.
        assert!(finish("consultation", "2026-12-17").check(today).is_ok());
        assert!(finish("consultation", "2026-12-16").check(today).is_err());
        assert!(finish("consultation", "").check(today).is_err());
        // Other results ignore the date.
        assert_eq!(
            finish("resolved", "garbage")
                .check(today)
                .unwrap()
                .promised_on,
            None
        );
    }

    #[test]
    fn a_redirection_names_whom_and_a_result_is_required() {
        let today = date(2026, 12, 1);
        let e = finish("redirected", "").check(today).unwrap_err();
        assert!(e.get("redirected_to").is_some());
        let e = finish("", "").check(today).unwrap_err();
        assert_eq!(e.get("result"), Some("Выберите, чем закончился приём."));
        let mut d = finish("resolved", "");
        d.topic = " ".into();
        assert!(d.check(today).unwrap_err().get("topic").is_some());
        d.topic = "Счёт".into();
        d.account = "12345".into();
        assert!(d.check(today).unwrap_err().get("account").is_some());
    }

    #[test]
    fn labels_waits_and_norms() {
        assert_eq!(ticket_label("Р", 15), "Р-015");
        assert_eq!(ticket_label("К", 1234), "К-1234");
        assert_eq!(expected_wait_minutes(0, 15, 2), 0);
        assert_eq!(expected_wait_minutes(3, 15, 2), 23);
        assert_eq!(expected_wait_minutes(3, 15, 0), 45);
        assert_eq!(expected_wait_minutes(u32::MAX, 15, 1), u32::MAX);
        assert!(within_norm(900, 15));
        assert!(!within_norm(901, 15));
        assert_eq!(
            ServiceLevel::Technician.escalation(),
            Some(ServiceLevel::HeadOfSales)
        );
        assert_eq!(
            ServiceLevel::HeadOfSales.escalation(),
            Some(ServiceLevel::BranchHead)
        );
        assert_eq!(ServiceLevel::BranchHead.escalation(), None);
        assert_eq!(ServiceLevel::of_role(Role::RecordsClerk), None);
        // Every default service has a distinct letter, and both consultations are there.
        let s = default_services();
        let mut letters: Vec<_> = s.iter().map(|x| x.letter).collect();
        letters.dedup();
        assert_eq!(letters.len(), 5);
        assert!(s.iter().any(|x| x.level == ServiceLevel::BranchHead));
    }

    #[test]
    fn a_service_is_checked_field_by_field() {
        let d = ServiceDraft {
            letter: "р".into(),
            name: "Оплата".into(),
            level: "technician".into(),
            ..Default::default()
        };
        let s = d.check().unwrap();
        assert_eq!(
            (s.letter.as_str(), s.norm_minutes, s.priority),
            ("Р", 15, 10)
        );
        let bad = ServiceDraft {
            letter: "РП".into(),
            name: "".into(),
            level: "x".into(),
            priority: "100".into(),
            norm_minutes: "0".into(),
            active: true,
        };
        let e = bad.check().unwrap_err();
        for f in ["letter", "name", "level", "priority"] {
            assert!(e.get(f).is_some(), "{f}");
        }
    }
}
