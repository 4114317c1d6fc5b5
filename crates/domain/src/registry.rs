//! Bank payment registries (PAY-01): delimited text in cp1251 or UTF-8 with a column layout per
//! bank. A file is read whole; any malformed line refuses the file with every bad line named by
//! its number, so nothing is half-imported.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::money::Kopecks;

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
}

/// A malformed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line_no: usize,
    pub detail: String,
}

/// Decodes the file by the layout's encoding (a UTF-8 byte-order mark is dropped).
pub fn decode(bytes: &[u8], encoding: Encoding) -> Result<String, String> {
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
            let (text, _, had_errors) = encoding_rs::WINDOWS_1251.decode(bytes);
            if had_errors {
                return Err("Файл не читается в кодировке cp1251.".into());
            }
            Ok(text.into_owned())
        }
    }
}

/// Parses a registry; either every payment line or every error.
pub fn parse(bytes: &[u8], layout: &RegistryLayout) -> Result<Vec<RegistryRow>, Vec<LineError>> {
    let text =
        decode(bytes, layout.encoding).map_err(|detail| vec![LineError { line_no: 0, detail }])?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let need = layout
        .date_column
        .max(layout.account_column)
        .max(layout.amount_column)
        .max(layout.payer_column.unwrap_or(0));
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
        let paid_on = match jiff::fmt::strtime::parse(&layout.date_format, col(layout.date_column))
            .and_then(|t| t.to_date())
        {
            Ok(d) => Some(d),
            Err(_) => {
                bad.push(format!(
                    "дата «{}» не в формате {}",
                    col(layout.date_column),
                    layout.date_format
                ));
                None
            }
        };
        let amount = match Kopecks::parse_rubles(col(layout.amount_column)) {
            Ok(k) if k.0 > 0 => Some(k),
            Ok(_) => {
                bad.push("сумма должна быть больше нуля".into());
                None
            }
            Err(e) => {
                bad.push(format!("сумма «{}»: {e}", col(layout.amount_column)));
                None
            }
        };
        let account = col(layout.account_column).to_owned();
        if account.is_empty() {
            bad.push("не указан лицевой счёт".into());
        }
        match (paid_on, amount, bad.is_empty()) {
            (Some(paid_on), Some(amount), true) => rows.push(RegistryRow {
                line_no,
                paid_on,
                account,
                amount,
                payer: layout
                    .payer_column
                    .map(|c| col(c).to_owned())
                    .unwrap_or_default(),
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
        Ok(rows)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn sber() -> RegistryLayout {
        RegistryLayout::defaults().remove(0)
    }

    #[test]
    fn sber_cp1251_with_footer() {
        let text = "25-11-2026;10:15:00;8002;1;500000018;Иванов Иван Иванович;Радужный;112026;1234.56;0\r\n\
                    26-11-2026;11:00:00;8002;1;500000026;Петрова А. А.;Радужный;112026;100,00;0\r\n\
                    =2;1334.56;0;1334.56\r\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let rows = parse(&bytes, &sber()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].paid_on, date(2026, 11, 25));
        assert_eq!(rows[0].amount, Kopecks(123_456));
        assert_eq!(rows[0].payer, "Иванов Иван Иванович");
        assert_eq!(rows[1].line_no, 2);
        assert_eq!(rows[1].account, "500000026");
    }

    #[test]
    fn malformed_lines_named_and_nothing_returned() {
        let text = "2026-11-25;500000018;10.00;А\n\
                    2026-13-01;500000026;10.00;Б\n\
                    2026-11-25;500000026;-5;В\n\
                    2026-11-25;500000026\n\
                    2026-11-25;500000034;десять;Г\n";
        let mut layout = RegistryLayout::defaults().remove(1);
        layout.skip_lines = 0;
        let e = parse(text.as_bytes(), &layout).unwrap_err();
        let lines: Vec<usize> = e.iter().map(|e| e.line_no).collect();
        assert_eq!(lines, vec![2, 3, 4, 5]);
        assert!(e[0].detail.contains("дата"), "{}", e[0].detail);
        assert!(e[1].detail.contains("больше нуля"));
        assert!(e[2].detail.contains("полей"));
        assert!(e[3].detail.contains("сумма"));
    }

    #[test]
    fn encodings() {
        let layout = RegistryLayout::defaults().remove(1);
        let text = "\u{feff}дата;счёт;сумма;плательщик\n2026-11-25;500000018;10;Ёлкин\n";
        let rows = parse(text.as_bytes(), &layout).unwrap();
        assert_eq!(rows[0].payer, "Ёлкин");
        let (cp, _, _) = encoding_rs::WINDOWS_1251.encode(text.trim_start_matches('\u{feff}'));
        let e = parse(&cp, &layout).unwrap_err();
        assert!(e[0].detail.contains("UTF-8"));
        assert!(parse(b"", &layout).is_err());
    }
}
