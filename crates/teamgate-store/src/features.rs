//! The rows of the platform's features, as the store hands them out. Each
//! carries the millisecond timestamp its list is ordered by (not serialised),
//! so the HTTP layer can build page cursors from it.

use serde::Serialize;
use serde_json::Value;

/// Which of the three agent features an agent belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentKind {
    Chat,
    Whatsapp,
    Voice,
}

impl AgentKind {
    pub const ALL: [AgentKind; 3] = [AgentKind::Chat, AgentKind::Whatsapp, AgentKind::Voice];

    /// The value of the `kind` column (and of a conversation's `channel`).
    pub fn key(self) -> &'static str {
        match self {
            AgentKind::Chat => "chat",
            AgentKind::Whatsapp => "whatsapp",
            AgentKind::Voice => "voice",
        }
    }

    /// The catalog feature that gates it: `chat_agents`, ….
    pub fn feature(self) -> &'static str {
        match self {
            AgentKind::Chat => "chat_agents",
            AgentKind::Whatsapp => "whatsapp_agents",
            AgentKind::Voice => "voice_agents",
        }
    }

    /// The noun of its audit actions: `chat_agent.created`, ….
    pub fn audit_noun(self) -> &'static str {
        match self {
            AgentKind::Chat => "chat_agent",
            AgentKind::Whatsapp => "whatsapp_agent",
            AgentKind::Voice => "voice_agent",
        }
    }

    /// For people: "Chat", "WhatsApp", "Voice".
    pub fn label(self) -> &'static str {
        match self {
            AgentKind::Chat => "Chat",
            AgentKind::Whatsapp => "WhatsApp",
            AgentKind::Voice => "Voice",
        }
    }

    pub fn parse(s: &str) -> Option<AgentKind> {
        AgentKind::ALL.into_iter().find(|k| k.key() == s)
    }
}

/// A chat, WhatsApp or voice agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
    /// Always a JSON object.
    pub config: Value,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub kind: AgentKind,
    #[serde(skip)]
    pub created_ms: i64,
}

/// A new agent or campaign: a name and a JSON object, both already validated.
#[derive(Debug, Clone)]
pub struct NewNamedConfig {
    pub name: String,
    pub config: Value,
}

/// A change to an agent or campaign; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct NamedConfigChange {
    pub name: Option<String>,
    pub config: Option<Value>,
}

/// An outbound campaign: a draft until it is launched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Campaign {
    pub id: String,
    pub name: String,
    pub config: Value,
    /// `draft` or `launched`.
    pub status: String,
    pub launched_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub created_ms: i64,
}

/// A conversation of the shared inbox.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    pub id: String,
    pub contact: String,
    /// `chat`, `whatsapp` or `voice`.
    pub channel: String,
    /// `open` or `closed`.
    pub status: String,
    /// The user id of the member it is assigned to.
    pub assignee: Option<String>,
    pub message_count: i64,
    pub last_message_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub closed_at: Option<String>,
    #[serde(skip)]
    pub created_ms: i64,
}

/// A new inbound conversation, opened by its first message.
#[derive(Debug, Clone)]
pub struct NewConversation {
    pub contact: String,
    pub channel: AgentKind,
    pub body: String,
}

/// One message of a conversation, with the conversation's contact and
/// channel so the logs read on their own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub contact: String,
    pub channel: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    pub author: String,
    pub body: String,
    pub created_at: String,
    #[serde(skip)]
    pub created_ms: i64,
}

/// The organisation's plan and where invoices go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Billing {
    pub plan: String,
    pub billing_email: Option<String>,
    pub updated_at: Option<String>,
}

/// Until billing is set: the free plan, invoices to nobody.
impl Default for Billing {
    fn default() -> Billing {
        Billing {
            plan: PLANS[0].to_string(),
            billing_email: None,
            updated_at: None,
        }
    }
}

/// A change to billing; `billing_email: Some(None)` clears the address.
#[derive(Debug, Clone, Default)]
pub struct BillingChange {
    pub plan: Option<String>,
    pub billing_email: Option<Option<String>>,
}

/// How the organisation pays, described in words: never a card number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PaymentSettings {
    pub payment_method_label: Option<String>,
    pub billing_address: Option<String>,
    pub updated_at: Option<String>,
}

/// A change to payment settings; `Some(None)` clears a field.
#[derive(Debug, Clone, Default)]
pub struct PaymentSettingsChange {
    pub payment_method_label: Option<Option<String>>,
    pub billing_address: Option<Option<String>>,
}

/// Counts over an organisation's own data, for analytics and usage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeatureCounts {
    pub chat_agents: i64,
    pub whatsapp_agents: i64,
    pub voice_agents: i64,
    pub campaigns_draft: i64,
    pub campaigns_launched: i64,
    pub conversations_open: i64,
    pub conversations_closed: i64,
    pub conversations_assigned: i64,
    pub messages_inbound: i64,
    pub messages_outbound: i64,
    pub members: i64,
    pub api_keys: i64,
}

/// Messages of one UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DailyMessages {
    /// Days since the Unix epoch.
    pub day: i64,
    pub inbound: i64,
    pub outbound: i64,
}

/// A page position in a list ordered by creation: `(created_ms, id)`.
pub type RowCursor = (i64, String);

/// The plans an organisation can be on, cheapest first.
pub const PLANS: &[&str] = &["free", "starter", "growth", "enterprise"];
