//! Billing (plan and invoice address) and payment settings (a label and a
//! billing address). Payment settings never take a card number: any field
//! that looks like one is refused, and the refusal does not repeat it.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use teamgate_core::card::contains_card_number;
use teamgate_core::email::normalise_email;
use teamgate_store::{Billing, BillingChange, PaymentSettings, PaymentSettingsChange, PLANS};

use crate::api::fields::{clearable, present};
use crate::error::{ApiError, ApiResult, Body};
use crate::gate::OrgContext;
use crate::AppState;

pub const LABEL_MAX: usize = 100;
pub const ADDRESS_MAX: usize = 500;

pub fn check_plan(plan: &str) -> ApiResult<String> {
    let plan = plan.trim();
    if PLANS.contains(&plan) {
        Ok(plan.to_string())
    } else {
        Err(ApiError::invalid(format!(
            "plan must be one of {}",
            PLANS.join(", ")
        )))
    }
}

/// A billing address; empty clears it.
pub fn check_billing_email(raw: Option<String>) -> ApiResult<Option<String>> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(email) => normalise_email(email)
            .map(Some)
            .map_err(|e| ApiError::invalid(format!("billing_email: {e}"))),
    }
}

/// A payment settings field: bounded, no control characters other than line
/// breaks in the address, and never a card number. Empty clears it.
pub fn check_payment_field(
    raw: Option<String>,
    field: &str,
    max: usize,
    multiline: bool,
) -> ApiResult<Option<String>> {
    let Some(text) = raw.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(ApiError::invalid(format!(
            "{field} must be at most {max} characters"
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r')))
    {
        return Err(ApiError::invalid(format!(
            "{field} must not hold control characters"
        )));
    }
    if contains_card_number(&text) {
        return Err(ApiError::invalid(format!(
            "{field} looks like it holds a card number; teamgate never stores card numbers. \
             Use a label such as \"Visa ending 4242\"."
        )));
    }
    Ok(Some(text))
}

pub async fn show(State(state): State<AppState>, ctx: OrgContext) -> ApiResult<Json<Billing>> {
    Ok(Json(state.store.billing(&ctx.org.id).await?))
}

#[derive(Deserialize)]
pub struct BillingRequest {
    plan: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    billing_email: Option<Value>,
}

pub async fn update(
    State(state): State<AppState>,
    ctx: OrgContext,
    Body(req): Body<BillingRequest>,
) -> ApiResult<Json<Billing>> {
    let plan = match req.plan {
        None => None,
        Some(Value::String(s)) => Some(check_plan(&s)?),
        Some(_) => return Err(ApiError::invalid("plan must be a string")),
    };
    let billing_email = clearable(req.billing_email, "billing_email")?
        .map(check_billing_email)
        .transpose()?;
    let change = BillingChange {
        plan,
        billing_email,
    };
    let billing = state
        .store
        .update_billing(&ctx.org.id, change, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, plan = %billing.plan, "billing updated");
    Ok(Json(billing))
}

pub async fn payment_settings(
    State(state): State<AppState>,
    ctx: OrgContext,
) -> ApiResult<Json<PaymentSettings>> {
    Ok(Json(state.store.payment_settings(&ctx.org.id).await?))
}

#[derive(Deserialize)]
pub struct PaymentSettingsRequest {
    #[serde(default, deserialize_with = "present")]
    payment_method_label: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    billing_address: Option<Value>,
}

pub async fn update_payment_settings(
    State(state): State<AppState>,
    ctx: OrgContext,
    Body(req): Body<PaymentSettingsRequest>,
) -> ApiResult<Json<PaymentSettings>> {
    let label = clearable(req.payment_method_label, "payment_method_label")?
        .map(|v| check_payment_field(v, "payment_method_label", LABEL_MAX, false))
        .transpose()?;
    let address = clearable(req.billing_address, "billing_address")?
        .map(|v| check_payment_field(v, "billing_address", ADDRESS_MAX, true))
        .transpose()?;
    let change = PaymentSettingsChange {
        payment_method_label: label,
        billing_address: address,
    };
    let settings = state
        .store
        .update_payment_settings(&ctx.org.id, change, &ctx.audit(), state.now())
        .await?;
    tracing::info!(org = %ctx.org.id, "payment settings updated");
    Ok(Json(settings))
}
