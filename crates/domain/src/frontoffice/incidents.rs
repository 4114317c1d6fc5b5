//! The register of incidents (CHN-05, §6.4 of the standard): aggression, threats, intoxication,
//! an assault on a staff member, forcible detention during a restriction, abuse on the phone.
//! What is typed is checked here ([`IncidentDraft::check`]); who is told is decided here
//! ([`incident_recipients`]): the staff member's supervisor and the general director (§6.4.4–6).

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::accounts::coded_enum;
use crate::org::Role;
use crate::validation::{optional_text, FieldErrors};

coded_enum! {
    /// What happened (§6.4.2, §6.4.4–7).
    IncidentKind {
        Aggression = "aggression" / "неадекватное поведение, агрессия",
        Threats = "threats" / "угрозы",
        Intoxication = "intoxication" / "алкогольное или наркотическое опьянение",
        Assault = "assault" / "нападение на сотрудника",
        Detention = "detention" / "насильственное удержание при ограничении",
        PhoneAbuse = "phone_abuse" / "оскорбления по телефону",
        Other = "other" / "другое",
    }
}

coded_enum! {
    /// Where it happened: a service centre, the client's premises (§6.4.5), on the phone (§6.4.7).
    IncidentPlace {
        Centre = "centre" / "центр обслуживания",
        Premises = "premises" / "территория клиента",
        Phone = "phone" / "по телефону",
    }
}

coded_enum! {
    /// What was done (§6.4.2, §6.4.4–7); several may be.
    IncidentAction {
        AskedToLeave = "asked_to_leave" / "клиента попросили покинуть помещение",
        SupervisorInformed = "supervisor_informed" / "сообщено руководителю",
        PoliceCalled = "police_called" / "вызвана полиция",
        LeftPremises = "left_premises" / "сотрудник покинул территорию клиента",
        SupplyRestored = "supply_restored" / "режим восстановлен по требованию клиента",
        CallEnded = "call_ended" / "разговор прекращён",
    }
}

/// The longest description kept.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// The longest outcome note and premises address kept.
pub const MAX_NOTE_CHARS: usize = 2000;
/// How far back an incident may be recorded.
pub const MAX_AGE_DAYS: i64 = 366;

/// An incident as typed (the form and the API). Times are local to the company's zone.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentDraft {
    /// When it happened, local time: `2026-05-12T14:30`.
    #[serde(default)]
    pub occurred_at: String,
    /// `aggression`, `threats`, `intoxication`, `assault`, `detention`, `phone_abuse`, `other`.
    #[serde(default)]
    pub kind: String,
    /// `centre`, `premises` or `phone`.
    #[serde(default)]
    pub place: String,
    /// The service centre, when `place` is `centre`.
    #[serde(default)]
    pub centre_id: Option<i64>,
    /// The client's address, when `place` is `premises`.
    #[serde(default)]
    pub address: String,
    /// The staff member involved; the person recording when absent.
    #[serde(default)]
    pub staff_id: Option<i64>,
    /// The client, if known.
    #[serde(default)]
    pub client_id: Option<i64>,
    #[serde(default)]
    pub description: String,
    /// Codes: `asked_to_leave`, `supervisor_informed`, `police_called`, `left_premises`,
    /// `supply_restored`, `call_ended`.
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub outcome: String,
}

/// An incident after its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentData {
    pub occurred_at: Timestamp,
    pub kind: IncidentKind,
    pub place: IncidentPlace,
    /// Set exactly when `place` is `Centre`.
    pub centre_id: Option<i64>,
    /// Non-empty exactly when `place` is `Premises`.
    pub address: String,
    pub staff_id: Option<i64>,
    pub client_id: Option<i64>,
    pub description: String,
    /// Each once, in the order of [`IncidentAction::ALL`].
    pub actions: Vec<IncidentAction>,
    pub outcome: String,
}

impl IncidentDraft {
    /// Checks every field and names each wrong one in Russian. `now` bounds the time: not in
    /// the future (a few minutes of clock skew allowed), not older than [`MAX_AGE_DAYS`].
    pub fn check(&self, now: Timestamp, tz: &TimeZone) -> Result<IncidentData, FieldErrors> {
        let mut e = FieldErrors::new();
        let occurred_at = check_time(&self.occurred_at, now, tz, &mut e);
        let kind = IncidentKind::parse(self.kind.trim());
        if kind.is_none() {
            e.add("kind", "Выберите, что произошло.");
        }
        let place = IncidentPlace::parse(self.place.trim());
        let (mut centre_id, mut address) = (None, String::new());
        match place {
            None => e.add("place", "Укажите, где это произошло."),
            Some(IncidentPlace::Centre) => match self.centre_id {
                Some(id) if id > 0 => centre_id = Some(id),
                _ => e.add("centre_id", "Выберите центр обслуживания."),
            },
            Some(IncidentPlace::Premises) => {
                address = text(
                    &mut e,
                    "address",
                    &self.address,
                    MAX_NOTE_CHARS,
                    "Укажите адрес клиента, где это произошло.",
                );
            }
            Some(IncidentPlace::Phone) => {}
        }
        let description = text(
            &mut e,
            "description",
            &self.description,
            MAX_DESCRIPTION_CHARS,
            "Опишите, что произошло.",
        );
        let mut actions = Vec::new();
        for a in &self.actions {
            let a = a.trim();
            if a.is_empty() {
                continue;
            }
            match IncidentAction::parse(a) {
                Some(v) => actions.push(v),
                None => {
                    e.add("actions", "Выберите принятые меры из списка.");
                    break;
                }
            }
        }
        actions.sort_by_key(|a| IncidentAction::ALL.iter().position(|x| x == a));
        actions.dedup();
        let outcome = optional_text(&mut e, "outcome", &self.outcome, MAX_NOTE_CHARS);
        if self.staff_id.is_some_and(|id| id <= 0) {
            e.add("staff_id", "Выберите сотрудника из списка.");
        }
        if self.client_id.is_some_and(|id| id <= 0) {
            e.add("client_id", "Клиент не найден.");
        }
        let (Some(occurred_at), Some(kind), Some(place), true) =
            (occurred_at, kind, place, e.is_empty())
        else {
            return Err(e);
        };
        Ok(IncidentData {
            occurred_at,
            kind,
            place,
            centre_id,
            address,
            staff_id: self.staff_id,
            client_id: self.client_id,
            description,
            actions,
            outcome: outcome.unwrap_or_default(),
        })
    }
}

/// A required text, trimmed; `empty` is the message when nothing was typed.
fn text(e: &mut FieldErrors, field: &str, value: &str, max: usize, empty: &str) -> String {
    let v = value.trim();
    if v.is_empty() {
        e.add(field, empty);
    } else if v.chars().count() > max {
        e.add(field, format!("Не более {max} символов."));
    }
    v.to_owned()
}

fn check_time(
    typed: &str,
    now: Timestamp,
    tz: &TimeZone,
    e: &mut FieldErrors,
) -> Option<Timestamp> {
    let typed = typed.trim();
    if typed.is_empty() {
        e.add("occurred_at", "Укажите дату и время.");
        return None;
    }
    let Ok(local) = typed.parse::<DateTime>() else {
        e.add("occurred_at", "Дата и время в виде ГГГГ-ММ-ДДTЧЧ:ММ.");
        return None;
    };
    let Ok(at) = local.to_zoned(tz.clone()).map(|z| z.timestamp()) else {
        e.add("occurred_at", "Дата и время в виде ГГГГ-ММ-ДДTЧЧ:ММ.");
        return None;
    };
    let skew = now.checked_add(10.minutes()).unwrap_or(now);
    if at > skew {
        e.add("occurred_at", "Время не может быть позже текущего.");
        return None;
    }
    let oldest = now.checked_sub((MAX_AGE_DAYS * 24).hours()).unwrap_or(now);
    if at < oldest {
        e.add("occurred_at", "Инцидент старше года: проверьте дату.");
        return None;
    }
    Some(at)
}

/// Who is told of an incident (§6.4.4–6): the supervisor of the staff member involved — the
/// heads of their branch — and every general director. A branch head's supervisor is the
/// general director, so a branch head involved is not told of their own incident, and nobody
/// is told twice.
pub fn incident_recipients(
    involved: i64,
    involved_role: Role,
    branch_heads: &[i64],
    directors: &[i64],
) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    if !matches!(involved_role, Role::BranchHead | Role::GeneralDirector) {
        out.extend(branch_heads.iter().copied().filter(|h| *h != involved));
    }
    for d in directors {
        if *d != involved && !out.contains(d) {
            out.push(*d);
        }
    }
    out
}

/// The text of the notice: no client's personal data (it is also sent by e-mail).
pub fn notice_text(id: i64, kind: IncidentKind, staff_name: &str, place: &str) -> String {
    format!(
        "Инцидент № {id}: {}; сотрудник {staff_name}; {place}.",
        kind.label_ru()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz() -> TimeZone {
        TimeZone::get("Asia/Yekaterinburg").unwrap()
    }

    fn now() -> Timestamp {
        "2026-05-12T10:00:00Z".parse().unwrap()
    }

    fn draft() -> IncidentDraft {
        IncidentDraft {
            occurred_at: "2026-05-12T14:30".into(),
            kind: "threats".into(),
            place: "centre".into(),
            centre_id: Some(1),
            description: "  Клиент угрожал  ".into(),
            actions: vec![
                "police_called".into(),
                "asked_to_leave".into(),
                "police_called".into(),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn a_draft_is_checked_field_by_field() {
        let ok = draft().check(now(), &tz()).unwrap();
        assert_eq!(ok.occurred_at, "2026-05-12T09:30:00Z".parse().unwrap());
        assert_eq!(ok.kind, IncidentKind::Threats);
        assert_eq!(ok.centre_id, Some(1));
        assert_eq!(ok.description, "Клиент угрожал");
        assert_eq!(
            ok.actions,
            vec![IncidentAction::AskedToLeave, IncidentAction::PoliceCalled]
        );
        let e = IncidentDraft::default().check(now(), &tz()).unwrap_err();
        assert_eq!(e.get("occurred_at"), Some("Укажите дату и время."));
        assert_eq!(e.get("kind"), Some("Выберите, что произошло."));
        assert_eq!(e.get("place"), Some("Укажите, где это произошло."));
        assert_eq!(e.get("description"), Some("Опишите, что произошло."));
        let mut d = draft();
        d.occurred_at = "2026-05-12T16:00".into();
        d.place = "premises".into();
        d.actions = vec!["dance".into()];
        let e = d.check(now(), &tz()).unwrap_err();
        assert_eq!(
            e.get("occurred_at"),
            Some("Время не может быть позже текущего.")
        );
        assert_eq!(
            e.get("address"),
            Some("Укажите адрес клиента, где это произошло.")
        );
        assert_eq!(e.get("actions"), Some("Выберите принятые меры из списка."));
        let mut d = draft();
        d.centre_id = None;
        d.occurred_at = "12.05.2026 14:30".into();
        let e = d.check(now(), &tz()).unwrap_err();
        assert_eq!(e.get("centre_id"), Some("Выберите центр обслуживания."));
        assert!(e.get("occurred_at").is_some());
    }

    #[test]
    fn the_supervisor_and_every_director_are_told_once() {
        assert_eq!(
            incident_recipients(7, Role::Technician, &[3], &[2]),
            vec![3, 2]
        );
        // The branch head's own incident goes to the director only.
        assert_eq!(
            incident_recipients(3, Role::BranchHead, &[3, 4], &[2]),
            vec![2]
        );
        assert_eq!(
            incident_recipients(2, Role::GeneralDirector, &[3], &[2, 9]),
            vec![9]
        );
        assert_eq!(
            incident_recipients(7, Role::Technician, &[2], &[2]),
            vec![2]
        );
        assert_eq!(
            incident_recipients(7, Role::Technician, &[], &[]),
            Vec::<i64>::new()
        );
    }
}
