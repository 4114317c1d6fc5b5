//! The electronic queue of a service centre (CHN-01, §6.3.4).
