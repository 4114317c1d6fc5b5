//! Client search latency through HTTP (ACC-04): signs in through the API, then sends sequential
//! searches of four kinds — account number, surname prefix, address, phone prefix — for demo
//! clients picked across the whole serial range, and prints p50/p95/p99 per kind.
//!
//! Usage: `search-latency URL ACCOUNTS [REQUESTS_PER_KIND]`, against a server holding demo data
//! (`abonent demo --accounts ACCOUNTS`) with the demo staff password.

use std::time::{Duration, Instant};

/// Errors end the run with their message (a benchmark has no one to recover for).
type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

use abonent_store::demo::demo_client;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> BoxResult<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: search-latency URL ACCOUNTS [REQUESTS_PER_KIND]");
        std::process::exit(2);
    }
    let url = args[1].trim_end_matches('/').to_owned();
    let accounts: u32 = args[2]
        .parse()
        .map_err(|e| format!("ACCOUNTS is a number: {e}"))?;
    let per_kind: u32 = match args.get(3) {
        Some(s) => s.parse().map_err(|e| format!("REQUESTS_PER_KIND: {e}"))?,
        None => 500,
    };
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let login: serde_json::Value = agent
        .post(&format!("{url}/api/v1/session"))
        .send_json(serde_json::json!({"login": "tech", "password": "demo-abonent-2026"}))
        .map_err(|e| format!("sign-in: {e}"))?
        .into_json()?;
    let token = login["token"]
        .as_str()
        .ok_or("sign-in: no token")?
        .to_owned();

    // A fixed stride through the serial range, so runs are comparable.
    let serial = |i: u32| 1 + (u64::from(i) * 7_919_993 % u64::from(accounts)) as u32;
    let prefix = |s: &str, n: usize| s.chars().take(n).collect::<String>();
    type QueryFor = Box<dyn Fn(u32) -> String>;
    let kinds: [(&str, QueryFor); 5] = [
        (
            "account number",
            Box::new(|s| demo_client(s).number.to_string()),
        ),
        (
            "surname prefix (5 letters)",
            Box::new(move |s| prefix(&demo_client(s).surname, 5)),
        ),
        (
            "surname + name prefix",
            Box::new(|s| {
                let c = demo_client(s);
                format!(
                    "{} {}",
                    c.surname,
                    &c.first_name[..c
                        .first_name
                        .char_indices()
                        .nth(2)
                        .map_or(c.first_name.len(), |(i, _)| i)]
                )
            }),
        ),
        (
            "address",
            Box::new(|s| {
                let c = demo_client(s);
                format!(
                    "{} {} {}",
                    c.premises.street,
                    c.premises.house,
                    c.premises.apartment.unwrap_or_default()
                )
            }),
        ),
        (
            "phone prefix",
            Box::new(|s| format!("+7 {}", &demo_client(s).phones[0][..7])),
        ),
    ];
    println!("| query | requests | p50 ms | p95 ms | p99 ms | max ms | mean hits |");
    println!("|---|---|---|---|---|---|---|");
    for (name, make) in &kinds {
        let mut times = Vec::with_capacity(per_kind as usize);
        let mut hits = 0usize;
        for i in 0..per_kind {
            let q = make(serial(i + 1));
            let started = Instant::now();
            let res: serde_json::Value = agent
                .get(&format!("{url}/api/v1/clients"))
                .query("q", &q)
                .set("Authorization", &format!("Bearer {token}"))
                .call()
                .map_err(|e| format!("search {q}: {e}"))?
                .into_json()?;
            times.push(started.elapsed());
            let n = res.as_array().map_or(0, Vec::len);
            assert!(n > 0, "{name} «{q}» found nothing");
            hits += n;
        }
        times.sort();
        println!(
            "| {name} | {per_kind} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} |",
            ms(percentile(&times, 0.50)),
            ms(percentile(&times, 0.95)),
            ms(percentile(&times, 0.99)),
            ms(times.last().copied().unwrap_or_default()),
            hits as f64 / f64::from(per_kind)
        );
    }
    Ok(())
}
