//! Tariffs per period and category (BIL-01) and consumption norms (BIL-02): data an economist
//! keeps, with validation of what they type and the lookups billing needs.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::accounts::AccountCategory;
use crate::money::{TariffRate, Wh};
use crate::validation::FieldErrors;

/// Month names in Russian, January first.
pub const MONTHS_RU: [&str; 12] = [
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
];

/// A billing period: a calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    pub year: i16,
    pub month: i8,
}

impl Period {
    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Period> {
        let (y, m) = s.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let year: i16 = y.parse().ok()?;
        let month: i8 = m.parse().ok()?;
        ((2000..=2100).contains(&year) && (1..=12).contains(&month))
            .then_some(Period { year, month })
    }

    pub fn of(d: Date) -> Period {
        Period {
            year: d.year(),
            month: d.month(),
        }
    }

    pub fn next(self) -> Period {
        if self.month == 12 {
            Period {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Period {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn prev(self) -> Period {
        if self.month == 1 {
            Period {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Period {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// A period from [`Period::parse`] or the arithmetic here is a real month; one built by hand
    /// out of range is read as the nearest real month.
    pub fn first_day(self) -> Date {
        let (year, month) = (self.year.clamp(-9999, 9999), self.month.clamp(1, 12));
        Date::new(year, month, 1).unwrap_or(Date::MIN)
    }

    pub fn last_day(self) -> Date {
        self.first_day().last_of_month()
    }

    /// The last day to pay for this period: `day` of the next month (ЖК РФ 155 ч. 1: the 15th
    /// by default), or its last day when the month is shorter.
    pub fn due_date(self, day: i8) -> Date {
        let n = self.next();
        let last = n.last_day().day();
        n.first_day()
            .with()
            .day(day.clamp(1, last))
            .build()
            .unwrap_or(n.last_day())
    }

    /// `MMYYYY`, as the payment QR's PaymPeriod wants it.
    pub fn mmyyyy(self) -> String {
        format!("{:02}{:04}", self.month, self.year)
    }

    /// «ноябрь 2026».
    pub fn label_ru(self) -> String {
        format!("{} {}", MONTHS_RU[(self.month - 1) as usize], self.year)
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The tariff of one category from one period on (until the next one starts): the single rate
/// and the zone rates, with the zone hours in local time as the tariff decision states them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tariff {
    /// `YYYY-MM`: the first period it applies to.
    pub valid_from: String,
    /// An account category code (`urban`, …).
    pub category: String,
    /// Kopecks per kWh × 100 (6,74 ₽ = 67 400).
    pub single: i64,
    pub day: i64,
    pub night: i64,
    pub peak: i64,
    pub half_peak: i64,
    /// «07:00–23:00».
    pub day_hours: String,
    pub night_hours: String,
    pub peak_hours: String,
    pub half_peak_hours: String,
    /// The decision that set it: «Приказ РСТ Югры от … № …».
    pub basis: String,
}

/// Zone hours of BIL-01, the defaults of a new tariff.
pub const DAY_HOURS: &str = "07:00–23:00";
pub const NIGHT_HOURS: &str = "23:00–07:00";
pub const PEAK_HOURS: &str = "07:00–10:00, 17:00–21:00";
pub const HALF_PEAK_HOURS: &str = "10:00–17:00, 21:00–23:00";

impl Tariff {
    /// The rate per zone for a meter with `zones` zones: single; day, night; peak, half-peak,
    /// night.
    pub fn rates_for(&self, zones: usize) -> Vec<TariffRate> {
        match zones {
            2 => vec![TariffRate(self.day), TariffRate(self.night)],
            3 => vec![
                TariffRate(self.peak),
                TariffRate(self.half_peak),
                TariffRate(self.night),
            ],
            _ => vec![TariffRate(self.single)],
        }
    }
}

/// What an economist types for a tariff.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct TariffDraft {
    pub valid_from: String,
    pub category: String,
    /// Rubles per kWh: «6,74».
    pub single: String,
    pub day: String,
    pub night: String,
    pub peak: String,
    pub half_peak: String,
    #[serde(default)]
    pub day_hours: String,
    #[serde(default)]
    pub night_hours: String,
    #[serde(default)]
    pub peak_hours: String,
    #[serde(default)]
    pub half_peak_hours: String,
    #[serde(default)]
    pub basis: String,
}

/// Parses «07:00–10:00, 17:00–21:00» (hyphen or dash): at least one interval of whole minutes.
fn check_hours(s: &str) -> bool {
    let ok_time = |t: &str| {
        let (h, m) = match t.trim().split_once(':') {
            Some(p) => p,
            None => return false,
        };
        matches!((h.parse::<u8>(), m.parse::<u8>()), (Ok(h), Ok(m)) if h < 24 && m < 60 && m.to_string().len() <= 2)
    };
    !s.trim().is_empty()
        && s.split(',').all(|part| {
            let part = part.replace(['—', '-'], "–");
            match part.split_once('–') {
                Some((a, b)) => ok_time(a) && ok_time(b),
                None => false,
            }
        })
}

impl TariffDraft {
    pub fn validate(&self) -> Result<Tariff, FieldErrors> {
        let mut e = FieldErrors::new();
        if Period::parse(&self.valid_from).is_none() {
            e.add(
                "valid_from",
                "Укажите период в виде ГГГГ-ММ, например 2026-07.",
            );
        }
        if AccountCategory::parse(self.category.trim()).is_none() {
            e.add("category", "Выберите категорию.");
        }
        let mut rate = |field: &str, v: &str| match TariffRate::parse_rubles_per_kwh(v) {
            Ok(r) if r.0 > 0 => r.0,
            Ok(_) => {
                e.add(field, "Тариф должен быть больше нуля.");
                0
            }
            Err(msg) => {
                e.add(field, msg);
                0
            }
        };
        let single = rate("single", &self.single);
        let day = rate("day", &self.day);
        let night = rate("night", &self.night);
        let peak = rate("peak", &self.peak);
        let half_peak = rate("half_peak", &self.half_peak);
        let hours = |v: &str, default: &str| {
            if v.trim().is_empty() {
                default.to_owned()
            } else {
                v.trim().replace('-', "–")
            }
        };
        let day_hours = hours(&self.day_hours, DAY_HOURS);
        let night_hours = hours(&self.night_hours, NIGHT_HOURS);
        let peak_hours = hours(&self.peak_hours, PEAK_HOURS);
        let half_peak_hours = hours(&self.half_peak_hours, HALF_PEAK_HOURS);
        for (field, v) in [
            ("day_hours", &day_hours),
            ("night_hours", &night_hours),
            ("peak_hours", &peak_hours),
            ("half_peak_hours", &half_peak_hours),
        ] {
            if !check_hours(v) {
                e.add(
                    field,
                    "Часы зоны — интервалы вида 07:00–10:00 через запятую (местное время).",
                );
            }
        }
        if self.basis.chars().count() > 300 {
            e.add("basis", "Не длиннее 300 знаков.");
        }
        e.into_result(Tariff {
            valid_from: self.valid_from.trim().to_owned(),
            category: self.category.trim().to_owned(),
            single,
            day,
            night,
            peak,
            half_peak,
            day_hours,
            night_hours,
            peak_hours,
            half_peak_hours,
            basis: self.basis.trim().to_owned(),
        })
    }
}

/// The tariff in force for `category` in `period`: the latest one starting at or before it.
pub fn tariff_for<'a>(tariffs: &'a [Tariff], category: &str, period: Period) -> Option<&'a Tariff> {
    let p = period.to_string();
    tariffs
        .iter()
        .filter(|t| t.category == category && t.valid_from <= p)
        .max_by(|a, b| a.valid_from.cmp(&b.valid_from))
}

/// Rooms and residents the norm table distinguishes: 1…4 rooms («4 и более»), 1…5 residents
/// («5 и более»).
pub const NORM_ROOMS: i64 = 4;
pub const NORM_RESIDENTS: i64 = 5;

/// One consumption norm: kWh per resident and month (BIL-02).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Norm {
    pub category: String,
    pub rooms: i64,
    pub residents: i64,
    /// Watt-hours per resident and month.
    pub wh: i64,
}

/// The norm per resident for an account (rooms and residents beyond the table take its last
/// column and row; no residents count as one, ПП 354 п. 56(2)).
pub fn norm_for(norms: &[Norm], category: &str, rooms: i64, residents: i64) -> Option<Wh> {
    let rooms = rooms.clamp(1, NORM_ROOMS);
    let residents = residents.clamp(1, NORM_RESIDENTS);
    norms
        .iter()
        .find(|n| n.category == category && n.rooms == rooms && n.residents == residents)
        .map(|n| Wh(n.wh))
}

/// The default norms shipped with a new installation: kWh per resident and month by rooms
/// (rows) and residents (columns). They are typical values for a northern region; the
/// economist replaces them with the region's decree on the «Тарифы и нормативы» page.
pub fn default_norms() -> Vec<Norm> {
    const PLAIN: [[i64; 5]; 4] = [
        [143, 89, 69, 56, 49],
        [184, 114, 88, 72, 63],
        [208, 129, 100, 81, 71],
        [224, 139, 108, 88, 77],
    ];
    const STOVE: [[i64; 5]; 4] = [
        [183, 114, 88, 71, 62],
        [235, 146, 113, 92, 80],
        [266, 165, 128, 104, 90],
        [286, 177, 137, 111, 97],
    ];
    let mut out = Vec::new();
    for cat in AccountCategory::ALL {
        let table = if *cat == AccountCategory::UrbanElectricStove {
            &STOVE
        } else {
            &PLAIN
        };
        for (r, row) in table.iter().enumerate() {
            for (p, kwh) in row.iter().enumerate() {
                out.push(Norm {
                    category: cat.code().to_owned(),
                    rooms: r as i64 + 1,
                    residents: p as i64 + 1,
                    wh: kwh * 1000,
                });
            }
        }
    }
    out
}

/// The default tariffs of a new installation (from 2025-01), rubles per kWh: urban, then the
/// reduced ones (×0,7) for electric stoves and rural settlements.
pub fn default_tariffs() -> Vec<Tariff> {
    AccountCategory::ALL
        .iter()
        .map(|cat| {
            let k = |urban: i64| {
                if *cat == AccountCategory::Urban {
                    urban
                } else {
                    urban * 7 / 10
                }
            };
            Tariff {
                valid_from: "2025-01".into(),
                category: cat.code().into(),
                single: k(31_200),
                day: k(34_400),
                night: k(19_300),
                peak: k(37_500),
                half_peak: k(31_200),
                day_hours: DAY_HOURS.into(),
                night_hours: NIGHT_HOURS.into(),
                peak_hours: PEAK_HOURS.into(),
                half_peak_hours: HALF_PEAK_HOURS.into(),
                basis: "Значения по умолчанию: замените тарифами из приказа регулятора".into(),
            }
        })
        .collect()
}

/// The longest announcement printed on invoices (§10.2): a line or two, not a letter.
pub const MAX_ANNOUNCEMENT_CHARS: usize = 300;

/// An announcement for a period's invoices as typed: trimmed, on one line (line breaks become
/// spaces), at most [`MAX_ANNOUNCEMENT_CHARS`]; empty removes it.
pub fn check_announcement(text: &str) -> Result<String, crate::validation::FieldErrors> {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > MAX_ANNOUNCEMENT_CHARS {
        return Err(crate::validation::FieldErrors::single(
            "text",
            format!(
                "Объявление — не длиннее {MAX_ANNOUNCEMENT_CHARS} символов (сейчас {}).",
                one_line.chars().count()
            ),
        ));
    }
    Ok(one_line)
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_invoice_announcement_is_one_short_line() {
        assert_eq!(
            super::check_announcement("  С 1 января\n новые тарифы.  ").unwrap(),
            "С 1 января новые тарифы."
        );
        assert_eq!(super::check_announcement("   ").unwrap(), "");
        let long = "а".repeat(super::MAX_ANNOUNCEMENT_CHARS + 1);
        assert!(super::check_announcement(&long)
            .unwrap_err()
            .get("text")
            .is_some());
        assert!(super::check_announcement(&long[..long.len() - 2]).is_ok());
    }

    use super::*;
    use jiff::civil::date;

    #[test]
    fn periods() {
        let p = Period::parse("2026-12").unwrap();
        assert_eq!(p.next().to_string(), "2027-01");
        assert_eq!(p.prev().to_string(), "2026-11");
        assert_eq!(
            Period::parse("2027-01").unwrap().prev().to_string(),
            "2026-12"
        );
        assert_eq!(p.last_day(), date(2026, 12, 31));
        assert_eq!(p.due_date(15), date(2027, 1, 15));
        assert_eq!(
            Period::parse("2026-01").unwrap().due_date(31),
            date(2026, 2, 28)
        );
        assert_eq!(p.mmyyyy(), "122026");
        assert_eq!(p.label_ru(), "декабрь 2026");
        for bad in ["2026-13", "2026-1", "26-01", "2026/01", "", "1999-01"] {
            assert!(Period::parse(bad).is_none(), "{bad}");
        }
    }

    fn draft() -> TariffDraft {
        TariffDraft {
            valid_from: "2026-07".into(),
            category: "urban".into(),
            single: "3,12".into(),
            day: "3.44".into(),
            night: "1,93".into(),
            peak: "3,75".into(),
            half_peak: "3,12".into(),
            ..Default::default()
        }
    }

    #[test]
    fn tariff_validation() {
        let t = draft().validate().unwrap();
        assert_eq!(t.single, 31_200);
        assert_eq!(t.rates_for(2), vec![TariffRate(34_400), TariffRate(19_300)]);
        assert_eq!(t.rates_for(3)[2], TariffRate(19_300));
        assert_eq!(t.peak_hours, PEAK_HOURS);
        let mut d = draft();
        d.valid_from = "июль".into();
        d.single = "0".into();
        d.night = "abc".into();
        d.peak_hours = "утро".into();
        d.category = "x".into();
        let e = d.validate().unwrap_err();
        for f in ["valid_from", "single", "night", "peak_hours", "category"] {
            assert!(e.get(f).is_some(), "{f}");
        }
        let mut d = draft();
        d.peak_hours = "7:00-10:00, 17:00-21:00".into();
        assert_eq!(d.validate().unwrap().peak_hours, "7:00–10:00, 17:00–21:00");
    }

    #[test]
    fn tariff_in_force() {
        let mut a = draft().validate().unwrap();
        a.valid_from = "2026-01".into();
        let b = draft().validate().unwrap();
        let all = vec![b.clone(), a.clone()];
        let p = |s| Period::parse(s).unwrap();
        assert_eq!(tariff_for(&all, "urban", p("2026-06")), Some(&a));
        assert_eq!(tariff_for(&all, "urban", p("2026-07")), Some(&b));
        assert_eq!(tariff_for(&all, "urban", p("2025-12")), None);
        assert_eq!(tariff_for(&all, "rural", p("2026-07")), None);
    }

    #[test]
    fn norms_clamp() {
        let n = default_norms();
        assert_eq!(norm_for(&n, "urban", 1, 1), Some(Wh(143_000)));
        assert_eq!(norm_for(&n, "urban", 7, 9), Some(Wh(77_000)));
        assert_eq!(norm_for(&n, "urban", 2, 0), Some(Wh(184_000)));
        assert_eq!(
            norm_for(&n, "urban_electric_stove", 1, 1),
            Some(Wh(183_000))
        );
        assert_eq!(norm_for(&n, "nope", 1, 1), None);
        assert_eq!(default_tariffs().len(), AccountCategory::ALL.len());
    }
}
