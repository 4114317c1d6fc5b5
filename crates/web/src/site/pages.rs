//! The site's address, `/`: the public home page for citizens, the start screen for staff.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use crate::auth::CurrentStaff;
use crate::common::clock::company_tz;
use crate::common::layout::render;
use crate::common::portal_chrome::PortalChrome;
use crate::news::NewsLine;
use crate::{AppState, PageError};

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "site/home.html")]
struct HomePage {
    chrome: PortalChrome,
    company: String,
    /// Each hotline number as printed, with its `tel:` form.
    hotline: Vec<(String, String)>,
    hotline_hours: String,
    answer_days: i32,
    centres: Vec<abonent_store::org::Centre>,
    outages: Vec<NewsLine>,
    news: Vec<NewsLine>,
}

/// Staff go to where they work (their role's start page); everyone else sees the public home.
#[tracing::instrument(level = "debug", skip_all)]
async fn home(
    State(state): State<AppState>,
    staff: Option<CurrentStaff>,
) -> Result<Response, PageError> {
    if let Some(me) = staff {
        return Ok(Redirect::to(me.role.start_page()).into_response());
    }
    let h = super::home(&state).await?;
    let tz = company_tz(&state);
    let (company, hotline, hotline_hours) = match h.company {
        Some(c) => (c.name, c.hotline_phones, c.hotline_hours),
        None => Default::default(),
    };
    Ok(render(&HomePage {
        chrome: PortalChrome::public("Главная"),
        company,
        hotline: hotline
            .split([',', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| (p.to_owned(), tel(p)))
            .collect(),
        hotline_hours,
        answer_days: h.answer_days,
        centres: h.centres,
        outages: h.outages.iter().map(|n| NewsLine::of(n, tz)).collect(),
        news: h.news.iter().map(|n| NewsLine::of(n, tz)).collect(),
    })?
    .into_response())
}

/// The first number of a list as typed («8-800-100-00-00, 8 (3466) 00-00-00») for `tel:`.
fn tel(phones: &str) -> String {
    phones
        .split([',', ';'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_first_hotline_number_is_dialled() {
        assert_eq!(
            super::tel("8-800-100-00-00, 8 (3466) 00-00-00"),
            "88001000000"
        );
        assert_eq!(super::tel("+7 (3466) 12-34-56"), "+73466123456");
        assert_eq!(super::tel(""), "");
    }
}
