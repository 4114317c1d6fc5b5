//! Demo data of the front office: a few incidents over the last month, recorded by the demo
//! staff as a person would (with the notices to the supervisor and the general director), so
//! that the register is not empty. The directory of competences comes with the migration.

use abonent_domain::frontoffice::incidents::{
    IncidentAction, IncidentData, IncidentKind, IncidentPlace,
};
use jiff::{Timestamp, ToSpan};

use crate::audit::Actor;
use crate::{Result, Store};

/// (recorder's login, hours ago, kind, place, description, actions, outcome, names a client)
type DemoIncident = (
    &'static str,
    i64,
    IncidentKind,
    IncidentPlace,
    &'static str,
    &'static [IncidentAction],
    &'static str,
    bool,
);

const DEMO_INCIDENTS: &[DemoIncident] = &[
    (
        "cashier",
        2 * 24 + 5,
        IncidentKind::Aggression,
        IncidentPlace::Centre,
        "Клиент требовал принять оплату без квитанции, кричал в зале, мешал другим посетителям.",
        &[
            IncidentAction::AskedToLeave,
            IncidentAction::SupervisorInformed,
        ],
        "Клиент успокоился после разговора с руководителем, оплата принята.",
        true,
    ),
    (
        "tech",
        6 * 24 + 3,
        IncidentKind::PhoneAbuse,
        IncidentPlace::Phone,
        "Звонивший оскорблял сотрудника из-за начислений по нормативу.",
        &[IncidentAction::CallEnded],
        "Клиенту напомнили о записи разговора, разговор прекращён.",
        false,
    ),
    (
        "tech2",
        11 * 24 + 6,
        IncidentKind::Threats,
        IncidentPlace::Premises,
        "При проверке прибора учёта собственник угрожал сотруднику, не дал осмотреть счётчик.",
        &[
            IncidentAction::LeftPremises,
            IncidentAction::SupervisorInformed,
        ],
        "Проверка перенесена, назначен повторный выход с руководителем.",
        true,
    ),
    (
        "tech",
        19 * 24 + 4,
        IncidentKind::Intoxication,
        IncidentPlace::Centre,
        "Посетитель в состоянии опьянения отказывался покинуть зал обслуживания.",
        &[
            IncidentAction::AskedToLeave,
            IncidentAction::SupervisorInformed,
            IncidentAction::PoliceCalled,
        ],
        "Прибыл наряд полиции, посетитель покинул центр.",
        false,
    ),
    (
        "sales",
        27 * 24 + 2,
        IncidentKind::Detention,
        IncidentPlace::Premises,
        "При введении ограничения сотрудника не выпускали с участка до восстановления подачи.",
        &[
            IncidentAction::SupplyRestored,
            IncidentAction::SupervisorInformed,
        ],
        "Режим восстановлен по требованию; материалы переданы юристу.",
        true,
    ),
];

impl Store {
    /// Records the demo incidents unless the register already has some; returns how many.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn demo_incidents(&self) -> Result<usize> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM incidents")
            .fetch_one(self.pool())
            .await?;
        if n > 0 {
            return Ok(0);
        }
        let centres = self.centres().await?;
        let (client,): (Option<i64>,) = sqlx::query_as("SELECT MIN(id) FROM clients")
            .fetch_one(self.pool())
            .await?;
        let now = Timestamp::now();
        let mut added = 0;
        for (i, (login, hours, kind, place, text, actions, outcome, names_client)) in
            DEMO_INCIDENTS.iter().enumerate()
        {
            let Some((staff, _)) = self.staff_credentials(login).await? else {
                continue;
            };
            let centre_id = match place {
                IncidentPlace::Centre => staff
                    .centre_id
                    .or_else(|| centres.get(i % centres.len().max(1)).map(|c| c.id)),
                _ => None,
            };
            if *place == IncidentPlace::Centre && centre_id.is_none() {
                continue;
            }
            let data = IncidentData {
                occurred_at: now.checked_sub(hours.hours()).unwrap_or(now),
                kind: *kind,
                place: *place,
                centre_id,
                address: if *place == IncidentPlace::Premises {
                    "ул. Садовая, д. 12".into()
                } else {
                    String::new()
                },
                staff_id: Some(staff.id),
                client_id: if *names_client { client } else { None },
                description: (*text).into(),
                actions: actions.to_vec(),
                outcome: (*outcome).into(),
            };
            let actor = Actor {
                staff_id: Some(staff.id),
                login: staff.login.clone(),
                ip: String::new(),
            };
            self.record_incident(&data, staff.id, None, &actor).await?;
            added += 1;
        }
        Ok(added)
    }
}
