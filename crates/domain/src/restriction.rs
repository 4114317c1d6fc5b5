//! Restriction for debt (PAY-04, ПП 354 п. 119): the ways a warning reaches the client, what
//! each record of delivery must hold, and when the restriction may follow.
//!
//! The term of the warning runs from its delivery, counted as ГК РФ ст. 191 says: a term in
//! days begins the day after the event. A warning delivered on 1 March with a 20-day term is
//! paid by 21 March inclusive (day 20); the restriction may be introduced from 22 March (day
//! 21). The first delivery recorded counts, by whichever way.

use jiff::civil::{Date, DateTime};
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

use crate::accounts::coded_enum;
use crate::search::phone_key;
use crate::validation::FieldErrors;

coded_enum! {
    /// How a warning reached the client (ПП 354 п. 119 «а»): each way keeps its own proof.
    DeliveryWay {
        Invoice = "invoice" / "в счёте, вручён по списку",
        Signature = "signature" / "вручено под подпись",
        Letter = "letter" / "заказное письмо с уведомлением",
        Email = "email" / "по электронной почте",
        Sms = "sms" / "СМС",
        Portal = "portal" / "в личный кабинет",
        Call = "call" / "телефонный звонок с записью",
    }
}

coded_enum! {
    /// Where a restriction case stands (PAY-04): its last step. The labels are the steps' own
    /// ([`step_label`]).
    CaseStatus {
        Warning = "warning" / "предупреждение направлено",
        Restricted = "restricted" / "режим потребления ограничен",
        Suspended = "suspended" / "подача приостановлена",
        Reconnected = "reconnected" / "подача возобновлена",
        Closed = "closed" / "закрыто: задолженность погашена",
    }
}

impl DeliveryWay {
    /// The ways a person records; the others are recorded by the outbox when a message is sent.
    pub const ENTERED: [DeliveryWay; 4] = [
        DeliveryWay::Invoice,
        DeliveryWay::Signature,
        DeliveryWay::Letter,
        DeliveryWay::Call,
    ];

    /// The way of an outbox channel (`email`, `sms`, anything else is the personal account).
    pub fn of_channel(channel: &str) -> Self {
        match channel {
            "email" => DeliveryWay::Email,
            "sms" => DeliveryWay::Sms,
            _ => DeliveryWay::Portal,
        }
    }
}

/// A record of delivery as typed by a person (a form or the API). Which fields matter depends
/// on `way`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryDraft {
    /// `invoice`, `signature`, `letter` or `call`.
    pub way: String,
    /// The day the warning was handed over (`YYYY-MM-DD`): invoice and signature.
    #[serde(default)]
    pub delivered_on: String,
    /// Who handed it over or called: a staff member or the courier.
    #[serde(default)]
    pub delivered_by: String,
    /// A registered letter's postal number (РПО, 14 digits).
    #[serde(default)]
    pub rpo: String,
    /// The day the letter was posted (`YYYY-MM-DD`).
    #[serde(default)]
    pub sent_on: String,
    /// The day on the return receipt (`YYYY-MM-DD`); empty while it has not come back.
    #[serde(default)]
    pub receipt_on: String,
    /// When the call took place (`YYYY-MM-DDTHH:MM`, the branch's local time).
    #[serde(default)]
    pub called_at: String,
    /// The number called.
    #[serde(default)]
    pub phone: String,
    /// What was said, where the recording is.
    #[serde(default)]
    pub note: String,
}

/// A validated record of delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewDelivery {
    /// The invoice carrying the warning, handed over (from the district's delivery list).
    Invoice { on: Date, by: String },
    /// The warning handed over against the client's signature.
    Signature { on: Date, by: String },
    /// A registered letter; the term runs from the receipt's date, none while it is missing.
    Letter {
        rpo: String,
        sent_on: Date,
        receipt_on: Option<Date>,
    },
    /// A recorded phone call; `phone` is the 10 national digits.
    Call {
        at: DateTime,
        by: String,
        phone: String,
        note: String,
    },
}

impl NewDelivery {
    pub fn way(&self) -> DeliveryWay {
        match self {
            NewDelivery::Invoice { .. } => DeliveryWay::Invoice,
            NewDelivery::Signature { .. } => DeliveryWay::Signature,
            NewDelivery::Letter { .. } => DeliveryWay::Letter,
            NewDelivery::Call { .. } => DeliveryWay::Call,
        }
    }

    /// The day the term starts from (the day of delivery), if this record proves one.
    pub fn delivered_on(&self) -> Option<Date> {
        match self {
            NewDelivery::Invoice { on, .. } | NewDelivery::Signature { on, .. } => Some(*on),
            NewDelivery::Letter { receipt_on, .. } => *receipt_on,
            NewDelivery::Call { at, .. } => Some(at.date()),
        }
    }
}

const MAX_NAME: usize = 200;
const MAX_NOTE: usize = 1000;

fn date_field(
    e: &mut FieldErrors,
    field: &str,
    s: &str,
    earliest: Date,
    today: Date,
) -> Option<Date> {
    let s = s.trim();
    if s.is_empty() {
        e.add(field, "Укажите дату.");
        return None;
    }
    match parse_date(s) {
        Ok(d) if d > today => {
            e.add(field, "Дата не может быть позже сегодняшней.");
            None
        }
        Ok(d) if d < earliest => {
            e.add(
                field,
                format!(
                    "Дата не может быть раньше выставления предупреждения ({}).",
                    ru_date(earliest)
                ),
            );
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            e.add(field, "Дата в виде ДД.ММ.ГГГГ, например 05.03.2026.");
            None
        }
    }
}

/// A day as a date input sends it (`2026-03-05`) or as people write it (`05.03.2026`).
pub fn parse_date(s: &str) -> Result<Date, jiff::Error> {
    let s = s.trim();
    s.parse::<Date>().or_else(|_| Date::strptime("%d.%m.%Y", s))
}

/// A local time as a date-time input sends it (`2026-03-05T14:30`) or as people write it
/// (`05.03.2026 14:30`).
pub fn parse_date_time(s: &str) -> Result<DateTime, jiff::Error> {
    let s = s.trim();
    s.parse::<DateTime>()
        .or_else(|_| DateTime::strptime("%d.%m.%Y %H:%M", s))
}

fn person(e: &mut FieldErrors, field: &str, s: &str, what: &str) -> String {
    let s = s.trim();
    if s.is_empty() {
        e.add(field, format!("Укажите, {what}: фамилию и инициалы."));
    } else if s.chars().count() > MAX_NAME {
        e.add(field, format!("Не длиннее {MAX_NAME} знаков."));
    }
    s.to_owned()
}

/// Whether `s` is a postal item number of Почта России for items inside Russia: 14 digits.
pub fn valid_rpo(s: &str) -> bool {
    s.len() == 14 && s.chars().all(|c| c.is_ascii_digit())
}

/// Checks a typed record of delivery. `earliest` is the day the warning was issued (the first
/// day after the billed period): nothing is delivered before it; `today` is in the branch's
/// zone. Field names in the errors are the draft's.
pub fn validate(
    d: &DeliveryDraft,
    earliest: Date,
    today: Date,
) -> Result<NewDelivery, FieldErrors> {
    let mut e = FieldErrors::new();
    let Some(way) = DeliveryWay::parse(d.way.trim()).filter(|w| DeliveryWay::ENTERED.contains(w))
    else {
        return Err(FieldErrors::single(
            "way",
            "Выберите способ: в счёте, под подпись, заказным письмом или звонком.",
        ));
    };
    let out = match way {
        DeliveryWay::Invoice | DeliveryWay::Signature => {
            let on = date_field(&mut e, "delivered_on", &d.delivered_on, earliest, today);
            let by = person(&mut e, "delivered_by", &d.delivered_by, "кто вручил");
            on.map(|on| {
                if way == DeliveryWay::Invoice {
                    NewDelivery::Invoice { on, by }
                } else {
                    NewDelivery::Signature { on, by }
                }
            })
        }
        DeliveryWay::Letter => {
            let rpo: String = d.rpo.chars().filter(|c| !c.is_whitespace()).collect();
            if rpo.is_empty() {
                e.add("rpo", "Укажите почтовый идентификатор (РПО) письма.");
            } else if !valid_rpo(&rpo) {
                e.add(
                    "rpo",
                    "Почтовый идентификатор — 14 цифр, как в квитанции, например 62401094123456.",
                );
            }
            let sent_on = date_field(&mut e, "sent_on", &d.sent_on, earliest, today);
            let receipt_on = if d.receipt_on.trim().is_empty() {
                None
            } else {
                let r = date_field(&mut e, "receipt_on", &d.receipt_on, earliest, today);
                if let (Some(r), Some(s)) = (r, sent_on) {
                    if r < s {
                        e.add(
                            "receipt_on",
                            "Вручение по уведомлению не может быть раньше отправки письма.",
                        );
                    }
                }
                r
            };
            sent_on.map(|sent_on| NewDelivery::Letter {
                rpo,
                sent_on,
                receipt_on,
            })
        }
        _ => {
            let at = match d.called_at.trim() {
                "" => {
                    e.add("called_at", "Укажите дату и время звонка.");
                    None
                }
                s => match parse_date_time(s) {
                    Ok(at) => {
                        date_field(&mut e, "called_at", &at.date().to_string(), earliest, today)
                            .map(|_| at)
                    }
                    Err(_) => {
                        e.add(
                            "called_at",
                            "Дата и время звонка, например 05.03.2026 14:30.",
                        );
                        None
                    }
                },
            };
            let by = person(&mut e, "delivered_by", &d.delivered_by, "кто звонил");
            let phone = phone_key(&d.phone);
            if phone.len() != 10 {
                e.add(
                    "phone",
                    "Номер телефона — 10 цифр после +7, например +7 912 345-67-89.",
                );
            }
            let note = d.note.trim().to_owned();
            if note.is_empty() {
                e.add(
                    "note",
                    "Запишите, что сказано клиенту и где хранится запись разговора.",
                );
            } else if note.chars().count() > MAX_NOTE {
                e.add("note", format!("Не длиннее {MAX_NOTE} знаков."));
            }
            at.map(|at| NewDelivery::Call {
                at,
                by,
                phone,
                note,
            })
        }
    };
    match out {
        Some(v) if e.is_empty() => Ok(v),
        _ => Err(e),
    }
}

/// The last day to pay by a warning delivered on `delivered_on` with a term of `warning_days`:
/// day 1 is the day after delivery (ГК РФ ст. 191), so the last day is `delivered_on +
/// warning_days`, inclusive.
pub fn pay_by(delivered_on: Date, warning_days: i64) -> Date {
    delivered_on
        .checked_add(warning_days.days())
        .unwrap_or(delivered_on)
}

/// The first day the restriction may be introduced: the day after [`pay_by`].
pub fn restriction_from(pay_by: Date) -> Date {
    pay_by.tomorrow().unwrap_or(pay_by)
}

/// Steps of the restriction procedure (PAY-04, ПП 354 п. 119) that may follow a case's status.
pub fn next_steps(status: &str) -> &'static [&'static str] {
    match status {
        "warning" => &["restricted", "closed"],
        "restricted" => &["suspended", "reconnected"],
        "suspended" => &["reconnected"],
        _ => &[],
    }
}

/// A step's name for people; empty for a code that is no step.
pub fn step_label(step: &str) -> &'static str {
    match step {
        "warning" => "предупреждение направлено",
        "warning_delivered" => "предупреждение доставлено",
        "restricted" => "режим потребления ограничен",
        "suspended" => "подача приостановлена",
        "reconnected" => "подача возобновлена",
        "closed" => "закрыто: задолженность погашена",
        _ => "",
    }
}

/// Why the restriction step is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestrictionRefusal {
    /// No delivery of the warning is recorded: its term has not started.
    NotDelivered { warning_days: i64 },
    /// The term is running: the client may pay through `pay_by`.
    TermRunning { delivered_on: Date, pay_by: Date },
}

impl std::fmt::Display for RestrictionRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestrictionRefusal::NotDelivered { warning_days } => write!(
                f,
                "Вручение предупреждения не записано: ограничение возможно только через {warning_days} дн. после того, как клиент его получил (ПП 354 п. 119). Запишите вручение: в счёте, под подпись, заказным письмом или звонком."
            ),
            RestrictionRefusal::TermRunning {
                delivered_on,
                pay_by,
            } => write!(
                f,
                "Предупреждение вручено {}: срок оплаты — до {} включительно, ограничение возможно с {}.",
                ru_date(*delivered_on),
                ru_date(*pay_by),
                ru_date(restriction_from(*pay_by))
            ),
        }
    }
}

/// Whether the restriction may be introduced on `today`: a delivery is recorded (the first
/// one, `delivered_on`) and its term, ending on `pay_by` inclusive, has passed.
pub fn check_restriction(
    delivered_on: Option<Date>,
    warning_days: i64,
    today: Date,
) -> Result<(), RestrictionRefusal> {
    let Some(delivered_on) = delivered_on else {
        return Err(RestrictionRefusal::NotDelivered { warning_days });
    };
    let pay_by = pay_by(delivered_on, warning_days);
    if today <= pay_by {
        return Err(RestrictionRefusal::TermRunning {
            delivered_on,
            pay_by,
        });
    }
    Ok(())
}

/// `05.03.2026`.
pub fn ru_date(d: Date) -> String {
    d.strftime("%d.%m.%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn case_statuses_are_steps() {
        for &s in CaseStatus::ALL {
            assert_eq!(CaseStatus::try_from(s.code().to_owned()), Ok(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.code());
            assert_eq!(step_label(s.code()), s.label_ru());
            for next in next_steps(s.code()) {
                assert!(CaseStatus::parse(next).is_some(), "{next}");
            }
        }
        assert!(CaseStatus::try_from("warning_delivered".to_owned()).is_err());
    }

    fn draft(way: &str) -> DeliveryDraft {
        DeliveryDraft {
            way: way.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_term_counts_from_the_day_after_delivery() {
        let delivered = date(2026, 3, 1);
        let day = |n: i64| delivered.checked_add(n.days()).unwrap();
        assert_eq!(pay_by(delivered, 20), date(2026, 3, 21));
        assert_eq!(restriction_from(pay_by(delivered, 20)), date(2026, 3, 22));
        for n in [0, 1, 19, 20] {
            assert_eq!(
                check_restriction(Some(delivered), 20, day(n)),
                Err(RestrictionRefusal::TermRunning {
                    delivered_on: delivered,
                    pay_by: date(2026, 3, 21)
                }),
                "day {n}"
            );
        }
        assert_eq!(check_restriction(Some(delivered), 20, day(21)), Ok(()));
        assert_eq!(check_restriction(Some(delivered), 20, day(60)), Ok(()));
        // Across a month end and with another configured term.
        assert_eq!(pay_by(date(2026, 2, 20), 10), date(2026, 3, 2));
        assert!(check_restriction(Some(date(2026, 2, 20)), 10, date(2026, 3, 2)).is_err());
        assert!(check_restriction(Some(date(2026, 2, 20)), 10, date(2026, 3, 3)).is_ok());
    }

    #[test]
    fn no_delivery_no_restriction() {
        let r = check_restriction(None, 20, date(2030, 1, 1)).unwrap_err();
        assert_eq!(r, RestrictionRefusal::NotDelivered { warning_days: 20 });
        assert!(r.to_string().contains("не записано"), "{r}");
        let r = check_restriction(Some(date(2026, 3, 1)), 20, date(2026, 3, 21)).unwrap_err();
        assert!(r.to_string().contains("до 21.03.2026 включительно"), "{r}");
        assert!(r.to_string().contains("с 22.03.2026"), "{r}");
    }

    #[test]
    fn each_way_needs_its_proof() {
        let (earliest, today) = (date(2026, 3, 1), date(2026, 3, 10));
        let e = validate(&draft("invoice"), earliest, today).unwrap_err();
        assert!(e.get("delivered_on").is_some() && e.get("delivered_by").is_some());
        let ok = validate(
            &DeliveryDraft {
                delivered_on: "2026-03-05".into(),
                delivered_by: "Курьер Петров П. П.".into(),
                ..draft("signature")
            },
            earliest,
            today,
        )
        .unwrap();
        assert_eq!(ok.delivered_on(), Some(date(2026, 3, 5)));
        assert_eq!(ok.way(), DeliveryWay::Signature);
        // Not in the future, not before the warning was issued.
        for (on, why) in [("2026-03-11", "позже"), ("2026-02-28", "раньше")] {
            let e = validate(
                &DeliveryDraft {
                    delivered_on: on.into(),
                    delivered_by: "Петров".into(),
                    ..draft("invoice")
                },
                earliest,
                today,
            )
            .unwrap_err();
            assert!(e.get("delivered_on").unwrap().contains(why), "{on}");
        }
        // As people write dates, too.
        let typed = validate(
            &DeliveryDraft {
                delivered_on: "05.03.2026".into(),
                delivered_by: "Петров".into(),
                ..draft("invoice")
            },
            earliest,
            today,
        )
        .unwrap();
        assert_eq!(typed.delivered_on(), Some(date(2026, 3, 5)));
        let call = validate(
            &DeliveryDraft {
                called_at: "04.03.2026 09:05".into(),
                delivered_by: "Петров".into(),
                phone: "+7 912 345-67-89".into(),
                note: "запись № 1".into(),
                ..draft("call")
            },
            earliest,
            today,
        )
        .unwrap();
        assert_eq!(call.delivered_on(), Some(date(2026, 3, 4)));
        // Only people's ways: the outbox records messages itself.
        assert!(validate(&draft("sms"), earliest, today)
            .unwrap_err()
            .get("way")
            .is_some());
    }

    #[test]
    fn a_letter_counts_from_its_receipt() {
        let (earliest, today) = (date(2026, 3, 1), date(2026, 3, 20));
        let letter = |rpo: &str, sent: &str, receipt: &str| DeliveryDraft {
            rpo: rpo.into(),
            sent_on: sent.into(),
            receipt_on: receipt.into(),
            ..draft("letter")
        };
        let sent = validate(
            &letter("6240 1094 1234 56", "2026-03-02", ""),
            earliest,
            today,
        )
        .unwrap();
        assert_eq!(
            sent,
            NewDelivery::Letter {
                rpo: "62401094123456".into(),
                sent_on: date(2026, 3, 2),
                receipt_on: None
            }
        );
        assert_eq!(
            sent.delivered_on(),
            None,
            "no receipt: the term has not started"
        );
        let got = validate(
            &letter("62401094123456", "2026-03-02", "2026-03-09"),
            earliest,
            today,
        )
        .unwrap();
        assert_eq!(got.delivered_on(), Some(date(2026, 3, 9)));
        let e = validate(&letter("1234", "2026-03-05", "2026-03-04"), earliest, today).unwrap_err();
        assert!(e.get("rpo").unwrap().contains("14 цифр"));
        assert!(e.get("receipt_on").unwrap().contains("раньше отправки"));
    }

    #[test]
    fn a_call_records_who_when_which_number_and_what() {
        let (earliest, today) = (date(2026, 3, 1), date(2026, 3, 20));
        let e = validate(
            &DeliveryDraft {
                called_at: "вчера".into(),
                phone: "12-34".into(),
                ..draft("call")
            },
            earliest,
            today,
        )
        .unwrap_err();
        for f in ["called_at", "delivered_by", "phone", "note"] {
            assert!(e.get(f).is_some(), "{f}: {e:?}");
        }
        let ok = validate(
            &DeliveryDraft {
                called_at: "2026-03-04T14:30".into(),
                delivered_by: "Егорова М. И.".into(),
                phone: "8 (912) 345-67-89".into(),
                note: "Предупредила о долге и сроке; запись № 17".into(),
                ..draft("call")
            },
            earliest,
            today,
        )
        .unwrap();
        assert_eq!(ok.delivered_on(), Some(date(2026, 3, 4)));
        match ok {
            NewDelivery::Call { phone, .. } => assert_eq!(phone, "9123456789"),
            other => panic!("{other:?}"),
        }
    }
}
