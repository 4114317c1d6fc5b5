//! Stored time: BIGINT microseconds since the Unix epoch, UTC, on both engines.

use jiff::Timestamp;

pub fn now_micros() -> i64 {
    Timestamp::now().as_microsecond()
}

pub fn from_micros(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}
