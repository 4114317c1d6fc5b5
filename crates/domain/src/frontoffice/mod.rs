//! Front office (§6 of the standard): the in-person queue of a service centre with its
//! service-time norms (CHN-01), and, beside it, the register of incidents (CHN-05) and the
//! directory of who decides which questions (CHN-07); and the home visits to clients who cannot
//! reach a centre (CHN-06).

pub mod booking;
pub mod competences;
pub mod home_visits;
pub mod incidents;
pub mod queue;
