//! The public home page (PRT-01): who the company is, how to reach it, the big entries a
//! citizen comes for (readings, payment, the personal account, an appeal), the news and the
//! outages in force. Staff who open the site's address go to the screen of their daily work.

pub mod pages;

use abonent_store::news::News;
use abonent_store::org::{Centre, Company};

use crate::common::clock::{company_tz, now_local_minute};
use crate::{AppState, WebError};

/// How many announcements the home page shows (the rest are at `/info/news`).
pub const HOME_NEWS: i64 = 3;

/// What the public home page shows.
pub struct Home {
    pub company: Option<Company>,
    pub centres: Vec<Centre>,
    /// Outages not yet over, soonest first.
    pub outages: Vec<News>,
    /// The latest announcements of other kinds.
    pub news: Vec<News>,
    /// The norm of an answer to a complaint, in days (15 unless changed).
    pub answer_days: i32,
}

/// The company, its service centres, the outages not yet over and the latest news.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn home(state: &AppState) -> Result<Home, WebError> {
    let now = now_local_minute(company_tz(state));
    let outages = state.store.current_outages(&now, 10).await?;
    let news = state
        .store
        .news_list(false, HOME_NEWS + outages.len() as i64, 0)
        .await?
        .into_iter()
        .filter(|n| !outages.iter().any(|o| o.id == n.id))
        .take(HOME_NEWS as usize)
        .collect();
    let rules = crate::appeals::rules(state).await?;
    Ok(Home {
        answer_days: rules
            .norms(abonent_domain::appeals::AppealKind::Complaint)
            .answer_days,
        company: state.store.company().await?,
        centres: state.store.centres().await?,
        outages,
        news,
    })
}
