//! The company's clock: today's date and times of day in a time zone. The company's zone is one
//! typed setting ([`crate::WebConfig::time_zone`]); a branch may have its own.

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::AppState;

/// Today in a time zone.
pub fn today_in(tz: &TimeZone) -> Date {
    jiff::Timestamp::now().to_zoned(tz.clone()).date()
}

/// The local time now to the minute, as outages are stored: `2026-12-01T14:05`.
pub fn now_local_minute(tz: &TimeZone) -> String {
    jiff::Timestamp::now()
        .to_zoned(tz.clone())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The company's time zone, for dates shown to clients and the public.
pub fn company_tz(state: &AppState) -> &TimeZone {
    &state.config.time_zone
}

/// A stored zone name as a zone; an unknown name (never stored by the forms, which check it) is
/// shown in the company's zone.
pub fn zone_or(name: &str, fallback: &TimeZone) -> TimeZone {
    TimeZone::get(name).unwrap_or_else(|_| fallback.clone())
}

/// Formats a stored UTC time (microseconds) in a zone, for people: `26.11.2026 16:05`.
pub fn format_time(us: i64, tz: &TimeZone) -> String {
    abonent_store::from_micros(us)
        .to_zoned(tz.clone())
        .strftime("%d.%m.%Y %H:%M")
        .to_string()
}
