//! Store tests: each runs on SQLite and, when `ABONENT_TEST_POSTGRES_URL` is set, on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use abonent_domain::accounts::{AccountCategory, AccountNumber};
use abonent_domain::calendar::{DayKind, SpecialDay};
use abonent_domain::clients::{ClientDraft, ConsentKind, VulnerableCategory};
use abonent_domain::org::{Role, StaffData};
use abonent_domain::search::SearchQuery;
use abonent_store::accounts::{AccountData, PremisesData};
use abonent_store::audit::{Actor, AuditFilter};
use abonent_store::testing;
use abonent_store::StoreError;
use jiff::civil::date;

fn actor() -> Actor {
    Actor {
        staff_id: None,
        login: "test".into(),
        ip: "127.0.0.1".into(),
    }
}

fn draft(surname: &str) -> ClientDraft {
    ClientDraft {
        surname: surname.into(),
        first_name: "Алёна".into(),
        patronymic: "Петровна".into(),
        phones: "+7 912 345-67-89".into(),
        email: "alena@example.org".into(),
        postal_address: "628647, пгт Новоаганск, ул. Лесная, д. 5".into(),
        preferred_channel: "email".into(),
        vulnerable: vec!["disabled".into()],
        vulnerable_note: String::new(),
        consents: vec!["personal_data".into(), "email_notices".into()],
    }
}

#[tokio::test]
async fn defaults_are_seeded_once() {
    for db in testing::all().await {
        let s = &db.store;
        assert!(s.seed_defaults().await.unwrap(), "{}", db.label);
        assert!(
            !s.seed_defaults().await.unwrap(),
            "second run writes nothing"
        );
        let company = s.company().await.unwrap().unwrap();
        assert!(company.hotline_phones.contains("8-800-350-20-88"));
        assert_eq!(company.hotline_hours, "пн-пт 08:30-12:30, 14:00-17:00");
        let centres = s.centres().await.unwrap();
        assert_eq!(centres.len(), 2);
        assert!(centres.iter().any(|c| c.address.contains("70 лет Октября")));
        assert!(centres.iter().any(|c| c.postcode == "628462"));
        let cal = s.working_calendar().await.unwrap();
        assert!(cal.is_official(2025) && cal.is_official(2026));
        assert_eq!(cal.working_days_in_year(2026), 247);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn instances_starting_together_seed_once() {
    for db in testing::all().await {
        let s = &db.store;
        let (a, b, c) = tokio::join!(s.seed_defaults(), s.seed_defaults(), s.seed_defaults());
        for r in [a, b, c] {
            r.unwrap_or_else(|e| panic!("{}: concurrent seeding failed: {e}", db.label));
        }
        assert_eq!(s.branches().await.unwrap().len(), 1);
        assert_eq!(s.centres().await.unwrap().len(), 2);
        assert_eq!(s.calendar_years().await.unwrap().len(), 2);
        assert_eq!(
            s.working_calendar()
                .await
                .unwrap()
                .working_days_in_year(2025),
            247
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn calendar_year_is_replaced_whole() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        let mut years = s.calendar_years().await.unwrap();
        let y = years.iter_mut().find(|y| y.year == 2026).unwrap();
        y.days.retain(|d| d.date != date(2026, 12, 31));
        y.days.push(SpecialDay {
            date: date(2026, 11, 5),
            kind: DayKind::DayOff,
        });
        y.source = "изменено администратором".into();
        s.save_calendar_year(y, None).await.unwrap();
        let cal = s.working_calendar().await.unwrap();
        assert!(!cal.is_working_day(date(2026, 11, 5)), "{}", db.label);
        assert!(cal.is_working_day(date(2026, 12, 31)));
        // Seeding again leaves the edited year alone.
        s.seed_defaults().await.unwrap();
        let again = s.calendar_years().await.unwrap();
        let y = again.iter().find(|y| y.year == 2026).unwrap();
        assert_eq!(y.source, "изменено администратором");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn staff_and_sessions() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        let data = StaffData {
            login: "ivanova".into(),
            full_name: "Иванова Анна".into(),
            position: "Техник".into(),
            role: Role::Technician,
            branch_id: Some(s.branches().await.unwrap()[0].id),
            centre_id: None,
            phone: String::new(),
            email: String::new(),
            badge: String::new(),
            active: true,
        };
        let id = s.create_staff(&data, "hash1").await.unwrap();
        match s.create_staff(&data, "hash2").await {
            Err(StoreError::Refused(m)) => assert!(m.to_string().contains("логином"), "{m}"),
            other => panic!("{}: expected conflict, got {other:?}", db.label),
        }
        let (st, hash) = s.staff_credentials("ivanova").await.unwrap().unwrap();
        assert_eq!((st.id, hash.as_str()), (id, "hash1"));
        assert_eq!(st.role, Role::Technician);

        s.create_session("tok", id, "csrf", "127.0.0.1", 3_600_000_000)
            .await
            .unwrap();
        let sess = s.session("tok").await.unwrap().unwrap();
        assert_eq!(sess.staff.login, "ivanova");
        assert_eq!(sess.csrf_token, "csrf");
        assert!(s.session("other").await.unwrap().is_none());
        // Expired sessions are not live.
        s.create_session("old", id, "c", "", -1).await.unwrap();
        assert!(s.session("old").await.unwrap().is_none());
        // Deactivation ends sessions; a password change too.
        let mut off = data.clone();
        off.active = false;
        s.update_staff(id, &off).await.unwrap();
        assert!(s.session("tok").await.unwrap().is_none());
        s.update_staff(id, &data).await.unwrap();
        s.create_session("tok2", id, "c", "", 3_600_000_000)
            .await
            .unwrap();
        s.set_staff_password(id, "hash3").await.unwrap();
        assert!(s.session("tok2").await.unwrap().is_none());

        for _ in 0..3 {
            s.record_login_attempt("ivanova", "10.0.0.1", false)
                .await
                .unwrap();
        }
        s.record_login_attempt("ivanova", "10.0.0.2", true)
            .await
            .unwrap();
        let (by_login, by_ip) = s
            .recent_failures("ivanova", "10.0.0.1", 60_000_000)
            .await
            .unwrap();
        assert_eq!((by_login, by_ip), (3, 3));

        // A megabyte typed as the login is cut before it is stored, and counted all the same.
        let huge = "я".repeat(1 << 20);
        for _ in 0..2 {
            s.record_login_attempt(&huge, "10.0.0.3", false)
                .await
                .unwrap();
        }
        let (by_login, _) = s
            .recent_failures(&huge, "10.0.0.3", 60_000_000)
            .await
            .unwrap();
        assert_eq!(by_login, 2, "{}", db.label);
        let long = Actor {
            login: huge.clone(),
            ..actor()
        };
        s.audit(&long, "login.failed", "staff", &huge, "")
            .await
            .unwrap();
        let (longest_attempt, longest_audit): (i64, i64) = sqlx::query_as(
            "SELECT CAST((SELECT MAX(LENGTH(login)) FROM login_attempts) AS BIGINT),
                    CAST((SELECT MAX(LENGTH(actor_login)) FROM audit_log) AS BIGINT)",
        )
        .fetch_one(s.pool())
        .await
        .unwrap();
        assert_eq!(
            (longest_attempt, longest_audit),
            (100, 100),
            "{}: cut to 100 characters",
            db.label
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn client_create_update_and_audit() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        let data = draft("Ёлкина").validate().unwrap();
        let id = s.create_client(&data, &actor()).await.unwrap();
        let c = s.client(id).await.unwrap();
        assert_eq!(c.full_name, "Ёлкина Алёна Петровна");
        assert_eq!(c.phones, vec!["9123456789"]);
        assert_eq!(c.vulnerable, vec![VulnerableCategory::Disabled]);
        let mut active: Vec<&str> = c.active_consents().iter().map(|k| k.code()).collect();
        active.sort_unstable();
        assert_eq!(active, vec!["email_notices", "personal_data"]);

        // Withdraw e-mail notices, change the phone.
        let mut d2 = draft("Ёлкина");
        d2.consents = vec!["personal_data".into()];
        d2.phones = "8 900 111 22 33".into();
        let v = s
            .update_client(id, c.version, &d2.validate().unwrap(), &actor())
            .await
            .unwrap();
        assert_eq!(v, c.version + 1);
        let c2 = s.client(id).await.unwrap();
        assert_eq!(c2.phones, vec!["9001112233"]);
        assert_eq!(c2.active_consents(), vec![ConsentKind::PersonalData]);
        assert!(c2
            .consents
            .iter()
            .any(|k| k.kind == ConsentKind::EmailNotices && k.withdrawn_at.is_some()));

        // An edit based on the old version is refused and changes nothing.
        let stale = s
            .update_client(
                id,
                c.version,
                &draft("Другая").validate().unwrap(),
                &actor(),
            )
            .await;
        assert!(matches!(stale, Err(StoreError::Refused(_))), "{}", db.label);
        assert_eq!(s.client(id).await.unwrap().surname, "Ёлкина");

        let log = s
            .audit_entries(&AuditFilter {
                object_kind: Some("client".into()),
                object_id: Some(id.to_string()),
                ..Default::default()
            })
            .await
            .unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, vec!["client.update", "client.create"]);
        assert!(log[0].details.contains("phones") && log[0].details.contains("consents"));
        assert!(
            !log[0].details.contains("9001112233"),
            "values never logged"
        );

        // The audit log refuses changes on both engines.
        let upd = sqlx::query("UPDATE audit_log SET action = 'x'")
            .execute(s.pool())
            .await;
        assert!(upd.is_err(), "{}: audit log must be append-only", db.label);
        let del = sqlx::query("DELETE FROM audit_log").execute(s.pool()).await;
        assert!(del.is_err());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn search_by_number_phone_name_and_address() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        let branch_id = s.branches().await.unwrap()[0].id;
        let id = s
            .create_client(&draft("Ёлкина").validate().unwrap(), &actor())
            .await
            .unwrap();
        let number = AccountNumber::from_serial(900_000_001);
        s.create_account(
            &AccountData {
                number: number.clone(),
                client_id: id,
                branch_id,
                premises: PremisesData {
                    postcode: "628647".into(),
                    settlement: "пгт Новоаганск".into(),
                    street: "ул. Лесная".into(),
                    house: "5".into(),
                    apartment: Some("12".into()),
                },
                category: AccountCategory::Urban,
                residents: 2,
                rooms: 2,
                opened_on: date(2020, 1, 15),
            },
            &actor(),
        )
        .await
        .unwrap();
        // Another client to make sure filters filter.
        let other = s
            .create_client(&draft("Петрова").validate().unwrap(), &actor())
            .await
            .unwrap();
        assert_ne!(other, id);

        let q = |t: &str| SearchQuery::classify(t).unwrap();
        let by_number = s.search_clients(&q(number.as_str()), 20).await.unwrap();
        assert_eq!(by_number.len(), 1, "{}", db.label);
        assert_eq!(by_number[0].client_id, id);
        assert_eq!(
            by_number[0].vulnerable, "disabled",
            "the flag shows in results"
        );
        assert!(by_number[0]
            .address
            .as_deref()
            .unwrap()
            .contains("ул. Лесная, д. 5, кв. 12"));

        let by_name = s.search_clients(&q("елкина ал"), 20).await.unwrap();
        assert_eq!(by_name.len(), 1, "{}: ё and е match", db.label);
        assert_eq!(by_name[0].account_number.as_deref(), Some(number.as_str()));
        let by_upper = s.search_clients(&q("ЁЛК"), 20).await.unwrap();
        assert_eq!(by_upper.len(), 1);

        let by_phone = s.search_clients(&q("+7 912 345"), 20).await.unwrap();
        assert_eq!(by_phone.len(), 2, "both clients share the phone");

        let by_address = s.search_clients(&q("ул. Лесная, д. 5"), 20).await.unwrap();
        assert_eq!(by_address.len(), 1, "{}", db.label);
        assert_eq!(by_address[0].client_id, id);

        assert!(s
            .search_clients(&q("Сидоров"), 20)
            .await
            .unwrap()
            .is_empty());

        let accounts = s.accounts_of_client(id).await.unwrap();
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0].contracts.len(), 1);
        assert_eq!(
            accounts[0].contracts[0].status,
            abonent_domain::accounts::ContractStatus::Concluded
        );
        assert_eq!(s.account_by_number(&number).await.unwrap().client_id, id);

        // A duplicate number is refused with a message.
        let dup = s
            .create_account(
                &AccountData {
                    number: number.clone(),
                    client_id: other,
                    branch_id,
                    premises: accounts_premises(),
                    category: AccountCategory::Rural,
                    residents: 1,
                    rooms: 1,
                    opened_on: date(2021, 1, 1),
                },
                &actor(),
            )
            .await;
        assert!(matches!(dup, Err(StoreError::Refused(_))));
        db.cleanup().await;
    }
}

fn accounts_premises() -> PremisesData {
    PremisesData {
        postcode: String::new(),
        settlement: "г. Радужный".into(),
        street: "1 мкр.".into(),
        house: "1".into(),
        apartment: None,
    }
}

#[tokio::test]
async fn demo_generation_resumes_and_is_idempotent() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        assert_eq!(s.seed_demo_staff("h").await.unwrap(), 9);
        assert_eq!(s.seed_demo_staff("h").await.unwrap(), 0);
        let mut seen = 0;
        assert_eq!(s.demo_accounts(1500, |n| seen = n).await.unwrap(), 1500);
        assert_eq!(seen, 1500);
        // As if interrupted after 1500 of 2100: the next run adds only the rest.
        assert_eq!(s.demo_accounts(2100, |_| {}).await.unwrap(), 600);
        assert_eq!(s.demo_accounts(2100, |_| {}).await.unwrap(), 0);
        assert_eq!(s.account_count().await.unwrap(), 2100, "{}", db.label);
        assert_eq!(s.client_count().await.unwrap(), 2100);
        // A client created after the bulk load gets a fresh id on both engines.
        let id = s
            .create_client(&draft("Новая").validate().unwrap(), &actor())
            .await
            .unwrap();
        assert!(id > 2100);
        let c = abonent_store::demo::demo_client(1234);
        let hits = s
            .search_clients(&SearchQuery::classify(c.number.as_str()).unwrap(), 5)
            .await
            .unwrap();
        assert_eq!(hits.len(), 1);
        assert!(hits[0].full_name.starts_with(&c.surname));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn sqlite_reads_through_a_memory_map_of_the_configured_size() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/m.db", dir.path().display());
    let mapped = abonent_store::Store::connect_tuned(&url, 2, None, 64)
        .await
        .unwrap();
    let (size,): (i64,) = sqlx::query_as("PRAGMA mmap_size")
        .fetch_one(mapped.pool())
        .await
        .unwrap();
    assert_eq!(size, 64 * 1024 * 1024);
    mapped.close().await;
    let plain = abonent_store::Store::connect_tuned(&url, 2, None, 0)
        .await
        .unwrap();
    let (size,): (i64,) = sqlx::query_as("PRAGMA mmap_size")
        .fetch_one(plain.pool())
        .await
        .unwrap();
    assert_eq!(size, 0, "0 leaves the memory map off");
    plain.close().await;
}
