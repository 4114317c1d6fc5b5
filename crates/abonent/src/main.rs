//! The `abonent` binary: configuration and the command line; everything else lives in the
//! library crates.

mod config;

use std::net::SocketAddr;
use std::time::Duration;

use abonent_domain::org::{validate_login, validate_password, Role, StaffData};
use abonent_domain::validation::FieldErrors;
use abonent_store::Store;
use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use config::Config;

#[derive(Parser, Debug)]
#[command(
    name = "abonent",
    version,
    about = "Обслуживание клиентов и расчёты энергосбытовой компании"
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct GlobalArgs {
    /// TOML configuration file (default: abonent.toml when it exists).
    #[arg(long, global = true, env = "ABONENT_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// Database URL: sqlite://data/abonent.db (default) or postgres://user@host/db.
    #[arg(long, global = true, env = "ABONENT_DATABASE_URL")]
    database_url: Option<String>,
    /// Log format: text or json.
    #[arg(long, global = true, env = "ABONENT_LOG_FORMAT")]
    log_format: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the web server with the job scheduler and a worker.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "ABONENT_LISTEN")]
        listen: Option<SocketAddr>,
        /// Load demo data on first start and print how to sign in.
        #[arg(long)]
        demo: bool,
        /// Do not run the job scheduler and worker in this process (run `abonent worker`).
        #[arg(long)]
        no_worker: bool,
    },
    /// Run the job scheduler and worker alone: reminders and escalations of appeals, mail
    /// delivery and the mailbox, housekeeping.
    Worker {
        /// Run the jobs due now once and exit (for cron or a check).
        #[arg(long)]
        once: bool,
    },
    /// Apply database migrations and default data, then exit.
    Migrate,
    /// Generate demo data: bring the database up to N demo accounts (resumable).
    Demo {
        /// Total number of demo accounts wanted.
        #[arg(long, default_value_t = 3000)]
        accounts: u32,
        /// Total number of demo appeals wanted (registry of two years; 0 = none).
        #[arg(long, default_value_t = 0)]
        appeals: u64,
        /// Months of billing history to generate: meters, readings, payments and a closed
        /// billing run per month (0 = none).
        #[arg(long, default_value_t = 0)]
        billing_months: u32,
        /// The last month of that history (`YYYY-MM`; default: the previous month).
        #[arg(long)]
        billing_until: Option<String>,
        /// Leave the last month unbilled: its readings and payments wait for `abonent bill`
        /// (the billing benchmark).
        #[arg(long)]
        billing_leave_last_open: bool,
    },
    /// Bill every account for a period (`2026-11`) and close it: resumable after an
    /// interruption, and running it again changes nothing. A period is billed once it has
    /// ended (from the first day of the next month in the company's time zone).
    Bill {
        /// The period, `YYYY-MM`.
        period: String,
        /// Accounts per transaction.
        #[arg(long, default_value_t = 5000)]
        chunk: usize,
        /// Bill a period that has not ended yet: it closes now, readings and payments still to
        /// come count in the next one, and accounts without readings are billed by the average.
        #[arg(long)]
        before_end: bool,
    },
    /// Queue the day's reminders to clients (debt, due date, readings) in the outbox, as the
    /// worker does every day from 10:00; once per account, channel and period.
    Remind {
        /// The day, `YYYY-MM-DD` (today in the company's zone when omitted).
        #[arg(long)]
        date: Option<String>,
    },
    /// Import data from files.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Copy the SQLite database into FILE while the service keeps running (for PostgreSQL:
    /// prints the pg_dump command).
    Backup {
        /// The backup file to write.
        file: std::path::PathBuf,
        /// Replace FILE when it exists.
        #[arg(long)]
        force: bool,
    },
    /// Put a backup made by `abonent backup` in place of the SQLite database (stop `serve` and
    /// `worker` first; the replaced file is kept beside it). For PostgreSQL: prints the
    /// pg_restore command.
    Restore {
        /// The backup file.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// A bank payment registry: the whole file or nothing; the same file again changes nothing.
    Payments {
        /// The registry file.
        file: std::path::PathBuf,
        /// The layout code (`sber`, `csv`, or one from `[[registry_layouts]]`).
        #[arg(long)]
        bank: String,
    },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add a staff member who can sign in.
    Add {
        #[arg(long)]
        login: String,
        /// Password (at least 10 characters); may also come from ABONENT_USER_PASSWORD.
        #[arg(long, env = "ABONENT_USER_PASSWORD", hide_env_values = true)]
        password: String,
        /// technician, cashier_technician, head_of_retail_sales, branch_head, records_clerk,
        /// general_director or administrator.
        #[arg(long)]
        role: String,
        /// Full name, «Фамилия Имя Отчество».
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        position: String,
    },
}

/// The password of every demo staff account; printed by `serve --demo`.
const DEMO_PASSWORD: &str = "demo-abonent-2026";

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let cfg = Config::load(cli.global.config.as_deref())?.with_overrides(
        cli.global.database_url.clone(),
        cli.global.log_format.clone(),
    );
    init_logging(&cfg.log_format);
    match cli.command {
        Command::Serve {
            listen,
            demo,
            no_worker,
        } => serve(cfg, listen, demo, !no_worker).await,
        Command::Worker { once } => worker(cfg, once).await,
        Command::Migrate => {
            let store = open(&cfg).await?;
            println!("База данных готова: {}", cfg.redacted_database_url());
            store.close().await;
            Ok(())
        }
        Command::Demo {
            accounts,
            appeals,
            billing_months,
            billing_until,
            billing_leave_last_open,
        } => {
            demo(
                &cfg,
                accounts,
                appeals,
                billing_months,
                billing_until,
                billing_leave_last_open,
            )
            .await
        }
        Command::Bill {
            period,
            chunk,
            before_end,
        } => {
            let store = open_with_cache(&cfg, Some(BATCH_CACHE_MIB)).await?;
            let r = bill(&store, &cfg.company.time_zone, &period, chunk, before_end).await;
            store.close().await;
            r
        }
        Command::Remind { date } => remind(&cfg, date).await,
        Command::Import {
            command: ImportCommand::Payments { file, bank },
        } => {
            let store = open_with_cache(&cfg, Some(BATCH_CACHE_MIB)).await?;
            let r = import_payments(&store, &cfg, &file, &bank).await;
            store.close().await;
            r
        }
        Command::Backup { file, force } => backup(&cfg, &file, force).await,
        Command::Restore { file } => restore(&cfg, &file).await,
        Command::User { command } => match command {
            UserCommand::Add {
                login,
                password,
                role,
                name,
                position,
            } => {
                let store = open(&cfg).await?;
                add_user(&store, &login, &password, &role, &name, &position).await?;
                store.close().await;
                Ok(())
            }
        },
    }
}

fn init_logging(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("ABONENT_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // At debug level a span's close shows its time: a request's span holds its handler's and
    // its store calls' (`ABONENT_LOG=abonent_web=debug,abonent_store=debug`).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        // Colour codes only for a person at a terminal, never in files or journald.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Connects, migrates and writes missing default data.
async fn open(cfg: &Config) -> Result<Store> {
    open_with_cache(cfg, None).await
}

/// SQLite page cache per connection for batch commands (billing, imports, demo data).
const BATCH_CACHE_MIB: u32 = 128;

/// The hold this process keeps on its SQLite database while it runs: `abonent restore` refuses
/// while any process holds it.
static HOLD: std::sync::OnceLock<abonent_store::backup::Hold> = std::sync::OnceLock::new();

/// Holds the configured SQLite database for the rest of the process (nothing on PostgreSQL).
fn hold_database(cfg: &Config) -> Result<()> {
    let Some(db) = abonent_store::backup::sqlite_path(&cfg.database_url) else {
        return Ok(());
    };
    if HOLD.get().is_some() {
        return Ok(());
    }
    match abonent_store::backup::hold(&db) {
        Ok(h) => {
            let _ = HOLD.set(h);
            Ok(())
        }
        Err(abonent_store::backup::BackupError::InUse(p)) => bail!(
            "база данных {} сейчас восстанавливается из резервной копии (abonent restore); \
             дождитесь окончания",
            p.display()
        ),
        Err(e) => Err(e).context("блокировка базы данных"),
    }
}

async fn open_with_cache(cfg: &Config, cache_mib: Option<u32>) -> Result<Store> {
    hold_database(cfg)?;
    let store = Store::connect_tuned(
        &cfg.database_url,
        cfg.max_connections,
        cache_mib,
        cfg.sqlite_mmap_mib,
    )
    .await
    .with_context(|| format!("connecting to {}", cfg.redacted_database_url()))?;
    store.migrate().await.context("applying migrations")?;
    store
        .seed_defaults()
        .await
        .context("writing default data")?;
    Ok(store)
}

async fn seed_demo(store: &Store, accounts: u32, progress: bool) -> Result<()> {
    let hash =
        tokio::task::spawn_blocking(|| abonent_domain::password::try_hash(DEMO_PASSWORD)).await??;
    store.seed_demo_staff(&hash).await?;
    let have = store.max_account_serial().await?;
    if have >= accounts {
        store.demo_incidents().await?;
        println!("Демо-данные уже есть: {have} лицевых счетов.");
        return Ok(());
    }
    let bar = if progress {
        ProgressBar::new(u64::from(accounts - have))
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        bar_style("{msg} [{bar:40}] {pos}/{len} ({per_sec}, осталось {eta})").progress_chars("=> "),
    );
    bar.set_message("Лицевые счета");
    let started = std::time::Instant::now();
    let added = store
        .demo_accounts(accounts, |n| bar.set_position(n))
        .await?;
    bar.finish_and_clear();
    println!(
        "Добавлено {added} клиентов с лицевыми счетами за {:.1} с.",
        started.elapsed().as_secs_f64()
    );
    let incidents = store.demo_incidents().await?;
    if incidents > 0 {
        println!("Добавлено {incidents} записей в журнал инцидентов.");
    }
    Ok(())
}

fn previous_month() -> abonent_domain::tariffs::Period {
    abonent_domain::tariffs::Period::of(jiff::Zoned::now().date()).prev()
}

async fn seed_demo_billing(
    store: &Store,
    months: u32,
    until: abonent_domain::tariffs::Period,
    leave_last_open: bool,
    show: bool,
) -> Result<()> {
    let bar = if show {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        bar_style("{msg} [{bar:40}] {pos}/{len} ({per_sec}, осталось {eta})").progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    store
        .demo_billing(months, until, leave_last_open, |stage, done, total| {
            bar.set_message(stage.to_owned());
            bar.set_length(total);
            bar.set_position(done);
        })
        .await?;
    bar.finish_and_clear();
    println!(
        "История расчётов за {months} мес. по {until} готова за {:.1} с.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn seed_demo_appeals(store: &Store, target: u64) -> Result<()> {
    let bar = ProgressBar::new(target);
    bar.set_style(
        bar_style("{msg} [{bar:40}] {pos}/{len} ({per_sec}, осталось {eta})").progress_chars("=> "),
    );
    bar.set_message("Обращения");
    let started = std::time::Instant::now();
    let added = store.demo_appeals(target, |n| bar.set_position(n)).await?;
    bar.finish_and_clear();
    println!(
        "Добавлено {added} обращений за {:.1} с.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A month of home visits to the demo clients with a vulnerable category (once).
async fn seed_demo_home_visits(store: &Store, cfg: &Config) -> Result<()> {
    let today = jiff::Zoned::now()
        .with_time_zone(cfg.company.time_zone.clone())
        .date();
    let added = store.demo_home_visits(today).await?;
    if added > 0 {
        println!("Добавлено {added} выездов на дом.");
    }
    Ok(())
}

/// `abonent demo`: demo accounts, appeals and billed months.
async fn demo(
    cfg: &Config,
    accounts: u32,
    appeals: u64,
    billing_months: u32,
    billing_until: Option<String>,
    billing_leave_last_open: bool,
) -> Result<()> {
    let store = open_with_cache(cfg, Some(BATCH_CACHE_MIB)).await?;
    let until = match billing_until.as_deref() {
        _ if billing_months == 0 => None,
        Some(s) => Some(
            abonent_domain::tariffs::Period::parse(s)
                .with_context(|| format!("период «{s}»: укажите ГГГГ-ММ"))?,
        ),
        None => Some(previous_month()),
    };
    // The demo bills its last month too: a month named explicitly, by the same rule as
    // `abonent bill` (the default, the previous month, has ended).
    if let Some(until) = until.filter(|_| billing_until.is_some()) {
        if !billing_leave_last_open {
            if let Err(refusal) = period_ended(&cfg.company.time_zone, until) {
                bail!("{refusal} Оставьте его открытым: --billing-leave-last-open.");
            }
        }
    }
    seed_demo(&store, accounts, true).await?;
    seed_demo_home_visits(&store, cfg).await?;
    let today = jiff::Zoned::now()
        .with_time_zone(cfg.company.time_zone.clone())
        .date();
    store.demo_queue(today, &cfg.company.time_zone).await?;
    if appeals > 0 {
        seed_demo_appeals(&store, appeals).await?;
    }
    if let Some(until) = until {
        seed_demo_billing(&store, billing_months, until, billing_leave_last_open, true).await?;
    }
    store.close().await;
    Ok(())
}

/// `abonent remind`: queues the reminders of a day (today in the company's zone by default).
async fn remind(cfg: &Config, date: Option<String>) -> Result<()> {
    let store = open_with_cache(cfg, Some(BATCH_CACHE_MIB)).await?;
    let day = match date.as_deref() {
        Some(d) => d
            .parse::<jiff::civil::Date>()
            .with_context(|| format!("дата «{d}»: укажите ГГГГ-ММ-ДД"))?,
        None => jiff::Zoned::now()
            .with_time_zone(cfg.company.time_zone.clone())
            .date(),
    };
    let started = std::time::Instant::now();
    let summary = abonent_jobs::queue_reminders(&store, day)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "Напоминания на {day} поставлены в очередь за {:.1} с: {summary}.",
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(())
}

/// Whether `period` has ended today in the company's time zone; the refusal says when it ends
/// (`abonent_domain::billing::period_ended`).
fn period_ended(
    company_zone: &jiff::tz::TimeZone,
    period: abonent_domain::tariffs::Period,
) -> std::result::Result<(), String> {
    let today = jiff::Zoned::now()
        .with_time_zone(company_zone.clone())
        .date();
    abonent_domain::billing::period_ended(period, today)
}

async fn bill(
    store: &Store,
    company_zone: &jiff::tz::TimeZone,
    period: &str,
    chunk: usize,
    before_end: bool,
) -> Result<()> {
    use abonent_store::billing::RunOutcome;
    let Some(p) = abonent_domain::tariffs::Period::parse(period) else {
        bail!("период «{period}» — укажите его в виде ГГГГ-ММ, например 2026-11");
    };
    if !before_end {
        if let Err(refusal) = period_ended(company_zone, p) {
            bail!(
                "{refusal} Чтобы рассчитать и закрыть его раньше: abonent bill {p} --before-end."
            );
        }
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        bar_style("{msg} [{bar:40}] {pos}/{len} ({per_sec}, осталось {eta})").progress_chars("=> "),
    );
    bar.set_message(format!("Начисления за {}", p.label_ru()));
    let started = std::time::Instant::now();
    let out = store
        .bill(p, chunk.max(1), None, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    match out {
        RunOutcome::AlreadyClosed { accounts, charged } => println!(
            "Период {p} уже закрыт: {accounts} счетов на {}. Ничего не изменено.",
            abonent_domain::money::Kopecks(charged)
        ),
        RunOutcome::Closed {
            accounts,
            charged,
            resumed,
        } => println!(
            "Период {p} рассчитан и закрыт{}: {accounts} счетов на {} за {secs:.1} с.",
            if resumed {
                " (продолжен после прерывания)"
            } else {
                ""
            },
            abonent_domain::money::Kopecks(charged)
        ),
        RunOutcome::Stopped { billed } => {
            println!("Остановлено: рассчитано {billed} счетов.");
            return Ok(());
        }
    }
    // Clients who chose e-mail get the invoice by e-mail (once per period, also when the run
    // was closed before and the queueing was interrupted).
    let mailed = store
        .queue_invoice_mails(&p.to_string())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if mailed > 0 {
        println!("Счета по электронной почте поставлены в очередь: {mailed}.");
    }
    Ok(())
}

async fn import_payments(
    store: &Store,
    cfg: &Config,
    file: &std::path::Path,
    bank: &str,
) -> Result<()> {
    let Some(layout) = cfg.registry_layouts.iter().find(|l| l.code == bank) else {
        let codes: Vec<&str> = cfg
            .registry_layouts
            .iter()
            .map(|l| l.code.as_str())
            .collect();
        bail!(
            "неизвестный формат реестра «{bank}»; известны: {}",
            codes.join(", ")
        );
    };
    let bytes = std::fs::read(file).with_context(|| format!("чтение {}", file.display()))?;
    let started = std::time::Instant::now();
    let today = jiff::Zoned::now()
        .with_time_zone(cfg.company.time_zone.clone())
        .date();
    let rules = abonent_domain::payments::registry::ParseRules {
        limits: cfg.payment_limits,
        today,
    };
    let rows = match abonent_domain::payments::registry::parse(&bytes, layout, &rules) {
        Ok(rows) => rows,
        Err(errors) => {
            for e in errors.iter().take(50) {
                if e.line_no == 0 {
                    eprintln!("{}", e.detail);
                } else {
                    eprintln!("строка {}: {}", e.line_no, e.detail);
                }
            }
            if errors.len() > 50 {
                eprintln!("… и ещё {} строк с ошибками", errors.len() - 50);
            }
            bail!(
                "реестр не загружен: {} строк с ошибками, ни один платёж не зачислен",
                errors.len()
            );
        }
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let actor = abonent_store::audit::Actor {
        staff_id: None,
        login: "cli".into(),
        ip: String::new(),
    };
    let out = store
        .import_registry(&layout.code, &name, &bytes, &rows, &actor)
        .await?;
    if out.already_imported {
        println!(
            "Этот файл уже загружен (реестр № {}): ничего не изменено.",
            out.registry_id
        );
    } else {
        println!(
            "Реестр № {} загружен за {:.2} с: {} платежей на {}, зачислено {}, ждут разбора {} (счёт не найден {}, на проверке {}), уже были учтены {}.",
            out.registry_id,
            started.elapsed().as_secs_f64(),
            out.rows,
            abonent_domain::money::Kopecks(out.total),
            out.matched,
            out.unmatched + out.held,
            out.unmatched,
            out.held,
            out.repeated
        );
        for r in out.repeated_lines.iter().take(50) {
            println!("строка {}: не зачислена — {}", r.line_no, r.note);
        }
        for r in out.held_lines.iter().take(50) {
            println!("строка {}: ждёт проверки — {}", r.line_no, r.note);
        }
    }
    Ok(())
}

async fn add_user(
    store: &Store,
    login: &str,
    password: &str,
    role: &str,
    name: &str,
    position: &str,
) -> Result<()> {
    let mut e = FieldErrors::new();
    let login = validate_login(&mut e, login);
    validate_password(&mut e, "password", password);
    let Some(role) = Role::parse(role) else {
        let all: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
        bail!("неизвестная роль «{role}»; допустимы: {}", all.join(", "));
    };
    if name.trim().is_empty() {
        e.add("name", "Укажите фамилию, имя и отчество.");
    }
    if !e.is_empty() {
        bail!("{e}");
    }
    let pw = password.to_owned();
    let hash =
        tokio::task::spawn_blocking(move || abonent_domain::password::try_hash(&pw)).await??;
    let id = store
        .create_staff(
            &StaffData {
                login: login.clone(),
                full_name: name.trim().to_owned(),
                position: position.trim().to_owned(),
                role,
                branch_id: store.branches().await?.first().map(|b| b.id),
                centre_id: None,
                phone: String::new(),
                email: String::new(),
                badge: String::new(),
                active: true,
            },
            &hash,
        )
        .await?;
    store
        .audit(
            &abonent_store::audit::Actor {
                staff_id: None,
                login: "cli".into(),
                ip: String::new(),
            },
            "staff.create",
            "staff",
            &id.to_string(),
            "abonent user add",
        )
        .await?;
    println!("Сотрудник {login} ({}) добавлен.", role.label_ru());
    Ok(())
}

async fn worker(cfg: Config, once: bool) -> Result<()> {
    let store = open(&cfg).await?;
    let jobs_config = abonent_jobs::JobsConfig {
        mail: cfg.mail.clone(),
        sms: cfg.sms.clone(),
        time_zone: cfg.company.time_zone.clone(),
        public_url: cfg.public_url_for(cfg.listen),
    };
    let name = format!("worker-{}", std::process::id());
    let stop = signals()?;
    if once {
        abonent_jobs::schedule(&store, &jobs_config).await?;
        let n = abonent_jobs::drain_until(&store, &jobs_config, &name, &stop).await?;
        println!("Выполнено заданий: {n}");
    } else {
        tracing::info!(mail = %cfg.mail.redacted(), "worker started");
        println!("Обработчик заданий запущен (Ctrl+C — остановить).");
        let jobs = tokio::spawn(abonent_jobs::run(
            store.clone(),
            jobs_config,
            name,
            stop.clone(),
        ));
        stop.wait().await;
        finish_worker(jobs).await;
    }
    store.close().await;
    Ok(())
}

/// The demo's hall: a month of visits (once), and a kiosk and a display of the first centre
/// enrolled anew; returns the centre's name and the two tokens to print.
async fn demo_hall(store: &Store, cfg: &Config) -> Result<Option<(String, String, String)>> {
    let today = jiff::Zoned::now()
        .with_time_zone(cfg.company.time_zone.clone())
        .date();
    store.demo_queue(today, &cfg.company.time_zone).await?;
    let Some(centre) = store.centres().await?.into_iter().next() else {
        return Ok(None);
    };
    let (kiosk, display) = (
        abonent_web::common::tokens::random_token(),
        abonent_web::common::tokens::random_token(),
    );
    store
        .demo_hall_devices(
            centre.id,
            &abonent_web::common::tokens::token_hash(&kiosk),
            &abonent_web::common::tokens::token_hash(&display),
        )
        .await?;
    Ok(Some((centre.name, kiosk, display)))
}

/// How long a stopping process waits for the message or request in hand before it gives up on
/// it (its lease then ends by itself, see `abonent_jobs::LEASE`).
const GRACE: Duration = Duration::from_secs(10);

/// Waits for a stopping worker to give back what it holds, at most [`GRACE`].
async fn finish_worker(mut jobs: tokio::task::JoinHandle<()>) {
    if tokio::time::timeout(GRACE, &mut jobs).await.is_err() {
        tracing::warn!(
            grace_seconds = GRACE.as_secs(),
            "the worker did not stop in time; its job is left to its lease"
        );
        jobs.abort();
        let _ = jobs.await;
    }
}

/// `serve --demo`: demo data on a new database (staff again on an old one, whose passwords
/// may have been changed), and the hall's demo devices; returns what [`demo_hall`] returns.
async fn prepare_demo(store: &Store, cfg: &Config) -> Result<Option<(String, String, String)>> {
    if store.account_count().await? == 0 {
        println!("Загружаю демо-данные…");
        seed_demo(store, cfg.demo_accounts, true).await?;
        seed_demo_billing(store, 3, previous_month(), false, true).await?;
    } else {
        let hash =
            tokio::task::spawn_blocking(|| abonent_domain::password::try_hash(DEMO_PASSWORD))
                .await??;
        store.seed_demo_staff(&hash).await?;
        store.demo_incidents().await?;
    }
    seed_demo_home_visits(store, cfg).await?;
    demo_hall(store, cfg).await
}

async fn serve(
    cfg: Config,
    listen: Option<SocketAddr>,
    demo: bool,
    with_worker: bool,
) -> Result<()> {
    let started = std::time::Instant::now();
    let store = open(&cfg).await?;
    let hall = if demo {
        prepare_demo(&store, &cfg).await?
    } else {
        None
    };
    let addr = listen.unwrap_or(cfg.listen);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let state = abonent_web::AppState::new(store.clone(), cfg.web_config(listener.local_addr()?));

    // Expired sessions and old sign-in attempts are removed hourly.
    let janitor = store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Err(e) = janitor.purge_expired(30 * 24 * 3600 * 1_000_000).await {
                tracing::warn!(error = %e, "purging expired sessions failed");
            }
        }
    });

    // The scheduler and a job worker (reminders and escalations of appeals, housekeeping).
    let stop = signals()?;
    let worker_name = format!("{}-{}", std::process::id(), listener.local_addr()?);
    let mut jobs_config = abonent_jobs::JobsConfig {
        mail: cfg.mail.clone(),
        sms: cfg.sms.clone(),
        time_zone: cfg.company.time_zone.clone(),
        public_url: cfg.public_url_for(listener.local_addr()?),
    };
    // The demo has no mail server: its letters become files to open.
    if demo && jobs_config.mail.smtp_url.is_empty() {
        jobs_config.mail.smtp_url = "folder:data/outbox".into();
        println!("Письма демо-версии сохраняются в data/outbox (файлы .eml).");
    }
    if demo && jobs_config.sms.url.is_empty() {
        jobs_config.sms.url = "folder:data/outbox".into();
        println!("СМС демо-версии сохраняются в data/outbox (файлы sms-….txt).");
    }
    let jobs = with_worker.then(|| {
        tokio::spawn(abonent_jobs::run(
            store.clone(),
            jobs_config,
            worker_name,
            stop.clone(),
        ))
    });

    let url = format!("http://{}", listener.local_addr()?);
    tracing::info!(%url, database = %cfg.redacted_database_url(), mail = %cfg.mail.redacted(), startup_ms = started.elapsed().as_millis() as u64, "Abonent is listening");
    println!("Абонент работает: {url}");
    if demo {
        let site = cfg.public_url_for(listener.local_addr()?);
        println!("Для клиентов:");
        println!("  сайт компании:              {site}/");
        println!("  передать показания:         {site}/readings");
        println!("  интернет-приёмная:          {site}/reception");
        println!("  статус обращения:           {site}/reception/status");
        println!("  личный кабинет:             {site}/my (регистрация: {site}/my/signup)");
        if let Some((centre, kiosk, display)) = &hall {
            println!("Зал обслуживания ({centre}), откройте на устройстве зала один раз:");
            println!("  киоск выдачи талонов:       {site}/devices/enrol?token={kiosk}");
            println!("  табло зала:                 {site}/devices/enrol?token={display}");
        }
        println!("Вход для сотрудников: {url}/login");
        println!("  логины: admin (администратор), head (руководитель отделения), sales (начальник отдела),");
        println!("          tech и tech2 (техники), cashier (техник-кассир), clerk (канцелярия), director");
        println!("  пароль у всех демо-сотрудников: {DEMO_PASSWORD}");
    } else if store.staff_count().await? == 0 {
        println!("Сотрудников ещё нет. Создайте администратора:");
        println!("  abonent user add --login admin --password '…' --role administrator --name 'Фамилия Имя Отчество'");
    }
    // The web server and the worker stop together on the first signal; requests in flight get
    // the grace period to finish.
    let web = abonent_web::serve(listener, state, {
        let stop = stop.clone();
        async move { stop.wait().await }
    });
    tokio::pin!(web);
    tokio::select! {
        r = &mut web => r?,
        _ = async {
            stop.wait().await;
            tokio::time::sleep(GRACE).await;
        } => tracing::warn!(grace_seconds = GRACE.as_secs(), "requests still open after the grace period are dropped"),
    }
    if let Some(j) = jobs {
        finish_worker(j).await;
    }
    store.close().await;
    Ok(())
}

/// Handles SIGTERM and SIGINT (Ctrl+C): the first asks the web server and the workers to stop
/// (the message in hand is finished, claimed work is given back, the process exits), a second
/// ends the process at once.
fn signals() -> Result<abonent_jobs::Stop> {
    let (handle, stop) = abonent_jobs::Stop::pair();
    let mut signals = Signals::new()?;
    tokio::spawn(async move {
        signals.next().await;
        tracing::info!("shutting down");
        eprintln!(
            "Останавливаюсь: текущее сообщение будет отправлено, остальные останутся в очереди \
             (повторный сигнал — немедленный выход)."
        );
        handle.stop();
        signals.next().await;
        tracing::warn!("second signal: exiting at once");
        eprintln!("Немедленный выход.");
        std::process::exit(130);
    });
    Ok(stop)
}

/// SIGTERM and SIGINT, registered at once (so a signal that comes early is not lost).
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Self {
                term: signal(SignalKind::terminate()).context("SIGTERM handler")?,
                int: signal(SignalKind::interrupt()).context("SIGINT handler")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! { _ = self.term.recv() => {}, _ = self.int.recv() => {} }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} МБ", bytes as f64 / (1024.0 * 1024.0))
}

/// `abonent backup FILE`: a consistent copy of the running SQLite database; for PostgreSQL the
/// `pg_dump` command to run.
async fn backup(cfg: &Config, file: &std::path::Path, force: bool) -> Result<()> {
    use abonent_store::backup::{self, BackupError};
    let Some(db) = backup::sqlite_path(&cfg.database_url) else {
        println!("Резервную копию PostgreSQL делает pg_dump (серверы можно не останавливать):");
        println!("  {}", backup::pg_dump_command(&cfg.database_url, file));
        println!(
            "Пароль pg_dump возьмёт из PGPASSWORD или ~/.pgpass. Подробнее: docs/operations.md."
        );
        bail!("abonent backup копирует только базу SQLite; для PostgreSQL выполните команду выше");
    };
    if !db.exists() {
        bail!("базы данных {} нет — копировать нечего", db.display());
    }
    if file.exists() && !force {
        bail!(
            "файл {} уже есть; чтобы заменить его, добавьте --force",
            file.display()
        );
    }
    hold_database(cfg)?;
    let store = Store::connect(&cfg.database_url, 1)
        .await
        .with_context(|| format!("connecting to {}", cfg.redacted_database_url()))?;
    let approx = [db.clone(), format!("{}-wal", db.display()).into()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum::<u64>();
    let bar = ProgressBar::new(approx.max(1));
    bar.set_style(
        bar_style("{msg} [{bar:40}] {bytes} из ~{total_bytes} ({elapsed})").progress_chars("=> "),
    );
    bar.set_message("Резервная копия");
    let started = std::time::Instant::now();
    let r = backup::backup(&store, &db, file, force, &|bytes| bar.set_position(bytes)).await;
    bar.finish_and_clear();
    store.close().await;
    match r {
        Ok(size) => {
            println!(
                "Резервная копия {} готова за {:.1} с: {}.",
                file.display(),
                started.elapsed().as_secs_f64(),
                megabytes(size)
            );
            Ok(())
        }
        Err(BackupError::Exists(p)) => bail!(
            "файл {} уже есть; чтобы заменить его, добавьте --force",
            p.display()
        ),
        Err(BackupError::SameFile(p)) => {
            bail!(
                "{} — это сама база данных; укажите другой файл",
                p.display()
            )
        }
        Err(e) => Err(e).context("резервная копия не сделана"),
    }
}

/// `abonent restore FILE`: puts a backup in place of the SQLite database while nothing uses it;
/// for PostgreSQL the `pg_restore` command to run.
async fn restore(cfg: &Config, file: &std::path::Path) -> Result<()> {
    use abonent_store::backup::{self, BackupError};
    let Some(db) = backup::sqlite_path(&cfg.database_url) else {
        println!("Базу PostgreSQL восстанавливает pg_restore; сначала остановите все abonent serve и abonent worker:");
        println!("  {}", backup::pg_restore_command(&cfg.database_url, file));
        println!(
            "Пароль pg_restore возьмёт из PGPASSWORD или ~/.pgpass. Подробнее: docs/operations.md."
        );
        bail!("abonent restore восстанавливает только базу SQLite; для PostgreSQL выполните команду выше");
    };
    if !file.exists() {
        bail!("файла {} нет", file.display());
    }
    println!("Проверяю резервную копию {}…", file.display());
    match backup::restore(&db, file).await {
        Ok(r) => {
            println!(
                "База данных {} восстановлена из {} ({}, миграций: {}).",
                db.display(),
                file.display(),
                megabytes(r.info.bytes),
                r.info.migrations
            );
            if let Some(kept) = r.kept {
                println!("Прежняя база сохранена в {}.", kept.display());
            }
            println!("Запустите abonent serve: недостающие миграции применятся при запуске.");
            Ok(())
        }
        Err(BackupError::InUse(p)) => bail!(
            "база данных {} используется: остановите abonent serve, abonent worker и другие \
             команды abonent и повторите; ничего не изменено",
            p.display()
        ),
        Err(BackupError::NotAbonent { path, reason }) => bail!(
            "{} — не резервная копия базы Абонента ({reason}); ничего не изменено",
            path.display()
        ),
        Err(BackupError::Newer { path, version }) => bail!(
            "{} сделана более новой версией Абонента (миграция {version}); обновите abonent; \
             ничего не изменено",
            path.display()
        ),
        Err(BackupError::SameFile(p)) => {
            bail!(
                "{} — это сама база данных; укажите файл резервной копии",
                p.display()
            )
        }
        Err(e) => Err(e).context("база данных не восстановлена"),
    }
}

/// A progress bar style from a template of ours; a template indicatif refused would show the
/// plain default bar rather than stop the command.
fn bar_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}
