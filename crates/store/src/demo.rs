//! Demo data (OPS-02): staff in every role and clients with accounts in Радужный and Новоаганск,
//! at any scale. Generation is deterministic by account serial, so `demo --accounts N` brings the
//! database up to N accounts: interrupted, it resumes where it stopped; run again, it adds nothing.

use abonent_domain::accounts::{AccountCategory, AccountNumber, ContractStatus};
use abonent_domain::clients::Channel;
use abonent_domain::org::{Role, StaffData};
use abonent_domain::search::text_key;
use jiff::civil::Date;

use crate::accounts::{contract_documents_text, typical_contract_form, PremisesData};
use crate::sql::values_clause;
use crate::{now_micros, Backend, Result, Store, StoreError};

/// Demo staff: (login, role, full name, position). One per role, two technicians.
pub const DEMO_STAFF: [(&str, Role, &str, &str); 9] = [
    (
        "admin",
        Role::Administrator,
        "Сидоров Алексей Викторович",
        "Администратор системы",
    ),
    (
        "director",
        Role::GeneralDirector,
        "Кравцов Игорь Николаевич",
        "Генеральный директор",
    ),
    (
        "head",
        Role::BranchHead,
        "Морозова Елена Петровна",
        "Руководитель межрайонного отделения",
    ),
    (
        "sales",
        Role::HeadOfRetailSales,
        "Зайцева Ольга Андреевна",
        "Начальник отдела по продаже электроэнергии населению",
    ),
    (
        "clerk",
        Role::RecordsClerk,
        "Белова Наталья Сергеевна",
        "Специалист по документообороту",
    ),
    ("tech", Role::Technician, "Егорова Мария Ивановна", "Техник"),
    (
        "tech2",
        Role::Technician,
        "Павлов Дмитрий Олегович",
        "Техник",
    ),
    (
        "cashier",
        Role::CashierTechnician,
        "Григорьева Анна Юрьевна",
        "Техник-кассир",
    ),
    (
        "cashier2",
        Role::CashierTechnician,
        "Фёдоров Сергей Александрович",
        "Техник-кассир",
    ),
];

const SURNAMES: [&str; 40] = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Никитин",
    "Захаров",
    "Зайцев",
    "Соловьёв",
    "Борисов",
    "Яковлев",
    "Григорьев",
    "Романов",
    "Воробьёв",
    "Сергеев",
    "Кузьмин",
    "Фролов",
    "Александров",
    "Дмитриев",
    "Королёв",
    "Гусев",
    "Киселёв",
];
const MALE: [&str; 20] = [
    "Александр",
    "Сергей",
    "Дмитрий",
    "Андрей",
    "Алексей",
    "Максим",
    "Евгений",
    "Иван",
    "Михаил",
    "Артём",
    "Николай",
    "Владимир",
    "Павел",
    "Роман",
    "Олег",
    "Виктор",
    "Юрий",
    "Игорь",
    "Константин",
    "Денис",
];
const FEMALE: [&str; 20] = [
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Светлана",
    "Анна",
    "Мария",
    "Юлия",
    "Екатерина",
    "Людмила",
    "Галина",
    "Надежда",
    "Марина",
    "Валентина",
    "Анастасия",
    "Оксана",
    "Любовь",
    "Дарья",
    "Вера",
];
const PATRONYMICS: [(&str, &str); 14] = [
    ("Александрович", "Александровна"),
    ("Сергеевич", "Сергеевна"),
    ("Дмитриевич", "Дмитриевна"),
    ("Андреевич", "Андреевна"),
    ("Алексеевич", "Алексеевна"),
    ("Иванович", "Ивановна"),
    ("Михайлович", "Михайловна"),
    ("Николаевич", "Николаевна"),
    ("Владимирович", "Владимировна"),
    ("Павлович", "Павловна"),
    ("Викторович", "Викторовна"),
    ("Юрьевич", "Юрьевна"),
    ("Петрович", "Петровна"),
    ("Олегович", "Олеговна"),
];
const RADUZHNY_STREETS: [&str; 8] = [
    "1 мкр.",
    "2 мкр.",
    "3 мкр.",
    "4 мкр.",
    "5 мкр.",
    "6 мкр.",
    "7 мкр.",
    "9 мкр.",
];
const NOVOAGANSK_STREETS: [&str; 8] = [
    "ул. 70 лет Октября",
    "ул. Лесная",
    "ул. Транспортная",
    "ул. Геологов",
    "ул. Центральная",
    "ул. Школьная",
    "ул. Мира",
    "ул. Энтузиастов",
];

/// A deterministic pseudo-random stream per serial (SplitMix64).
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// One generated client with one account.
pub struct DemoClient {
    pub surname: String,
    pub first_name: String,
    pub patronymic: String,
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub postal_address: String,
    pub channel: Channel,
    pub vulnerable: &'static str,
    pub number: AccountNumber,
    pub premises: PremisesData,
    pub category: AccountCategory,
    pub residents: i64,
    pub rooms: i64,
    pub opened_on: Date,
}

/// The demo client for an account serial (deterministic).
pub fn demo_client(serial: u32) -> DemoClient {
    let mut r = Rng::new(u64::from(serial));
    let female = r.below(2) == 0;
    let base = *r.pick(&SURNAMES);
    let surname = if female {
        format!("{base}а")
    } else {
        base.to_owned()
    };
    let first_name = if female {
        *r.pick(&FEMALE)
    } else {
        *r.pick(&MALE)
    }
    .to_owned();
    let (pm, pf) = *r.pick(&PATRONYMICS);
    let patronymic = if female { pf } else { pm }.to_owned();
    let raduzhny = r.below(10) < 7;
    let (postcode, settlement, street) = if raduzhny {
        (
            format!("62846{}", 1 + r.below(4)),
            "г. Радужный",
            *r.pick(&RADUZHNY_STREETS),
        )
    } else {
        (
            "628647".to_owned(),
            "пгт Новоаганск",
            *r.pick(&NOVOAGANSK_STREETS),
        )
    };
    let house = (1 + r.below(if raduzhny { 40 } else { 60 })).to_string();
    let private_house = !raduzhny && r.below(10) < 4;
    let apartment = (!private_house).then(|| (1 + r.below(120)).to_string());
    let category = if private_house {
        AccountCategory::Rural
    } else if r.below(3) == 0 {
        AccountCategory::Urban
    } else {
        AccountCategory::UrbanElectricStove
    };
    let phone = format!("9{:09}", r.below(1_000_000_000));
    let mut phones = vec![phone];
    if r.below(5) == 0 {
        phones.push(format!("9{:09}", r.below(1_000_000_000)));
    }
    let channel = match r.below(20) {
        0..=9 => Channel::Post,
        10..=13 => Channel::Email,
        14..=16 => Channel::Phone,
        17..=18 => Channel::Portal,
        _ => Channel::Sms,
    };
    let email = (channel == Channel::Email || channel == Channel::Portal || r.below(4) == 0)
        .then(|| format!("abonent{serial}@example.org"));
    let vulnerable = match r.below(100) {
        0..=2 => "veteran",
        3..=4 => "disabled",
        5 => "elderly",
        _ => "",
    };
    let premises = PremisesData {
        postcode: postcode.clone(),
        settlement: settlement.to_owned(),
        street: street.to_owned(),
        house,
        apartment,
    };
    let postal_address = format!(
        "{postcode}, {settlement}, {street}, д. {}{}",
        premises.house,
        premises
            .apartment
            .as_deref()
            .map(|a| format!(", кв. {a}"))
            .unwrap_or_default()
    );
    let opened_on = Date::new(
        2005 + r.below(21) as i16,
        1 + r.below(12) as i8,
        1 + r.below(28) as i8,
    )
    // Always a valid date: no month is shorter than 28 days.
    .unwrap_or_default();
    DemoClient {
        surname,
        first_name,
        patronymic,
        phones,
        email,
        postal_address,
        channel,
        vulnerable,
        number: AccountNumber::from_serial(serial),
        premises,
        category,
        residents: 1 + r.below(5) as i64,
        rooms: 1 + r.below(4) as i64,
        opened_on,
    }
}

/// Rows per multi-row INSERT statement and per transaction.
pub(crate) const BATCH: usize = 1000;

impl Store {
    /// Creates the demo staff that are missing, all with the given password hash.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn seed_demo_staff(&self, password_hash: &str) -> Result<usize> {
        let branch_id = self.branches().await?.first().map(|b| b.id);
        let centres = self.centres().await?;
        let mut created = 0;
        for (i, (login, role, name, position)) in DEMO_STAFF.iter().enumerate() {
            if self.staff_credentials(login).await?.is_some() {
                continue;
            }
            let centre_id = if matches!(role, Role::Technician | Role::CashierTechnician) {
                centres.get(i % centres.len().max(1)).map(|c| c.id)
            } else {
                None
            };
            self.create_staff(
                &StaffData {
                    login: (*login).into(),
                    full_name: (*name).into(),
                    position: (*position).into(),
                    role: *role,
                    branch_id,
                    centre_id,
                    phone: format!("8 (34668) 4-{:02}-{:02}", 10 + i, 20 + i),
                    email: format!("{login}@abonent.example.org"),
                    badge: format!("{position}, {name}"),
                    active: true,
                },
                password_hash,
            )
            .await?;
            created += 1;
        }
        Ok(created)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn account_count(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM accounts")
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }

    pub(crate) async fn next_id(&self, table: &str) -> Result<i64> {
        let (n,): (Option<i64>,) = sqlx::query_as(&format!("SELECT MAX(id) FROM {table}"))
            .fetch_one(self.pool())
            .await?;
        Ok(n.unwrap_or(0) + 1)
    }

    /// Adds demo clients with accounts until the database has `target` demo account serials,
    /// calling `progress` with the number added so far. Returns how many were added.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn demo_accounts(&self, target: u32, mut progress: impl FnMut(u64)) -> Result<u32> {
        let branch_id = self
            .branches()
            .await?
            .first()
            .map(|b| b.id)
            .ok_or_else(|| StoreError::Setup("no branch: run seed_defaults first".into()))?;
        let start = self.max_account_serial().await? + 1;
        if start > target {
            return Ok(0);
        }
        let now = now_micros();
        let mut client_id = self.next_id("clients").await?;
        let mut premises_id = self.next_id("premises").await?;
        let mut account_id = self.next_id("accounts").await?;
        let mut contract_id = self.next_id("contracts").await?;
        let mut added = 0u32;
        let mut serial = start;
        while serial <= target {
            let end = (serial + BATCH as u32 - 1).min(target);
            let batch: Vec<DemoClient> = (serial..=end).map(demo_client).collect();
            let n = batch.len();
            let ids = DemoIds {
                client: client_id,
                premises: premises_id,
                account: account_id,
                contract: contract_id,
            };
            let mut tx = self.begin_write().await?;
            insert_demo_clients(&mut tx, self.backend(), &batch, &ids, now).await?;
            insert_demo_accounts(&mut tx, self.backend(), &batch, &ids, branch_id, now).await?;
            tx.commit().await?;

            client_id += n as i64;
            premises_id += n as i64;
            account_id += n as i64;
            contract_id += n as i64;
            added += n as u32;
            serial = end + 1;
            progress(u64::from(added));
        }
        if self.backend() == Backend::Postgres {
            for t in ["clients", "premises", "accounts", "contracts"] {
                sqlx::query(&format!(
                    "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"
                ))
                .execute(self.pool())
                .await?;
            }
        }
        Ok(added)
    }
}

/// The first ids of a batch of demo clients, premises, accounts and contracts.
struct DemoIds {
    client: i64,
    premises: i64,
    account: i64,
    contract: i64,
}

/// A batch of demo clients with their phones and consents.
async fn insert_demo_clients(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    batch: &[DemoClient],
    ids: &DemoIds,
    now: i64,
) -> Result<()> {
    let n = batch.len();
    let sql = format!(
        "INSERT INTO clients (id, surname, first_name, patronymic, name_key, email, postal_address,
             preferred_channel, vulnerable, version, created_at, updated_at) VALUES {}",
        values_clause(backend, n, 12)
    );
    let mut q = sqlx::query(&sql);
    for (i, c) in batch.iter().enumerate() {
        let name_key = text_key(&format!("{} {} {}", c.surname, c.first_name, c.patronymic));
        q = q
            .bind(ids.client + i as i64)
            .bind(c.surname.clone())
            .bind(c.first_name.clone())
            .bind(c.patronymic.clone())
            .bind(name_key)
            .bind(c.email.clone())
            .bind(c.postal_address.clone())
            .bind(c.channel.code())
            .bind(c.vulnerable)
            .bind(1i64)
            .bind(now)
            .bind(now);
    }
    q.execute(&mut *tx).await?;

    let phones: Vec<(i64, i64, &String)> = batch
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            c.phones
                .iter()
                .enumerate()
                .map(move |(p, ph)| (ids.client + i as i64, p as i64, ph))
        })
        .collect();
    let sql = format!(
        "INSERT INTO client_phones (client_id, position, phone) VALUES {}",
        values_clause(backend, phones.len(), 3)
    );
    let mut q = sqlx::query(&sql);
    for (cid, pos, ph) in &phones {
        q = q.bind(*cid).bind(*pos).bind((*ph).clone());
    }
    q.execute(&mut *tx).await?;

    let sql = format!(
        "INSERT INTO client_consents (client_id, kind, given_at) VALUES {}",
        values_clause(backend, n, 3)
    );
    let mut q = sqlx::query(&sql);
    for i in 0..n {
        q = q
            .bind(ids.client + i as i64)
            .bind("personal_data")
            .bind(now);
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

/// The batch's premises, accounts and concluded contracts.
async fn insert_demo_accounts(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    batch: &[DemoClient],
    ids: &DemoIds,
    branch_id: i64,
    now: i64,
) -> Result<()> {
    let n = batch.len();
    let sql = format!(
        "INSERT INTO premises (id, postcode, settlement, street, house, apartment, address_key) VALUES {}",
        values_clause(backend, n, 7)
    );
    let mut q = sqlx::query(&sql);
    for (i, c) in batch.iter().enumerate() {
        let p = &c.premises;
        q = q
            .bind(ids.premises + i as i64)
            .bind(p.postcode.clone())
            .bind(p.settlement.clone())
            .bind(p.street.clone())
            .bind(p.house.clone())
            .bind(p.apartment.clone())
            .bind(p.search_key());
    }
    q.execute(&mut *tx).await?;

    let sql = format!(
        "INSERT INTO accounts (id, number, client_id, premises_id, branch_id, category, residents, rooms,
             status, opened_on, created_at) VALUES {}",
        values_clause(backend, n, 11)
    );
    let mut q = sqlx::query(&sql);
    for (i, c) in batch.iter().enumerate() {
        q = q
            .bind(ids.account + i as i64)
            .bind(c.number.to_string())
            .bind(ids.client + i as i64)
            .bind(ids.premises + i as i64)
            .bind(branch_id)
            .bind(c.category.code())
            .bind(c.residents)
            .bind(c.rooms)
            .bind("active")
            .bind(c.opened_on.to_string())
            .bind(now);
    }
    q.execute(&mut *tx).await?;

    let sql = format!(
        "INSERT INTO contracts (id, account_id, number, typical_form, status, applied_on, concluded_on, documents)
         VALUES {}",
        values_clause(backend, n, 8)
    );
    let documents = contract_documents_text();
    let mut q = sqlx::query(&sql);
    for (i, c) in batch.iter().enumerate() {
        q = q
            .bind(ids.contract + i as i64)
            .bind(ids.account + i as i64)
            .bind(format!("ЭС-{}", c.number))
            .bind(typical_contract_form(c.category))
            .bind(ContractStatus::Concluded.code())
            .bind(c.opened_on.to_string())
            .bind(c.opened_on.to_string())
            .bind(documents.clone());
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_plausible() {
        let a = demo_client(12345);
        let b = demo_client(12345);
        assert_eq!(a.number, b.number);
        assert_eq!(a.surname, b.surname);
        assert!(
            a.premises.settlement.contains("Радужный")
                || a.premises.settlement.contains("Новоаганск")
        );
        assert_eq!(a.phones[0].len(), 10);
        // Female surnames agree with female first names.
        for s in 0..200 {
            let c = demo_client(s);
            let female = FEMALE.contains(&c.first_name.as_str());
            assert_eq!(
                female,
                c.surname.ends_with('а'),
                "{} {}",
                c.surname,
                c.first_name
            );
            assert_eq!(female, c.patronymic.ends_with("на"));
        }
    }
}
