//! The hall's electronic queue under load (issue 16, CHN-01):
//!
//! - `queue-bench setup DATABASE_URL WINDOWS > hall.txt`: on a database the server uses, makes
//!   WINDOWS technicians of the first centre with live sessions, enrols a kiosk and a display,
//!   and prints what the other commands need (tokens, the centre, the service «Р»).
//! - `queue-bench load URL hall.txt SECONDS RATE`: kiosks take RATE tickets a second (paced,
//!   open loop, over 8 threads) while every window calls the next visitor and finishes the
//!   visit as fast as the server answers; prints p50/p99/max of take-ticket, call-next and
//!   finish, and the counts.
//! - `queue-bench display URL hall.txt CONNECTIONS SERVER_PID`: opens CONNECTIONS hall displays
//!   (server-sent events), then one window calls a fresh ticket; prints how long each display
//!   took to show it (p50/p99/max) and the server's RSS before and after the displays opened.

use std::io::{BufRead, BufReader};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use abonent_domain::org::Role;
use abonent_store::audit::Actor;
use abonent_store::Store;
use sha2::Digest;

type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn sha256_hex(s: &str) -> String {
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn report(name: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "{name}: n={} p50={:.2} ms p99={:.2} ms max={:.2} ms",
        v.len(),
        percentile(&v, 0.5).as_secs_f64() * 1000.0,
        percentile(&v, 0.99).as_secs_f64() * 1000.0,
        v.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
}

fn rss_mib(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn setup(url: &str, windows: usize) -> BoxResult<()> {
    let store = Store::connect(url, 4).await?;
    store.migrate().await?;
    let centre = store
        .centres()
        .await?
        .into_iter()
        .next()
        .ok_or("no centre: start the server with --demo first")?;
    let services = store.queue_services(centre.id).await?;
    let r = services
        .iter()
        .find(|s| s.letter == "Р")
        .ok_or("no service «Р»")?;
    let hash = abonent_domain::password::try_hash("bench-password-1")?;
    println!("centre {}", centre.id);
    println!("service {}", r.id);
    for i in 0..windows {
        let login = format!("bench-window-{i}");
        let id = match store.staff_credentials(&login).await? {
            Some((s, _)) => s.id,
            None => {
                let data = abonent_domain::org::StaffData {
                    login: login.clone(),
                    full_name: format!("Тестовый Техник Окна {i}"),
                    position: "техник".into(),
                    role: Role::Technician,
                    branch_id: Some(centre.branch_id),
                    centre_id: Some(centre.id),
                    phone: String::new(),
                    email: String::new(),
                    badge: String::new(),
                    active: true,
                };
                store.create_staff(&data, &hash).await?
            }
        };
        let token = format!("bench-window-token-{i}-{}", std::process::id());
        store
            .create_session(
                &sha256_hex(&token),
                id,
                "bench-csrf",
                "127.0.0.1",
                24 * 3_600_000_000,
            )
            .await?;
        store
            .set_queue_seat(id, centre.id, &format!("{}", i + 1), &[r.id])
            .await?;
        println!("staff {token}");
    }
    for kind in ["kiosk", "display"] {
        let token = format!("bench-{kind}-{}-{}", std::process::id(), windows);
        store
            .enrol_device(
                centre.id,
                kind,
                &format!("Нагрузочный тест: {kind}"),
                &sha256_hex(&token),
                &Actor::default(),
            )
            .await?;
        println!("{kind} {token}");
    }
    store.close().await;
    Ok(())
}

struct Hall {
    centre: i64,
    service: i64,
    staff: Vec<String>,
    kiosk: String,
    display: String,
}

fn read_hall(path: &str) -> BoxResult<Hall> {
    let text = std::fs::read_to_string(path)?;
    let mut h = Hall {
        centre: 0,
        service: 0,
        staff: Vec::new(),
        kiosk: String::new(),
        display: String::new(),
    };
    for line in text.lines() {
        let Some((k, v)) = line.split_once(' ') else {
            continue;
        };
        match k {
            "centre" => h.centre = v.parse()?,
            "service" => h.service = v.parse()?,
            "staff" => h.staff.push(v.to_owned()),
            "kiosk" => h.kiosk = v.to_owned(),
            "display" => h.display = v.to_owned(),
            _ => {}
        }
    }
    Ok(h)
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .max_idle_connections_per_host(256)
        .build()
}

fn take_ticket(a: &ureq::Agent, base: &str, h: &Hall) -> BoxResult<serde_json::Value> {
    Ok(a.post(&format!("{base}/api/v1/kiosk/{}/tickets", h.centre))
        .set("x-abonent-device", &h.kiosk)
        .send_json(serde_json::json!({"service_id": h.service}))?
        .into_json()?)
}

type Times = Arc<Mutex<Vec<Duration>>>;

/// A window: calls the next visitor and finishes the visit, as fast as the server answers.
fn window_loop(
    base: &str,
    token: &str,
    stop: &AtomicBool,
    calls: &Times,
    finishes: &Times,
    errors: &AtomicUsize,
) {
    let a = agent();
    let auth = format!("Bearer {token}");
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let r: BoxResult<serde_json::Value> = a
            .post(&format!("{base}/api/v1/queue/call-next"))
            .set("authorization", &auth)
            .call()
            .map_err(Into::into)
            .and_then(|r| r.into_json().map_err(Into::into));
        let took = t.elapsed();
        let Ok(v) = r else {
            errors.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        calls.lock().map(|mut c| c.push(took)).unwrap_or(());
        let Some(id) = v["ticket"]["id"].as_i64() else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let t = Instant::now();
        let done = a
            .post(&format!("{base}/api/v1/queue/tickets/{id}/finish"))
            .set("authorization", &auth)
            .send_json(serde_json::json!({"result": "resolved", "topic": "Нагрузочный тест"}));
        match done {
            Ok(_) => finishes
                .lock()
                .map(|mut f| f.push(t.elapsed()))
                .unwrap_or(()),
            Err(_) => {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

fn load(base: &str, hall: &str, seconds: u64, rate: u64) -> BoxResult<()> {
    let h = Arc::new(read_hall(hall)?);
    let stop = Arc::new(AtomicBool::new(false));
    let takes = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(Mutex::new(Vec::new()));
    let finishes = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(AtomicUsize::new(0));
    let mut threads = Vec::new();
    let kiosks = 8u64;
    let per_kiosk = Duration::from_secs_f64(kiosks as f64 / rate.max(1) as f64);
    for k in 0..kiosks {
        let (h, stop, takes, errors, base) = (
            h.clone(),
            stop.clone(),
            takes.clone(),
            errors.clone(),
            base.to_owned(),
        );
        threads.push(std::thread::spawn(move || {
            let a = agent();
            // Open loop: each kiosk's requests are due at fixed times, whatever the answers.
            let start = Instant::now() + per_kiosk.mul_f64(k as f64 / kiosks as f64);
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let due = start + per_kiosk * n;
                if let Some(w) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(w);
                }
                let t = Instant::now();
                match take_ticket(&a, &base, &h) {
                    Ok(_) => takes.lock().map(|mut v| v.push(t.elapsed())).unwrap_or(()),
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                n += 1;
            }
        }));
    }
    for token in h.staff.clone() {
        let (stop, calls, finishes, errors, base) = (
            stop.clone(),
            calls.clone(),
            finishes.clone(),
            errors.clone(),
            base.to_owned(),
        );
        threads.push(std::thread::spawn(move || {
            window_loop(&base, &token, &stop, &calls, &finishes, &errors);
        }));
    }
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    println!(
        "{} windows, {rate} tickets/s asked for {seconds} s; errors: {}",
        h.staff.len(),
        errors.load(Ordering::Relaxed)
    );
    let take = std::mem::take(&mut *takes.lock().map_err(|_| "poisoned")?);
    println!("tickets taken: {:.1}/s", take.len() as f64 / seconds as f64);
    report("take-ticket", take);
    report(
        "call-next",
        std::mem::take(&mut *calls.lock().map_err(|_| "poisoned")?),
    );
    report(
        "finish",
        std::mem::take(&mut *finishes.lock().map_err(|_| "poisoned")?),
    );
    Ok(())
}

/// Takes a fresh ticket and has the first window call it (older tickets called before it are
/// marked as no-shows); `target` and `called_at` tell the displays what to wait for since when.
fn call_fresh_ticket(
    base: &str,
    h: &Hall,
    target: &Mutex<String>,
    called_at: &Mutex<Option<Instant>>,
) -> BoxResult<()> {
    // A fresh ticket, called by the first window.
    let a = agent();
    let t = take_ticket(&a, base, h)?;
    let label = t["ticket"]["label"].as_str().ok_or("no label")?.to_owned();
    let token = h.staff.first().ok_or("no window")?;
    let auth = format!("Bearer {token}");
    // Free the window first (a ticket left called by an earlier run).
    if let Ok(r) = a
        .get(&format!("{base}/api/v1/queue/window"))
        .set("authorization", &auth)
        .call()
    {
        let w: serde_json::Value = r.into_json()?;
        if let Some(id) = w["current"]["id"].as_i64() {
            let _ = a
                .post(&format!("{base}/api/v1/queue/tickets/{id}/no-show"))
                .set("authorization", &auth)
                .call();
        }
    }
    loop {
        *target.lock().map_err(|_| "poisoned")? = label.clone();
        *called_at.lock().map_err(|_| "poisoned")? = Some(Instant::now());
        let v: serde_json::Value = a
            .post(&format!("{base}/api/v1/queue/call-next"))
            .set("authorization", &auth)
            .call()?
            .into_json()?;
        let got = v["ticket"]["label"].as_str().unwrap_or("").to_owned();
        let id = v["ticket"]["id"].as_i64();
        if got == label || id.is_none() {
            break;
        }
        // An older ticket was first: mark it and call again.
        if let Some(id) = id {
            a.post(&format!("{base}/api/v1/queue/tickets/{id}/no-show"))
                .set("authorization", &auth)
                .call()?;
        }
    }
    Ok(())
}

fn display(base: &str, hall: &str, connections: usize, pid: &str) -> BoxResult<()> {
    let h = Arc::new(read_hall(hall)?);
    let before = rss_mib(pid);
    let connected = Arc::new(AtomicUsize::new(0));
    let target = Arc::new(Mutex::new(String::new()));
    let called_at = Arc::new(Mutex::new(None::<Instant>));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut threads = Vec::new();
    for _ in 0..connections {
        let (h, connected, target, called_at, seen, base) = (
            h.clone(),
            connected.clone(),
            target.clone(),
            called_at.clone(),
            seen.clone(),
            base.to_owned(),
        );
        threads.push(std::thread::Builder::new().stack_size(256 * 1024).spawn(
            move || -> BoxResult<()> {
                let a = ureq::AgentBuilder::new()
                    .timeout_read(Duration::from_secs(60))
                    .build();
                let r = a
                    .get(&format!("{base}/display/{}/events", h.centre))
                    .set("x-abonent-device", &h.display)
                    .call()?;
                let mut lines = BufReader::new(r.into_reader()).lines();
                let mut first = true;
                while let Some(Ok(line)) = lines.next() {
                    if !line.starts_with("data:") {
                        continue;
                    }
                    if first {
                        first = false;
                        connected.fetch_add(1, Ordering::SeqCst);
                    }
                    let label = target.lock().map(|t| t.clone()).unwrap_or_default();
                    if !label.is_empty() && line.contains(&format!("\"label\":\"{label}\"")) {
                        if let Some(t0) = *called_at.lock().map_err(|_| "poisoned")? {
                            seen.lock().map_err(|_| "poisoned")?.push(t0.elapsed());
                        }
                        return Ok(());
                    }
                }
                Ok(())
            },
        )?);
    }
    let wait = Instant::now();
    while connected.load(Ordering::SeqCst) < connections && wait.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(1));
    let during = rss_mib(pid);
    println!(
        "{} of {connections} displays connected; server RSS {before:.1} MiB before, {during:.1} MiB with them (+{:.1} MiB)",
        connected.load(Ordering::SeqCst),
        during - before
    );
    call_fresh_ticket(base, &h, &target, &called_at)?;
    for t in threads {
        let _ = t.join();
    }
    let seen = std::mem::take(&mut *seen.lock().map_err(|_| "poisoned")?);
    println!("displays that showed the call: {}", seen.len());
    report("call → display", seen);
    println!("server RSS after: {:.1} MiB", rss_mib(pid));
    Ok(())
}

fn main() -> BoxResult<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| {
        args.get(i)
            .cloned()
            .ok_or("missing argument: see the header of bench/src/queue_bench.rs")
    };
    match args.get(1).map(String::as_str) {
        Some("setup") => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            rt.block_on(setup(&arg(2)?, arg(3)?.parse()?))
        }
        Some("load") => load(&arg(2)?, &arg(3)?, arg(4)?.parse()?, arg(5)?.parse()?),
        Some("display") => display(&arg(2)?, &arg(3)?, arg(4)?.parse()?, &arg(5)?),
        _ => Err("usage: queue-bench setup|load|display … (see bench/src/queue_bench.rs)".into()),
    }
}
