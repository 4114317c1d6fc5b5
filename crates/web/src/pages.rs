//! What every page shares: the layout's data ([`Chrome`]) and rendering.

use abonent_domain::validation::FieldErrors;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::auth::CurrentStaff;
use crate::{PageError, WebError};
use abonent_domain::org::Permission;

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

    pub fn for_staff(title: &str, s: &CurrentStaff, section: &'static str) -> Self {
        Self {
            title: title.to_owned(),
            user: Some(ChromeUser {
                name: s.staff.full_name.clone(),
                role: s.role.label_ru().to_owned(),
                can_clients: s.can(Permission::ViewClients),
                can_admin: s.can(Permission::AdministerOrganisation),
                can_audit: s.can(Permission::ViewAudit),
                can_appeals: s.can(Permission::ViewAppeals),
                can_billing: s.can(Permission::ViewBilling),
                can_notices: s.can(Permission::ConfigureNotices),
                can_info: s.can(Permission::EditPublicPages),
            }),
            csrf: s.csrf_token.clone(),
            section,
        }
    }
}

/// Public pages rendered from data that changes rarely (tariffs and norms), kept for
/// [`PUBLIC_PAGE_TTL`]; a change on this instance clears them at once, other instances see it
/// within the TTL.
#[derive(Default)]
pub struct PageCache {
    inner: std::sync::RwLock<std::collections::HashMap<&'static str, (std::time::Instant, String)>>,
    /// Markdown rendered to HTML per page version: versions never change, so nothing goes
    /// stale; bounded by clearing when full.
    versions: std::sync::RwLock<std::collections::HashMap<i64, std::sync::Arc<str>>>,
}

/// Rendered versions kept at most.
const VERSIONS_KEPT: usize = 256;

pub const PUBLIC_PAGE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

impl PageCache {
    pub fn get(&self, key: &'static str) -> Option<String> {
        let map = self.inner.read().ok()?;
        map.get(key)
            .filter(|(at, _)| at.elapsed() < PUBLIC_PAGE_TTL)
            .map(|(_, html)| html.clone())
    }

    pub fn put(&self, key: &'static str, html: String) {
        if let Ok(mut map) = self.inner.write() {
            map.insert(key, (std::time::Instant::now(), html));
        }
    }

    /// The HTML of page version `id` when it has been rendered.
    pub fn cached_version(&self, id: i64) -> Option<std::sync::Arc<str>> {
        self.versions.read().ok().and_then(|m| m.get(&id).cloned())
    }

    /// The HTML of page version `id`, rendered by `render` once.
    pub fn version_html(&self, id: i64, render: impl FnOnce() -> String) -> std::sync::Arc<str> {
        if let Some(h) = self.versions.read().ok().and_then(|m| m.get(&id).cloned()) {
            return h;
        }
        let html: std::sync::Arc<str> = render().into();
        if let Ok(mut m) = self.versions.write() {
            if m.len() >= VERSIONS_KEPT {
                m.clear();
            }
            m.insert(id, html.clone());
        }
        html
    }

    pub fn clear(&self) {
        if let Ok(mut map) = self.inner.write() {
            map.clear();
        }
    }
}

/// Renders a template to an HTML response.
pub fn render(t: &impl Template) -> Result<Html<String>, PageError> {
    Ok(Html(t.render()?))
}

/// The answer to a posted form: a redirect on success; the form again with field messages
/// (422), or with a conflict message on `conflict_field` (409); other errors as an error page.
pub fn form_outcome<T>(
    conflict_field: &str,
    result: Result<T, WebError>,
    on_ok: impl FnOnce(T) -> String,
    on_invalid: impl FnOnce(FieldErrors) -> Result<Html<String>, PageError>,
) -> Result<Response, PageError> {
    match result {
        Ok(v) => Ok(Redirect::to(&on_ok(v)).into_response()),
        Err(WebError::Invalid(e)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, on_invalid(e)?).into_response())
        }
        Err(WebError::Conflict(m)) => Ok((
            StatusCode::CONFLICT,
            on_invalid(FieldErrors::single(conflict_field, m))?,
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// Formats a stored UTC time (microseconds) in a zone, for people: `26.11.2026 16:05`.
/// Percent-encoding of a text for a URL's query or a header's `filename*`.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub fn format_time(us: i64, tz: &str) -> String {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    abonent_store::from_micros(us)
        .to_zoned(zone)
        .strftime("%d.%m.%Y %H:%M")
        .to_string()
}

/// `2026-11-26` → `26.11.2026`, as Russian documents write dates; other text is returned as is.
pub use abonent_domain::calendar::ru_date;
