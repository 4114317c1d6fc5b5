//! Bank payment registries (PAY-01): delimited text in cp1251 or UTF-8 with a column layout per
//! bank. A file is read whole; any malformed line refuses the file with every bad line named by
//! its number, so nothing is half-imported.
//!
//! A payment is known by its content, never by the file's bytes: by the bank and the bank's own
//! operation number where the layout has one ([`RegistryLayout::operation_column`]), otherwise by
//! its date, account, amount and payer ([`ContentKey`]). [`classify`] tells, within one file,
//! which rows repeat an earlier row; the store does the same against what is already credited.
//! Amounts and dates are bounded by [`PaymentLimits`], text fields by length, and a file in the
//! wrong encoding for its layout is refused instead of being read as mojibake.

use std::collections::HashMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::money::{Kopecks, MAX_PAYMENT_DEFAULT};

/// Longest payer's name kept (characters).
pub const MAX_PAYER_CHARS: usize = 200;
/// Longest account number as written in a registry (characters).
pub const MAX_ACCOUNT_CHARS: usize = 32;
/// Longest bank operation number (characters).
pub const MAX_OPERATION_CHARS: usize = 64;

/// Bounds every payment keeps, at the cashier, in a registry and through the API (PAY-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentLimits {
    /// The largest single payment, kopecks (10 000 000 ₽ by default).
    pub max_amount: Kopecks,
    /// How far back a payment's date may be, days (three years, the limitation period).
    pub horizon_days: i32,
    /// How far ahead of today a payment's date may be, days (a bank a time zone ahead: one).
    pub ahead_days: i32,
}

impl Default for PaymentLimits {
    fn default() -> Self {
        PaymentLimits {
            max_amount: MAX_PAYMENT_DEFAULT,
            horizon_days: 1096,
            ahead_days: 1,
        }
    }
}

impl PaymentLimits {
    /// A payment's amount: more than zero and at most the maximum.
    pub fn check_amount(&self, amount: Kopecks) -> Result<(), String> {
        if amount.0 <= 0 {
            Err("сумма должна быть больше нуля".into())
        } else if amount > self.max_amount {
            Err(format!(
                "сумма {amount} больше допустимой для одного платежа ({})",
                self.max_amount
            ))
        } else {
            Ok(())
        }
    }

    /// A payment's date against `today` (in the company's zone).
    pub fn check_date(&self, paid_on: Date, today: Date) -> Result<(), String> {
        let latest = today
            .checked_add(jiff::Span::new().days(self.ahead_days))
            .unwrap_or(today);
        let earliest = today
            .checked_sub(jiff::Span::new().days(self.horizon_days))
            .unwrap_or(Date::MIN);
        if paid_on > latest {
            Err(format!(
                "дата платежа {} позже сегодняшней ({})",
                paid_on.strftime("%d.%m.%Y"),
                today.strftime("%d.%m.%Y")
            ))
        } else if paid_on < earliest {
            Err(format!(
                "дата платежа {} раньше {} — старше допустимого срока ({} дн.)",
                paid_on.strftime("%d.%m.%Y"),
                earliest.strftime("%d.%m.%Y"),
                self.horizon_days
            ))
        } else {
            Ok(())
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    #[default]
    Cp1251,
    #[serde(rename = "utf-8", alias = "utf8")]
    Utf8,
}

/// How one bank writes its registry. Columns are numbered from 1, as people count them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryLayout {
    /// The code chosen at import: `sber`.
    pub code: String,
    /// «ПАО Сбербанк».
    pub name: String,
    #[serde(default)]
    pub encoding: Encoding,
    pub delimiter: char,
    /// Lines to skip at the top (a header).
    #[serde(default)]
    pub skip_lines: usize,
    /// Lines starting with this are a summary, not payments (Сбербанк: `=`).
    #[serde(default)]
    pub footer_prefix: String,
    pub date_column: usize,
    /// `%d-%m-%Y`, `%d.%m.%Y` or `%Y-%m-%d`.
    pub date_format: String,
    pub account_column: usize,
    pub amount_column: usize,
    #[serde(default)]
    pub payer_column: Option<usize>,
    /// The bank's own number of the operation (Сбербанк: «уникальный номер операции»). With
    /// it a payment is known by the bank and this number; without it, by its content.
    #[serde(default)]
    pub operation_column: Option<usize>,
}

impl RegistryLayout {
    /// The layouts shipped: Сбербанк's cp1251 registry and a UTF-8 CSV with a header.
    pub fn defaults() -> Vec<RegistryLayout> {
        vec![
            RegistryLayout {
                code: "sber".into(),
                name: "ПАО Сбербанк (реестр платежей, cp1251)".into(),
                encoding: Encoding::Cp1251,
                delimiter: ';',
                skip_lines: 0,
                footer_prefix: "=".into(),
                date_column: 1,
                date_format: "%d-%m-%Y".into(),
                account_column: 5,
                amount_column: 9,
                payer_column: Some(6),
                operation_column: Some(11),
            },
            RegistryLayout {
                code: "csv".into(),
                name: "Текст CSV в UTF-8: дата;лицевой счёт;сумма;плательщик".into(),
                encoding: Encoding::Utf8,
                delimiter: ';',
                skip_lines: 1,
                footer_prefix: String::new(),
                date_column: 1,
                date_format: "%Y-%m-%d".into(),
                account_column: 2,
                amount_column: 3,
                payer_column: Some(4),
                operation_column: None,
            },
        ]
    }
}

/// One payment line of a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRow {
    pub line_no: usize,
    pub paid_on: Date,
    /// As written in the file (matched to an account later).
    pub account: String,
    pub amount: Kopecks,
    pub payer: String,
    /// The bank's operation number, when the layout has one.
    pub operation: Option<String>,
}

/// What identifies a payment of a layout without operation numbers: the same date, account,
/// amount and payer (the payer compared without case and extra spaces).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentKey {
    pub paid_on: Date,
    pub account: String,
    pub amount: Kopecks,
    pub payer: String,
}

/// A payer's name for comparison: lower case, single spaces, «ё» as «е».
pub fn normalize_payer(payer: &str) -> String {
    payer
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .replace('ё', "е")
}

impl RegistryRow {
    pub fn content_key(&self) -> ContentKey {
        ContentKey {
            paid_on: self.paid_on,
            account: self.account.clone(),
            amount: self.amount,
            payer: normalize_payer(&self.payer),
        }
    }
}

/// A row of a file against the rows before it in the same file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InFile {
    /// The first row with its identity.
    First,
    /// The same operation number as the row on that line, with the same content: the bank
    /// listed it twice; it is credited once.
    RepeatOf(usize),
    /// No operation number, and the same date, account, amount and payer as the row on that
    /// line: it may be a real second payment, so a person confirms it.
    SameContentAs(usize),
}

/// Classifies every row against the earlier rows of the same file (in file order). A repeated
/// operation number with other content is an error of the file, named by line.
pub fn classify(rows: &[RegistryRow]) -> Result<Vec<InFile>, Vec<LineError>> {
    let mut by_op: HashMap<&str, &RegistryRow> = HashMap::new();
    let mut by_content: HashMap<ContentKey, usize> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for r in rows {
        match r.operation.as_deref() {
            Some(op) => match by_op.get(op) {
                Some(first)
                    if first.paid_on == r.paid_on
                        && first.account == r.account
                        && first.amount == r.amount =>
                {
                    out.push(InFile::RepeatOf(first.line_no))
                }
                Some(first) => errors.push(LineError {
                    line_no: r.line_no,
                    detail: format!(
                        "номер операции «{op}» уже есть в строке {} с другими датой, счётом или суммой",
                        first.line_no
                    ),
                }),
                None => {
                    by_op.insert(op, r);
                    out.push(InFile::First);
                }
            },
            None => match by_content.get(&r.content_key()) {
                Some(line) => out.push(InFile::SameContentAs(*line)),
                None => {
                    by_content.insert(r.content_key(), r.line_no);
                    out.push(InFile::First);
                }
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// What a parse checks besides the layout: the bounds and the company's today.
#[derive(Debug, Clone, Copy)]
pub struct ParseRules {
    pub limits: PaymentLimits,
    pub today: Date,
}

/// A malformed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line_no: usize,
    pub detail: String,
}

/// Decodes the file by the layout's encoding (a UTF-8 byte-order mark is dropped). A file in
/// another encoding is refused: UTF-16 (zero bytes), UTF-8 given to a cp1251 layout (it would
/// read as «Р˜РІР°РЅРѕРІ»), and bytes that are not UTF-8 given to a UTF-8 layout.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<String, String> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") || bytes.contains(&0) {
        return Err(
            "Файл в кодировке UTF-16 или не текстовый: сохраните реестр как текст в cp1251 или UTF-8."
                .into(),
        );
    }
    match encoding {
        Encoding::Utf8 => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            String::from_utf8(bytes.to_vec()).map_err(|e| {
                format!(
                    "Файл не в кодировке UTF-8 (байт {}): выберите формат в кодировке cp1251.",
                    e.utf8_error().valid_up_to() + 1
                )
            })
        }
        Encoding::Cp1251 => {
            let utf8_bom = bytes.starts_with(b"\xEF\xBB\xBF");
            if utf8_bom || (!bytes.is_ascii() && std::str::from_utf8(bytes).is_ok()) {
                return Err(
                    "Файл в кодировке UTF-8, а этот формат реестра — в cp1251 (Windows-1251): выберите формат в UTF-8 или выгрузите реестр из банка в cp1251."
                        .into(),
                );
            }
            let (text, _, had_errors) = encoding_rs::WINDOWS_1251.decode(bytes);
            if had_errors {
                return Err("Файл не читается в кодировке cp1251.".into());
            }
            Ok(text.into_owned())
        }
    }
}

/// The payment's date from its column, within the limits; a refusal goes to `bad`.
fn paid_on(
    text: &str,
    layout: &RegistryLayout,
    rules: &ParseRules,
    bad: &mut Vec<String>,
) -> Option<Date> {
    match jiff::fmt::strtime::parse(&layout.date_format, text).and_then(|t| t.to_date()) {
        Ok(d) => match rules.limits.check_date(d, rules.today) {
            Ok(()) => Some(d),
            Err(e) => {
                bad.push(e);
                None
            }
        },
        Err(_) => {
            bad.push(format!("дата «{text}» не в формате {}", layout.date_format));
            None
        }
    }
}

/// The payment's amount from its column, within the limits; a refusal goes to `bad`.
fn amount(text: &str, rules: &ParseRules, bad: &mut Vec<String>) -> Option<Kopecks> {
    match Kopecks::parse_rubles(text) {
        Ok(k) => match rules.limits.check_amount(k) {
            Ok(()) => Some(k),
            Err(e) => {
                bad.push(e);
                None
            }
        },
        Err(e) => {
            bad.push(format!("сумма «{text}»: {e}"));
            None
        }
    }
}

/// Parses a registry; either every payment line or every error.
pub fn parse(
    bytes: &[u8],
    layout: &RegistryLayout,
    rules: &ParseRules,
) -> Result<Vec<RegistryRow>, Vec<LineError>> {
    let text =
        decode(bytes, layout.encoding).map_err(|detail| vec![LineError { line_no: 0, detail }])?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let need = layout
        .date_column
        .max(layout.account_column)
        .max(layout.amount_column)
        .max(layout.payer_column.unwrap_or(0))
        .max(layout.operation_column.unwrap_or(0));
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.trim_end_matches('\r');
        if i < layout.skip_lines
            || line.trim().is_empty()
            || (!layout.footer_prefix.is_empty() && line.starts_with(&layout.footer_prefix))
        {
            continue;
        }
        let cols: Vec<&str> = line.split(layout.delimiter).map(str::trim).collect();
        if cols.len() < need {
            errors.push(LineError {
                line_no,
                detail: format!(
                    "в строке {} полей, формат «{}» требует не меньше {need}",
                    cols.len(),
                    layout.code
                ),
            });
            continue;
        }
        let col = |n: usize| cols[n - 1];
        let mut bad = Vec::new();
        let paid_on = paid_on(col(layout.date_column), layout, rules, &mut bad);
        let amount = amount(col(layout.amount_column), rules, &mut bad);
        let account = col(layout.account_column).to_owned();
        if account.is_empty() {
            bad.push("не указан лицевой счёт".into());
        } else if account.chars().count() > MAX_ACCOUNT_CHARS {
            bad.push(format!("лицевой счёт длиннее {MAX_ACCOUNT_CHARS} знаков"));
        }
        let payer = layout
            .payer_column
            .map(|c| col(c).to_owned())
            .unwrap_or_default();
        if payer.chars().count() > MAX_PAYER_CHARS {
            bad.push(format!("плательщик длиннее {MAX_PAYER_CHARS} знаков"));
        }
        let operation = layout.operation_column.map(|c| col(c).to_owned());
        match operation.as_deref() {
            Some("") => bad.push("не указан номер операции банка".into()),
            Some(op) if op.chars().count() > MAX_OPERATION_CHARS => bad.push(format!(
                "номер операции длиннее {MAX_OPERATION_CHARS} знаков"
            )),
            _ => {}
        }
        match (paid_on, amount, bad.is_empty()) {
            (Some(paid_on), Some(amount), true) => rows.push(RegistryRow {
                line_no,
                paid_on,
                account,
                amount,
                payer,
                operation,
            }),
            _ => errors.push(LineError {
                line_no,
                detail: bad.join("; "),
            }),
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(LineError {
            line_no: 0,
            detail: "В файле нет ни одного платежа.".into(),
        });
    }
    if errors.is_empty() {
        if let Err(e) = classify(&rows) {
            errors = e;
        }
    }
    if errors.is_empty() && Kopecks::checked_sum(rows.iter().map(|r| r.amount)).is_err() {
        errors.push(LineError {
            line_no: 0,
            detail: "Итог реестра вне допустимого диапазона.".into(),
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn sber() -> RegistryLayout {
        RegistryLayout::defaults().remove(0)
    }

    fn csv() -> RegistryLayout {
        RegistryLayout::defaults().remove(1)
    }

    fn rules() -> ParseRules {
        ParseRules {
            limits: PaymentLimits::default(),
            today: date(2026, 12, 1),
        }
    }

    const SBER: &str = "25-11-2026;10:15:00;8002;1;500000018;Иванов Иван Иванович;Радужный;112026;1234.56;0;801234567890\r\n\
                        26-11-2026;11:00:00;8002;1;500000026;Петрова А. А.;Радужный;112026;100,00;0;801234567891\r\n\
                        =2;1334.56;0;1334.56\r\n";

    #[test]
    fn sber_cp1251_with_footer() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(SBER);
        let rows = parse(&bytes, &sber(), &rules()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].paid_on, date(2026, 11, 25));
        assert_eq!(rows[0].amount, Kopecks(123_456));
        assert_eq!(rows[0].payer, "Иванов Иван Иванович");
        assert_eq!(rows[0].operation.as_deref(), Some("801234567890"));
        assert_eq!(rows[1].line_no, 2);
        assert_eq!(rows[1].account, "500000026");
    }

    #[test]
    fn the_same_rows_in_another_form_parse_the_same() {
        // CRLF, LF, a trailing blank line, no final newline: the same payments.
        let (crlf, _, _) = encoding_rs::WINDOWS_1251.encode(SBER);
        let lf = SBER.replace("\r\n", "\n");
        let (lf, _, _) = encoding_rs::WINDOWS_1251.encode(&lf);
        let trailing = format!("{SBER}\r\n\r\n");
        let (trailing, _, _) = encoding_rs::WINDOWS_1251.encode(&trailing);
        let bare = SBER.trim_end();
        let (bare, _, _) = encoding_rs::WINDOWS_1251.encode(bare);
        let key = |b: &[u8]| {
            parse(b, &sber(), &rules())
                .unwrap()
                .into_iter()
                .map(|r| (r.operation.clone(), r.content_key()))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&crlf), key(&lf));
        assert_eq!(key(&crlf), key(&trailing));
        assert_eq!(key(&crlf), key(&bare));
    }

    #[test]
    fn malformed_lines_named_and_nothing_returned() {
        let text = "2026-11-25;500000018;10.00;А\n\
                    2026-13-01;500000026;10.00;Б\n\
                    2026-11-25;500000026;-5;В\n\
                    2026-11-25;500000026\n\
                    2026-11-25;500000034;десять;Г\n";
        let mut layout = csv();
        layout.skip_lines = 0;
        let e = parse(text.as_bytes(), &layout, &rules()).unwrap_err();
        let lines: Vec<usize> = e.iter().map(|e| e.line_no).collect();
        assert_eq!(lines, vec![2, 3, 4, 5]);
        assert!(e[0].detail.contains("дата"), "{}", e[0].detail);
        assert!(e[1].detail.contains("больше нуля"));
        assert!(e[2].detail.contains("полей"));
        assert!(e[3].detail.contains("сумма"));
    }

    #[test]
    fn amounts_dates_and_text_are_bounded() {
        let long_payer = "Я".repeat(MAX_PAYER_CHARS + 1);
        let text = format!(
            "дата;счёт;сумма;плательщик\n\
             2026-11-25;500000018;50000000000000000;А\n\
             2026-11-25;500000018;10000000,00;Б\n\
             2026-11-25;500000018;10000000,01;В\n\
             2026-12-02;500000018;10;Г\n\
             2026-12-03;500000018;10;Д\n\
             2023-12-01;500000018;10;Е\n\
             2023-11-30;500000018;10;Ж\n\
             2026-11-25;500000018;10;{long_payer}\n\
             2026-11-25;{};10;З\n",
            "5".repeat(MAX_ACCOUNT_CHARS + 1)
        );
        let e = parse(text.as_bytes(), &csv(), &rules()).unwrap_err();
        let lines: Vec<usize> = e.iter().map(|e| e.line_no).collect();
        // 10 000 000,00 ₽ is the maximum; tomorrow is allowed (a bank a zone ahead), the day
        // after is not; three years back (1096 days) is allowed, a day more is not.
        assert_eq!(lines, vec![2, 4, 6, 8, 9, 10], "{e:?}");
        assert!(e[0].detail.contains("больше допустимой"), "{}", e[0].detail);
        assert!(e[2].detail.contains("позже сегодняшней"), "{}", e[2].detail);
        assert!(e[3].detail.contains("старше"), "{}", e[3].detail);
        assert!(e[4].detail.contains("плательщик длиннее"));
        assert!(e[5].detail.contains("лицевой счёт длиннее"));
        let limits = PaymentLimits {
            max_amount: Kopecks(100),
            ..Default::default()
        };
        assert!(limits.check_amount(Kopecks(100)).is_ok());
        assert!(limits.check_amount(Kopecks(101)).is_err());
        assert!(limits.check_amount(Kopecks(0)).is_err());
    }

    #[test]
    fn operation_number_required_and_bounded() {
        let text = format!(
            "25-11-2026;10:15:00;8002;1;500000018;Иванов;Радужный;112026;1,00;0;\r\n\
             25-11-2026;10:15:00;8002;1;500000018;Иванов;Радужный;112026;1,00;0;{}\r\n",
            "9".repeat(MAX_OPERATION_CHARS + 1)
        );
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&text);
        let e = parse(&bytes, &sber(), &rules()).unwrap_err();
        assert_eq!(e.len(), 2);
        assert!(e[0].detail.contains("номер операции"));
        assert!(e[1].detail.contains("длиннее"));
    }

    #[test]
    fn encodings() {
        let layout = csv();
        let text = "\u{feff}дата;счёт;сумма;плательщик\n2026-11-25;500000018;10;Ёлкин\n";
        let rows = parse(text.as_bytes(), &layout, &rules()).unwrap();
        assert_eq!(rows[0].payer, "Ёлкин");
        let (cp, _, _) = encoding_rs::WINDOWS_1251.encode(text.trim_start_matches('\u{feff}'));
        let e = parse(&cp, &layout, &rules()).unwrap_err();
        assert!(e[0].detail.contains("UTF-8"));
        assert!(parse(b"", &layout, &rules()).is_err());
        // A UTF-8 file (with or without a BOM) given to the cp1251 layout is refused, not
        // read as «Р˜РІР°РЅРѕРІ».
        for utf8 in [SBER.to_owned(), format!("\u{feff}{SBER}")] {
            let e = parse(utf8.as_bytes(), &sber(), &rules()).unwrap_err();
            assert_eq!(e.len(), 1);
            assert!(e[0].detail.contains("UTF-8"), "{}", e[0].detail);
            assert!(e[0].detail.contains("cp1251"), "{}", e[0].detail);
        }
        // UTF-16 is refused for either layout.
        let utf16: Vec<u8> = std::iter::once(0xFEFF_u16)
            .chain(SBER.encode_utf16())
            .flat_map(u16::to_le_bytes)
            .collect();
        for l in [sber(), csv()] {
            let e = parse(&utf16, &l, &rules()).unwrap_err();
            assert!(e[0].detail.contains("UTF-16"), "{}", e[0].detail);
        }
        // A plain ASCII file is fine for both.
        let ascii = "25-11-2026;10:15:00;8002;1;500000018;Ivanov;R;112026;1.00;0;42\n";
        assert!(parse(ascii.as_bytes(), &sber(), &rules()).is_ok());
    }

    fn row(line_no: usize, op: Option<&str>, amount: i64, payer: &str) -> RegistryRow {
        RegistryRow {
            line_no,
            paid_on: date(2026, 11, 25),
            account: "500000018".into(),
            amount: Kopecks(amount),
            payer: payer.into(),
            operation: op.map(str::to_owned),
        }
    }

    #[test]
    fn rows_repeated_in_one_file() {
        let rows = [
            row(1, Some("A"), 100, "Иванов"),
            row(2, Some("B"), 100, "Иванов"),
            row(3, Some("A"), 100, "Иванов"),
        ];
        assert_eq!(
            classify(&rows).unwrap(),
            vec![InFile::First, InFile::First, InFile::RepeatOf(1)]
        );
        // The same number with another amount is an error of the file.
        let bad = [
            row(1, Some("A"), 100, "Иванов"),
            row(4, Some("A"), 200, "Иванов"),
        ];
        let e = classify(&bad).unwrap_err();
        assert_eq!(e[0].line_no, 4);
        assert!(e[0].detail.contains("строке 1"));
        // Without numbers: the same content (payer in another case and spacing) is held.
        let rows = [
            row(1, None, 100, "Иванов  Иван"),
            row(2, None, 100, "ИВАНОВ ИВАН"),
            row(3, None, 101, "Иванов Иван"),
        ];
        assert_eq!(
            classify(&rows).unwrap(),
            vec![InFile::First, InFile::SameContentAs(1), InFile::First]
        );
        assert_eq!(normalize_payer(" Ёлкин  Пётр "), "елкин петр");
    }

    proptest! {
        /// Any bytes: either rows that each keep the bounds, or errors that name lines of
        /// the file (or 0 for the whole file); never a panic, never an overflowing total.
        #[test]
        fn any_input_parses_or_is_refused_by_line(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            for layout in [sber(), csv()] {
                let lines = bytes.split(|b| *b == b'\n').count();
                match parse(&bytes, &layout, &rules()) {
                    Ok(rows) => {
                        prop_assert!(!rows.is_empty());
                        for r in &rows {
                            prop_assert!(r.amount.0 > 0 && r.amount <= PaymentLimits::default().max_amount);
                            prop_assert!(r.line_no >= 1 && r.line_no <= lines);
                        }
                        prop_assert!(Kopecks::checked_sum(rows.iter().map(|r| r.amount)).is_ok());
                    }
                    Err(e) => {
                        prop_assert!(!e.is_empty());
                        for l in &e {
                            prop_assert!(l.line_no <= lines);
                            prop_assert!(!l.detail.is_empty());
                        }
                    }
                }
            }
        }

        /// Well-formed rows with any amounts: within the bounds they parse to exactly those
        /// amounts, beyond them the line is named; the total never overflows.
        #[test]
        fn generated_registries_import_exactly(amounts in proptest::collection::vec(0i64..=2_000_000_000, 1..40), crlf in any::<bool>()) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut text = String::from("дата;счёт;сумма;плательщик");
            text.push_str(nl);
            for (i, a) in amounts.iter().enumerate() {
                text.push_str(&format!("2026-11-25;5000000{i:02};{},{:02};Плательщик {i}{nl}", a / 100, a % 100));
            }
            let max = PaymentLimits::default().max_amount.0;
            match parse(text.as_bytes(), &csv(), &rules()) {
                Ok(rows) => {
                    prop_assert!(amounts.iter().all(|a| *a > 0 && *a <= max));
                    let got: Vec<i64> = rows.iter().map(|r| r.amount.0).collect();
                    prop_assert_eq!(&got, &amounts);
                }
                Err(e) => {
                    let bad: Vec<usize> = amounts.iter().enumerate()
                        .filter(|(_, a)| **a <= 0 || **a > max)
                        .map(|(i, _)| i + 2)
                        .collect();
                    let named: Vec<usize> = e.iter().map(|l| l.line_no).collect();
                    prop_assert_eq!(named, bad);
                }
            }
        }
    }
}
