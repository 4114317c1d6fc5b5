//! Meters and readings on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use abonent_domain::metering::MeterDraft;
use abonent_domain::money::Wh;
use abonent_store::audit::Actor;
use abonent_store::metering::NewReading;
use abonent_store::{testing, StoreError};

#[tokio::test]
async fn readings_are_guarded_against_a_concurrent_one() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(3, |_| {}).await.unwrap();
        let account = s
            .account_by_number(&abonent_domain::accounts::AccountNumber::from_serial(1))
            .await
            .unwrap();
        let data = MeterDraft {
            serial: "77".into(),
            zones: "2".into(),
            digits: "6".into(),
            installed_on: "2025-01-01".into(),
            verified_on: "2025-01-01".into(),
            interval_years: "16".into(),
            initial: "100,50".into(),
            ..Default::default()
        }
        .validate(jiff::civil::date(2026, 11, 26))
        .unwrap();
        let id = s
            .create_meter(account.id, &data, &Actor::default())
            .await
            .unwrap();
        assert!(matches!(
            s.create_meter(999_999, &data, &Actor::default()).await,
            Err(StoreError::NotFound)
        ));
        let m = s.meter(id).await.unwrap();
        assert_eq!(
            (m.last_values.clone(), m.initial_values.as_str()),
            (None, "100,50")
        );
        let reading = |v: Vec<i64>| NewReading {
            values: v,
            consumption: vec![Wh::from_kwh(10), Wh::from_kwh(5)],
            held: false,
            note: String::new(),
            channel: "phone".into(),
            period: "2026-11".into(),
        };
        let first = s
            .add_reading(id, None, &reading(vec![110, 55]), &Actor::default())
            .await
            .unwrap();
        // Another clerk's form was based on "no reading yet": refused, nothing stored.
        match s
            .add_reading(id, None, &reading(vec![120, 60]), &Actor::default())
            .await
        {
            Err(StoreError::Refused(m)) => assert!(m.to_string().contains("Обновите"), "{m}"),
            other => panic!("{}: {other:?}", db.label),
        }
        s.add_reading(id, Some(first), &reading(vec![120, 60]), &Actor::default())
            .await
            .unwrap();
        let m = s.meter(id).await.unwrap();
        assert_eq!(m.last_values.as_deref(), Some("120,60"));
        assert_eq!(s.readings_of_meter(id, 10).await.unwrap().len(), 2);
        assert_eq!(s.meters_of_account(account.id).await.unwrap().len(), 1);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_held_reading_is_accepted_into_the_open_period() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.demo_accounts(2, |_| {}).await.unwrap();
        let account = s
            .account_by_number(&abonent_domain::accounts::AccountNumber::from_serial(2))
            .await
            .unwrap();
        let data = MeterDraft {
            serial: "88".into(),
            zones: "1".into(),
            digits: "6".into(),
            installed_on: "2025-01-01".into(),
            verified_on: "2025-01-01".into(),
            interval_years: "16".into(),
            initial: "100".into(),
            ..Default::default()
        }
        .validate(jiff::civil::date(2026, 11, 26))
        .unwrap();
        let m = s
            .create_meter(account.id, &data, &Actor::default())
            .await
            .unwrap();
        let held = s
            .add_reading(
                m,
                None,
                &NewReading {
                    values: vec![9000],
                    consumption: vec![Wh::from_kwh(8900)],
                    held: true,
                    note: "скачок".into(),
                    channel: "phone".into(),
                    period: "2026-09".into(),
                },
                &Actor::default(),
            )
            .await
            .unwrap();
        assert_eq!(s.held_readings(10).await.unwrap().len(), 1, "{}", db.label);
        // September is billed meanwhile: the accepted reading counts in October.
        s.bill(
            abonent_domain::tariffs::Period::parse("2026-09").unwrap(),
            10,
            None,
            |_, _| {},
        )
        .await
        .unwrap();
        s.review_reading(held, true, "подтверждено фото", &Actor::default())
            .await
            .unwrap();
        let r = s.reading(held).await.unwrap();
        assert_eq!(
            (r.status.as_str(), r.period.as_str()),
            ("accepted", "2026-10")
        );
        assert!(
            r.note.contains("принято при проверке: подтверждено фото"),
            "{}",
            r.note
        );
        assert!(matches!(
            s.review_reading(held, false, "", &Actor::default()).await,
            Err(StoreError::Refused(_))
        ));
        assert_eq!(
            s.meter(m).await.unwrap().last_values.as_deref(),
            Some("9000")
        );
        s.set_meter_state(m, "broken", None, &Actor::default())
            .await
            .unwrap();
        assert_eq!(s.meter(m).await.unwrap().state, "broken");
        assert!(matches!(
            s.set_meter_state(999_999, "broken", None, &Actor::default())
                .await,
            Err(StoreError::NotFound)
        ));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn concurrent_readings_commit_together_and_fail_alone() {
    for db in testing::all().await {
        let s = db.store.clone();
        s.seed_defaults().await.unwrap();
        s.demo_accounts(20, |_| {}).await.unwrap();
        let mut meters = Vec::new();
        for serial in 1..=20u32 {
            let account = s
                .account_by_number(&abonent_domain::accounts::AccountNumber::from_serial(
                    serial,
                ))
                .await
                .unwrap();
            let data = MeterDraft {
                serial: format!("G{serial}"),
                zones: "1".into(),
                digits: "6".into(),
                installed_on: "2025-01-01".into(),
                verified_on: "2025-01-01".into(),
                interval_years: "16".into(),
                initial: "100".into(),
                ..Default::default()
            }
            .validate(jiff::civil::date(2026, 11, 26))
            .unwrap();
            meters.push(
                s.create_meter(account.id, &data, &Actor::default())
                    .await
                    .unwrap(),
            );
        }
        // Two readings per meter at once, both based on "no reading yet": one of each pair is
        // stored, the other refused alone; the group's other readings are not touched.
        let mut set = tokio::task::JoinSet::new();
        for (i, m) in meters.iter().enumerate() {
            for k in 0..2i64 {
                let s = s.clone();
                let m = *m;
                set.spawn(async move {
                    let r = NewReading {
                        values: vec![110 + k],
                        consumption: vec![Wh::from_kwh(10 + k)],
                        held: false,
                        note: String::new(),
                        channel: "portal".into(),
                        period: "2026-11".into(),
                    };
                    (i, s.add_reading(m, None, &r, &Actor::default()).await)
                });
            }
        }
        let mut stored = vec![0; meters.len()];
        let mut refused = vec![0; meters.len()];
        while let Some(r) = set.join_next().await {
            match r.unwrap() {
                (i, Ok(_)) => stored[i] += 1,
                (i, Err(StoreError::Refused(_))) => refused[i] += 1,
                (_, Err(e)) => panic!("{}: {e}", db.label),
            }
        }
        assert!(stored.iter().all(|n| *n == 1), "{}: {stored:?}", db.label);
        assert!(refused.iter().all(|n| *n == 1), "{}: {refused:?}", db.label);
        for m in &meters {
            assert_eq!(
                s.readings_of_meter(*m, 10).await.unwrap().len(),
                1,
                "{}",
                db.label
            );
        }
    }
}
