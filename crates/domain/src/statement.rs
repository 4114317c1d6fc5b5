//! One account's bill for one period (BIL-03 … BIL-05, PAY-02, PAY-03): the charge lines with
//! the rule and clause of each, the recalculation of ПП 354 п. 61 when readings come after
//! periods billed without them, payments, penalties, and the state the next period starts from.
//!
//! # Penalties (ЖК РФ ст. 155 ч. 14, PAY-03)
//!
//! * **What they accrue on.** Each unpaid charge is a debt with its due date (the invoice's
//!   «оплатить до», `due_day` of the next month): energy, and recalculations, never penalties.
//!   Penalties charged go to a separate [`CarriedState::penalty_debt`]: owed, shown in the
//!   balance, but no base for further penalties (no compounding).
//! * **Which days.** Day `k` of a debt is `due + k` days. Days 1 … 30 are free; days 31 … 90
//!   bear 1/300 of the rate per day, from day 91 on 1/130 ([`PenaltyTerms`], the rate capped
//!   as configured). The law counts «по день фактической оплаты» — up to and *including* the
//!   day of payment: a payment on day 45 stops penalties on what it pays from day 46, day 45
//!   itself still bears them. A payment on the due date (day 0) leaves nothing to bear them.
//! * **Day by day.** Within the period the unpaid amount of each debt is followed from payment
//!   to payment, each payment counting from its own date (`payments.paid_on`), not from the
//!   first day of its month. One debt's penalty for the period is computed exactly over all its
//!   stretches and rounded once, to a kopeck, into one invoice line that shows each stretch:
//!   base × days (dates) × 1/300 or 1/130 × rate, so a client can check it.
//! * **What a payment settles.** Energy debts first, the oldest due date first (a payment that
//!   names no period settles the obligation due earliest, ГК РФ ст. 319.1 п. 3), then the
//!   penalty debt (a penalty is paid after the principal: it is not the «проценты» of ГК РФ
//!   ст. 319, Пленум ВС РФ от 22.11.2016 № 54 п. 37), and what is left is an advance. At the
//!   end of the period the advance settles the new charge, then the new penalties. A
//!   recalculation larger than the charges is a credit that settles old energy debts, then
//!   penalties. Billing does not read the period a payer named: every payment settles this way.
//! * **A payment dated before the period** (a late registry credited into the open period,
//!   the previous one being closed and unchangeable) settles the debts as of the period's first
//!   day, and the penalties that closed periods charged on the part it paid for the days after
//!   its date are reversed by a line of its own («перерасчёт пени», negative): the client
//!   ends up paying penalties exactly up to the day of payment. The reversal reduces the penalty
//!   debt; what exceeds it (penalties already paid) is a credit like any other.
//! * **A payment dated after the period** cannot be stored in it (a payment counts in the period
//!   of its date or a later open one); were it there, it would count on the period's last day.
//!
//! # Recalculation (ПП 354 п. 61)
//!
//! A working meter without readings is billed by the average (three periods at most), then by
//! the norm; every such period is counted in [`CarriedState::periods_pending`] and its volume
//! and charge in `pending_wh` and `pending`. The next readings cover all of them and the current
//! period: what was billed is reversed by one line naming how many periods it covers, and the
//! volume by readings is spread evenly over those periods and this one, so the history later
//! averages are taken from holds the spread monthly figures.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::billing::{
    monthly_volume, penalty_days, penalty_from_units, penalty_units, MeterState, PenaltyTerms,
    Volume, VolumeInput, VolumeRule, FREE_DAYS, LOW_RATE_LAST_DAY,
};
use crate::metering::ZoneValues;
use crate::money::{Kopecks, MoneyOverflow, TariffRate, Wh};
use crate::tariffs::{Period, Tariff};

/// Periods kept in the history the average is taken from.
const HISTORY: usize = 6;

/// What a period leaves for the next one. Stored with the invoice, so a billing run reads only
/// the previous period's invoices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarriedState {
    /// Balance at the end of the period: positive — owed by the client, negative — prepaid.
    pub closing: Kopecks,
    /// Consecutive periods billed by the average (decides when the norm takes over, ПП 354
    /// п. 59, 60: three at most).
    pub periods_on_average: u32,
    /// Consecutive periods billed without readings while the meter worked — by the average and
    /// then by the norm — waiting for the п. 61 recalculation, which spreads the next readings
    /// over them.
    pub periods_pending: u32,
    /// Monthly consumption by readings, oldest first, at most six.
    pub history: Vec<Wh>,
    /// Billed without readings while the meter worked, waiting for the п. 61 recalculation.
    pub pending_wh: Wh,
    pub pending: Kopecks,
    /// Unpaid charges (energy and recalculations, never penalties) by their due date, oldest
    /// first: what penalties accrue on.
    pub debts: Vec<(Date, Kopecks)>,
    /// Penalties charged and not paid yet: owed, but never a base for further penalties.
    pub penalty_debt: Kopecks,
}

impl CarriedState {
    /// `123000,120000` style text for storage.
    pub fn history_text(&self) -> String {
        // The same comma-separated list of integers as a meter's zone values.
        ZoneValues(self.history.iter().map(|w| w.0).collect()).to_db()
    }

    /// `2026-10-15:150000,2026-11-15:20000` style text for storage.
    pub fn debts_text(&self) -> String {
        self.debts
            .iter()
            .map(|(d, k)| format!("{d}:{}", k.0))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads [`CarriedState::history_text`]; a value that is not an integer is skipped.
    pub fn parse_history(s: &str) -> Vec<Wh> {
        s.split(',')
            .filter_map(|v| v.parse::<ZoneValues>().ok())
            .flat_map(|z| z.0)
            .map(Wh)
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

    /// What is past due on `date`: charges whose due date is before it. Penalties are not part
    /// of it: the debt of PAY-04 (ПП 354 п. 118) is the unpaid payment for the service.
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
    /// Payments credited to the period, each with the day it was made (in any order). A date
    /// before the period is a late one (see the module documentation).
    pub payments: Vec<(Date, Kopecks)>,
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
    /// Penalty lines: accrued in the period, less any reversed for late payments.
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

const PENALTY_CLAUSE: &str = "ЖК РФ ст. 155 ч. 14";

/// «период», «периода», «периодов» after a number.
fn periods_word(n: u32) -> &'static str {
    match (n % 10, n % 100) {
        (_, 11..=14) => "периодов",
        (1, _) => "период",
        (2..=4, _) => "периода",
        _ => "периодов",
    }
}

/// One stretch of days in one rate band on which a debt's unpaid amount stayed the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stretch {
    base: Kopecks,
    from: Date,
    to: Date,
    days: i64,
    /// 300 or 130.
    divisor: i64,
}

impl Stretch {
    /// «1 500,00 ₽ × 16 дн. (16.10–31.10) × 1/300 × 9,5 %».
    fn text(&self, rate: &str) -> String {
        format!(
            "{} × {} дн. ({}–{}) × 1/{} × {rate}",
            self.base,
            self.days,
            self.from.strftime("%d.%m"),
            self.to.strftime("%d.%m"),
            self.divisor
        )
    }
}

/// The stretches of `from ..= to` on which `base`, due on `due`, bears penalties, one per band,
/// and their exact sum in [`penalty_units`].
fn stretches(
    base: Kopecks,
    due: Date,
    from: Date,
    to: Date,
    terms: &PenaltyTerms,
) -> (Vec<Stretch>, i128) {
    let mut out = Vec::new();
    let (low, high) = penalty_days(due, from, to);
    if base.0 <= 0 || low + high == 0 {
        return (out, 0);
    }
    let day = |k: i64| due.checked_add(jiff::Span::new().days(k)).unwrap_or(due);
    if low > 0 {
        let start = from.max(day(FREE_DAYS + 1));
        out.push(Stretch {
            base,
            from: start,
            to: day(LOW_RATE_LAST_DAY).min(to),
            days: low,
            divisor: 300,
        });
    }
    if high > 0 {
        out.push(Stretch {
            base,
            from: from.max(day(LOW_RATE_LAST_DAY + 1)),
            to,
            days: high,
            divisor: 130,
        });
    }
    (out, penalty_units(base, low, high, terms))
}

/// An energy debt while the period is worked through.
struct OpenDebt {
    due: Date,
    unpaid: Kopecks,
    stretches: Vec<Stretch>,
    units: i128,
}

/// Debts and credit while payments are applied.
struct Ledger {
    debts: Vec<OpenDebt>,
    penalty_debt: Kopecks,
    credit: Kopecks,
}

impl Ledger {
    /// Applies the credit to energy debts, oldest first, then to the penalty debt; returns the
    /// part of each energy debt settled (index, amount).
    fn settle(&mut self) -> Vec<(usize, Kopecks)> {
        let mut taken = Vec::new();
        for (i, d) in self.debts.iter_mut().enumerate() {
            if self.credit.0 <= 0 {
                break;
            }
            let take = Kopecks(self.credit.0.min(d.unpaid.0));
            if take.0 > 0 {
                d.unpaid = Kopecks(d.unpaid.0 - take.0);
                self.credit = Kopecks(self.credit.0 - take.0);
                taken.push((i, take));
            }
        }
        let take = Kopecks(self.credit.0.min(self.penalty_debt.0).max(0));
        self.penalty_debt = Kopecks(self.penalty_debt.0 - take.0);
        self.credit = Kopecks(self.credit.0 - take.0);
        taken
    }

    /// Penalties of `from ..= to` on what each debt has unpaid.
    fn accrue(&mut self, from: Date, to: Date, terms: &PenaltyTerms) -> Result<(), MoneyOverflow> {
        if to < from {
            return Ok(());
        }
        for d in &mut self.debts {
            let (s, units) = stretches(d.unpaid, d.due, from, to, terms);
            d.stretches.extend(s);
            d.units = d.units.checked_add(units).ok_or(MoneyOverflow)?;
        }
        Ok(())
    }
}

/// «по счёту за сентябрь 2026 (срок оплаты 15.10.2026)»: the invoice a debt comes from (its due
/// date is in the month after its period).
fn debt_label(due: Date) -> String {
    format!(
        "по счёту за {} (срок оплаты {})",
        Period::of(due).prev().label_ru(),
        due.strftime("%d.%m.%Y")
    )
}

/// The penalty lines of a period: one per debt that bore penalties, and one reversal per late
/// payment that had been charged penalties after its date.
fn penalties(
    input: &StatementInput<'_>,
    ledger: &mut Ledger,
    payments: &[(Date, Kopecks)],
    lines: &mut Vec<Line>,
) -> Result<Kopecks, MoneyOverflow> {
    let terms = &input.penalty_terms;
    let rate = terms.rate_label();
    let first = input.period.first_day();
    let last = input.period.last_day();
    let before = input.period.prev().last_day();
    let mut reversals: Vec<Line> = Vec::new();
    let mut cursor = first;
    for (day, amount) in payments {
        ledger.credit = ledger.credit.checked_add(*amount)?;
        if *day < first {
            // Late: settles as of the first day; what closed periods charged on the part it
            // paid for the days after its date is reversed.
            let from = day.tomorrow().unwrap_or(*day);
            let mut parts = Vec::new();
            let mut units = 0i128;
            for (i, part) in ledger.settle() {
                let due = ledger.debts[i].due;
                let (s, u) = stretches(part, due, from, before, terms);
                units = units.checked_add(u).ok_or(MoneyOverflow)?;
                parts.extend(
                    s.iter()
                        .map(|s| format!("{} {}", s.text(&rate), debt_label(due))),
                );
            }
            let amount_back = penalty_from_units(units)?;
            if amount_back.0 > 0 {
                reversals.push(Line {
                    kind: LineKind::Penalty,
                    rule: "penalty",
                    clause: PENALTY_CLAUSE,
                    explanation: format!(
                        "перерасчёт пени: платёж от {} на {amount} зачислен после закрытия периода, пени после дня оплаты сняты: {}",
                        day.strftime("%d.%m.%Y"),
                        parts.join(" + ")
                    ),
                    zone: "",
                    energy: Wh(0),
                    rate: TariffRate(0),
                    amount: Kopecks(-amount_back.0),
                });
            }
        } else {
            // The day of payment still bears penalties on what it pays (ЖК 155 ч. 14: «по
            // день фактической оплаты»).
            let day = (*day).min(last);
            ledger.accrue(cursor, day, terms)?;
            cursor = day.tomorrow().unwrap_or(day).max(cursor);
            ledger.settle();
        }
    }
    ledger.accrue(cursor, last, terms)?;

    let mut total = Kopecks::ZERO;
    for d in &ledger.debts {
        let amount = penalty_from_units(d.units)?;
        if amount.0 == 0 {
            continue;
        }
        total = total.checked_add(amount)?;
        lines.push(Line {
            kind: LineKind::Penalty,
            rule: "penalty",
            clause: PENALTY_CLAUSE,
            explanation: format!(
                "пени за {} {}: {}",
                input.period.label_ru(),
                debt_label(d.due),
                d.stretches
                    .iter()
                    .map(|s| s.text(&rate))
                    .collect::<Vec<_>>()
                    .join(" + ")
            ),
            zone: "",
            energy: Wh(0),
            rate: TariffRate(0),
            amount,
        });
    }
    for r in reversals {
        total = total.checked_add(r.amount)?;
        lines.push(r);
    }
    Ok(total)
}

/// `total` spread over `n` periods so the parts add up exactly: equal shares, the watt-hours
/// left over from the division one each to the latest periods.
fn spread(total: Wh, n: u32) -> Vec<Wh> {
    let n = i64::from(n.max(1));
    let q = total.0.div_euclid(n);
    let r = total.0.rem_euclid(n);
    (0..n).map(|i| Wh(q + i64::from(i >= n - r))).collect()
}

/// The energy lines of the period by the volume's rule, and what the next period carries of
/// them: the history of monthly volumes and what waits for a recalculation (п. 61).
fn energy_lines(
    input: &StatementInput<'_>,
    volume: &Volume,
    lines: &mut Vec<Line>,
    next: &mut CarriedState,
) -> Result<(), MoneyOverflow> {
    let prev = &input.prev;
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
        // The readings cover this period and every one billed without them since the last
        // ones (by the average and by the norm): the history gets the monthly share of each,
        // and what was billed is reversed (п. 61).
        let covered = prev.periods_pending.saturating_add(1);
        next.history.extend(spread(volume.energy, covered));
        if prev.pending != Kopecks::ZERO {
            let n = prev.periods_pending;
            lines.push(Line {
                kind: LineKind::Recalculation,
                rule: "p61",
                clause: "ПП 354 п. 61",
                explanation: format!(
                    "перерасчёт за {n} пред. {} без показаний (по среднемесячному объёму, затем по нормативу): начисленные {} сняты; объём по показаниям {} распределён на {covered} {} (этот и {n} пред.)",
                    periods_word(n),
                    prev.pending_wh.display_kwh(),
                    volume.energy.display_kwh(),
                    periods_word(covered),
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
            next.periods_pending = prev.periods_pending.saturating_add(1);
            next.pending_wh = Wh(prev
                .pending_wh
                .0
                .checked_add(volume.energy.0)
                .ok_or(MoneyOverflow)?);
            next.pending = prev.pending.checked_add(amount)?;
        } else if matches!(volume.rule, VolumeRule::Average { .. }) {
            next.periods_on_average = prev.periods_on_average + 1;
        } else {
            next.periods_on_average = prev.periods_on_average;
        }
    }
    Ok(())
}

/// What was owed at the start of the period: the debts by their due dates, unpaid penalties
/// and a credit.
fn opening_ledger(prev: &CarriedState) -> Ledger {
    let mut ledger = Ledger {
        debts: prev
            .debts
            .iter()
            .filter(|d| d.1 .0 > 0)
            .map(|(due, k)| OpenDebt {
                due: *due,
                unpaid: *k,
                stretches: Vec::new(),
                units: 0,
            })
            .collect(),
        penalty_debt: Kopecks(prev.penalty_debt.0.max(0)),
        credit: Kopecks((-prev.closing.0).max(0)),
    };
    ledger.debts.sort_by_key(|d| d.due);
    ledger
}

/// Adds the period's charge (or credit) and its penalties (or their reversal) to the ledger.
fn post_period(
    ledger: &mut Ledger,
    charged: Kopecks,
    pen: Kopecks,
    due_on: Date,
) -> Result<(), MoneyOverflow> {
    if charged.0 >= 0 {
        ledger.debts.push(OpenDebt {
            due: due_on,
            unpaid: charged,
            stretches: Vec::new(),
            units: 0,
        });
    } else {
        ledger.credit = ledger.credit.checked_sub(charged)?;
    }
    if pen.0 >= 0 {
        ledger.penalty_debt = ledger.penalty_debt.checked_add(pen)?;
    } else {
        let back = Kopecks(-pen.0);
        let off = Kopecks(back.0.min(ledger.penalty_debt.0));
        ledger.penalty_debt = ledger.penalty_debt.checked_sub(off)?;
        ledger.credit = ledger.credit.checked_add(back.checked_sub(off)?)?;
    }
    Ok(())
}

/// Computes the bill of one account for one period; [`MoneyOverflow`] when a sum leaves the
/// range of kopecks (inputs are bounded at the edges, so it names a defect or forged data).
pub fn compute(input: &StatementInput<'_>) -> Result<Statement, MoneyOverflow> {
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
    energy_lines(input, &volume, &mut lines, &mut next)?;
    if next.history.len() > HISTORY {
        next.history.drain(..next.history.len() - HISTORY);
    }
    let charged = Kopecks::checked_sum(lines.iter().map(|l| l.amount))?;

    // Payments in date order (late ones first), each settling as of its day.
    let mut payments = input.payments.clone();
    payments.sort_by_key(|p| p.0);
    let paid = Kopecks::checked_sum(payments.iter().map(|p| p.1))?;
    let mut ledger = opening_ledger(prev);
    ledger.settle();
    let pen = penalties(input, &mut ledger, &payments, &mut lines)?;

    // The new charge (or a credit), then the period's penalties (or their reversal), settled by
    // what is left of the payments: energy first.
    let due_on = input.period.due_date(input.due_day);
    post_period(&mut ledger, charged, pen, due_on)?;
    ledger.settle();

    let opening = prev.closing;
    let closing = opening
        .checked_add(charged)?
        .checked_add(pen)?
        .checked_sub(paid)?;
    next.debts = ledger
        .debts
        .iter()
        .filter(|d| d.unpaid.0 > 0)
        .map(|d| (d.due, d.unpaid))
        .collect();
    next.penalty_debt = ledger.penalty_debt;
    debug_assert_eq!(
        closing,
        Kopecks::checked_sum(next.debts.iter().map(|d| d.1))?
            .checked_add(next.penalty_debt)?
            .checked_sub(ledger.credit)?,
        "debts and the balance agree"
    );
    next.closing = closing;
    let residents = i64::from(input.residents.max(1));
    let norm_charge = Kopecks::for_energy(Wh(input.norm_per_resident.0 * residents), single);
    Ok(Statement {
        lines,
        opening,
        charged,
        paid,
        penalty: pen,
        closing,
        due_on,
        norm_charge,
        rule,
        next,
    })
}

/// PAY-04: a debt past due of more than two months of norm-based charges.
pub fn restriction_due(overdue: Kopecks, norm_charge: Kopecks) -> bool {
    norm_charge.0 > 0 && overdue.0 > 2 * norm_charge.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::penalty;
    use crate::tariffs::default_tariffs;
    use jiff::civil::date;
    use proptest::prelude::*;

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
            payments: Vec::new(),
            prev: CarriedState::default(),
            penalty_terms: terms(),
            due_day: 15,
        }
    }

    /// An account without a meter and a zero norm: no new charges, so only the carried debts
    /// and the payments move the balance.
    fn debts_only(p: &str, prev: CarriedState) -> StatementInput<'static> {
        let mut i = input(&urban(), p);
        i.meter = None;
        i.installation_possible = false;
        i.norm_per_resident = Wh(0);
        i.prev = prev;
        i
    }

    fn owing(debts: &[(Date, i64)]) -> CarriedState {
        let debts: Vec<(Date, Kopecks)> = debts.iter().map(|(d, k)| (*d, Kopecks(*k))).collect();
        CarriedState {
            closing: debts.iter().map(|d| d.1).sum(),
            debts,
            ..Default::default()
        }
    }

    fn urban() -> Tariff {
        default_tariffs()
            .into_iter()
            .find(|t| t.category == "urban")
            .unwrap()
    }

    fn penalty_lines(s: &Statement) -> Vec<&Line> {
        s.lines
            .iter()
            .filter(|l| l.kind == LineKind::Penalty)
            .collect()
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
        let s = compute(&i).unwrap();
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
        let s = compute(&i).unwrap();
        assert_eq!(s.rule, "average");
        assert_eq!(s.charged, Kopecks(31_200));
        assert_eq!(s.next.periods_on_average, 1);
        assert_eq!(s.next.periods_pending, 1);
        assert_eq!(s.next.pending, Kopecks(31_200));

        // The late reading arrives for December and covers both months: 260 kWh.
        let mut j = input(&t, "2026-12");
        j.prev = s.next.clone();
        j.readings = Some(vec![Wh::from_kwh(260)]);
        let s2 = compute(&j).unwrap();
        assert_eq!(s2.lines.len(), 2);
        assert_eq!(s2.lines[1].kind, LineKind::Recalculation);
        assert_eq!(s2.lines[1].clause, "ПП 354 п. 61");
        assert_eq!(s2.lines[1].amount, Kopecks(-31_200));
        assert!(
            s2.lines[1].explanation.contains("за 1 пред. период ")
                && s2.lines[1].explanation.contains("на 2 периода"),
            "{}",
            s2.lines[1].explanation
        );
        // 260 × 3,12 − 100 × 3,12 = 499,20 ₽
        assert_eq!(s2.charged, Kopecks(49_920));
        assert_eq!(s2.next.pending, Kopecks::ZERO);
        assert_eq!(s2.next.periods_on_average, 0);
        assert_eq!(s2.next.periods_pending, 0);
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
            let s = compute(&i).unwrap();
            rules.push(s.rule);
            prev = s.next;
            p = p.next();
        }
        assert_eq!(rules, ["average", "average", "average", "norm", "norm"]);
        // Norm: 100 × 2 residents at 3,12.
        assert_eq!(prev.pending, Kopecks(3 * 31_200 + 2 * 62_400));
        assert_eq!(prev.periods_on_average, 3, "the average's limit");
        assert_eq!(prev.periods_pending, 5, "the norm periods wait too");
    }

    #[test]
    fn a_late_reading_is_spread_over_every_period_billed_without_readings() {
        let t = urban();
        // Six months of 50 kWh: the average is 50 kWh for three periods, then the norm (200)
        // for two.
        let mut prev = CarriedState {
            history: vec![Wh::from_kwh(50); 6],
            ..Default::default()
        };
        let mut p = Period::parse("2026-04").unwrap();
        for _ in 0..5 {
            let mut i = input(&t, &p.to_string());
            i.prev = prev.clone();
            prev = compute(&i).unwrap().next;
            p = p.next();
        }
        assert_eq!(prev.periods_pending, 5);
        assert_eq!(prev.pending_wh, Wh::from_kwh(3 * 50 + 2 * 200));
        // The reading in September covers April … September: 720 kWh, 120 a month.
        let mut i = input(&t, &p.to_string());
        i.prev = prev.clone();
        i.readings = Some(vec![Wh::from_kwh(720)]);
        let s = compute(&i).unwrap();
        assert_eq!(s.next.history, vec![Wh::from_kwh(120); 6]);
        let recalc = &s.lines[1];
        assert_eq!(recalc.rule, "p61");
        assert_eq!(recalc.amount, Kopecks(-prev.pending.0));
        assert_eq!(recalc.energy, Wh(-prev.pending_wh.0));
        assert!(
            recalc.explanation.contains("за 5 пред. периодов")
                && recalc.explanation.contains("на 6 периодов"),
            "{}",
            recalc.explanation
        );
        // 720 × 3,12 − (150 + 400) × 3,12 = 530,40 ₽
        assert_eq!(s.charged, Kopecks(53_040));
        assert_eq!((s.next.periods_pending, s.next.pending), (0, Kopecks::ZERO));
        // The next average is of the spread months.
        let mut j = input(&t, &p.next().to_string());
        j.prev = s.next;
        let s2 = compute(&j).unwrap();
        assert_eq!(s2.rule, "average");
        assert_eq!(s2.lines[0].energy, Wh::from_kwh(120));
    }

    #[test]
    fn spread_adds_up_exactly() {
        assert_eq!(spread(Wh(1000), 3), vec![Wh(333), Wh(333), Wh(334)]);
        assert_eq!(spread(Wh(5), 1), vec![Wh(5)]);
        assert_eq!(spread(Wh(0), 0), vec![Wh(0)]);
        assert_eq!(periods_word(1), "период");
        assert_eq!(periods_word(3), "периода");
        assert_eq!(periods_word(5), "периодов");
        assert_eq!(periods_word(11), "периодов");
        assert_eq!(periods_word(21), "период");
    }

    #[test]
    fn payments_settle_oldest_first_and_penalties_run_on_the_rest() {
        let t = urban();
        let due_aug = date(2026, 8, 15);
        let mut i = input(&t, "2026-11");
        i.meter = None;
        i.installation_possible = false;
        i.prev = owing(&[(due_aug, 100_000), (date(2026, 9, 15), 200_000)]);
        i.payments = vec![(date(2026, 11, 1), Kopecks(150_000))];
        let s = compute(&i).unwrap();
        // The older debt is paid, half of the other stays.
        assert_eq!(s.next.debts[0], (date(2026, 9, 15), Kopecks(150_000)));
        // The day of payment still bears penalties on what it pays: 01.11 on 1 000 ₽ (day 78)
        // and on 2 000 ₽ (day 47); then 1 500 ₽ for 02.11 … 30.11 (days 48 … 76), all at
        // 1/300 of 9,5 %. (Before: the payment counted from the period's start, 14,25 ₽.)
        // 1 000 × 0,095 / 300 = 0,3167 → 0,32; (2 000 + 1 500 × 29) × 0,095 / 300 = 14,4083.
        assert_eq!(s.penalty, Kopecks(32 + 1441));
        let lines = penalty_lines(&s);
        assert_eq!(lines.len(), 2, "one line per debt");
        assert!(
            lines[1]
                .explanation
                .contains("по счёту за август 2026 (срок оплаты 15.09.2026)")
                && lines[1]
                    .explanation
                    .contains("2\u{a0}000,00\u{a0}₽ × 1 дн. (01.11–01.11) × 1/300 × 9,5\u{a0}%")
                && lines[1]
                    .explanation
                    .contains("1\u{a0}500,00\u{a0}₽ × 29 дн. (02.11–30.11) × 1/300 × 9,5\u{a0}%"),
            "{}",
            lines[1].explanation
        );
        // The norm: 100 × 2 × 3,12 = 624 ₽
        assert_eq!(s.charged, Kopecks(62_400));
        assert_eq!(s.closing, Kopecks(300_000 + 62_400 + 1473 - 150_000));
        assert_eq!(s.next.penalty_debt, Kopecks(1473));
        assert_eq!(
            s.next.debts.iter().map(|d| d.1).sum::<Kopecks>() + s.next.penalty_debt,
            s.closing
        );
        assert_eq!(s.norm_charge, Kopecks(62_400));
    }

    #[test]
    fn prepayment_is_a_credit() {
        let t = urban();
        let mut i = input(&t, "2026-11");
        i.readings = Some(vec![Wh::from_kwh(100)]);
        i.payments = vec![(date(2026, 11, 10), Kopecks(100_000))];
        let s = compute(&i).unwrap();
        assert_eq!(s.closing, Kopecks(31_200 - 100_000));
        assert!(s.next.debts.is_empty());
        let mut j = input(&t, "2026-12");
        j.prev = s.next;
        j.readings = Some(vec![Wh::from_kwh(100)]);
        let s2 = compute(&j).unwrap();
        assert_eq!(s2.closing, Kopecks(31_200 * 2 - 100_000));
        assert!(s2.next.debts.is_empty(), "the credit covers December");
        assert_eq!(s2.penalty, Kopecks::ZERO);
    }

    #[test]
    fn penalty_band_boundaries_by_day() {
        let due = date(2026, 9, 15);
        let day = |k: i64| due.checked_add(jiff::Span::new().days(k)).unwrap();
        let one = |k: i64| penalty_days(due, day(k), day(k));
        assert_eq!(one(0), (0, 0), "the due date");
        assert_eq!(one(30), (0, 0), "the 30th day is free");
        assert_eq!(one(31), (1, 0), "the 31st at 1/300");
        assert_eq!(one(90), (1, 0), "the 90th at 1/300");
        assert_eq!(one(91), (0, 1), "the 91st at 1/130");
        assert_eq!(penalty_days(due, day(1), day(200)), (60, 110));
        assert_eq!(penalty_days(due, day(50), day(40)), (0, 0));
    }

    #[test]
    fn penalties_day_by_day_across_month_ends_and_both_bands() {
        // August's 3 000 ₽, due 15.09.2026, never paid.
        let due = date(2026, 9, 15);
        let mut prev = owing(&[(due, 300_000)]);
        let mut got = Vec::new();
        for p in ["2026-09", "2026-10", "2026-11", "2026-12"] {
            let s = compute(&debts_only(p, prev)).unwrap();
            got.push((
                s.penalty.0,
                penalty_lines(&s)
                    .iter()
                    .map(|l| l.explanation.clone())
                    .collect::<Vec<_>>(),
            ));
            prev = s.next;
        }
        // September: days 1 … 15. October: the 31st day is 16.10 — 16 days at 1/300:
        // 3 000 × 0,095 / 300 × 16 = 15,20 ₽. November: days 47 … 76, 30 at 1/300: 28,50 ₽.
        // December: days 77 … 90 (01.12 … 14.12) at 1/300, days 91 … 107 (15.12 … 31.12) at
        // 1/130: 3 000 × 0,095 × (14/300 + 17/130) = 50,5692 → 50,57 ₽.
        assert_eq!(got[0], (0, vec![]));
        assert_eq!(got[1].0, 1520);
        assert!(
            got[1].1[0]
                .contains("3\u{a0}000,00\u{a0}₽ × 16 дн. (16.10–31.10) × 1/300 × 9,5\u{a0}%"),
            "{:?}",
            got[1].1
        );
        assert_eq!(got[2].0, 2850);
        assert_eq!(got[3].0, 5057);
        assert!(
            got[3].1[0].contains("14 дн. (01.12–14.12) × 1/300")
                && got[3].1[0].contains("17 дн. (15.12–31.12) × 1/130"),
            "{:?}",
            got[3].1
        );
        // Period by period, the same as in one go to 31.12 (107 days).
        assert_eq!(
            Kopecks(1520 + 2850 + 5057),
            penalty(Kopecks(300_000), due, date(2026, 12, 31), &terms())
        );
        // And none of it on penalties: the debt that bears them is still the 3 000 ₽.
        assert_eq!(prev.debts, vec![(due, Kopecks(300_000))]);
        assert_eq!(prev.penalty_debt, Kopecks(9427));
        assert_eq!(prev.closing, Kopecks(300_000 + 9427));
    }

    #[test]
    fn a_payment_on_the_due_date_leaves_no_penalty() {
        let due = date(2026, 10, 15);
        let mut i = debts_only("2026-10", owing(&[(due, 100_000)]));
        i.payments = vec![(due, Kopecks(100_000))];
        let s = compute(&i).unwrap();
        assert_eq!(s.penalty, Kopecks::ZERO);
        assert!(s.next.debts.is_empty());
        let s2 = compute(&debts_only("2026-11", s.next)).unwrap();
        assert_eq!((s2.penalty, s2.closing), (Kopecks::ZERO, Kopecks::ZERO));
    }

    #[test]
    fn the_day_of_payment_bears_penalties_the_day_after_does_not() {
        // Due 15.10: the 30th day is 14.11, the 31st 15.11, the 45th 29.11.
        let due = date(2026, 10, 15);
        let pay = |on: Date, amount: i64| {
            let mut i = debts_only("2026-11", owing(&[(due, 300_000)]));
            i.payments = vec![(on, Kopecks(amount))];
            compute(&i).unwrap()
        };
        assert_eq!(pay(date(2026, 11, 14), 300_000).penalty, Kopecks::ZERO);
        // Paid on the 31st day: that day counts (3 000 × 0,095 / 300 = 0,95 ₽).
        assert_eq!(pay(date(2026, 11, 15), 300_000).penalty, Kopecks(95));
        // Paid in full on day 45 (29.11): days 31 … 45 inclusive, 15 days = 14,25 ₽; nothing
        // for 30.11.
        let s = pay(date(2026, 11, 29), 300_000);
        assert_eq!(s.penalty, Kopecks(1425));
        assert!(
            penalty_lines(&s)[0]
                .explanation
                .contains("× 15 дн. (15.11–29.11) × 1/300"),
            "{}",
            penalty_lines(&s)[0].explanation
        );
        assert_eq!(s.closing, Kopecks(1425), "the penalty stays owed");
        assert!(s.next.debts.is_empty());
    }

    #[test]
    fn a_partial_payment_lowers_the_base_from_the_next_day() {
        let due = date(2026, 10, 15);
        let mut i = debts_only("2026-11", owing(&[(due, 300_000)]));
        i.payments = vec![(date(2026, 11, 29), Kopecks(100_000))];
        let s = compute(&i).unwrap();
        // 3 000 ₽ × 15 days (15.11 … 29.11) + 2 000 ₽ × 1 day (30.11), at 1/300 of 9,5 %:
        // (45 000 + 2 000) × 0,095 / 300 = 14,8833 → 14,88 ₽, rounded once for the debt.
        assert_eq!(s.penalty, Kopecks(1488));
        let l = &penalty_lines(&s)[0].explanation;
        assert!(
            l.contains("3\u{a0}000,00\u{a0}₽ × 15 дн. (15.11–29.11)")
                && l.contains("2\u{a0}000,00\u{a0}₽ × 1 дн. (30.11–30.11)"),
            "{l}"
        );
        assert_eq!(s.next.debts, vec![(due, Kopecks(200_000))]);
        // Two payments on the same day are one payment.
        let mut j = debts_only("2026-11", owing(&[(due, 300_000)]));
        j.payments = vec![
            (date(2026, 11, 29), Kopecks(60_000)),
            (date(2026, 11, 29), Kopecks(40_000)),
        ];
        let s2 = compute(&j).unwrap();
        assert_eq!((s2.penalty, s2.closing), (s.penalty, s.closing));
    }

    #[test]
    fn payments_settle_energy_before_penalties() {
        let due = date(2026, 9, 15);
        let mut prev = owing(&[(due, 100_000)]);
        prev.penalty_debt = Kopecks(5_000);
        prev.closing = Kopecks(105_000);
        let mut i = debts_only("2026-10", prev);
        i.payments = vec![(date(2026, 10, 1), Kopecks(102_000))];
        let s = compute(&i).unwrap();
        assert!(s.next.debts.is_empty(), "the energy debt is paid first");
        assert_eq!(s.next.penalty_debt, Kopecks(3_000));
        assert_eq!(s.closing, Kopecks(3_000));
        assert_eq!(s.penalty, Kopecks::ZERO, "paid before its 31st day");
    }

    #[test]
    fn penalties_never_compound_over_several_periods() {
        // A client who never pays: every period's penalty is that of the charges alone,
        // whatever penalties are owed already.
        let t = urban();
        let mut prev = CarriedState::default();
        let mut charges: Vec<(Date, Kopecks)> = Vec::new();
        let mut p = Period::parse("2026-01").unwrap();
        for _ in 0..12 {
            let mut i = input(&t, &p.to_string());
            i.meter = None;
            i.installation_possible = false;
            i.prev = prev.clone();
            let s = compute(&i).unwrap();
            let want: i64 = charges
                .iter()
                .map(|(due, k)| {
                    let (low, high) = penalty_days(*due, p.first_day(), p.last_day());
                    penalty_from_units(penalty_units(*k, low, high, &terms()))
                        .unwrap()
                        .0
                })
                .sum();
            assert_eq!(s.penalty.0, want, "{p}");
            // The same bill with no penalties owed before.
            let mut i0 = i.clone();
            i0.prev.penalty_debt = Kopecks::ZERO;
            i0.prev.closing = Kopecks(i.prev.closing.0 - i.prev.penalty_debt.0);
            assert_eq!(compute(&i0).unwrap().penalty, s.penalty, "{p}");
            charges.push((s.due_on, s.charged));
            assert_eq!(
                s.next.debts, charges,
                "debts are the charges, not the penalties"
            );
            prev = s.next;
            p = p.next();
        }
        assert!(prev.penalty_debt.0 > 0);
    }

    #[test]
    fn a_late_payment_reverses_the_penalty_charged_after_its_date() {
        // July's 1 000 ₽, due 15.08: September bears 15.09 … 30.09 (16 days, 5,07 ₽).
        let due = date(2026, 8, 15);
        let sep = compute(&debts_only("2026-09", owing(&[(due, 100_000)]))).unwrap();
        assert_eq!(sep.penalty, Kopecks(507));
        // The client paid on 20.09; the bank's registry came after September was closed.
        let mut i = debts_only("2026-10", sep.next.clone());
        i.payments = vec![(date(2026, 9, 20), Kopecks(100_000))];
        let oct = compute(&i).unwrap();
        // 21.09 … 30.09 are taken back: 1 000 × 0,095 / 300 × 10 = 3,17 ₽.
        assert_eq!(oct.penalty, Kopecks(-317));
        let l = penalty_lines(&oct);
        assert_eq!(l.len(), 1);
        assert!(
            l[0].explanation.contains("платёж от 20.09.2026")
                && l[0].explanation.contains("× 10 дн. (21.09–30.09) × 1/300"),
            "{}",
            l[0].explanation
        );
        // Penalties exactly to the day of payment: 15.09 … 20.09, 6 days = 1,90 ₽.
        assert_eq!(oct.closing, Kopecks(507 - 317));
        assert_eq!(oct.next.penalty_debt, Kopecks(190));
        assert!(oct.next.debts.is_empty());
    }

    #[test]
    fn a_recalculation_credit_settles_old_debts_then_penalties() {
        let t = urban();
        let mut prev = owing(&[(date(2026, 10, 15), 10_000)]);
        prev.penalty_debt = Kopecks(500);
        prev.closing = Kopecks(10_500);
        prev.periods_pending = 1;
        prev.pending = Kopecks(50_000);
        prev.pending_wh = Wh::from_kwh(160);
        let mut i = input(&t, "2026-11");
        i.prev = prev;
        i.readings = Some(vec![Wh::from_kwh(10)]);
        let s = compute(&i).unwrap();
        // 10 × 3,12 − 500 = −468,80 ₽. The 100 ₽ bore penalties 15.11 … 30.11 (16 days,
        // 0,51 ₽) before the credit came at the period's end; the credit pays the 100 ₽, then
        // 5,51 ₽ of penalties, and 363,29 ₽ stay ahead.
        assert_eq!(s.charged, Kopecks(3_120 - 50_000));
        assert_eq!(s.penalty, Kopecks(51));
        assert!(s.next.debts.is_empty());
        assert_eq!(s.next.penalty_debt, Kopecks::ZERO);
        assert_eq!(s.closing, Kopecks(10_500 + 3_120 - 50_000 + 51));
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

    /// A consistent previous state: debts (due before the period ends) and penalties owed, or
    /// an advance.
    fn any_prev(period: Period) -> impl Strategy<Value = CarriedState> {
        let first = period.first_day();
        (
            prop::collection::vec((0i64..400, 1i64..=MAX_AMOUNT), 0..8),
            0i64..=MAX_AMOUNT,
            0i64..=MAX_AMOUNT,
            any::<bool>(),
        )
            .prop_map(move |(debts, penalty_debt, advance, prepaid)| {
                if prepaid {
                    return CarriedState {
                        closing: Kopecks(-advance),
                        ..Default::default()
                    };
                }
                let mut debts: Vec<(Date, Kopecks)> = debts
                    .into_iter()
                    .map(|(ago, k)| {
                        (
                            first.checked_sub(jiff::Span::new().days(ago)).unwrap(),
                            Kopecks(k),
                        )
                    })
                    .collect();
                debts.sort_by_key(|d| d.0);
                let closing = debts.iter().map(|d| d.1).sum::<Kopecks>() + Kopecks(penalty_debt);
                CarriedState {
                    closing,
                    debts,
                    penalty_debt: Kopecks(penalty_debt),
                    ..Default::default()
                }
            })
    }

    /// Payments dated from 60 days before the period to its last day.
    fn any_payments(period: Period) -> impl Strategy<Value = Vec<(Date, Kopecks)>> {
        let first = period.first_day();
        prop::collection::vec((-60i64..31, 1i64..=MAX_AMOUNT), 0..6).prop_map(move |v| {
            v.into_iter()
                .map(|(d, k)| {
                    let day = first
                        .checked_add(jiff::Span::new().days(d))
                        .unwrap()
                        .min(period.last_day());
                    (day, Kopecks(k))
                })
                .collect()
        })
    }

    /// Amounts as large as the edges let in (10 000 000 ₽ a payment).
    const MAX_AMOUNT: i64 = crate::money::MAX_PAYMENT_DEFAULT.0;

    fn nov() -> Period {
        Period::parse("2026-11").unwrap()
    }

    proptest! {
        #[test]
        fn penalty_is_monotone_in_days_and_base(
            b1 in 0i64..=MAX_AMOUNT, extra in 0i64..=MAX_AMOUNT,
            d1 in 0i32..400, more in 0i32..400,
        ) {
            let due = date(2026, 1, 15);
            let at = |d: i32| due.checked_add(jiff::Span::new().days(d)).unwrap();
            let t = terms();
            let small = penalty(Kopecks(b1), due, at(d1), &t);
            prop_assert!(small <= penalty(Kopecks(b1 + extra), due, at(d1), &t));
            prop_assert!(small <= penalty(Kopecks(b1), due, at(d1 + more), &t));
        }

        #[test]
        fn penalty_days_add_up_over_any_split(from in 0i64..300, len in 0i64..300, cut in 0i64..300) {
            let due = date(2026, 1, 15);
            let at = |d: i64| due.checked_add(jiff::Span::new().days(d)).unwrap();
            let (f, t) = (from, from + len);
            let m = f + cut.min(len);
            let (a, b) = penalty_days(due, at(f), at(m));
            let (c, d) = penalty_days(due, at(m + 1), at(t));
            prop_assert_eq!((a + c, b + d), penalty_days(due, at(f), at(t)));
            // And the cumulative penalty is the same sum rounded once.
            let (low, high) = penalty_days(due, at(1), at(t));
            prop_assert_eq!(
                penalty(Kopecks(123_457), due, at(t), &terms()),
                penalty_from_units(penalty_units(Kopecks(123_457), low, high, &terms())).unwrap()
            );
        }

        #[test]
        fn the_balance_adds_up_and_never_overflows(
            prev in any_prev(nov()),
            payments in any_payments(nov()),
            readings in prop::option::of(0i64..100_000),
        ) {
            let mut i = input(&urban(), "2026-11");
            i.prev = prev;
            i.payments = payments;
            i.readings = readings.map(|k| vec![Wh::from_kwh(k)]);
            let s = compute(&i).expect("bounded inputs never overflow");
            prop_assert_eq!(s.closing, s.opening + s.charged + s.penalty - s.paid);
            prop_assert_eq!(s.penalty, s.lines.iter().filter(|l| l.kind == LineKind::Penalty).map(|l| l.amount).sum::<Kopecks>());
            let owed = s.next.debts.iter().map(|d| d.1).sum::<Kopecks>() + s.next.penalty_debt;
            if s.closing.0 >= 0 {
                prop_assert_eq!(owed, s.closing);
            } else {
                prop_assert_eq!(owed, Kopecks::ZERO, "an advance leaves nothing owed");
            }
            prop_assert!(s.next.debts.iter().all(|d| d.1 .0 > 0));
            prop_assert!(s.next.penalty_debt.0 >= 0);
        }

        #[test]
        fn penalties_owed_never_bear_penalties(
            prev in any_prev(nov()),
            payments in any_payments(nov()),
            owed in 0i64..=MAX_AMOUNT,
        ) {
            let mut i = debts_only("2026-11", prev);
            i.payments = payments;
            let base = compute(&i).unwrap();
            if i.prev.closing.0 >= 0 {
                i.prev.penalty_debt = i.prev.penalty_debt + Kopecks(owed);
                i.prev.closing = i.prev.closing + Kopecks(owed);
                let more = compute(&i).unwrap();
                prop_assert_eq!(more.penalty, base.penalty);
                prop_assert_eq!(more.closing, base.closing + Kopecks(owed));
            }
        }

        #[test]
        fn paying_later_never_costs_less(
            prev in any_prev(nov()),
            day in 1i8..=30, later in 0i8..=29, amount in 1i64..=MAX_AMOUNT,
        ) {
            let on = |d: i8| date(2026, 11, d.min(30));
            let mut i = debts_only("2026-11", prev);
            i.payments = vec![(on(day), Kopecks(amount))];
            let early = compute(&i).unwrap().penalty;
            i.payments = vec![(on(day + later), Kopecks(amount))];
            prop_assert!(early <= compute(&i).unwrap().penalty);
        }
    }
}
