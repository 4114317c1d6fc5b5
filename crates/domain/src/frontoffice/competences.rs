//! The directory of competences (CHN-07, §6.2.3.3, §6.3.3 of the standard): which position (and,
//! where named, which staff member) decides which questions, where and when they receive. Staff
//! use it to redirect a client «с подробными объяснениями»; the published entries are on the
//! public site.

use serde::{Deserialize, Serialize};

use crate::appeals::search_terms;
use crate::hours::WeeklyHours;
use crate::validation::{optional_text, FieldErrors};

/// The longest topic and position kept.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest list of questions kept.
pub const MAX_QUESTIONS_CHARS: usize = 2000;

/// An entry as typed (the form and the API).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompetenceDraft {
    /// The topic: «Оплата и задолженность».
    #[serde(default)]
    pub topic: String,
    /// The questions it covers, in a client's words.
    #[serde(default)]
    pub questions: String,
    /// The position that decides: «техник-кассир».
    #[serde(default)]
    pub position: String,
    /// A named staff member, optionally.
    #[serde(default)]
    pub staff_id: Option<i64>,
    /// Where they receive.
    #[serde(default)]
    pub centre_id: Option<i64>,
    #[serde(default)]
    pub phone: String,
    /// Reception hours as on the door: `вт,чт 14:00-17:00`; empty means the centre's hours.
    #[serde(default)]
    pub hours: String,
    /// Place in the list; the end of the list when absent.
    #[serde(default)]
    pub sort_order: Option<i64>,
    /// Shown on the public site.
    #[serde(default = "yes")]
    pub published: bool,
}

fn yes() -> bool {
    true
}

impl Default for CompetenceDraft {
    fn default() -> Self {
        Self {
            topic: String::new(),
            questions: String::new(),
            position: String::new(),
            staff_id: None,
            centre_id: None,
            phone: String::new(),
            hours: String::new(),
            sort_order: None,
            published: true,
        }
    }
}

/// An entry after its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompetenceData {
    pub topic: String,
    pub questions: String,
    pub position: String,
    pub staff_id: Option<i64>,
    pub centre_id: Option<i64>,
    pub phone: String,
    /// The canonical text of [`WeeklyHours`], or empty.
    pub hours: String,
    pub sort_order: Option<i64>,
    pub published: bool,
}

impl CompetenceDraft {
    /// Checks each field and names each wrong one in Russian; hours are stored canonical.
    pub fn check(&self) -> Result<CompetenceData, FieldErrors> {
        let mut e = FieldErrors::new();
        let topic = required(&mut e, "topic", &self.topic, "Укажите, какие это вопросы.");
        let position = required(
            &mut e,
            "position",
            &self.position,
            "Укажите должность, которая решает эти вопросы.",
        );
        let questions = optional_text(&mut e, "questions", &self.questions, MAX_QUESTIONS_CHARS);
        let phone = optional_text(&mut e, "phone", &self.phone, 100);
        let hours = match WeeklyHours::parse(&self.hours) {
            Ok(h) => h.to_string(),
            Err(m) => {
                e.add("hours", m);
                String::new()
            }
        };
        if self.staff_id.is_some_and(|id| id <= 0) {
            e.add("staff_id", "Выберите сотрудника из списка.");
        }
        if self.centre_id.is_some_and(|id| id <= 0) {
            e.add("centre_id", "Выберите центр обслуживания из списка.");
        }
        e.into_result(CompetenceData {
            topic,
            questions: questions.unwrap_or_default(),
            position,
            staff_id: self.staff_id,
            centre_id: self.centre_id,
            phone: phone.unwrap_or_default(),
            hours,
            sort_order: self.sort_order,
            published: self.published,
        })
    }
}

fn required(e: &mut FieldErrors, field: &str, value: &str, empty: &str) -> String {
    let v = value.trim();
    if v.is_empty() {
        e.add(field, empty);
    } else if v.chars().count() > MAX_TITLE_CHARS {
        e.add(field, format!("Не более {MAX_TITLE_CHARS} символов."));
    }
    v.to_owned()
}

/// A search typed into the directory's box: the stems of its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompetenceQuery(Vec<String>);

impl CompetenceQuery {
    /// `None` when nothing searchable was typed.
    pub fn parse(typed: &str) -> Option<Self> {
        let terms: Vec<String> = search_terms(typed)
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        (!terms.is_empty()).then_some(Self(terms))
    }

    /// Whether every word of the query begins a word of the texts, in any form: «счётчики»
    /// finds «счётчиков», «перерас» finds «перерасчёт».
    pub fn matches(&self, texts: &[&str]) -> bool {
        let words = search_terms(&texts.join(" "));
        let words: Vec<&str> = words.split(' ').collect();
        self.0
            .iter()
            .all(|q| words.iter().any(|w| w.starts_with(q.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_checked_and_its_hours_made_canonical() {
        let d = CompetenceDraft {
            topic: " Оплата ".into(),
            position: "техник-кассир".into(),
            hours: "Пн–Пт 08:30-12:30".into(),
            ..Default::default()
        };
        let ok = d.check().unwrap();
        assert_eq!(ok.topic, "Оплата");
        assert_eq!(ok.hours, "пн-пт 08:30-12:30");
        assert!(ok.published);
        let e = CompetenceDraft {
            hours: "когда угодно".into(),
            ..Default::default()
        }
        .check()
        .unwrap_err();
        assert_eq!(e.get("topic"), Some("Укажите, какие это вопросы."));
        assert_eq!(
            e.get("position"),
            Some("Укажите должность, которая решает эти вопросы.")
        );
        assert!(e.get("hours").is_some_and(|m| m.contains("дни недели")));
    }

    #[test]
    fn a_search_matches_any_form_of_every_word() {
        let q = CompetenceQuery::parse("Счётчики замена").unwrap();
        assert!(q.matches(&["Показания и приборы учёта", "замена счётчиков, поверка"]));
        assert!(!q.matches(&["Показания и приборы учёта", "поверка счётчиков"]));
        assert!(CompetenceQuery::parse("перерас")
            .unwrap()
            .matches(&["Перерасчёт"]));
        assert_eq!(CompetenceQuery::parse(" ,. "), None);
    }
}
