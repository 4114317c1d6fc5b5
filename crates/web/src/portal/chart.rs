//! The personal account's chart of monthly consumption and charges (PRT-02): an SVG bar chart
//! rendered on the server (no JavaScript, nothing loaded from outside), with a title for screen
//! readers, each bar's value in its own title, and the numbers also given as a table beside it.
//! Twelve bars need no charting library: a rectangle per value scaled to the largest.

/// One bar: its label under the axis, its height value and the value as people read it.
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub text: String,
}

const BAR: i64 = 40;
const GAP: i64 = 12;
const PLOT: i64 = 150;
const TOP: i64 = 22;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An accessible SVG bar chart; `id` names its title for `aria-labelledby`.
pub fn bars_svg(id: &str, title: &str, bars: &[Bar]) -> String {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let width = GAP + bars.len() as i64 * (BAR + GAP);
    let height = TOP + PLOT + 24;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title id=\"{id}\">{}</title>\
         <line x1=\"0\" y1=\"{y}\" x2=\"{width}\" y2=\"{y}\" class=\"chart-axis\"/>",
        esc(title),
        y = TOP + PLOT,
    );
    for (i, b) in bars.iter().enumerate() {
        let x = GAP + i as i64 * (BAR + GAP);
        let h = (b.value.max(0) * PLOT / max).max(if b.value > 0 { 1 } else { 0 });
        let y = TOP + PLOT - h;
        svg.push_str(&format!(
            "<g><title>{label}: {text}</title>\
             <rect x=\"{x}\" y=\"{y}\" width=\"{BAR}\" height=\"{h}\" class=\"chart-bar\"/>\
             <text x=\"{cx}\" y=\"{ty}\" class=\"chart-value\">{short}</text>\
             <text x=\"{cx}\" y=\"{ly}\" class=\"chart-label\">{label}</text></g>",
            label = esc(&b.label),
            text = esc(&b.text),
            cx = x + BAR / 2,
            ty = (y - 4).max(12),
            short = esc(b.text.split_whitespace().next().unwrap_or("")),
            ly = TOP + PLOT + 16,
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_carry_their_values() {
        let bars = vec![
            Bar {
                label: "окт".into(),
                value: 100,
                text: "100 кВт·ч".into(),
            },
            Bar {
                label: "ноя".into(),
                value: 50,
                text: "50 кВт·ч".into(),
            },
            Bar {
                label: "<x>".into(),
                value: -5,
                text: "−5 кВт·ч".into(),
            },
        ];
        let svg = bars_svg("c1", "Потребление", &bars);
        assert!(svg.contains("role=\"img\" aria-labelledby=\"c1\""));
        assert!(svg.contains("<title id=\"c1\">Потребление</title>"));
        assert!(
            svg.contains(&format!("height=\"{PLOT}\"")),
            "the largest is full height"
        );
        assert!(svg.contains(&format!("height=\"{}\"", PLOT / 2)));
        assert!(svg.contains("height=\"0\""), "a negative month has no bar");
        assert!(svg.contains("<title>ноя: 50 кВт·ч</title>"));
        assert!(svg.contains("&lt;x&gt;"), "escaped");
        assert!(!svg.contains("<x>"));
    }
}
