//! Default data of a fresh database (ORG-01, ORG-06): the company's contacts and hotline hours
//! (§7.1.7), the branch and the two service centres of §4.2, and the shipped working calendar.
//! Each item is written only when missing, so staff edits are never overwritten.

use abonent_domain::hours::WeeklyHours;
use abonent_domain::org::{BranchData, CentreData};
use abonent_domain::refusal::{OrgRefusal, Refusal};

use crate::org::Company;
use crate::{Result, Store, StoreError};

/// Hotline and reception hours of §7.1.7: 8:30–12:30 and 14:00–17:00 on working days.
pub const STANDARD_HOURS: &str = "пн-пт 08:30-12:30, 14:00-17:00";
pub const HOTLINE_PHONES: &str = "8-800-350-20-88, 8-3467-38-88-88";
pub const DEFAULT_BRANCH: &str = "Радужнинское межрайонное отделение";

impl Store {
    /// Writes whatever default data is missing; returns whether anything was written. Several
    /// instances may start together: each step is idempotent, so a step that lost a race (a
    /// uniqueness conflict, or a deadlock victim on PostgreSQL) is simply tried again.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn seed_defaults(&self) -> Result<bool> {
        let mut attempt = 0;
        loop {
            match self.seed_defaults_once().await {
                Err(e) if attempt < 3 => {
                    attempt += 1;
                    tracing::info!(error = %e, attempt, "default data: retrying after a concurrent start");
                    tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
                }
                other => return other,
            }
        }
    }

    async fn seed_defaults_once(&self) -> Result<bool> {
        let mut wrote = self.seed_shipped_calendar().await? > 0;
        wrote |= self.seed_billing().await?;
        wrote |= self.seed_notice_templates().await?;
        wrote |= self.seed_info_pages().await?;
        if self.company().await?.is_none() {
            self.save_company(&Company {
                name: "Акционерное общество «Югорская территориальная энергетическая компания»"
                    .into(),
                short_name: "АО «ЮТЭК»".into(),
                inn: String::new(),
                website: "www.yutec-hm.ru".into(),
                hotline_phones: HOTLINE_PHONES.into(),
                hotline_hours: STANDARD_HOURS.into(),
            })
            .await?;
            wrote = true;
        }
        if self.branches().await?.is_empty() {
            let branch = self
                .save_branch(
                    None,
                    &BranchData {
                        name: DEFAULT_BRANCH.into(),
                        address: "628462, г. Радужный, 1 мкр., д. 43".into(),
                        phones: HOTLINE_PHONES.into(),
                        time_zone: abonent_domain::org::DEFAULT_TIME_ZONE.into(),
                    },
                )
                .await;
            // Another instance starting at the same moment wrote the defaults first.
            let branch_id = match branch {
                Err(StoreError::Refused(Refusal::Org(OrgRefusal::BranchNameTaken))) => {
                    return Ok(wrote)
                }
                other => other?,
            };
            let hours = WeeklyHours::parse(STANDARD_HOURS).map_err(StoreError::Corrupt)?;
            for (name, postcode, address) in [
                (
                    "Центр очного обслуживания г. Радужный",
                    "628462",
                    "г. Радужный, 1 мкр., д. 43, 1 этаж, левое крыло ОДЦ «АганГрад»",
                ),
                (
                    "Центр очного обслуживания пгт Новоаганск",
                    "628647",
                    "пгт Новоаганск, ул. 70 лет Октября, д. 18",
                ),
            ] {
                let saved = self
                    .save_centre(
                        None,
                        &CentreData {
                            branch_id,
                            name: name.into(),
                            postcode: postcode.into(),
                            address: address.into(),
                            phones: HOTLINE_PHONES.into(),
                            opening_hours: hours.clone(),
                            reception_hours: None,
                        },
                    )
                    .await;
                match saved {
                    Err(StoreError::Refused(Refusal::Org(OrgRefusal::BranchNameTaken))) => {
                        return Ok(wrote)
                    }
                    other => other?,
                };
            }
            wrote = true;
        }
        Ok(wrote)
    }
}
