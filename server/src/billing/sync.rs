//! What a subscription's state, read from Stripe, does to a payer's
//! billing: a pure step from the stored row to the next, and the notices
//! its changes call for. Events only say *which* subscription to read;
//! the state applied is always Stripe's current one, so the order and the
//! number of deliveries cannot change where a payer ends up (the property
//! test below shuffles and repeats them).

use app::billing::{effective_tier, BillingInterval, SubscriptionStatus};
use app::plans::Tier;

use super::accounts::BillingRow;
use super::stripe_api::SubscriptionState;

/// Something the payer is told by email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A renewal failed: the plan holds until the grace period ends (ms).
    PaymentFailed { grace_ends_at: i64 },
    /// The plan in force changed (bought, changed, lapsed, ended).
    PlanChanged { from: Tier, to: Tier },
    /// The subscription will end then (ms) unless renewed in the portal.
    CancellationScheduled { at: i64 },
}

/// The row after `state`, or `None` when `state` is another subscription
/// that does not displace the stored one (of two, the live one counts,
/// then the newer). `paid`: an invoice of it was paid (`invoice.paid`),
/// which makes its current period the one usage counts in.
pub fn next_row(
    before: &BillingRow,
    state: &SubscriptionState,
    subscribed: Option<(Tier, BillingInterval)>,
    paid: bool,
    grace_ms: i64,
    now: i64,
) -> Option<BillingRow> {
    let same = before.subscription_id.as_deref().is_none_or(|id| id == state.id);
    if !same {
        let rank = |status: Option<SubscriptionStatus>, created: Option<i64>| {
            (status.is_some_and(SubscriptionStatus::keeps_the_plan), created.unwrap_or(0))
        };
        let stored = rank(before.status.as_deref().and_then(SubscriptionStatus::parse), before.subscription_created);
        if rank(state.status, Some(state.created)) <= stored {
            return None;
        }
    }
    let (tier, interval) = match subscribed {
        Some((tier, interval)) => (tier, Some(interval)),
        None => (Tier::Free, None),
    };
    let past_due = state.status == Some(SubscriptionStatus::PastDue);
    let was_past_due = same && before.status.as_deref() == Some(SubscriptionStatus::PastDue.as_str());
    let grace_ends_at = match (past_due, was_past_due.then_some(before.grace_ends_at).flatten()) {
        (false, _) => None,
        (true, Some(kept)) => Some(kept),
        (true, None) => Some(now + grace_ms),
    };
    let ms = |seconds: Option<i64>| seconds.map(|s| s * 1000);
    // Only ever forward, judged by the period's end (a renewal or a new
    // interval always ends later; the tests' fake renews ahead of the
    // clock, so starts may not): a late delivery of an older payment reads
    // the same current period, and a proration's payment does not move it. A
    // subscription is active from the start only once its first invoice
    // is paid (else `incomplete`), so its first period counts at once.
    let kept = if same { (before.usage_period_start, before.usage_period_end) } else { (None, None) };
    let first =
        kept.0.is_none() && matches!(state.status, Some(SubscriptionStatus::Active | SubscriptionStatus::Trialing));
    let usage_period = match (paid || first, ms(state.period_start), ms(state.period_end)) {
        (true, Some(start), Some(end)) if kept.1.is_none_or(|kept| end > kept) => (Some(start), Some(end)),
        _ => kept,
    };
    Some(BillingRow {
        customer_id: before.customer_id.clone(),
        subscription_id: Some(state.id.clone()),
        plan: tier.slug().to_owned(),
        billing_interval: interval.map(|i| i.as_str().to_owned()),
        status: state.status.map(|s| s.as_str().to_owned()),
        subscription_created: Some(state.created),
        period_start: ms(state.period_start),
        period_end: ms(state.period_end),
        cancel_at: ms(state.cancel_at),
        trial_end: ms(state.trial_end),
        grace_ends_at,
        usage_period_start: usage_period.0,
        usage_period_end: usage_period.1,
    })
}

/// The plan a row puts in force at `now`.
pub fn in_force(row: &BillingRow, now: i64) -> Tier {
    let status = row.status.as_deref().and_then(SubscriptionStatus::parse);
    match (row.subscription_id.as_ref(), status) {
        // A subscription in a state we do not know keeps nothing.
        (Some(_), None) => Tier::Free,
        _ => effective_tier(Tier::of_plan(&row.plan), status, row.grace_ends_at, now),
    }
}

/// What the change from `before` to `after` tells the payer (the plan's
/// own change is told by [`Notice::PlanChanged`] from the caller, which
/// knows the plan in force).
pub fn notices(before: &BillingRow, after: &BillingRow) -> Vec<Notice> {
    let mut notices = Vec::new();
    let past_due = Some(SubscriptionStatus::PastDue.as_str());
    if after.status.as_deref() == past_due
        && (before.status.as_deref() != past_due || before.subscription_id != after.subscription_id)
    {
        notices.extend(after.grace_ends_at.map(|grace_ends_at| Notice::PaymentFailed { grace_ends_at }));
    }
    if after.live()
        && after.cancel_at.is_some()
        && (before.cancel_at.is_none() || before.subscription_id != after.subscription_id)
    {
        notices.extend(after.cancel_at.map(|at| Notice::CancellationScheduled { at }));
    }
    notices
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn state(id: &str, status: SubscriptionStatus, created: i64) -> SubscriptionState {
        SubscriptionState {
            id: id.into(),
            customer_id: "cus_1".into(),
            status: Some(status),
            item_id: Some("si_1".into()),
            price_id: Some("price_pro".into()),
            period_start: Some(1_800_000_000),
            period_end: Some(1_802_592_000),
            cancel_at: None,
            trial_end: None,
            created,
        }
    }

    fn pro() -> Option<(Tier, BillingInterval)> {
        Some((Tier::Pro, BillingInterval::Month))
    }

    #[test]
    fn a_failed_renewal_keeps_the_plan_through_grace_then_frees_it() {
        let now = 1_800_000_000_000;
        let active = next_row(
            &BillingRow::default(),
            &state("sub_1", SubscriptionStatus::Active, 1),
            pro(),
            false,
            7 * DAY,
            now,
        )
        .unwrap();
        assert_eq!((in_force(&active, now), active.period_end), (Tier::Pro, Some(1_802_592_000_000)));
        let failed =
            next_row(&active, &state("sub_1", SubscriptionStatus::PastDue, 1), pro(), false, 7 * DAY, now).unwrap();
        assert_eq!(failed.grace_ends_at, Some(now + 7 * DAY));
        assert_eq!(notices(&active, &failed), [Notice::PaymentFailed { grace_ends_at: now + 7 * DAY }]);
        // A later copy of the same state keeps the grace period's end and says nothing again.
        let again =
            next_row(&failed, &state("sub_1", SubscriptionStatus::PastDue, 1), pro(), false, 7 * DAY, now + DAY)
                .unwrap();
        assert_eq!((again.grace_ends_at, notices(&failed, &again)), (Some(now + 7 * DAY), vec![]));
        assert_eq!(in_force(&again, now + 7 * DAY - 1), Tier::Pro);
        assert_eq!(in_force(&again, now + 7 * DAY), Tier::Free);
        let recovered =
            next_row(&again, &state("sub_1", SubscriptionStatus::Active, 1), pro(), false, 7 * DAY, now + 2 * DAY)
                .unwrap();
        assert_eq!((recovered.grace_ends_at, in_force(&recovered, now + 30 * DAY)), (None, Tier::Pro));
        let unpaid =
            next_row(&again, &state("sub_1", SubscriptionStatus::Unpaid, 1), pro(), false, 7 * DAY, now).unwrap();
        assert_eq!(in_force(&unpaid, now), Tier::Free, "unpaid returns to Free at once");
    }

    #[test]
    fn a_scheduled_cancellation_is_told_once_and_keeps_the_plan_until_it_ends() {
        let now = 1_800_000_000_000;
        let active =
            next_row(&BillingRow::default(), &state("sub_1", SubscriptionStatus::Active, 1), pro(), false, DAY, now)
                .unwrap();
        let mut ending = state("sub_1", SubscriptionStatus::Active, 1);
        ending.cancel_at = Some(1_802_592_000);
        let scheduled = next_row(&active, &ending, pro(), false, DAY, now).unwrap();
        assert_eq!(notices(&active, &scheduled), [Notice::CancellationScheduled { at: 1_802_592_000_000 }]);
        assert_eq!(notices(&scheduled, &next_row(&scheduled, &ending, pro(), false, DAY, now).unwrap()), []);
        assert_eq!(in_force(&scheduled, now), Tier::Pro);
        let ended =
            next_row(&scheduled, &state("sub_1", SubscriptionStatus::Canceled, 1), pro(), false, DAY, now).unwrap();
        assert_eq!((in_force(&ended, now), notices(&scheduled, &ended)), (Tier::Free, vec![]));
    }

    #[test]
    fn a_paid_invoice_starts_the_usage_period_and_only_a_later_one_moves_it() {
        let now = 1_800_000_000_000;
        let first = state("sub_1", SubscriptionStatus::Active, 1);
        let unpaid = state("sub_1", SubscriptionStatus::Incomplete, 1);
        let created = next_row(&BillingRow::default(), &unpaid, pro(), false, DAY, now).unwrap();
        assert_eq!(created.usage_period_start, None, "not paid yet: the calendar month counts");
        let paid = next_row(&created, &first, pro(), true, DAY, now).unwrap();
        assert_eq!(
            (paid.usage_period_start, paid.usage_period_end),
            (Some(1_800_000_000_000), Some(1_802_592_000_000))
        );
        let active_at_once = next_row(&BillingRow::default(), &first, pro(), false, DAY, now).unwrap();
        assert_eq!(active_at_once.usage_period_start, paid.usage_period_start, "active when created: paid at Checkout");
        let mut renewed = first.clone();
        (renewed.period_start, renewed.period_end) = (Some(1_802_592_000), Some(1_805_184_000));
        let unpaid_renewal = next_row(&paid, &renewed, pro(), false, DAY, now).unwrap();
        assert_eq!(unpaid_renewal.usage_period_start, Some(1_800_000_000_000), "the renewal is not paid yet");
        let paid_renewal = next_row(&unpaid_renewal, &renewed, pro(), true, DAY, now).unwrap();
        assert_eq!(paid_renewal.usage_period_start, Some(1_802_592_000_000));
        // A proration's payment, or the first payment delivered late, reads the same current period: no change.
        let again = next_row(&paid_renewal, &renewed, pro(), true, DAY, now).unwrap();
        assert_eq!(
            (again.usage_period_start, again.usage_period_end),
            (paid_renewal.usage_period_start, paid_renewal.usage_period_end)
        );
    }

    /// A tiny deterministic generator (the tests' own; no crate needed).
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// Stripe's final word on each subscription a payer had (the first
    /// canceled, then a newer one live, possibly past due and set to
    /// cancel), delivered as events shuffled and repeated in any order:
    /// each event reads its subscription's current state, and the payer
    /// always ends on the newer subscription's plan and status.
    #[test]
    fn shuffled_and_repeated_deliveries_end_in_the_same_plan_and_status() {
        let now = 1_800_000_000_000;
        for seed in 1..=500u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let finals = [SubscriptionStatus::Active, SubscriptionStatus::PastDue, SubscriptionStatus::Trialing];
            let mut newer = state("sub_new", finals[rng.below(3)], 200);
            if rng.below(2) == 0 {
                newer.cancel_at = newer.period_end;
            }
            let older = state("sub_old", SubscriptionStatus::Canceled, 100);
            // Events of checkout, updates, invoices and deletion, each naming one subscription.
            let mut deliveries: Vec<&SubscriptionState> =
                (0..3 + rng.below(6)).map(|_| if rng.below(3) == 0 { &older } else { &newer }).collect();
            deliveries.push(&newer);
            deliveries.push(&older);
            for i in (1..deliveries.len()).rev() {
                deliveries.swap(i, rng.below(i + 1));
            }
            let mut row = BillingRow::default();
            let mut told = Vec::new();
            let mut newer_paid = false;
            for (step, delivered) in deliveries.iter().enumerate() {
                // Some of them are `invoice.paid`.
                let paid = rng.below(2) == 0;
                newer_paid |= paid && delivered.id == "sub_new";
                if let Some(next) = next_row(&row, delivered, pro(), paid, 7 * DAY, now + step as i64) {
                    told.extend(notices(&row, &next));
                    row = next;
                }
            }
            assert_eq!(row.subscription_id.as_deref(), Some("sub_new"), "seed {seed}: {deliveries:?}");
            assert_eq!(row.status.as_deref(), Some(newer.status.unwrap().as_str()), "seed {seed}");
            assert_eq!(in_force(&row, now), Tier::Pro, "seed {seed}");
            assert_eq!(row.cancel_at, newer.cancel_at.map(|s| s * 1000), "seed {seed}");
            // Usage counts in the newer one's period once it was active or one of its invoices paid, never the older one's.
            let counted = newer_paid || newer.status != Some(SubscriptionStatus::PastDue);
            let period = counted.then(|| (newer.period_start.unwrap() * 1000, newer.period_end.unwrap() * 1000));
            assert_eq!(row.usage_period_start.zip(row.usage_period_end), period, "seed {seed}");
            // Each notice at most once, however often its state was delivered.
            let payment_failed = told.iter().filter(|n| matches!(n, Notice::PaymentFailed { .. })).count();
            let cancellation = told.iter().filter(|n| matches!(n, Notice::CancellationScheduled { .. })).count();
            assert_eq!(payment_failed, usize::from(newer.status == Some(SubscriptionStatus::PastDue)), "seed {seed}");
            assert_eq!(cancellation, usize::from(newer.cancel_at.is_some()), "seed {seed}");
        }
    }
}
