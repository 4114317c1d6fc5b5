//! The payment QR payload of ГОСТ Р 56042-2014 (BIL-05): the UTF-8 variant `ST00012|…` that
//! banking apps read from an invoice. Required fields first (Name, PersonalAcc, BankName, BIC,
//! CorrespAcc), then the additional ones in the standard's order (Sum in kopecks, Purpose,
//! PayeeINN, KPP), then the others we fill (the payer's LastName, FirstName, MiddleName and
//! PayerAddress where known, PersAcc, PaymPeriod, TechCode 02 — "услуги ЖКХ"). The payload
//! carries every requisite the invoice prints, so the app's payment matches the paper.

use crate::money::Kopecks;
use crate::payments::bank;
use crate::validation::FieldErrors;

/// The payee's requisites and one invoice's amount, purpose and payer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentDetails {
    /// The payee's name: «АО «ЮТЭК»».
    pub name: String,
    /// Settlement account, 20 digits.
    pub personal_acc: String,
    pub bank_name: String,
    /// 9 digits.
    pub bic: String,
    /// Correspondent account, 20 digits.
    pub corresp_acc: String,
    /// 10 or 12 digits.
    pub payee_inn: String,
    /// The payee's KPP, 9 characters (empty for an entrepreneur).
    pub kpp: String,
    pub sum: Kopecks,
    /// Назначение платежа, as the invoice prints it.
    pub purpose: String,
    /// The payer (the client), where known; empty fields are left out of the payload.
    pub last_name: String,
    pub first_name: String,
    pub middle_name: String,
    /// The premises' address.
    pub payer_address: String,
    /// The client's account number (лицевой счёт).
    pub pers_acc: String,
    /// The billing period, `MMYYYY`.
    pub paym_period: String,
}

/// Maximum lengths of ГОСТ Р 56042-2014, table 1 and 2 (characters).
const NAME_MAX: usize = 160;
const BANK_NAME_MAX: usize = 45;
const PURPOSE_MAX: usize = 210;

/// Removes the separator and line breaks from a value (the standard forbids `|` in values) and
/// cuts it to `max` characters.
fn clean_max(v: &str, max: usize) -> String {
    let v: String = v
        .chars()
        .map(|c| if c == '|' || c.is_control() { ' ' } else { c })
        .collect();
    v.trim()
        .chars()
        .take(max)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

fn clean(v: &str) -> String {
    clean_max(v, usize::MAX)
}

impl PaymentDetails {
    /// Checks the payee's requisites (the Bank of Russia's control keys, the INN's check
    /// digits, the KPP's form, the standard's lengths); the messages name the field.
    pub fn validate_payee(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        let name = clean(&self.name);
        if name.is_empty() {
            e.add("name", "Укажите наименование получателя платежа.");
        } else if name.chars().count() > NAME_MAX {
            e.add(
                "name",
                format!(
                    "Наименование получателя — не длиннее {NAME_MAX} знаков (ГОСТ Р 56042-2014)."
                ),
            );
        }
        let bank_name = clean(&self.bank_name);
        if bank_name.is_empty() {
            e.add("bank_name", "Укажите наименование банка получателя.");
        } else if bank_name.chars().count() > BANK_NAME_MAX {
            e.add(
                "bank_name",
                format!(
                    "Наименование банка — не длиннее {BANK_NAME_MAX} знаков (ГОСТ Р 56042-2014): сократите, например «ПАО Сбербанк»."
                ),
            );
        }
        let checks = [
            (
                "personal_acc",
                bank::check_settlement_account(&self.personal_acc, &self.bic),
            ),
            ("bic", bank::check_bic(&self.bic)),
            (
                "corresp_acc",
                bank::check_correspondent_account(&self.corresp_acc, &self.bic),
            ),
            ("payee_inn", bank::check_inn(&self.payee_inn)),
            ("kpp", bank::check_kpp(&self.kpp, &self.payee_inn)),
        ];
        for (field, r) in checks {
            if let Err(m) = r {
                e.add(field, m);
            }
        }
        e.into_result(())
    }

    /// Checks the requisites, the sum and the period; the messages name the field.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = match self.validate_payee() {
            Ok(()) => FieldErrors::new(),
            Err(e) => e,
        };
        if self.sum.0 < 0 {
            e.add("sum", "Сумма к оплате не может быть отрицательной.");
        }
        let p = &self.paym_period;
        let month_ok = p.len() == 6
            && p.chars().all(|c| c.is_ascii_digit())
            && (1..=12).contains(&p[..2].parse::<u32>().unwrap_or(0));
        if !month_ok {
            e.add("paym_period", "Период оплаты — ММГГГГ, например 112026.");
        }
        e.into_result(())
    }

    /// The QR payload: `ST00012|Name=…|PersonalAcc=…|BankName=…|BIC=…|CorrespAcc=…|Sum=…|
    /// Purpose=…|PayeeINN=…|KPP=…|LastName=…|FirstName=…|MiddleName=…|PayerAddress=…|PersAcc=…|
    /// PaymPeriod=…|TechCode=02`; optional fields that are empty are left out.
    pub fn payload(&self) -> Result<String, FieldErrors> {
        self.validate()?;
        let mut s = format!(
            "ST00012|Name={}|PersonalAcc={}|BankName={}|BIC={}|CorrespAcc={}|Sum={}",
            clean_max(&self.name, NAME_MAX),
            self.personal_acc,
            clean_max(&self.bank_name, BANK_NAME_MAX),
            self.bic,
            self.corresp_acc,
            self.sum.0,
        );
        let mut push = |key: &str, value: String| {
            if !value.is_empty() {
                s.push('|');
                s.push_str(key);
                s.push('=');
                s.push_str(&value);
            }
        };
        push("Purpose", clean_max(&self.purpose, PURPOSE_MAX));
        push("PayeeINN", self.payee_inn.clone());
        push("KPP", self.kpp.clone());
        push("LastName", clean(&self.last_name));
        push("FirstName", clean(&self.first_name));
        push("MiddleName", clean(&self.middle_name));
        push("PayerAddress", clean(&self.payer_address));
        push("PersAcc", clean(&self.pers_acc));
        push("PaymPeriod", self.paym_period.clone());
        push("TechCode", "02".into());
        Ok(s)
    }
}

/// Reads a payload back into its fields (for checks and for tests that decode a printed code).
pub fn parse_payload(s: &str) -> Option<Vec<(String, String)>> {
    let rest = s.strip_prefix("ST0001")?;
    let (encoding, rest) = rest.split_at(1);
    if encoding != "2" {
        return None;
    }
    let sep = rest.chars().next()?;
    Some(
        rest[sep.len_utf8()..]
            .split(sep)
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details() -> PaymentDetails {
        PaymentDetails {
            name: "АО «ЮТЭК»".into(),
            personal_acc: "40702810967170000123".into(),
            bank_name: "ЗАПАДНО-СИБИРСКИЙ БАНК ПАО СБЕРБАНК".into(),
            bic: "047102651".into(),
            corresp_acc: "30101810800000000651".into(),
            payee_inn: "8601023568".into(),
            kpp: "860101001".into(),
            sum: Kopecks(123_456),
            purpose: "Оплата электроэнергии, л/с 0000000018, период 11.2026".into(),
            last_name: "Иванов".into(),
            first_name: "Иван".into(),
            middle_name: "Иванович".into(),
            payer_address: "г. Радужный, 1 мкр., д. 5, кв. 3".into(),
            pers_acc: "0000000018".into(),
            paym_period: "112026".into(),
        }
    }

    #[test]
    fn payload_has_the_required_fields_in_order_and_every_printed_requisite() {
        let p = details().payload().unwrap();
        assert_eq!(
            p,
            "ST00012|Name=АО «ЮТЭК»|PersonalAcc=40702810967170000123|BankName=ЗАПАДНО-СИБИРСКИЙ БАНК ПАО СБЕРБАНК|BIC=047102651|CorrespAcc=30101810800000000651|Sum=123456|Purpose=Оплата электроэнергии, л/с 0000000018, период 11.2026|PayeeINN=8601023568|KPP=860101001|LastName=Иванов|FirstName=Иван|MiddleName=Иванович|PayerAddress=г. Радужный, 1 мкр., д. 5, кв. 3|PersAcc=0000000018|PaymPeriod=112026|TechCode=02"
        );
        let fields = parse_payload(&p).unwrap();
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            &keys[..5],
            ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc"],
            "required fields first (ГОСТ Р 56042-2014, 4.5)"
        );
        assert!(fields.contains(&("Sum".into(), "123456".into())));
        assert!(fields.contains(&("KPP".into(), "860101001".into())));
    }

    #[test]
    fn unknown_payer_fields_are_left_out() {
        let mut d = details();
        d.last_name.clear();
        d.first_name.clear();
        d.middle_name.clear();
        d.payer_address = " \n ".into();
        d.purpose.clear();
        let p = d.payload().unwrap();
        for k in [
            "LastName=",
            "FirstName=",
            "MiddleName=",
            "PayerAddress=",
            "Purpose=",
        ] {
            assert!(!p.contains(k), "{k} in {p}");
        }
        assert!(
            p.ends_with("|PersAcc=0000000018|PaymPeriod=112026|TechCode=02"),
            "{p}"
        );
    }

    #[test]
    fn separators_are_removed_lengths_kept_and_bad_requisites_refused() {
        let mut d = details();
        d.name = "ООО |Ромашка|\n".into();
        d.payer_address = "ул. Мира|5".into();
        d.purpose = "я".repeat(300);
        let p = d.payload().unwrap();
        assert!(p.contains("Name=ООО  Ромашка|PersonalAcc="), "{p}");
        assert!(p.contains("|PayerAddress=ул. Мира 5|"), "{p}");
        let fields = parse_payload(&p).unwrap();
        let purpose = &fields.iter().find(|(k, _)| k == "Purpose").unwrap().1;
        assert_eq!(purpose.chars().count(), 210, "Purpose ≤ 210 characters");
        assert_eq!(fields.len(), 16, "no value split the payload");

        let mut d = details();
        d.bic = "04710265".into();
        d.personal_acc = "4070281096717000012X".into();
        d.payee_inn = "123".into();
        d.paym_period = "132026".into();
        d.kpp = "86010100".into();
        d.bank_name = "Б".repeat(46);
        let e = d.payload().unwrap_err();
        for f in [
            "bic",
            "personal_acc",
            "payee_inn",
            "paym_period",
            "kpp",
            "bank_name",
        ] {
            assert!(e.get(f).is_some(), "{f}");
        }
        // A typo in one digit of an account fails the Bank of Russia's control key.
        let mut d = details();
        d.corresp_acc = "30101810800000000652".into();
        assert!(d.validate_payee().unwrap_err().get("corresp_acc").is_some());
        assert!(
            parse_payload("ST00011|Name=x").is_none(),
            "only the UTF-8 variant"
        );
    }
}
