//! The invoice read back by real readers: poppler renders it and extracts its text, and zbar
//! (`zbarimg`, which scripts/test.sh installs) decodes the payment QR code from the rendered page
//! — the payload a banking app would read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use std::process::Command;

use abonent_domain::money::Kopecks;
use abonent_domain::payment_qr::{parse_payload, PaymentDetails};
use abonent_render::{invoice, invoices, InvoiceDoc, InvoiceLineDoc};

/// A restriction warning as the invoice prints it: long, bold, with amounts and signs.
const WARNING: &str = "ПРЕДУПРЕЖДЕНИЕ. Задолженность 12\u{a0}345,67\u{a0}₽ превышает сумму двух месячных начислений по нормативу. Если её не погасить до 21 декабря 2026 г. включительно, предоставление коммунальной услуги по электроснабжению будет ограничено, а затем приостановлено (ПП РФ №\u{a0}354, пп.\u{a0}117–119). Пени начисляются по ставке 9,5\u{a0}% за 143\u{a0}кВт·ч сверх нормы.";

fn doc(account: &str) -> InvoiceDoc {
    let payload = PaymentDetails {
        name: "АО «ЮТЭК»".into(),
        personal_acc: "40702810900000000001".into(),
        bank_name: "ПАО Сбербанк".into(),
        bic: "047102651".into(),
        corresp_acc: "30101810800000000651".into(),
        payee_inn: "8601000000".into(),
        kpp: "860101001".into(),
        sum: Kopecks(123_456),
        purpose: format!("Оплата электроэнергии, л/с {account}, период 11.2026"),
        last_name: "Иванов".into(),
        first_name: "Иван".into(),
        middle_name: "Иванович".into(),
        payer_address: "628462, г. Радужный, 1 мкр., д. 5, кв. 3".into(),
        pers_acc: account.into(),
        paym_period: "112026".into(),
    }
    .payload()
    .unwrap();
    InvoiceDoc {
        company: "АО «ЮТЭК»".into(),
        company_lines: vec!["Горячая линия 8-800-350-20-88, 8-3467-38-88-88".into()],
        title: "Счёт за электроэнергию за ноябрь 2026 г.".into(),
        account_number: account.into(),
        client_name: "Иванов Иван Иванович".into(),
        address: "628462, г. Радужный, 1 мкр., д. 5, кв. 3".into(),
        account_facts: "Проживает 2 чел., комнат 1".into(),
        lines: vec![
            InvoiceLineDoc {
                description: "Электроэнергия, зона «день»".into(),
                basis: "ПП 354 п. 42, формула 1: по показаниям прибора учёта".into(),
                volume: "120 кВт·ч".into(),
                rate: "3,44 ₽".into(),
                amount: "412,80 ₽".into(),
            },
            InvoiceLineDoc {
                description: "Перерасчёт".into(),
                basis: "ПП 354 п. 61: начисленное по среднему снято".into(),
                volume: "−100 кВт·ч".into(),
                rate: "".into(),
                amount: "−312,00 ₽".into(),
            },
        ],
        summary: vec![
            (
                "Задолженность на начало периода".into(),
                "1 000,00 ₽".into(),
            ),
            ("Начислено".into(), "100,80 ₽".into()),
            ("Оплачено".into(), "0,00 ₽".into()),
            ("Пени".into(), "133,76 ₽".into()),
            ("Итого к оплате".into(), "1 234,56 ₽".into()),
        ],
        due: "Оплатить до 15.12.2026".into(),
        requisites: vec!["Получатель: АО «ЮТЭК», ИНН 8601000000".into()],
        qr_payload: payload,
        notices: vec![WARNING.into()],
        announcement:
            "С 1 января 2027 г. меняются тарифы: подробности на сайте и в центрах обслуживания."
                .into(),
    }
}

fn tool(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what} is needed (scripts/test.sh installs it): {e}"));
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_qr_code_decodes_to_the_payload_and_the_text_is_there() {
    let d = doc("500000018");
    let pdf = invoice(&d).unwrap();
    // Full fonts would add ~1,4 MB; the rest is mostly the QR code's modules, which grew with
    // the payer's name, address and purpose in the payload.
    assert!(
        pdf.len() < 200_000,
        "subset fonts keep it small: {} bytes",
        pdf.len()
    );
    let dir = std::env::temp_dir().join(format!("abonent-invoice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("invoice.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let info = tool(
        Command::new("pdfinfo").arg(&path),
        "pdfinfo (poppler-utils)",
    );
    let title = format!("{} — {}", d.title, d.account_number);
    assert!(
        info.lines()
            .any(|l| l.starts_with("Title:") && l.ends_with(title.as_str())),
        "the title is readable Cyrillic: {info}"
    );
    assert_eq!(abonent_render::title_of(&pdf).unwrap(), title);
    tool(
        Command::new("pdftoppm")
            .args(["-r", "150", "-png", "-singlefile"])
            .arg(&path)
            .arg(dir.join("page")),
        "pdftoppm (poppler-utils)",
    );
    let decoded = tool(
        Command::new("zbarimg")
            .args(["-q", "--raw", "-Sbinary"])
            .arg(dir.join("page.png")),
        "zbarimg (zbar-tools)",
    );
    let decoded = decoded.trim_end_matches('\n');
    assert_eq!(decoded, d.qr_payload);
    let fields = parse_payload(decoded).unwrap();
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("Sum"), Some("123456"));
    assert_eq!(get("PersAcc"), Some("500000018"));
    assert_eq!(get("Name"), Some("АО «ЮТЭК»"));
    assert_eq!(get("TechCode"), Some("02"));
    // Every requisite the invoice prints is in the code: the purpose, the KPP, the payer.
    assert_eq!(
        get("Purpose"),
        Some("Оплата электроэнергии, л/с 500000018, период 11.2026")
    );
    assert_eq!(get("KPP"), Some("860101001"));
    assert_eq!(get("PayeeINN"), Some("8601000000"));
    assert_eq!(
        (get("LastName"), get("FirstName"), get("MiddleName")),
        (Some("Иванов"), Some("Иван"), Some("Иванович"))
    );
    assert_eq!(
        get("PayerAddress"),
        Some("628462, г. Радужный, 1 мкр., д. 5, кв. 3")
    );

    let raw = tool(Command::new("pdftotext").arg(&path).arg("-"), "pdftotext");
    // Units and signs are glued to their numbers and never start a line (pdftotext reads a
    // no-break space back as a space; the wrapping itself is tested in the crate at every width).
    for glued in ["9,5 %", "143 кВт·ч", "12 345,67 ₽", "№ 354"] {
        assert!(
            raw.lines()
                .any(|l| l.replace('\u{a0}', " ").contains(glued)),
            "{glued:?} split across lines:\n{raw}"
        );
    }
    for line in raw.lines() {
        for unit in ["₽", "%", "кВт·ч"] {
            assert!(!line.trim_start().starts_with(unit), "{unit} alone: {line}");
        }
    }
    // Every word inside the right margin (15 mm), the bold warning's included.
    let bbox = tool(
        Command::new("pdftotext").arg("-bbox").arg(&path).arg("-"),
        "pdftotext",
    );
    let right_edge_pt = (210.0 - 15.0) / 0.352_778;
    let mut words = 0;
    for w in bbox.split("<word ").skip(1) {
        let x_max: f64 = w
            .split("xMax=\"")
            .nth(1)
            .and_then(|v| v.split('"').next())
            .and_then(|v| v.parse().ok())
            .expect("xMax");
        let word = w.split('>').nth(1).unwrap_or("").trim_end_matches("</word");
        assert!(
            x_max <= right_edge_pt + 0.5,
            "«{word}» ends at {x_max:.1} pt, past the margin at {right_edge_pt:.1} pt"
        );
        words += 1;
    }
    assert!(words > 100, "{words} words read back");

    let text = raw.replace('\u{a0}', " ");
    for part in [
        "Счёт за электроэнергию за ноябрь 2026 г.",
        "Лицевой счёт № 500000018",
        "ПП 354 п. 42, формула 1",
        "ПП 354 п. 61",
        "Итого к оплате",
        "1 234,56 ₽",
        "Оплатить до 15.12.2026",
        "8-800-350-20-88",
        "ПРЕДУПРЕЖДЕНИЕ. Задолженность 12 345,67 ₽",
        "С 1 января 2027 г. меняются тарифы",
    ] {
        assert!(text.contains(part), "{part} missing in:\n{text}");
    }
    let fonts = tool(Command::new("pdffonts").arg(&path), "pdffonts");
    for line in fonts.lines().skip(2) {
        assert!(line.contains(" yes "), "every font embedded: {line}");
    }

    // A print batch: one page per invoice.
    let batch = invoices(&[doc("500000018"), doc("500000026")], "Радужный").unwrap();
    let path = dir.join("batch.pdf");
    std::fs::write(&path, &batch).unwrap();
    let text = tool(Command::new("pdftotext").arg(&path).arg("-"), "pdftotext");
    assert!(text.contains("500000026"));
    assert_eq!(text.matches('\u{c}').count(), 2, "two pages");
    if std::env::var_os("ABONENT_KEEP_OUTPUT").is_none() {
        std::fs::remove_dir_all(dir).ok();
    }
}
