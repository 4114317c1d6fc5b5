//! Accounts (лицевые счета, ACC-02): numbers with a check digit, categories and statuses.

use serde::{Deserialize, Serialize};

/// A 10-digit account number: 9 digits of serial and a Luhn check digit, so a mistyped digit or
/// two swapped neighbours are caught before a search or a payment goes to the wrong account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(try_from = "String", into = "String")]
pub struct AccountNumber(String);

pub const ACCOUNT_NUMBER_LEN: usize = 10;

fn luhn_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

impl AccountNumber {
    /// The number for a 9-digit serial (0 ..= 999 999 999).
    pub fn from_serial(serial: u32) -> Self {
        assert!(serial < 1_000_000_000, "account serial has 9 digits");
        let body = format!("{serial:09}");
        let digits: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
        Self(format!("{body}{}", luhn_digit(&digits)))
    }

    /// Parses typed input: spaces and dashes are ignored.
    pub fn parse(input: &str) -> Result<Self, String> {
        let s: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if s.is_empty() {
            return Err("Укажите номер лицевого счёта.".into());
        }
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err("Номер лицевого счёта состоит только из цифр.".into());
        }
        if s.len() != ACCOUNT_NUMBER_LEN {
            return Err(format!(
                "Номер лицевого счёта состоит из {ACCOUNT_NUMBER_LEN} цифр, введено {}.",
                s.len()
            ));
        }
        let digits: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
        if luhn_digit(&digits[..9]) != digits[9] {
            return Err(
                "Номер лицевого счёта введён с ошибкой: не сходится контрольная цифра.".into(),
            );
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AccountNumber {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<AccountNumber> for String {
    fn from(a: AccountNumber) -> String {
        a.0
    }
}

macro_rules! coded_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal / $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable code used in the database and the API.
            pub fn code(self) -> &'static str { match self { $($name::$variant => $code),+ } }
            /// The Russian label shown to people.
            pub fn label_ru(self) -> &'static str { match self { $($name::$variant => $label),+ } }
            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }

        impl std::fmt::Display for $name {
            /// Writes the code.
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        /// How the store decodes a stored code (`#[sqlx(try_from = "String")]`).
        impl TryFrom<String> for $name {
            type Error = $crate::accounts::UnknownCode;
            fn try_from(code: String) -> Result<Self, Self::Error> {
                Self::parse(&code).ok_or($crate::accounts::UnknownCode {
                    kind: stringify!($name),
                    code,
                })
            }
        }
    };
}
pub(crate) use coded_enum;

/// A stored or sent code that names no variant of a coded enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    /// The enum, e.g. `AppealStatus`.
    pub kind: &'static str,
    pub code: String,
}

impl std::fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown {} code {:?}", self.kind, self.code)
    }
}

impl std::error::Error for UnknownCode {}

coded_enum! {
    /// Tariff category of the premises (ACC-02); drives tariffs and norms later (BIL-01, BIL-02).
    AccountCategory {
        Urban = "urban" / "городское население",
        UrbanElectricStove = "urban_electric_stove" / "городское население с электроплитами",
        Rural = "rural" / "сельское население",
    }
}

coded_enum! {
    /// Lifecycle of an account.
    AccountStatus {
        Active = "active" / "действует",
        Suspended = "suspended" / "приостановлен",
        Closed = "closed" / "закрыт",
    }
}

coded_enum! {
    /// Status of a supply contract (ACC-03).
    ContractStatus {
        Applied = "applied" / "заявление подано",
        Concluded = "concluded" / "заключён",
        Refused = "refused" / "в заключении отказано",
        Terminated = "terminated" / "расторгнут",
    }
}

/// A document for a supply contract in writing (ПП 442 п. 34; §5.2.2 asks that the list be
/// published): its code, its name, and whether the client brings it (the application itself is
/// the form the client fills in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractDocument {
    pub code: &'static str,
    pub label: &'static str,
    pub from_client: bool,
}

pub const CONTRACT_DOCUMENTS: [ContractDocument; 4] = [
    ContractDocument {
        code: "application",
        label: "заявление о заключении договора",
        from_client: false,
    },
    ContractDocument {
        code: "identity",
        label: "документ, удостоверяющий личность",
        from_client: true,
    },
    ContractDocument {
        code: "ownership",
        label: "документ о праве собственности (пользования) на помещение",
        from_client: true,
    },
    ContractDocument {
        code: "meter",
        label: "документ о допуске прибора учёта в эксплуатацию",
        from_client: true,
    },
];

pub fn contract_document(code: &str) -> Option<&'static ContractDocument> {
    CONTRACT_DOCUMENTS.iter().find(|d| d.code == code)
}

/// A new account as typed by staff (ACC-02): where the premises are and how they are billed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountDraft {
    pub branch_id: String,
    #[serde(default)]
    pub postcode: String,
    /// «г. Радужный», «пгт Новоаганск».
    pub settlement: String,
    /// «ул. Лесная», «1 мкр.».
    pub street: String,
    pub house: String,
    #[serde(default)]
    pub apartment: String,
    pub category: String,
    pub residents: String,
    pub rooms: String,
    /// `YYYY-MM-DD`; today when empty.
    #[serde(default)]
    pub opened_on: String,
}

/// A validated new account (the number is assigned by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInput {
    pub branch_id: i64,
    pub postcode: String,
    pub settlement: String,
    pub street: String,
    pub house: String,
    pub apartment: Option<String>,
    pub category: AccountCategory,
    pub residents: i64,
    pub rooms: i64,
    pub opened_on: jiff::civil::Date,
}

fn small_count(
    e: &mut crate::validation::FieldErrors,
    field: &str,
    v: &str,
    min: i64,
    what: &str,
) -> i64 {
    match v.trim().parse::<i64>() {
        Ok(n) if (min..=50).contains(&n) => n,
        _ => {
            e.add(field, format!("{what}: целое число от {min} до 50."));
            min
        }
    }
}

impl AccountDraft {
    pub fn validate(
        &self,
        today: jiff::civil::Date,
    ) -> Result<AccountInput, crate::validation::FieldErrors> {
        use crate::validation::{optional_text, required_text, FieldErrors};
        let mut e = FieldErrors::new();
        let branch_id = self.branch_id.trim().parse::<i64>().unwrap_or_else(|_| {
            e.add("branch_id", "Выберите отделение.");
            0
        });
        let postcode = self.postcode.trim().to_owned();
        if !postcode.is_empty()
            && (postcode.len() != 6 || !postcode.chars().all(|c| c.is_ascii_digit()))
        {
            e.add("postcode", "Почтовый индекс состоит из 6 цифр.");
        }
        let settlement = required_text(&mut e, "settlement", &self.settlement, 100);
        let street = required_text(&mut e, "street", &self.street, 100);
        let house = required_text(&mut e, "house", &self.house, 20);
        let apartment = optional_text(&mut e, "apartment", &self.apartment, 20);
        let category = AccountCategory::parse(self.category.trim()).unwrap_or_else(|| {
            e.add("category", "Выберите категорию.");
            AccountCategory::Urban
        });
        let residents = small_count(&mut e, "residents", &self.residents, 0, "Число проживающих");
        let rooms = small_count(&mut e, "rooms", &self.rooms, 1, "Число комнат");
        let opened_on = if self.opened_on.trim().is_empty() {
            today
        } else {
            match self.opened_on.trim().parse::<jiff::civil::Date>() {
                Ok(d) if d <= today => d,
                Ok(_) => {
                    e.add("opened_on", "Дата открытия не может быть в будущем.");
                    today
                }
                Err(_) => {
                    e.add("opened_on", "Дата пишется как ГГГГ-ММ-ДД.");
                    today
                }
            }
        };
        e.into_result(AccountInput {
            branch_id,
            postcode,
            settlement,
            street,
            house,
            apartment,
            category,
            residents,
            rooms,
            opened_on,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The store decodes these enums from their codes and the API serialises them with serde:
    /// both forms must be the code, or the JSON would change under the typed rows.
    fn assert_codes_round_trip<T>(all: &[T], code: fn(T) -> &'static str)
    where
        T: Copy + std::fmt::Debug + PartialEq + Serialize + TryFrom<String, Error = UnknownCode>,
        T: std::fmt::Display,
    {
        for &v in all {
            assert_eq!(serde_json::to_value(v).unwrap(), code(v), "{v:?}");
            assert_eq!(v.to_string(), code(v));
            assert_eq!(T::try_from(code(v).to_owned()), Ok(v));
        }
    }

    #[test]
    fn typed_codes_serialise_as_their_codes() {
        use crate::appeals::{AnswerChannel, AppealKind, AppealStatus, Ground, IntakeChannel};
        assert_codes_round_trip(AccountCategory::ALL, AccountCategory::code);
        assert_codes_round_trip(AccountStatus::ALL, AccountStatus::code);
        assert_codes_round_trip(ContractStatus::ALL, ContractStatus::code);
        assert_codes_round_trip(AppealKind::ALL, AppealKind::code);
        assert_codes_round_trip(IntakeChannel::ALL, IntakeChannel::code);
        assert_codes_round_trip(AppealStatus::ALL, AppealStatus::code);
        assert_codes_round_trip(AnswerChannel::ALL, AnswerChannel::code);
        assert_codes_round_trip(Ground::ALL, Ground::code);
        assert_codes_round_trip(crate::org::Role::ALL, crate::org::Role::code);
        assert_codes_round_trip(crate::news::NewsKind::ALL, crate::news::NewsKind::code);
        assert_codes_round_trip(
            crate::restriction::DeliveryWay::ALL,
            crate::restriction::DeliveryWay::code,
        );
        assert_codes_round_trip(
            crate::appeals::StaffNoticeKind::ALL,
            crate::appeals::StaffNoticeKind::code,
        );
        use crate::clients::{Channel, ConsentKind, VulnerableCategory};
        assert_codes_round_trip(Channel::ALL, Channel::code);
        assert_codes_round_trip(ConsentKind::ALL, ConsentKind::code);
        assert_codes_round_trip(VulnerableCategory::ALL, VulnerableCategory::code);
        let e = AppealStatus::try_from("closed".to_owned()).unwrap_err();
        assert_eq!(e.to_string(), "unknown AppealStatus code \"closed\"");
    }

    #[test]
    fn generated_numbers_validate() {
        for s in [0, 1, 42, 123_456_789, 999_999_999] {
            let n = AccountNumber::from_serial(s);
            assert_eq!(n.as_str().len(), 10);
            assert_eq!(AccountNumber::parse(n.as_str()).unwrap(), n);
        }
    }

    #[test]
    fn typos_are_caught() {
        let n = AccountNumber::from_serial(860_012_345).to_string();
        // Change one digit.
        let mut b = n.clone().into_bytes();
        b[3] = if b[3] == b'9' { b'0' } else { b[3] + 1 };
        let err = AccountNumber::parse(std::str::from_utf8(&b).unwrap()).unwrap_err();
        assert!(err.contains("контрольная цифра"));
        // Swap two different neighbours.
        let mut b = n.clone().into_bytes();
        let i = (0..8).find(|&i| b[i] != b[i + 1]).unwrap();
        b.swap(i, i + 1);
        assert!(AccountNumber::parse(std::str::from_utf8(&b).unwrap()).is_err());
    }

    #[test]
    fn messages_for_bad_shapes() {
        assert!(AccountNumber::parse("").unwrap_err().contains("Укажите"));
        assert!(AccountNumber::parse("12ab")
            .unwrap_err()
            .contains("только из цифр"));
        assert!(AccountNumber::parse("123")
            .unwrap_err()
            .contains("введено 3"));
        let n = AccountNumber::from_serial(5);
        let spaced = format!("{} {}", &n.as_str()[..5], &n.as_str()[5..]);
        assert_eq!(AccountNumber::parse(&spaced).unwrap(), n);
    }

    #[test]
    fn account_draft_rules() {
        let today = jiff::civil::date(2026, 11, 26);
        let d = AccountDraft {
            branch_id: "1".into(),
            settlement: "г. Радужный".into(),
            street: "1 мкр.".into(),
            house: "43".into(),
            category: "urban".into(),
            residents: "2".into(),
            rooms: "1".into(),
            ..Default::default()
        };
        let a = d.validate(today).unwrap();
        assert_eq!(a.opened_on, today);
        assert_eq!(a.apartment, None);
        let e = AccountDraft {
            residents: "-1".into(),
            rooms: "много".into(),
            opened_on: "2027-01-01".into(),
            house: " ".into(),
            ..d
        }
        .validate(today)
        .unwrap_err();
        for f in ["residents", "rooms", "opened_on", "house"] {
            assert!(e.get(f).is_some(), "{f}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for c in AccountCategory::ALL {
            assert_eq!(AccountCategory::parse(c.code()), Some(*c));
        }
    }
}
