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
            let store = open_with_cache(&cfg, Some(BATCH_CACHE_MIB)).await?;
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
                    if let Err(refusal) = period_ended(&store, until).await? {
                        bail!("{refusal} Оставьте его открытым: --billing-leave-last-open.");
                    }
                }
            }
            seed_demo(&store, accounts, true).await?;
            if appeals > 0 {
                seed_demo_appeals(&store, appeals).await?;
            }
            if let Some(until) = until {
                seed_demo_billing(&store, billing_months, until, billing_leave_last_open, true)
                    .await?;
            }
            store.close().await;
            Ok(())
        }
        Command::Bill {
            period,
            chunk,
            before_end,
        } => {
            let store = open_with_cache(&cfg, Some(BATCH_CACHE_MIB)).await?;
            let r = bill(&store, &period, chunk, before_end).await;
            store.close().await;
            r
        }
        Command::Remind { date } => {
            let store = open_with_cache(&cfg, Some(BATCH_CACHE_MIB)).await?;
            let day = match date.as_deref() {
                Some(d) => d
                    .parse::<jiff::civil::Date>()
                    .with_context(|| format!("дата «{d}»: укажите ГГГГ-ММ-ДД"))?,
                None => jiff::Zoned::now()
                    .with_time_zone(
                        abonent_jobs::company_zone(&store)
                            .await
                            .map_err(|e| anyhow::anyhow!("{e}"))?,
                    )
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
        Command::Import {
            command: ImportCommand::Payments { file, bank },
        } => {
            let store = open_with_cache(&cfg, Some(BATCH_CACHE_MIB)).await?;
            let r = import_payments(&store, &cfg, &file, &bank).await;
            store.close().await;
            r
        }
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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
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

async fn open_with_cache(cfg: &Config, cache_mib: Option<u32>) -> Result<Store> {
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
        tokio::task::spawn_blocking(|| abonent_domain::password::hash(DEMO_PASSWORD)).await?;
    store.seed_demo_staff(&hash).await?;
    let have = store.max_account_serial().await?;
    if have >= accounts {
        println!("Демо-данные уже есть: {have} лицевых счетов.");
        return Ok(());
    }
    let bar = if progress {
        ProgressBar::new(u64::from(accounts - have))
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, осталось {eta})")
            .expect("valid template")
            .progress_chars("=> "),
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
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, осталось {eta})")
            .expect("valid template")
            .progress_chars("=> "),
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
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, осталось {eta})")
            .expect("valid template")
            .progress_chars("=> "),
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

/// Whether `period` has ended today in the company's time zone; the refusal says when it ends
/// (`abonent_domain::billing::period_ended`).
async fn period_ended(
    store: &Store,
    period: abonent_domain::tariffs::Period,
) -> Result<std::result::Result<(), String>> {
    let zone = abonent_jobs::company_zone(store)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let today = jiff::Zoned::now().with_time_zone(zone).date();
    Ok(abonent_domain::billing::period_ended(period, today))
}

async fn bill(store: &Store, period: &str, chunk: usize, before_end: bool) -> Result<()> {
    use abonent_store::billing::RunOutcome;
    let Some(p) = abonent_domain::tariffs::Period::parse(period) else {
        bail!("период «{period}» — укажите его в виде ГГГГ-ММ, например 2026-11");
    };
    if !before_end {
        if let Err(refusal) = period_ended(store, p).await? {
            bail!(
                "{refusal} Чтобы рассчитать и закрыть его раньше: abonent bill {p} --before-end."
            );
        }
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec}, осталось {eta})")
            .expect("valid template")
            .progress_chars("=> "),
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
    let rows = match abonent_domain::registry::parse(&bytes, layout) {
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
            "Реестр № {} загружен за {:.2} с: {} платежей на {}, зачислено {}, ждут разбора {}.",
            out.registry_id,
            started.elapsed().as_secs_f64(),
            out.rows,
            abonent_domain::money::Kopecks(out.total),
            out.matched,
            out.unmatched
        );
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
    let hash = tokio::task::spawn_blocking(move || abonent_domain::password::hash(&pw)).await?;
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
    };
    let name = format!("worker-{}", std::process::id());
    if once {
        abonent_jobs::schedule(&store, &jobs_config).await?;
        let n = abonent_jobs::drain(&store, &jobs_config, &name).await?;
        println!("Выполнено заданий: {n}");
    } else {
        tracing::info!(mail = %cfg.mail.redacted(), "worker started");
        println!("Обработчик заданий запущен (Ctrl+C — остановить).");
        abonent_jobs::run(store.clone(), jobs_config, name, shutdown()).await;
    }
    store.close().await;
    Ok(())
}

async fn serve(
    cfg: Config,
    listen: Option<SocketAddr>,
    demo: bool,
    with_worker: bool,
) -> Result<()> {
    let started = std::time::Instant::now();
    let store = open(&cfg).await?;
    if demo {
        if store.account_count().await? == 0 {
            println!("Загружаю демо-данные…");
            seed_demo(&store, cfg.demo_accounts, true).await?;
            seed_demo_billing(&store, 3, previous_month(), false, true).await?;
        } else {
            let hash =
                tokio::task::spawn_blocking(|| abonent_domain::password::hash(DEMO_PASSWORD))
                    .await?;
            store.seed_demo_staff(&hash).await?;
        }
    }
    let addr = listen.unwrap_or(cfg.listen);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let state = abonent_web::AppState::new(store.clone(), cfg.web_config());

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
    let (jobs_stop, jobs_stopped) = tokio::sync::oneshot::channel::<()>();
    let worker_name = format!("{}-{}", std::process::id(), listener.local_addr()?);
    let mut jobs_config = abonent_jobs::JobsConfig {
        mail: cfg.mail.clone(),
        sms: cfg.sms.clone(),
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
            async move {
                let _ = jobs_stopped.await;
            },
        ))
    });

    let url = format!("http://{}", listener.local_addr()?);
    tracing::info!(%url, database = %cfg.redacted_database_url(), mail = %cfg.mail.redacted(), startup_ms = started.elapsed().as_millis() as u64, "Abonent is listening");
    println!("Абонент работает: {url}");
    if demo {
        println!("Вход для сотрудников: {url}/login");
        println!("  логины: admin (администратор), head (руководитель отделения), sales (начальник отдела),");
        println!("          tech и tech2 (техники), cashier (техник-кассир), clerk (канцелярия), director");
        println!("  пароль у всех демо-сотрудников: {DEMO_PASSWORD}");
    } else if store.staff_count().await? == 0 {
        println!("Сотрудников ещё нет. Создайте администратора:");
        println!("  abonent user add --login admin --password '…' --role administrator --name 'Фамилия Имя Отчество'");
    }
    abonent_web::serve(listener, state, shutdown()).await?;
    let _ = jobs_stop.send(());
    if let Some(j) = jobs {
        let _ = j.await;
    }
    store.close().await;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
