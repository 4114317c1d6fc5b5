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
            let p = phone_key(t);
            return (p.len() >= 3).then_some(Self::Phone(p));
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

/// The search key of an address: `street house apartment`, lower case, without punctuation and
/// without the words «ул.», «д.», «кв.». A query goes through the same function, so
/// «ул. Лесная, д. 5» and «лесная 5» both find «Лесная 5 12».
pub fn address_key(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    text_key(&cleaned)
        .split(' ')
        .filter(|w| !w.is_empty() && !ADDRESS_NOISE.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
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
}
