//! Abonent's domain: the rules of the quality standard and of the law, as pure functions and
//! validated types. Nothing here performs I/O or knows about HTTP or SQL.

pub mod accounts;
pub mod appeals;
pub mod audit;
pub mod billing;
pub mod calendar;
pub mod clients;
pub mod frontoffice;
pub mod hours;
pub mod info;
pub mod metering;
pub mod money;
pub mod news;
pub mod notices;
pub mod org;
pub mod password;
pub mod payment_qr;
pub mod payments;
pub mod refusal;
pub mod restriction;
pub mod search;
pub mod statement;
pub mod tariffs;
pub mod validation;
