//! Organisation: staff roles (ORG-03) and what each may do. Least privilege: the web layer asks
//! [`Role::can`] on the server for every action; templates only hide what is refused anyway.

use serde::{Deserialize, Serialize};

use crate::accounts::coded_enum;

coded_enum! {
    /// Staff roles of the standard (ORG-03). Clients sign in separately (PRT-02).
    Role {
        Technician = "technician" / "техник",
        CashierTechnician = "cashier_technician" / "техник-кассир",
        HeadOfRetailSales = "head_of_retail_sales" / "начальник отдела по продаже электроэнергии населению",
        BranchHead = "branch_head" / "руководитель отделения",
        RecordsClerk = "records_clerk" / "специалист по документообороту (канцелярия)",
        GeneralDirector = "general_director" / "генеральный директор",
        Administrator = "administrator" / "администратор",
    }
}

/// An action that needs a right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Permission {
    /// Search clients and open a client's card (personal data, audited).
    ViewClients,
    /// Create and edit clients, accounts and premises.
    EditClients,
    /// Staff, roles, branches, service centres, hours, the working calendar.
    AdministerOrganisation,
    /// Read the audit log of personal-data access.
    ViewAudit,
    /// See appeals, their history and the registry's views and counts (APL-08, APL-10).
    ViewAppeals,
    /// Register appeals received in person, by phone, post, fax or the feedback book (APL-01).
    RegisterAppeals,
    /// Assign and reassign executors; act on any appeal of the branch (APL-03).
    AssignAppeals,
    /// Be an executor: interim replies, extensions, answers, leaving without action (APL-04..06).
    HandleAppeals,
    /// Change the norms of appeal handling and the topic catalogue.
    ConfigureAppeals,
    /// See balances, invoices, payments and restriction cases of accounts (PAY-02).
    ViewBilling,
    /// Take payments at the cashier and print receipts (PAY-01).
    TakePayments,
    /// Import bank payment registries and credit unmatched payments (PAY-01).
    ImportPayments,
    /// Set tariffs, consumption norms, billing terms and payee requisites (BIL-01, BIL-02).
    ConfigureBilling,
    /// Record the steps of the restriction procedure for debt (PAY-04).
    ManageRestriction,
    /// Record how a restriction warning reached the client (PAY-04, ПП 354 п. 119): couriers'
    /// delivery lists, signatures, registered letters, calls.
    RecordWarningDelivery,
    /// Edit the templates of notices to clients (NTF-03).
    ConfigureNotices,
    /// Edit and publish the pages of the public section «Клиентам» (PRT-01).
    EditPublicPages,
    /// Serve visitors at a window of the hall: call tickets, transfer, record visits (CHN-01).
    ServeVisitors,
    /// See the queue's journal of visits and how the service-time norms are kept (CHN-01).
    ViewVisits,
    /// Set the queue's services and their norms, and enrol the hall's kiosks and displays.
    ConfigureFrontOffice,
    /// Record an incident: aggression, threats, detention of staff (CHN-05, §6.4).
    RecordIncidents,
    /// Read the register of incidents (CHN-05): the supervisors and the general director.
    ViewIncidents,
    /// Edit the directory of who decides which questions (CHN-07, §6.2.3.3).
    EditCompetences,
    /// Assign, move and cancel home visits to clients who cannot reach a centre (CHN-06,
    /// §6.1.3): the branch head and the head of retail sales.
    ScheduleHomeVisits,
}

impl Permission {
    /// Every permission, in the order of the declaration.
    pub const ALL: [Permission; 24] = [
        Permission::ViewClients,
        Permission::EditClients,
        Permission::AdministerOrganisation,
        Permission::ViewAudit,
        Permission::ViewAppeals,
        Permission::RegisterAppeals,
        Permission::AssignAppeals,
        Permission::HandleAppeals,
        Permission::ConfigureAppeals,
        Permission::ViewBilling,
        Permission::TakePayments,
        Permission::ImportPayments,
        Permission::ConfigureBilling,
        Permission::ManageRestriction,
        Permission::RecordWarningDelivery,
        Permission::ConfigureNotices,
        Permission::EditPublicPages,
        Permission::ServeVisitors,
        Permission::ViewVisits,
        Permission::ConfigureFrontOffice,
        Permission::RecordIncidents,
        Permission::ViewIncidents,
        Permission::EditCompetences,
        Permission::ScheduleHomeVisits,
    ];

    /// The right as a person reads it.
    pub fn label_ru(self) -> &'static str {
        match self {
            Permission::ViewClients => "просмотр клиентов",
            Permission::EditClients => "изменение клиентов и лицевых счетов",
            Permission::AdministerOrganisation => "администрирование организации",
            Permission::ViewAudit => "просмотр журнала доступа",
            Permission::ViewAppeals => "просмотр обращений",
            Permission::RegisterAppeals => "регистрация обращений",
            Permission::AssignAppeals => "назначение исполнителей",
            Permission::HandleAppeals => "рассмотрение обращений",
            Permission::ConfigureAppeals => "настройка норм и тематики обращений",
            Permission::ViewBilling => "просмотр расчётов",
            Permission::TakePayments => "приём платежей",
            Permission::ImportPayments => "загрузка реестров платежей",
            Permission::ConfigureBilling => "настройка тарифов и расчётов",
            Permission::ManageRestriction => "ограничение за долг",
            Permission::RecordWarningDelivery => "отметки о вручении предупреждений",
            Permission::ConfigureNotices => "настройка шаблонов уведомлений",
            Permission::EditPublicPages => "страницы раздела «Клиентам»",
            Permission::ServeVisitors => "приём посетителей в зале",
            Permission::ViewVisits => "журнал визитов и нормы приёма",
            Permission::ConfigureFrontOffice => "настройка очереди, киосков и табло",
            Permission::RecordIncidents => "запись инцидентов",
            Permission::ViewIncidents => "журнал инцидентов",
            Permission::EditCompetences => "справочник компетенций",
            Permission::ScheduleHomeVisits => "назначение выездов на дом",
        }
    }

    /// The permission by the name the audit log records (`ViewClients`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| format!("{p:?}") == name)
    }
}

impl Role {
    /// Where a person of this role starts after signing in: the screen of their daily work.
    /// Executors their own appeals, the branch head the new ones to assign, the cashier the
    /// client search, the records clerk the registration form, the director the appeals
    /// analysis (until the quality overview exists), the administrator the organisation.
    pub fn start_page(self) -> &'static str {
        match self {
            Role::Technician | Role::HeadOfRetailSales => "/appeals?view=mine",
            Role::CashierTechnician => "/clients",
            Role::BranchHead => "/appeals?view=new",
            Role::RecordsClerk => "/appeals/new",
            Role::GeneralDirector => "/appeals/stats",
            Role::Administrator => "/admin",
        }
    }

    /// Whether this role may perform `p`.
    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match p {
            ViewClients => !matches!(self, Administrator),
            EditClients => matches!(
                self,
                Technician | CashierTechnician | HeadOfRetailSales | BranchHead
            ),
            AdministerOrganisation => matches!(self, Administrator),
            ViewAudit => matches!(self, Administrator | GeneralDirector | BranchHead),
            ViewAppeals => !matches!(self, Administrator),
            RegisterAppeals => !matches!(self, Administrator | GeneralDirector),
            AssignAppeals => matches!(self, BranchHead | GeneralDirector),
            HandleAppeals => !matches!(self, Administrator | RecordsClerk),
            ConfigureAppeals => matches!(self, Administrator | GeneralDirector),
            ViewBilling => !matches!(self, Administrator),
            TakePayments => matches!(self, CashierTechnician | HeadOfRetailSales | BranchHead),
            ImportPayments | ManageRestriction => matches!(self, HeadOfRetailSales | BranchHead),
            RecordWarningDelivery => matches!(
                self,
                Technician | CashierTechnician | HeadOfRetailSales | BranchHead
            ),
            ConfigureBilling => matches!(self, HeadOfRetailSales | GeneralDirector),
            ConfigureNotices | EditPublicPages => {
                matches!(self, HeadOfRetailSales | GeneralDirector | Administrator)
            }
            ServeVisitors => matches!(
                self,
                Technician | CashierTechnician | HeadOfRetailSales | BranchHead
            ),
            ViewVisits | RecordIncidents => !matches!(self, Administrator),
            ConfigureFrontOffice => matches!(self, Administrator | GeneralDirector | BranchHead),
            ViewIncidents => matches!(self, HeadOfRetailSales | BranchHead | GeneralDirector),
            EditCompetences => matches!(
                self,
                HeadOfRetailSales | BranchHead | GeneralDirector | Administrator
            ),
            ScheduleHomeVisits => matches!(self, HeadOfRetailSales | BranchHead),
        }
    }
}

/// The company's time zone unless configured otherwise (`[company] time_zone`), and the zone of a
/// branch that names none.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Yekaterinburg";

/// A time zone name that the zone database does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "неизвестный часовой пояс «{0}»: укажите его по базе IANA, например {zone} \
     (unknown time zone {0:?}: use an IANA name such as {zone})",
    zone = DEFAULT_TIME_ZONE
)]
pub struct UnknownTimeZone(pub String);

/// Reads an IANA time zone name, once, at the edge (configuration, a branch's record).
pub fn parse_time_zone(name: &str) -> Result<jiff::tz::TimeZone, UnknownTimeZone> {
    jiff::tz::TimeZone::get(name.trim()).map_err(|_| UnknownTimeZone(name.to_owned()))
}

/// The zone of [`DEFAULT_TIME_ZONE`]; where the zone database lacks it, its fixed offset (UTC+5,
/// no daylight saving since 2014), so a default never fails.
pub fn default_time_zone() -> jiff::tz::TimeZone {
    parse_time_zone(DEFAULT_TIME_ZONE)
        .unwrap_or_else(|_| jiff::tz::TimeZone::fixed(jiff::tz::offset(5)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn permissions_have_russian_labels_and_parse_from_the_log() {
        use super::Permission;
        let mut labels: Vec<&str> = Permission::ALL.iter().map(|p| p.label_ru()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), Permission::ALL.len());
        assert_eq!(
            Permission::from_name("ViewClients"),
            Some(Permission::ViewClients)
        );
        assert_eq!(Permission::from_name("Nothing"), None);
    }

    #[test]
    fn each_role_starts_where_it_works_and_may_open_its_start_page() {
        use super::Permission::*;
        for r in Role::ALL {
            let needs = match r.start_page() {
                "/admin" => AdministerOrganisation,
                "/clients" => ViewClients,
                "/appeals/new" => RegisterAppeals,
                _ => ViewAppeals,
            };
            assert!(r.can(needs), "{r:?} cannot open its start page");
        }
        assert_eq!(Role::Technician.start_page(), "/appeals?view=mine");
        assert_eq!(Role::BranchHead.start_page(), "/appeals?view=new");
        assert_eq!(Role::CashierTechnician.start_page(), "/clients");
        assert_eq!(Role::RecordsClerk.start_page(), "/appeals/new");
        assert_eq!(Role::GeneralDirector.start_page(), "/appeals/stats");
    }

    use super::*;

    #[test]
    fn least_privilege() {
        assert!(Role::Technician.can(Permission::EditClients));
        assert!(!Role::Technician.can(Permission::AdministerOrganisation));
        assert!(Role::RecordsClerk.can(Permission::ViewClients));
        assert!(!Role::RecordsClerk.can(Permission::EditClients));
        assert!(!Role::Administrator.can(Permission::ViewClients));
        assert!(Role::Administrator.can(Permission::AdministerOrganisation));
        assert!(!Role::GeneralDirector.can(Permission::EditClients));
        assert!(Role::RecordsClerk.can(Permission::RegisterAppeals));
        assert!(!Role::RecordsClerk.can(Permission::HandleAppeals));
        assert!(Role::BranchHead.can(Permission::AssignAppeals));
        assert!(!Role::Technician.can(Permission::AssignAppeals));
        assert!(!Role::Administrator.can(Permission::ViewAppeals));
        assert!(Role::CashierTechnician.can(Permission::TakePayments));
        assert!(!Role::Technician.can(Permission::TakePayments));
        assert!(!Role::CashierTechnician.can(Permission::ImportPayments));
        assert!(Role::HeadOfRetailSales.can(Permission::ConfigureBilling));
        assert!(!Role::Administrator.can(Permission::ViewBilling));
        assert!(Role::Technician.can(Permission::RecordWarningDelivery));
        assert!(!Role::Technician.can(Permission::ManageRestriction));
        assert!(!Role::RecordsClerk.can(Permission::RecordWarningDelivery));
        assert!(Role::Administrator.can(Permission::ConfigureNotices));
        assert!(!Role::CashierTechnician.can(Permission::ConfigureNotices));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(*r));
        }
    }
}

pub use drafts::*;

mod drafts {
    //! Validated input for the organisation's records (ORG-01, ORG-02).
    use serde::{Deserialize, Serialize};

    use super::Role;
    use crate::clients::valid_email;
    use crate::hours::WeeklyHours;
    use crate::search::phone_key;
    use crate::validation::{optional_text, required_text, FieldErrors};

    /// A branch (межрайонное отделение) as typed.
    #[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
    pub struct BranchDraft {
        pub name: String,
        #[serde(default)]
        pub address: String,
        #[serde(default)]
        pub phones: String,
        #[serde(default)]
        pub time_zone: String,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct BranchData {
        pub name: String,
        pub address: String,
        pub phones: String,
        pub time_zone: String,
    }

    /// Validates an IANA time zone name against the bundled database.
    pub fn valid_time_zone(tz: &str) -> bool {
        jiff::tz::TimeZone::get(tz).is_ok()
    }

    impl BranchDraft {
        pub fn validate(&self) -> Result<BranchData, FieldErrors> {
            let mut e = FieldErrors::new();
            let name = required_text(&mut e, "name", &self.name, 200);
            let address = optional_text(&mut e, "address", &self.address, 300).unwrap_or_default();
            let phones = optional_text(&mut e, "phones", &self.phones, 200).unwrap_or_default();
            let tz = self.time_zone.trim();
            let time_zone = if tz.is_empty() {
                super::DEFAULT_TIME_ZONE.to_owned()
            } else {
                tz.to_owned()
            };
            if !valid_time_zone(&time_zone) {
                e.add(
                    "time_zone",
                    "Неизвестный часовой пояс: укажите его как Asia/Yekaterinburg.",
                );
            }
            e.into_result(BranchData {
                name,
                address,
                phones,
                time_zone,
            })
        }
    }

    /// A service centre (центр очного обслуживания) as typed.
    #[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
    pub struct CentreDraft {
        pub branch_id: String,
        pub name: String,
        #[serde(default)]
        pub postcode: String,
        pub address: String,
        #[serde(default)]
        pub phones: String,
        /// Like `пн-пт 08:30-12:30, 14:00-17:00`.
        pub opening_hours: String,
        /// Only when reception hours differ from opening hours (§6.2).
        #[serde(default)]
        pub reception_hours: String,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct CentreData {
        pub branch_id: i64,
        pub name: String,
        pub postcode: String,
        pub address: String,
        pub phones: String,
        pub opening_hours: WeeklyHours,
        pub reception_hours: Option<WeeklyHours>,
    }

    impl CentreDraft {
        pub fn validate(&self) -> Result<CentreData, FieldErrors> {
            let mut e = FieldErrors::new();
            let branch_id = self.branch_id.trim().parse::<i64>().unwrap_or_else(|_| {
                e.add("branch_id", "Выберите отделение.");
                0
            });
            let name = required_text(&mut e, "name", &self.name, 200);
            let postcode = self.postcode.trim().to_owned();
            if !postcode.is_empty()
                && (postcode.len() != 6 || !postcode.chars().all(|c| c.is_ascii_digit()))
            {
                e.add("postcode", "Почтовый индекс состоит из 6 цифр.");
            }
            let address = required_text(&mut e, "address", &self.address, 300);
            let phones = optional_text(&mut e, "phones", &self.phones, 200).unwrap_or_default();
            let opening_hours = match WeeklyHours::parse(&self.opening_hours) {
                Ok(h) if h.is_empty() => {
                    e.add(
                        "opening_hours",
                        "Укажите часы работы, например «пн-пт 08:30-17:00».",
                    );
                    h
                }
                Ok(h) => h,
                Err(m) => {
                    e.add("opening_hours", m);
                    WeeklyHours::default()
                }
            };
            let reception_hours = match WeeklyHours::parse(&self.reception_hours) {
                Ok(h) if h.is_empty() => None,
                Ok(h) => Some(h),
                Err(m) => {
                    e.add("reception_hours", m);
                    None
                }
            };
            e.into_result(CentreData {
                branch_id,
                name,
                postcode,
                address,
                phones,
                opening_hours,
                reception_hours,
            })
        }
    }

    /// A staff member as typed by an administrator (ORG-02). The password is set separately.
    #[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
    pub struct StaffDraft {
        pub login: String,
        pub full_name: String,
        #[serde(default)]
        pub position: String,
        pub role: String,
        #[serde(default)]
        pub branch_id: String,
        #[serde(default)]
        pub centre_id: String,
        #[serde(default)]
        pub phone: String,
        #[serde(default)]
        pub email: String,
        #[serde(default)]
        pub badge: String,
        #[serde(default = "yes")]
        pub active: bool,
    }

    fn yes() -> bool {
        true
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    pub struct StaffData {
        pub login: String,
        pub full_name: String,
        pub position: String,
        pub role: Role,
        pub branch_id: Option<i64>,
        pub centre_id: Option<i64>,
        pub phone: String,
        pub email: String,
        pub badge: String,
        pub active: bool,
    }

    fn optional_id(e: &mut FieldErrors, field: &str, v: &str) -> Option<i64> {
        let v = v.trim();
        if v.is_empty() {
            return None;
        }
        v.parse().map(Some).unwrap_or_else(|_| {
            e.add(field, "Выберите значение из списка.");
            None
        })
    }

    /// Login rules: 3–50 characters of Latin letters, digits, `.`, `_`, `-`.
    pub fn validate_login(e: &mut FieldErrors, login: &str) -> String {
        let login = login.trim().to_lowercase();
        if login.chars().count() < 3 || login.chars().count() > 50 {
            e.add("login", "Логин — от 3 до 50 символов.");
        } else if !login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            e.add(
                "login",
                "Логин может содержать латинские буквы, цифры, точку, дефис и подчёркивание.",
            );
        }
        login
    }

    /// Password rules: at least 10 characters, not all of one kind.
    pub fn validate_password(e: &mut FieldErrors, field: &str, password: &str) {
        let n = password.chars().count();
        if n < 10 {
            e.add(field, "Пароль должен быть не короче 10 символов.");
        } else if n > 200 {
            e.add(field, "Пароль должен быть не длиннее 200 символов.");
        } else if password.chars().all(|c| c.is_ascii_digit())
            || password.chars().all(char::is_alphabetic)
        {
            e.add(field, "Пароль должен содержать и буквы, и цифры или знаки.");
        }
    }

    impl StaffDraft {
        pub fn validate(&self) -> Result<StaffData, FieldErrors> {
            let mut e = FieldErrors::new();
            let login = validate_login(&mut e, &self.login);
            let full_name = required_text(&mut e, "full_name", &self.full_name, 200);
            let position =
                optional_text(&mut e, "position", &self.position, 200).unwrap_or_default();
            let role = Role::parse(self.role.trim()).unwrap_or_else(|| {
                e.add("role", "Выберите роль.");
                Role::Technician
            });
            let branch_id = optional_id(&mut e, "branch_id", &self.branch_id);
            let centre_id = optional_id(&mut e, "centre_id", &self.centre_id);
            let phone = self.phone.trim().to_owned();
            if !phone.is_empty() && phone_key(&phone).len() < 5 {
                e.add("phone", "Телефон указан неверно.");
            }
            let email = self.email.trim().to_lowercase();
            if !email.is_empty() && !valid_email(&email) {
                e.add("email", "Адрес электронной почты указан неверно.");
            }
            let badge = optional_text(&mut e, "badge", &self.badge, 100).unwrap_or_default();
            e.into_result(StaffData {
                login,
                full_name,
                position,
                role,
                branch_id,
                centre_id,
                phone,
                email,
                badge,
                active: self.active,
            })
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn centre_hours_are_validated() {
            let d = CentreDraft {
                branch_id: "1".into(),
                name: "Радужный".into(),
                postcode: "628462".into(),
                address: "г. Радужный".into(),
                opening_hours: "пн-пт 08:00-17:00".into(),
                ..Default::default()
            };
            let c = d.validate().unwrap();
            assert_eq!(c.reception_hours, None);
            let bad = CentreDraft {
                postcode: "62846".into(),
                opening_hours: "".into(),
                reception_hours: "пн 10-11".into(),
                ..d
            };
            let e = bad.validate().unwrap_err();
            assert!(e.get("postcode").is_some());
            assert!(e.get("opening_hours").is_some());
            assert!(e.get("reception_hours").is_some());
        }

        #[test]
        fn staff_rules() {
            let d = StaffDraft {
                login: "Ivanova.A".into(),
                full_name: "Иванова Анна".into(),
                role: "technician".into(),
                active: true,
                ..Default::default()
            };
            assert_eq!(d.validate().unwrap().login, "ivanova.a");
            let e = StaffDraft {
                login: "иванова".into(),
                role: "boss".into(),
                ..d
            }
            .validate()
            .unwrap_err();
            assert!(e.get("login").is_some());
            assert!(e.get("role").is_some());
            let mut e = FieldErrors::new();
            validate_password(&mut e, "p", "short");
            validate_password(&mut e, "q", "12345678901");
            assert_eq!(e.0.len(), 2);
            let mut e = FieldErrors::new();
            validate_password(&mut e, "p", "correct-horse-7");
            assert!(e.is_empty());
        }

        #[test]
        fn branch_time_zone() {
            let b = BranchDraft {
                name: "Радужнинское".into(),
                ..Default::default()
            };
            assert_eq!(b.validate().unwrap().time_zone, "Asia/Yekaterinburg");
            let e = BranchDraft {
                time_zone: "Mars/Olympus".into(),
                ..b
            }
            .validate()
            .unwrap_err();
            assert!(e.get("time_zone").is_some());
        }
    }
}
