//! Everyday ergonomics for staff: the client search by a printed address, Russian labels, the
//! links and grids of administration, printing; on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

mod common;

use axum::http::{Method, StatusCode};
use common::{apps, enc};

/// A demo client in Радужный living in a flat, and that account's printed address.
async fn flat_in_raduzhny(app: &common::App) -> (abonent_store::demo::DemoClient, String) {
    for serial in 1..=50 {
        let demo = abonent_store::demo::demo_client(serial);
        if demo.premises.settlement == "г. Радужный" && demo.premises.apartment.is_some() {
            let account = app.db.store.account_by_number(&demo.number).await.unwrap();
            return (demo, account.address());
        }
    }
    panic!("no demo client in a flat in Радужный");
}

