//! The payee's bank requisites checked as the Bank of Russia defines them (BIL-05): a BIC of a
//! Russian bank, a settlement and a correspondent account that pass the control key against
//! that BIC, an INN with its check digits and a KPP of the tax office's form. An invoice with
//! a requisite that fails here would send the client's money nowhere, so such requisites are
//! refused when saved and an invoice is not issued with them.
//!
//! The control key (Положение Банка России № 579-П, приложение; «Порядок расчёта контрольного
//! ключа в номере лицевого счёта»): 23 digits — three from the BIC and the 20 of the account —
//! are multiplied by the weights 7, 1, 3, 7, 1, 3, …; the sum of the products' last digits is a
//! multiple of 10. For a settlement account the three digits are the BIC's last three; for a
//! correspondent account they are «0» and the BIC's 5th and 6th digits (the branch of the Bank
//! of Russia).

/// Why a requisite is refused, per field; the text is for the person who typed it.
pub type Refusal = String;

const KEY_WEIGHTS: [u32; 3] = [7, 1, 3];

fn all_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether 23 digits pass the Bank of Russia's control key (weights 7, 1, 3 repeated).
/// The settlement account a fresh installation is seeded with: it passes every check so that the
/// demo bills, but it is nobody's account. Pages and invoices that show it say it is an example.
pub const EXAMPLE_SETTLEMENT_ACCOUNT: &str = "40702810900000000001";

/// Whether the payee's requisites are still the seeded example (not to be paid to).
pub fn is_example_account(settlement_account: &str) -> bool {
    settlement_account.trim() == EXAMPLE_SETTLEMENT_ACCOUNT
}

pub fn control_key_ok(digits: &str) -> bool {
    all_digits(digits, 23)
        && digits
            .bytes()
            .enumerate()
            .map(|(i, b)| u32::from(b - b'0') * KEY_WEIGHTS[i % 3] % 10)
            .sum::<u32>()
            % 10
            == 0
}

/// A BIC of a Russian bank: 9 digits starting with «04» (the country code).
pub fn check_bic(bic: &str) -> Result<(), Refusal> {
    if all_digits(bic, 9) && bic.starts_with("04") {
        Ok(())
    } else {
        Err("БИК — 9 цифр, начинается с 04, например 047102651.".into())
    }
}

/// A settlement account (расчётный счёт): 20 digits, control key with the BIC's last three
/// digits. The key is checked only when the BIC itself is well formed (otherwise the BIC is
/// what is reported).
pub fn check_settlement_account(account: &str, bic: &str) -> Result<(), Refusal> {
    if !all_digits(account, 20) {
        return Err("Расчётный счёт — 20 цифр.".into());
    }
    if check_bic(bic).is_ok() && !control_key_ok(&format!("{}{account}", &bic[6..9])) {
        return Err(
            "Расчётный счёт не сходится с БИК по контрольному ключу Банка России: проверьте цифры счёта и БИК."
                .into(),
        );
    }
    Ok(())
}

/// A correspondent account (корреспондентский счёт) of a bank at the Bank of Russia: 20 digits
/// starting with 30101, control key with «0» and the BIC's 5th and 6th digits.
pub fn check_correspondent_account(account: &str, bic: &str) -> Result<(), Refusal> {
    if !all_digits(account, 20) || !account.starts_with("30101") {
        return Err("Корреспондентский счёт — 20 цифр, начинается с 30101.".into());
    }
    if check_bic(bic).is_ok() && !control_key_ok(&format!("0{}{account}", &bic[4..6])) {
        return Err(
            "Корреспондентский счёт не сходится с БИК по контрольному ключу Банка России: проверьте цифры счёта и БИК."
                .into(),
        );
    }
    Ok(())
}

fn inn_digit(digits: &[u32], weights: &[u32]) -> u32 {
    digits.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 11 % 10
}

/// An INN: 10 digits for an organisation, 12 for an individual entrepreneur, with the check
/// digits of the Federal Tax Service (Приказ МНС № БГ-3-09/178, приложение).
pub fn check_inn(inn: &str) -> Result<(), Refusal> {
    let d: Vec<u32> = inn.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != inn.len() || !(d.len() == 10 || d.len() == 12) {
        return Err("ИНН — 10 цифр для организации или 12 для предпринимателя.".into());
    }
    let ok = if d.len() == 10 {
        inn_digit(&d[..9], &[2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9]
    } else {
        inn_digit(&d[..10], &[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10]
            && inn_digit(&d[..11], &[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
    };
    if ok {
        Ok(())
    } else {
        Err("ИНН неверен: не сходится контрольная цифра. Проверьте цифры.".into())
    }
}

/// A KPP: 9 characters — the tax office (4 digits), the reason (2 digits or capital Latin
/// letters), a number (3 digits). An organisation (10-digit INN) has one; an entrepreneur
/// (12-digit INN) has none, so an empty KPP is accepted only then.
pub fn check_kpp(kpp: &str, inn: &str) -> Result<(), Refusal> {
    if kpp.is_empty() {
        return if inn.len() == 12 {
            Ok(())
        } else {
            Err("Укажите КПП организации: 9 знаков, например 860101001.".into())
        };
    }
    let b = kpp.as_bytes();
    let ok = b.len() == 9
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4..6]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && b[6..].iter().all(u8::is_ascii_digit);
    if ok {
        Ok(())
    } else {
        Err(
            "КПП — 9 знаков: 4 цифры, 2 цифры или заглавные латинские буквы, 3 цифры (например 860101001)."
                .into(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real requisites: Западно-Сибирское отделение № 8647 ПАО Сбербанк (Тюмень) and
    /// ПАО Сбербанк (Москва); an account number made up and given its key by the algorithm.
    const BIC: &str = "047102651";
    const CORR: &str = "30101810800000000651";
    const ACC: &str = "40702810967170000123";
    const ACC_MADE_UP: &str = EXAMPLE_SETTLEMENT_ACCOUNT;

    /// Every digit of `s` changed by one in turn (a typo), skipping `from` leading digits.
    fn one_digit_off(s: &str, from: usize) -> impl Iterator<Item = String> + '_ {
        (from..s.len()).map(move |i| {
            let mut b = s.as_bytes().to_vec();
            b[i] = if b[i] == b'9' { b'0' } else { b[i] + 1 };
            String::from_utf8(b).unwrap()
        })
    }

    #[test]
    fn real_requisites_pass_the_control_key() {
        check_bic(BIC).unwrap();
        check_settlement_account(ACC, BIC).unwrap();
        check_settlement_account(ACC_MADE_UP, BIC).unwrap();
        check_correspondent_account(CORR, BIC).unwrap();
        check_bic("044525225").unwrap();
        check_correspondent_account("30101810400000000225", "044525225").unwrap();
        check_settlement_account("40702810938000000001", "044525225").unwrap();
        // The 23 digits of the correspondent account: «0», the BIC's «02», the account.
        assert!(control_key_ok(&format!("002{CORR}")));
        assert!(!control_key_ok(&format!("003{CORR}")));
    }

    #[test]
    fn one_digit_off_fails_the_control_key() {
        for acc in one_digit_off(ACC, 0) {
            assert!(check_settlement_account(&acc, BIC).is_err(), "{acc}");
        }
        for corr in one_digit_off(CORR, 5) {
            let e = check_correspondent_account(&corr, BIC).unwrap_err();
            assert!(e.contains("контрольному ключу"), "{corr}: {e}");
        }
        // The same account under a neighbouring BIC (its last three or its 5th–6th digits).
        assert!(check_settlement_account(ACC, "047102652").is_err());
        assert!(check_correspondent_account(CORR, "047103651").is_err());
    }

    #[test]
    fn formats_are_checked() {
        for bad in ["04710265", "0471026510", "147102651", "04710265X", ""] {
            assert!(check_bic(bad).is_err(), "{bad}");
        }
        assert!(check_settlement_account("4070281096717000012", BIC).is_err());
        assert!(check_settlement_account("4070281096717000012X", BIC).is_err());
        let e = check_correspondent_account("40702810967170000123", BIC).unwrap_err();
        assert!(e.contains("30101"), "{e}");
        // A malformed BIC reports the BIC, not the accounts.
        check_settlement_account(ACC, "12").unwrap();
        check_correspondent_account(CORR, "12").unwrap();
    }

    #[test]
    fn inn_check_digits() {
        for good in ["7707083893", "8601023568", "8601000000", "500100732259"] {
            check_inn(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        for bad in one_digit_off("7707083893", 0).chain(one_digit_off("500100732259", 0)) {
            assert!(check_inn(&bad).is_err(), "{bad}");
        }
        for bad in ["123", "77070838930", "77070838X3", ""] {
            assert!(check_inn(bad).unwrap_err().contains("10 цифр"), "{bad}");
        }
    }

    #[test]
    fn kpp_form() {
        check_kpp("860101001", "8601023568").unwrap();
        check_kpp("7707AB001", "7707083893").unwrap();
        check_kpp("", "500100732259").unwrap();
        assert!(
            check_kpp("", "8601023568").is_err(),
            "an organisation has a KPP"
        );
        for bad in [
            "86010100",
            "8601010011",
            "8601ab001",
            "A60101001",
            "86010100Я",
        ] {
            assert!(check_kpp(bad, "8601023568").is_err(), "{bad}");
        }
    }
}
