//! Appeals (обращения, APL-01 … APL-10, CHN-02): kinds, intake channels, statuses, the deadline and
//! extension rules, what an answer must carry, grounds for leaving an appeal without action, the
//! obscenity flag, and the Russian word forms used by full-text search.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::accounts::coded_enum;
use crate::calendar::{Deadline, WorkingCalendar};
use crate::clients::valid_email;
use crate::search::phone_key;
use crate::validation::{optional_text, required_text, FieldErrors};

coded_enum! {
    /// Kinds of appeal (APL-01).
    AppealKind {
        InformationRequest = "information_request" / "запрос информации",
        Complaint = "complaint" / "жалоба",
        Claim = "claim" / "претензия",
        Suggestion = "suggestion" / "предложение",
        Review = "review" / "отзыв",
    }
}

coded_enum! {
    /// How the appeal reached us (APL-01).
    IntakeChannel {
        InPersonOral = "in_person_oral" / "лично, устно",
        InPersonWritten = "in_person_written" / "лично, письменно",
        Phone = "phone" / "по телефону",
        Post = "post" / "почтой",
        Email = "email" / "по электронной почте",
        OnlineReception = "online_reception" / "Интернет-приемная",
        Fax = "fax" / "по факсу",
        FeedbackBook = "feedback_book" / "книга отзывов и предложений",
    }
}

coded_enum! {
    /// Where an appeal is in its life.
    AppealStatus {
        Registered = "registered" / "зарегистрировано, ждёт исполнителя",
        Assigned = "assigned" / "на исполнении",
        Answered = "answered" / "дан ответ",
        LeftWithoutAction = "left_without_action" / "оставлено без рассмотрения",
    }
}

coded_enum! {
    /// The channel the citizen chose for the answer (§9.7, APL-05).
    AnswerChannel {
        Post = "post" / "письмом по почте",
        Email = "email" / "по электронной почте",
        Portal = "portal" / "в личном кабинете / Интернет-приемной",
        Phone = "phone" / "по телефону",
    }
}

coded_enum! {
    /// Grounds for leaving an appeal without action (§7.2.6, §7.2.7, APL-06).
    Ground {
        Obscene = "obscene" / "нецензурные либо оскорбительные выражения, угрозы жизни, здоровью и имуществу",
        Unreadable = "unreadable" / "текст не поддаётся прочтению",
        NoContacts = "no_contacts" / "не указаны фамилия и почтовый или электронный адрес для ответа",
    }
}

coded_enum! {
    /// What a workspace notice to a staff member is about (APL-03, APL-09; incidents, CHN-05).
    StaffNoticeKind {
        NewAppeal = "new_appeal" / "новое обращение",
        Assigned = "assigned" / "поручено обращение",
        Reminder = "reminder" / "напоминание о сроке",
        Escalation = "escalation" / "просрочено обращение",
        Letter = "letter" / "письмо заявителя",
        Incident = "incident" / "инцидент с клиентом",
    }
}

impl AppealStatus {
    /// Still waiting for an answer: counts for "mine", "due soon" and "overdue".
    pub fn is_open(self) -> bool {
        matches!(self, AppealStatus::Registered | AppealStatus::Assigned)
    }
}

/// The default topic catalogue (APL-08); the catalogue itself is data an administrator extends.
pub const DEFAULT_TOPICS: &[(&str, &str)] = &[
    ("billing", "Начисления и расчёты"),
    ("readings", "Показания приборов учёта"),
    ("payment", "Оплата"),
    ("supply_quality", "Качество электроснабжения"),
    ("outage", "Отключение электроэнергии"),
    ("contract", "Договор энергоснабжения"),
    ("meter", "Прибор учёта"),
    ("restriction", "Ограничение и возобновление подачи"),
    ("staff_conduct", "Работа персонала"),
    ("other", "Другое"),
];

/// Norms of handling one kind of appeal; the defaults are the standard's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AppealNorms {
    /// Calendar days to answer (§7.2.4, §8.2.4, §6.3.3: 15).
    pub answer_days: i32,
    /// Most calendar days one extension may add, after an interim reply (§8.2.4, §6.3.3: 15).
    pub max_extension_days: i32,
    /// "Due soon": the executor is reminded this many calendar days before the deadline.
    pub remind_days: i32,
    /// Appeals of the same client/account on the same topic within this many days are one event
    /// (§2.3, repeat appeals).
    pub repeat_window_days: i32,
}

impl Default for AppealNorms {
    fn default() -> Self {
        Self {
            answer_days: 15,
            max_extension_days: 15,
            remind_days: 3,
            repeat_window_days: 30,
        }
    }
}

impl AppealNorms {
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if !(1..=30).contains(&self.answer_days) {
            e.add(
                "answer_days",
                "Срок ответа — от 1 до 30 календарных дней (стандарт: 15).",
            );
        }
        if !(0..=30).contains(&self.max_extension_days) {
            e.add(
                "max_extension_days",
                "Продление — от 0 до 30 календарных дней (стандарт: не более 15).",
            );
        }
        if !(0..=self.answer_days).contains(&self.remind_days) {
            e.add(
                "remind_days",
                "Напоминание — не раньше срока ответа и не позже дня срока.",
            );
        }
        if !(0..=365).contains(&self.repeat_window_days) {
            e.add(
                "repeat_window_days",
                "Окно повторных обращений — от 0 до 365 дней.",
            );
        }
        e.into_result(())
    }

    /// The deadline of an appeal registered on `registered_on` (APL-04): `answer_days` calendar
    /// days, moved to the next working day when it lands on a non-working one.
    pub fn deadline(&self, cal: &WorkingCalendar, registered_on: Date) -> Deadline {
        cal.deadline(registered_on, self.answer_days)
    }
}

/// What is known about an appeal when an extension is asked for.
#[derive(Debug, Clone, Copy)]
pub struct ExtensionState {
    pub status: AppealStatus,
    pub deadline: Date,
    /// Whether an interim reply has been sent to the citizen.
    pub interim_reply_sent: bool,
    /// Whether the deadline was already extended once.
    pub already_extended: bool,
}

/// Checks an extension by `days` calendar days (APL-04, CHN-02) and returns the new deadline:
/// only an open appeal, only after an interim reply, only once, at most `max_extension_days`.
pub fn extend_deadline(
    cal: &WorkingCalendar,
    norms: &AppealNorms,
    state: ExtensionState,
    days: i32,
) -> Result<Deadline, FieldErrors> {
    let field = "days";
    if !state.status.is_open() {
        return Err(FieldErrors::single(
            field,
            "Срок закрытого обращения не продлевается.",
        ));
    }
    if !state.interim_reply_sent {
        return Err(FieldErrors::single(
            field,
            "Срок можно продлить только после промежуточного ответа заявителю (п. 8.2.4 Стандарта).",
        ));
    }
    if state.already_extended {
        return Err(FieldErrors::single(
            field,
            "Срок уже продлевался; повторное продление Стандартом не предусмотрено.",
        ));
    }
    if days < 1 || days > norms.max_extension_days {
        return Err(FieldErrors::single(
            field,
            format!(
                "Продление — от 1 до {} календарных дней.",
                norms.max_extension_days
            ),
        ));
    }
    Ok(cal.deadline(state.deadline, days))
}

/// The longest text of an appeal or an answer, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// An appeal as typed by a clerk or a citizen.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AppealDraft {
    /// [`IntakeChannel`] code.
    pub channel: String,
    /// [`AppealKind`] code.
    pub kind: String,
    /// Topic code from the catalogue.
    pub topic: String,
    pub text: String,
    /// The branch that handles it; empty: the client's or the first branch.
    #[serde(default)]
    pub branch_id: String,
    /// A known client, when found.
    #[serde(default)]
    pub client_id: String,
    /// An account number the appeal is about.
    #[serde(default)]
    pub account_number: String,
    /// The applicant's name as given (filled from the client when known).
    #[serde(default)]
    pub applicant_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub postal_address: String,
    /// [`AnswerChannel`] code.
    #[serde(default)]
    pub answer_channel: String,
}

/// A validated appeal, ready to be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealData {
    pub channel: IntakeChannel,
    pub kind: AppealKind,
    pub topic: String,
    pub text: String,
    pub branch_id: Option<i64>,
    pub client_id: Option<i64>,
    pub account_number: Option<crate::accounts::AccountNumber>,
    pub applicant_name: String,
    pub email: Option<String>,
    /// 10 national digits.
    pub phone: Option<String>,
    pub postal_address: Option<String>,
    pub answer_channel: AnswerChannel,
    /// Looks obscene or threatening: flagged for a person to confirm (APL-06).
    pub flagged: bool,
}

fn parse_id(e: &mut FieldErrors, field: &str, v: &str, what: &str) -> Option<i64> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse::<i64>() {
        Ok(id) if id > 0 => Some(id),
        _ => {
            e.add(field, format!("Выберите {what} из списка."));
            None
        }
    }
}

/// An account number as typed, if any; a malformed one adds its message to `e`.
fn optional_account_number(
    e: &mut FieldErrors,
    text: &str,
) -> Option<crate::accounts::AccountNumber> {
    if text.trim().is_empty() {
        return None;
    }
    match crate::accounts::AccountNumber::parse(text) {
        Ok(n) => Some(n),
        Err(m) => {
            e.add("account_number", m);
            None
        }
    }
}

/// A phone as typed (its ten digits), if any; a malformed one adds its message to `e`.
fn optional_phone(e: &mut FieldErrors, text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return None;
    }
    let k = phone_key(text);
    if k.len() != 10 {
        e.add(
            "phone",
            "Телефон — 10 цифр после +7 или 8 (пример: 8 912 345-67-89).",
        );
        return None;
    }
    Some(k)
}

impl AppealDraft {
    /// Validates the draft. `public` is the online reception: there the applicant must give a
    /// name and a way to answer, since nobody can ask them later (§7.2.7).
    pub fn validate(&self, public: bool) -> Result<AppealData, FieldErrors> {
        let mut e = FieldErrors::new();
        let channel = IntakeChannel::parse(self.channel.trim());
        if channel.is_none() {
            e.add("channel", "Выберите, как поступило обращение.");
        }
        let kind = AppealKind::parse(self.kind.trim());
        if kind.is_none() {
            e.add("kind", "Выберите вид обращения.");
        }
        let topic = self.topic.trim().to_owned();
        if topic.is_empty() {
            e.add("topic", "Выберите тематику обращения.");
        }
        let text = required_text(&mut e, "text", &self.text, MAX_TEXT_CHARS);
        let branch_id = parse_id(&mut e, "branch_id", &self.branch_id, "отделение");
        let client_id = parse_id(&mut e, "client_id", &self.client_id, "клиента");
        let account_number = optional_account_number(&mut e, &self.account_number);
        let applicant_name =
            optional_text(&mut e, "applicant_name", &self.applicant_name, 200).unwrap_or_default();
        let email = optional_text(&mut e, "email", &self.email, 200);
        if let Some(m) = &email {
            if !valid_email(m) {
                e.add(
                    "email",
                    "Адрес электронной почты указан неверно (пример: ivanov@mail.ru).",
                );
            }
        }
        let phone = optional_phone(&mut e, &self.phone);
        let postal_address = optional_text(&mut e, "postal_address", &self.postal_address, 300);
        let answer_channel = if self.answer_channel.trim().is_empty() {
            if email.is_some() {
                Some(AnswerChannel::Email)
            } else if postal_address.is_some() {
                Some(AnswerChannel::Post)
            } else if public {
                Some(AnswerChannel::Portal)
            } else {
                Some(AnswerChannel::Post)
            }
        } else {
            let c = AnswerChannel::parse(self.answer_channel.trim());
            if c.is_none() {
                e.add("answer_channel", "Выберите, как направить ответ.");
            }
            c
        };
        match answer_channel {
            Some(AnswerChannel::Email) if email.is_none() => e.add(
                "email",
                "Для ответа по электронной почте укажите адрес электронной почты.",
            ),
            Some(AnswerChannel::Post) if postal_address.is_none() && public => e.add(
                "postal_address",
                "Для ответа письмом укажите почтовый адрес.",
            ),
            Some(AnswerChannel::Phone) if phone.is_none() && client_id.is_none() => {
                e.add("phone", "Для ответа по телефону укажите номер телефона.")
            }
            _ => {}
        }
        if public && applicant_name.is_empty() {
            e.add(
                "applicant_name",
                "Укажите фамилию, имя и отчество: без них обращение не может быть рассмотрено (п. 7.2.7 Стандарта).",
            );
        }
        let flagged = looks_obscene(&self.text);
        // A choice that did not parse has its message in `e`.
        let (Some(channel), Some(kind), Some(answer_channel)) = (channel, kind, answer_channel)
        else {
            return Err(e);
        };
        e.into_result(())?;
        Ok(AppealData {
            channel,
            kind,
            topic,
            text,
            branch_id,
            client_id,
            account_number,
            applicant_name,
            email,
            phone,
            postal_address,
            answer_channel,
            flagged,
        })
    }
}

/// An answer as typed by the executor (APL-05).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnswerDraft {
    /// The substance: the answer to every question raised.
    pub substance: String,
    pub executor_name: String,
    pub executor_phone: String,
    /// The authorised official who signs the answer.
    pub signatory_name: String,
    pub signatory_position: String,
    /// [`AnswerChannel`] code; empty: the one the citizen chose.
    #[serde(default)]
    pub channel: String,
    /// For an answer given by phone: what was said and when (the call is recorded).
    #[serde(default)]
    pub call_note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerData {
    pub substance: String,
    pub executor_name: String,
    /// 10 national digits.
    pub executor_phone: String,
    pub signatory_name: String,
    pub signatory_position: String,
    pub channel: AnswerChannel,
    pub call_note: Option<String>,
}

impl AnswerDraft {
    /// Refuses an answer that lacks the substance, the executor's full name and phone, or the
    /// signature of an authorised official (§7.2.5, §8.2.5). `chosen` is the citizen's channel.
    pub fn validate(&self, chosen: AnswerChannel) -> Result<AnswerData, FieldErrors> {
        let mut e = FieldErrors::new();
        let substance = self.substance.trim();
        if substance.is_empty() {
            e.add(
                "substance",
                "Ответ должен содержать ответ по существу обращения.",
            );
        } else if substance.chars().count() > MAX_TEXT_CHARS {
            e.add(
                "substance",
                format!("Не длиннее {MAX_TEXT_CHARS} символов."),
            );
        }
        let executor_name = self.executor_name.trim();
        if executor_name.split_whitespace().count() < 2 {
            e.add(
                "executor_name",
                "Укажите фамилию, имя и отчество исполнителя (п. 7.2.5 Стандарта).",
            );
        }
        let executor_phone = phone_key(&self.executor_phone);
        if executor_phone.len() != 10 {
            e.add(
                "executor_phone",
                "Укажите телефон исполнителя: 10 цифр после +7 или 8 (пример: 8 3467 38-88-88).",
            );
        }
        let signatory_name = self.signatory_name.trim();
        if signatory_name.split_whitespace().count() < 2 {
            e.add(
                "signatory_name",
                "Ответ подписывает уполномоченное лицо: укажите его фамилию и инициалы.",
            );
        }
        let signatory_position =
            required_text(&mut e, "signatory_position", &self.signatory_position, 200);
        let channel = if self.channel.trim().is_empty() {
            Some(chosen)
        } else {
            let c = AnswerChannel::parse(self.channel.trim());
            if c.is_none() {
                e.add("channel", "Выберите, как направить ответ.");
            }
            c
        };
        let call_note = optional_text(&mut e, "call_note", &self.call_note, 2000);
        if channel == Some(AnswerChannel::Phone) && call_note.is_none() {
            e.add(
                "call_note",
                "Для ответа по телефону запишите дату, время и содержание разговора.",
            );
        }
        // A channel that did not parse has its message in `e`.
        let Some(channel) = channel else {
            return Err(e);
        };
        e.into_result(())?;
        Ok(AnswerData {
            substance: substance.to_owned(),
            executor_name: executor_name.to_owned(),
            executor_phone,
            signatory_name: signatory_name.to_owned(),
            signatory_position,
            channel,
            call_note,
        })
    }
}

/// Word beginnings that make a text look obscene, insulting or threatening. A hit only flags the
/// appeal for a person (APL-06); nothing is left without action automatically.
const SUSPECT_STEMS: &[&str] = &[
    "хуй",
    "хуе",
    "хуё",
    "хуя",
    "пизд",
    "ебат",
    "ебан",
    "ебал",
    "ёбан",
    "еблан",
    "выеб",
    "заеб",
    "бляд",
    "блят",
    "мудак",
    "мудил",
    "залуп",
    "гандон",
    "пидор",
    "пидар",
    "ублюд",
    "подонк",
];

/// Whole words that are suspect only as they stand (a surname may begin the same way).
const SUSPECT_WORDS: &[&str] = &[
    "сука",
    "суки",
    "суке",
    "суку",
    "сукой",
    "убью",
    "убьем",
    "убьём",
    "взорву",
    "подожгу",
    "прибью",
    "урою",
    "зарежу",
];

/// Whether `text` contains a suspect word.
pub fn looks_obscene(text: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .any(|w| {
            SUSPECT_STEMS.iter().any(|s| w.starts_with(s)) || SUSPECT_WORDS.contains(&w.as_str())
        })
}

/// The search terms of a Russian text (APL-10): lower case, «ё» as «е», each word reduced to its
/// Snowball stem, so «счётчика» and «счетчик» meet. The same terms are indexed on both engines.
pub fn search_terms(text: &str) -> String {
    use rust_stemmers::{Algorithm, Stemmer};
    let ru = Stemmer::create(Algorithm::Russian);
    let mut out = String::with_capacity(text.len());
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        let lower = w.to_lowercase().replace('ё', "е");
        let stem = ru.stem(&lower);
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&stem);
    }
    out
}

/// The content type of a file accepted with an appeal, from its name; `None` refuses it.
pub fn accepted_type(file_name: &str) -> Option<&'static str> {
    let ext = file_name.rsplit('.').next()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "pdf" => "application/pdf",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "tif" | "tiff" => "image/tiff",
        "txt" => "text/plain; charset=utf-8",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "odt" => "application/vnd.oasis.opendocument.text",
        "rtf" => "application/rtf",
        _ => return None,
    })
}

/// The registration number of the `seq`-th appeal of `year`: «2026-000123».
pub fn registration_number(year: i16, seq: i64) -> String {
    format!("{year}-{seq:06}")
}

/// An open appeal is overdue once `today` is past its deadline (the deadline day itself is in
/// time).
pub fn is_overdue(deadline: Date, today: Date) -> bool {
    today > deadline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Basis;
    use jiff::civil::date;

    fn cal() -> WorkingCalendar {
        WorkingCalendar::shipped()
    }

    #[test]
    fn deadline_fifteen_calendar_days_moved_to_working_day() {
        let n = AppealNorms::default();
        // 2026-03-02 (Mon) + 15 = 2026-03-17 (Tue), a working day.
        let d = n.deadline(&cal(), date(2026, 3, 2));
        assert_eq!(d.date, date(2026, 3, 17));
        assert_eq!(d.moved_from, None);
        assert_eq!(d.basis, Basis::Official);
        // 2025-12-22 + 15 = 2026-01-06, inside the New Year holidays: moves to 12 January 2026.
        let d = n.deadline(&cal(), date(2025, 12, 22));
        assert_eq!(d.moved_from, Some(date(2026, 1, 6)));
        assert_eq!(d.date, date(2026, 1, 12));
        // 2026-04-24 + 15 = 2026-05-09 (Victory Day, Saturday), then 10 May Sunday, 11 May is
        // the day off moved from the 9th: the first working day is 12 May.
        let d = n.deadline(&cal(), date(2026, 4, 24));
        assert_eq!(d.moved_from, Some(date(2026, 5, 9)));
        assert_eq!(d.date, date(2026, 5, 12));
        // A Saturday made working (1 November 2025) is a valid deadline.
        let d = n.deadline(&cal(), date(2025, 10, 17));
        assert_eq!(d.date, date(2025, 11, 1));
        assert_eq!(d.moved_from, None);
    }

    #[test]
    fn norms_are_configurable() {
        let n = AppealNorms {
            answer_days: 10,
            ..AppealNorms::default()
        };
        assert_eq!(n.deadline(&cal(), date(2026, 3, 2)).date, date(2026, 3, 12));
        assert!(n.validate().is_ok());
        let bad = AppealNorms {
            answer_days: 0,
            max_extension_days: 40,
            remind_days: 20,
            repeat_window_days: -1,
        };
        let e = bad.validate().unwrap_err();
        assert_eq!(e.0.len(), 4);
    }

    #[test]
    fn extension_needs_interim_reply_once_and_within_limit() {
        let n = AppealNorms::default();
        let open = ExtensionState {
            status: AppealStatus::Assigned,
            deadline: date(2026, 3, 17),
            interim_reply_sent: true,
            already_extended: false,
        };
        let d = extend_deadline(&cal(), &n, open, 15).unwrap();
        // 17 March + 15 = 1 April 2026 (Wednesday).
        assert_eq!(d.date, date(2026, 4, 1));
        let e = extend_deadline(&cal(), &n, open, 16).unwrap_err();
        assert!(e.get("days").unwrap().contains("от 1 до 15"));
        assert!(extend_deadline(&cal(), &n, open, 0).is_err());
        let no_interim = ExtensionState {
            interim_reply_sent: false,
            ..open
        };
        let e = extend_deadline(&cal(), &n, no_interim, 5).unwrap_err();
        assert!(e.get("days").unwrap().contains("промежуточного ответа"));
        let twice = ExtensionState {
            already_extended: true,
            ..open
        };
        assert!(extend_deadline(&cal(), &n, twice, 5).is_err());
        let closed = ExtensionState {
            status: AppealStatus::Answered,
            ..open
        };
        assert!(extend_deadline(&cal(), &n, closed, 5).is_err());
        // An extension landing on a holiday moves on too: 24 April + 15 → 12 May 2026.
        let spring = ExtensionState {
            deadline: date(2026, 4, 24),
            ..open
        };
        assert_eq!(
            extend_deadline(&cal(), &n, spring, 15).unwrap().date,
            date(2026, 5, 12)
        );
    }

    fn draft() -> AppealDraft {
        AppealDraft {
            channel: "online_reception".into(),
            kind: "complaint".into(),
            topic: "billing".into(),
            text: "Прошу пересчитать начисление по счётчику.".into(),
            applicant_name: "Иванов Иван Иванович".into(),
            email: "ivanov@mail.ru".into(),
            ..Default::default()
        }
    }

    #[test]
    fn public_appeal_needs_name_and_a_way_to_answer() {
        let ok = draft().validate(true).unwrap();
        assert_eq!(ok.answer_channel, AnswerChannel::Email);
        assert!(!ok.flagged);
        let mut d = draft();
        d.applicant_name.clear();
        d.text = "   ".into();
        d.answer_channel = "email".into();
        d.email.clear();
        let e = d.validate(true).unwrap_err();
        assert!(e.get("applicant_name").is_some());
        assert!(e.get("text").is_some());
        assert!(e.get("email").is_some());
        let mut d = draft();
        d.text = "я".repeat(MAX_TEXT_CHARS + 1);
        assert!(d.validate(true).unwrap_err().get("text").is_some());
        let mut d = draft();
        d.kind = "wish".into();
        d.account_number = "1234567890".into();
        let e = d.validate(false).unwrap_err();
        assert!(e.get("kind").is_some());
        assert!(e.get("account_number").unwrap().contains("контрольная"));
    }

    #[test]
    fn staff_may_register_without_contacts() {
        let mut d = draft();
        d.channel = "in_person_oral".into();
        d.applicant_name.clear();
        d.email.clear();
        let ok = d.validate(false).unwrap();
        assert_eq!(ok.answer_channel, AnswerChannel::Post);
    }

    #[test]
    fn answer_must_carry_every_required_part() {
        let full = AnswerDraft {
            substance: "Перерасчёт выполнен.".into(),
            executor_name: "Петрова Анна Сергеевна".into(),
            executor_phone: "8 (3467) 38-88-88".into(),
            signatory_name: "Сидоров П. П.".into(),
            signatory_position: "Руководитель Радужнинского отделения".into(),
            ..Default::default()
        };
        let a = full.validate(AnswerChannel::Email).unwrap();
        assert_eq!(a.channel, AnswerChannel::Email);
        assert_eq!(a.executor_phone, "3467388888");
        for field in [
            "substance",
            "executor_name",
            "executor_phone",
            "signatory_name",
            "signatory_position",
        ] {
            let mut d = full.clone();
            match field {
                "substance" => d.substance.clear(),
                "executor_name" => d.executor_name = "Петрова".into(),
                "executor_phone" => d.executor_phone = "12".into(),
                "signatory_name" => d.signatory_name.clear(),
                _ => d.signatory_position.clear(),
            }
            let e = d.validate(AnswerChannel::Email).unwrap_err();
            assert!(e.get(field).is_some(), "{field} must be required");
        }
        let mut phone = full.clone();
        phone.channel = "phone".into();
        assert!(phone
            .validate(AnswerChannel::Post)
            .unwrap_err()
            .get("call_note")
            .is_some());
    }

    #[test]
    fn obscenity_is_flagged_not_decided() {
        assert!(looks_obscene("Вы там все бляди, я вас убью"));
        assert!(looks_obscene("СУКА, где свет?"));
        assert!(!looks_obscene(
            "Прошу проверить счётчик, показания не сходятся."
        ));
        assert!(!looks_obscene("Сукачёв Иван просит перерасчёт"));
        assert!(!looks_obscene("Застрахуйте"));
    }

    #[test]
    fn word_forms_meet_in_search_terms() {
        let a = search_terms("Замена СЧЁТЧИКА в квартире");
        let b = search_terms("счетчик");
        assert!(a.split(' ').any(|t| t == b), "{a} / {b}");
        assert_eq!(search_terms("начисления"), search_terms("начислений"));
        assert_eq!(search_terms("  "), "");
    }

    #[test]
    fn overdue_and_numbers() {
        let today = date(2026, 3, 10);
        assert!(is_overdue(date(2026, 3, 9), today));
        assert!(!is_overdue(date(2026, 3, 10), today));
        assert_eq!(registration_number(2026, 123), "2026-000123");
    }
}
