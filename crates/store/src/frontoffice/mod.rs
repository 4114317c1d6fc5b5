//! Front office (§6 of the standard): the hall's queue, bookings and visits (CHN-01), the home
//! visits to clients who cannot reach a centre (CHN-06), the register of incidents (CHN-05) and
//! the directory of who decides which questions (CHN-07).

pub mod booking;
pub mod competences;
pub mod home_visits;
pub mod incidents;
pub mod queue;
