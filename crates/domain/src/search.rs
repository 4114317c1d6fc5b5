//! Normalised search keys (ACC-04). The store indexes these keys so that every search is a
//! B-tree range scan on both engines: lower case, `ё` as `е`, phone numbers as 10 digits.

/// Lower case with `ё`→`е` and runs of white space folded: names and addresses.
pub fn text_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.trim().chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        for l in c.to_lowercase() {
            out.push(if l == 'ё' { 'е' } else { l });
        }
    }
    out
}

/// The 10 national digits of a Russian phone number (`+7 (912) 345-67-89`, `8912…` → `9123456789`),
/// or the digits as typed when they are fewer (a prefix search).
pub fn phone_key(s: &str) -> String {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let trunk = digits.starts_with('7') || digits.starts_with('8');
    let international = s.trim_start().starts_with("+7");
    // A leading 7/8 is the country or trunk prefix when the number is complete, typed as +7, or
    // followed by a mobile code (9xx); otherwise it is part of a region code such as 812.
    if trunk && (digits.len() == 11 || international || digits[1..].starts_with('9')) {
        digits[1..].to_owned()
    } else {
        digits
    }
}

/// The smallest string greater than every string starting with `prefix`: the exclusive upper
/// bound of a prefix range (`key >= prefix AND key < upper`), which both engines serve from an
/// index whatever the collation.
pub fn prefix_upper_bound(prefix: &str) -> String {
    let mut s = prefix.to_owned();
    s.push(char::MAX);
    s
}

/// What the search box was given, guessed from its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchQuery {
    /// Ten digits with a valid check digit.
    AccountNumber(String),
    /// Digits, `+`, brackets and dashes only: a phone or its beginning.
    Phone(String),
    /// Words: surname (and name) prefixes, or an address.
    Text(String),
}

impl SearchQuery {
    /// `None` for an empty or too short query.
    pub fn classify(input: &str) -> Option<Self> {
        let t = input.trim();
        if t.chars().count() < 2 {
            return None;
        }
        if t.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)) {
            if let Ok(n) = crate::accounts::AccountNumber::parse(t) {
                return Some(Self::AccountNumber(n.to_string()));
            }
            // Two digits are a query too: the beginning of a phone number.
            let p = phone_key(t);
            return (!p.is_empty()).then_some(Self::Phone(p));
        }
        Some(Self::Text(text_key(t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(text_key("  Ёлкина   Алёна "), "елкина алена");
        assert_eq!(phone_key("+7 (912) 345-67-89"), "9123456789");
        assert_eq!(phone_key("8-912-345-67-89"), "9123456789");
        assert_eq!(phone_key("912 34"), "91234");
        assert_eq!(phone_key("+7 912"), "912");
        assert_eq!(phone_key("8 912 3"), "9123");
        assert_eq!(phone_key("812 555"), "812555");
        let up = prefix_upper_bound("ив");
        assert!("иванов" < up.as_str() && "ив" < up.as_str() && "ивz" < up.as_str());
        assert!("ивя" < up.as_str() && "ия" > up.as_str());
    }

    #[test]
    fn classify() {
        let n = crate::accounts::AccountNumber::from_serial(7).to_string();
        assert_eq!(
            SearchQuery::classify(&n),
            Some(SearchQuery::AccountNumber(n))
        );
        assert_eq!(
            SearchQuery::classify("+7 912 3"),
            Some(SearchQuery::Phone("9123".into()))
        );
        assert_eq!(
            SearchQuery::classify("Иванов"),
            Some(SearchQuery::Text("иванов".into()))
        );
        assert_eq!(SearchQuery::classify(" а "), None);
    }

    #[test]
    fn two_characters_are_a_query() {
        assert_eq!(
            SearchQuery::classify("91"),
            Some(SearchQuery::Phone("91".into()))
        );
        assert_eq!(
            SearchQuery::classify("Ли"),
            Some(SearchQuery::Text("ли".into()))
        );
        assert_eq!(
            SearchQuery::classify("кв"),
            Some(SearchQuery::Text("кв".into()))
        );
        assert_eq!(SearchQuery::classify("+7"), None);
    }
}

/// Words that people type or omit in addresses and that carry no meaning for a search.
const ADDRESS_NOISE: [&str; 10] = [
    "ул",
    "улица",
    "д",
    "дом",
    "кв",
    "квартира",
    "пр",
    "пер",
    "г",
    "п",
];

/// Words that introduce a settlement in a printed address: «г. Радужный», «пгт Новоаганск».
const SETTLEMENT_MARKERS: [&str; 9] = [
    "г",
    "город",
    "пгт",
    "п",
    "пос",
    "поселок",
    "с",
    "село",
    "дер",
];

/// Words that introduce the flat number: «кв. 118».
const FLAT_MARKERS: [&str; 2] = ["кв", "квартира"];

/// The words of an address: lower case, `ё` as `е`, punctuation as spaces.
fn address_words(s: &str) -> Vec<String> {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    text_key(&cleaned)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The key of address words: without the noise words, joined by single spaces.
fn key_of(words: &[String]) -> String {
    words
        .iter()
        .filter(|w| !ADDRESS_NOISE.contains(&w.as_str()))
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The search key of an address: `street house apartment`, lower case, without punctuation and
/// without the words «ул.», «д.», «кв.». The premises' key is built from street, house and flat
/// (`PremisesData::search_key`); a query goes through [`AddressQuery::parse`], so
/// «ул. Лесная, д. 5» and «лесная 5» both find «Лесная 5 12».
pub fn address_key(s: &str) -> String {
    key_of(&address_words(s))
}

/// An address as staff type it or copy it from a printed document (ACC-04): the printed
/// «628462, г. Радужный, 7 мкр., д. 34, кв. 118», the short «Радужный 7 мкр» and the flat
/// alone, «кв. 118».
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressQuery {
    /// The prefix of `premises.address_key` (street, house, flat), empty when only the flat was
    /// given.
    pub key: String,
    /// The same without the first word, to try when `key` finds nothing: the word may be a
    /// settlement typed without «г.» («Радужный 7 мкр»). Only when something with a digit
    /// remains, so a name is never cut to a fragment.
    pub without_settlement: Option<String>,
    /// The flat number when the query names a flat and nothing else («кв. 118»).
    pub flat_only: Option<String>,
}

impl AddressQuery {
    pub fn parse(s: &str) -> Self {
        let mut words = address_words(s);
        // A postcode opens a printed address: six digits.
        if words
            .first()
            .is_some_and(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()))
        {
            words.remove(0);
        }
        // «г. Радужный»: the marker and the settlement's name are not in the premises' key.
        let mut marked = false;
        if words
            .first()
            .is_some_and(|w| SETTLEMENT_MARKERS.contains(&w.as_str()))
            && words.len() >= 2
        {
            words.drain(..2);
            marked = true;
        }
        let flat_only = match words.as_slice() {
            [m, n] if FLAT_MARKERS.contains(&m.as_str()) => Some(n.clone()),
            _ => None,
        };
        if flat_only.is_some() {
            return Self {
                flat_only,
                ..Self::default()
            };
        }
        let key = key_of(&words);
        let rest = key
            .split_once(' ')
            .map(|(first, rest)| (first, rest.to_owned()));
        let without_settlement = match rest {
            Some((first, rest))
                if !marked
                    && first.chars().all(char::is_alphabetic)
                    && rest.chars().any(|c| c.is_ascii_digit()) =>
            {
                Some(rest)
            }
            _ => None,
        };
        Self {
            key,
            without_settlement,
            flat_only: None,
        }
    }
}

#[cfg(test)]
mod address_tests {
    use super::*;

    #[test]
    fn address_keys_match_typed_forms() {
        let stored = address_key("ул. Лесная д. 5 кв. 12");
        assert_eq!(stored, "лесная 5 12");
        assert!(stored.starts_with(&address_key("Лесная, 5")));
        assert_eq!(address_key("1 мкр., д. 43"), "1 мкр 43");
        assert_eq!(address_key("70 лет Октября"), "70 лет октября");
    }

    /// The premises' key as `PremisesData::search_key` builds it.
    fn stored(street: &str, house: &str, flat: &str) -> String {
        address_key(&format!("{street} {house} {flat}"))
    }

    #[test]
    fn the_printed_address_finds_its_premises() {
        let key = stored("7 мкр.", "34", "118");
        assert_eq!(key, "7 мкр 34 118");
        for printed in [
            "г. Радужный, 7 мкр., д. 34, кв. 118",
            "628462, г. Радужный, 7 мкр., д. 34, кв. 118",
            "г.Радужный,7 мкр.,д.34,кв.118",
            "7 мкр., д. 34, кв. 118",
        ] {
            let q = AddressQuery::parse(printed);
            assert_eq!(q.key, key, "{printed}");
            assert_eq!(q.without_settlement, None, "{printed}");
        }
        let q = AddressQuery::parse("пгт Новоаганск, ул. Лесная, д. 5");
        assert_eq!(q.key, "лесная 5");
        assert!(stored("ул. Лесная", "5", "12").starts_with(&q.key));
    }

    #[test]
    fn a_settlement_without_its_marker_is_tried_away() {
        let q = AddressQuery::parse("Радужный 7 мкр");
        assert_eq!(q.key, "радужный 7 мкр");
        assert_eq!(q.without_settlement.as_deref(), Some("7 мкр"));
        assert!(stored("7 мкр.", "34", "118").starts_with("7 мкр"));
        let q = AddressQuery::parse("Новоаганск Лесная 5");
        assert_eq!(q.without_settlement.as_deref(), Some("лесная 5"));
        // A name is never cut: nothing with a digit would remain.
        assert_eq!(AddressQuery::parse("Иванов Иван").without_settlement, None);
        assert_eq!(AddressQuery::parse("Лесная").without_settlement, None);
    }

    #[test]
    fn the_flat_alone_is_a_flat() {
        for q in ["кв. 118", "кв 118", "Квартира 118", "кв.118"] {
            let p = AddressQuery::parse(q);
            assert_eq!(p.flat_only.as_deref(), Some("118"), "{q}");
            assert_eq!(p.key, "", "{q}");
        }
        assert_eq!(AddressQuery::parse("д. 34, кв. 118").flat_only, None);
    }
}
