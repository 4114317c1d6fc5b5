//! Markdown of the public pages and news, rendered to HTML.

use pulldown_cmark::{html, Event, Options, Parser};

/// Markdown to HTML; raw HTML in the text is shown as text, never passed through.
pub fn markdown(text: &str) -> String {
    let parser =
        Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|e| {
            match e {
                Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
                other => other,
            }
        });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}
