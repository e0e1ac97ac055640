//! QR codes for invite links, drawn by the page as one SVG path (no image, no network).

use qrcodegen::{QrCode, QrCodeEcc};

/// A QR code as an SVG path: `size` modules square (with no quiet zone: the page adds
/// margin), `path` one `M x y h1 v1 h-1 z` square per dark module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrPath {
    /// Modules per side.
    pub size: usize,
    /// The SVG path data of the dark modules.
    pub path: String,
}

/// The QR code of `text` (medium error correction: survives a scuffed phone screen), or
/// `None` when the text is too long for any QR code.
pub fn qr_path(text: &str) -> Option<QrPath> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let size = code.size() as usize;
    let mut path = String::new();
    for y in 0..code.size() {
        for x in 0..code.size() {
            if code.get_module(x, y) {
                path.push_str(&format!("M{x} {y}h1v1h-1z"));
            }
        }
    }
    Some(QrPath { size, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invite_link_fits_and_is_drawn() {
        let link = "https://peerchat.example/#invite=pc-aaaaaaaaaaaaaaaaaaaa&from=Alice";
        let qr = qr_path(link).unwrap();
        assert!(qr.size >= 21 && qr.size <= 177);
        assert!(
            qr.path.starts_with("M0 0h1v1h-1z"),
            "the finder pattern's corner is dark"
        );
        assert!(qr_path(&"x".repeat(5_000)).is_none());
    }
}
