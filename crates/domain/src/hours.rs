//! Weekly opening hours of a service centre, a reception or the hotline (ORG-01, §6.2, §7.1.7).
//!
//! Staff type hours the way they are written on the door: `пн-пт 08:30-12:30, 14:00-17:00`, one
//! line (or `;`-separated part) per group of days. The canonical text is what is stored and shown;
//! the parsed form answers "is it open at this moment" for measurements.

use jiff::civil::{Time, Weekday};

const DAY_CODES: [(&str, Weekday); 7] = [
    ("пн", Weekday::Monday),
    ("вт", Weekday::Tuesday),
    ("ср", Weekday::Wednesday),
    ("чт", Weekday::Thursday),
    ("пт", Weekday::Friday),
    ("сб", Weekday::Saturday),
    ("вс", Weekday::Sunday),
];

/// An open interval within one day, `from < to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub from: Time,
    pub to: Time,
}

/// The same intervals on a set of days (Monday = index 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursRule {
    pub days: [bool; 7],
    pub intervals: Vec<Interval>,
}

/// Opening hours for a week; days not named are closed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WeeklyHours {
    pub rules: Vec<HoursRule>,
}

fn day_index(code: &str) -> Option<usize> {
    DAY_CODES.iter().position(|(c, _)| *c == code)
}

fn parse_time(s: &str) -> Option<Time> {
    let s = s.trim().replace('.', ":");
    let (h, m) = s.split_once(':')?;
    let h: i8 = h.trim().parse().ok()?;
    let m: i8 = m.trim().parse().ok()?;
    if h == 24 && m == 0 {
        return Some(Time::MAX);
    }
    Time::new(h, m, 0, 0).ok()
}

fn fmt_time(t: Time) -> String {
    if t == Time::MAX {
        "24:00".into()
    } else {
        format!("{:02}:{:02}", t.hour(), t.minute())
    }
}

impl WeeklyHours {
    /// Parses the text form; the error is a Russian message for the person who typed it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rules = Vec::new();
        let mut seen = [false; 7];
        for part in text.split(['\n', ';']) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let lower = part.to_lowercase().replace(['–', '—'], "-");
            let (days_text, times_text) = lower.split_once(' ').ok_or_else(|| {
                format!("«{part}»: укажите дни и часы, например «пн-пт 08:30-17:00».")
            })?;
            let mut days = [false; 7];
            for group in days_text.split(',') {
                let group = group.trim();
                let (a, b) = group.split_once('-').unwrap_or((group, group));
                let (Some(a), Some(b)) = (day_index(a.trim()), day_index(b.trim())) else {
                    return Err(format!(
                        "«{part}»: дни недели пишутся как пн, вт, ср, чт, пт, сб, вс."
                    ));
                };
                if a > b {
                    return Err(format!("«{part}»: диапазон дней должен идти от пн к вс."));
                }
                for d in &mut days[a..=b] {
                    *d = true;
                }
            }
            for (i, on) in days.iter().enumerate() {
                if *on && seen[i] {
                    return Err(format!(
                        "«{part}»: день «{}» указан дважды.",
                        DAY_CODES[i].0
                    ));
                }
            }
            let times_text = times_text.trim();
            let mut intervals = Vec::new();
            if times_text != "выходной" {
                for iv in times_text.split(',') {
                    let (f, t) = iv
                        .trim()
                        .split_once('-')
                        .ok_or_else(|| format!("«{part}»: интервал пишется как 08:30-12:30."))?;
                    let (Some(from), Some(to)) = (parse_time(f), parse_time(t)) else {
                        return Err(format!("«{part}»: время пишется как 08:30."));
                    };
                    if from >= to {
                        return Err(format!(
                            "«{part}»: начало интервала должно быть раньше конца."
                        ));
                    }
                    if let Some(prev) = intervals.last().map(|i: &Interval| i.to) {
                        if from < prev {
                            return Err(format!(
                                "«{part}»: интервалы должны идти по порядку и не пересекаться."
                            ));
                        }
                    }
                    intervals.push(Interval { from, to });
                }
            }
            for (i, on) in days.iter().enumerate() {
                seen[i] |= *on;
            }
            if !intervals.is_empty() {
                rules.push(HoursRule { days, intervals });
            }
        }
        Ok(Self { rules })
    }

    /// Whether it is open on `day` at `time`.
    pub fn is_open(&self, day: Weekday, time: Time) -> bool {
        let idx = day.to_monday_zero_offset() as usize;
        self.rules
            .iter()
            .any(|r| r.days[idx] && r.intervals.iter().any(|iv| iv.from <= time && time < iv.to))
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

impl std::fmt::Display for WeeklyHours {
    /// The canonical text: `пн-пт 08:30-12:30, 14:00-17:00`, rules separated by `; `.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        for r in &self.rules {
            let mut groups = Vec::new();
            let mut i = 0;
            while i < 7 {
                if r.days[i] {
                    let start = i;
                    while i + 1 < 7 && r.days[i + 1] {
                        i += 1;
                    }
                    groups.push(if start == i {
                        DAY_CODES[i].0.to_string()
                    } else {
                        format!("{}-{}", DAY_CODES[start].0, DAY_CODES[i].0)
                    });
                }
                i += 1;
            }
            let ivs: Vec<String> = r
                .intervals
                .iter()
                .map(|iv| format!("{}-{}", fmt_time(iv.from), fmt_time(iv.to)))
                .collect();
            parts.push(format!("{} {}", groups.join(","), ivs.join(", ")));
        }
        f.write_str(&parts.join("; "))
    }
}

impl serde::Serialize for WeeklyHours {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::time;

    #[test]
    fn parses_hotline_hours_of_the_standard() {
        let h = WeeklyHours::parse("Пн–Пт 08:30-12:30, 14:00-17:00").unwrap();
        assert!(h.is_open(Weekday::Monday, time(8, 30, 0, 0)));
        assert!(!h.is_open(Weekday::Monday, time(12, 30, 0, 0)));
        assert!(h.is_open(Weekday::Friday, time(16, 59, 0, 0)));
        assert!(!h.is_open(Weekday::Saturday, time(10, 0, 0, 0)));
        assert_eq!(h.to_string(), "пн-пт 08:30-12:30, 14:00-17:00");
    }

    #[test]
    fn canonical_text_round_trips() {
        let h = WeeklyHours::parse("пн,ср-пт 9:00-18:00\nсб 10.00-14.00; вс выходной").unwrap();
        assert_eq!(h.to_string(), "пн,ср-пт 09:00-18:00; сб 10:00-14:00");
        assert_eq!(WeeklyHours::parse(&h.to_string()).unwrap(), h);
    }

    #[test]
    fn errors_are_explained() {
        assert!(WeeklyHours::parse("пн-пт")
            .unwrap_err()
            .contains("укажите дни"));
        assert!(WeeklyHours::parse("mon 08:00-09:00")
            .unwrap_err()
            .contains("дни недели"));
        assert!(WeeklyHours::parse("пн 18:00-09:00")
            .unwrap_err()
            .contains("раньше"));
        assert!(WeeklyHours::parse("пн 25:00-26:00")
            .unwrap_err()
            .contains("время"));
        assert!(WeeklyHours::parse("пн-пт 09:00-10:00; пт 11:00-12:00")
            .unwrap_err()
            .contains("дважды"));
        assert!(WeeklyHours::parse("пн 09:00-12:00, 11:00-13:00")
            .unwrap_err()
            .contains("пересекаться"));
    }
}
