//! Demo Co's feature data: a few realistic agents, campaigns, conversations
//! and billing settings, written through the store like any other change,
//! so each one has its audit event.

use serde_json::json;
use teamgate_store::{
    AgentKind, AuditMeta, BillingChange, NewConversation, NewNamedConfig, PaymentSettingsChange,
    Store,
};
use time::{Duration, OffsetDateTime};

/// Hands out increasing instants from `start`, so the audit log stays in order.
struct Ticker(OffsetDateTime);

impl Ticker {
    fn next(&mut self, step: Duration) -> OffsetDateTime {
        self.0 += step;
        self.0
    }
}

/// Fills each feature of `org_id`, from `start` on; `assignee` gets one conversation.
pub async fn seed(
    store: &dyn Store,
    org_id: &str,
    assignee: &str,
    meta: &AuditMeta,
    start: OffsetDateTime,
) -> Result<(), String> {
    let mut t = Ticker(start);
    let err = |e: teamgate_store::StoreError| e.to_string();
    let named = |name: &str, config: serde_json::Value| NewNamedConfig {
        name: name.into(),
        config,
    };

    let agents = [
        (
            AgentKind::Chat,
            "Website Concierge",
            json!({
                "greeting": "Hi! How can we help you today?",
                "language": "en", "model": "standard", "handoff_after_minutes": 5,
            }),
        ),
        (
            AgentKind::Chat,
            "Support Triage",
            json!({
                "greeting": "Tell us what went wrong and we'll route you to the right team.",
                "language": "en", "model": "standard", "collect": ["order_number", "email"],
            }),
        ),
        (
            AgentKind::Chat,
            "Pricing Helper",
            json!({
                "greeting": "Questions about plans? Ask away.", "language": "en", "model": "fast",
            }),
        ),
        (
            AgentKind::Whatsapp,
            "Order Updates",
            json!({
                "sender_name": "Demo Co", "templates": ["order_shipped", "order_delivered"],
                "quiet_hours": {"from": "21:00", "to": "08:00"},
            }),
        ),
        (
            AgentKind::Voice,
            "Front Desk Line",
            json!({
                "voice": "warm", "language": "en-GB",
                "business_hours": {"mon_fri": "09:00-17:30"}, "voicemail": true,
            }),
        ),
    ];
    for (kind, name, config) in agents {
        store
            .create_agent(
                org_id,
                kind,
                named(name, config),
                meta,
                t.next(Duration::minutes(40)),
            )
            .await
            .map_err(err)?;
    }

    let spring = store
        .create_campaign(org_id, named("Spring Sale Announcement", json!({
            "channel": "whatsapp", "audience": "customers who ordered in the last 12 months",
            "template": "spring_sale", "send_window": "10:00-18:00",
        })), meta, t.next(Duration::hours(2)))
        .await
        .map_err(err)?;
    store
        .launch_campaign(org_id, &spring.id, meta, t.next(Duration::hours(3)))
        .await
        .map_err(err)?;
    store
        .create_campaign(
            org_id,
            named(
                "Win-back: lapsed subscribers",
                json!({
                    "channel": "chat", "audience": "subscriptions cancelled in the last 90 days",
                    "offer": "20% off for 3 months",
                }),
            ),
            meta,
            t.next(Duration::hours(1)),
        )
        .await
        .map_err(err)?;

    let conversations = [
        ("Priya Shah", AgentKind::Chat, "Hello, I was charged twice for order 10432.",
            Some("Sorry about that, Priya. I've refunded the duplicate charge; it'll show in 3-5 days.")),
        ("Tom Becker", AgentKind::Whatsapp, "Has my parcel left the warehouse yet?",
            Some("Yes! It shipped this morning and should arrive tomorrow.")),
        ("Lucía Romero", AgentKind::Voice, "Voicemail: please call me back about changing my plan.", None),
        ("Kwame Mensah", AgentKind::Chat, "Do you offer a discount for non-profits?", None),
        ("Anna Kowalski", AgentKind::Whatsapp, "Can I change my delivery address?",
            Some("Of course. Reply with the new address and we'll update it.")),
    ];
    let mut ids = Vec::new();
    for (contact, channel, body, reply) in conversations {
        let new = NewConversation {
            contact: contact.into(),
            channel,
            body: body.into(),
        };
        let c = store
            .record_inbound(org_id, new, meta, t.next(Duration::hours(20)))
            .await
            .map_err(err)?;
        if let Some(reply) = reply {
            store
                .reply(org_id, &c.id, reply, meta, t.next(Duration::minutes(12)))
                .await
                .map_err(err)?;
        }
        ids.push(c.id);
    }
    if let [first, _, third, ..] = ids.as_slice() {
        store
            .close_conversation(org_id, first, meta, t.next(Duration::minutes(30)))
            .await
            .map_err(err)?;
        let at = t.next(Duration::minutes(5));
        store
            .assign_conversation(org_id, third, Some(assignee), meta, at)
            .await
            .map_err(err)?;
    }

    let billing = BillingChange {
        plan: Some("growth".into()),
        billing_email: Some(Some("accounts@demo.test".into())),
    };
    store
        .update_billing(org_id, billing, meta, t.next(Duration::minutes(20)))
        .await
        .map_err(err)?;
    let payment = PaymentSettingsChange {
        payment_method_label: Some(Some("Visa ending 4242".into())),
        billing_address: Some(Some("Demo Co Ltd\n1 Example Street\nSpringfield".into())),
    };
    store
        .update_payment_settings(org_id, payment, meta, t.next(Duration::minutes(2)))
        .await
        .map_err(err)?;
    Ok(())
}
