//! Front office (§6 of the standard): the hall's queue and visits (CHN-01).

pub mod queue;
