//! One account's bill for one period (BIL-03 … BIL-05, PAY-02, PAY-03): the charge lines with
//! the rule and clause of each, the recalculation of ПП 354 п. 61 when readings come after
//! periods billed without them, payments applied to the oldest debt first, penalties on what
//! stays unpaid, and the state the next period starts from.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::billing::{monthly_volume, penalty, MeterState, PenaltyTerms, VolumeInput, VolumeRule};
use crate::money::{div_round, Kopecks, TariffRate, Wh};
use crate::tariffs::{Period, Tariff};

/// Periods kept in the history the average is taken from.
const HISTORY: usize = 6;

/// What a period leaves for the next one. Stored with the invoice, so a billing run reads only
/// the previous period's invoices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedState {
    /// Balance at the end of the period: positive — owed by the client, negative — prepaid.
    pub closing: Kopecks,
    /// Consecutive periods billed without readings from a working meter (average, then norm).
    pub periods_on_average: u32,
    /// Monthly consumption by readings, oldest first, at most six.
    pub history: Vec<Wh>,
    /// Billed without readings while the meter worked, waiting for the п. 61 recalculation.
    pub pending_wh: Wh,
    pub pending: Kopecks,
    /// Unpaid amounts by their due date, oldest first (what penalties run on).
    pub debts: Vec<(Date, Kopecks)>,
}

impl CarriedState {
    /// `6:123000,120000;2026-10-15:150000` style text for storage.
    pub fn history_text(&self) -> String {
        self.history
            .iter()
            .map(|w| w.0.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn debts_text(&self) -> String {
        self.debts
            .iter()
            .map(|(d, k)| format!("{d}:{}", k.0))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn parse_history(s: &str) -> Vec<Wh> {
        s.split(',')
            .filter_map(|v| v.trim().parse().ok().map(Wh))
            .collect()
    }

    pub fn parse_debts(s: &str) -> Vec<(Date, Kopecks)> {
        s.split(',')
            .filter_map(|p| {
                let (d, k) = p.split_once(':')?;
                Some((d.parse().ok()?, Kopecks(k.parse().ok()?)))
            })
            .collect()
    }

    /// What is past due on `date`: debts whose due date is before it.
    pub fn overdue_on(&self, date: Date) -> Kopecks {
        self.debts
            .iter()
            .filter(|(d, _)| *d < date)
            .map(|(_, k)| *k)
            .sum()
    }
}

/// The meter billing sees for an account in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterFacts {
    pub zones: usize,
    pub state: MeterState,
}

/// Everything one period's bill needs.
#[derive(Debug, Clone)]
pub struct StatementInput<'a> {
    pub period: Period,
    pub tariff: &'a Tariff,
    pub meter: Option<MeterFacts>,
    pub installation_possible: bool,
    /// Consumption per zone from the readings accepted for the period, when there are any.
    pub readings: Option<Vec<Wh>>,
    pub norm_per_resident: Wh,
    pub residents: u32,
    /// Payments received for the period.
    pub paid: Kopecks,
    pub prev: CarriedState,
    pub penalty_terms: PenaltyTerms,
    /// Day of the next month payment is due (15).
    pub due_day: i8,
}

/// Kinds of invoice lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LineKind {
    Energy,
    Recalculation,
    Penalty,
}

impl LineKind {
    pub fn code(self) -> &'static str {
        match self {
            LineKind::Energy => "energy",
            LineKind::Recalculation => "recalculation",
            LineKind::Penalty => "penalty",
        }
    }
}

/// One line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub kind: LineKind,
    /// `readings`, `average`, `norm`, `increased_norm`, `p61`, `penalty`.
    pub rule: &'static str,
    pub clause: &'static str,
    pub explanation: String,
    /// «день», «ночь», … for a zone of a multi-zone meter; empty otherwise.
    pub zone: &'static str,
    pub energy: Wh,
    pub rate: TariffRate,
    pub amount: Kopecks,
}

/// The computed bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub lines: Vec<Line>,
    pub opening: Kopecks,
    /// Energy and recalculation lines.
    pub charged: Kopecks,
    pub paid: Kopecks,
    pub penalty: Kopecks,
    /// What the client owes at the end of the period (negative: prepaid).
    pub closing: Kopecks,
    pub due_on: Date,
    /// The monthly charge by the norm at the single rate (PAY-04's measure of a debt).
    pub norm_charge: Kopecks,
    /// The rule that produced the energy volume.
    pub rule: &'static str,
    pub next: CarriedState,
}

fn rule_code(r: VolumeRule) -> &'static str {
    match r {
        VolumeRule::Readings => "readings",
        VolumeRule::Average { .. } => "average",
        VolumeRule::Norm => "norm",
        VolumeRule::IncreasedNorm => "increased_norm",
    }
}

/// Penalties accrued during `period` on `debts` (ЖК РФ 155 ч. 14): the penalty up to the end of
/// the period less the penalty up to the end of the previous one, per debt. A payment counts from
/// the start of the period it was received in.
pub fn period_penalty(debts: &[(Date, Kopecks)], period: Period, terms: &PenaltyTerms) -> Kopecks {
    let end = period.last_day();
    let before = period.prev().last_day();
    debts
        .iter()
        .map(|(due, k)| penalty(*k, *due, end, terms) - penalty(*k, *due, before, terms))
        .sum()
}

/// Computes the bill of one account for one period.
pub fn compute(input: &StatementInput<'_>) -> Statement {
    let prev = &input.prev;
    let mut lines = Vec::new();
    let mut next = CarriedState {
        history: prev.history.clone(),
        ..Default::default()
    };

    let volume = monthly_volume(&VolumeInput {
        meter: input.meter.map(|m| m.state),
        installation_possible: input.installation_possible,
        by_readings: input
            .readings
            .as_ref()
            .map(|z| Wh(z.iter().map(|w| w.0).sum())),
        history: prev.history.clone(),
        periods_on_average: prev.periods_on_average,
        norm_per_resident: input.norm_per_resident,
        residents: input.residents,
    });
    let rule = rule_code(volume.rule);
    let single = TariffRate(input.tariff.single);
    if volume.rule == VolumeRule::Readings {
        let zones = input.readings.clone().unwrap_or_default();
        let rates = input.tariff.rates_for(zones.len());
        let names = crate::metering::zone_names(zones.len());
        for (i, (energy, rate)) in zones.iter().zip(rates).enumerate() {
            lines.push(Line {
                kind: LineKind::Energy,
                rule,
                clause: volume.clause,
                explanation: if zones.len() == 1 {
                    volume.explanation.clone()
                } else {
                    format!("по показаниям прибора учёта, зона «{}»", names[i])
                },
                zone: if zones.len() == 1 { "" } else { names[i] },
                energy: *energy,
                rate,
                amount: Kopecks::for_energy(*energy, rate),
            });
        }
        // The readings cover this period and those billed without them since the last ones:
        // the history gets the monthly share of each, and what was billed is reversed (п. 61).
        let covered = i64::from(prev.periods_on_average) + 1;
        let share = Wh(div_round(i128::from(volume.energy.0), i128::from(covered)) as i64);
        for _ in 0..covered {
            next.history.push(share);
        }
        if prev.pending != Kopecks::ZERO {
            lines.push(Line {
                kind: LineKind::Recalculation,
                rule: "p61",
                clause: "ПП 354 п. 61",
                explanation: format!(
                    "перерасчёт: за {} пред. период(а) начислено без показаний {} — снято, объём вошёл в показания",
                    prev.periods_on_average,
                    prev.pending_wh.display_kwh()
                ),
                zone: "",
                energy: Wh(-prev.pending_wh.0),
                rate: TariffRate(0),
                amount: Kopecks(-prev.pending.0),
            });
        }
    } else {
        let amount = Kopecks::for_energy(volume.energy, single);
        lines.push(Line {
            kind: LineKind::Energy,
            rule,
            clause: volume.clause,
            explanation: volume.explanation.clone(),
            zone: "",
            energy: volume.energy,
            rate: single,
            amount,
        });
        if input.meter.map(|m| m.state) == Some(MeterState::Working) {
            // Without readings from a working meter: recalculated when they come (п. 61).
            next.periods_on_average =
                (prev.periods_on_average + 1).min(crate::billing::MAX_AVERAGE_PERIODS);
            next.pending_wh = Wh(prev.pending_wh.0 + volume.energy.0);
            next.pending = prev.pending + amount;
        } else if matches!(volume.rule, VolumeRule::Average { .. }) {
            next.periods_on_average = prev.periods_on_average + 1;
        } else {
            next.periods_on_average = prev.periods_on_average;
        }
    }
    if next.history.len() > HISTORY {
        next.history.drain(..next.history.len() - HISTORY);
    }
    let charged: Kopecks = lines.iter().map(|l| l.amount).sum();

    // Payments (and a prepayment) settle the oldest debts first.
    let mut credit = Kopecks(input.paid.0 + (-prev.closing.0).max(0));
    let mut debts: Vec<(Date, Kopecks)> = Vec::new();
    for (due, k) in &prev.debts {
        let take = Kopecks(credit.0.min(k.0));
        credit = credit - take;
        if k.0 - take.0 > 0 {
            debts.push((*due, *k - take));
        }
    }
    let pen = period_penalty(&debts, input.period, &input.penalty_terms);
    if pen.0 > 0 {
        lines.push(Line {
            kind: LineKind::Penalty,
            rule: "penalty",
            clause: "ЖК РФ ст. 155 ч. 14",
            explanation: format!(
                "пени за {} на задолженность {} по ставке {},{:02} %",
                input.period.label_ru(),
                debts.iter().map(|d| d.1).sum::<Kopecks>(),
                input.penalty_terms.rate_bp() / 100,
                input.penalty_terms.rate_bp() % 100
            ),
            zone: "",
            energy: Wh(0),
            rate: TariffRate(0),
            amount: pen,
        });
    }
    let due_on = input.period.due_date(input.due_day);
    let new = charged + pen;
    if new.0 >= 0 {
        let take = Kopecks(credit.0.min(new.0));
        credit = credit - take;
        if new.0 - take.0 > 0 {
            debts.push((due_on, new - take));
        }
    } else {
        // A recalculation larger than the charges is a credit: it settles old debts too.
        let mut extra = Kopecks(-new.0);
        for d in debts.iter_mut() {
            let take = Kopecks(extra.0.min(d.1 .0));
            d.1 = d.1 - take;
            extra = extra - take;
        }
        debts.retain(|d| d.1 .0 > 0);
        credit = credit + extra;
    }
    let opening = prev.closing;
    let closing = opening + charged + pen - input.paid;
    debug_assert_eq!(
        closing,
        debts.iter().map(|d| d.1).sum::<Kopecks>() - credit,
        "debts and the balance agree"
    );
    next.closing = closing;
    next.debts = debts;
    let residents = i64::from(input.residents.max(1));
    let norm_charge = Kopecks::for_energy(Wh(input.norm_per_resident.0 * residents), single);
    Statement {
        lines,
        opening,
        charged,
        paid: input.paid,
        penalty: pen,
        closing,
        due_on,
        norm_charge,
        rule,
        next,
    }
}

/// PAY-04: a debt past due of more than two months of norm-based charges.
pub fn restriction_due(overdue: Kopecks, norm_charge: Kopecks) -> bool {
    norm_charge.0 > 0 && overdue.0 > 2 * norm_charge.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tariffs::default_tariffs;
    use jiff::civil::date;

    fn terms() -> PenaltyTerms {
        PenaltyTerms {
            key_rate_bp: 1600,
            cap_bp: Some(950),
        }
    }

    fn input(t: &Tariff, p: &str) -> StatementInput<'static> {
        let t: &'static Tariff = Box::leak(Box::new(t.clone()));
        StatementInput {
            period: Period::parse(p).unwrap(),
            tariff: t,
            meter: Some(MeterFacts {
                zones: 1,
                state: MeterState::Working,
            }),
            installation_possible: true,
            readings: None,
            norm_per_resident: Wh::from_kwh(100),
            residents: 2,
            paid: Kopecks::ZERO,
            prev: CarriedState::default(),
            penalty_terms: terms(),
            due_day: 15,
        }
    }

    fn urban() -> Tariff {
        default_tariffs()
            .into_iter()
            .find(|t| t.category == "urban")
            .unwrap()
    }

    #[test]
    fn readings_by_zone_at_zone_rates() {
        let t = urban();
        let mut i = input(&t, "2026-11");
        i.meter = Some(MeterFacts {
            zones: 2,
            state: MeterState::Working,
        });
        i.readings = Some(vec![Wh::from_kwh(100), Wh::from_kwh(50)]);
        let s = compute(&i);
        assert_eq!(s.lines.len(), 2);
        assert_eq!(s.lines[0].zone, "день");
        // 100 × 3,44 + 50 × 1,93 = 344 + 96,50
        assert_eq!(s.charged, Kopecks(44_050));
        assert_eq!(s.closing, Kopecks(44_050));
        assert_eq!(s.due_on, date(2026, 12, 15));
        assert_eq!(s.next.debts, vec![(date(2026, 12, 15), Kopecks(44_050))]);
        assert_eq!(s.next.history, vec![Wh::from_kwh(150)]);
        assert!(s.lines[0].clause.contains("формула 1"));
    }

    #[test]
    fn average_then_readings_recalculated_under_p61() {
        let t = urban();
        let mut i = input(&t, "2026-11");
        i.prev.history = vec![Wh::from_kwh(100); 6];
        let s = compute(&i);
        assert_eq!(s.rule, "average");
        assert_eq!(s.charged, Kopecks(31_200));
        assert_eq!(s.next.periods_on_average, 1);
        assert_eq!(s.next.pending, Kopecks(31_200));

        // The late reading arrives for December and covers both months: 260 kWh.
        let mut j = input(&t, "2026-12");
        j.prev = s.next.clone();
        j.readings = Some(vec![Wh::from_kwh(260)]);
        let s2 = compute(&j);
        assert_eq!(s2.lines.len(), 2);
        assert_eq!(s2.lines[1].kind, LineKind::Recalculation);
        assert_eq!(s2.lines[1].clause, "ПП 354 п. 61");
        assert_eq!(s2.lines[1].amount, Kopecks(-31_200));
        // 260 × 3,12 − 100 × 3,12 = 499,20 ₽
        assert_eq!(s2.charged, Kopecks(49_920));
        assert_eq!(s2.next.pending, Kopecks::ZERO);
        assert_eq!(s2.next.periods_on_average, 0);
        // Two months of 130 kWh each join the history; six are kept.
        assert_eq!(s2.next.history.len(), 6);
        assert_eq!(s2.next.history[5], Wh::from_kwh(130));
        assert_eq!(s2.next.history[4], Wh::from_kwh(130));
    }

    #[test]
    fn three_averages_then_norm() {
        let t = urban();
        let mut prev = CarriedState {
            history: vec![Wh::from_kwh(100); 6],
            ..Default::default()
        };
        let mut rules = Vec::new();
        let mut p = Period::parse("2026-06").unwrap();
        for _ in 0..5 {
            let mut i = input(&t, &p.to_string());
            i.prev = prev.clone();
            let s = compute(&i);
            rules.push(s.rule);
            prev = s.next;
            p = p.next();
        }
        assert_eq!(rules, ["average", "average", "average", "norm", "norm"]);
        // Norm: 100 × 2 residents at 3,12.
        assert_eq!(prev.pending, Kopecks(3 * 31_200 + 2 * 62_400));
    }

    #[test]
    fn payments_settle_oldest_first_and_penalties_run_on_the_rest() {
        let t = urban();
        let due_sep = date(2026, 8, 15);
        let mut i = input(&t, "2026-11");
        i.meter = None;
        i.installation_possible = false;
        i.prev = CarriedState {
            closing: Kopecks(300_000),
            debts: vec![
                (due_sep, Kopecks(100_000)),
                (date(2026, 9, 15), Kopecks(200_000)),
            ],
            ..Default::default()
        };
        i.paid = Kopecks(150_000);
        let s = compute(&i);
        // The August debt is paid, half of September's stays.
        assert_eq!(s.next.debts[0], (date(2026, 9, 15), Kopecks(150_000)));
        // 15.09 → 30.11: days 46 … 76 in November, all at 1/300: 1 500 × 0,095 / 300 × 30.
        assert_eq!(s.penalty, Kopecks(1425));
        assert_eq!(s.lines.last().unwrap().kind, LineKind::Penalty);
        // The norm: 100 × 2 × 3,12 = 624 ₽
        assert_eq!(s.charged, Kopecks(62_400));
        assert_eq!(s.closing, Kopecks(300_000 + 62_400 + 1425 - 150_000));
        assert_eq!(s.next.debts.iter().map(|d| d.1).sum::<Kopecks>(), s.closing);
        assert_eq!(s.norm_charge, Kopecks(62_400));
    }

    #[test]
    fn prepayment_is_a_credit() {
        let t = urban();
        let mut i = input(&t, "2026-11");
        i.readings = Some(vec![Wh::from_kwh(100)]);
        i.paid = Kopecks(100_000);
        let s = compute(&i);
        assert_eq!(s.closing, Kopecks(31_200 - 100_000));
        assert!(s.next.debts.is_empty());
        let mut j = input(&t, "2026-12");
        j.prev = s.next;
        j.readings = Some(vec![Wh::from_kwh(100)]);
        let s2 = compute(&j);
        assert_eq!(s2.closing, Kopecks(31_200 * 2 - 100_000));
        assert!(s2.next.debts.is_empty(), "the credit covers December");
        assert_eq!(s2.penalty, Kopecks::ZERO);
    }

    #[test]
    fn restriction_threshold() {
        assert!(!restriction_due(Kopecks(124_800), Kopecks(62_400)));
        assert!(restriction_due(Kopecks(124_801), Kopecks(62_400)));
        assert!(!restriction_due(Kopecks(1), Kopecks(0)));
    }

    #[test]
    fn state_text_round_trip() {
        let s = CarriedState {
            history: vec![Wh(1), Wh(22)],
            debts: vec![(date(2026, 9, 15), Kopecks(5))],
            ..Default::default()
        };
        assert_eq!(CarriedState::parse_history(&s.history_text()), s.history);
        assert_eq!(CarriedState::parse_debts(&s.debts_text()), s.debts);
        assert_eq!(CarriedState::parse_debts(""), vec![]);
        assert_eq!(s.overdue_on(date(2026, 9, 16)), Kopecks(5));
        assert_eq!(s.overdue_on(date(2026, 9, 15)), Kopecks(0));
    }
}
