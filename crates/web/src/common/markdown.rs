//! Markdown of the public pages and news, rendered to HTML.

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};

/// Whether a link or image address is safe to follow: a web or mail address, a phone number,
/// or a path on this site. `javascript:`, `data:`, `vbscript:` and any other scheme are not.
pub fn safe_url(url: &str) -> bool {
    let u: String = url
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    match u.find(':') {
        // A scheme comes before any '/', '?' or '#'.
        Some(colon) if !u[..colon].contains(['/', '?', '#']) => {
            matches!(&u[..colon], "http" | "https" | "mailto" | "tel")
        }
        _ => !u.starts_with("//") && !u.starts_with("\\\\"),
    }
}

/// Markdown to HTML; raw HTML in the text is shown as text, never passed through, and links or
/// images to unsafe addresses lose their address.
pub fn markdown(text: &str) -> String {
    let clean = |url: CowStr<'static>| -> CowStr<'static> {
        if safe_url(&url) {
            url
        } else {
            CowStr::Borrowed("")
        }
    };
    let parser =
        Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|e| {
            match e {
                Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => Event::Start(Tag::Link {
                    link_type,
                    dest_url: clean(dest_url.into_static()),
                    title,
                    id,
                }),
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => Event::Start(Tag::Image {
                    link_type,
                    dest_url: clean(dest_url.into_static()),
                    title,
                    id,
                }),
                other => other,
            }
        });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_link_schemes_are_dropped_and_safe_ones_kept() {
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox",
            "//evil.example/x",
        ] {
            assert!(!safe_url(bad), "{bad}");
            let html = markdown(&format!("[нажмите](<{bad}>) и ![x](<{bad}>)"));
            for attr in ["href=\"", "src=\""] {
                for part in html.split(attr).skip(1) {
                    let value = part.split('"').next().unwrap_or_default();
                    assert!(value.is_empty(), "{bad}: {html}");
                }
            }
        }
        for good in [
            "https://example.ru/a",
            "http://x",
            "mailto:info@example.ru",
            "tel:+73466000000",
            "/info/page/contracts",
            "#section",
            "page?x=a:b",
        ] {
            assert!(safe_url(good), "{good}");
        }
        assert!(markdown("[Тарифы](/tariffs)").contains("href=\"/tariffs\""));
    }
}
