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

    /// Breaks a paragraph into lines no wider than `width` mm.
    pub(crate) fn wrap(&self, paragraph: &str, size_pt: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width_mm(&candidate, size_pt) <= width || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::take(&mut line));
                line = word.to_owned();
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }
}

/// Writes lines top to bottom, starting new pages as needed.
struct Writer<'a> {
    doc: &'a PdfDocumentReference,
    layer: PdfLayerReference,
    y: f32,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    metrics: Metrics,
}

impl Writer<'_> {
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
    };
    w.line(&l.company, 13.0, true, LEFT);
    for c in &l.company_lines {
        w.line(c, 9.0, false, LEFT);
    }
    w.gap(8.0);
    let right = PAGE_W / 2.0 + 5.0;
    w.line(&l.recipient_name, 11.0, false, right);
    for a in l.recipient_address.split('\n') {
        w.line(a, 11.0, false, right);
    }
    w.gap(6.0);
    w.line(&l.reference, 10.0, false, LEFT);
    w.gap(6.0);
    w.line(&l.greeting, 11.0, true, LEFT);
    w.gap(2.0);
    w.paragraph(&l.body, 11.0);
    w.gap(10.0);
    w.line(&l.signatory_position, 11.0, false, LEFT);
    let name_w = w.metrics.width_mm(&l.signatory_name, 11.0);
    w.line(&l.signatory_name, 11.0, false, PAGE_W - RIGHT - name_w);
    w.gap(12.0);
    w.line(&l.executor, 9.0, false, LEFT);
    drop(w);
    doc.save_to_bytes().map_err(|e| e.to_string())
}
