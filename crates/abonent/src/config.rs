//! Configuration layers: defaults → TOML file → `ABONENT_…` environment → flags. Secrets (the
//! database password) are never printed.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub database_url: String,
    pub max_connections: u32,
    /// SQLite: read the database file through a memory map of up to this many MiB (0: off, the
    /// default: measured no faster for the personal account at 1 M accounts, see BENCHMARKS.md).
    pub sqlite_mmap_mib: u64,
    pub listen: SocketAddr,
    pub log_format: String,
    /// Mark cookies Secure; turn on behind HTTPS.
    pub secure_cookies: bool,
    pub session_ttl_hours: u64,
    /// Demo accounts loaded by `serve --demo` on an empty database.
    pub demo_accounts: u32,
    pub login_max_failures: i64,
    pub login_throttle_minutes: u64,
    /// Appeals one address may file through the online reception per hour.
    pub reception_max_appeals_per_hour: i64,
    /// `[mail]`: SMTP for answers, IMAP for the company mailbox (see docs/configuration.md).
    pub mail: abonent_jobs::MailConfig,
    /// `[sms]`: the HTTP gateway for SMS (see docs/configuration.md).
    pub sms: abonent_jobs::outbox::SmsConfig,
    /// `[[registry_layouts]]`: column layouts of bank payment registries (replace the shipped
    /// `sber` and `csv` when given; see docs/configuration.md).
    pub registry_layouts: Vec<abonent_domain::payments::registry::RegistryLayout>,
    /// `[payment_limits]`: the largest single payment (`max_amount`, kopecks: 10 000 000 ₽ by
    /// default), how many days back (`horizon_days`, 1096) and ahead (`ahead_days`, 1) of today
    /// a payment's date may be.
    pub payment_limits: abonent_domain::payments::registry::PaymentLimits,
    /// The address clients reach the server at, for links in letters (personal account
    /// confirmation); empty: `http://` + `listen`.
    pub public_url: String,
    /// `[company]`: what holds for the whole company (its time zone).
    pub company: CompanyConfig,
}

/// `[company]` in the configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompanyConfig {
    /// `time_zone`: the company's IANA time zone (default `Asia/Yekaterinburg`), read once at
    /// start; an unknown name stops the start with a clear message.
    #[serde(deserialize_with = "time_zone")]
    pub time_zone: jiff::tz::TimeZone,
}

impl Default for CompanyConfig {
    fn default() -> Self {
        Self {
            time_zone: abonent_domain::org::default_time_zone(),
        }
    }
}

/// Reads an IANA zone name, refusing one the zone database does not know.
fn time_zone<'de, D: serde::Deserializer<'de>>(d: D) -> Result<jiff::tz::TimeZone, D::Error> {
    let name = String::deserialize(d)?;
    abonent_domain::org::parse_time_zone(&name).map_err(serde::de::Error::custom)
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/abonent.db".into(),
            max_connections: 8,
            sqlite_mmap_mib: 0,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log_format: "text".into(),
            secure_cookies: false,
            session_ttl_hours: 12,
            demo_accounts: 3000,
            login_max_failures: 5,
            login_throttle_minutes: 15,
            reception_max_appeals_per_hour: 10,
            mail: abonent_jobs::MailConfig::default(),
            sms: abonent_jobs::outbox::SmsConfig::default(),
            registry_layouts: abonent_domain::payments::registry::RegistryLayout::defaults(),
            payment_limits: abonent_domain::payments::registry::PaymentLimits::default(),
            public_url: String::new(),
            company: CompanyConfig::default(),
        }
    }
}

impl Config {
    /// Defaults, overlaid by the file when given (or `abonent.toml` when present).
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (Path::new("abonent.toml").to_path_buf(), false),
        };
        if !path.exists() {
            if required {
                anyhow::bail!("configuration file {} not found", path.display());
            }
            return Ok(Self::default());
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// Applies values from the environment or flags (clap has already merged those two).
    pub fn with_overrides(
        mut self,
        database_url: Option<String>,
        log_format: Option<String>,
    ) -> Self {
        if let Some(u) = database_url {
            self.database_url = u;
        }
        if let Some(f) = log_format {
            self.log_format = f;
        }
        for (var, field) in [
            ("ABONENT_MAIL_SMTP_URL", &mut self.mail.smtp_url),
            ("ABONENT_MAIL_FROM", &mut self.mail.from),
            ("ABONENT_MAIL_IMAP_URL", &mut self.mail.imap_url),
            ("ABONENT_PUBLIC_URL", &mut self.public_url),
            ("ABONENT_SMS_URL", &mut self.sms.url),
            ("ABONENT_SMS_TOKEN", &mut self.sms.token),
        ] {
            if let Ok(v) = std::env::var(var) {
                *field = v;
            }
        }
        if let Some(n) = std::env::var("ABONENT_MAIL_IMAP_POLL_SECONDS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            self.mail.imap_poll_seconds = n;
        }
        self
    }

    /// The database URL without its password.
    pub fn redacted_database_url(&self) -> String {
        redact(&self.database_url)
    }

    /// The address links in letters and SMS start with: `public_url` when set, else the address
    /// the server actually listens on (`--listen`, `ABONENT_LISTEN` or `listen`), with a
    /// wildcard address (`0.0.0.0`, `::`) named `localhost`.
    pub fn public_url_for(&self, bound: SocketAddr) -> String {
        if !self.public_url.is_empty() {
            return self.public_url.trim_end_matches('/').to_owned();
        }
        if bound.ip().is_unspecified() {
            format!("http://localhost:{}", bound.port())
        } else {
            format!("http://{bound}")
        }
    }

    /// The web settings for a server listening on `bound`.
    pub fn web_config(&self, bound: SocketAddr) -> abonent_web::WebConfig {
        abonent_web::WebConfig {
            secure_cookies: self.secure_cookies,
            session_ttl: Duration::from_secs(self.session_ttl_hours * 3600),
            max_failures_per_login: self.login_max_failures,
            max_failures_per_ip: self.login_max_failures * 6,
            throttle_window: Duration::from_secs(self.login_throttle_minutes * 60),
            max_public_appeals_per_hour: self.reception_max_appeals_per_hour,
            registry_layouts: self.registry_layouts.clone(),
            payment_limits: self.payment_limits,
            time_zone: self.company.time_zone.clone(),
            public_url: self.public_url_for(bound),
        }
    }
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://abonent:secret@db:5432/x"),
            "postgres://abonent:***@db:5432/x"
        );
        assert_eq!(redact("postgres://abonent@db/x"), "postgres://abonent@db/x");
        assert_eq!(
            redact("sqlite://data/abonent.db"),
            "sqlite://data/abonent.db"
        );
    }

    #[test]
    fn file_overrides_defaults_and_flags_override_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.toml");
        std::fs::write(
            &p,
            "listen = \"127.0.0.1:9000\"\ndatabase_url = \"sqlite://x.db\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&p)).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.session_ttl_hours, 12, "unset keys keep defaults");
        let c = c.with_overrides(Some("postgres://h/db".into()), None);
        assert_eq!(c.database_url, "postgres://h/db");
        std::fs::write(&p, "listn = 1\n").unwrap();
        assert!(Config::load(Some(&p)).is_err(), "unknown keys are refused");
        assert!(Config::load(Some(&dir.path().join("missing.toml"))).is_err());
    }

    #[test]
    fn links_use_the_address_the_server_listens_on_unless_a_public_url_is_set() {
        let c = Config::default();
        let bound: SocketAddr = "127.0.0.1:8181".parse().unwrap();
        assert_eq!(c.public_url_for(bound), "http://127.0.0.1:8181");
        assert_eq!(c.web_config(bound).public_url, "http://127.0.0.1:8181");
        let any: SocketAddr = "0.0.0.0:9000".parse().unwrap();
        assert_eq!(c.public_url_for(any), "http://localhost:9000");
        let c = Config {
            public_url: "https://lk.example.ru/".into(),
            ..Config::default()
        };
        assert_eq!(c.public_url_for(bound), "https://lk.example.ru");
    }

    #[test]
    fn the_company_time_zone_is_read_once_and_an_unknown_one_is_refused() {
        assert_eq!(
            Config::default().company.time_zone.iana_name(),
            Some("Asia/Yekaterinburg")
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.toml");
        std::fs::write(&p, "[company]\ntime_zone = \"Europe/Moscow\"\n").unwrap();
        let c = Config::load(Some(&p)).unwrap();
        assert_eq!(c.company.time_zone.iana_name(), Some("Europe/Moscow"));
        std::fs::write(&p, "[company]\ntime_zone = \"Asia/Ekaterinburg\"\n").unwrap();
        let e = format!("{:#}", Config::load(Some(&p)).unwrap_err());
        assert!(
            e.contains("неизвестный часовой пояс «Asia/Ekaterinburg»")
                && e.contains("unknown time zone"),
            "{e}"
        );
    }
}
