//! The invoice (BIL-05): company and contacts, the client and account, a line per charge with
//! the rule that produced it, the summary from the opening balance to the amount due, the due
//! date, the payee's requisites and the ГОСТ Р 56042-2014 payment QR code. One invoice per PDF,
//! or a print batch with one invoice per page for hand delivery.

use printpdf::path::PaintMode;
use printpdf::{Color, IndirectFontRef, Mm, PdfDocument, PdfLayerReference, Rect, Rgb};
use qrcode::EcLevel;

use crate::{Metrics, BOLD, PAGE_H, PAGE_W, PT_TO_MM, REGULAR};

/// One charge line, already formatted for people.
#[derive(Debug, Clone, Default)]
pub struct InvoiceLineDoc {
    /// «Электроэнергия по показаниям, зона «день»».
    pub description: String,
    /// «ПП 354 п. 42, формула 1: по показаниям прибора учёта: 120 кВт·ч».
    pub basis: String,
    pub volume: String,
    pub rate: String,
    pub amount: String,
}

/// Everything printed on one invoice, formatted.
#[derive(Debug, Clone, Default)]
pub struct InvoiceDoc {
    pub company: String,
    /// Address, hotline phones and hours, website — one line each.
    pub company_lines: Vec<String>,
    /// «Счёт за электроэнергию за ноябрь 2026 г.»
    pub title: String,
    pub account_number: String,
    pub client_name: String,
    pub address: String,
    /// «Проживает: 2 чел., комнат: 1, тариф: городское население».
    pub account_facts: String,
    pub lines: Vec<InvoiceLineDoc>,
    /// (label, amount): opening balance, charged, paid, penalties, to pay.
    pub summary: Vec<(String, String)>,
    /// «Оплатить до 15.12.2026».
    pub due: String,
    /// The payee's requisites, one line each.
    pub requisites: Vec<String>,
    /// The QR payload (`ST00012|…`); empty: no code (nothing to pay).
    pub qr_payload: String,
    /// Notices printed in bold under the summary (a restriction warning).
    pub notices: Vec<String>,
    /// The company's announcement to every client of the period (§10.2); empty: none.
    pub announcement: String,
}

const LEFT: f32 = 15.0;
const RIGHT: f32 = 15.0;
const TOP: f32 = 15.0;

struct Page<'a> {
    layer: PdfLayerReference,
    regular: &'a IndirectFontRef,
    bold: &'a IndirectFontRef,
    metrics: &'a Metrics,
    metrics_bold: &'a Metrics,
    y: f32,
}

impl Page<'_> {
    fn text(&self, text: &str, size: f32, bold: bool, x: f32, y: f32) {
        let font = if bold { self.bold } else { self.regular };
        self.layer.use_text(text, size, Mm(x), Mm(y), font);
    }

    fn line(&mut self, text: &str, size: f32, bold: bool) {
        self.y -= size * PT_TO_MM * 1.45;
        self.text(text, size, bold, LEFT, self.y);
    }

    /// Lines no wider than `width`, measured with the font they are printed in.
    fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let m = if bold {
            self.metrics_bold
        } else {
            self.metrics
        };
        m.wrap(text, size, width)
    }

    fn right(&self, text: &str, size: f32, bold: bool, right_edge: f32, y: f32) {
        let m = if bold {
            self.metrics_bold
        } else {
            self.metrics
        };
        let w = m.width_mm(text, size);
        self.text(text, size, bold, right_edge - w, y);
    }

    fn rule(&self, y: f32) {
        self.layer
            .set_fill_color(Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)));
        self.layer.add_rect(
            Rect::new(Mm(LEFT), Mm(y), Mm(PAGE_W - RIGHT), Mm(y + 0.2)).with_mode(PaintMode::Fill),
        );
    }

    /// Draws the QR code with its lower left corner at (x, y), `size` mm wide with the quiet
    /// zone; dark modules of a row are merged into runs.
    fn qr(&self, payload: &str, x: f32, y: f32, size: f32) -> Result<(), String> {
        let (colors, n) = qr_modules(payload)?;
        let quiet = 4;
        let m = size / (n + 2 * quiet) as f32;
        self.layer
            .set_fill_color(Color::Rgb(Rgb::new(0.0, 0.0, 0.0, None)));
        for row in 0..n {
            let mut col = 0;
            while col < n {
                if colors[row * n + col] == qrcode::Color::Dark {
                    let start = col;
                    while col < n && colors[row * n + col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    let x0 = x + (quiet + start) as f32 * m;
                    let x1 = x + (quiet + col) as f32 * m;
                    let y1 = y + size - (quiet + row) as f32 * m;
                    self.layer.add_rect(
                        Rect::new(Mm(x0), Mm(y1 - m), Mm(x1), Mm(y1)).with_mode(PaintMode::Fill),
                    );
                } else {
                    col += 1;
                }
            }
        }
        Ok(())
    }
}

/// The QR code's modules (dark or light, row by row) and its width, error correction level M.
/// The mask is fixed (pattern 000) instead of scoring all eight: the scoring was a quarter of an
/// invoice's rendering time, and every mask is valid for a reader (ISO/IEC 18004); the test
/// decodes the rendered code with zbar.
fn qr_modules(payload: &str) -> Result<(Vec<qrcode::Color>, usize), String> {
    use qrcode::canvas::{Canvas, MaskPattern};
    let bits =
        qrcode::bits::encode_auto(payload.as_bytes(), EcLevel::M).map_err(|e| e.to_string())?;
    let version = bits.version();
    let data = bits.into_bytes();
    let (encoded, ec) =
        qrcode::ec::construct_codewords(&data, version, EcLevel::M).map_err(|e| e.to_string())?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&encoded, &ec);
    canvas.apply_mask(MaskPattern::Checkerboard);
    Ok((canvas.into_colors(), version.width() as usize))
}

fn draw(doc: &InvoiceDoc, mut page: Page<'_>) -> Result<(), String> {
    let width = PAGE_W - LEFT - RIGHT;
    page.y = PAGE_H - TOP;
    for l in page.wrap(&doc.company, 11.0, true, width) {
        page.line(&l, 11.0, true);
    }
    for c in &doc.company_lines {
        for l in page.wrap(c, 8.0, false, width) {
            page.line(&l, 8.0, false);
        }
    }
    page.y -= 4.0;
    for l in page.wrap(&doc.title, 13.0, true, width) {
        page.line(&l, 13.0, true);
    }
    page.y -= 1.0;
    page.line(
        &format!("Лицевой счёт № {}", doc.account_number),
        11.0,
        true,
    );
    page.line(&doc.client_name, 10.0, false);
    for l in page.wrap(&doc.address, 10.0, false, width) {
        page.line(&l, 10.0, false);
    }
    page.line(&doc.account_facts, 8.0, false);
    page.y -= 3.0;

    // The lines: description and basis on the left, volume, rate and amount on the right.
    let (c_vol, c_rate, c_sum) = (PAGE_W - RIGHT - 62.0, PAGE_W - RIGHT - 30.0, PAGE_W - RIGHT);
    let desc_w = c_vol - 22.0 - LEFT;
    page.y -= 8.0 * PT_TO_MM * 1.45;
    page.text("Начисление и основание", 8.0, true, LEFT, page.y);
    page.right("Объём", 8.0, true, c_vol, page.y);
    page.right("Тариф", 8.0, true, c_rate, page.y);
    page.right("Сумма", 8.0, true, c_sum, page.y);
    page.rule(page.y - 1.5);
    page.y -= 1.5;
    for l in &doc.lines {
        page.y -= 9.0 * PT_TO_MM * 1.45;
        let y = page.y;
        let mut first = true;
        for part in page.wrap(&l.description, 9.0, false, desc_w) {
            if !first {
                page.y -= 9.0 * PT_TO_MM * 1.45;
            }
            page.text(&part, 9.0, false, LEFT, page.y);
            first = false;
        }
        page.right(&l.volume, 9.0, false, c_vol, y);
        page.right(&l.rate, 9.0, false, c_rate, y);
        page.right(&l.amount, 9.0, false, c_sum, y);
        for part in page.wrap(&l.basis, 7.0, false, desc_w + 20.0) {
            page.y -= 7.0 * PT_TO_MM * 1.45;
            page.text(&part, 7.0, false, LEFT + 3.0, page.y);
        }
    }
    page.rule(page.y - 1.5);
    page.y -= 2.0;
    for (label, amount) in &doc.summary {
        let last = Some(label) == doc.summary.last().map(|s| &s.0);
        let size = if last { 11.0 } else { 9.0 };
        page.y -= size * PT_TO_MM * 1.5;
        page.right(label, size, last, c_rate, page.y);
        page.right(amount, size, last, c_sum, page.y);
    }
    page.y -= 2.0;
    page.line(&doc.due, 11.0, true);
    for n in &doc.notices {
        page.y -= 1.0;
        for l in page.wrap(n, 9.0, true, width) {
            page.line(&l, 9.0, true);
        }
    }
    if !doc.announcement.is_empty() {
        page.y -= 1.0;
        for l in page.wrap(&doc.announcement, 9.0, false, width) {
            page.line(&l, 9.0, false);
        }
    }

    // The payment block: the QR code and the requisites beside it.
    page.y -= 6.0;
    let qr_size = 42.0;
    let top = page.y;
    if !doc.qr_payload.is_empty() {
        page.qr(&doc.qr_payload, LEFT, top - qr_size, qr_size)?;
        page.text(
            "Оплата по QR-коду в приложении банка",
            7.0,
            false,
            LEFT + 2.0,
            top - qr_size - 3.0,
        );
    }
    let x = LEFT + qr_size + 5.0;
    let mut y = top - 4.0;
    page.text("Реквизиты для оплаты", 9.0, true, x, y);
    for r in &doc.requisites {
        for l in page.wrap(r, 8.0, false, PAGE_W - RIGHT - x) {
            y -= 8.0 * PT_TO_MM * 1.45;
            page.text(&l, 8.0, false, x, y);
        }
    }
    Ok(())
}

fn render(docs: &[InvoiceDoc], title: &str) -> Result<Vec<u8>, String> {
    if docs.is_empty() {
        return Err("no invoices".into());
    }
    let (pdf, first_page, first_layer) = PdfDocument::new(title, Mm(PAGE_W), Mm(PAGE_H), "invoice");
    let regular = pdf.add_external_font(REGULAR).map_err(|e| e.to_string())?;
    let bold = pdf.add_external_font(BOLD).map_err(|e| e.to_string())?;
    let metrics = Metrics::new(REGULAR)?;
    let metrics_bold = Metrics::new(BOLD)?;
    for (i, d) in docs.iter().enumerate() {
        let layer = if i == 0 {
            pdf.get_page(first_page).get_layer(first_layer)
        } else {
            let (p, l) = pdf.add_page(Mm(PAGE_W), Mm(PAGE_H), "invoice");
            pdf.get_page(p).get_layer(l)
        };
        draw(
            d,
            Page {
                layer,
                regular: &regular,
                bold: &bold,
                metrics: &metrics,
                metrics_bold: &metrics_bold,
                y: 0.0,
            },
        )?;
    }
    let bytes = pdf.save_to_bytes().map_err(|e| e.to_string())?;
    crate::with_title(bytes, title)
}

/// One invoice as a PDF.
pub fn invoice(doc: &InvoiceDoc) -> Result<Vec<u8>, String> {
    render(
        std::slice::from_ref(doc),
        &format!("{} — {}", doc.title, doc.account_number),
    )
}

/// A print batch: one invoice per page (hand delivery by route or district).
pub fn invoices(docs: &[InvoiceDoc], title: &str) -> Result<Vec<u8>, String> {
    render(docs, title)
}
