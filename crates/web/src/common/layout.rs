//! What every page shares: the layout's data ([`Chrome`]) and rendering.

use askama::Template;
use axum::response::Html;

use super::error::PageError;

/// The signed-in person as the layout shows them.
#[derive(Debug, Clone)]
pub struct ChromeUser {
    pub name: String,
    pub role: String,
    pub can_clients: bool,
    pub can_admin: bool,
    pub can_audit: bool,
    pub can_appeals: bool,
    pub can_billing: bool,
    pub can_notices: bool,
    pub can_info: bool,
    /// The hall: the window (serving visitors) or the journal of visits.
    pub can_queue: bool,
    /// The incidents' entry: the register, or the form for who only records (CHN-05).
    pub incidents_href: Option<&'static str>,
}

/// Data of the layout: title, navigation, the CSRF token for forms.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    pub user: Option<ChromeUser>,
    pub csrf: String,
    /// Which section of the navigation is current.
    pub section: &'static str,
}

impl Chrome {
    pub fn anonymous(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            user: None,
            csrf: String::new(),
            section: "",
        }
    }
}

/// Renders a template to an HTML response.
pub fn render(t: &impl Template) -> Result<Html<String>, PageError> {
    Ok(Html(t.render()?))
}

/// Rubles for people: `1 234,56 ₽`.
pub use abonent_jobs::invoices::money;

/// `2026-11-26` → `26.11.2026`, as Russian documents write dates; other text is returned as is.
pub use abonent_domain::calendar::ru_date;
