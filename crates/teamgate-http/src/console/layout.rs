//! The page shell: the organisation switcher and the sidebar, computed from
//! the member's permissions before the page renders.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use teamgate_core::Permission;
use teamgate_store::OrgMembership;

use crate::gate::OrgContext;

/// One sidebar entry: a page and the permission that shows it.
#[derive(Debug, Clone, Copy)]
pub struct NavEntry {
    pub label: &'static str,
    /// Path under `/orgs/{org}/`.
    pub slug: &'static str,
    /// The full route, for the router.
    pub route: &'static str,
    pub permission: Permission,
    pub settings: bool,
}

const fn entry(
    label: &'static str,
    slug: &'static str,
    route: &'static str,
    feature: &str,
    settings: bool,
) -> NavEntry {
    NavEntry {
        label,
        slug,
        route,
        permission: Permission::of(feature, "view"),
        settings,
    }
}

/// The sidebar, in order: feature pages, then Organisation Settings.
pub const NAV: &[NavEntry] = &[
    entry(
        "Chat Agents",
        "chat-agents",
        "/orgs/{org}/chat-agents",
        "chat_agents",
        false,
    ),
    entry(
        "WhatsApp Agents",
        "whatsapp-agents",
        "/orgs/{org}/whatsapp-agents",
        "whatsapp_agents",
        false,
    ),
    entry(
        "Voice Agents",
        "voice-agents",
        "/orgs/{org}/voice-agents",
        "voice_agents",
        false,
    ),
    entry(
        "Campaigns",
        "campaigns",
        "/orgs/{org}/campaigns",
        "campaigns",
        false,
    ),
    entry(
        "Inbox",
        "inbox/conversations",
        "/orgs/{org}/inbox/conversations",
        "inbox",
        false,
    ),
    entry(
        "Analytics",
        "analytics",
        "/orgs/{org}/analytics",
        "analytics",
        false,
    ),
    entry("Logs", "logs", "/orgs/{org}/logs", "logs", false),
    entry(
        "API Keys",
        "api-keys",
        "/orgs/{org}/api-keys",
        "api_keys",
        false,
    ),
    entry(
        "Billing",
        "billing",
        "/orgs/{org}/billing",
        "billing",
        false,
    ),
    entry("Usage", "usage", "/orgs/{org}/usage", "usage", false),
    entry(
        "Payment Settings",
        "payment-settings",
        "/orgs/{org}/payment-settings",
        "payment_settings",
        false,
    ),
    entry(
        "Team Members",
        "settings/team",
        "/orgs/{org}/settings/team",
        "team",
        true,
    ),
    entry(
        "Roles",
        "settings/roles",
        "/orgs/{org}/settings/roles",
        "roles",
        true,
    ),
    entry(
        "Audit Log",
        "settings/audit",
        "/orgs/{org}/settings/audit",
        "audit_log",
        true,
    ),
    entry(
        "General",
        "settings/general",
        "/orgs/{org}/settings/general",
        "org_settings",
        true,
    ),
];

const STYLE: &str = r#"
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#1d2330;background:#f5f6f8}
a{color:#2450c8}header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#1d2330;color:#fff}
header a{color:#fff}header .who{margin-left:auto}main{display:flex;min-height:calc(100vh - 48px)}
nav.sidebar{width:220px;background:#fff;border-right:1px solid #dde;padding:1rem}
nav.sidebar a{display:block;padding:.3rem .5rem;border-radius:4px;text-decoration:none}
nav.sidebar a.current{background:#e8eefc}nav.sidebar h4{margin:1rem 0 .3rem;color:#667;font-size:.8rem;text-transform:uppercase}
section.content{flex:1;padding:1.5rem 2rem}.card{background:#fff;border:1px solid #dde;border-radius:6px;padding:1rem 1.5rem;max-width:32rem;margin:3rem auto}
button,input,select{font:inherit;padding:.35rem .6rem}button[disabled]{opacity:.55;cursor:not-allowed}
.reason{color:#8a4b00;font-size:.85rem}.error{color:#b00020}table{border-collapse:collapse;background:#fff}
td,th{border:1px solid #dde;padding:.35rem .6rem;text-align:left}label{display:block;margin:.5rem 0}
label input{display:block;width:100%}.notice{background:#fff4d6;border:1px solid #e6c35c;padding:.6rem 1rem;border-radius:4px}
"#;

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · teamgate" }
            style { (PreEscaped(STYLE)) }
        }
    }
}

/// A page without the organisation shell (sign-in, setup, errors).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body { div.card { (body) } }
        }
    }
}

/// A page inside an organisation: header with switcher, sidebar, content.
pub fn shell(
    ctx: &OrgContext,
    orgs: &[OrgMembership],
    current: &str,
    title: &str,
    content: Markup,
) -> Markup {
    let org_id = &ctx.org.id;
    let visible: Vec<&NavEntry> = NAV.iter().filter(|e| ctx.can(e.permission)).collect();
    let page_permission = NAV
        .iter()
        .find(|e| e.slug == current)
        .map(|e| e.permission.to_string());
    let nav_json = serde_json::json!({
        "current": current,
        "entries": NAV.iter().map(|e| serde_json::json!({
            "label": e.label, "slug": e.slug, "permission": e.permission, "settings": e.settings,
        })).collect::<Vec<_>>(),
    });
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(&format!("{title} · {}", ctx.org.name)))
            body data-org=(org_id) data-role=(ctx.role.key()) data-page-permission=[page_permission] {
                header {
                    a href={ "/orgs/" (org_id) } { strong { "teamgate" } }
                    @if orgs.len() > 1 {
                        form method="get" action="/" class="org-switcher" {
                            select name="org" aria-label="Organisation" onchange="location.href='/orgs/'+this.value" {
                                @for o in orgs {
                                    option value=(o.id) selected[o.id == *org_id] { (o.name) }
                                }
                            }
                        }
                    } @else {
                        span.org-name { (ctx.org.name) }
                    }
                    span.who {
                        @if let Some(u) = ctx.user() { (u.email) } " · " span.role { (ctx.role.name()) }
                    }
                    form method="post" action="/signout" { button type="submit" { "Sign out" } }
                }
                main {
                    nav.sidebar aria-label="Sections" {
                        a href={ "/orgs/" (org_id) } class=[(current.is_empty()).then_some("current")] { "Home" }
                        @for e in visible.iter().filter(|e| !e.settings) {
                            a href={ "/orgs/" (org_id) "/" (e.slug) } data-permission=(e.permission)
                                class=[(current == e.slug).then_some("current")] { (e.label) }
                        }
                        @if visible.iter().any(|e| e.settings) {
                            h4 { "Organisation Settings" }
                            @for e in visible.iter().filter(|e| e.settings) {
                                a href={ "/orgs/" (org_id) "/" (e.slug) } data-permission=(e.permission)
                                    class=[(current == e.slug).then_some("current")] { (e.label) }
                            }
                        }
                    }
                    section.content { (content) }
                }
                script type="application/json" id="tg-nav" { (PreEscaped(nav_json.to_string().replace('<', "\\u003c"))) }
                script src="/static/live.js" defer {}
            }
        }
    }
}

/// An action button: enabled with the permission, otherwise disabled with the
/// reason in plain words. Either way it names its permission.
pub fn action(ctx: &OrgContext, permission: Permission, label: &str) -> Markup {
    let allowed = ctx.can(permission);
    let reason = format!(
        "Your role ({}) cannot {}.",
        ctx.role.name(),
        permission.describe()
    );
    html! {
        span.action {
            button type="submit" data-permission=(permission) disabled[!allowed]
                title=[(!allowed).then_some(reason.as_str())] { (label) }
            @if !allowed { " " span.reason data-permission=(permission) { (reason) } }
        }
    }
}
