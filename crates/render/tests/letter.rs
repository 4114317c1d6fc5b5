//! The answer letter read back by a real PDF reader (poppler's pdftotext and pdffonts, which
//! scripts/test.sh installs): the Russian text is there and the fonts are embedded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)] // tests: a failed unwrap is a failed test; scenarios read top to bottom

use std::process::Command;

use abonent_render::{answer_letter, AnswerLetter};

#[test]
fn answer_letter_carries_every_part_with_embedded_fonts() {
    let long = "Сообщаем, что по Вашему обращению проведена проверка прибора учёта. ".repeat(60);
    let pdf = answer_letter(&AnswerLetter {
        company: "АО «ЮТЭК»".into(),
        company_lines: vec![
            "628462, г. Радужный, 1 мкр., д. 20".into(),
            "Горячая линия 8-800-350-20-88".into(),
        ],
        recipient_name: "Иванову Ивану Ивановичу".into(),
        recipient_address: "628462, г. Радужный,\n1 мкр., д. 5, кв. 3".into(),
        reference: "На № 2026-000123 от 26.11.2026".into(),
        greeting: "Уважаемый Иван Иванович!".into(),
        body: format!("{long}\nПерерасчёт выполнен в ноябре."),
        signatory_position: "Руководитель Радужнинского отделения".into(),
        signatory_name: "П. А. Смирнов".into(),
        executor: "Исполнитель: Егорова Мария Ивановна, тел. 8 (34668) 4-12-34".into(),
    })
    .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let dir = tempfile_dir();
    let path = dir.join("letter.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is needed: scripts/test.sh installs it");
    let text = String::from_utf8(text.stdout).unwrap();
    // The document's title is readable Cyrillic in a viewer's properties (pdfinfo decodes it).
    let info = Command::new("pdfinfo")
        .arg(&path)
        .output()
        .expect("pdfinfo");
    let info = String::from_utf8(info.stdout).unwrap();
    assert!(
        info.lines().any(|l| l.starts_with("Title:")
            && l.ends_with("АО «ЮТЭК» — На № 2026-000123 от 26.11.2026")),
        "{info}"
    );
    assert_eq!(
        abonent_render::title_of(&pdf).unwrap(),
        "АО «ЮТЭК» — На № 2026-000123 от 26.11.2026"
    );
    for part in [
        "АО «ЮТЭК»",
        "Иванову Ивану Ивановичу",
        "На № 2026-000123 от 26.11.2026",
        "Перерасчёт выполнен в ноябре.",
        "Руководитель Радужнинского отделения",
        "П. А. Смирнов",
        "Егорова Мария Ивановна",
    ] {
        assert!(text.contains(part), "{part} missing in:\n{text}");
    }
    assert!(
        text.contains('\u{c}'),
        "a long answer flows onto a second page"
    );
    let fonts = Command::new("pdffonts").arg(&path).output().unwrap();
    let fonts = String::from_utf8(fonts.stdout).unwrap();
    assert!(fonts.contains("CID TrueType"), "{fonts}");
    for line in fonts.lines().skip(2) {
        assert!(line.contains(" yes "), "every font embedded: {line}");
    }
    std::fs::remove_dir_all(dir).ok();
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("abonent-render-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn one_greeting_long_company_lines_wrap_and_doubled_stops_are_single() {
    let pdf = answer_letter(&AnswerLetter {
        company: "Акционерное общество «Югорская территориальная энергетическая компания» (АО «ЮТЭК»)"
            .into(),
        company_lines: vec![
            "Радужнинское отделение, 628462, Ханты-Мансийский автономный округ — Югра, г. Радужный, 1 мкр., д. 20, каб. 101".into(),
        ],
        recipient_name: "Петровой Анне Сергеевне".into(),
        recipient_address: "628462, г. Радужный, 7 мкр., д. 34, кв. 118".into(),
        reference: "На № 2026-000124 от 27.11.2026".into(),
        greeting: "Уважаемый(ая) заявитель!".into(),
        body: "Уважаемая Анна Сергеевна!\nСообщаем, что перерасчёт выполнен.".into(),
        signatory_position: "Руководитель отделения".into(),
        signatory_name: "П. А. Смирнов.".into(),
        executor: "Исполнитель: Егорова М. И., тел. 8 (34668) 4-12-34".into(),
    })
    .unwrap();
    let dir = tempfile_dir();
    let path = dir.join("letter-greeting.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("Уважаем").count(), 1, "one greeting:\n{text}");
    assert!(
        text.contains("каб. 101"),
        "the long line is all there:\n{text}"
    );
    assert!(text.contains("8 (34668) 4-12-34"), "the phone as typed");
    assert!(!text.contains("Смирнов.."), "{text}");
    // Nothing is drawn past the right margin: every glyph box of the page lies inside it.
    let bbox = Command::new("pdftotext")
        .args(["-bbox"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext -bbox");
    let html = String::from_utf8(bbox.stdout).unwrap();
    let page_width: f32 = html
        .split("<page width=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .parse()
        .unwrap();
    for word in html.split("<word ").skip(1) {
        let x_max: f32 = word
            .split("xMax=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            x_max <= page_width - 15.0 * 72.0 / 25.4 + 1.0,
            "a word ends at {x_max} pt, past the 15 mm right margin of a {page_width} pt page"
        );
    }
}
