//! What several capabilities of the web layer share. Nothing here imports a capability: each
//! file is one named concern (no `utils`).

pub mod body;
pub mod clock;
pub mod download;
pub mod error;
pub mod forms;
pub mod idempotency;
pub mod json;
pub mod layout;
pub mod markdown;
pub mod page_cache;
pub mod portal_chrome;
pub mod rejections;
pub mod tokens;
pub mod uploads;
