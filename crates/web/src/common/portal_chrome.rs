//! What every page of the public site and the personal account shows around its content.

/// What every portal page shows around its content.
pub struct PortalChrome {
    pub title: String,
    /// The signed-in client's address.
    pub email: Option<String>,
    pub csrf: String,
}

impl PortalChrome {
    /// A public page: no one signed in, no form token.
    pub fn public(title: &str) -> Self {
        Self {
            title: title.into(),
            email: None,
            csrf: String::new(),
        }
    }
}
