//! Contact-sales leads, stored in the SQL store.

use app::error::ServiceError;
use app::sales::{ContactSalesForm, LeadReceipt, NewLead};
use app::services::SalesService;
use async_trait::async_trait;
use sqlx::{Any, Executor};

use crate::error::AppError;
use crate::sql::{now_millis, SqlStore};

pub struct SqlSalesService {
    store: SqlStore,
}

impl SqlSalesService {
    pub fn new(store: SqlStore) -> Self {
        SqlSalesService { store }
    }
}

#[async_trait]
impl SalesService for SqlSalesService {
    async fn submit_lead(&self, form: &ContactSalesForm) -> Result<LeadReceipt, ServiceError> {
        let lead = form.validate().map_err(ServiceError::Invalid)?;
        let receipt =
            insert_lead(self.store.pool(), &lead).await.map_err(|e| AppError::from(e).into_service_error())?;
        tracing::info!(reference = %receipt.reference, "sales lead stored");
        Ok(receipt)
    }
}

pub async fn insert_lead<'e>(
    db: impl Executor<'e, Database = Any>,
    lead: &NewLead,
) -> Result<LeadReceipt, sqlx::Error> {
    let id = uuid::Uuid::new_v4();
    let reference = lead_reference(&id);
    sqlx::query(
        "INSERT INTO sales_leads (id, reference, name, email, company, message, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(&reference)
    .bind(lead.name())
    .bind(lead.email())
    .bind(lead.company())
    .bind(lead.message())
    .bind(now_millis())
    .execute(db)
    .await?;
    Ok(LeadReceipt { reference, email: lead.email().to_string() })
}

/// A short reference a person can read out on the phone: `LS-` and eight
/// Crockford base-32 characters (no I, L, O or U).
fn lead_reference(id: &uuid::Uuid) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let bits = u64::from_be_bytes(id.as_bytes()[..8].try_into().expect("uuid has 16 bytes"));
    let code: String = (0..8).map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char).collect();
    format!("LS-{code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_and_unambiguous() {
        let reference = lead_reference(&uuid::Uuid::new_v4());
        assert_eq!(reference.len(), 11);
        assert!(reference.starts_with("LS-"));
        assert!(reference[3..].chars().all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c))));
    }
}
