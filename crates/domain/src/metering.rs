//! Meter readings (MTR-03): a reading is compared with the previous one zone by zone. Below the
//! previous is refused unless the register rolled over; an implausible jump is held for a person
//! to review, never silently billed.

use serde::Serialize;

use crate::money::Wh;
use crate::validation::FieldErrors;

/// What the meter is: zones (1, 2 or 3) and the digits of its register (whole kWh).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterSpec {
    pub zones: usize,
    pub digits: u32,
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
