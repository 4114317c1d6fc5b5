//! Field-level validation results shared by every form and API payload.
//!
//! A rule reports a [`FieldError`] with the field's name and a Russian message meant for the
//! person who typed the value; the web layer shows it next to the field (pages) or returns it in
//! `{"errors":[…]}` (API).

use serde::Serialize;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub detail: String,
}

/// Every problem found in one submitted form, in the order the fields were checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, detail: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            detail: detail.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The message for a field, if any: templates show it beside the input.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.detail.as_str())
    }

    /// `Ok(value)` when nothing was reported, otherwise every error.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// The value a check produced when no field is wrong: `value` is `None` only where a field
    /// error was added, so `field` names the form's field for the impossible remainder.
    pub fn into_checked<T>(self, value: Option<T>, field: &str) -> Result<T, FieldErrors> {
        if !self.is_empty() {
            return Err(self);
        }
        value.ok_or_else(|| FieldErrors::single(field, "Проверьте это поле."))
    }

    pub fn single(field: &str, detail: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, detail);
        e
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.detail))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

/// Trims a required text field, reporting an empty or over-long value.
pub fn required_text(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    max_chars: usize,
) -> String {
    let v = value.trim();
    if v.is_empty() {
        errors.add(field, "Заполните поле.");
    } else if v.chars().count() > max_chars {
        errors.add(field, format!("Не более {max_chars} символов."));
    }
    v.to_owned()
}

/// Trims an optional text field; an empty value becomes `None`.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &str,
    value: &str,
    max_chars: usize,
) -> Option<String> {
    let v = value.trim();
    if v.chars().count() > max_chars {
        errors.add(field, format!("Не более {max_chars} символов."));
    }
    (!v.is_empty()).then(|| v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_reports_empty_and_long() {
        let mut e = FieldErrors::new();
        assert_eq!(required_text(&mut e, "a", "  x ", 5), "x");
        assert!(e.is_empty());
        required_text(&mut e, "b", "   ", 5);
        required_text(&mut e, "c", "абвгде", 5);
        assert_eq!(e.get("b"), Some("Заполните поле."));
        assert_eq!(e.get("c"), Some("Не более 5 символов."));
        assert!(e.into_result(()).is_err());
    }

    #[test]
    fn optional_text_empty_is_none() {
        let mut e = FieldErrors::new();
        assert_eq!(optional_text(&mut e, "a", "  ", 5), None);
        assert_eq!(optional_text(&mut e, "a", " q ", 5), Some("q".into()));
        assert!(e.is_empty());
    }
}
