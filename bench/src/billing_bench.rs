//! Billing benchmarks that do not need a server (issue "Meters, readings, tariffs, monthly
//! billing, invoices…"):
//!
//! - `billing-bench pdf N`: renders N single-invoice PDFs on one thread (the invoice of the card
//!   and of e-mail), then one print batch of N invoices; prints invoices per second.
//! - `billing-bench registry FILE ROWS ACCOUNTS`: writes a Сбербанк-style cp1251 registry of ROWS
//!   payments to demo accounts 1…ACCOUNTS (plus one row in 1,000 naming no account), for
//!   `abonent import payments FILE --bank sber`.
//!
//! The billing run itself is measured with `abonent bill` (BENCHMARKS.md).

use std::io::Write;
use std::time::Instant;

/// Errors end the run with their message (a benchmark has no one to recover for).
type BoxResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

use abonent_domain::accounts::AccountNumber;
use abonent_domain::money::Kopecks;
use abonent_domain::payment_qr::PaymentDetails;
use abonent_render::{InvoiceDoc, InvoiceLineDoc};

fn doc(i: u32) -> BoxResult<InvoiceDoc> {
    let number = AccountNumber::from_serial(i + 1).to_string();
    let sum = Kopecks(50_000 + i64::from(i % 1000) * 37);
    Ok(InvoiceDoc {
        company: "АО «ЮТЭК»".into(),
        company_lines: vec![
            "Акционерное общество «Югорская территориальная энергетическая компания»".into(),
            "Горячая линия: 8-800-350-20-88, 8-3467-38-88-88 (пн-пт 08:30-12:30, 14:00-17:00)".into(),
            "Радужнинское межрайонное отделение: 628462, г. Радужный, 1 мкр., д. 43".into(),
        ],
        title: "Счёт за электроэнергию за ноябрь 2026 г.".into(),
        account_number: number.clone(),
        client_name: "Иванов Иван Иванович".into(),
        address: "628462, г. Радужный, ул. Новая, д. 12, кв. 45".into(),
        account_facts: "городское население с электроплитами; проживает 3 чел., комнат 2".into(),
        lines: vec![
            InvoiceLineDoc {
                description: "Электроэнергия по показаниям прибора учёта, зона «день»".into(),
                basis: "ПП 354 п. 42, формула 1: по показаниям прибора учёта, зона «день»".into(),
                volume: "212 кВт·ч".into(),
                rate: "2,41 ₽".into(),
                amount: "510,92 ₽".into(),
            },
            InvoiceLineDoc {
                description: "Электроэнергия по показаниям прибора учёта, зона «ночь»".into(),
                basis: "ПП 354 п. 42, формула 1: по показаниям прибора учёта, зона «ночь»".into(),
                volume: "91 кВт·ч".into(),
                rate: "1,35 ₽".into(),
                amount: "122,85 ₽".into(),
            },
            InvoiceLineDoc {
                description: "Перерасчёт по показаниям".into(),
                basis: "ПП 354 п. 61: перерасчёт: за 1 пред. период(а) начислено без показаний 190 кВт·ч — снято".into(),
                volume: "−190 кВт·ч".into(),
                rate: String::new(),
                amount: "−415,00 ₽".into(),
            },
        ],
        summary: vec![
            ("Задолженность на начало периода".into(), "1 210,00 ₽".into()),
            ("Начислено за период".into(), "218,77 ₽".into()),
            ("Оплачено в периоде".into(), "1 000,00 ₽".into()),
            ("Пени".into(), "0,00 ₽".into()),
            ("Итого к оплате".into(), sum.to_string()),
        ],
        due: "Оплатить до 15.12.2026".into(),
        requisites: vec![
            "Получатель: АО «ЮТЭК», ИНН 8601000000, КПП 860101001".into(),
            "Р/с 40702810900000000001 в ПАО Сбербанк".into(),
            "БИК 047102651, к/с 30101810800000000651".into(),
            format!("Назначение: оплата электроэнергии, л/с {number}, период 11.2026"),
        ],
        qr_payload: PaymentDetails {
            name: "АО «ЮТЭК»".into(),
            personal_acc: "40702810900000000001".into(),
            bank_name: "ПАО Сбербанк".into(),
            bic: "047102651".into(),
            corresp_acc: "30101810800000000651".into(),
            payee_inn: "8601000000".into(),
            kpp: "860101001".into(),
            sum,
            purpose: format!("Оплата электроэнергии, л/с {number}, период 11.2026"),
            last_name: "Иванов".into(),
            first_name: "Иван".into(),
            middle_name: "Иванович".into(),
            payer_address: "628462, г. Радужный, ул. Новая, д. 12, кв. 45".into(),
            pers_acc: number,
            paym_period: "112026".into(),
        }
        .payload()
        .map_err(|e| format!("requisites: {e}"))?,
        notices: Vec::new(),
        announcement: String::new(),
    })
}

fn pdf(n: u32) -> BoxResult<()> {
    let docs: Vec<InvoiceDoc> = (0..n).map(doc).collect::<BoxResult<_>>()?;
    // Warm-up.
    if let Some(first) = docs.first() {
        abonent_render::invoice(first)?;
    }
    let started = Instant::now();
    let mut bytes = 0usize;
    for d in &docs {
        bytes += abonent_render::invoice(d)?.len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "single invoices: {n} in {secs:.2} s = {:.0} invoices/s on one thread, {:.1} KB each",
        f64::from(n) / secs,
        bytes as f64 / f64::from(n) / 1024.0
    );
    let started = Instant::now();
    let batch = abonent_render::invoices(&docs, "batch")?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "print batch: {n} pages in {secs:.2} s = {:.0} invoices/s, {:.1} MB",
        f64::from(n) / secs,
        batch.len() as f64 / 1024.0 / 1024.0
    );
    Ok(())
}

fn registry(path: &str, rows: u32, accounts: u32) -> BoxResult<()> {
    let seed: u32 = path
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 100_000;
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| format!("{path}: {e}"))?);
    let mut total = 0i64;
    for i in 0..rows {
        let account = if i % 1000 == 999 {
            "000000000".to_owned()
        } else {
            AccountNumber::from_serial(i % accounts + 1).to_string()
        };
        let kop = 10_000 + i64::from(i % 5000) * 7;
        total += kop;
        let line = format!(
            "{:02}-11-2026;{:02}:{:02}:00;8002;{};{account};Иванов Иван Иванович;г. Радужный;112026;{}.{:02};0;{}{:010}\r\n",
            1 + i % 25,
            8 + i % 10,
            i % 60,
            1 + i % 9,
            kop / 100,
            kop % 100,
            // The bank's operation number: unique per row, and per file (the file's name
            // seeds it, so distinct files are distinct payments).
            seed,
            i
        );
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&line);
        out.write_all(&bytes)?;
    }
    let footer = format!(
        "={rows};{}.{:02};0;{}.{:02}\r\n",
        total / 100,
        total % 100,
        total / 100,
        total % 100
    );
    out.write_all(footer.as_bytes())?;
    out.flush()?;
    println!("{path}: {rows} payments");
    Ok(())
}

fn main() -> BoxResult<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("pdf") => pdf(args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1000)),
        Some("registry") if args.len() == 5 => registry(
            &args[2],
            args[3].parse().map_err(|e| format!("ROWS: {e}"))?,
            args[4].parse().map_err(|e| format!("ACCOUNTS: {e}"))?,
        ),
        _ => {
            eprintln!("usage: billing-bench pdf N | billing-bench registry FILE ROWS ACCOUNTS");
            std::process::exit(2);
        }
    }
}
