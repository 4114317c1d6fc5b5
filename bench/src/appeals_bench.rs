//! Appeals registry benchmarks through HTTP (issue "Appeals registry"):
//!
//! - `appeals-bench latency URL [REQUESTS_PER_KIND]`: sequential requests for the "new", "mine",
//!   "due soon", "overdue" and filtered lists and for full-text search, with parameters varied
//!   across the registry; prints p50/p95/p99 per kind.
//! - `appeals-bench register URL SECONDS CLIENTS`: CLIENTS threads register appeals through the
//!   API for SECONDS; prints appeals/s and latency.
//!
//! Run against a server with demo data (`abonent demo --appeals N`) and the demo password.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Errors end the run with their message (a benchmark has no one to recover for).
type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn sign_in(agent: &ureq::Agent, url: &str, login: &str) -> BoxResult<String> {
    let r: serde_json::Value = agent
        .post(&format!("{url}/api/v1/session"))
        .send_json(serde_json::json!({"login": login, "password": "demo-abonent-2026"}))
        .map_err(|e| format!("sign-in: {e}"))?
        .into_json()?;
    Ok(r["token"].as_str().ok_or("sign-in: no token")?.to_owned())
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build()
}

/// A request of the latency run: the query of the i-th request and who sends it.
type Make = Box<dyn Fn(usize) -> (String, &'static str)>;

/// The requests of the latency run, by kind, with parameters varied across the registry.
fn cases() -> Vec<(&'static str, Make)> {
    let topics = [
        "billing",
        "meter",
        "payment",
        "supply_quality",
        "outage",
        "contract",
    ];
    let kinds = [
        "complaint",
        "claim",
        "information_request",
        "suggestion",
        "review",
    ];
    let words = [
        "счётчика",
        "начислений",
        "перерасчёт",
        "напряжения",
        "договора",
        "справку",
        "поверки",
        "ограничении",
        "благодарю",
        "мессенджер",
    ];
    let today = jiff::Zoned::now().date();
    vec![
        ("view=new (head)", Box::new(|_| ("view=new".into(), "head"))),
        (
            "view=mine (tech)",
            Box::new(|_| ("view=mine".into(), "tech")),
        ),
        (
            "view=due_soon",
            Box::new(|_| ("view=due_soon".into(), "head")),
        ),
        (
            "view=overdue",
            Box::new(|_| ("view=overdue".into(), "head")),
        ),
        (
            "filtered: topic + kind + 30-day period",
            Box::new(move |i| {
                let to = today.saturating_sub(jiff::Span::new().days((i * 13 % 700) as i64));
                let from = to.saturating_sub(jiff::Span::new().days(30));
                (
                    format!(
                        "view=all&topic={}&kind={}&from={from}&to={to}",
                        topics[i % topics.len()],
                        kinds[i % kinds.len()]
                    ),
                    "head",
                )
            }),
        ),
        (
            "full-text search, one word",
            Box::new(move |i| {
                (
                    format!("view=all&q={}", enc(words[i % words.len()])),
                    "head",
                )
            }),
        ),
        (
            "full-text search, surname + word",
            Box::new(move |i| {
                let c = abonent_store::demo::demo_client((i as u32 * 7_919) % 999_983 + 1);
                (
                    format!(
                        "view=all&q={}",
                        enc(&format!("{} {}", c.surname, words[i % words.len()]))
                    ),
                    "head",
                )
            }),
        ),
    ]
}

fn latency(url: &str, per_kind: usize) -> BoxResult<()> {
    let agent = agent();
    let head = sign_in(&agent, url, "head")?;
    let tech = sign_in(&agent, url, "tech")?;
    let cases = cases();
    println!("| request | requests | p50 ms | p95 ms | p99 ms | max ms | mean rows |");
    println!("|---|---|---|---|---|---|---|");
    for (name, make) in &cases {
        let mut times = Vec::with_capacity(per_kind);
        let mut rows = 0usize;
        for i in 0..per_kind {
            let (query, who) = make(i);
            let token = if who == "tech" { &tech } else { &head };
            let started = Instant::now();
            let res: serde_json::Value = agent
                .get(&format!("{url}/api/v1/appeals?{query}"))
                .set("Authorization", &format!("Bearer {token}"))
                .call()
                .map_err(|e| format!("{query}: {e}"))?
                .into_json()?;
            times.push(started.elapsed());
            rows += res.as_array().map_or(0, Vec::len);
        }
        times.sort();
        println!(
            "| {name} | {per_kind} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} |",
            ms(percentile(&times, 0.50)),
            ms(percentile(&times, 0.95)),
            ms(percentile(&times, 0.99)),
            ms(times.last().copied().unwrap_or_default()),
            rows as f64 / per_kind as f64
        );
    }
    Ok(())
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn register(url: &str, seconds: u64, clients: usize) -> BoxResult<()> {
    let token = sign_in(&agent(), url, "clerk")?;
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let url = url.to_owned();
            let token = token.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let agent = agent();
                let mut times = Vec::new();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let (text, topic) = abonent_store::demo_appeals::demo_appeal_text(i * 31 + c as u64);
                    let t = Instant::now();
                    let r = agent
                        .post(&format!("{url}/api/v1/appeals"))
                        .set("Authorization", &format!("Bearer {token}"))
                        .send_json(serde_json::json!({
                            "channel": "post", "kind": "complaint", "topic": topic, "text": text,
                            "applicant_name": "Нагрузочный Тест", "postal_address": "г. Радужный, 1 мкр., д. 1"
                        }));
                    match r {
                        Ok(resp) if resp.status() == 201 => times.push(t.elapsed()),
                        Ok(resp) => panic!("status {}", resp.status()),
                        Err(e) => panic!("{e}"),
                    }
                    i += 1;
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
    println!("| clients | seconds | appeals registered | appeals/s | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| {clients} | {elapsed:.1} | {} | {:.0} | {:.2} | {:.2} |",
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
        Some("latency") if args.len() >= 3 => latency(
            args[2].trim_end_matches('/'),
            match args.get(3) {
                Some(s) => s.parse().map_err(|e| format!("REQUESTS_PER_KIND: {e}"))?,
                None => 300,
            },
        ),
        Some("register") if args.len() >= 5 => register(
            args[2].trim_end_matches('/'),
            args[3].parse().map_err(|e| format!("SECONDS: {e}"))?,
            args[4].parse().map_err(|e| format!("CLIENTS: {e}"))?,
        ),
        _ => {
            eprintln!("usage: appeals-bench latency URL [REQUESTS_PER_KIND] | register URL SECONDS CLIENTS");
            std::process::exit(2);
        }
    }
}
