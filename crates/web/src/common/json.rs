//! Bodies several API endpoints answer with.

use serde::Serialize;
use utoipa::ToSchema;

// The id of what was just created (no doc comment: the published schema stays as it was).
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}
