//! Analytics and usage, both computed from the organisation's own rows at
//! the moment of asking: there is no second copy of the numbers to drift.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};
use teamgate_core::clock::{format_timestamp, unix_millis};
use teamgate_store::FeatureCounts;
use time::{Duration, OffsetDateTime};

use crate::error::{ApiError, ApiResult};
use crate::gate::OrgContext;
use crate::AppState;

/// How many days the daily chart covers, today included.
pub const DAYS: i64 = 14;
const DAY_MS: i64 = 86_400_000;

/// Messages of one day, for the chart.
#[derive(Debug, Clone, Serialize)]
pub struct Day {
    /// `2026-12-04`
    pub date: String,
    pub inbound: i64,
    pub outbound: i64,
}

/// Everything the analytics page and its export show.
#[derive(Debug, Clone)]
pub struct Analytics {
    pub counts: FeatureCounts,
    /// The last [`DAYS`] days, oldest first, days without messages included.
    pub days: Vec<Day>,
}

impl Analytics {
    pub async fn of(state: &AppState, org_id: &str) -> ApiResult<Analytics> {
        let counts = state.store.feature_counts(org_id, None).await?;
        let today = unix_millis(state.now()).div_euclid(DAY_MS);
        let first = today - (DAYS - 1);
        let stored = state.store.daily_messages(org_id, first * DAY_MS).await?;
        let days = (first..=today)
            .map(|day| {
                let found = stored.iter().find(|d| d.day == day);
                Day {
                    date: (OffsetDateTime::UNIX_EPOCH + Duration::days(day))
                        .date()
                        .to_string(),
                    inbound: found.map_or(0, |d| d.inbound),
                    outbound: found.map_or(0, |d| d.outbound),
                }
            })
            .collect();
        Ok(Analytics { counts, days })
    }

    /// The totals as `(metric, value)`, in the order the export lists them.
    pub fn metrics(&self) -> Vec<(&'static str, i64)> {
        let c = &self.counts;
        vec![
            ("agents.chat", c.chat_agents),
            ("agents.whatsapp", c.whatsapp_agents),
            ("agents.voice", c.voice_agents),
            ("campaigns.draft", c.campaigns_draft),
            ("campaigns.launched", c.campaigns_launched),
            ("conversations.open", c.conversations_open),
            ("conversations.closed", c.conversations_closed),
            ("conversations.assigned", c.conversations_assigned),
            ("messages.inbound", c.messages_inbound),
            ("messages.outbound", c.messages_outbound),
        ]
    }

    fn to_json(&self) -> Value {
        let c = &self.counts;
        json!({
            "agents": {
                "chat": c.chat_agents,
                "whatsapp": c.whatsapp_agents,
                "voice": c.voice_agents,
                "total": c.chat_agents + c.whatsapp_agents + c.voice_agents,
            },
            "campaigns": {
                "draft": c.campaigns_draft,
                "launched": c.campaigns_launched,
                "total": c.campaigns_draft + c.campaigns_launched,
            },
            "conversations": {
                "open": c.conversations_open,
                "closed": c.conversations_closed,
                "assigned": c.conversations_assigned,
                "total": c.conversations_open + c.conversations_closed,
            },
            "messages": {
                "inbound": c.messages_inbound,
                "outbound": c.messages_outbound,
                "total": c.messages_inbound + c.messages_outbound,
            },
            "messages_per_day": self.days,
        })
    }

    /// `metric,value` with a header row. Every cell is a fixed metric name,
    /// a date or a count, so none needs quoting or formula neutralising.
    fn to_csv(&self) -> String {
        let mut csv = String::from("metric,value\r\n");
        for (metric, value) in self.metrics() {
            csv.push_str(&format!("{metric},{value}\r\n"));
        }
        for day in &self.days {
            csv.push_str(&format!(
                "messages.inbound.{},{}\r\n",
                day.date, day.inbound
            ));
            csv.push_str(&format!(
                "messages.outbound.{},{}\r\n",
                day.date, day.outbound
            ));
        }
        csv
    }
}

pub async fn show(State(state): State<AppState>, ctx: OrgContext) -> ApiResult<Json<Value>> {
    Ok(Json(Analytics::of(&state, &ctx.org.id).await?.to_json()))
}

/// `?format=csv` (the default, and the only format).
pub async fn export(
    State(state): State<AppState>,
    ctx: OrgContext,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    if q.get("format").is_some_and(|f| f != "csv") {
        return Err(ApiError::invalid("format must be csv"));
    }
    let csv = Analytics::of(&state, &ctx.org.id).await?.to_csv();
    let mut response = csv.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"analytics.csv\""),
    );
    Ok(response)
}

/// Usage counters for the current calendar month (UTC), with the standing totals.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    pub period_start: String,
    pub period_end: String,
    pub conversations: i64,
    pub messages: i64,
    pub inbound_messages: i64,
    pub outbound_messages: i64,
    pub agents: i64,
    pub launched_campaigns: i64,
    pub members: i64,
    pub api_keys: i64,
}

impl Usage {
    pub async fn of(state: &AppState, org_id: &str) -> ApiResult<Usage> {
        let (start, end) = month_of(state.now());
        let c = state
            .store
            .feature_counts(org_id, Some(unix_millis(start)))
            .await?;
        Ok(Usage {
            period_start: format_timestamp(start),
            period_end: format_timestamp(end),
            conversations: c.conversations_open + c.conversations_closed,
            messages: c.messages_inbound + c.messages_outbound,
            inbound_messages: c.messages_inbound,
            outbound_messages: c.messages_outbound,
            agents: c.chat_agents + c.whatsapp_agents + c.voice_agents,
            launched_campaigns: c.campaigns_launched,
            members: c.members,
            api_keys: c.api_keys,
        })
    }
}

/// The first instant of `now`'s UTC month and of the next one.
fn month_of(now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    let now = now.to_offset(time::UtcOffset::UTC);
    let first = now.date() - Duration::days(i64::from(now.day()) - 1);
    let start = first.midnight().assume_utc();
    let next = if first.month() == time::Month::December {
        time::Date::from_calendar_date(first.year() + 1, time::Month::January, 1)
    } else {
        time::Date::from_calendar_date(first.year(), first.month().next(), 1)
    };
    let end = next
        .map(|d| d.midnight().assume_utc())
        .unwrap_or(start + Duration::days(31));
    (start, end)
}

pub async fn usage(State(state): State<AppState>, ctx: OrgContext) -> ApiResult<Json<Usage>> {
    Ok(Json(Usage::of(&state, &ctx.org.id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use teamgate_core::clock::from_unix_millis;

    #[test]
    fn a_month_runs_from_its_first_day_to_the_next_months() {
        let (start, end) = month_of(from_unix_millis(1_796_380_267_412)); // 2026-12-04
        assert_eq!(format_timestamp(start), "2026-12-01T00:00:00.000Z");
        assert_eq!(format_timestamp(end), "2027-01-01T00:00:00.000Z");
    }
}
