//! SVG charts drawn by the server and redrawn in the browser: stacked bars and lines with a
//! y axis of round ticks, time labels, a legend, and each period's values on hover (an SVG
//! `<title>` per period, which browsers show as a tooltip, plus a highlight). The drawing
//! area has a fixed aspect ratio, so a redraw never moves the page.

use leptos::prelude::*;

/// One series: a label for the legend and tooltips, a CSS class for its colour, and a value
/// per period (`None`: nothing to show there).
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Shown in the legend and the tooltips.
    pub label: String,
    /// Colour class (`s-valid`, `s-p95`, …).
    pub class: &'static str,
    /// One value per period.
    pub values: Vec<Option<f64>>,
}

/// The time axis: a label per period (for tooltips) and the few shown under the axis.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeAxis {
    /// Full label of each period.
    pub labels: Vec<String>,
    /// (period index, short label) pairs drawn under the axis.
    pub ticks: Vec<(usize, String)>,
    /// Axis caption, e.g. "Time (UTC), one bar per hour".
    pub caption: String,
}

/// Drawing width of a full-width chart; half-width ones draw narrower so text stays legible.
const WIDE: f64 = 720.0;
const NARROW: f64 = 440.0;
const H: f64 = 200.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 8.0;
const BOTTOM: f64 = 22.0;

/// A round upper bound for the y axis and the step between its four ticks.
pub fn nice_scale(max: f64) -> (f64, f64) {
    if !(max > 0.0) {
        return (4.0, 1.0);
    }
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 2.5 {
        2.5
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    let step = nice * mag;
    ((max / step).ceil().max(1.0) * step, step)
}

/// A short number: `950`, `1.2k`, `3.4M`.
pub fn compact(v: f64) -> String {
    let a = v.abs();
    let (n, suffix) = if a >= 1e9 {
        (v / 1e9, "B")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let s = if n.fract().abs() < 1e-9 || n.abs() >= 100.0 { format!("{n:.0}") } else if n.abs() >= 10.0 { format!("{n:.1}") } else { format!("{n:.2}") };
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s };
    format!("{s}{suffix}")
}

fn x_of(i: usize, n: usize, w: f64) -> f64 {
    LEFT + (w - LEFT - RIGHT) * i as f64 / n.max(1) as f64
}

fn y_of(v: f64, top: f64) -> f64 {
    TOP + (H - TOP - BOTTOM) * (1.0 - (v / top).clamp(0.0, 1.0))
}

/// Grid lines, y tick labels and the time labels.
fn frame(top: f64, step: f64, unit: &'static str, axis: &TimeAxis, n: usize, w: f64) -> impl IntoView {
    let ticks = (0..=((top / step).round() as usize)).map(|k| {
        let v = k as f64 * step;
        let y = y_of(v, top);
        view! {
            <line x1=LEFT x2=w - RIGHT y1=fmt1(y) y2=fmt1(y) class="grid"/>
            <text x=LEFT - 6.0 y=fmt1(y + 3.5) class="tick" text-anchor="end">{format!("{}{unit}", compact(v))}</text>
        }
    }).collect_view();
    let times = axis.ticks.iter().map(|(i, label)| {
        let x = x_of(*i, n, w) + (w - LEFT - RIGHT) / n.max(1) as f64 / 2.0;
        view! { <text x=fmt1(x) y=H - 6.0 class="tick" text-anchor="middle">{label.clone()}</text> }
    }).collect_view();
    view! {
        {ticks}
        <line x1=LEFT x2=w - RIGHT y1=H - BOTTOM y2=H - BOTTOM class="axis"/>
        {times}
    }
}

fn fmt1(v: f64) -> String {
    format!("{v:.1}")
}

fn legend(series: &[Series]) -> impl IntoView {
    view! {
        <ul class="legend-list">
            {series.iter().map(|s| view! { <li><i class=format!("sw {}", s.class)></i>{s.label.clone()}</li> }).collect_view()}
        </ul>
    }
}

/// Stacked bars: one bar per period, the series stacked bottom-up in order.
#[component]
pub fn BarChart(
    /// What the chart shows, for screen readers.
    label: String,
    /// The stacked series.
    series: Vec<Series>,
    /// The time axis.
    axis: TimeAxis,
    /// Unit after tick values ("" for counts).
    #[prop(optional)]
    unit: &'static str,
    /// Drawn for a half-width card.
    #[prop(optional)]
    narrow: bool,
) -> impl IntoView {
    let w = if narrow { NARROW } else { WIDE };
    let n = axis.labels.len();
    let totals: Vec<f64> = (0..n).map(|i| series.iter().filter_map(|s| s.values.get(i).copied().flatten()).sum()).collect();
    let (top, step) = nice_scale(totals.iter().copied().fold(0.0, f64::max));
    let slot = (w - LEFT - RIGHT) / n.max(1) as f64;
    let gap = if slot > 4.0 { slot * 0.2 } else { 0.0 };
    let bars = (0..n).map(|i| {
        let x = x_of(i, n, w) + gap / 2.0;
        let mut base = 0.0;
        let mut parts = Vec::new();
        let mut tip = axis.labels[i].clone();
        for s in &series {
            let v = s.values.get(i).copied().flatten().unwrap_or(0.0);
            if v > 0.0 {
                tip.push_str(&format!("\n{}: {}", s.label, keyport_core::dto::thousands(v.round() as i64)));
                let (y0, y1) = (y_of(base, top), y_of(base + v, top));
                parts.push(view! { <rect x=fmt1(x) y=fmt1(y1) width=fmt1(slot - gap) height=fmt1((y0 - y1).max(0.5)) class=s.class/> });
                base += v;
            }
        }
        if base == 0.0 {
            tip.push_str("\nno requests");
        }
        view! {
            <g class="period">
                <title>{tip}</title>
                <rect x=fmt1(x_of(i, n, w)) y=TOP width=fmt1(slot) height=H - TOP - BOTTOM class="hover-col"/>
                {parts}
            </g>
        }
    }).collect_view();
    figure(narrow, label, frame(top, step, unit, &axis, n, w), bars, &series, &axis)
}

/// The frame around a chart: the drawing with its label, then the legend and axis caption.
fn figure(narrow: bool, label: String, frame: impl IntoView, marks: impl IntoView, series: &[Series], axis: &TimeAxis) -> impl IntoView {
    let w = if narrow { NARROW } else { WIDE };
    view! {
        <figure class=if narrow { "chart narrow" } else { "chart" }>
            <svg viewBox=format!("0 0 {w} {H}") role="img" aria-label=label>
                {frame}
                {marks}
            </svg>
            <figcaption class="chart-foot small muted">
                {legend(series)}
                <span>{axis.caption.clone()}</span>
            </figcaption>
        </figure>
    }
}

/// Lines: one per series, broken where a period has no value.
#[component]
pub fn LineChart(
    /// What the chart shows, for screen readers.
    label: String,
    /// The lines.
    series: Vec<Series>,
    /// The time axis.
    axis: TimeAxis,
    /// Unit after values (" ms", "%").
    unit: &'static str,
    /// Drawn for a half-width card.
    #[prop(optional)]
    narrow: bool,
) -> impl IntoView {
    let w = if narrow { NARROW } else { WIDE };
    let n = axis.labels.len();
    let max = series.iter().flat_map(|s| s.values.iter().flatten().copied()).fold(0.0, f64::max);
    let (top, step) = nice_scale(max);
    let slot = (w - LEFT - RIGHT) / n.max(1) as f64;
    let cx = |i: usize| x_of(i, n, w) + slot / 2.0;
    let lines = series.iter().map(|s| {
        let mut d = String::new();
        let mut pen_down = false;
        for (i, v) in s.values.iter().enumerate() {
            match v {
                Some(v) => {
                    d.push_str(&format!("{}{:.1} {:.1} ", if pen_down { "L" } else { "M" }, cx(i), y_of(*v, top)));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let dots = if n <= 90 {
            s.values.iter().enumerate().filter_map(|(i, v)| v.map(|v| view! { <circle cx=fmt1(cx(i)) cy=fmt1(y_of(v, top)) r="2.2" class=format!("dot {}", s.class)/> })).collect_view().into_any()
        } else {
            ().into_any()
        };
        view! { <path d=d class=format!("line {}", s.class)/> {dots} }
    }).collect_view();
    let cols = (0..n).map(|i| {
        let mut tip = axis.labels[i].clone();
        for s in &series {
            match s.values.get(i).copied().flatten() {
                Some(v) => tip.push_str(&format!("\n{}: {}{unit}", s.label, trim_number(v))),
                None => tip.push_str(&format!("\n{}: —", s.label)),
            }
        }
        view! { <rect x=fmt1(x_of(i, n, w)) y=TOP width=fmt1(slot) height=H - TOP - BOTTOM class="hover-col"><title>{tip}</title></rect> }
    }).collect_view();
    figure(narrow, label, frame(top, step, unit, &axis, n, w), view! { {lines} {cols} }, &series, &axis)
}

/// A value with sensible precision for a tooltip.
pub fn trim_number(v: f64) -> String {
    if v >= 100.0 { format!("{v:.0}") } else if v >= 10.0 { format!("{v:.1}") } else { format!("{v:.2}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_round_and_cover_the_maximum() {
        assert_eq!(nice_scale(0.0), (4.0, 1.0));
        assert_eq!(nice_scale(7.0), (8.0, 2.0));
        assert_eq!(nice_scale(100.0), (100.0, 25.0));
        assert_eq!(nice_scale(1234.0), (1500.0, 500.0));
        let (top, step) = nice_scale(0.37);
        assert!(top >= 0.37 && (top / step).round() <= 5.0);
    }

    #[test]
    fn compact_numbers() {
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(1500.0), "1.5k");
        assert_eq!(compact(2_000_000.0), "2M");
        assert_eq!(compact(0.25), "0.25");
        assert_eq!(compact(12.5), "12.5");
    }
}
