//! Billing and payment settings. Payment settings take a label and an
//! address only; a card number is refused by the same check as the API's.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Response;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use teamgate_core::Permission;
use teamgate_store::{BillingChange, PaymentSettingsChange, PLANS};

use super::features::{back_to, flash, org_url};
use super::layout::action;
use crate::api::billing::{
    check_billing_email, check_payment_field, check_plan, ADDRESS_MAX, LABEL_MAX,
};
use crate::error::ApiError;
use crate::gate::OrgContext;
use crate::AppState;

const BILLING_EDIT: Permission = Permission::of("billing", "edit");
const PAYMENT_EDIT: Permission = Permission::of("payment_settings", "edit");

pub(super) async fn billing_page(
    state: &AppState,
    ctx: &OrgContext,
    q: &HashMap<String, String>,
) -> Result<Markup, ApiError> {
    let billing = state.store.billing(&ctx.org.id).await?;
    Ok(html! {
        h1 { "Billing" }
        (flash(q))
        dl.billing {
            dt { "Plan" } dd.plan { (billing.plan) }
            dt { "Invoices go to" } dd { (billing.billing_email.as_deref().unwrap_or("nobody yet")) }
            @if let Some(at) = &billing.updated_at { dt { "Last changed" } dd { (at) } }
        }
        h2 { "Change billing" }
        form method="post" action=(org_url(ctx, "billing")) {
            label { "Plan"
                select name="plan" {
                    @for p in PLANS { option value=(p) selected[*p == billing.plan] { (p) } }
                }
            }
            label { "Billing email"
                input type="email" name="billing_email" value=(billing.billing_email.as_deref().unwrap_or(""));
            }
            (action(ctx, BILLING_EDIT, "Save Billing"))
        }
    })
}

#[derive(Deserialize)]
pub struct BillingForm {
    #[serde(default)]
    plan: String,
    #[serde(default)]
    billing_email: String,
}

pub async fn update_billing(
    State(state): State<AppState>,
    ctx: OrgContext,
    Form(form): Form<BillingForm>,
) -> Response {
    let outcome = async {
        let change = BillingChange {
            plan: Some(check_plan(&form.plan)?),
            billing_email: Some(check_billing_email(Some(form.billing_email))?),
        };
        let billing = state
            .store
            .update_billing(&ctx.org.id, change, &ctx.audit(), state.now())
            .await?;
        Ok(format!("Billing saved: the {} plan.", billing.plan))
    }
    .await;
    back_to(&org_url(&ctx, "billing"), outcome)
}

pub(super) async fn payment_page(
    state: &AppState,
    ctx: &OrgContext,
    q: &HashMap<String, String>,
) -> Result<Markup, ApiError> {
    let settings = state.store.payment_settings(&ctx.org.id).await?;
    Ok(html! {
        h1 { "Payment Settings" }
        (flash(q))
        p { "teamgate keeps a description of the payment method and the billing address. "
            "It never stores card numbers: describe the card instead, such as \"Visa ending 4242\"." }
        form method="post" action=(org_url(ctx, "payment-settings")) {
            label { "Payment method"
                input name="payment_method_label" maxlength=(LABEL_MAX) placeholder="Visa ending 4242"
                    value=(settings.payment_method_label.as_deref().unwrap_or(""));
            }
            label { "Billing address"
                textarea name="billing_address" rows="4" cols="50" maxlength=(ADDRESS_MAX) {
                    (settings.billing_address.as_deref().unwrap_or(""))
                }
            }
            (action(ctx, PAYMENT_EDIT, "Save Payment Settings"))
        }
        @if let Some(at) = &settings.updated_at { p { small { "Last changed " (at) } } }
    })
}

#[derive(Deserialize)]
pub struct PaymentForm {
    #[serde(default)]
    payment_method_label: String,
    #[serde(default)]
    billing_address: String,
}

pub async fn update_payment(
    State(state): State<AppState>,
    ctx: OrgContext,
    Form(form): Form<PaymentForm>,
) -> Response {
    let outcome = async {
        let label = check_payment_field(
            Some(form.payment_method_label),
            "payment_method_label",
            LABEL_MAX,
            false,
        )?;
        let address = check_payment_field(
            Some(form.billing_address),
            "billing_address",
            ADDRESS_MAX,
            true,
        )?;
        let change = PaymentSettingsChange {
            payment_method_label: Some(label),
            billing_address: Some(address),
        };
        state
            .store
            .update_payment_settings(&ctx.org.id, change, &ctx.audit(), state.now())
            .await?;
        Ok("Payment settings saved.".to_string())
    }
    .await;
    back_to(&org_url(&ctx, "payment-settings"), outcome)
}
