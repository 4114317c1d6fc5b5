//! Front office (§6 of the standard): the in-person queue of a service centre with its
//! service-time norms (CHN-01), and, beside it, the register of incidents (CHN-05) and the
//! directory of who decides which questions (CHN-07).

pub mod booking;
pub mod competences;
pub mod incidents;
pub mod queue;
