//! The payment QR payload of ГОСТ Р 56042-2014 (BIL-05): the UTF-8 variant `ST00012|…` that
//! banking apps read from an invoice. Required fields first (Name, PersonalAcc, BankName, BIC,
//! CorrespAcc), then the additional ones we fill (PayeeINN, Sum in kopecks, PersAcc, PaymPeriod,
//! TechCode 02 — "услуги ЖКХ").

use crate::money::Kopecks;
use crate::validation::FieldErrors;

/// The payee's requisites and one invoice's amount.
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
    pub sum: Kopecks,
    /// The client's account number (лицевой счёт).
    pub pers_acc: String,
    /// The billing period, `MMYYYY`.
    pub paym_period: String,
}

fn digits(e: &mut FieldErrors, field: &str, v: &str, lens: &[usize], what: &str) {
    if !(v.chars().all(|c| c.is_ascii_digit()) && lens.contains(&v.len())) {
        let lens: Vec<String> = lens.iter().map(usize::to_string).collect();
        e.add(field, format!("{what}: {} цифр.", lens.join(" или ")));
    }
}

/// Removes the separator and line breaks from a value (the standard forbids `|` in values).
fn clean(v: &str) -> String {
    v.chars()
        .map(|c| if c == '|' || c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

impl PaymentDetails {
    /// Checks the requisites; the messages name the field.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if clean(&self.name).is_empty() {
            e.add("name", "Укажите наименование получателя платежа.");
        }
        if clean(&self.bank_name).is_empty() {
            e.add("bank_name", "Укажите наименование банка получателя.");
        }
        digits(
            &mut e,
            "personal_acc",
            &self.personal_acc,
            &[20],
            "Расчётный счёт",
        );
        digits(&mut e, "bic", &self.bic, &[9], "БИК");
        digits(
            &mut e,
            "corresp_acc",
            &self.corresp_acc,
            &[20],
            "Корреспондентский счёт",
        );
        digits(
            &mut e,
            "payee_inn",
            &self.payee_inn,
            &[10, 12],
            "ИНН получателя",
        );
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

    /// The QR payload: `ST00012|Name=…|PersonalAcc=…|BankName=…|BIC=…|CorrespAcc=…|PayeeINN=…|
    /// Sum=…|PersAcc=…|PaymPeriod=…|TechCode=02`.
    pub fn payload(&self) -> Result<String, FieldErrors> {
        self.validate()?;
        Ok(format!(
            "ST00012|Name={}|PersonalAcc={}|BankName={}|BIC={}|CorrespAcc={}|PayeeINN={}|Sum={}|PersAcc={}|PaymPeriod={}|TechCode=02",
            clean(&self.name),
            self.personal_acc,
            clean(&self.bank_name),
            self.bic,
            self.corresp_acc,
            self.payee_inn,
            self.sum.0,
            clean(&self.pers_acc),
            self.paym_period,
        ))
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
            sum: Kopecks(123_456),
            pers_acc: "0000000018".into(),
            paym_period: "112026".into(),
        }
    }

    #[test]
    fn payload_has_the_required_fields_in_order() {
        let p = details().payload().unwrap();
        assert_eq!(
            p,
            "ST00012|Name=АО «ЮТЭК»|PersonalAcc=40702810967170000123|BankName=ЗАПАДНО-СИБИРСКИЙ БАНК ПАО СБЕРБАНК|BIC=047102651|CorrespAcc=30101810800000000651|PayeeINN=8601023568|Sum=123456|PersAcc=0000000018|PaymPeriod=112026|TechCode=02"
        );
        let fields = parse_payload(&p).unwrap();
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            &keys[..5],
            ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc"],
            "required fields first (ГОСТ Р 56042-2014, 4.5)"
        );
        assert!(fields.contains(&("Sum".into(), "123456".into())));
    }

    #[test]
    fn separators_are_removed_and_bad_requisites_refused() {
        let mut d = details();
        d.name = "ООО |Ромашка|\n".into();
        assert!(d
            .payload()
            .unwrap()
            .contains("Name=ООО  Ромашка|PersonalAcc="));
        let mut d = details();
        d.bic = "04710265".into();
        d.personal_acc = "4070281096717000012X".into();
        d.payee_inn = "123".into();
        d.paym_period = "132026".into();
        let e = d.payload().unwrap_err();
        for f in ["bic", "personal_acc", "payee_inn", "paym_period"] {
            assert!(e.get(f).is_some(), "{f}");
        }
        assert!(
            parse_payload("ST00011|Name=x").is_none(),
            "only the UTF-8 variant"
        );
    }
}
