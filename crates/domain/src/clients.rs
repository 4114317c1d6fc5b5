//! Clients (ACC-01): validated personal data, contacts, preferred channel, vulnerable-category
//! flags and consents. Parse at the edge with [`ClientDraft::validate`], trust inside.

use serde::{Deserialize, Serialize};

use crate::accounts::coded_enum;
use crate::search::{phone_key, text_key};
use crate::validation::{optional_text, required_text, FieldErrors};

coded_enum! {
    /// The channel a client chose for answers and notices (§9.7).
    Channel {
        Post = "post" / "почтой",
        Email = "email" / "по электронной почте",
        Phone = "phone" / "по телефону",
        Sms = "sms" / "СМС",
        Portal = "portal" / "в личном кабинете",
    }
}

coded_enum! {
    /// Vulnerable categories that call for individual handling (§5.1, §6.1.3).
    VulnerableCategory {
        Disabled = "disabled" / "инвалид",
        Veteran = "veteran" / "ветеран",
        Elderly = "elderly" / "пожилой, одиноко проживающий",
        LargeFamily = "large_family" / "многодетная семья",
        /// Serialised as its stored code `other`, as the client card's JSON has always shown it.
        #[serde(rename = "other")]
        OtherVulnerable = "other" / "иная социально уязвимая категория",
    }
}

coded_enum! {
    /// Consents a client gives (152-ФЗ, notices by e-mail and SMS).
    ConsentKind {
        PersonalData = "personal_data" / "обработка персональных данных",
        EmailNotices = "email_notices" / "уведомления по электронной почте",
        SmsNotices = "sms_notices" / "СМС-уведомления",
    }
}

/// Client fields as typed in a form or sent to the API, before validation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClientDraft {
    pub surname: String,
    pub first_name: String,
    #[serde(default)]
    pub patronymic: String,
    /// Phones separated by commas or new lines.
    #[serde(default)]
    pub phones: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub postal_address: String,
    pub preferred_channel: String,
    #[serde(default)]
    pub vulnerable: Vec<String>,
    #[serde(default)]
    pub vulnerable_note: String,
    #[serde(default)]
    pub consents: Vec<String>,
}

/// A client's data after validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientData {
    pub surname: String,
    pub first_name: String,
    pub patronymic: Option<String>,
    /// Normalised to 10 national digits.
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub preferred_channel: Channel,
    pub vulnerable: Vec<VulnerableCategory>,
    pub vulnerable_note: Option<String>,
    pub consents: Vec<ConsentKind>,
}

impl ClientData {
    pub fn full_name(&self) -> String {
        full_name(&self.surname, &self.first_name, self.patronymic.as_deref())
    }

    /// The search key for names: `фамилия имя отчество`, normalised.
    pub fn name_key(&self) -> String {
        text_key(&self.full_name())
    }
}

/// «Фамилия Имя Отчество».
pub fn full_name(surname: &str, first: &str, patronymic: Option<&str>) -> String {
    match patronymic {
        Some(p) if !p.is_empty() => format!("{surname} {first} {p}"),
        _ => format!("{surname} {first}"),
    }
}

fn valid_name(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphabetic() || c == '-' || c == ' ' || c == '\'' || c == '.')
}

/// Formats 10 national digits as `+7 (912) 345-67-89`.
pub fn format_phone(key: &str) -> String {
    if key.len() == 10 && key.chars().all(|c| c.is_ascii_digit()) {
        format!(
            "+7 ({}) {}-{}-{}",
            &key[0..3],
            &key[3..6],
            &key[6..8],
            &key[8..10]
        )
    } else {
        key.to_owned()
    }
}

/// A plausible e-mail address: one `@`, a dot in the domain, no spaces.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
}

impl ClientDraft {
    /// Validates every field, reporting all problems at once in Russian.
    pub fn validate(&self) -> Result<ClientData, FieldErrors> {
        let mut e = FieldErrors::new();
        let surname = required_text(&mut e, "surname", &self.surname, 100);
        let first_name = required_text(&mut e, "first_name", &self.first_name, 100);
        let patronymic = optional_text(&mut e, "patronymic", &self.patronymic, 100);
        for (field, v) in [
            ("surname", Some(&surname)),
            ("first_name", Some(&first_name)),
            ("patronymic", patronymic.as_ref()),
        ] {
            if let Some(v) = v {
                if !v.is_empty() && !valid_name(v) && e.get(field).is_none() {
                    e.add(field, "Допустимы только буквы, пробел, дефис и апостроф.");
                }
            }
        }
        let mut phones = Vec::new();
        for p in self
            .phones
            .split([',', '\n', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let k = phone_key(p);
            if k.len() != 10 {
                e.add(
                    "phones",
                    format!("Телефон «{p}»: нужен номер из 10 цифр после +7, например +7 912 345-67-89."),
                );
            } else if !phones.contains(&k) {
                phones.push(k);
            }
        }
        if phones.len() > 5 {
            e.add("phones", "Не более пяти телефонов.");
        }
        let email = optional_text(&mut e, "email", &self.email, 200).map(|s| s.to_lowercase());
        if let Some(m) = &email {
            if !valid_email(m) && e.get("email").is_none() {
                e.add(
                    "email",
                    "Адрес электронной почты указан неверно, например ivanov@mail.ru.",
                );
            }
        }
        let postal_address = optional_text(&mut e, "postal_address", &self.postal_address, 300);
        let preferred_channel = match Channel::parse(self.preferred_channel.trim()) {
            Some(c) => c,
            None => {
                e.add("preferred_channel", "Выберите способ получения ответов.");
                Channel::Post
            }
        };
        match preferred_channel {
            Channel::Email if email.is_none() => e.add(
                "email",
                "Клиент выбрал ответы по электронной почте: укажите адрес.",
            ),
            Channel::Phone | Channel::Sms if phones.is_empty() => e.add(
                "phones",
                "Клиент выбрал ответы по телефону или СМС: укажите телефон.",
            ),
            Channel::Post if postal_address.is_none() => e.add(
                "postal_address",
                "Клиент выбрал ответы почтой: укажите почтовый адрес.",
            ),
            _ => {}
        }
        let mut vulnerable = Vec::new();
        for v in &self.vulnerable {
            match VulnerableCategory::parse(v) {
                Some(c) if !vulnerable.contains(&c) => vulnerable.push(c),
                Some(_) => {}
                None => e.add("vulnerable", format!("Неизвестная категория «{v}».")),
            }
        }
        let vulnerable_note = optional_text(&mut e, "vulnerable_note", &self.vulnerable_note, 500);
        let mut consents = Vec::new();
        for c in &self.consents {
            match ConsentKind::parse(c) {
                Some(k) if !consents.contains(&k) => consents.push(k),
                Some(_) => {}
                None => e.add("consents", format!("Неизвестное согласие «{c}».")),
            }
        }
        e.into_result(ClientData {
            surname,
            first_name,
            patronymic,
            phones,
            email,
            postal_address,
            preferred_channel,
            vulnerable,
            vulnerable_note,
            consents,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vulnerable_categories_serialise_as_their_stored_codes() {
        // The client card's JSON has always shown the stored codes: `other`, not the variant's
        // snake-case name.
        let all = serde_json::to_string(VulnerableCategory::ALL).unwrap();
        assert_eq!(
            all,
            r#"["disabled","veteran","elderly","large_family","other"]"#
        );
        let back: Vec<VulnerableCategory> = serde_json::from_str(&all).unwrap();
        assert_eq!(back, VulnerableCategory::ALL);
        assert_eq!(
            VulnerableCategory::try_from("other".to_owned()),
            Ok(VulnerableCategory::OtherVulnerable)
        );
        assert!(VulnerableCategory::try_from("other_vulnerable".to_owned()).is_err());
    }

    fn draft() -> ClientDraft {
        ClientDraft {
            surname: " Иванов ".into(),
            first_name: "Пётр".into(),
            patronymic: "Сергеевич".into(),
            phones: "+7 (912) 345-67-89, 8 900 000 00 01".into(),
            email: "Ivanov@Mail.ru".into(),
            postal_address: "628462, г. Радужный, 1 мкр., д. 4, кв. 5".into(),
            preferred_channel: "email".into(),
            vulnerable: vec!["veteran".into()],
            vulnerable_note: String::new(),
            consents: vec!["personal_data".into()],
        }
    }

    #[test]
    fn valid_draft() {
        let c = draft().validate().unwrap();
        assert_eq!(c.full_name(), "Иванов Пётр Сергеевич");
        assert_eq!(c.name_key(), "иванов петр сергеевич");
        assert_eq!(c.phones, vec!["9123456789", "9000000001"]);
        assert_eq!(c.email.as_deref(), Some("ivanov@mail.ru"));
        assert_eq!(c.vulnerable, vec![VulnerableCategory::Veteran]);
        assert_eq!(format_phone(&c.phones[0]), "+7 (912) 345-67-89");
    }

    #[test]
    fn every_problem_reported_at_once() {
        let d = ClientDraft {
            surname: "".into(),
            first_name: "Ivan2".into(),
            phones: "123".into(),
            email: "not-an-email".into(),
            preferred_channel: "pigeon".into(),
            vulnerable: vec!["x".into()],
            ..Default::default()
        };
        let e = d.validate().unwrap_err();
        assert_eq!(e.get("surname"), Some("Заполните поле."));
        assert!(e.get("first_name").unwrap().contains("только буквы"));
        assert!(e.get("phones").unwrap().contains("10 цифр"));
        assert!(e.get("email").unwrap().contains("неверно"));
        assert!(e.get("preferred_channel").is_some());
        assert!(e.get("vulnerable").is_some());
    }

    #[test]
    fn chosen_channel_needs_its_contact() {
        let mut d = draft();
        d.email.clear();
        assert!(d
            .validate()
            .unwrap_err()
            .get("email")
            .unwrap()
            .contains("выбрал"));
        let mut d = draft();
        d.preferred_channel = "sms".into();
        d.phones.clear();
        assert!(d.validate().unwrap_err().get("phones").is_some());
        let mut d = draft();
        d.preferred_channel = "post".into();
        d.postal_address.clear();
        assert!(d.validate().unwrap_err().get("postal_address").is_some());
    }
}
