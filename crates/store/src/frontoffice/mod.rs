//! Front office (§6 of the standard): the hall's queue and visits (CHN-01), and the home visits
//! to clients who cannot reach a centre (CHN-06).

pub mod home_visits;
pub mod queue;
