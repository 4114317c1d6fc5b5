//! Public pages and rendered Markdown kept in memory (see [`PageCache`]).

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
