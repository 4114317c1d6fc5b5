//! The working calendar (производственный календарь, ORG-06) and deadlines computed on it.
//!
//! Every deadline of the standard ("15 calendar days", §7.2.4, §8.2.4) is counted in calendar
//! days and, when it lands on a non-working day, moved to the next working day (ГК РФ ст. 193).
//! Which days are non-working is data: the Russian production calendar with the government's
//! transfers, shipped for the years it has been published and editable by an administrator.
//! A year without data falls back to the fixed holidays of ТК РФ ст. 112, and says so.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Weekday};
use jiff::ToSpan;
use serde::{Deserialize, Serialize};

/// How a date differs from an ordinary Monday–Friday week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// Нерабочий праздничный день (ТК РФ ст. 112 ч. 1).
    Holiday,
    /// A weekday made a day off by a transfer.
    DayOff,
    /// A Saturday or Sunday made a working day by a transfer.
    WorkingWeekend,
    /// A working day shortened by one hour before a holiday (ТК РФ ст. 95).
    Short,
}

impl DayKind {
    pub const ALL: [DayKind; 4] = [
        DayKind::Holiday,
        DayKind::DayOff,
        DayKind::WorkingWeekend,
        DayKind::Short,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::DayOff => "day_off",
            DayKind::WorkingWeekend => "working_weekend",
            DayKind::Short => "short",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label_ru(self) -> &'static str {
        match self {
            DayKind::Holiday => "праздничный день",
            DayKind::DayOff => "перенесённый выходной",
            DayKind::WorkingWeekend => "рабочий выходной (перенос)",
            DayKind::Short => "сокращённый день",
        }
    }

    /// Whether a day of this kind is worked.
    pub fn is_working(self) -> bool {
        matches!(self, DayKind::WorkingWeekend | DayKind::Short)
    }
}

/// One special date of a year's calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDay {
    pub date: Date,
    pub kind: DayKind,
}

/// A year of the production calendar as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarYear {
    pub year: i16,
    /// Where the data comes from (the decree), shown to staff.
    pub source: String,
    pub days: Vec<SpecialDay>,
}

/// The shipped data file could not be read: a build defect, caught by the tests.
#[derive(Debug, thiserror::Error)]
pub enum CalendarDataError {
    #[error("calendar data: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("calendar data: date {date} is not in year {year}")]
    WrongYear { year: i16, date: Date },
}

#[derive(Deserialize)]
struct DataFile {
    year: Vec<DataYear>,
}

#[derive(Deserialize)]
struct DataYear {
    year: i16,
    source: String,
    holidays: Vec<Date>,
    days_off: Vec<Date>,
    working_weekends: Vec<Date>,
    short_days: Vec<Date>,
}

const SHIPPED: &str = include_str!("../data/calendar_ru.toml");

/// Parses calendar years from the TOML layout of `data/calendar_ru.toml`.
pub fn parse_calendar_data(text: &str) -> Result<Vec<CalendarYear>, CalendarDataError> {
    let file: DataFile = toml::from_str(text)?;
    file.year
        .into_iter()
        .map(|y| {
            let mut days = Vec::new();
            for (list, kind) in [
                (&y.holidays, DayKind::Holiday),
                (&y.days_off, DayKind::DayOff),
                (&y.working_weekends, DayKind::WorkingWeekend),
                (&y.short_days, DayKind::Short),
            ] {
                for &date in list {
                    if date.year() != y.year {
                        return Err(CalendarDataError::WrongYear { year: y.year, date });
                    }
                    days.push(SpecialDay { date, kind });
                }
            }
            days.sort_by_key(|d| (d.date, d.kind));
            Ok(CalendarYear {
                year: y.year,
                source: y.source,
                days,
            })
        })
        .collect()
}

/// The production calendar years that ship with Abonent (2025, 2026, …).
/// The data is checked by a test; were it ever unreadable, no year would be official and every
/// deadline would follow the Labour Code fallback (which the deadline's basis then says).
pub fn shipped_years() -> Vec<CalendarYear> {
    parse_calendar_data(SHIPPED).unwrap_or_default()
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The fixed non-working holidays of ТК РФ ст. 112 ч. 1, as (month, day).
const LABOUR_CODE_HOLIDAYS: [(i8, i8); 14] = [
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 6),
    (1, 7),
    (1, 8),
    (2, 23),
    (3, 8),
    (5, 1),
    (5, 9),
    (6, 12),
    (11, 4),
];

/// A year's days when no decree is known: the holidays of ст. 112 ч. 1 and the automatic move of
/// a day off from a holiday that falls on a weekend to the next working day (ст. 112 ч. 2; the
/// January holidays are excluded from that rule).
pub fn labour_code_year(year: i16) -> CalendarYear {
    let holidays: BTreeSet<Date> = LABOUR_CODE_HOLIDAYS
        .iter()
        .filter_map(|&(m, d)| Date::new(year, m, d).ok())
        .collect();
    let mut days: Vec<SpecialDay> = holidays
        .iter()
        .map(|&date| SpecialDay {
            date,
            kind: DayKind::Holiday,
        })
        .collect();
    let mut taken: BTreeSet<Date> = BTreeSet::new();
    for &h in holidays
        .iter()
        .filter(|h| h.month() != 1 && is_weekend(**h))
    {
        let mut d = h;
        loop {
            let Ok(next) = d.tomorrow() else { break };
            d = next;
            if !is_weekend(d) && !holidays.contains(&d) && !taken.contains(&d) {
                break;
            }
        }
        if d.year() == year {
            taken.insert(d);
            days.push(SpecialDay {
                date: d,
                kind: DayKind::DayOff,
            });
        }
    }
    days.sort_by_key(|d| (d.date, d.kind));
    CalendarYear {
        year,
        source: "ТК РФ ст. 112 (постановление о переносе выходных на этот год не загружено)".into(),
        days,
    }
}

/// Whether a day's status comes from a loaded calendar or from the Labour Code fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Basis {
    Official,
    LabourCodeFallback,
}

/// The working calendar in force: loaded years plus the Labour Code fallback for the others.
#[derive(Debug, Clone, Default)]
pub struct WorkingCalendar {
    official_years: BTreeSet<i16>,
    days: BTreeMap<Date, DayKind>,
}

/// A deadline and how it was reached, so the UI can explain it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub date: Date,
    /// The calendar date the count reached, when it was a non-working day and the deadline moved.
    pub moved_from: Option<Date>,
    /// `LabourCodeFallback` when any day consulted lies in a year without calendar data.
    pub basis: Basis,
}

impl WorkingCalendar {
    /// A calendar from the given years; any other year uses the Labour Code fallback.
    pub fn new(years: &[CalendarYear]) -> Self {
        let mut cal = Self::default();
        for y in years {
            cal.official_years.insert(y.year);
            for d in &y.days {
                // A short day that is also listed otherwise keeps the stronger kind.
                cal.days
                    .entry(d.date)
                    .and_modify(|k| {
                        if *k == DayKind::Short {
                            *k = d.kind
                        }
                    })
                    .or_insert(d.kind);
            }
        }
        cal
    }

    /// The shipped calendar.
    pub fn shipped() -> Self {
        Self::new(&shipped_years())
    }

    pub fn is_official(&self, year: i16) -> bool {
        self.official_years.contains(&year)
    }

    fn kind_of(&self, d: Date) -> Option<DayKind> {
        if self.is_official(d.year()) {
            self.days.get(&d).copied()
        } else {
            labour_code_year(d.year())
                .days
                .into_iter()
                .find(|s| s.date == d)
                .map(|s| s.kind)
        }
    }

    /// Whether `d` is a working day under a five-day week.
    pub fn is_working_day(&self, d: Date) -> bool {
        match self.kind_of(d) {
            Some(k) => k.is_working(),
            None => !is_weekend(d),
        }
    }

    /// "N calendar days from `start`, moved to the next working day if it lands on a
    /// non-working one" (ГК РФ ст. 191 and 193). The count starts the day after `start`.
    pub fn deadline(&self, start: Date, calendar_days: i32) -> Deadline {
        // Beyond the supported range (year 9999) the last supported day stands.
        let reached = start.saturating_add(calendar_days.days());
        let mut basis = self.basis_for(reached);
        let mut date = reached;
        while !self.is_working_day(date) {
            let Ok(next) = date.tomorrow() else { break };
            date = next;
            if self.basis_for(date) == Basis::LabourCodeFallback {
                basis = Basis::LabourCodeFallback;
            }
        }
        Deadline {
            date,
            moved_from: (date != reached).then_some(reached),
            basis,
        }
    }

    fn basis_for(&self, d: Date) -> Basis {
        if self.is_official(d.year()) {
            Basis::Official
        } else {
            Basis::LabourCodeFallback
        }
    }

    /// Working days in a year, as the production calendar states it (for review by staff).
    pub fn working_days_in_year(&self, year: i16) -> usize {
        let Ok(mut d) = Date::new(year, 1, 1) else {
            return 0;
        };
        let mut n = 0;
        while d.year() == year {
            if self.is_working_day(d) {
                n += 1;
            }
            let Ok(next) = d.tomorrow() else { break };
            d = next;
        }
        n
    }
}

/// The short Russian words used when an administrator edits a year as text.
pub fn kind_word(k: DayKind) -> &'static str {
    match k {
        DayKind::Holiday => "праздник",
        DayKind::DayOff => "выходной",
        DayKind::WorkingWeekend => "рабочий",
        DayKind::Short => "сокращённый",
    }
}

/// A year's special days as editable text: one `ГГГГ-ММ-ДД вид` per line.
pub fn format_year_text(days: &[SpecialDay]) -> String {
    days.iter()
        .map(|d| format!("{} {}", d.date, kind_word(d.kind)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses the text of [`format_year_text`]; the error names the line, in Russian.
pub fn parse_year_text(year: i16, text: &str) -> Result<Vec<SpecialDay>, String> {
    let mut days = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let n = i + 1;
        let mut parts = line.split_whitespace();
        let (Some(d), Some(w), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!(
                "Строка {n}: нужно «дата вид», например «{year}-01-09 выходной»."
            ));
        };
        let date: Date = d
            .parse()
            .map_err(|_| format!("Строка {n}: дата «{d}» не распознана, пишите ГГГГ-ММ-ДД."))?;
        if date.year() != year {
            return Err(format!(
                "Строка {n}: дата {date} не относится к {year} году."
            ));
        }
        let word = w.to_lowercase().replace('ё', "е");
        let kind = DayKind::ALL
            .into_iter()
            .find(|k| kind_word(*k).replace('ё', "е") == word)
            .ok_or_else(|| {
                format!("Строка {n}: вид «{w}» не известен; допустимы: праздник, выходной, рабочий, сокращённый.")
            })?;
        let weekend = is_weekend(date);
        if kind == DayKind::WorkingWeekend && !weekend {
            return Err(format!(
                "Строка {n}: {date} — будний день, его не нужно объявлять рабочим."
            ));
        }
        if kind == DayKind::DayOff && weekend {
            return Err(format!(
                "Строка {n}: {date} — и так выходной (суббота или воскресенье)."
            ));
        }
        if days
            .iter()
            .any(|x: &SpecialDay| x.date == date && x.kind == kind)
        {
            return Err(format!("Строка {n}: {date} указана дважды."));
        }
        days.push(SpecialDay { date, kind });
    }
    days.sort_by_key(|d| (d.date, d.kind));
    Ok(days)
}

/// «09.01.2026» from `2026-01-09`; anything that is not an ISO date is shown as it is.
pub fn ru_date(iso: &str) -> String {
    match iso.parse::<jiff::civil::Date>() {
        Ok(d) => d.strftime("%d.%m.%Y").to_string(),
        Err(_) => iso.to_owned(),
    }
}

/// What a date is, as the month grid of the calendar shows it and as a click sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayMark {
    Working,
    Weekend,
    Holiday,
    Short,
}

impl DayMark {
    pub const ALL: [DayMark; 4] = [
        DayMark::Working,
        DayMark::Weekend,
        DayMark::Holiday,
        DayMark::Short,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DayMark::Working => "working",
            DayMark::Weekend => "weekend",
            DayMark::Holiday => "holiday",
            DayMark::Short => "short",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    pub fn label_ru(self) -> &'static str {
        match self {
            DayMark::Working => "рабочий день",
            DayMark::Weekend => "выходной",
            DayMark::Holiday => "праздничный день",
            DayMark::Short => "сокращённый день",
        }
    }

    /// What a click on a day of this mark makes it: рабочий → выходной → праздничный →
    /// сокращённый → рабочий.
    pub fn next(self) -> Self {
        match self {
            DayMark::Working => DayMark::Weekend,
            DayMark::Weekend => DayMark::Holiday,
            DayMark::Holiday => DayMark::Short,
            DayMark::Short => DayMark::Working,
        }
    }

    /// The mark of `date` given a year's special days.
    pub fn of(days: &[SpecialDay], date: Date) -> Self {
        match days.iter().find(|d| d.date == date).map(|d| d.kind) {
            Some(DayKind::Holiday) => DayMark::Holiday,
            Some(DayKind::DayOff) => DayMark::Weekend,
            Some(DayKind::WorkingWeekend) => DayMark::Working,
            Some(DayKind::Short) => DayMark::Short,
            None if is_weekend(date) => DayMark::Weekend,
            None => DayMark::Working,
        }
    }

    /// The special day that gives `date` this mark, or `None` when an ordinary week already
    /// does (a working Monday, a Saturday off).
    fn special_kind(self, date: Date) -> Option<DayKind> {
        match (self, is_weekend(date)) {
            (DayMark::Working, false) | (DayMark::Weekend, true) => None,
            (DayMark::Working, true) => Some(DayKind::WorkingWeekend),
            (DayMark::Weekend, false) => Some(DayKind::DayOff),
            (DayMark::Holiday, _) => Some(DayKind::Holiday),
            (DayMark::Short, _) => Some(DayKind::Short),
        }
    }
}

/// A year's special days with `date` set to `mark`, sorted by date.
pub fn with_day_marked(days: &[SpecialDay], date: Date, mark: DayMark) -> Vec<SpecialDay> {
    let mut out: Vec<SpecialDay> = days.iter().filter(|d| d.date != date).cloned().collect();
    if let Some(kind) = mark.special_kind(date) {
        out.push(SpecialDay { date, kind });
    }
    out.sort_by_key(|d| d.date);
    out
}

/// The weeks of a month, Monday first; days of other months are `None`. Empty for a month that
/// does not exist.
pub fn month_weeks(year: i16, month: i8) -> Vec<[Option<Date>; 7]> {
    let Ok(first) = Date::new(year, month, 1) else {
        return Vec::new();
    };
    let mut weeks = Vec::new();
    let mut week: [Option<Date>; 7] = [None; 7];
    let mut d = first;
    while d.month() == month && d.year() == year {
        let col = usize::try_from(d.weekday().to_monday_zero_offset()).unwrap_or(0);
        week[col] = Some(d);
        if col == 6 {
            weeks.push(week);
            week = [None; 7];
        }
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }
    if week.iter().any(Option::is_some) {
        weeks.push(week);
    }
    weeks
}

/// Month names for the calendar grid.
pub const MONTHS_RU: [&str; 12] = [
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
];

#[cfg(test)]
mod grid_tests {
    use super::*;

    fn date(y: i16, m: i8, d: i8) -> Date {
        Date::new(y, m, d).unwrap()
    }

    #[test]
    fn months_start_on_monday_columns() {
        // 1 January 2026 is a Thursday.
        let w = month_weeks(2026, 1);
        assert_eq!(w.len(), 5);
        assert_eq!(w[0][..3], [None, None, None]);
        assert_eq!(w[0][3], Some(date(2026, 1, 1)));
        assert_eq!(w[4][5], Some(date(2026, 1, 31)));
        assert_eq!(w[4][6], None);
        // February 2027 starts on a Monday and fills four weeks exactly.
        assert_eq!(month_weeks(2027, 2).len(), 4);
        assert!(month_weeks(2026, 13).is_empty());
    }

    #[test]
    fn marks_follow_the_week_and_the_special_days() {
        let days = vec![
            SpecialDay {
                date: date(2026, 1, 1),
                kind: DayKind::Holiday,
            },
            SpecialDay {
                date: date(2026, 1, 9),
                kind: DayKind::DayOff,
            },
            SpecialDay {
                date: date(2026, 1, 10),
                kind: DayKind::WorkingWeekend,
            },
            SpecialDay {
                date: date(2026, 4, 30),
                kind: DayKind::Short,
            },
        ];
        assert_eq!(DayMark::of(&days, date(2026, 1, 1)), DayMark::Holiday);
        assert_eq!(DayMark::of(&days, date(2026, 1, 9)), DayMark::Weekend);
        assert_eq!(DayMark::of(&days, date(2026, 1, 10)), DayMark::Working);
        assert_eq!(DayMark::of(&days, date(2026, 1, 11)), DayMark::Weekend);
        assert_eq!(DayMark::of(&days, date(2026, 1, 12)), DayMark::Working);
        assert_eq!(DayMark::of(&days, date(2026, 4, 30)), DayMark::Short);
    }

    #[test]
    fn a_click_cycles_the_mark_and_keeps_the_list_minimal() {
        let monday = date(2026, 1, 12);
        let saturday = date(2026, 1, 17);
        let mut days = Vec::new();
        let mut seen = Vec::new();
        for _ in 0..4 {
            let next = DayMark::of(&days, monday).next();
            days = with_day_marked(&days, monday, next);
            assert_eq!(DayMark::of(&days, monday), next);
            seen.push(next);
        }
        assert_eq!(
            seen,
            [
                DayMark::Weekend,
                DayMark::Holiday,
                DayMark::Short,
                DayMark::Working
            ]
        );
        // Back to an ordinary working Monday: nothing special is stored.
        assert!(days.is_empty());
        let days = with_day_marked(&days, saturday, DayMark::Working);
        assert_eq!(
            days,
            [SpecialDay {
                date: saturday,
                kind: DayKind::WorkingWeekend
            }]
        );
        assert!(with_day_marked(&days, saturday, DayMark::Weekend).is_empty());
        assert_eq!(DayMark::parse("short"), Some(DayMark::Short));
        assert_eq!(DayMark::parse("x"), None);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ru_date_formats_iso_dates() {
        assert_eq!(super::ru_date("2026-01-09"), "09.01.2026");
        assert_eq!(super::ru_date("—"), "—");
    }

    use super::*;
    use jiff::civil::date;

    fn cal() -> WorkingCalendar {
        WorkingCalendar::shipped()
    }

    #[test]
    fn shipped_data_parses_and_names_sources() {
        let years = shipped_years();
        assert!(years.iter().any(|y| y.year == 2025));
        assert!(years.iter().any(|y| y.year == 2026));
        assert!(years.iter().all(|y| y.source.contains("Постановление")));
    }

    #[test]
    fn working_day_totals_match_the_published_calendars() {
        // Both decrees give a five-day week 247 working days.
        assert_eq!(cal().working_days_in_year(2025), 247);
        assert_eq!(cal().working_days_in_year(2026), 247);
    }

    #[test]
    fn transfers_2025() {
        let c = cal();
        assert!(!c.is_working_day(date(2025, 5, 2)), "4 Jan moved to 2 May");
        assert!(!c.is_working_day(date(2025, 5, 8)), "23 Feb moved to 8 May");
        assert!(
            !c.is_working_day(date(2025, 6, 13)),
            "8 Mar moved to 13 Jun"
        );
        assert!(!c.is_working_day(date(2025, 11, 3)), "1 Nov moved to 3 Nov");
        assert!(
            !c.is_working_day(date(2025, 12, 31)),
            "5 Jan moved to 31 Dec"
        );
        assert!(
            c.is_working_day(date(2025, 11, 1)),
            "Saturday 1 Nov is worked"
        );
        assert!(
            c.is_working_day(date(2025, 2, 24)),
            "no automatic move of 23 Feb"
        );
        assert!(
            c.is_working_day(date(2025, 3, 10)),
            "no automatic move of 8 Mar"
        );
    }

    #[test]
    fn transfers_2026() {
        let c = cal();
        for d in [
            date(2026, 1, 9),
            date(2026, 2, 23),
            date(2026, 3, 9),
            date(2026, 5, 1),
            date(2026, 5, 11),
            date(2026, 6, 12),
            date(2026, 11, 4),
            date(2026, 12, 31),
        ] {
            assert!(!c.is_working_day(d), "{d} is a day off");
        }
        assert!(c.is_working_day(date(2026, 1, 12)));
        assert!(c.is_working_day(date(2026, 11, 3)), "short day is worked");
    }

    #[test]
    fn deadline_on_working_day_is_not_moved() {
        let d = cal().deadline(date(2026, 11, 2), 15);
        assert_eq!(d.date, date(2026, 11, 17));
        assert_eq!(d.moved_from, None);
        assert_eq!(d.basis, Basis::Official);
    }

    #[test]
    fn deadline_on_weekend_moves_to_monday() {
        // 2026-11-06 + 15 = Saturday 2026-11-21.
        let d = cal().deadline(date(2026, 11, 6), 15);
        assert_eq!(d.moved_from, Some(date(2026, 11, 21)));
        assert_eq!(d.date, date(2026, 11, 23));
    }

    #[test]
    fn deadline_over_new_year_holidays() {
        // 2025-12-20 + 15 = 2026-01-04 (holiday), next working day is 12 Jan 2026.
        let d = cal().deadline(date(2025, 12, 20), 15);
        assert_eq!(d.date, date(2026, 1, 12));
        // 2025-12-16 + 15 = 2025-12-31, a transferred day off in 2025.
        let d = cal().deadline(date(2025, 12, 16), 15);
        assert_eq!(d.date, date(2026, 1, 12));
        // Landing on 2026-12-31 (transfer of 4 Jan) moves into 2027, which has no data.
        let d = cal().deadline(date(2026, 12, 16), 15);
        assert_eq!(d.moved_from, Some(date(2026, 12, 31)));
        assert_eq!(d.date, date(2027, 1, 11));
        assert_eq!(d.basis, Basis::LabourCodeFallback);
    }

    #[test]
    fn deadline_on_may_transfers() {
        // 2025-04-23 + 15 = 2025-05-08 (moved from 23 Feb): next working day is 12 May.
        assert_eq!(
            cal().deadline(date(2025, 4, 23), 15).date,
            date(2025, 5, 12)
        );
        // 2026-04-26 + 15 = 2026-05-11 (9 May on Saturday): 12 May.
        assert_eq!(
            cal().deadline(date(2026, 4, 26), 15).date,
            date(2026, 5, 12)
        );
        // 2025-10-17 + 15 = Saturday 2025-11-01, which is worked in 2025.
        let d = cal().deadline(date(2025, 10, 17), 15);
        assert_eq!(d.date, date(2025, 11, 1));
        assert_eq!(d.moved_from, None);
    }

    #[test]
    fn fallback_year_uses_labour_code_and_says_so() {
        let c = cal();
        assert!(!c.is_official(2030));
        // 2030-06-12 is a Wednesday holiday.
        assert!(!c.is_working_day(date(2030, 6, 12)));
        // 2029-06-12 is a Tuesday; 2027-05-09 is a Sunday: the day off moves to Monday 10 May.
        assert!(!c.is_working_day(date(2027, 5, 10)));
        assert!(c.is_working_day(date(2027, 5, 11)));
        let d = c.deadline(date(2030, 5, 28), 15);
        assert_eq!(d.date, date(2030, 6, 13));
        assert_eq!(d.basis, Basis::LabourCodeFallback);
    }

    #[test]
    fn edited_year_replaces_shipped_days() {
        let mut years = shipped_years();
        let y = years.iter_mut().find(|y| y.year == 2026).unwrap();
        y.days.push(SpecialDay {
            date: date(2026, 11, 5),
            kind: DayKind::DayOff,
        });
        let c = WorkingCalendar::new(&years);
        assert!(!c.is_working_day(date(2026, 11, 5)));
        assert_eq!(c.working_days_in_year(2026), 246);
    }

    #[test]
    fn year_text_round_trips_and_explains_errors() {
        let y = shipped_years()
            .into_iter()
            .find(|y| y.year == 2025)
            .unwrap();
        let text = format_year_text(&y.days);
        assert!(text.contains("2025-11-01 рабочий"));
        assert_eq!(parse_year_text(2025, &text).unwrap(), y.days);
        assert_eq!(
            parse_year_text(
                2025,
                "2025-05-02 выходной # перенос\n\n2025-03-07 сокращенный"
            )
            .unwrap()
            .len(),
            2
        );
        assert!(parse_year_text(2025, "2024-01-01 праздник")
            .unwrap_err()
            .contains("не относится"));
        assert!(parse_year_text(2025, "2025-13-01 праздник")
            .unwrap_err()
            .contains("не распознана"));
        assert!(parse_year_text(2025, "2025-05-05 отгул")
            .unwrap_err()
            .contains("не известен"));
        assert!(parse_year_text(2025, "2025-05-05 рабочий")
            .unwrap_err()
            .contains("будний"));
        assert!(parse_year_text(2025, "2025-05-03 выходной")
            .unwrap_err()
            .contains("и так выходной"));
        assert!(parse_year_text(2025, "x")
            .unwrap_err()
            .starts_with("Строка 1"));
    }

    #[test]
    fn wrong_year_in_data_is_refused() {
        let text = "[[year]]\nyear = 2025\nsource = \"x\"\nholidays = [\"2024-01-01\"]\ndays_off = []\nworking_weekends = []\nshort_days = []\n";
        assert!(matches!(
            parse_calendar_data(text),
            Err(CalendarDataError::WrongYear { .. })
        ));
    }
}
