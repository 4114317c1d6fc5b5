//! Front office (§6 of the standard): the hall's queue and visits (CHN-01), the register of
//! incidents (CHN-05) and the directory of who decides which questions (CHN-07).

pub mod booking;
pub mod competences;
pub mod incidents;
pub mod queue;
