//! An invoice as a PDF (A4), drawn with printpdf in DejaVu Sans embedded in the binary and
//! subset into each file, so the text is real text (searchable, extractable) and no system
//! font or tool is needed. Rendered once, when the invoice is finalized, and stored.

use crate::dto::billing::{format_money, invoice_number_label, period_label, rate_label, InvoiceStatus, InvoiceView};
use crate::error::CoreError;
use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rgb, TextItem,
};
use std::sync::OnceLock;

const REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 in points, and the margins.
const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 50.0;
const RIGHT: f32 = WIDTH - 50.0;
const BOTTOM: f32 = 70.0;

fn fonts() -> Result<&'static (ParsedFont, ParsedFont), CoreError> {
    static FONTS: OnceLock<Option<(ParsedFont, ParsedFont)>> = OnceLock::new();
    FONTS
        .get_or_init(|| Some((ParsedFont::from_bytes(REGULAR, 0, &mut Vec::new())?, ParsedFont::from_bytes(BOLD, 0, &mut Vec::new())?)))
        .as_ref()
        .ok_or_else(|| CoreError::Internal("the invoice font could not be read".into()))
}

/// Lays out text on pages, top to bottom.
struct Writer<'a> {
    fonts: &'a (ParsedFont, ParsedFont),
    ids: (FontId, FontId),
    pages: Vec<Vec<Op>>,
    ops: Vec<Op>,
    /// The baseline of the next line, from the bottom.
    y: f32,
}

impl Writer<'_> {
    fn width(&self, s: &str, size: f32, bold: bool) -> f32 {
        let f = if bold { &self.fonts.1 } else { &self.fonts.0 };
        let units: u32 = s
            .chars()
            .map(|c| f.lookup_glyph_index(c as u32).and_then(|g| f.get_glyph_width(g)).map(u32::from).unwrap_or(u32::from(f.units_per_em) / 2))
            .sum();
        units as f32 * size / f32::from(f.units_per_em.max(1))
    }

    fn text(&mut self, x: f32, size: f32, bold: bool, s: &str) {
        let font = if bold { self.ids.1.clone() } else { self.ids.0.clone() };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont { font: PdfFontHandle::External(font), size: Pt(size) },
            Op::SetTextCursor { pos: Point { x: Pt(x), y: Pt(self.y) } },
            Op::ShowText { items: vec![TextItem::Text(s.to_owned())] },
            Op::EndTextSection,
        ]);
    }

    fn text_right(&mut self, right: f32, size: f32, bold: bool, s: &str) {
        let w = self.width(s, size, bold);
        self.text(right - w, size, bold, s);
    }

    fn colour(&mut self, r: f32, g: f32, b: f32) {
        self.ops.push(Op::SetFillColor { col: Color::Rgb(Rgb::new(r, g, b, None)) });
    }

    fn rule(&mut self, y: f32) {
        self.ops.push(Op::SetOutlineColor { col: Color::Rgb(Rgb::new(0.75, 0.75, 0.75, None)) });
        self.ops.push(Op::SetOutlineThickness { pt: Pt(0.6) });
        let p = |x: f32| LinePoint { p: Point { x: Pt(x), y: Pt(y) }, bezier: false };
        self.ops.push(Op::DrawLine { line: Line { points: vec![p(LEFT), p(RIGHT)], is_closed: false } });
    }

    /// Moves down `by` points, starting a new page when the bottom is reached.
    fn down(&mut self, by: f32) {
        self.y -= by;
        if self.y < BOTTOM {
            let ops = std::mem::take(&mut self.ops);
            self.pages.push(ops);
            self.y = HEIGHT - 60.0;
        }
    }

    /// Splits `s` into lines at most `max` points wide (at word breaks where it can).
    fn wrap(&self, s: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in s.split_whitespace() {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if self.width(&candidate, size, false) <= max || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }
}

/// The invoice's PDF.
pub fn render_invoice(v: &InvoiceView) -> Result<Vec<u8>, CoreError> {
    let fonts = fonts()?;
    let title = v.title();
    let mut doc = PdfDocument::new(&title);
    let ids = (doc.add_font(&fonts.0), doc.add_font(&fonts.1));
    let mut w = Writer { fonts, ids: ids.clone(), pages: Vec::new(), ops: Vec::new(), y: HEIGHT - 70.0 };
    let money = |m: i64| format_money(m, &v.currency);
    let date = |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.format("%d %b %Y").to_string()).unwrap_or_else(|| "—".into());

    // The issuer on the left, the invoice's number and dates on the right.
    w.colour(0.1, 0.1, 0.1);
    let issuer: Vec<&str> = v.issuer.split(", ").collect();
    w.text(LEFT, 15.0, true, issuer.first().copied().unwrap_or(""));
    w.text_right(RIGHT, 20.0, true, "INVOICE");
    w.down(20.0);
    let number = v.number.map(invoice_number_label).unwrap_or_else(|| "Draft".into());
    let facts = [
        ("Number", number),
        ("Period", period_label(&v.period)),
        ("Issued", date(v.issued_at)),
        ("Due", date(v.due_at)),
    ];
    let top = w.y;
    for part in issuer.iter().skip(1) {
        w.text(LEFT, 9.5, false, part);
        w.down(13.0);
    }
    let after_issuer = w.y;
    w.y = top;
    for (label, value) in &facts {
        w.text_right(RIGHT - 110.0, 9.5, false, label);
        w.text_right(RIGHT, 9.5, true, value);
        w.down(14.0);
    }
    w.y = w.y.min(after_issuer) - 16.0;

    // Who it is for.
    w.text(LEFT, 8.5, true, "BILL TO");
    w.down(14.0);
    w.text(LEFT, 11.0, true, &v.bill_to.name);
    w.down(14.0);
    let mut to: Vec<String> = v.bill_to.address.iter().flat_map(|a| a.lines().map(str::to_owned).collect::<Vec<_>>()).collect();
    to.extend(v.bill_to.email.clone());
    to.extend(v.bill_to.tax_id.as_ref().map(|t| format!("Tax ID: {t}")));
    for l in to {
        w.text(LEFT, 9.5, false, &l);
        w.down(13.0);
    }
    if v.team_name != v.bill_to.name {
        w.text(LEFT, 9.5, false, &format!("Team: {}", v.team_name));
        w.down(13.0);
    }
    w.down(16.0);

    // The lines.
    let (qty_x, tax_x, amount_x) = (RIGHT - 190.0, RIGHT - 100.0, RIGHT);
    let desc_width = qty_x - LEFT - 60.0;
    w.text(LEFT, 8.5, true, "DESCRIPTION");
    w.text_right(qty_x, 8.5, true, "QTY");
    w.text_right(tax_x, 8.5, true, "TAX");
    w.text_right(amount_x, 8.5, true, "AMOUNT");
    w.rule(w.y - 6.0);
    w.down(22.0);
    for l in &v.lines {
        let wrapped = w.wrap(&l.description, 10.0, desc_width);
        w.text_right(qty_x, 10.0, false, &crate::dto::thousands(l.quantity));
        w.text_right(tax_x, 10.0, false, &rate_label(l.tax_rate_bp));
        w.text_right(amount_x, 10.0, false, &money(l.amount_minor));
        for (i, part) in wrapped.iter().enumerate() {
            if i > 0 {
                w.down(13.0);
            }
            w.text(LEFT, 10.0, false, part);
        }
        w.rule(w.y - 7.0);
        w.down(22.0);
    }

    // The totals.
    w.down(4.0);
    for (label, value, bold) in [("Subtotal", money(v.subtotal_minor), false), ("Tax", money(v.tax_minor), false), ("Total", money(v.total_minor), true)] {
        let size = if bold { 12.0 } else { 10.0 };
        w.text_right(tax_x, size, bold, label);
        w.text_right(amount_x, size, bold, &value);
        w.down(if bold { 20.0 } else { 15.0 });
    }
    w.down(10.0);
    match v.status {
        InvoiceStatus::Void => {
            w.colour(0.7, 0.1, 0.1);
            w.text(LEFT, 12.0, true, &format!("VOID{}", v.void_reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default()));
            w.colour(0.1, 0.1, 0.1);
        }
        InvoiceStatus::Paid => w.text(LEFT, 12.0, true, &format!("PAID on {}", date(v.paid_at))),
        _ => {
            let pay = format!("Please pay {} by {}, quoting {}.", money(v.total_minor), date(v.due_at), v.number_label());
            w.text(LEFT, 10.0, false, &pay);
        }
    }
    if let Some(n) = v.replaces {
        w.down(15.0);
        w.text(LEFT, 9.5, false, &format!("This invoice replaces {}, which is void.", invoice_number_label(n)));
    }

    w.pages.push(std::mem::take(&mut w.ops));
    let count = w.pages.len();
    let pages = w
        .pages
        .into_iter()
        .enumerate()
        .map(|(i, mut ops)| {
            if count > 1 {
                let label = format!("{} · page {} of {count}", v.number_label(), i + 1);
                ops.extend([
                    Op::StartTextSection,
                    Op::SetFont { font: PdfFontHandle::External(ids.0.clone()), size: Pt(8.0) },
                    Op::SetTextCursor { pos: Point { x: Pt(LEFT), y: Pt(36.0) } },
                    Op::ShowText { items: vec![TextItem::Text(label)] },
                    Op::EndTextSection,
                ]);
            }
            PdfPage::new(Mm(210.0), Mm(297.0), ops)
        })
        .collect();
    Ok(doc.with_pages(pages).save(&PdfSaveOptions::default(), &mut Vec::new()))
}
