//! Agents (chat, WhatsApp, voice) and campaigns: lists with create, edit,
//! delete and launch forms. Input is checked by the same functions as the API.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;
use teamgate_core::Permission;
use teamgate_store::{AgentKind, NamedConfigChange, NewNamedConfig};

use super::features::{back_to, console_listing, flash, header_row, org_url, pager};
use super::layout::action;
use crate::api::agents::{check_config, Kind, NAME_MAX};
use crate::api::clean_name;
use crate::error::ApiError;
use crate::gate::OrgContext;
use crate::AppState;

/// The create, edit and delete permissions of each agent feature.
const fn agent_permissions(kind: AgentKind) -> [Permission; 3] {
    match kind {
        AgentKind::Chat => [
            Permission::of("chat_agents", "create"),
            Permission::of("chat_agents", "edit"),
            Permission::of("chat_agents", "delete"),
        ],
        AgentKind::Whatsapp => [
            Permission::of("whatsapp_agents", "create"),
            Permission::of("whatsapp_agents", "edit"),
            Permission::of("whatsapp_agents", "delete"),
        ],
        AgentKind::Voice => [
            Permission::of("voice_agents", "create"),
            Permission::of("voice_agents", "edit"),
            Permission::of("voice_agents", "delete"),
        ],
    }
}

const CAMPAIGN_CREATE: Permission = Permission::of("campaigns", "create");
const CAMPAIGN_EDIT: Permission = Permission::of("campaigns", "edit");
const CAMPAIGN_DELETE: Permission = Permission::of("campaigns", "delete");
const CAMPAIGN_LAUNCH: Permission = Permission::of("campaigns", "launch");

/// The page of an agent feature: `chat-agents`, ….
pub(super) fn agents_slug(kind: AgentKind) -> &'static str {
    match kind {
        AgentKind::Chat => "chat-agents",
        AgentKind::Whatsapp => "whatsapp-agents",
        AgentKind::Voice => "voice-agents",
    }
}

fn pretty(config: &Value) -> String {
    serde_json::to_string_pretty(config).unwrap_or_else(|_| config.to_string())
}

/// The name and configuration fields, filled with `name` and `config`.
fn named_config_fields(name: &str, config: &str) -> Markup {
    html! {
        label { "Name" input name="name" value=(name) required maxlength=(NAME_MAX); }
        label { "Configuration (a JSON object)"
            textarea name="config" rows="5" cols="60" spellcheck="false" { (config) }
        }
    }
}

pub(super) async fn agents_page(
    state: &AppState,
    ctx: &OrgContext,
    kind: AgentKind,
    q: &HashMap<String, String>,
) -> Result<Markup, ApiError> {
    let listing = console_listing(q)?;
    let rows = state
        .store
        .agents(&ctx.org.id, kind, listing.position.clone(), listing.fetch())
        .await?;
    let page = listing.page(rows, |a| (a.created_ms, a.id.as_str()));
    let [create, edit, delete] = agent_permissions(kind);
    let base = org_url(ctx, agents_slug(kind));
    Ok(html! {
        h1 { (kind.label()) " Agents" }
        (flash(q))
        section.create {
            h2 { "New " (kind.label()) " Agent" }
            form method="post" action=(base) {
                (named_config_fields("", "{}"))
                (action(ctx, create, "Create Agent"))
            }
        }
        h2 { "Agents" }
        @if page.items.is_empty() { p.empty { "No " (kind.label()) " agents yet." } }
        @else {
            table.agents {
                (header_row(&["Name", "Configuration", "Created", "Updated", "Actions"]))
                tbody {
                    @for a in &page.items {
                        tr data-id=(a.id) {
                            td.name { (a.name) }
                            td { pre.config { (pretty(&a.config)) } }
                            td { (a.created_at) }
                            td { (a.updated_at) }
                            td {
                                details.edit {
                                    summary { "Edit" }
                                    form method="post" action={ (base) "/" (a.id) "/edit" } {
                                        (named_config_fields(&a.name, &pretty(&a.config)))
                                        (action(ctx, edit, "Save Agent"))
                                    }
                                }
                                form method="post" action={ (base) "/" (a.id) "/delete" }
                                    onsubmit="return confirm('Delete this agent?')" {
                                    (action(ctx, delete, "Delete"))
                                }
                            }
                        }
                    }
                }
            }
        }
        (pager(&base, page.next_cursor.as_deref()))
    })
}

#[derive(Deserialize)]
pub struct NamedConfigForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    config: String,
}

impl NamedConfigForm {
    fn parse(self) -> Result<NewNamedConfig, ApiError> {
        let name = clean_name(&self.name, "the name", NAME_MAX)?;
        let text = self.config.trim();
        let config = if text.is_empty() {
            Value::Object(Default::default())
        } else {
            serde_json::from_str(text).map_err(|e| {
                ApiError::invalid(format!("The configuration is not valid JSON: {e}."))
            })?
        };
        Ok(NewNamedConfig {
            name,
            config: check_config(config)?,
        })
    }
}

pub async fn create_agent<K: Kind>(
    State(state): State<AppState>,
    ctx: OrgContext,
    Form(form): Form<NamedConfigForm>,
) -> Response {
    let outcome = async {
        let new = form.parse()?;
        let agent = state
            .store
            .create_agent(&ctx.org.id, K::KIND, new, &ctx.audit(), state.now())
            .await?;
        Ok(format!("Created {}.", agent.name))
    }
    .await;
    back_to(&org_url(&ctx, agents_slug(K::KIND)), outcome)
}

pub async fn edit_agent<K: Kind>(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<NamedConfigForm>,
) -> Response {
    let outcome = async {
        state
            .store
            .agent(&ctx.org.id, K::KIND, &id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let new = form.parse()?;
        let change = NamedConfigChange {
            name: Some(new.name),
            config: Some(new.config),
        };
        let agent = state
            .store
            .update_agent(&ctx.org.id, K::KIND, &id, change, &ctx.audit(), state.now())
            .await?;
        Ok(format!("Saved {}.", agent.name))
    }
    .await;
    back_to(&org_url(&ctx, agents_slug(K::KIND)), outcome)
}

pub async fn delete_agent<K: Kind>(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let outcome = async {
        state
            .store
            .delete_agent(&ctx.org.id, K::KIND, &id, &ctx.audit(), state.now())
            .await?;
        Ok("Agent deleted.".to_string())
    }
    .await;
    back_to(&org_url(&ctx, agents_slug(K::KIND)), outcome)
}

pub(super) async fn campaigns_page(
    state: &AppState,
    ctx: &OrgContext,
    q: &HashMap<String, String>,
) -> Result<Markup, ApiError> {
    let listing = console_listing(q)?;
    let rows = state
        .store
        .campaigns(&ctx.org.id, listing.position.clone(), listing.fetch())
        .await?;
    let page = listing.page(rows, |c| (c.created_ms, c.id.as_str()));
    let base = org_url(ctx, "campaigns");
    Ok(html! {
        h1 { "Campaigns" }
        (flash(q))
        section.create {
            h2 { "New Campaign" }
            form method="post" action=(base) {
                (named_config_fields("", "{\n  \"channel\": \"whatsapp\",\n  \"audience\": \"all contacts\"\n}"))
                (action(ctx, CAMPAIGN_CREATE, "Create Campaign"))
            }
        }
        h2 { "Campaigns" }
        @if page.items.is_empty() { p.empty { "No campaigns yet." } }
        @else {
            table.campaigns {
                (header_row(&["Name", "Status", "Configuration", "Created", "Actions"]))
                tbody {
                    @for c in &page.items {
                        tr data-id=(c.id) data-status=(c.status) {
                            td.name { (c.name) }
                            td.status {
                                @if let Some(at) = &c.launched_at { "Launched " (at) } @else { "Draft" }
                            }
                            td { pre.config { (pretty(&c.config)) } }
                            td { (c.created_at) }
                            td {
                                @if c.status == "draft" {
                                    form method="post" action={ (base) "/" (c.id) "/launch" }
                                        onsubmit="return confirm('Launch this campaign now?')" {
                                        (action(ctx, CAMPAIGN_LAUNCH, "Launch"))
                                    }
                                }
                                details.edit {
                                    summary { "Edit" }
                                    form method="post" action={ (base) "/" (c.id) "/edit" } {
                                        (named_config_fields(&c.name, &pretty(&c.config)))
                                        (action(ctx, CAMPAIGN_EDIT, "Save Campaign"))
                                    }
                                }
                                form method="post" action={ (base) "/" (c.id) "/delete" }
                                    onsubmit="return confirm('Delete this campaign?')" {
                                    (action(ctx, CAMPAIGN_DELETE, "Delete"))
                                }
                            }
                        }
                    }
                }
            }
        }
        (pager(&base, page.next_cursor.as_deref()))
    })
}

pub async fn create_campaign(
    State(state): State<AppState>,
    ctx: OrgContext,
    Form(form): Form<NamedConfigForm>,
) -> Response {
    let outcome = async {
        let new = form.parse()?;
        let campaign = state
            .store
            .create_campaign(&ctx.org.id, new, &ctx.audit(), state.now())
            .await?;
        Ok(format!("Created {} as a draft.", campaign.name))
    }
    .await;
    back_to(&org_url(&ctx, "campaigns"), outcome)
}

pub async fn edit_campaign(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<NamedConfigForm>,
) -> Response {
    let outcome = async {
        state
            .store
            .campaign(&ctx.org.id, &id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let new = form.parse()?;
        let change = NamedConfigChange {
            name: Some(new.name),
            config: Some(new.config),
        };
        let campaign = state
            .store
            .update_campaign(&ctx.org.id, &id, change, &ctx.audit(), state.now())
            .await?;
        Ok(format!("Saved {}.", campaign.name))
    }
    .await;
    back_to(&org_url(&ctx, "campaigns"), outcome)
}

pub async fn delete_campaign(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let outcome = async {
        state
            .store
            .delete_campaign(&ctx.org.id, &id, &ctx.audit(), state.now())
            .await?;
        Ok("Campaign deleted.".to_string())
    }
    .await;
    back_to(&org_url(&ctx, "campaigns"), outcome)
}

pub async fn launch_campaign(
    State(state): State<AppState>,
    ctx: OrgContext,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let outcome = async {
        let campaign = state
            .store
            .launch_campaign(&ctx.org.id, &id, &ctx.audit(), state.now())
            .await?;
        Ok(format!("Launched {}.", campaign.name))
    }
    .await;
    back_to(&org_url(&ctx, "campaigns"), outcome)
}
