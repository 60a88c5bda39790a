//! The plans from the product brief: one source for the pricing page, the
//! billing page and every limit the product enforces ([`entitlements`]).

use crate::components::format::format_count;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    SupportBot,
    CareerMentor,
}

impl Product {
    pub const ALL: [Product; 2] = [Product::SupportBot, Product::CareerMentor];

    pub fn label(self) -> &'static str {
        match self {
            Product::SupportBot => "Support bot",
            Product::CareerMentor => "Career mentor",
        }
    }

    pub fn slug(self) -> &'static str {
        match self {
            Product::SupportBot => "support",
            Product::CareerMentor => "mentor",
        }
    }

    /// Who pays for the plan, as the pricing table states it.
    pub fn billed_per(self) -> &'static str {
        match self {
            Product::SupportBot => "per workspace",
            Product::CareerMentor => "per person",
        }
    }

    /// Units a month on `plan` (a stored plan name); `None` is unlimited.
    pub fn monthly_quota(self, plan: &str) -> Option<u32> {
        entitlements(self, Tier::of_plan(plan)).monthly_quota
    }

    pub fn plan(self, tier: Tier) -> &'static Plan {
        self.plans().iter().find(|p| p.tier == tier).expect("every product has every tier")
    }

    pub fn plans(self) -> &'static [Plan] {
        match self {
            Product::SupportBot => &SUPPORT_BOT_PLANS,
            Product::CareerMentor => &CAREER_MENTOR_PLANS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Free,
    Pro,
    Enterprise,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Free, Tier::Pro, Tier::Enterprise];

    /// The plan's name as stored and sent ("free", "pro", "enterprise").
    pub fn slug(self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::Pro => "pro",
            Tier::Enterprise => "enterprise",
        }
    }

    /// The tier of a workspace's plan name as stored ("free", "pro", …);
    /// an unknown name is Free.
    pub fn of_plan(plan: &str) -> Tier {
        match plan {
            "enterprise" => Tier::Enterprise,
            "pro" => Tier::Pro,
            _ => Tier::Free,
        }
    }

    /// Secret keys and the REST API: a paid feature, as Pricing says
    /// ("Analytics, webhooks and REST API" from Pro).
    pub fn has_rest_api(self) -> bool {
        entitlements(Product::SupportBot, self).rest_api
    }

    pub fn label(self) -> &'static str {
        match self {
            Tier::Free => "Free",
            Tier::Pro => "Pro",
            Tier::Enterprise => "Enterprise",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub tier: Tier,
    /// US cents per month.
    pub price_cents: u32,
    /// US cents per year, where the plan is also sold yearly (two months free).
    pub yearly_price_cents: Option<u32>,
    /// Messages (bot) or questions (mentor) per month; `None` is unlimited.
    pub monthly_quota: Option<u32>,
    pub unit: &'static str,
    pub features: &'static [&'static str],
}

impl Plan {
    pub fn price_label(&self) -> String {
        dollars(self.price_cents)
    }

    pub fn yearly_price_label(&self) -> Option<String> {
        self.yearly_price_cents.map(dollars)
    }

    pub fn quota_label(&self) -> String {
        match self.monthly_quota {
            Some(n) => format!("{} {} / month", format_count(u64::from(n)), self.unit),
            None => format!("Unlimited {}", self.unit),
        }
    }
}

/// "$0", "$49", "$19.99".
pub fn dollars(cents: u32) -> String {
    match (cents / 100, cents % 100) {
        (0, 0) => "$0".to_string(),
        (whole, 0) => format!("${}", format_count(u64::from(whole))),
        (whole, cents) => format!("${}.{cents:02}", format_count(u64::from(whole))),
    }
}

const SUPPORT_BOT_PLANS: [Plan; 3] = [
    Plan {
        tier: Tier::Free,
        price_cents: 0,
        yearly_price_cents: None,
        monthly_quota: Some(100),
        unit: "bot messages",
        features: &[
            "Embeddable chat widget",
            "Answers from your own knowledge, with citations",
            "Offline answer engine, no LLM key needed",
            "Human hand-off to your inbox",
        ],
    },
    Plan {
        tier: Tier::Pro,
        price_cents: 4900,
        yearly_price_cents: Some(49000),
        monthly_quota: Some(5000),
        unit: "bot messages",
        features: &[
            "Everything in Free",
            "Your choice of LLM provider and model",
            "Tickets, AI-drafted replies and CSAT",
            "Analytics, webhooks and REST API",
            "No \u{201c}Powered by Lodestar\u{201d} in the widget",
        ],
    },
    Plan {
        tier: Tier::Enterprise,
        price_cents: 19900,
        yearly_price_cents: Some(199000),
        monthly_quota: None,
        unit: "bot messages",
        features: &[
            "Everything in Pro",
            "Unlimited bot messages",
            "PostgreSQL and SurrealDB cluster deployments",
            "Priority support",
        ],
    },
];

const CAREER_MENTOR_PLANS: [Plan; 3] = [
    Plan {
        tier: Tier::Free,
        price_cents: 0,
        yearly_price_cents: None,
        monthly_quota: Some(10),
        unit: "questions",
        features: &[
            "Role recommendations with reasons",
            "Readiness score and skill gaps",
            "A roadmap, quick wins first",
        ],
    },
    Plan {
        tier: Tier::Pro,
        price_cents: 1999,
        yearly_price_cents: Some(19990),
        monthly_quota: Some(500),
        unit: "questions",
        features: &["Everything in Free", "Résumé upload with skill extraction", "Browser extension API"],
    },
    Plan {
        tier: Tier::Enterprise,
        price_cents: 2999,
        yearly_price_cents: Some(29990),
        monthly_quota: None,
        unit: "questions",
        features: &["Everything in Pro", "Unlimited mentor questions", "History and progress insights"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_and_quotas_match_the_product_brief() {
        let labels =
            |p: Product| p.plans().iter().map(|plan| (plan.price_label(), plan.quota_label())).collect::<Vec<_>>();
        assert_eq!(
            labels(Product::SupportBot),
            [
                ("$0".into(), "100 bot messages / month".into()),
                ("$49".into(), "5,000 bot messages / month".into()),
                ("$199".into(), "Unlimited bot messages".into()),
            ]
        );
        assert_eq!(
            labels(Product::CareerMentor),
            [
                ("$0".into(), "10 questions / month".into()),
                ("$19.99".into(), "500 questions / month".into()),
                ("$29.99".into(), "Unlimited questions".into()),
            ]
        );
    }
}

/// What a workspace's knowledge base may hold on each plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnowledgeLimits {
    pub max_sources: u32,
    pub max_chunks: u32,
    pub max_bytes: u64,
    pub max_file_bytes: u64,
    pub max_files_per_upload: u32,
    /// Pages fetched for one sitemap or site crawl.
    pub max_crawl_pages: u32,
}

const MB: u64 = 1024 * 1024;

impl KnowledgeLimits {
    /// Limits for a workspace's plan name as stored ("free", "pro", …);
    /// an unknown name gets the Free limits.
    pub fn for_plan(plan: &str) -> Self {
        entitlements(Product::SupportBot, Tier::of_plan(plan)).knowledge
    }
}

/// Everything a plan allows: the one place every limit and paid feature
/// is read from, so Pricing and the product agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entitlements {
    /// Bot messages (support) or questions (mentor) per period; `None` is unlimited.
    pub monthly_quota: Option<u32>,
    /// What the knowledge base may hold (the support bot's).
    pub knowledge: KnowledgeLimits,
    /// Secret keys and the REST API ("Analytics, webhooks and REST API" from Pro).
    pub rest_api: bool,
    /// Choosing the LLM provider's model ("Your choice of LLM provider and model").
    pub model_choice: bool,
    /// Team members a workspace may have, invitations included; `None` is unlimited.
    pub seats: Option<u32>,
    /// The widget's "Powered by Lodestar" link may be turned off.
    pub remove_branding: bool,
}

impl Entitlements {
    /// "Up to 5 team members", "Unlimited team members".
    pub fn seats_label(&self) -> String {
        match self.seats {
            Some(seats) => format!("Up to {seats} team members"),
            None => "Unlimited team members".to_owned(),
        }
    }
}

/// What `tier` of `product` allows.
pub fn entitlements(product: Product, tier: Tier) -> Entitlements {
    let plan = product.plan(tier);
    Entitlements {
        monthly_quota: plan.monthly_quota,
        knowledge: knowledge_limits(tier),
        rest_api: tier != Tier::Free,
        model_choice: tier != Tier::Free,
        seats: match tier {
            Tier::Free => Some(5),
            Tier::Pro => Some(25),
            Tier::Enterprise => None,
        },
        remove_branding: tier != Tier::Free,
    }
}

fn knowledge_limits(tier: Tier) -> KnowledgeLimits {
    match tier {
        Tier::Enterprise => KnowledgeLimits {
            max_sources: 5_000,
            max_chunks: 500_000,
            max_bytes: 10_000 * MB,
            max_file_bytes: 100 * MB,
            max_files_per_upload: 50,
            max_crawl_pages: 5_000,
        },
        Tier::Pro => KnowledgeLimits {
            max_sources: 500,
            max_chunks: 100_000,
            max_bytes: 1_000 * MB,
            max_file_bytes: 50 * MB,
            max_files_per_upload: 20,
            max_crawl_pages: 1_000,
        },
        Tier::Free => KnowledgeLimits {
            max_sources: 50,
            max_chunks: 5_000,
            max_bytes: 50 * MB,
            max_file_bytes: 10 * MB,
            max_files_per_upload: 10,
            max_crawl_pages: 100,
        },
    }
}
