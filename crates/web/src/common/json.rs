//! Bodies several API endpoints answer with.

use serde::Serialize;
use utoipa::ToSchema;

/// The id of what was just created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}
