//! The inventory as a PDF: A4, DejaVu Sans embedded for Cyrillic, a table that wraps its
//! cells and continues over pages with its header repeated.

use krilla::{
    Document,
    geom::{PathBuilder, Point},
    page::PageSettings,
    paint::Stroke,
    surface::Surface,
    text::{Font, TextDirection},
};

use super::Inventory;

static REGULAR: &[u8] = include_bytes!("../../static/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../static/fonts/DejaVuSans-Bold.ttf");

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 40.0;
const BODY_SIZE: f32 = 8.5;
const LINE: f32 = 11.0;
const PADDING: f32 = 3.0;
/// A cell longer than this many lines ends with «…»: every row fits on a page.
const MAX_CELL_LINES: usize = 40;

/// The table's columns: heading and width in points; the widths fill the page's width.
const COLUMNS: [(&str, f32); 6] = [
    ("№", 24.0),
    ("Наименование", 150.0),
    ("Раздел", 110.0),
    ("Размер", 50.0),
    ("Подписи", 121.0),
    ("Дата", 60.0),
];

/// A font together with what is needed to measure text in it.
struct Face {
    font: Font,
    face: ttf_parser::Face<'static>,
}

impl Face {
    fn load(bytes: &'static [u8]) -> anyhow::Result<Self> {
        let font = Font::new(bytes.into(), 0).ok_or_else(|| anyhow::anyhow!("font not read"))?;
        let face = ttf_parser::Face::parse(bytes, 0)?;
        Ok(Self { font, face })
    }

    /// The width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| {
                self.face
                    .glyph_index(c)
                    .and_then(|g| self.face.glyph_hor_advance(g))
                    .map_or(0, u32::from)
            })
            .sum();
        units as f32 * size / f32::from(self.face.units_per_em())
    }

    /// Breaks `text` into lines no wider than `width`: at spaces where it can, inside a word
    /// where a word alone is too wide.
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                line.push(c);
                if self.width(&line, size) > width && line.chars().count() > 1 {
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

/// Where the next thing goes on the current page.
struct Cursor<'a> {
    regular: &'a Face,
    bold: &'a Face,
    y: f32,
}

impl Cursor<'_> {
    fn text(&mut self, surface: &mut Surface<'_>, face: &Face, size: f32, x: f32, text: &str) {
        surface.draw_text(
            Point::from_xy(x, self.y),
            face.font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    /// A table row of wrapped cells with its borders; `cells` in column order.
    fn row(&mut self, surface: &mut Surface<'_>, face: &Face, cells: &[Vec<String>]) {
        let height = row_height(cells);
        let top = self.y;
        let mut x = MARGIN;
        for ((_, width), lines) in COLUMNS.iter().zip(cells) {
            for (n, line) in lines.iter().enumerate() {
                self.y = top + PADDING + LINE * (n as f32 + 1.0) - 2.5;
                self.text(surface, face, BODY_SIZE, x + PADDING, line);
            }
            rectangle(surface, x, top, *width, height);
            x += width;
        }
        self.y = top + height;
    }

    fn header_row(&mut self, surface: &mut Surface<'_>) {
        let bold = self.bold;
        let cells: Vec<Vec<String>> = COLUMNS
            .iter()
            .map(|(title, width)| bold.wrap(title, BODY_SIZE, width - 2.0 * PADDING))
            .collect();
        self.row(surface, bold, &cells);
    }
}

/// The first `MAX_CELL_LINES` lines, the last one marked «…» when some were left out.
fn at_most(mut lines: Vec<String>) -> Vec<String> {
    if lines.len() > MAX_CELL_LINES {
        lines.truncate(MAX_CELL_LINES);
        if let Some(last) = lines.last_mut() {
            last.pop();
            last.push('…');
        }
    }
    lines
}

fn row_height(cells: &[Vec<String>]) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1);
    lines as f32 * LINE + 2.0 * PADDING
}

fn rectangle(surface: &mut Surface<'_>, x: f32, y: f32, width: f32, height: f32) {
    let mut path = PathBuilder::new();
    path.move_to(x, y);
    path.line_to(x + width, y);
    path.line_to(x + width, y + height);
    path.line_to(x, y + height);
    path.close();
    if let Some(path) = path.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width: 0.5,
            ..Stroke::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
        surface.set_fill(Some(krilla::paint::Fill::default()));
    }
}

/// Renders the inventory as PDF bytes.
pub fn render(inventory: &Inventory) -> anyhow::Result<Vec<u8>> {
    let regular = Face::load(REGULAR)?;
    let bold = Face::load(BOLD)?;
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| anyhow::anyhow!("page size"))?;
    let text_width = PAGE_WIDTH - 2.0 * MARGIN;

    let rows: Vec<Vec<Vec<String>>> = inventory
        .rows
        .iter()
        .map(|row| {
            let values = [
                row.position.to_string(),
                row.name.clone(),
                row.section.clone(),
                row.size.clone(),
                row.signers.clone(),
                row.date.clone(),
            ];
            COLUMNS
                .iter()
                .zip(values)
                .map(|((_, width), value)| {
                    at_most(regular.wrap(&value, BODY_SIZE, width - 2.0 * PADDING))
                })
                .collect()
        })
        .collect();

    let mut document = Document::new();
    let mut pending = rows.iter().peekable();
    let mut first_page = true;
    while first_page || pending.peek().is_some() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        let mut cursor = Cursor {
            regular: &regular,
            bold: &bold,
            y: MARGIN,
        };
        if first_page {
            heading(&mut cursor, &mut surface, inventory, text_width);
            first_page = false;
        }
        cursor.header_row(&mut surface);
        let mut placed = 0;
        while let Some(cells) = pending.peek() {
            // A page always takes its first row, so the table always moves on.
            if placed > 0 && cursor.y + row_height(cells) > PAGE_HEIGHT - MARGIN - LINE * 2.0 {
                break;
            }
            cursor.row(&mut surface, &regular, cells);
            pending.next();
            placed += 1;
        }
        if pending.peek().is_none() {
            cursor.y += LINE * 1.5;
            let total = format!("Всего документов: {}", inventory.rows.len());
            cursor.text(&mut surface, &bold, 10.0, MARGIN, &total);
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| anyhow::anyhow!("PDF not written: {e:?}"))
}

/// The title block: what case this is the inventory of, and when it was formed.
fn heading(cursor: &mut Cursor<'_>, surface: &mut Surface<'_>, inventory: &Inventory, width: f32) {
    let bold = cursor.bold;
    let regular = cursor.regular;
    cursor.y += 14.0;
    let title = format!("Опись документов по согласованию № {}", inventory.number);
    cursor.text(surface, bold, 13.0, MARGIN, &title);
    cursor.y += 6.0;
    let lines = [
        format!("Наименование: {}", inventory.name),
        format!("Инициатор: {}", inventory.initiator),
        format!("Дата формирования: {}", inventory.formed),
    ];
    for line in lines {
        for wrapped in regular.wrap(&line, 10.0, width) {
            cursor.y += 14.0;
            cursor.text(surface, regular, 10.0, MARGIN, &wrapped);
        }
    }
    cursor.y += 12.0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case_file::InventoryRow;

    #[test]
    fn long_text_wraps_within_the_width_and_loses_nothing() {
        let face = Face::load(REGULAR).expect("font");
        let text = "Проект производства работ по прокладке тепловой сети Ду300 \
                    Сверхдлинноеслововкотороммногобукв";
        let lines = face.wrap(text, BODY_SIZE, 100.0);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| face.width(l, BODY_SIZE) <= 100.0));
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
    }

    #[test]
    fn a_name_too_long_for_a_page_is_cut_and_the_table_goes_on() {
        let row = |position, name: String| InventoryRow {
            position,
            name,
            section: "Прочие документы".to_owned(),
            size: "1 КБ".to_owned(),
            signers: String::new(),
            date: "12.03.2027".to_owned(),
        };
        let inventory = Inventory {
            number: "2027-000002".to_owned(),
            name: "Дело с длинным именем".to_owned(),
            initiator: "АО «СТК»".to_owned(),
            formed: "12.03.2027 10:00".to_owned(),
            rows: vec![
                row(1, "Б".repeat(20_000)),
                row(2, "Последний.pdf".to_owned()),
            ],
        };
        let pdf = render(&inventory).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"));
        let face = Face::load(REGULAR).expect("font");
        let lines = at_most(face.wrap(&"Б".repeat(20_000), BODY_SIZE, 144.0));
        assert_eq!(lines.len(), MAX_CELL_LINES);
        assert!(lines[MAX_CELL_LINES - 1].ends_with('…'));
    }

    #[test]
    fn a_long_inventory_becomes_a_pdf_with_a_font_subset() {
        let rows = (1..=120)
            .map(|position| InventoryRow {
                position,
                name: format!("Документ № {position}.pdf"),
                section: "Заявление".to_owned(),
                size: "1,5 КБ".to_owned(),
                signers: "Иванов Пётр Сергеевич".to_owned(),
                date: "12.03.2027".to_owned(),
            })
            .collect();
        let inventory = Inventory {
            number: "2027-000001".to_owned(),
            name: "Подключение".to_owned(),
            initiator: "АО «СТК»".to_owned(),
            formed: "12.03.2027 10:00".to_owned(),
            rows,
        };
        let pdf = render(&inventory).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"));
        // DejaVu is embedded as a subset, not whole.
        assert!(pdf.len() < REGULAR.len());
    }
}
