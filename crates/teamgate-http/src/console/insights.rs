//! Analytics (totals and bar charts drawn as inline SVG) and usage.

use maud::{html, Markup};
use teamgate_core::Permission;

use super::layout::action;
use crate::api::analytics::{Analytics, Day, Usage, DAYS};
use crate::error::ApiError;
use crate::gate::OrgContext;
use crate::AppState;

const EXPORT: Permission = Permission::of("analytics", "export");

const CHART_HEIGHT: i64 = 140;
/// Room above the bars for their values, and below for their labels.
const TOP: i64 = 18;
const BOTTOM: i64 = 22;
const INBOUND_COLOUR: &str = "#2450c8";
const OUTBOUND_COLOUR: &str = "#2f9e6e";

/// A bar's height in pixels, so the tallest bar fills the chart.
fn scaled(value: i64, max: i64) -> i64 {
    if max <= 0 {
        0
    } else {
        value.max(0) * CHART_HEIGHT / max
    }
}

/// A simple bar chart: one labelled bar per `(label, value)`.
fn bar_chart(title: &str, bars: &[(&str, i64)], colour: &str) -> Markup {
    let (bar, gap) = (48, 16);
    let width = gap + bars.len() as i64 * (bar + gap);
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0);
    html! {
        figure.chart {
            figcaption { (title) }
            svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(title)
                width=(width) height=(TOP + CHART_HEIGHT + BOTTOM)
                viewBox={ "0 0 " (width) " " (TOP + CHART_HEIGHT + BOTTOM) } {
                line x1="0" x2=(width) y1=(TOP + CHART_HEIGHT) y2=(TOP + CHART_HEIGHT) stroke="#99a" {}
                @for (i, (label, value)) in bars.iter().enumerate() {
                    @let x = gap + i as i64 * (bar + gap);
                    @let h = scaled(*value, max);
                    rect x=(x) y=(TOP + CHART_HEIGHT - h) width=(bar) height=(h) fill=(colour) {
                        title { (label) ": " (value) }
                    }
                    text x=(x + bar / 2) y=(TOP + CHART_HEIGHT - h - 4) text-anchor="middle" font-size="11" { (value) }
                    text x=(x + bar / 2) y=(TOP + CHART_HEIGHT + 15) text-anchor="middle" font-size="11" { (label) }
                }
            }
        }
    }
}

/// Inbound and outbound messages side by side, one pair of bars per day.
fn daily_chart(days: &[Day]) -> Markup {
    let (bar, gap) = (10, 12);
    let group = 2 * bar + gap;
    let width = gap + days.len() as i64 * group;
    let max = days
        .iter()
        .map(|d| d.inbound.max(d.outbound))
        .max()
        .unwrap_or(0);
    let title = format!("Messages per day, last {DAYS} days");
    html! {
        figure.chart.daily {
            figcaption {
                (title) " · "
                span style={ "color:" (INBOUND_COLOUR) } { "■ inbound" } " "
                span style={ "color:" (OUTBOUND_COLOUR) } { "■ outbound" }
            }
            svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label=(title)
                width=(width) height=(TOP + CHART_HEIGHT + BOTTOM)
                viewBox={ "0 0 " (width) " " (TOP + CHART_HEIGHT + BOTTOM) } {
                line x1="0" x2=(width) y1=(TOP + CHART_HEIGHT) y2=(TOP + CHART_HEIGHT) stroke="#99a" {}
                @for (i, day) in days.iter().enumerate() {
                    @let x = gap + i as i64 * group;
                    @let hi = scaled(day.inbound, max);
                    @let ho = scaled(day.outbound, max);
                    rect x=(x) y=(TOP + CHART_HEIGHT - hi) width=(bar) height=(hi) fill=(INBOUND_COLOUR) {
                        title { (day.date) ": " (day.inbound) " inbound" }
                    }
                    rect x=(x + bar) y=(TOP + CHART_HEIGHT - ho) width=(bar) height=(ho) fill=(OUTBOUND_COLOUR) {
                        title { (day.date) ": " (day.outbound) " outbound" }
                    }
                    // Every other day is labelled, so the labels do not collide.
                    @if i % 2 == 0 {
                        text x=(x + bar) y=(TOP + CHART_HEIGHT + 15) text-anchor="middle" font-size="10" {
                            (day.date.get(5..).unwrap_or(&day.date))
                        }
                    }
                }
            }
        }
    }
}

pub(super) async fn analytics_page(state: &AppState, ctx: &OrgContext) -> Result<Markup, ApiError> {
    let a = Analytics::of(state, &ctx.org.id).await?;
    let c = &a.counts;
    let export_url = format!("/api/v1/orgs/{}/analytics/export", ctx.org.id);
    Ok(html! {
        h1 { "Analytics" }
        p { "Computed from this organisation's agents, campaigns and conversations as of now." }
        form method="get" action=(export_url) class="export" {
            input type="hidden" name="format" value="csv";
            (action(ctx, EXPORT, "Export CSV"))
        }
        table.totals {
            thead { tr { th { "Metric" } th { "Value" } } }
            tbody {
                @for (metric, value) in a.metrics() {
                    tr data-metric=(metric) { td { (metric) } td { (value) } }
                }
            }
        }
        div.charts style="display:flex;flex-wrap:wrap;gap:2rem;margin-top:1rem" {
            (daily_chart(&a.days))
            (bar_chart("Agents by channel", &[
                ("Chat", c.chat_agents), ("WhatsApp", c.whatsapp_agents), ("Voice", c.voice_agents),
            ], INBOUND_COLOUR))
            (bar_chart("Conversations", &[
                ("Open", c.conversations_open), ("Closed", c.conversations_closed),
                ("Assigned", c.conversations_assigned),
            ], OUTBOUND_COLOUR))
            (bar_chart("Campaigns", &[("Draft", c.campaigns_draft), ("Launched", c.campaigns_launched)], "#8a5cc8"))
        }
    })
}

pub(super) async fn usage_page(state: &AppState, ctx: &OrgContext) -> Result<Markup, ApiError> {
    let u = Usage::of(state, &ctx.org.id).await?;
    let rows: [(&str, i64); 8] = [
        ("Conversations this month", u.conversations),
        ("Messages this month", u.messages),
        ("Inbound messages this month", u.inbound_messages),
        ("Outbound messages this month", u.outbound_messages),
        ("Agents", u.agents),
        ("Launched campaigns", u.launched_campaigns),
        ("Members", u.members),
        ("Active API keys", u.api_keys),
    ];
    Ok(html! {
        h1 { "Usage" }
        p { "From " (u.period_start) " to " (u.period_end) " (UTC), counted from this organisation's data." }
        table.usage {
            thead { tr { th { "Counter" } th { "Value" } } }
            tbody { @for (name, value) in rows { tr { td { (name) } td { (value) } } } }
        }
    })
}
