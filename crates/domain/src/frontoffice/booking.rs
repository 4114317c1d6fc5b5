//! Pre-booked visits (CHN-01): a client books a time at a centre for a service, from the
//! personal account or by phone through staff. Slots follow the centre's reception hours (its
//! opening hours when it names none) and the working calendar; a slot lasts the service's norm
//! of reception, and each service takes as many bookings per slot as it has booking seats.
//! Booked visitors check in at the kiosk with the code they were given.

use jiff::civil::{Date, DateTime, Time};
use serde::{Deserialize, Serialize};

use crate::accounts::{coded_enum, AccountNumber};
use crate::calendar::WorkingCalendar;
use crate::hours::WeeklyHours;
use crate::validation::{optional_text, required_text, FieldErrors};

/// How many days ahead a visit can be booked.
pub const BOOKING_DAYS_AHEAD: i64 = 14;

coded_enum! {
    /// Where a booking is.
    BookingStatus {
        Booked = "booked" / "записан",
        CheckedIn = "checked_in" / "пришёл, талон выдан",
        Cancelled = "cancelled" / "запись отменена",
    }
}

coded_enum! {
    /// How the booking was made.
    BookingChannel {
        Portal = "portal" / "в личном кабинете",
        Phone = "phone" / "по телефону",
        InPerson = "in_person" / "лично в центре",
    }
}

/// The starts of the slots of `day`: every `slot_minutes` within each interval of the hours
/// that day, ending inside it; none on a day off of the working calendar.
pub fn day_slots(
    hours: &WeeklyHours,
    calendar: &WorkingCalendar,
    day: Date,
    slot_minutes: u32,
) -> Vec<Time> {
    if !calendar.is_working_day(day) || slot_minutes == 0 {
        return Vec::new();
    }
    let idx = day.weekday().to_monday_zero_offset() as usize;
    let step = i64::from(slot_minutes);
    let mut out = Vec::new();
    for rule in hours.rules.iter().filter(|r| r.days[idx]) {
        for iv in &rule.intervals {
            let from = minutes_of(iv.from);
            let to = if iv.to == Time::MAX {
                24 * 60
            } else {
                minutes_of(iv.to)
            };
            let mut m = from;
            while m + step <= to {
                if let Ok(t) = Time::new(
                    i8::try_from(m / 60).unwrap_or(0),
                    i8::try_from(m % 60).unwrap_or(0),
                    0,
                    0,
                ) {
                    out.push(t);
                }
                m += step;
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn minutes_of(t: Time) -> i64 {
    i64::from(t.hour()) * 60 + i64::from(t.minute())
}

/// A booking as typed (by the client in the personal account, or by staff taking a call).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct BookingDraft {
    pub centre_id: i64,
    pub service_id: i64,
    /// `YYYY-MM-DDTHH:MM`, the start of a free slot.
    pub slot: String,
    /// The visitor's name.
    pub name: String,
    /// For the reminder by SMS and a call if the centre must cancel.
    #[serde(default)]
    pub phone: String,
    /// For the reminder by e-mail.
    #[serde(default)]
    pub email: String,
    /// Ten digits, or empty.
    #[serde(default)]
    pub account: String,
}

/// A checked booking request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRequest {
    pub centre_id: i64,
    pub service_id: i64,
    pub slot: DateTime,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub account: Option<AccountNumber>,
}

impl BookingDraft {
    /// Checks the fields; the slot must be a slot of the day (see [`day_slots`]), from `now`
    /// on and within [`BOOKING_DAYS_AHEAD`] days, which the caller checks with [`check_slot`].
    pub fn check(&self) -> Result<BookingRequest, FieldErrors> {
        let mut e = FieldErrors::new();
        let slot = self.slot.trim().parse::<DateTime>().ok();
        if slot.is_none() {
            e.add("slot", "Выберите свободное время.");
        }
        let name = required_text(&mut e, "name", &self.name, 200);
        // Kept in one form, so the same phone typed otherwise is the same person.
        let phone = optional_text(&mut e, "phone", &self.phone, 40).map(|p| {
            let key = crate::search::phone_key(&p);
            if key.len() == 10 {
                crate::clients::format_phone(&key)
            } else {
                e.add("phone", "Телефон: 10 цифр, например +7 912 345-67-89.");
                p
            }
        });
        let email = optional_text(&mut e, "email", &self.email, 200).map(|m| m.to_lowercase());
        if let Some(m) = &email {
            if !crate::clients::valid_email(m) {
                e.add("email", "Адрес электронной почты записан с ошибкой.");
            }
        }
        if phone.is_none() && email.is_none() {
            e.add(
                "phone",
                "Укажите телефон или электронную почту: пришлём напоминание накануне.",
            );
        }
        let account = match super::queue::kiosk_account(&self.account) {
            Ok(a) => a,
            Err(f) => {
                e.0.extend(f.0);
                None
            }
        };
        match (slot, e.is_empty()) {
            (Some(slot), true) => Ok(BookingRequest {
                centre_id: self.centre_id,
                service_id: self.service_id,
                slot,
                name,
                phone,
                email,
                account,
            }),
            _ => Err(e),
        }
    }
}

/// Whether `slot` may be booked now: one of the day's slots, not past, within the horizon.
pub fn check_slot(
    slot: DateTime,
    now: DateTime,
    hours: &WeeklyHours,
    calendar: &WorkingCalendar,
    slot_minutes: u32,
) -> Result<(), FieldErrors> {
    let day = slot.date();
    let last = now
        .date()
        .checked_add(jiff::Span::new().days(BOOKING_DAYS_AHEAD))
        .unwrap_or(now.date());
    if slot <= now {
        return Err(FieldErrors::single(
            "slot",
            "Это время уже прошло: выберите другое.",
        ));
    }
    if day > last {
        return Err(FieldErrors::single(
            "slot",
            format!("Записаться можно не дальше чем на {BOOKING_DAYS_AHEAD} дней вперёд."),
        ));
    }
    if !day_slots(hours, calendar, day, slot_minutes).contains(&slot.time()) {
        return Err(FieldErrors::single(
            "slot",
            "В это время центр не принимает: выберите время из списка.",
        ));
    }
    Ok(())
}

/// The check-in code printed in the confirmation: the day's booking number and three random
/// digits, so a code cannot be guessed from another.
pub fn booking_code(number: i64, random: u32) -> String {
    format!("{number}{:03}", random % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{date, time};

    fn cal() -> WorkingCalendar {
        WorkingCalendar::new(&crate::calendar::shipped_years())
    }

    #[test]
    fn slots_follow_the_hours_and_the_calendar() {
        let h = WeeklyHours::parse("пн-чт 08:30-12:30, 14:00-17:00; пт 08:30-12:00").unwrap();
        // Tuesday 2026-12-01: 16 slots in the morning, 12 after lunch.
        let s = day_slots(&h, &cal(), date(2026, 12, 1), 15);
        assert_eq!(s.len(), 16 + 12);
        assert_eq!(s[0], time(8, 30, 0, 0));
        assert_eq!(*s.last().unwrap(), time(16, 45, 0, 0));
        assert!(!s.contains(&time(12, 30, 0, 0)));
        // A slot must end inside the interval: 20-minute slots in 08:30-12:00 end by 11:50.
        let f = day_slots(&h, &cal(), date(2026, 12, 4), 20);
        assert_eq!(*f.last().unwrap(), time(11, 30, 0, 0));
        // Saturday and the New Year holidays: none.
        assert!(day_slots(&h, &cal(), date(2026, 12, 5), 15).is_empty());
        assert!(day_slots(&h, &cal(), date(2027, 1, 5), 15).is_empty());
    }

    #[test]
    fn a_slot_is_in_the_future_within_the_horizon_and_on_the_grid() {
        let h = WeeklyHours::parse("пн-пт 09:00-18:00").unwrap();
        let now = date(2026, 12, 1).at(10, 0, 0, 0);
        assert!(check_slot(date(2026, 12, 1).at(10, 15, 0, 0), now, &h, &cal(), 15).is_ok());
        assert!(check_slot(date(2026, 12, 1).at(10, 0, 0, 0), now, &h, &cal(), 15).is_err());
        assert!(check_slot(date(2026, 12, 1).at(10, 20, 0, 0), now, &h, &cal(), 15).is_err());
        // The 14th day ahead is allowed, the 15th not.
        assert!(check_slot(date(2026, 12, 15).at(9, 0, 0, 0), now, &h, &cal(), 15).is_ok());
        let e = check_slot(date(2026, 12, 16).at(9, 0, 0, 0), now, &h, &cal(), 15).unwrap_err();
        assert!(e.get("slot").unwrap().contains("14"));
        assert!(check_slot(date(2026, 12, 1).at(18, 0, 0, 0), now, &h, &cal(), 15).is_err());
    }

    #[test]
    fn a_booking_needs_a_way_to_remind() {
        let d = BookingDraft {
            slot: "2026-12-02T09:00".into(),
            name: "Иванова Мария".into(),
            ..Default::default()
        };
        assert!(d.check().unwrap_err().get("phone").is_some());
        let ok = BookingDraft {
            phone: "8 (912) 345-67-89".into(),
            ..d.clone()
        };
        assert_eq!(ok.check().unwrap().slot, date(2026, 12, 2).at(9, 0, 0, 0));
        let bad = BookingDraft {
            email: "not-an-email".into(),
            slot: "завтра".into(),
            ..d
        };
        let e = bad.check().unwrap_err();
        assert!(e.get("email").is_some() && e.get("slot").is_some());
        assert_eq!(booking_code(7, 1042), "7042");
    }
}
