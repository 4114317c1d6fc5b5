//! The personal account under load (issue "Public portal, personal account, notifications"):
//!
//! - `portal-bench setup DATABASE_URL CLIENTS FIRST_ACCOUNT > clients.txt`: makes CLIENTS
//!   signed-in personal-account users, each on its own demo account (from serial FIRST_ACCOUNT
//!   on) with one working single-zone meter; prints one line per client: cookie token, form token,
//!   meter, its last reading.
//! - `portal-bench readings URL clients.txt SECONDS`: every client submits readings of its meter
//!   as fast as the server answers (each 1 kWh more than the last) through the personal account's
//!   form, for SECONDS; prints readings stored per second, p50 and p99. A reading counts when the
//!   answer is the redirect to the outcome (the reading is committed before it is sent).
//! - `portal-bench home URL clients.txt SECONDS`: every client loads its account page.
//!
//! The figures in BENCHMARKS.md since 2026-11-27 come from wrk with `bench/wrk/portal_*.lua` on
//! the same `clients.txt` (this tool's 64 blocking client threads took CPU the server needed);
//! `readings` and `home` stay as a check that needs nothing but this binary.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use abonent_domain::accounts::AccountNumber;
use abonent_store::audit::Actor;
use abonent_store::Store;
use sha2::Digest;

/// Errors end the run with their message (a benchmark has no one to recover for).
type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn sha256_hex(s: &str) -> String {
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Client {
    token: String,
    csrf: String,
    meter: i64,
    last: i64,
}

async fn setup(url: &str, clients: usize, first: u32) -> BoxResult<()> {
    let store = Store::connect(url, 4).await?;
    store.migrate().await?;
    let hash = abonent_domain::password::try_hash("bench-password-1")?;
    let actor = Actor::default();
    let mut made = 0;
    let mut serial = first;
    while made < clients {
        let number = AccountNumber::from_serial(serial);
        serial += 1;
        let Ok(a) = store.account_by_number(&number).await else {
            continue;
        };
        let meters: Vec<_> = store
            .meters_of_account(a.id)
            .await?
            .into_iter()
            .filter(|m| m.removed_on.is_none())
            .collect();
        let [m] = meters.as_slice() else { continue };
        if m.zones != 1 || m.state != "working" {
            continue;
        }
        let email = format!("bench-{serial}@example.test");
        let confirm = format!("bench-confirm-{serial}");
        if store
            .portal_sign_up(
                a.id,
                &abonent_store::portal::PortalLogin::Email(email.clone()),
                &hash,
                &sha256_hex(&confirm),
                3_600_000_000,
                &actor,
            )
            .await
            .is_err()
        {
            continue;
        }
        let user = store
            .portal_confirm(&sha256_hex(&confirm))
            .await?
            .ok_or("the sign-up was not confirmed")?;
        let token = format!("bench-session-{serial}");
        let csrf = format!("bench-csrf-{serial}");
        store
            .create_portal_session(
                &sha256_hex(&token),
                user,
                &csrf,
                "127.0.0.1",
                86_400_000_000,
            )
            .await?;
        let last: i64 = m
            .last_values
            .clone()
            .unwrap_or(m.initial_values.clone())
            .trim()
            .parse()
            .map_err(|e| format!("meter {}: a single-zone value: {e}", m.id))?;
        println!("{token} {csrf} {} {last}", m.id);
        made += 1;
    }
    Ok(())
}

fn load(file: &str) -> BoxResult<Vec<Client>> {
    std::fs::read_to_string(file)
        .map_err(|e| format!("clients file {file}: {e}"))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let [token, csrf, meter, last] = l.split_whitespace().collect::<Vec<_>>()[..] else {
                return Err(format!("clients file: «{l}» is not TOKEN CSRF METER LAST").into());
            };
            Ok(Client {
                token: token.into(),
                csrf: csrf.into(),
                meter: meter.parse()?,
                last: last.parse()?,
            })
        })
        .collect()
}

fn run(url: &str, file: &str, seconds: u64, readings: bool) -> BoxResult<()> {
    let clients = load(file)?;
    let n = clients.len();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = clients
        .into_iter()
        .map(|c| {
            let url = url.to_owned();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().redirects(0).build();
                let cookie = format!("abonent_portal={}", c.token);
                let mut times = Vec::new();
                let mut value = c.last;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let status = if readings {
                        value += 1;
                        agent
                            .post(&format!("{url}/my/meters/{}/readings", c.meter))
                            .set("Cookie", &cookie)
                            .send_form(&[("_csrf", &c.csrf), ("values", &value.to_string())])
                    } else {
                        agent
                            .get(&format!("{url}/my"))
                            .set("Cookie", &cookie)
                            .call()
                    }
                    .map(|r| {
                        let s = r.status();
                        let _ = r.into_string();
                        s
                    });
                    match status {
                        Ok(303) if readings => times.push(t.elapsed()),
                        Ok(200) if !readings => times.push(t.elapsed()),
                        Ok(s) => panic!("status {s}"),
                        Err(ureq::Error::Status(s, r)) => {
                            panic!("status {s}: {}", r.into_string().unwrap_or_default())
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
                times
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let mut all: Vec<Duration> = Vec::new();
    for h in handles {
        all.extend(h.join().map_err(|_| "a client thread panicked")?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let what = if readings { "readings stored" } else { "pages" };
    println!("| clients | seconds | {what} | per second | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| {n} | {elapsed:.1} | {} | {:.0} | {:.2} | {:.2} |",
        all.len(),
        all.len() as f64 / elapsed,
        ms(percentile(&all, 0.50)),
        ms(percentile(&all, 0.99)),
    );
    Ok(())
}

fn main() -> BoxResult<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("setup") if args.len() >= 5 => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(setup(
                &args[2],
                args[3].parse().map_err(|e| format!("CLIENTS: {e}"))?,
                args[4].parse().map_err(|e| format!("FIRST_ACCOUNT: {e}"))?,
            ))
        }
        Some(mode @ ("readings" | "home")) if args.len() >= 5 => run(
            args[2].trim_end_matches('/'),
            &args[3],
            args[4].parse().map_err(|e| format!("SECONDS: {e}"))?,
            mode == "readings",
        ),
        _ => {
            eprintln!(
                "usage: portal-bench setup DATABASE_URL CLIENTS FIRST_ACCOUNT | readings URL FILE SECONDS | home URL FILE SECONDS"
            );
            std::process::exit(2);
        }
    }
}
