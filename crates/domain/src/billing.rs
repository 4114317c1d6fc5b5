//! The monthly volume of electricity a client pays for, by the rules of ПП РФ № 354 (BIL-03),
//! and penalties for late payment by ЖК РФ ст. 155 ч. 14 (PAY-03). Each outcome names its rule
//! and clause, so an invoice line can explain itself.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::money::{div_round, Kopecks, MoneyOverflow, Wh};
use crate::refusal::BillingRefusal;
use crate::tariffs::{norm_for, tariff_for, Norm, Period, Tariff};

/// The state of the client's meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MeterState {
    Working,
    Broken,
    /// The verification interval has ended (истёк межповерочный интервал).
    Expired,
}

/// What is known about an account for one billing period.
#[derive(Debug, Clone, Default)]
pub struct VolumeInput {
    /// `None`: no meter is installed.
    pub meter: Option<MeterState>,
    /// Without a meter: whether one can technically be installed (then the increased norm).
    pub installation_possible: bool,
    /// Consumption by readings received for this period.
    pub by_readings: Option<Wh>,
    /// Monthly consumption by readings of the preceding periods, oldest first.
    pub history: Vec<Wh>,
    /// How many periods in a row were already billed by the average just before this one.
    pub periods_on_average: u32,
    /// The consumption norm per resident and month for the category and rooms (BIL-02).
    pub norm_per_resident: Wh,
    /// Registered residents (at least one is billed, as ПП 354 п. 56(2) counts owners then).
    pub residents: u32,
}

/// The rule that produced a volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VolumeRule {
    Readings,
    /// Average monthly consumption of the last `months` periods with readings.
    Average {
        months: u32,
    },
    Norm,
    /// Norm × residents × 1.5: no meter although one can be installed.
    IncreasedNorm,
}

/// A volume with the rule, the clause and the numbers behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volume {
    pub rule: VolumeRule,
    pub energy: Wh,
    /// «ПП 354 п. 59 «б»».
    pub clause: &'static str,
    /// For the invoice line: «среднемесячный объём за 6 мес.: 1 230 кВт·ч / 6».
    pub explanation: String,
}

/// Average periods allowed in a row (ПП 354 п. 59).
pub const MAX_AVERAGE_PERIODS: u32 = 3;
/// Months of history the average takes (at most) and needs (at least).
pub const AVERAGE_MONTHS: usize = 6;
pub const MIN_AVERAGE_MONTHS: usize = 3;

fn norm_volume(input: &VolumeInput, increased: bool) -> Volume {
    let residents = input.residents.max(1);
    let base = input.norm_per_resident.0 * i64::from(residents);
    if increased {
        Volume {
            rule: VolumeRule::IncreasedNorm,
            energy: Wh(div_round(i128::from(base) * 3, 2) as i64),
            clause: "ПП 354 п. 42, формула 4(1)",
            explanation: format!(
                "норматив {} × {residents} чел. × повышающий коэффициент 1,5 (прибор учёта не установлен при технической возможности)",
                input.norm_per_resident.display_kwh()
            ),
        }
    } else {
        Volume {
            rule: VolumeRule::Norm,
            energy: Wh(base),
            clause: if input.meter.is_some() {
                "ПП 354 п. 60"
            } else {
                "ПП 354 п. 42, формула 4"
            },
            explanation: format!(
                "норматив {} × {residents} чел.",
                input.norm_per_resident.display_kwh()
            ),
        }
    }
}

fn average_volume(input: &VolumeInput, clause: &'static str, why: &str) -> Option<Volume> {
    if input.periods_on_average >= MAX_AVERAGE_PERIODS || input.history.len() < MIN_AVERAGE_MONTHS {
        return None;
    }
    let last: Vec<Wh> = input
        .history
        .iter()
        .rev()
        .take(AVERAGE_MONTHS)
        .copied()
        .collect();
    let months = last.len() as u32;
    let sum: i64 = last.iter().map(|w| w.0).sum();
    let avg = div_round(i128::from(sum), i128::from(months)) as i64;
    Some(Volume {
        rule: VolumeRule::Average { months },
        energy: Wh(avg),
        clause,
        explanation: format!(
            "{why}: среднемесячный объём за {months} мес. ({} / {months}), период {} из {MAX_AVERAGE_PERIODS}",
            Wh(sum).display_kwh(),
            input.periods_on_average + 1
        ),
    })
}

/// The volume to bill for the period (BIL-03, ПП 354 пп. 42, 59, 60).
pub fn monthly_volume(input: &VolumeInput) -> Volume {
    match (input.meter, input.by_readings) {
        (Some(MeterState::Working), Some(c)) => Volume {
            rule: VolumeRule::Readings,
            energy: c,
            clause: "ПП 354 п. 42, формула 1",
            explanation: format!("по показаниям прибора учёта: {}", c.display_kwh()),
        },
        (Some(MeterState::Working), None) => {
            average_volume(input, "ПП 354 п. 59 «б»", "показания не переданы")
                .unwrap_or_else(|| norm_volume(input, false))
        }
        (Some(MeterState::Broken), _) => {
            average_volume(input, "ПП 354 п. 59 «а»", "прибор учёта вышел из строя")
                .unwrap_or_else(|| norm_volume(input, false))
        }
        (Some(MeterState::Expired), _) => average_volume(
            input,
            "ПП 354 п. 59 «а»",
            "истёк межповерочный интервал прибора учёта",
        )
        .unwrap_or_else(|| norm_volume(input, false)),
        (None, _) => norm_volume(input, input.installation_possible),
    }
}

/// Terms of penalties (PAY-03): the key rate and its cap in basis points (9,5 % = 950).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PenaltyTerms {
    pub key_rate_bp: i64,
    /// The rate in force for housing payments when lower than the key rate (9,5 % until
    /// 01.01.2027); `None`: the key rate.
    pub cap_bp: Option<i64>,
}

impl PenaltyTerms {
    pub fn rate_bp(&self) -> i64 {
        match self.cap_bp {
            Some(c) => c.min(self.key_rate_bp),
            None => self.key_rate_bp,
        }
    }

    /// The rate as an invoice prints it: «9,5 %», «16 %», «9,25 %».
    pub fn rate_label(&self) -> String {
        let bp = self.rate_bp();
        let frac = format!("{:02}", (bp % 100).abs());
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            format!("{}\u{a0}%", bp / 100)
        } else {
            format!("{},{frac}\u{a0}%", bp / 100)
        }
    }
}

/// Days without penalty after the due date, and the last day at 1/300 (ЖК РФ 155 ч. 14).
pub const FREE_DAYS: i64 = 30;
pub const LOW_RATE_LAST_DAY: i64 = 90;

/// The days of `from ..= to` on which a debt due on `due` bears penalties, by band: those at
/// 1/300 of the rate (days 31 … 90 after the due date) and those at 1/130 (from day 91).
/// Day `k` is `due + k days`; the due date itself is day 0.
pub fn penalty_days(due: Date, from: Date, to: Date) -> (i64, i64) {
    if to < from {
        return (0, 0);
    }
    let k_from = i64::from((from - due).get_days());
    let k_to = i64::from((to - due).get_days());
    let overlap = |lo: i64, hi: i64| (k_to.min(hi) - k_from.max(lo) + 1).max(0);
    (
        overlap(FREE_DAYS + 1, LOW_RATE_LAST_DAY),
        overlap(LOW_RATE_LAST_DAY + 1, i64::MAX),
    )
}

/// `debt × rate × (low/300 + high/130)` in units of 1/(10 000 × 300 × 130) kopeck: penalties of
/// several stretches add up exactly and are rounded once, with [`penalty_from_units`].
pub fn penalty_units(debt: Kopecks, low: i64, high: i64, terms: &PenaltyTerms) -> i128 {
    i128::from(debt.0)
        * i128::from(terms.rate_bp())
        * (i128::from(low) * 130 + i128::from(high) * 300)
}

/// Kopecks from [`penalty_units`], rounded half away from zero.
pub fn penalty_from_units(units: i128) -> Result<Kopecks, MoneyOverflow> {
    i64::try_from(div_round(units, 10_000 * 300 * 130))
        .map(Kopecks)
        .map_err(|_| MoneyOverflow)
}

/// Whether a billing run for `period` may start on `today` (a date in the company's time zone):
/// only once the period has ended, from the first day of the next month. Billing earlier would
/// close the month before its readings and payments are in and bill everyone by the average.
/// The refusal says when the period ends.
pub fn period_ended(period: Period, today: Date) -> Result<(), String> {
    let last = period.last_day();
    if today > last {
        return Ok(());
    }
    Err(format!(
        "Период {period} ({}) ещё не закончился: его последний день — {} (по времени компании), рассчитать его можно с {}.",
        period.label_ru(),
        last.strftime("%d.%m.%Y"),
        period.next().first_day().strftime("%d.%m.%Y"),
    ))
}

/// The open period for something (a payment, a reading) that naturally belongs to `natural`,
/// when `last_billed` is the last period being billed or closed: that period, or the first one
/// after the last billed (BIL-04; closed periods never change).
pub fn open_period(natural: Period, last_billed: Option<Period>) -> Period {
    match last_billed {
        Some(l) if natural <= l => l.next(),
        _ => natural,
    }
}

/// Whether a billing run for `period` may start when `last` is the last period being billed or
/// closed (and whether it is closed), `period` itself having no run yet: periods are billed in
/// order, one at a time, and closed periods never change.
pub fn may_start_run(period: Period, last: Option<(Period, bool)>) -> Result<(), BillingRefusal> {
    let Some((last, closed)) = last else {
        return Ok(());
    };
    if last > period {
        return Err(BillingRefusal::PeriodBeforeLast {
            period,
            last,
            last_closed: closed,
        });
    }
    if !closed {
        return Err(BillingRefusal::LastRunUnfinished { last });
    }
    if last.next() != period {
        return Err(BillingRefusal::NotNextPeriod { next: last.next() });
    }
    Ok(())
}

/// Whether a run of `period` has what it needs: every category in use (`categories`) has a
/// tariff for the period and consumption norms.
pub fn run_inputs_complete(
    categories: &[String],
    tariffs: &[Tariff],
    norms: &[Norm],
    period: Period,
) -> Result<(), BillingRefusal> {
    for c in categories {
        if tariff_for(tariffs, c, period).is_none() {
            return Err(BillingRefusal::NoTariff {
                category: c.clone(),
                period,
            });
        }
        if norm_for(norms, c, 1, 1).is_none() {
            return Err(BillingRefusal::NoNorms {
                category: c.clone(),
            });
        }
    }
    Ok(())
}

/// Whether a tariff may start from `valid_from` (`YYYY-MM`) when `last_billed` is the last
/// period being billed or closed: tariffs of periods already billed never change.
pub fn tariff_may_start(
    valid_from: &str,
    last_billed: Option<Period>,
) -> Result<(), BillingRefusal> {
    match last_billed {
        Some(last) if valid_from <= last.to_string().as_str() => {
            Err(BillingRefusal::TariffPeriodBilled { last })
        }
        _ => Ok(()),
    }
}

/// The penalty on `debt` unpaid since `due` (the last day to pay) up to and including `until`:
/// nothing for 30 days, 1/300 of the rate per day from day 31 to day 90, 1/130 from day 91.
pub fn penalty(debt: Kopecks, due: Date, until: Date, terms: &PenaltyTerms) -> Kopecks {
    if debt.0 <= 0 || until <= due {
        return Kopecks::ZERO;
    }
    let days = i64::from((until - due).get_days());
    let low = (days.min(LOW_RATE_LAST_DAY) - FREE_DAYS).max(0);
    let high = (days - LOW_RATE_LAST_DAY).max(0);
    // debt × rate/10 000 × (low/300 + high/130), in one rational expression.
    let num = i128::from(debt.0)
        * i128::from(terms.rate_bp())
        * (i128::from(low) * 130 + i128::from(high) * 300);
    Kopecks(div_round(num, 10_000 * 300 * 130) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use jiff::ToSpan;

    fn input() -> VolumeInput {
        VolumeInput {
            meter: Some(MeterState::Working),
            installation_possible: true,
            by_readings: None,
            history: [100, 120, 110, 90, 130, 150, 140]
                .iter()
                .map(|k| Wh::from_kwh(*k))
                .collect(),
            periods_on_average: 0,
            norm_per_resident: Wh::from_kwh(96),
            residents: 2,
        }
    }

    #[test]
    fn readings_come_first() {
        let mut i = input();
        i.by_readings = Some(Wh::from_kwh(155));
        let v = monthly_volume(&i);
        assert_eq!(
            (v.rule, v.energy),
            (VolumeRule::Readings, Wh::from_kwh(155))
        );
        assert!(v.clause.contains("п. 42"));
    }

    #[test]
    fn no_readings_average_of_six_for_three_periods_then_norm() {
        let mut i = input();
        // The last six: 120 110 90 130 150 140 = 740 / 6 = 123,333 kWh.
        let v = monthly_volume(&i);
        assert_eq!(v.rule, VolumeRule::Average { months: 6 });
        assert_eq!(v.energy, Wh(123_333));
        assert!(v.clause.contains("59 «б»"));
        i.periods_on_average = 2;
        assert!(matches!(
            monthly_volume(&i).rule,
            VolumeRule::Average { .. }
        ));
        i.periods_on_average = 3;
        let v = monthly_volume(&i);
        assert_eq!((v.rule, v.energy), (VolumeRule::Norm, Wh::from_kwh(192)));
        assert!(v.clause.contains("п. 60"));
    }

    #[test]
    fn average_needs_three_months() {
        let mut i = input();
        i.history = vec![Wh::from_kwh(100), Wh::from_kwh(200), Wh::from_kwh(300)];
        let v = monthly_volume(&i);
        assert_eq!(
            (v.rule, v.energy),
            (VolumeRule::Average { months: 3 }, Wh::from_kwh(200))
        );
        i.history.pop();
        assert_eq!(monthly_volume(&i).rule, VolumeRule::Norm);
    }

    #[test]
    fn broken_or_expired_meter_average_then_norm_even_with_readings() {
        for state in [MeterState::Broken, MeterState::Expired] {
            let mut i = input();
            i.meter = Some(state);
            i.by_readings = Some(Wh::from_kwh(999));
            let v = monthly_volume(&i);
            assert!(matches!(v.rule, VolumeRule::Average { .. }), "{state:?}");
            assert!(v.clause.contains("59 «а»"));
            i.periods_on_average = 3;
            assert_eq!(monthly_volume(&i).rule, VolumeRule::Norm);
        }
    }

    #[test]
    fn no_meter_norm_or_increased_norm() {
        let mut i = input();
        i.meter = None;
        let v = monthly_volume(&i);
        // 96 × 2 × 1,5 = 288 kWh
        assert_eq!(
            (v.rule, v.energy),
            (VolumeRule::IncreasedNorm, Wh::from_kwh(288))
        );
        assert!(v.explanation.contains("1,5"));
        i.installation_possible = false;
        let v = monthly_volume(&i);
        assert_eq!((v.rule, v.energy), (VolumeRule::Norm, Wh::from_kwh(192)));
        assert!(v.clause.contains("формула 4"));
        i.residents = 0;
        assert_eq!(
            monthly_volume(&i).energy,
            Wh::from_kwh(96),
            "at least one person"
        );
    }

    #[test]
    fn a_period_is_billed_only_after_its_last_day() {
        let dec = Period::parse("2026-12").unwrap();
        let refused = period_ended(dec, date(2026, 12, 31)).unwrap_err();
        assert!(
            refused.contains("31.12.2026") && refused.contains("01.01.2027"),
            "{refused}"
        );
        assert!(
            period_ended(dec, date(2026, 12, 1)).is_err(),
            "the first day"
        );
        assert!(period_ended(dec, date(2026, 11, 30)).is_err());
        assert_eq!(period_ended(dec, date(2027, 1, 1)), Ok(()));
        assert_eq!(
            period_ended(Period::parse("2027-02").unwrap(), date(2027, 3, 1)),
            Ok(())
        );
        assert!(period_ended(Period::parse("2027-02").unwrap(), date(2027, 2, 28)).is_err());
    }

    #[test]
    fn rate_labels() {
        let t = |key, cap| PenaltyTerms {
            key_rate_bp: key,
            cap_bp: cap,
        };
        assert_eq!(t(1600, Some(950)).rate_label(), "9,5\u{a0}%");
        assert_eq!(t(1600, None).rate_label(), "16\u{a0}%");
        assert_eq!(t(925, None).rate_label(), "9,25\u{a0}%");
        assert_eq!(t(1605, None).rate_label(), "16,05\u{a0}%");
    }

    #[test]
    fn penalty_boundaries_30_31_90_91() {
        let terms = PenaltyTerms {
            key_rate_bp: 1600,
            cap_bp: Some(950),
        };
        assert_eq!(terms.rate_bp(), 950);
        let due = date(2026, 1, 15);
        let debt = Kopecks(100_000); // 1 000 ₽
        let at = |d: i32| due.checked_add(d.days()).unwrap();
        assert_eq!(penalty(debt, due, at(30), &terms), Kopecks(0));
        // One day at 1/300 of 9,5 %: 1 000 × 0,095 / 300 = 0,3167 ₽.
        assert_eq!(penalty(debt, due, at(31), &terms), Kopecks(32));
        // Sixty days at 1/300: 19,00 ₽.
        assert_eq!(penalty(debt, due, at(90), &terms), Kopecks(1900));
        // Plus one day at 1/130: 0,7308 ₽ → 19,73 ₽.
        assert_eq!(penalty(debt, due, at(91), &terms), Kopecks(1973));
        assert_eq!(penalty(Kopecks(0), due, at(200), &terms), Kopecks(0));
        assert_eq!(penalty(debt, due, due, &terms), Kopecks(0));
        let uncapped = PenaltyTerms {
            key_rate_bp: 1600,
            cap_bp: None,
        };
        assert!(penalty(debt, due, at(91), &uncapped) > penalty(debt, due, at(91), &terms));
    }

    fn per(year: i16, month: i8) -> Period {
        Period { year, month }
    }

    #[test]
    fn runs_go_in_order_one_at_a_time() {
        assert_eq!(may_start_run(per(2026, 10), None), Ok(()));
        assert_eq!(
            may_start_run(per(2026, 11), Some((per(2026, 10), true))),
            Ok(())
        );
        let before = may_start_run(per(2026, 9), Some((per(2026, 10), true))).unwrap_err();
        assert_eq!(
            before.to_string(),
            "Период 2026-09 раньше последнего рассчитанного (2026-10, закрыт): закрытые периоды не меняются, исправления — строками в открытом периоде."
        );
        assert_eq!(
            may_start_run(per(2026, 11), Some((per(2026, 10), false))),
            Err(BillingRefusal::LastRunUnfinished {
                last: per(2026, 10)
            })
        );
        let gap = may_start_run(per(2026, 12), Some((per(2026, 10), true))).unwrap_err();
        assert_eq!(
            gap.to_string(),
            "Следующий период для расчёта — 2026-11: периоды рассчитываются по порядку."
        );
    }

    #[test]
    fn tariffs_start_after_the_last_billed_period() {
        assert_eq!(tariff_may_start("2026-11", Some(per(2026, 10))), Ok(()));
        assert_eq!(tariff_may_start("2026-11", None), Ok(()));
        let e = tariff_may_start("2026-10", Some(per(2026, 10))).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Период 2026-10 уже рассчитан: тариф можно ввести с 2026-11 или позже."
        );
    }

    #[test]
    fn open_period_follows_the_last_billed() {
        assert_eq!(
            open_period(per(2026, 9), Some(per(2026, 10))),
            per(2026, 11)
        );
        assert_eq!(
            open_period(per(2026, 12), Some(per(2026, 10))),
            per(2026, 12)
        );
        assert_eq!(open_period(per(2026, 9), None), per(2026, 9));
    }
}
