//! Organisation records: the company, branches, service centres, staff and the working calendar.

use abonent_domain::calendar::{CalendarYear, DayKind, SpecialDay, WorkingCalendar};
use abonent_domain::org::{BranchData, CentreData, Role, StaffData};
use abonent_domain::refusal::OrgRefusal;
use jiff::civil::Date;
use serde::Serialize;
use sqlx::FromRow;

use crate::{is_unique_violation, now_micros, refused, Result, Store, StoreError};

/// Company-wide contact data shown on invoices and the portal (§7.1.2, §7.1.7).
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct Company {
    pub name: String,
    pub short_name: String,
    pub inn: String,
    pub website: String,
    pub hotline_phones: String,
    pub hotline_hours: String,
}

#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct Branch {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub phones: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct Centre {
    pub id: i64,
    pub branch_id: i64,
    pub branch_name: String,
    pub name: String,
    pub postcode: String,
    pub address: String,
    pub phones: String,
    pub opening_hours: String,
    pub reception_hours: Option<String>,
}

/// A staff member without the password hash.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Staff {
    pub id: i64,
    pub login: String,
    pub full_name: String,
    pub position: String,
    #[schema(value_type = String)]
    pub role: Role,
    pub branch_id: Option<i64>,
    pub centre_id: Option<i64>,
    pub phone: String,
    pub email: String,
    pub badge: String,
    pub active: bool,
    /// The IANA zone of the staff member's branch.
    pub time_zone: String,
}

impl<'r> FromRow<'r, sqlx::any::AnyRow> for Staff {
    fn from_row(row: &'r sqlx::any::AnyRow) -> sqlx::Result<Self> {
        use sqlx::Row;
        Ok(Self {
            id: row.try_get("id")?,
            login: row.try_get("login")?,
            full_name: row.try_get("full_name")?,
            position: row.try_get("position")?,
            role: Role::try_from(row.try_get::<String, _>("role")?).map_err(|e| {
                sqlx::Error::ColumnDecode {
                    index: "role".into(),
                    source: Box::new(e),
                }
            })?,
            branch_id: row.try_get("branch_id")?,
            centre_id: row.try_get("centre_id")?,
            phone: row.try_get("phone")?,
            email: row.try_get("email")?,
            badge: row.try_get("badge")?,
            active: row.try_get::<i64, _>("active")? != 0,
            // Staff without a branch see times in the default zone.
            time_zone: row
                .try_get::<Option<String>, _>("time_zone")?
                .unwrap_or_else(|| abonent_domain::org::DEFAULT_TIME_ZONE.to_owned()),
        })
    }
}

/// Staff with the time zone of their branch (times are shown to them in it, ORG-06).
const STAFF_SELECT: &str =
    "SELECT s.id, s.login, s.full_name, s.position, s.role, s.branch_id, s.centre_id, s.phone,
        s.email, s.badge, s.active, b.time_zone AS time_zone
     FROM staff s LEFT JOIN branches b ON b.id = s.branch_id";

fn conflict(e: sqlx::Error, refusal: OrgRefusal) -> StoreError {
    if is_unique_violation(&e) {
        refused(refusal)
    } else {
        StoreError::Db(e)
    }
}

impl Store {
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn company(&self) -> Result<Option<Company>> {
        Ok(sqlx::query_as(
            "SELECT name, short_name, inn, website, hotline_phones, hotline_hours FROM company WHERE id = 1",
        )
        .fetch_optional(self.pool())
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save_company(&self, c: &Company) -> Result<()> {
        let now = now_micros();
        sqlx::query(
            "INSERT INTO company (id, name, short_name, inn, website, hotline_phones, hotline_hours, updated_at)
             VALUES (1, $1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET name = $1, short_name = $2, inn = $3, website = $4,
                 hotline_phones = $5, hotline_hours = $6, updated_at = $7",
        )
        .bind(&c.name)
        .bind(&c.short_name)
        .bind(&c.inn)
        .bind(&c.website)
        .bind(&c.hotline_phones)
        .bind(&c.hotline_hours)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn branches(&self) -> Result<Vec<Branch>> {
        Ok(sqlx::query_as(
            "SELECT id, name, address, phones, time_zone FROM branches ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn branch(&self, id: i64) -> Result<Branch> {
        sqlx::query_as("SELECT id, name, address, phones, time_zone FROM branches WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Creates (`id` = None) or updates a branch; returns its id.
    #[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
    pub async fn save_branch(&self, id: Option<i64>, b: &BranchData) -> Result<i64> {
        let now = now_micros();
        let dup = || OrgRefusal::BranchNameTaken;
        match id {
            None => {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO branches (name, address, phones, time_zone, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                )
                .bind(&b.name)
                .bind(&b.address)
                .bind(&b.phones)
                .bind(&b.time_zone)
                .bind(now)
                .fetch_one(self.pool())
                .await
                .map_err(|e| conflict(e, dup()))?;
                Ok(id)
            }
            Some(id) => {
                let r = sqlx::query(
                    "UPDATE branches SET name = $1, address = $2, phones = $3, time_zone = $4, updated_at = $5
                     WHERE id = $6",
                )
                .bind(&b.name)
                .bind(&b.address)
                .bind(&b.phones)
                .bind(&b.time_zone)
                .bind(now)
                .bind(id)
                .execute(self.pool())
                .await
                .map_err(|e| conflict(e, dup()))?;
                if r.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(id)
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn centres(&self) -> Result<Vec<Centre>> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.branch_id, b.name AS branch_name, c.name, c.postcode, c.address, c.phones,
                    c.opening_hours, c.reception_hours
             FROM service_centres c JOIN branches b ON b.id = c.branch_id ORDER BY c.name",
        )
        .fetch_all(self.pool())
        .await?)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn centre(&self, id: i64) -> Result<Centre> {
        sqlx::query_as(
            "SELECT c.id, c.branch_id, b.name AS branch_name, c.name, c.postcode, c.address, c.phones,
                    c.opening_hours, c.reception_hours
             FROM service_centres c JOIN branches b ON b.id = c.branch_id WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
    pub async fn save_centre(&self, id: Option<i64>, c: &CentreData) -> Result<i64> {
        self.branch(c.branch_id).await.map_err(|e| match e {
            StoreError::NotFound => refused(OrgRefusal::NoSuchBranch),
            e => e,
        })?;
        let now = now_micros();
        let opening = c.opening_hours.to_string();
        let reception = c.reception_hours.as_ref().map(|h| h.to_string());
        let dup = || OrgRefusal::CentreNameTaken;
        match id {
            None => {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO service_centres (branch_id, name, postcode, address, phones, opening_hours,
                         reception_hours, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                )
                .bind(c.branch_id)
                .bind(&c.name)
                .bind(&c.postcode)
                .bind(&c.address)
                .bind(&c.phones)
                .bind(&opening)
                .bind(&reception)
                .bind(now)
                .fetch_one(self.pool())
                .await
                .map_err(|e| conflict(e, dup()))?;
                Ok(id)
            }
            Some(id) => {
                let r = sqlx::query(
                    "UPDATE service_centres SET branch_id = $1, name = $2, postcode = $3, address = $4,
                         phones = $5, opening_hours = $6, reception_hours = $7, updated_at = $8
                     WHERE id = $9",
                )
                .bind(c.branch_id)
                .bind(&c.name)
                .bind(&c.postcode)
                .bind(&c.address)
                .bind(&c.phones)
                .bind(&opening)
                .bind(&reception)
                .bind(now)
                .bind(id)
                .execute(self.pool())
                .await
                .map_err(|e| conflict(e, dup()))?;
                if r.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(id)
            }
        }
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn staff_list(&self) -> Result<Vec<Staff>> {
        Ok(
            sqlx::query_as(&format!("{STAFF_SELECT} ORDER BY s.full_name"))
                .fetch_all(self.pool())
                .await?,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn staff(&self, id: i64) -> Result<Staff> {
        sqlx::query_as(&format!("{STAFF_SELECT} WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// The staff member and password hash for a login, for sign-in.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn staff_credentials(&self, login: &str) -> Result<Option<(Staff, String)>> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, password_hash FROM staff WHERE login = $1")
                .bind(login)
                .fetch_optional(self.pool())
                .await?;
        match row {
            None => Ok(None),
            Some((id, hash)) => Ok(Some((self.staff(id).await?, hash))),
        }
    }

    /// Creates a staff member with an already hashed password.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_staff(&self, s: &StaffData, password_hash: &str) -> Result<i64> {
        let now = now_micros();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO staff (login, password_hash, full_name, position, role, branch_id, centre_id,
                 phone, email, badge, active, password_changed_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12) RETURNING id",
        )
        .bind(&s.login)
        .bind(password_hash)
        .bind(&s.full_name)
        .bind(&s.position)
        .bind(s.role.code())
        .bind(s.branch_id)
        .bind(s.centre_id)
        .bind(&s.phone)
        .bind(&s.email)
        .bind(&s.badge)
        .bind(i64::from(s.active))
        .bind(now)
        .fetch_one(self.pool())
        .await
        .map_err(staff_write_error)?;
        Ok(id)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn update_staff(&self, id: i64, s: &StaffData) -> Result<()> {
        let r = sqlx::query(
            "UPDATE staff SET login = $1, full_name = $2, position = $3, role = $4, branch_id = $5,
                 centre_id = $6, phone = $7, email = $8, badge = $9, active = $10, updated_at = $11
             WHERE id = $12",
        )
        .bind(&s.login)
        .bind(&s.full_name)
        .bind(&s.position)
        .bind(s.role.code())
        .bind(s.branch_id)
        .bind(s.centre_id)
        .bind(&s.phone)
        .bind(&s.email)
        .bind(&s.badge)
        .bind(i64::from(s.active))
        .bind(now_micros())
        .bind(id)
        .execute(self.pool())
        .await
        .map_err(staff_write_error)?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if !s.active {
            self.delete_sessions_of(id).await?;
        }
        Ok(())
    }

    /// Sets a new password hash and ends every session of that staff member.
    #[tracing::instrument(level = "debug", skip_all, fields(id = id))]
    pub async fn set_staff_password(&self, id: i64, password_hash: &str) -> Result<()> {
        let r = sqlx::query(
            "UPDATE staff SET password_hash = $1, password_changed_at = $2, updated_at = $2 WHERE id = $3",
        )
        .bind(password_hash)
        .bind(now_micros())
        .bind(id)
        .execute(self.pool())
        .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.delete_sessions_of(id).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn staff_count(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM staff")
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }

    // ---- working calendar (ORG-06) ----

    /// Every loaded calendar year with its special days.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn calendar_years(&self) -> Result<Vec<CalendarYear>> {
        let years: Vec<(i64, String)> =
            sqlx::query_as("SELECT year, source FROM calendar_years ORDER BY year")
                .fetch_all(self.pool())
                .await?;
        let days: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT day, year, kind FROM calendar_days ORDER BY day, kind")
                .fetch_all(self.pool())
                .await?;
        let mut out = Vec::with_capacity(years.len());
        for (year, source) in years {
            let mut ds = Vec::new();
            for (day, y, kind) in days.iter().filter(|(_, y, _)| *y == year) {
                let date: Date = day
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("calendar day {day}: {e}")))?;
                let kind = DayKind::parse(kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("calendar kind {kind}")))?;
                debug_assert_eq!(i64::from(date.year()), *y);
                ds.push(SpecialDay { date, kind });
            }
            out.push(CalendarYear {
                year: year as i16,
                source,
                days: ds,
            });
        }
        Ok(out)
    }

    /// The working calendar in force.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn working_calendar(&self) -> Result<WorkingCalendar> {
        Ok(WorkingCalendar::new(&self.calendar_years().await?))
    }

    /// Replaces a year's special days in one transaction.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn save_calendar_year(&self, y: &CalendarYear, by: Option<i64>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM calendar_days WHERE year = $1")
            .bind(i64::from(y.year))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO calendar_years (year, source, updated_at, updated_by) VALUES ($1, $2, $3, $4)
             ON CONFLICT (year) DO UPDATE SET source = $2, updated_at = $3, updated_by = $4",
        )
        .bind(i64::from(y.year))
        .bind(&y.source)
        .bind(now_micros())
        .bind(by)
        .execute(&mut *tx)
        .await?;
        for d in &y.days {
            sqlx::query(
                "INSERT INTO calendar_days (day, year, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(d.date.to_string())
            .bind(i64::from(y.year))
            .bind(d.kind.code())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Loads each shipped calendar year that the database does not have yet; edited years are
    /// left as the administrator left them.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn seed_shipped_calendar(&self) -> Result<usize> {
        let have: Vec<i16> = self
            .calendar_years()
            .await?
            .iter()
            .map(|y| y.year)
            .collect();
        let mut n = 0;
        for y in abonent_domain::calendar::shipped_years() {
            if !have.contains(&y.year) {
                self.save_calendar_year(&y, None).await?;
                n += 1;
            }
        }
        Ok(n)
    }
}

fn staff_write_error(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e) {
        refused(OrgRefusal::LoginTaken)
    } else if matches!(&e, sqlx::Error::Database(d) if d.message().to_lowercase().contains("foreign key"))
    {
        refused(OrgRefusal::NoSuchBranchOrCentre)
    } else {
        StoreError::Db(e)
    }
}
