use axum::Json;
use serde_json::{json, Value};
use teamgate_core::CATALOG;

/// Features with their actions, in catalog order.
pub async fn catalog() -> Json<Value> {
    let features: Vec<Value> = CATALOG
        .iter()
        .map(|f| {
            json!({
                "key": f.key,
                "name": f.label,
                "description": f.covers,
                "actions": f.actions,
                "permissions": f.actions.iter().map(|a| format!("{}:{a}", f.key)).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(json!({ "features": features }))
}
