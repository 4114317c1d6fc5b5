//! Documents (ARCHITECTURE "Jobs, mail, documents"): PDF with the DejaVu fonts embedded, so a
//! letter or an invoice prints the same on every machine and its Cyrillic text can be searched
//! and copied. The fonts are DejaVu Sans cut to the characters Russian documents use
//! (`scripts/subset-fonts.sh`): ~33 KB per font instead of ~700 KB in every PDF.

mod invoice;

pub use invoice::{invoice, invoices, InvoiceDoc, InvoiceLineDoc};

use printpdf::{IndirectFontRef, Mm, PdfDocument, PdfDocumentReference, PdfLayerReference};

/// DejaVu Sans, regular and bold, Latin + Cyrillic subset.
pub(crate) const REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans-ru.ttf");
pub(crate) const BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold-ru.ttf");

/// An answer letter for post (APL-05, §7.2.5): who writes, to whom, the substance, the executor
/// with phone, and the signature of an authorised official.
#[derive(Debug, Clone, Default)]
pub struct AnswerLetter {
    /// «АО «ЮТЭК»».
    pub company: String,
    /// Address and phones of the company, one line each.
    pub company_lines: Vec<String>,
    pub recipient_name: String,
    pub recipient_address: String,
    /// «На № 2026-000123 от 26.11.2026».
    pub reference: String,
    /// «Уважаемый(ая) Иван Иванович!».
    pub greeting: String,
    pub body: String,
    pub signatory_position: String,
    pub signatory_name: String,
    /// «Исполнитель: Егорова Мария Ивановна, тел. 8 (34668) 4-12-34».
    pub executor: String,
}

pub(crate) const PAGE_W: f32 = 210.0;
pub(crate) const PAGE_H: f32 = 297.0;
const LEFT: f32 = 25.0;
const RIGHT: f32 = 15.0;
const TOP: f32 = 20.0;
const BOTTOM: f32 = 20.0;
pub(crate) const PT_TO_MM: f32 = 0.352_778;

/// Text width measured from the font's own advances.
pub(crate) struct Metrics {
    face: ttf_parser::Face<'static>,
}

impl Metrics {
    pub(crate) fn new(bytes: &'static [u8]) -> Result<Self, String> {
        Ok(Self {
            face: ttf_parser::Face::parse(bytes, 0).map_err(|e| e.to_string())?,
        })
    }

    pub(crate) fn width_mm(&self, text: &str, size_pt: f32) -> f32 {
        let upem = f32::from(self.face.units_per_em());
        let units: u32 = text
            .chars()
            .map(|c| {
                self.face
                    .glyph_index(c)
                    .and_then(|g| self.face.glyph_hor_advance(g))
                    .map_or(upem as u32 / 2, u32::from)
            })
            .sum();
        units as f32 / upem * size_pt * PT_TO_MM
    }

    /// Breaks a paragraph into lines no wider than `width` mm, measured with this font (a bold
    /// line is measured with the bold font's metrics). Lines break only at ordinary spaces:
    /// never at a no-break space, so a unit or a sign stays with its number ([`glue`] puts the
    /// no-break spaces in); a word wider than a line is cut between characters.
    pub(crate) fn wrap(&self, paragraph: &str, size_pt: f32, width: f32) -> Vec<String> {
        let glued = glue(paragraph);
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in glued.split(is_break).filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width_mm(&candidate, size_pt) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone: cut it if it is wider than a line.
            for c in word.chars() {
                line.push(c);
                if line.chars().count() > 1 && self.width_mm(&line, size_pt) > width {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }
}

/// Whether an answer's text opens with its own greeting («Уважаемый Иван Иванович!»).
pub fn starts_with_greeting(body: &str) -> bool {
    let first = body.trim_start().to_lowercase();
    ["уважаем", "здравствуйте", "добрый день"]
        .iter()
        .any(|g| first.starts_with(g))
}

/// Punctuation doubled where texts were joined (initials «И. И.» before a full stop: «И. И..»;
/// «,,») made single; an ellipsis «...» stays, «мкр., д.» is untouched.
pub fn tidy(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '.' && chars.get(i + 1) == Some(&'.') {
            let run = chars[i..].iter().take_while(|&&x| x == '.').count();
            out.push_str(if run >= 3 { "..." } else { "." });
            i += run;
            continue;
        }
        if c == ',' && out.ends_with(',') {
            i += 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Where a line may break: ordinary white space, not the no-break ones.
fn is_break(c: char) -> bool {
    c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{202f}' | '\u{2007}' | '\u{2060}')
}

/// Units and signs that follow their number (ГОСТ Р 7.0.97 / typesetting practice: never left
/// alone at the start of a line).
const UNITS_AFTER: [&str; 7] = ["₽", "%", "кВт·ч", "кВт", "руб.", "коп.", "чел."];
/// Signs and abbreviations that precede their number (№ 354, п. 42, ст. 155, ч. 14).
const SIGNS_BEFORE: [&str; 6] = ["№", "п.", "пп.", "ст.", "ч.", "ПП"];

/// Replaces the ordinary space between a number and its unit or sign with a no-break space, so
/// «12 345,67 ₽», «9,5 %», «143 кВт·ч» and «№ 354» are never split across lines.
pub(crate) fn glue(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out = String::with_capacity(text.len());
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            let prev = words[i - 1];
            let after_number = prev.ends_with(|c: char| c.is_ascii_digit())
                && UNITS_AFTER.iter().any(|u| {
                    w.strip_prefix(u)
                        .is_some_and(|rest| rest.chars().all(|c| ",.;:!?)»".contains(c)))
                });
            let before_number = SIGNS_BEFORE
                .iter()
                .any(|s| prev.trim_start_matches(['(', '«']) == *s)
                && w.starts_with(|c: char| c.is_ascii_digit());
            out.push(if after_number || before_number {
                '\u{a0}'
            } else {
                ' '
            });
        }
        out.push_str(w);
    }
    out
}

/// Writes lines top to bottom, starting new pages as needed.
struct Writer<'a> {
    doc: &'a PdfDocumentReference,
    layer: PdfLayerReference,
    y: f32,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    metrics: Metrics,
    metrics_bold: Metrics,
}

impl Writer<'_> {
    /// A line of text from `x`, wrapped (with the metrics of its font) so that nothing passes
    /// the right margin.
    fn wrapped(&mut self, text: &str, size: f32, bold: bool, x: f32) {
        let width = PAGE_W - RIGHT - x;
        let lines = if bold {
            self.metrics_bold.wrap(text, size, width)
        } else {
            self.metrics.wrap(text, size, width)
        };
        for l in lines {
            self.line(&l, size, bold, x);
        }
    }

    fn line(&mut self, text: &str, size: f32, bold: bool, x: f32) {
        let step = size * PT_TO_MM * 1.45;
        if self.y - step < BOTTOM {
            let (p, l) = self.doc.add_page(Mm(PAGE_W), Mm(PAGE_H), "text");
            self.layer = self.doc.get_page(p).get_layer(l);
            self.y = PAGE_H - TOP;
        }
        self.y -= step;
        let font = if bold { &self.bold } else { &self.regular };
        self.layer.use_text(text, size, Mm(x), Mm(self.y), font);
    }

    fn paragraph(&mut self, text: &str, size: f32) {
        let width = PAGE_W - LEFT - RIGHT;
        for p in text.split('\n') {
            for l in self.metrics.wrap(p, size, width) {
                self.line(&l, size, false, LEFT);
            }
        }
    }

    fn gap(&mut self, mm: f32) {
        self.y -= mm;
    }
}

/// Renders the letter as a PDF.
pub fn answer_letter(l: &AnswerLetter) -> Result<Vec<u8>, String> {
    let (doc, page, layer) = PdfDocument::new(
        format!("{} — {}", l.company, l.reference),
        Mm(PAGE_W),
        Mm(PAGE_H),
        "text",
    );
    let regular = doc.add_external_font(REGULAR).map_err(|e| e.to_string())?;
    let bold = doc.add_external_font(BOLD).map_err(|e| e.to_string())?;
    let mut w = Writer {
        layer: doc.get_page(page).get_layer(layer),
        doc: &doc,
        y: PAGE_H - TOP,
        regular,
        bold,
        metrics: Metrics::new(REGULAR)?,
        metrics_bold: Metrics::new(BOLD)?,
    };
    w.wrapped(&tidy(&l.company), 13.0, true, LEFT);
    for c in &l.company_lines {
        w.wrapped(&tidy(c), 9.0, false, LEFT);
    }
    w.gap(8.0);
    let right = PAGE_W / 2.0 + 5.0;
    w.wrapped(&tidy(&l.recipient_name), 11.0, false, right);
    for a in l.recipient_address.split('\n') {
        w.wrapped(&tidy(a), 11.0, false, right);
    }
    w.gap(6.0);
    w.wrapped(&tidy(&l.reference), 10.0, false, LEFT);
    w.gap(6.0);
    // One greeting: ours is left out when the answer's text begins with its own.
    let doubled = starts_with_greeting(&l.greeting) && starts_with_greeting(&l.body);
    if !l.greeting.trim().is_empty() && !doubled {
        w.wrapped(&tidy(&l.greeting), 11.0, true, LEFT);
        w.gap(2.0);
    }
    w.paragraph(&tidy(&l.body), 11.0);
    w.gap(10.0);
    w.wrapped(&tidy(&l.signatory_position), 11.0, false, LEFT);
    let name = tidy(&l.signatory_name);
    let name_w = w.metrics.width_mm(&name, 11.0);
    w.line(&name, 11.0, false, (PAGE_W - RIGHT - name_w).max(LEFT));
    w.gap(12.0);
    w.wrapped(&tidy(&l.executor), 9.0, false, LEFT);
    drop(w);
    let bytes = doc.save_to_bytes().map_err(|e| e.to_string())?;
    with_title(bytes, &format!("{} — {}", l.company, l.reference))
}

/// The PDF with its document title (what a viewer shows in its title bar and in the document's
/// properties) in UTF-16, as PDF wants non-Latin text: printpdf writes the title's UTF-8 bytes,
/// which viewers read as Latin-1 mojibake.
pub fn with_title(pdf: Vec<u8>, title: &str) -> Result<Vec<u8>, String> {
    let mut doc = lopdf::Document::load_mem(&pdf).map_err(|e| e.to_string())?;
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference)
        .map_err(|e| e.to_string())?;
    let utf16: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(title.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    doc.get_object_mut(info)
        .and_then(lopdf::Object::as_dict_mut)
        .map_err(|e| e.to_string())?
        .set(
            "Title",
            lopdf::Object::String(utf16, lopdf::StringFormat::Hexadecimal),
        );
    let mut out = Vec::with_capacity(pdf.len());
    doc.save_to(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// The document title of a PDF, decoded (UTF-16 with its byte-order mark, or Latin-1).
pub fn title_of(pdf: &[u8]) -> Result<String, String> {
    let doc = lopdf::Document::load_mem(pdf).map_err(|e| e.to_string())?;
    let info = doc
        .trailer
        .get(b"Info")
        .and_then(lopdf::Object::as_reference)
        .and_then(|id| doc.get_dictionary(id))
        .map_err(|e| e.to_string())?;
    let raw = info
        .get(b"Title")
        .and_then(lopdf::Object::as_str)
        .map_err(|e| e.to_string())?;
    Ok(match raw {
        [0xFE, 0xFF, rest @ ..] => String::from_utf16_lossy(
            &rest
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        ),
        other => other.iter().map(|&b| char::from(b)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WARNING: &str = "ПРЕДУПРЕЖДЕНИЕ. Задолженность 12\u{a0}345,67\u{a0}₽ превышает сумму двух месячных начислений по нормативу. Если её не погасить до 21 декабря 2026 г. включительно, предоставление коммунальной услуги по электроснабжению будет ограничено, а затем приостановлено (ПП РФ № 354, пп. 117–119). Ставка 9,5 % за 143 кВт·ч.";

    #[test]
    fn doubled_punctuation_is_made_single_and_one_greeting_is_kept() {
        assert_eq!(tidy("Смирнов П. А.."), "Смирнов П. А.");
        assert_eq!(tidy("Иванова И.И., тел. 8,, 9"), "Иванова И.И., тел. 8, 9");
        assert_eq!(
            tidy("г. Радужный, 7 мкр., д. 34"),
            "г. Радужный, 7 мкр., д. 34"
        );
        assert_eq!(tidy("Итак..."), "Итак...");
        assert!(starts_with_greeting("  Уважаемый Иван Иванович!\nСообщаем"));
        assert!(!starts_with_greeting("Сообщаем, что"));
    }

    #[test]
    fn a_bold_paragraph_wrapped_with_the_bold_metrics_stays_inside_the_margin() {
        let regular = Metrics::new(REGULAR).unwrap();
        let bold = Metrics::new(BOLD).unwrap();
        let width = 180.0;
        let lines = bold.wrap(WARNING, 9.0, width);
        assert!(lines.len() > 1);
        for l in &lines {
            let w = bold.width_mm(l, 9.0);
            assert!(w <= width, "{w} mm > {width} mm: {l}");
        }
        // Measured with the regular font's metrics the same text would overflow in bold: the
        // bold face is wider, which is what the invoice got wrong.
        let overflow = regular
            .wrap(WARNING, 9.0, width)
            .iter()
            .any(|l| bold.width_mm(l, 9.0) > width);
        assert!(overflow, "the example must tell the two metrics apart");
        assert_eq!(
            lines.join(" ").replace('\u{a0}', " "),
            glue(WARNING).replace('\u{a0}', " "),
            "no word lost"
        );
    }

    #[test]
    fn units_and_signs_stay_with_their_numbers_at_every_width() {
        let bold = Metrics::new(BOLD).unwrap();
        assert_eq!(
            glue("долг 1 234,56 ₽, ставка 9,5 %, объём 120 кВт·ч; ПП РФ № 354, пп. 117–119"),
            "долг 1 234,56\u{a0}₽, ставка 9,5\u{a0}%, объём 120\u{a0}кВт·ч; ПП РФ №\u{a0}354, пп.\u{a0}117–119"
        );
        assert_eq!(glue("ч. 14 и 5 рублей"), "ч.\u{a0}14 и 5 рублей");
        for tenth_mm in 300..1800 {
            let width = tenth_mm as f32 / 10.0;
            for l in bold.wrap(WARNING, 9.0, width) {
                for unit in UNITS_AFTER {
                    assert!(
                        !l.starts_with(unit),
                        "{width} mm: a line starts with {unit}: {l}"
                    );
                }
                for sign in SIGNS_BEFORE {
                    assert!(
                        !l.ends_with(&format!(" {sign}")),
                        "{width} mm: {sign} alone: {l}"
                    );
                }
                assert!(
                    !l.starts_with("345,67"),
                    "{width} mm: the amount split: {l}"
                );
                assert!(bold.width_mm(&l, 9.0) <= width, "{width} mm: {l}");
            }
        }
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut() {
        let m = Metrics::new(REGULAR).unwrap();
        let lines = m.wrap(
            "см. https://example.org/очень/длинный/адрес/страницы",
            10.0,
            30.0,
        );
        assert!(lines.len() > 2, "{lines:?}");
        for l in &lines {
            assert!(m.width_mm(l, 10.0) <= 30.0, "{l}");
        }
        assert_eq!(m.wrap("", 10.0, 30.0), vec![String::new()]);
    }
}
