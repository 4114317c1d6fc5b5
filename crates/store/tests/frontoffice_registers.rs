//! The front office's registers in the store, on SQLite and PostgreSQL: an incident with its
//! notices, mail jobs and audit entry in one transaction, the register's filters, the demo
//! incidents; the directory of competences with its order.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use abonent_domain::appeals::StaffNoticeKind;
use abonent_domain::frontoffice::competences::CompetenceDraft;
use abonent_domain::frontoffice::incidents::{
    IncidentAction, IncidentData, IncidentKind, IncidentPlace,
};
use abonent_store::audit::Actor;
use abonent_store::frontoffice::incidents::IncidentFilter;
use abonent_store::idempotency::IdemKey;
use abonent_store::{testing, Store, StoreError};
use jiff::{Timestamp, ToSpan};

async fn staff(s: &Store, login: &str) -> (i64, Actor) {
    let st = s.staff_credentials(login).await.unwrap().unwrap().0;
    (
        st.id,
        Actor {
            staff_id: Some(st.id),
            login: st.login,
            ip: String::new(),
        },
    )
}

fn incident(kind: IncidentKind, hours_ago: i64, centre: Option<i64>) -> IncidentData {
    IncidentData {
        occurred_at: Timestamp::now().checked_sub(hours_ago.hours()).unwrap(),
        kind,
        place: if centre.is_some() {
            IncidentPlace::Centre
        } else {
            IncidentPlace::Phone
        },
        centre_id: centre,
        address: String::new(),
        staff_id: None,
        client_id: None,
        description: "Оскорбления".into(),
        actions: vec![IncidentAction::AskedToLeave, IncidentAction::PoliceCalled],
        outcome: String::new(),
    }
}

#[tokio::test]
async fn an_incident_is_recorded_with_its_notices_in_one_transaction() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.seed_demo_staff("not-a-real-hash").await.unwrap();
        let centre = s.centres().await.unwrap()[0].id;
        let (tech, actor) = staff(s, "tech").await;
        let (head, _) = staff(s, "head").await;
        let (director, _) = staff(s, "director").await;
        let key = IdemKey::new("test", "once");
        let r = s
            .record_incident(
                &incident(IncidentKind::Threats, 2, Some(centre)),
                tech,
                Some(&key),
                &actor,
            )
            .await
            .unwrap();
        assert!(!r.replayed);
        let again = s
            .record_incident(
                &incident(IncidentKind::Threats, 2, Some(centre)),
                tech,
                Some(&key),
                &actor,
            )
            .await
            .unwrap();
        assert_eq!((again.id, again.replayed), (r.id, true));
        let v = s.incident(r.id).await.unwrap();
        assert_eq!(v.kind, IncidentKind::Threats);
        assert_eq!(v.staff_id, tech);
        assert_eq!(v.recorded_by, tech);
        assert_eq!(
            v.actions,
            vec![IncidentAction::AskedToLeave, IncidentAction::PoliceCalled]
        );
        assert!(v.centre_name.is_some());
        for to in [head, director] {
            let n = s.staff_notices(to, 10).await.unwrap();
            assert_eq!(n.len(), 1, "{}", db.label);
            assert_eq!(n[0].kind, StaffNoticeKind::Incident);
            assert_eq!(n[0].incident_id, Some(r.id));
            assert_eq!(n[0].appeal_id, None);
            let (mail, email) = s.notice_for_mail(n[0].id).await.unwrap();
            assert_eq!(mail.incident_id, Some(r.id));
            assert!(email.ends_with("@abonent.example.org"));
        }
        // Nothing is written when the incident cannot be: no notice without its incident.
        let mut broken = incident(IncidentKind::Other, 1, Some(999_999));
        broken.description = "x".into();
        assert!(s
            .record_incident(&broken, tech, None, &actor)
            .await
            .is_err());
        assert_eq!(
            s.staff_notices(head, 10).await.unwrap().len(),
            1,
            "{}",
            db.label
        );
        // A recorder unknown to the store records nothing.
        let nobody = Actor::default();
        assert!(matches!(
            s.record_incident(&incident(IncidentKind::Other, 1, None), tech, None, &nobody)
                .await,
            Err(StoreError::NotFound)
        ));

        // The register's filters.
        s.record_incident(
            &incident(IncidentKind::PhoneAbuse, 30, None),
            head,
            None,
            &actor,
        )
        .await
        .unwrap();
        let all = s.incidents(&IncidentFilter::default()).await.unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].id, r.id, "newest first");
        let phone = s
            .incidents(&IncidentFilter {
                kind: Some(IncidentKind::PhoneAbuse),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(phone.len(), 1);
        let at_centre = s
            .incidents(&IncidentFilter {
                centre_id: Some(centre),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(at_centre.len(), 1);
        let recent = s
            .incidents(&IncidentFilter {
                from: Some(
                    Timestamp::now()
                        .checked_sub(10.hours())
                        .unwrap()
                        .as_microsecond(),
                ),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(recent.len(), 1);
        let heads = s
            .incidents(&IncidentFilter {
                person: Some(head),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(heads.len(), 1, "the head was involved in one");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_demo_fills_the_register_once() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.seed_demo_staff("not-a-real-hash").await.unwrap();
        s.demo_accounts(3, |_| {}).await.unwrap();
        let n = s.demo_incidents().await.unwrap();
        assert!(n >= 4, "{}: {n}", db.label);
        assert_eq!(s.demo_incidents().await.unwrap(), 0);
        let all = s.incidents(&IncidentFilter::default()).await.unwrap();
        assert_eq!(all.len(), n);
        let month_ago = Timestamp::now().checked_sub((31 * 24).hours()).unwrap();
        assert!(all
            .iter()
            .all(|i| i.occurred_at > month_ago.as_microsecond()));
        assert!(all.iter().any(|i| i.client_id.is_some()));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_directory_keeps_its_order() {
    for db in testing::all().await {
        let s = &db.store;
        s.seed_defaults().await.unwrap();
        s.seed_demo_staff("not-a-real-hash").await.unwrap();
        let (_, actor) = staff(s, "sales").await;
        let shipped = s.competences(false).await.unwrap();
        assert_eq!(shipped.len(), 7, "{}", db.label);
        assert!(shipped
            .windows(2)
            .all(|w| w[0].sort_order <= w[1].sort_order));
        let data = CompetenceDraft {
            topic: "Выезд на дом".into(),
            position: "техник".into(),
            published: false,
            ..Default::default()
        }
        .check()
        .unwrap();
        let id = s.save_competence(None, &data, &actor).await.unwrap();
        assert_eq!(s.competences(false).await.unwrap().last().unwrap().id, id);
        assert_eq!(s.competences(true).await.unwrap().len(), 7, "a draft");
        s.move_competence(id, true, &actor).await.unwrap();
        let ids: Vec<i64> = s
            .competences(false)
            .await
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids[6], id);
        // The first entry moved up stays first.
        s.move_competence(ids[0], true, &actor).await.unwrap();
        assert_eq!(s.competences(false).await.unwrap()[0].id, ids[0]);
        s.delete_competence(id, &actor).await.unwrap();
        assert!(matches!(
            s.delete_competence(id, &actor).await,
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            s.save_competence(Some(id), &data, &actor).await,
            Err(StoreError::NotFound)
        ));
        db.cleanup().await;
    }
}
