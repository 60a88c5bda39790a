//! Billing's settings: Stripe's keys and the price of each plan, read from
//! the environment and checked at start-up. Without `STRIPE_SECRET_KEY`
//! payments are off: the Billing page says so and `server plan set` sets plans.

use std::time::Duration;

use app::billing::BillingInterval;
use app::plans::{Product, Tier};

use crate::config::{ConfigError, Secret};

#[derive(Debug, Clone)]
pub struct BillingConfig {
    pub stripe: Option<StripeConfig>,
    /// How long a past-due subscription keeps its plan (`BILLING_GRACE_DAYS`, default 7).
    pub grace: Duration,
}

impl Default for BillingConfig {
    fn default() -> Self {
        BillingConfig { stripe: None, grace: Duration::from_secs(7 * 86_400) }
    }
}

#[derive(Debug, Clone)]
pub struct StripeConfig {
    /// `sk_…` or a restricted `rk_…` key (`STRIPE_SECRET_KEY`).
    pub secret_key: Secret,
    /// Verifies webhook deliveries: `whsec_…` (`STRIPE_WEBHOOK_SECRET`).
    pub webhook_secret: Secret,
    /// Stripe's API (`STRIPE_API_BASE`): tests point it at their fake.
    pub api_base: String,
    pub prices: Vec<PlanPrice>,
}

/// A plan's Stripe price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanPrice {
    pub product: Product,
    pub tier: Tier,
    pub interval: BillingInterval,
    pub price_id: String,
}

/// The variable that names each plan's price.
pub const PRICE_VARIABLES: [(&str, Product, Tier, BillingInterval); 8] = [
    ("STRIPE_PRICE_SUPPORT_PRO_MONTHLY", Product::SupportBot, Tier::Pro, BillingInterval::Month),
    ("STRIPE_PRICE_SUPPORT_PRO_YEARLY", Product::SupportBot, Tier::Pro, BillingInterval::Year),
    ("STRIPE_PRICE_SUPPORT_ENTERPRISE_MONTHLY", Product::SupportBot, Tier::Enterprise, BillingInterval::Month),
    ("STRIPE_PRICE_SUPPORT_ENTERPRISE_YEARLY", Product::SupportBot, Tier::Enterprise, BillingInterval::Year),
    ("STRIPE_PRICE_MENTOR_PRO_MONTHLY", Product::CareerMentor, Tier::Pro, BillingInterval::Month),
    ("STRIPE_PRICE_MENTOR_PRO_YEARLY", Product::CareerMentor, Tier::Pro, BillingInterval::Year),
    ("STRIPE_PRICE_MENTOR_ENTERPRISE_MONTHLY", Product::CareerMentor, Tier::Enterprise, BillingInterval::Month),
    ("STRIPE_PRICE_MENTOR_ENTERPRISE_YEARLY", Product::CareerMentor, Tier::Enterprise, BillingInterval::Year),
];

/// The variable that names `price`.
pub fn variable_of(price: &PlanPrice) -> &'static str {
    PRICE_VARIABLES
        .iter()
        .find(|(_, product, tier, interval)| {
            (*product, *tier, *interval) == (price.product, price.tier, price.interval)
        })
        .map_or("STRIPE_PRICE_…", |(name, ..)| name)
}

impl StripeConfig {
    pub fn price(&self, product: Product, tier: Tier, interval: BillingInterval) -> Option<&PlanPrice> {
        self.prices.iter().find(|p| p.product == product && p.tier == tier && p.interval == interval)
    }

    pub fn plan_of_price(&self, price_id: &str) -> Option<&PlanPrice> {
        self.prices.iter().find(|p| p.price_id == price_id)
    }
}

impl BillingConfig {
    /// Reads the billing variables through `get` (trimmed, empty as absent).
    pub fn from_lookup(get: impl Fn(&'static str) -> Option<String>) -> Result<Self, ConfigError> {
        let grace = match get("BILLING_GRACE_DAYS") {
            None => BillingConfig::default().grace,
            Some(days) => match days.parse::<u64>() {
                Ok(days) if days <= 60 => Duration::from_secs(days * 86_400),
                _ => {
                    return Err(ConfigError::Malformed {
                        name: "BILLING_GRACE_DAYS",
                        reason: format!("{days:?}: expected whole days, 0 to 60"),
                    })
                }
            },
        };
        let Some(secret_key) = get("STRIPE_SECRET_KEY") else {
            if get("STRIPE_WEBHOOK_SECRET").is_some() {
                return Err(ConfigError::Missing {
                    name: "STRIPE_SECRET_KEY",
                    why: " when STRIPE_WEBHOOK_SECRET is set (webhooks are read back from Stripe's API)",
                });
            }
            return Ok(BillingConfig { stripe: None, grace });
        };
        if !(secret_key.starts_with("sk_") || secret_key.starts_with("rk_")) {
            return Err(ConfigError::Malformed {
                name: "STRIPE_SECRET_KEY",
                reason: "expected a secret key (sk_…) or a restricted key (rk_…), not a publishable one".into(),
            });
        }
        let webhook_secret = get("STRIPE_WEBHOOK_SECRET").ok_or(ConfigError::Missing {
            name: "STRIPE_WEBHOOK_SECRET",
            why: " when STRIPE_SECRET_KEY is set (the endpoint's signing secret, whsec_…)",
        })?;
        if !webhook_secret.starts_with("whsec_") {
            return Err(ConfigError::Malformed {
                name: "STRIPE_WEBHOOK_SECRET",
                reason: "expected the endpoint's signing secret, whsec_…".into(),
            });
        }
        let mut prices = Vec::new();
        for (name, product, tier, interval) in PRICE_VARIABLES {
            let Some(price_id) = get(name) else { continue };
            if !price_id.starts_with("price_") || price_id.len() > 255 {
                return Err(ConfigError::Malformed {
                    name,
                    reason: format!("{price_id:?}: expected a price id, price_…"),
                });
            }
            if product.plan(tier).yearly_price_cents.is_none() && interval == BillingInterval::Year {
                return Err(ConfigError::Malformed { name, reason: "this plan is not sold yearly".into() });
            }
            if let Some(other) = prices.iter().find(|p: &&PlanPrice| p.price_id == price_id) {
                let reason =
                    format!("{price_id} is already the price of {} {}", other.product.slug(), other.tier.slug());
                return Err(ConfigError::Malformed { name, reason });
            }
            prices.push(PlanPrice { product, tier, interval, price_id });
        }
        if prices.is_empty() {
            return Err(ConfigError::Missing {
                name: "STRIPE_PRICE_SUPPORT_PRO_MONTHLY",
                why: " (or another STRIPE_PRICE_…) when STRIPE_SECRET_KEY is set: Checkout needs a price to sell",
            });
        }
        let api_base = get("STRIPE_API_BASE").unwrap_or_else(|| "https://api.stripe.com".into());
        if !(api_base.starts_with("https://") || api_base.starts_with("http://")) {
            return Err(ConfigError::Malformed {
                name: "STRIPE_API_BASE",
                reason: "expected an http(s):// URL".into(),
            });
        }
        let stripe = StripeConfig {
            secret_key: Secret::new(secret_key),
            webhook_secret: Secret::new(webhook_secret),
            api_base: api_base.trim_end_matches('/').to_owned(),
            prices,
        };
        Ok(BillingConfig { stripe: Some(stripe), grace })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(vars: &[(&'static str, &str)]) -> Result<BillingConfig, ConfigError> {
        let vars: HashMap<&str, String> = vars.iter().map(|(k, v)| (*k, v.to_string())).collect();
        BillingConfig::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn stripe_is_off_without_a_key_and_checked_with_one() {
        let off = read(&[]).unwrap();
        assert!(off.stripe.is_none());
        assert_eq!(off.grace, Duration::from_secs(7 * 86_400));
        assert!(matches!(
            read(&[("STRIPE_WEBHOOK_SECRET", "whsec_1")]),
            Err(ConfigError::Missing { name: "STRIPE_SECRET_KEY", .. })
        ));
        let key = ("STRIPE_SECRET_KEY", "sk_test_1");
        let hook = ("STRIPE_WEBHOOK_SECRET", "whsec_1");
        let price = ("STRIPE_PRICE_SUPPORT_PRO_MONTHLY", "price_pro");
        assert!(matches!(read(&[key, price]), Err(ConfigError::Missing { name: "STRIPE_WEBHOOK_SECRET", .. })));
        assert!(matches!(
            read(&[key, hook]),
            Err(ConfigError::Missing { name: "STRIPE_PRICE_SUPPORT_PRO_MONTHLY", .. })
        ));
        assert!(matches!(read(&[("STRIPE_SECRET_KEY", "pk_test_1"), hook, price]), Err(ConfigError::Malformed { .. })));
        assert!(matches!(read(&[key, ("STRIPE_WEBHOOK_SECRET", "secret"), price]), Err(ConfigError::Malformed { .. })));
        assert!(matches!(
            read(&[key, hook, price, ("STRIPE_PRICE_MENTOR_PRO_MONTHLY", "price_pro")]),
            Err(ConfigError::Malformed { name: "STRIPE_PRICE_MENTOR_PRO_MONTHLY", .. })
        ));
        assert!(matches!(read(&[("BILLING_GRACE_DAYS", "ninety")]), Err(ConfigError::Malformed { .. })));
        let on = read(&[
            key,
            hook,
            price,
            ("STRIPE_PRICE_MENTOR_PRO_YEARLY", "price_mentor_y"),
            ("BILLING_GRACE_DAYS", "3"),
        ])
        .unwrap();
        let stripe = on.stripe.unwrap();
        assert_eq!(on.grace, Duration::from_secs(3 * 86_400));
        assert_eq!(stripe.api_base, "https://api.stripe.com");
        let mentor = stripe.plan_of_price("price_mentor_y").unwrap();
        assert_eq!(
            (mentor.product, mentor.tier, mentor.interval),
            (Product::CareerMentor, Tier::Pro, BillingInterval::Year)
        );
        assert!(stripe.price(Product::SupportBot, Tier::Enterprise, BillingInterval::Month).is_none());
        assert!(!format!("{stripe:?}").contains("sk_test_1"), "the key is never printed");
    }
}
