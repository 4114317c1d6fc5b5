//! Front office (§6 of the standard): the register of incidents (CHN-05) and the directory of
//! who decides which questions (CHN-07).

pub mod competences;
pub mod incidents;
