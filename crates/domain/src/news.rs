//! News and mass informing (§10.2 of the standard, NTF-02): an announcement to every client or to
//! one district — a branch's area, one settlement, or a settlement within a branch. A planned
//! outage carries its interval; a change of tariffs or rules is news of its own kind. Staff choose
//! whether clients are also notified by their channels.

use jiff::civil::DateTime;
use serde::{Deserialize, Serialize};

use crate::accounts::coded_enum;
use crate::validation::{optional_text, required_text, FieldErrors};

coded_enum! {
    /// What an announcement is about; each has its notice templates.
    NewsKind {
        News = "news" / "новость",
        Outage = "outage" / "отключение электроэнергии",
        Rules = "rules" / "изменение тарифов и правил",
    }
}

impl NewsKind {
    /// The notice kind whose templates carry it to clients.
    pub fn notice_kind(self) -> &'static str {
        match self {
            NewsKind::Outage => "outage",
            NewsKind::News | NewsKind::Rules => "news",
        }
    }
}

/// An announcement as typed by staff, before validation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewsDraft {
    /// `news`, `outage` or `rules`.
    pub kind: String,
    pub title: String,
    /// Markdown.
    pub body: String,
    /// The branch whose area it concerns; empty for every branch.
    #[serde(default)]
    pub branch_id: String,
    /// The settlement it concerns, as in the premises' addresses; empty for every settlement.
    #[serde(default)]
    pub settlement: String,
    /// For an outage: local start, `YYYY-MM-DDTHH:MM`.
    #[serde(default)]
    pub outage_from: String,
    /// For an outage: local end, `YYYY-MM-DDTHH:MM`.
    #[serde(default)]
    pub outage_until: String,
    /// Also send it to the clients concerned by e-mail, SMS and the personal account.
    #[serde(default)]
    pub notify: bool,
}

/// A validated announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsItem {
    pub kind: NewsKind,
    pub title: String,
    pub body: String,
    pub branch_id: Option<i64>,
    pub settlement: Option<String>,
    pub outage: Option<(DateTime, DateTime)>,
    pub notify: bool,
}

fn local_time(e: &mut FieldErrors, field: &str, value: &str) -> Option<DateTime> {
    let v = value.trim();
    if v.is_empty() {
        e.add(field, "Укажите дату и время.");
        return None;
    }
    // A browser's datetime-local sends `2026-12-01T09:00`; a person may type a space.
    match v.replacen(' ', "T", 1).parse::<DateTime>() {
        Ok(t) => Some(t),
        Err(_) => {
            e.add(
                field,
                "Дата и время в виде ГГГГ-ММ-ДД ЧЧ:ММ, например 2026-12-01 09:00.",
            );
            None
        }
    }
}

impl NewsDraft {
    pub fn validate(&self) -> Result<NewsItem, FieldErrors> {
        let mut e = FieldErrors::new();
        let kind = NewsKind::parse(self.kind.trim());
        if kind.is_none() {
            e.add("kind", "Выберите вид объявления.");
        }
        let title = required_text(&mut e, "title", &self.title, 200);
        let body = self.body.trim().to_owned();
        if body.is_empty() {
            e.add("body", "Напишите текст объявления.");
        } else if body.chars().count() > 20_000 {
            e.add("body", "Текст — не длиннее 20 000 символов.");
        }
        let branch_id = match self.branch_id.trim() {
            "" => None,
            b => match b.parse::<i64>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    e.add("branch_id", "Выберите отделение из списка.");
                    None
                }
            },
        };
        let settlement = optional_text(&mut e, "settlement", &self.settlement, 200);
        let outage = if kind == Some(NewsKind::Outage) {
            let from = local_time(&mut e, "outage_from", &self.outage_from);
            let until = local_time(&mut e, "outage_until", &self.outage_until);
            match (from, until) {
                (Some(f), Some(u)) if u <= f => {
                    e.add(
                        "outage_until",
                        "Окончание отключения должно быть позже его начала.",
                    );
                    None
                }
                (Some(f), Some(u)) => Some((f, u)),
                _ => None,
            }
        } else {
            None
        };
        match kind {
            Some(kind) if e.is_empty() => Ok(NewsItem {
                kind,
                title,
                body,
                branch_id,
                settlement,
                outage,
                notify: self.notify,
            }),
            _ => Err(e),
        }
    }
}

/// «01.12.2026 09:00 — 17:00» or across days «01.12.2026 22:00 — 02.12.2026 06:00».
pub fn outage_interval(from: DateTime, until: DateTime) -> String {
    let f = from.strftime("%d.%m.%Y %H:%M").to_string();
    if from.date() == until.date() {
        format!("{f} — {}", until.strftime("%H:%M"))
    } else {
        format!("{f} — {}", until.strftime("%d.%m.%Y %H:%M"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outage() -> NewsDraft {
        NewsDraft {
            kind: "outage".into(),
            title: "Плановое отключение".into(),
            body: "Ремонт линии.".into(),
            settlement: " г. Радужный ".into(),
            outage_from: "2026-12-01T09:00".into(),
            outage_until: "2026-12-01 17:00".into(),
            notify: true,
            ..Default::default()
        }
    }

    #[test]
    fn an_outage_needs_its_interval_in_order() {
        let n = outage().validate().unwrap();
        assert_eq!(n.kind, NewsKind::Outage);
        assert_eq!(n.settlement.as_deref(), Some("г. Радужный"));
        let (f, u) = n.outage.unwrap();
        assert_eq!(outage_interval(f, u), "01.12.2026 09:00 — 17:00");
        let mut d = outage();
        d.outage_until = "2026-12-01T08:00".into();
        let e = d.validate().unwrap_err();
        assert!(e.get("outage_until").unwrap().contains("позже"));
        d.outage_from = "завтра".into();
        d.outage_until = String::new();
        let e = d.validate().unwrap_err();
        assert!(e.get("outage_from").unwrap().contains("ГГГГ-ММ-ДД"));
        assert!(e.get("outage_until").is_some());
    }

    #[test]
    fn news_needs_a_kind_title_and_text_and_no_interval() {
        let d = NewsDraft {
            kind: "news".into(),
            title: "Новые часы работы".into(),
            body: "С 1 декабря…".into(),
            outage_from: "ерунда".into(),
            ..Default::default()
        };
        let n = d.validate().unwrap();
        assert_eq!(n.outage, None);
        assert_eq!(n.branch_id, None);
        assert_eq!(n.kind.notice_kind(), "news");
        let e = NewsDraft {
            kind: "gossip".into(),
            branch_id: "x".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        for f in ["kind", "title", "body", "branch_id"] {
            assert!(e.get(f).is_some(), "{f}");
        }
    }

    #[test]
    fn an_interval_across_midnight_names_both_days() {
        let f: DateTime = "2026-12-01T22:00".parse().unwrap();
        let u: DateTime = "2026-12-02T06:00".parse().unwrap();
        assert_eq!(outage_interval(f, u), "01.12.2026 22:00 — 02.12.2026 06:00");
    }
}
