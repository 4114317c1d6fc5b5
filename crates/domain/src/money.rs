//! Money and energy as exact integers (ARCHITECTURE "Storage"): kopecks and watt-hours. Nothing
//! here uses floating point; products are computed in `i128` and rounded half away from zero
//! once, at the end.

use serde::{Deserialize, Serialize};

/// An amount in kopecks (may be negative: a credit).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Kopecks(pub i64);

/// Energy in watt-hours (0.001 kWh): meters count whole kWh, averages and norms need fractions.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Wh(pub i64);

/// A tariff in kopecks per kWh with two more decimals (1/100 kopeck): 6,74 ₽/kWh = 67 400.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct TariffRate(pub i64);

/// `n / d` rounded half away from zero.
pub fn div_round(n: i128, d: i128) -> i128 {
    assert!(d > 0, "positive divisor");
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d {
        q + n.signum()
    } else {
        q
    }
}

impl Kopecks {
    pub const ZERO: Kopecks = Kopecks(0);

    /// Parses «1234,56», «1 234.56», «1234» (rubles) into kopecks; at most two decimals.
    pub fn parse_rubles(input: &str) -> Result<Self, String> {
        let s: String = input
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
            .collect::<String>()
            .replace(',', ".");
        let s = s.trim_end_matches('₽').trim_end_matches("руб.");
        let (neg, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, frac) = match s.split_once('.') {
            Some((w, f)) => (w, f),
            None => (s, ""),
        };
        if whole.is_empty() && frac.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
        {
            return Err(format!("«{}» — не сумма: пример 1234,56.", input.trim()));
        }
        if frac.len() > 2 {
            return Err("В сумме не больше двух знаков после запятой (копейки).".into());
        }
        let rubles: i64 = if whole.is_empty() {
            0
        } else {
            whole
                .parse()
                .map_err(|_| "Слишком большая сумма.".to_string())?
        };
        let kop: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
        let v = rubles
            .checked_mul(100)
            .and_then(|r| r.checked_add(kop))
            .ok_or("Слишком большая сумма.")?;
        Ok(Kopecks(if neg { -v } else { v }))
    }

    /// The charge for `energy` at `rate`, rounded to a kopeck.
    pub fn for_energy(energy: Wh, rate: TariffRate) -> Self {
        // Wh × (kopeck/100 per kWh) / (1000 Wh/kWh × 100)
        Kopecks(div_round(i128::from(energy.0) * i128::from(rate.0), 100_000) as i64)
    }
}

/// A sum of money left the range of `i64` kopecks. Inputs are bounded at the edge (a payment at
/// most [`MAX_PAYMENT_DEFAULT`] and the like), so this names a defect or a forged input; it is
/// refused, never wrapped into a wrong balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Сумма вне допустимого диапазона: расчёт остановлен, чтобы не исказить баланс.")]
pub struct MoneyOverflow;

/// The largest single payment accepted by default (10 000 000 ₽): configurable, see the
/// billing settings; far below where sums of millions of payments could overflow.
pub const MAX_PAYMENT_DEFAULT: Kopecks = Kopecks(1_000_000_000);

impl Kopecks {
    pub fn checked_add(self, o: Kopecks) -> Result<Kopecks, MoneyOverflow> {
        self.0.checked_add(o.0).map(Kopecks).ok_or(MoneyOverflow)
    }

    pub fn checked_sub(self, o: Kopecks) -> Result<Kopecks, MoneyOverflow> {
        self.0.checked_sub(o.0).map(Kopecks).ok_or(MoneyOverflow)
    }

    /// The sum of `items`, or [`MoneyOverflow`] when any partial sum leaves `i64`.
    pub fn checked_sum<I: IntoIterator<Item = Kopecks>>(
        items: I,
    ) -> Result<Kopecks, MoneyOverflow> {
        items
            .into_iter()
            .try_fold(Kopecks::ZERO, |acc, k| acc.checked_add(k))
    }
}

// The operators panic on overflow in every profile (never wrap silently into a wrong balance);
// code that adds amounts from input uses the `checked_*` methods and reports `MoneyOverflow`.
impl std::ops::Add for Kopecks {
    type Output = Kopecks;
    #[allow(clippy::expect_used)]
    fn add(self, o: Kopecks) -> Kopecks {
        self.checked_add(o).expect("money overflow in addition")
    }
}

impl std::ops::Sub for Kopecks {
    type Output = Kopecks;
    #[allow(clippy::expect_used)]
    fn sub(self, o: Kopecks) -> Kopecks {
        self.checked_sub(o).expect("money overflow in subtraction")
    }
}

impl std::iter::Sum for Kopecks {
    #[allow(clippy::expect_used)]
    fn sum<I: Iterator<Item = Kopecks>>(iter: I) -> Kopecks {
        Kopecks::checked_sum(iter).expect("money overflow in a sum")
    }
}

impl std::fmt::Display for Kopecks {
    /// «1 234,56 ₽», as Russian documents write amounts.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let neg = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let rub = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in rub.chars().enumerate() {
            if i > 0 && (rub.len() - i).is_multiple_of(3) {
                grouped.push('\u{a0}');
            }
            grouped.push(c);
        }
        write!(
            f,
            "{}{grouped},{:02}\u{a0}₽",
            if neg { "−" } else { "" },
            abs % 100
        )
    }
}

impl Wh {
    pub fn from_kwh(kwh: i64) -> Self {
        Wh(kwh * 1000)
    }

    /// «123,456 кВт·ч», trailing zeros of the fraction dropped.
    pub fn display_kwh(self) -> String {
        let neg = self.0 < 0;
        let abs = self.0.unsigned_abs();
        let frac = format!("{:03}", abs % 1000);
        let frac = frac.trim_end_matches('0');
        format!(
            "{}{}{}{} кВт·ч",
            if neg { "−" } else { "" },
            abs / 1000,
            if frac.is_empty() { "" } else { "," },
            frac
        )
    }
}

impl TariffRate {
    /// Parses «6,74» (rubles per kWh, up to four decimals).
    pub fn parse_rubles_per_kwh(input: &str) -> Result<Self, String> {
        let s = input.trim().replace(',', ".");
        let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
        if whole.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || frac.len() > 4
        {
            return Err(format!(
                "«{}» — не тариф: рубли за кВт·ч, до четырёх знаков после запятой (пример 6,74).",
                input.trim()
            ));
        }
        let w: i64 = whole.parse().map_err(|_| "Слишком большой тариф.")?;
        let f: i64 = format!("{frac:0<4}").parse().unwrap_or(0);
        Ok(TariffRate(w * 10_000 + f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_rubles() {
        assert_eq!(Kopecks::parse_rubles("1 234,56").unwrap(), Kopecks(123_456));
        assert_eq!(Kopecks::parse_rubles("1234.5").unwrap(), Kopecks(123_450));
        assert_eq!(Kopecks::parse_rubles("12").unwrap(), Kopecks(1200));
        assert_eq!(Kopecks::parse_rubles("-0,01").unwrap(), Kopecks(-1));
        assert!(Kopecks::parse_rubles("12,345").is_err());
        assert!(Kopecks::parse_rubles("двенадцать").is_err());
        assert!(Kopecks::parse_rubles("").is_err());
        assert_eq!(Kopecks(123_456).to_string(), "1\u{a0}234,56\u{a0}₽");
        assert_eq!(Kopecks(-5).to_string(), "−0,05\u{a0}₽");
        assert_eq!(
            Kopecks(100_000_000).to_string(),
            "1\u{a0}000\u{a0}000,00\u{a0}₽"
        );
    }

    #[test]
    fn energy_times_tariff_rounds_once_half_up() {
        let rate = TariffRate::parse_rubles_per_kwh("6,74").unwrap();
        assert_eq!(rate, TariffRate(67_400));
        // 150 kWh × 6,74 = 1 011,00 ₽
        assert_eq!(
            Kopecks::for_energy(Wh::from_kwh(150), rate),
            Kopecks(101_100)
        );
        // 0,333 kWh × 6,74 = 2,24442 ₽ → 2,24
        assert_eq!(Kopecks::for_energy(Wh(333), rate), Kopecks(224));
        // 0,5 kWh × 0,05 = 0,025 ₽ → 0,03 (half away from zero)
        assert_eq!(
            Kopecks::for_energy(Wh(500), TariffRate::parse_rubles_per_kwh("0,05").unwrap()),
            Kopecks(3)
        );
        assert_eq!(div_round(-5, 2), -3);
        assert!(TariffRate::parse_rubles_per_kwh("6,74512").is_err());
        assert_eq!(Wh(123_450).display_kwh(), "123,45 кВт·ч");
        assert_eq!(Wh::from_kwh(7).display_kwh(), "7 кВт·ч");
    }
}
