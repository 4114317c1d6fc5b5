//! Meter readings (MTR-03): a reading is compared with the previous one zone by zone. Below the
//! previous is refused unless the register rolled over; an implausible jump is held for a person
//! to review, never silently billed.

use jiff::civil::Date;
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

use crate::money::Wh;
use crate::validation::{optional_text, required_text, FieldErrors};

/// Values of a meter per zone, in zone order: readings (whole kWh) or consumption (Wh). Stored
/// (and shown by the API) as the text the readings table always held, `12345,6789`; parsed once
/// by the store, so nothing re-splits the text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZoneValues(pub Vec<i64>);

/// Stored zone values that are not a list of integers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("zone values are not comma-separated integers: {0:?}")]
pub struct BadZoneValues(pub String);

impl ZoneValues {
    /// The stored text: `12345,6789` (empty for no values).
    pub fn to_db(&self) -> String {
        self.to_string()
    }

    /// The values, in zone order.
    pub fn values(&self) -> &[i64] {
        &self.0
    }

    /// All zones together.
    pub fn total(&self) -> i64 {
        self.0.iter().sum()
    }
}

impl From<Vec<i64>> for ZoneValues {
    fn from(v: Vec<i64>) -> Self {
        ZoneValues(v)
    }
}

impl std::fmt::Display for ZoneValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for ZoneValues {
    type Err = BadZoneValues;

    /// Reads the stored text; spaces around a value are allowed, an empty text is no values.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Ok(ZoneValues::default());
        }
        s.split(',')
            .map(|v| v.trim().parse::<i64>())
            .collect::<Result<Vec<_>, _>>()
            .map(ZoneValues)
            .map_err(|_| BadZoneValues(s.to_owned()))
    }
}

/// Decoding from the database (`#[sqlx(try_from = "String")]`).
impl TryFrom<String> for ZoneValues {
    type Error = BadZoneValues;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl Serialize for ZoneValues {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ZoneValues {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// What the meter is: zones (1, 2 or 3) and the digits of its register (whole kWh).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterSpec {
    pub zones: usize,
    pub digits: u32,
}

/// A meter as typed by staff (MTR-01).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MeterDraft {
    pub serial: String,
    #[serde(default)]
    pub model: String,
    /// 1, 2 or 3.
    pub zones: String,
    /// Digits of the register (whole kWh), 4 to 8.
    pub digits: String,
    /// YYYY-MM-DD.
    pub installed_on: String,
    /// The last verification (поверка), YYYY-MM-DD.
    pub verified_on: String,
    /// The verification interval in years (межповерочный интервал).
    pub interval_years: String,
    /// The readings at installation per zone, comma-separated («0» or «1520,830»).
    #[serde(default)]
    pub initial: String,
}

/// A validated meter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterData {
    pub serial: String,
    pub model: String,
    pub spec: MeterSpec,
    pub installed_on: Date,
    pub verified_on: Date,
    pub interval_years: i32,
    pub initial: Vec<i64>,
}

/// Parses per-zone whole-kWh values: «12345» or «1520, 830, 77».
pub fn parse_values(s: &str) -> Result<Vec<i64>, String> {
    s.split([',', ';'])
        .map(|v| {
            let t: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            t.parse::<i64>()
                .map_err(|_| format!("«{}» — не показание: целое число кВт·ч.", v.trim()))
        })
        .collect()
}

fn parse_date(e: &mut FieldErrors, field: &str, v: &str) -> Option<Date> {
    match v.trim().parse::<Date>() {
        Ok(d) => Some(d),
        Err(_) => {
            e.add(field, "Дата в виде ГГГГ-ММ-ДД, например 2026-11-01.");
            None
        }
    }
}

impl MeterDraft {
    pub fn validate(&self, today: Date) -> Result<MeterData, FieldErrors> {
        let mut e = FieldErrors::new();
        let serial = required_text(&mut e, "serial", &self.serial, 40);
        let model = optional_text(&mut e, "model", &self.model, 100).unwrap_or_default();
        let zones = match self.zones.trim().parse::<usize>() {
            Ok(z @ 1..=3) => z,
            _ => {
                e.add("zones", "Тарифность: 1, 2 или 3 зоны.");
                1
            }
        };
        let digits = match self.digits.trim().parse::<u32>() {
            Ok(d @ 4..=8) => d,
            _ => {
                e.add("digits", "Разрядность шкалы: от 4 до 8 цифр.");
                5
            }
        };
        let installed_on = parse_date(&mut e, "installed_on", &self.installed_on);
        let verified_on = parse_date(&mut e, "verified_on", &self.verified_on);
        if let Some(d) = installed_on {
            if d > today {
                e.add("installed_on", "Дата установки не может быть в будущем.");
            }
        }
        if let Some(d) = verified_on {
            if d > today {
                e.add("verified_on", "Дата поверки не может быть в будущем.");
            }
        }
        let interval_years = match self.interval_years.trim().parse::<i32>() {
            Ok(y @ 1..=16) => y,
            _ => {
                e.add("interval_years", "Межповерочный интервал: от 1 до 16 лет.");
                16
            }
        };
        let initial = if self.initial.trim().is_empty() {
            vec![0; zones]
        } else {
            match parse_values(&self.initial) {
                Ok(v)
                    if v.len() == zones && v.iter().all(|x| *x >= 0 && *x < 10_i64.pow(digits)) =>
                {
                    v
                }
                Ok(_) => {
                    e.add(
                        "initial",
                        format!("Начальные показания: {zones} неотрицательных значения по шкале счётчика."),
                    );
                    vec![]
                }
                Err(m) => {
                    e.add("initial", m);
                    vec![]
                }
            }
        };
        // A date that did not parse has its message in `e`.
        let (Some(installed_on), Some(verified_on)) = (installed_on, verified_on) else {
            return Err(e);
        };
        e.into_result(())?;
        Ok(MeterData {
            serial,
            model,
            spec: MeterSpec { zones, digits },
            installed_on,
            verified_on,
            interval_years,
            initial,
        })
    }
}

/// The date the verification interval ends.
pub fn verification_due(verified_on: Date, interval_years: i32) -> Date {
    verified_on.saturating_add(interval_years.years())
}

/// The billing period a reading received on `received_on` counts for (MTR-04): up to the
/// `cutoff_day` (25) the current month, after it the next.
pub fn reading_period(received_on: Date, cutoff_day: i8) -> String {
    let d = if received_on.day() <= cutoff_day {
        received_on
    } else {
        received_on.first_of_month().saturating_add(1.month())
    };
    format!("{:04}-{:02}", d.year(), d.month())
}

/// Zone names for messages: single, day/night, peak/half-peak/night.
pub fn zone_names(zones: usize) -> &'static [&'static str] {
    match zones {
        1 => &["сумма"],
        2 => &["день", "ночь"],
        _ => &["пик", "полупик", "ночь"],
    }
}

/// The outcome of checking a reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ReadingCheck {
    /// Consumption per zone since the previous reading.
    Accepted {
        consumption: Vec<Wh>,
        rolled_over: bool,
    },
    /// Plausible as typed but unusual: a person looks before it is billed.
    HeldForReview {
        consumption: Vec<Wh>,
        reason: String,
    },
}

/// A jump is implausible above this many times the usual daily consumption …
pub const JUMP_FACTOR: i64 = 5;
/// … and above this many kWh per day in any case (a flat with an electric stove stays below).
pub const JUMP_FLOOR_KWH_PER_DAY: i64 = 50;

/// Checks `new` against `previous` (whole kWh per zone). `usual_daily` is the account's usual
/// consumption per day (all zones), when known; `days` the days since the previous reading.
pub fn check_reading(
    spec: MeterSpec,
    previous: &[i64],
    new: &[i64],
    usual_daily: Option<Wh>,
    days: i64,
) -> Result<ReadingCheck, FieldErrors> {
    let mut e = FieldErrors::new();
    let names = zone_names(spec.zones);
    if new.len() != spec.zones {
        e.add(
            "values",
            format!(
                "Для этого счётчика нужны показания по зонам: {}.",
                names.join(", ")
            ),
        );
        return Err(e);
    }
    let limit = 10_i64.pow(spec.digits);
    let mut consumption = Vec::with_capacity(new.len());
    let mut rolled_over = false;
    for (i, &v) in new.iter().enumerate() {
        let field = format!("values.{i}");
        if v < 0 {
            e.add(
                &field,
                format!(
                    "Зона «{}»: показание не может быть отрицательным.",
                    names[i]
                ),
            );
            continue;
        }
        if v >= limit {
            e.add(
                &field,
                format!(
                    "Зона «{}»: на шкале счётчика {} цифр, а введено {}.",
                    names[i],
                    spec.digits,
                    v.to_string().len()
                ),
            );
            continue;
        }
        let prev = previous.get(i).copied().unwrap_or(0);
        if v >= prev {
            consumption.push(Wh::from_kwh(v - prev));
        } else {
            // A register that passed 99…9 starts again at 0: the difference through the top
            // must be small for that to be the explanation.
            let through_top = limit - prev + v;
            if through_top <= limit / 10 {
                rolled_over = true;
                consumption.push(Wh::from_kwh(through_top));
            } else {
                e.add(
                    &field,
                    format!(
                        "Зона «{}»: показание {v} меньше предыдущего ({prev}). Проверьте цифры; если счётчик заменён, сообщите об этом.",
                        names[i]
                    ),
                );
            }
        }
    }
    e.into_result(())?;
    let total: i64 = consumption.iter().map(|w| w.0).sum();
    let days = days.max(1);
    let per_day_floor = Wh::from_kwh(JUMP_FLOOR_KWH_PER_DAY).0 * days;
    let threshold = match usual_daily {
        Some(u) => (u.0 * JUMP_FACTOR * days).max(per_day_floor),
        None => per_day_floor,
    };
    if total > threshold {
        return Ok(ReadingCheck::HeldForReview {
            reason: format!(
                "расход {} за {days} дн. — больше обычного в {JUMP_FACTOR} раз и более; показание проверит специалист",
                Wh(total).display_kwh()
            ),
            consumption,
        });
    }
    Ok(ReadingCheck::Accepted {
        consumption,
        rolled_over,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn zone_values_keep_the_stored_text() {
        let z: ZoneValues = "12345, 6789".parse().unwrap();
        assert_eq!(z, ZoneValues(vec![12345, 6789]));
        assert_eq!(z.to_db(), "12345,6789");
        assert_eq!(z.total(), 19134);
        assert_eq!(
            ZoneValues::try_from(String::new()).unwrap(),
            ZoneValues::default()
        );
        assert_eq!(ZoneValues::default().to_db(), "");
        assert!(ZoneValues::try_from("1,x".to_owned()).is_err());
    }

    use super::*;

    const ONE: MeterSpec = MeterSpec {
        zones: 1,
        digits: 5,
    };

    #[test]
    fn accepts_growth_and_refuses_a_lower_reading() {
        let r = check_reading(ONE, &[12_000], &[12_150], Some(Wh(5_000)), 30).unwrap();
        assert_eq!(
            r,
            ReadingCheck::Accepted {
                consumption: vec![Wh::from_kwh(150)],
                rolled_over: false
            }
        );
        let e = check_reading(ONE, &[12_000], &[11_900], None, 30).unwrap_err();
        assert!(e
            .get("values.0")
            .unwrap()
            .contains("меньше предыдущего (12000)"));
    }

    #[test]
    fn roll_over_through_the_top_of_the_register() {
        let r = check_reading(ONE, &[99_950], &[120], Some(Wh(5_000)), 30).unwrap();
        assert_eq!(
            r,
            ReadingCheck::Accepted {
                consumption: vec![Wh::from_kwh(170)],
                rolled_over: true
            }
        );
    }

    #[test]
    fn implausible_jump_is_held_not_refused() {
        // Usually 5 kWh a day; 2 000 kWh in 30 days is more than 5×.
        match check_reading(ONE, &[10_000], &[12_000], Some(Wh(5_000)), 30).unwrap() {
            ReadingCheck::HeldForReview {
                consumption,
                reason,
            } => {
                assert_eq!(consumption, vec![Wh::from_kwh(2_000)]);
                assert!(reason.contains("проверит специалист"));
            }
            other => panic!("{other:?}"),
        }
        // Without history, up to 50 kWh a day passes.
        assert!(matches!(
            check_reading(ONE, &[10_000], &[11_400], None, 30).unwrap(),
            ReadingCheck::Accepted { .. }
        ));
    }

    #[test]
    fn meters_are_validated_and_periods_follow_the_25th() {
        let today = jiff::civil::date(2026, 11, 26);
        let ok = MeterDraft {
            serial: "0123456".into(),
            zones: "2".into(),
            digits: "6".into(),
            installed_on: "2020-05-01".into(),
            verified_on: "2020-04-15".into(),
            interval_years: "16".into(),
            initial: "10, 5".into(),
            ..Default::default()
        }
        .validate(today)
        .unwrap();
        assert_eq!(ok.initial, vec![10, 5]);
        assert_eq!(
            verification_due(ok.verified_on, 16),
            jiff::civil::date(2036, 4, 15)
        );
        let bad = MeterDraft {
            zones: "4".into(),
            digits: "12".into(),
            installed_on: "2030-01-01".into(),
            verified_on: "вчера".into(),
            interval_years: "0".into(),
            ..Default::default()
        }
        .validate(today)
        .unwrap_err();
        for f in [
            "serial",
            "zones",
            "digits",
            "installed_on",
            "verified_on",
            "interval_years",
        ] {
            assert!(bad.get(f).is_some(), "{f}");
        }
        assert_eq!(
            reading_period(jiff::civil::date(2026, 11, 25), 25),
            "2026-11"
        );
        assert_eq!(
            reading_period(jiff::civil::date(2026, 11, 26), 25),
            "2026-12"
        );
        assert_eq!(
            reading_period(jiff::civil::date(2026, 12, 31), 25),
            "2027-01"
        );
        assert_eq!(parse_values("1 520; 830").unwrap(), vec![1520, 830]);
        assert!(parse_values("12a").is_err());
    }

    #[test]
    fn zones_and_digits_are_checked() {
        let three = MeterSpec {
            zones: 3,
            digits: 6,
        };
        let e = check_reading(three, &[1, 2, 3], &[5], None, 30).unwrap_err();
        assert!(e.get("values").unwrap().contains("пик, полупик, ночь"));
        let e = check_reading(ONE, &[0], &[123_456], None, 30).unwrap_err();
        assert!(e.get("values.0").unwrap().contains("5 цифр"));
        let r = check_reading(three, &[100, 200, 300], &[110, 230, 340], None, 30).unwrap();
        assert_eq!(
            r,
            ReadingCheck::Accepted {
                consumption: vec![Wh::from_kwh(10), Wh::from_kwh(30), Wh::from_kwh(40)],
                rolled_over: false
            }
        );
    }
}
