//! PNG and PDF from the SVG master, with the embedded fonts only (no system fonts: a label
//! must not change with the machine that prints it).

use resvg::tiny_skia;
use resvg::usvg;

use crate::LabelError;
use crate::fonts;

/// The resolution usvg assumes for `mm` units; PDF points and PNG pixels are scaled from it.
const USVG_DPI: f32 = 96.0;

/// The default PNG resolution: 300 dpi, at which a 0.254 mm module is exactly 3 pixels.
pub const DEFAULT_PNG_DPI: u32 = 300;

/// PNG resolutions Hemaflow renders: from a 150 dpi preview to a 1200 dpi proof.
pub const PNG_DPI_RANGE: std::ops::RangeInclusive<u32> = 150..=1200;

fn tree(svg: &str) -> Result<usvg::Tree, LabelError> {
    let mut options = usvg::Options {
        font_family: fonts::Font::Sans.family().to_owned(),
        dpi: USVG_DPI,
        ..usvg::Options::default()
    };
    let database = options.fontdb_mut();
    database.load_font_data(fonts::SANS_BOLD.to_vec());
    database.load_font_data(fonts::MONO_BOLD.to_vec());
    usvg::Tree::from_str(svg, &options).map_err(|error| LabelError::Render {
        reason: format!("the SVG could not be read back: {error}"),
    })
}

/// Render the SVG at `dpi` to PNG bytes, with the resolution recorded in the file (pHYs)
/// so that printing it at 100 % gives the label's size in millimetres.
pub fn svg_to_png(svg: &str, dpi: u32) -> Result<Vec<u8>, LabelError> {
    if !PNG_DPI_RANGE.contains(&dpi) {
        return Err(LabelError::Render {
            reason: format!(
                "{dpi} dpi is outside the supported {}-{} dpi",
                PNG_DPI_RANGE.start(),
                PNG_DPI_RANGE.end()
            ),
        });
    }
    let tree = tree(svg)?;
    let scale = dpi as f32 / USVG_DPI;
    let size = tree.size();
    let width = (size.width() * scale).round() as u32;
    let height = (size.height() * scale).round() as u32;
    let mut pixmap = tiny_skia::Pixmap::new(width, height).ok_or_else(|| LabelError::Render {
        reason: format!("cannot allocate a {width}x{height} image"),
    })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let png = pixmap.encode_png().map_err(|error| LabelError::Render {
        reason: format!("PNG encoding failed: {error}"),
    })?;
    Ok(with_resolution(png, dpi))
}

/// Render the SVG as a one-page PDF of the label's size, text embedded as text.
pub fn svg_to_pdf(svg: &str) -> Result<Vec<u8>, LabelError> {
    let tree = tree(svg)?;
    svg2pdf::to_pdf(
        &tree,
        svg2pdf::ConversionOptions::default(),
        svg2pdf::PageOptions { dpi: USVG_DPI },
    )
    .map_err(|error| LabelError::Render {
        reason: format!("PDF conversion failed: {error:?}"),
    })
}

/// Render several SVG documents as the pages of one PDF, each page the size of its SVG, with
/// the same embedded fonts as the labels (packing lists and reports run over several pages;
/// `svg_to_pdf` makes one). Each page is converted to a form XObject and drawn full-page.
pub fn svg_pages_to_pdf(pages: &[String]) -> Result<Vec<u8>, LabelError> {
    use pdf_writer::{Finish, Name, Pdf, Rect, Ref};
    if pages.is_empty() {
        return Err(LabelError::Render {
            reason: "a document needs at least one page".to_owned(),
        });
    }
    let mut next = 1;
    let mut bump = || {
        let id = Ref::new(next);
        next += 1;
        id
    };
    let catalog = bump();
    let tree_ref = bump();
    let mut pdf = Pdf::new();
    let mut kids = Vec::with_capacity(pages.len());
    let mut chunks = Vec::with_capacity(pages.len());
    for svg in pages {
        let tree = tree(svg)?;
        let (chunk, svg_ref) = svg2pdf::to_chunk(&tree, svg2pdf::ConversionOptions::default())
            .map_err(|error| LabelError::Render {
                reason: format!("PDF conversion failed: {error:?}"),
            })?;
        let mut renumbered = std::collections::HashMap::new();
        let chunk = chunk.renumber(|old| *renumbered.entry(old).or_insert_with(&mut bump));
        let svg_ref = renumbered[&svg_ref];
        let (page_ref, content_ref) = (bump(), bump());
        let scale = 72.0 / USVG_DPI;
        let (width, height) = (tree.size().width() * scale, tree.size().height() * scale);
        let mut page = pdf.page(page_ref);
        page.media_box(Rect::new(0.0, 0.0, width, height));
        page.parent(tree_ref);
        page.contents(content_ref);
        page.resources().x_objects().pair(Name(b"P"), svg_ref);
        page.finish();
        let mut content = pdf_writer::Content::new();
        content
            .transform([width, 0.0, 0.0, height, 0.0, 0.0])
            .x_object(Name(b"P"));
        pdf.stream(content_ref, &content.finish());
        kids.push(page_ref);
        chunks.push(chunk);
    }
    pdf.catalog(catalog).pages(tree_ref);
    pdf.pages(tree_ref)
        .count(i32::try_from(kids.len()).unwrap_or(i32::MAX))
        .kids(kids);
    for chunk in &chunks {
        pdf.extend(chunk);
    }
    Ok(pdf.finish())
}

/// Insert a pHYs chunk (pixels per metre) after the PNG header chunk.
fn with_resolution(png: Vec<u8>, dpi: u32) -> Vec<u8> {
    // 8-byte signature, then IHDR: 4 length + 4 type + 13 data + 4 CRC.
    const IHDR_END: usize = 8 + 4 + 4 + 13 + 4;
    if png.len() < IHDR_END || &png[12..16] != b"IHDR" {
        return png;
    }
    let per_metre = (f64::from(dpi) / 0.0254).round() as u32;
    let mut chunk = Vec::with_capacity(21);
    chunk.extend_from_slice(&9u32.to_be_bytes());
    let mut body = b"pHYs".to_vec();
    body.extend_from_slice(&per_metre.to_be_bytes());
    body.extend_from_slice(&per_metre.to_be_bytes());
    body.push(1); // unit: metre
    chunk.extend_from_slice(&body);
    chunk.extend_from_slice(&crc32(&body).to_be_bytes());
    let mut out = Vec::with_capacity(png.len() + chunk.len());
    out.extend_from_slice(&png[..IHDR_END]);
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[IHDR_END..]);
    out
}

/// CRC-32 (ISO 3309, as PNG uses it), bit by bit: the chunk is 13 bytes.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_png_specification_check_value() {
        // The standard check value of CRC-32 over "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        // The CRC of an IEND chunk, which every PNG ends with.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn pages_make_one_pdf_with_a_page_each() {
        let page = |mm: u32| {
            format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="{mm}mm" height="{mm}mm" viewBox="0 0 {mm} {mm}"><text x="1" y="5" font-size="4">Page</text></svg>"#
            )
        };
        let pdf = svg_pages_to_pdf(&[page(100), page(50), page(20)]).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/Count 3"), "three pages in the page tree");
        let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
        assert_eq!(pages, 3);
        assert!(svg_pages_to_pdf(&[]).is_err());
    }

    #[test]
    fn png_records_its_resolution_and_pixel_size() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10mm" height="5mm" viewBox="0 0 10 5"><rect width="10" height="5"/></svg>"#;
        let png = svg_to_png(svg, 300).unwrap();
        let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
        let height = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
        assert_eq!((width, height), (118, 59)); // 10 mm and 5 mm at 300 dpi
        let at = png.windows(4).position(|w| w == b"pHYs").unwrap();
        let ppm = u32::from_be_bytes([png[at + 4], png[at + 5], png[at + 6], png[at + 7]]);
        assert_eq!(ppm, 11811);
        assert!(svg_to_png(svg, 20).is_err());
    }

    #[test]
    fn pdf_page_is_the_label_size() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="100mm" height="100mm" viewBox="0 0 100 100"><text x="10" y="20" font-family="DejaVu Sans" font-size="5">O POS</text></svg>"#;
        let pdf = svg_to_pdf(svg).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        // 100 mm = 283.46 points.
        assert!(text.contains("283.46"), "no 100 mm MediaBox");
        assert!(text.contains("DejaVu"), "font not embedded");
    }
}
