//! Routing: open tickets nobody holds go to agents at the desk now who
//! are under their capacity and take the ticket's category, round robin
//! (the one handed a ticket longest ago) or balanced (the fewest open
//! tickets, then the longest ago). The queue is drained oldest first, so a
//! ticket no one could take goes to the first agent who frees up.
//!
//! A drain runs whenever its outcome may change: a ticket opened (once
//! categorised), a ticket changed (solved, pending, unassigned, another
//! category), a conversation resolved, a member arriving at the desk, the
//! policy saved. It holds the workspace's row lock, so two server processes
//! never hand out the same capacity twice. The choice itself is a pure
//! function ([`drain`]), tested for fairness over random sequences.

use app::routing::{RoutingAgent, RoutingMode, RoutingPolicy};
use sqlx::{Any, AnyConnection, Executor};

use super::store;
use crate::desk::{inbox, settings};
use crate::live::Live;
use crate::sql::{now_millis, SqlStore};

/// Queued tickets looked at per drain, oldest first; the rest wait for the
/// next one.
const QUEUE_READ: i64 = 500;

/// An agent as routing sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    /// At the desk and not away: eligible.
    pub online: bool,
    /// Set themselves away.
    pub away: bool,
    /// Open tickets they hold.
    pub open: u32,
    pub capacity: u32,
    /// The categories they take; empty: every one.
    pub categories: Vec<String>,
    /// When they were last routed a ticket (0: never); strictly increasing
    /// across a workspace's hand-outs.
    pub last_routed_at: i64,
}

impl Candidate {
    /// Whether they may be handed a ticket of `category` now.
    pub fn takes(&self, category: &str) -> bool {
        self.online
            && self.open < self.capacity
            && (self.categories.is_empty() || self.categories.iter().any(|c| c == category))
    }
}

/// Who gets a ticket of `category` (an index into `agents`), if anyone.
pub fn choose(mode: RoutingMode, agents: &[Candidate], category: &str) -> Option<usize> {
    let eligible = agents.iter().enumerate().filter(|(_, a)| a.takes(category));
    let chosen = match mode {
        RoutingMode::Manual => None,
        RoutingMode::RoundRobin => eligible.min_by_key(|(_, a)| (a.last_routed_at, a.id.as_str())),
        RoutingMode::Balanced => eligible.min_by_key(|(_, a)| (a.open, a.last_routed_at, a.id.as_str())),
    };
    chosen.map(|(at, _)| at)
}

/// Hands out `queue` (each ticket's category, oldest first) at `now`:
/// answers (ticket, agent) index pairs and counts them into `agents`.
pub fn drain(mode: RoutingMode, agents: &mut [Candidate], queue: &[&str], now: i64) -> Vec<(usize, usize)> {
    let mut handed = Vec::new();
    for (ticket, category) in queue.iter().enumerate() {
        let Some(agent) = choose(mode, agents, category) else { continue };
        // Later than every earlier hand-out, even within one millisecond.
        let last = agents.iter().map(|a| a.last_routed_at).max().unwrap_or(0);
        agents[agent].last_routed_at = now.max(last + 1);
        agents[agent].open += 1;
        handed.push((ticket, agent));
    }
    handed
}

/// The workspace's members (not suspended) with their load, whether at
/// the desk since `online_since`, and their part in `policy`.
async fn candidates<'e>(
    db: impl Executor<'e, Database = Any>,
    workspace_id: &str,
    policy: &RoutingPolicy,
    online_since: i64,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let rows: Vec<(String, String, i64, i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT u.id, u.name,
                CASE WHEN EXISTS (SELECT 1 FROM desk_presence p
                                  WHERE p.workspace_id = ms.workspace_id AND p.user_id = u.id AND p.seen_at > $2)
                     THEN 1 ELSE 0 END,
                CAST(ms.away AS BIGINT),
                ms.last_routed_at,
                (SELECT COUNT(*) FROM tickets t
                 WHERE t.workspace_id = ms.workspace_id AND t.assignee_id = u.id AND t.status = 'open')
         FROM memberships ms JOIN users u ON u.id = ms.user_id
         WHERE ms.workspace_id = $1 AND ms.suspended_at IS NULL
         ORDER BY u.name, u.id",
    )
    .bind(workspace_id)
    .bind(online_since)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, present, away, last_routed_at, open)| Candidate {
            capacity: policy.capacity_of(&id),
            categories: policy.categories_of(&id).to_vec(),
            online: present == 1 && away == 0,
            away: away != 0,
            open: u32::try_from(open).unwrap_or(u32::MAX),
            last_routed_at: last_routed_at.unwrap_or(0),
            id,
            name,
        })
        .collect())
}

/// Open tickets nobody holds.
async fn queued<'e>(db: impl Executor<'e, Database = Any>, workspace_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM tickets WHERE workspace_id = $1 AND status = 'open' AND assignee_id IS NULL",
    )
    .bind(workspace_id)
    .fetch_one(db)
    .await
}

/// The team as the routing panel shows it, and the queue's length.
pub async fn team(
    db: &sqlx::AnyPool,
    workspace_id: &str,
    policy: &RoutingPolicy,
) -> Result<(Vec<RoutingAgent>, u32), sqlx::Error> {
    let online_since = now_millis() - inbox::ONLINE_WITHIN_MS;
    let agents = candidates(db, workspace_id, policy, online_since).await?;
    let agents = agents
        .into_iter()
        .map(|c| RoutingAgent { id: c.id, name: c.name, online: c.online, away: c.away, open: c.open })
        .collect();
    let queued = queued(db, workspace_id).await?;
    Ok((agents, u32::try_from(queued).unwrap_or(u32::MAX)))
}

/// Routes the workspace's queue in `tx`; answers the tickets handed out.
pub async fn route(tx: &mut AnyConnection, workspace_id: &str, now: i64) -> Result<Vec<String>, sqlx::Error> {
    let policy = settings::routing(&mut *tx, workspace_id).await?;
    if policy.mode == RoutingMode::Manual {
        return Ok(Vec::new());
    }
    // One drain at a time.
    store::lock_workspace(tx, workspace_id).await?;
    let queue: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, category FROM tickets WHERE workspace_id = $1 AND status = 'open' AND assignee_id IS NULL
         ORDER BY created_at, number LIMIT $2",
    )
    .bind(workspace_id)
    .bind(QUEUE_READ)
    .fetch_all(&mut *tx)
    .await?;
    if queue.is_empty() {
        return Ok(Vec::new());
    }
    let mut agents = candidates(&mut *tx, workspace_id, &policy, now - inbox::ONLINE_WITHIN_MS).await?;
    let categories: Vec<&str> = queue.iter().map(|(_, category)| category.as_str()).collect();
    let handed = drain(policy.mode, &mut agents, &categories, now);
    let mut routed = Vec::with_capacity(handed.len());
    for (ticket, agent) in handed {
        let (ticket_id, agent) = (&queue[ticket].0, &agents[agent]);
        sqlx::query(
            "UPDATE tickets SET assignee_id = $1, updated_at = $2
             WHERE id = $3 AND workspace_id = $4 AND assignee_id IS NULL",
        )
        .bind(&agent.id)
        .bind(now)
        .bind(ticket_id)
        .bind(workspace_id)
        .execute(&mut *tx)
        .await?;
        store::record(tx, ticket_id, workspace_id, None, "routed", Some(policy.mode.as_str()), Some(&agent.name), now)
            .await?;
        routed.push(ticket_id.clone());
    }
    for agent in agents.iter().filter(|a| a.last_routed_at != 0) {
        sqlx::query(
            "UPDATE memberships SET last_routed_at = $1
             WHERE workspace_id = $2 AND user_id = $3 AND COALESCE(last_routed_at, 0) < $1",
        )
        .bind(agent.last_routed_at)
        .bind(workspace_id)
        .bind(&agent.id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(routed)
}

/// Routes the workspace's queue in a transaction of its own; the tickets
/// pages hear of what was handed out. Failures are logged, never raised: a
/// ticket not routed waits for the next drain.
pub async fn route_workspace(sql: &SqlStore, live: &Live, workspace_id: &str) {
    // Most workspaces route by hand: asked on a reader, the writer is left alone.
    let workspace = workspace_id.to_owned();
    let policy = sql.read(|db| async move { settings::routing(&db, &workspace).await }).await;
    if policy.is_ok_and(|policy| policy.mode == RoutingMode::Manual) {
        return;
    }
    let workspace = workspace_id.to_owned();
    let job = |db: sqlx::AnyPool| async move {
        let mut tx = db.begin().await?;
        let routed = route(&mut tx, &workspace, now_millis()).await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(routed)
    };
    match sql.write(job).await {
        Ok(routed) if !routed.is_empty() => {
            tracing::debug!(workspace_id, routed = routed.len(), "tickets routed");
            let one = (routed.len() == 1).then(|| routed[0].as_str());
            live.tickets_changed(workspace_id, one).await;
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, workspace_id, "the ticket queue could not be routed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str, open: u32, capacity: u32, categories: &[&str]) -> Candidate {
        Candidate {
            id: id.to_owned(),
            name: id.to_uppercase(),
            online: true,
            away: false,
            open,
            capacity,
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            last_routed_at: 0,
        }
    }

    #[test]
    fn balanced_takes_the_fewest_open_and_round_robin_the_longest_waiting() {
        let mut agents = vec![agent("a", 3, 10, &[]), agent("b", 1, 10, &[]), agent("c", 1, 10, &[])];
        agents[1].last_routed_at = 50;
        agents[2].last_routed_at = 20;
        assert_eq!(choose(RoutingMode::Balanced, &agents, "billing"), Some(2));
        assert_eq!(choose(RoutingMode::RoundRobin, &agents, "billing"), Some(0));
        assert_eq!(choose(RoutingMode::Manual, &agents, "billing"), None);
        // Away, full or not taking the category: passed by.
        agents[0].online = false;
        agents[2].capacity = 1;
        agents[1].categories = vec!["technical".into()];
        assert_eq!(choose(RoutingMode::RoundRobin, &agents, "billing"), None);
        assert_eq!(choose(RoutingMode::Balanced, &agents, "technical"), Some(1));
    }

    #[test]
    fn round_robin_takes_turns_within_one_millisecond() {
        let mut agents = vec![agent("a", 0, 10, &[]), agent("b", 0, 10, &[]), agent("c", 0, 10, &[])];
        let handed = drain(RoutingMode::RoundRobin, &mut agents, &["x"; 7], 1_000);
        let order: Vec<usize> = handed.iter().map(|(_, agent)| *agent).collect();
        assert_eq!(order, [0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn the_queue_goes_oldest_first_and_skips_what_nobody_takes() {
        let mut agents = vec![agent("a", 1, 2, &["billing"])];
        let handed = drain(RoutingMode::Balanced, &mut agents, &["technical", "billing", "billing"], 5);
        assert_eq!(handed, [(1, 0)]);
        assert_eq!(agents[0].open, 2);
    }

    /// A small deterministic generator (xorshift64*), so each case can be
    /// named by its seed.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
        }
    }

    /// The gap between the most and the fewest open tickets among agents
    /// at the desk and under capacity.
    fn spread(agents: &[Candidate]) -> u32 {
        let free = || agents.iter().filter(|a| a.takes("other")).map(|a| a.open);
        free().max().unwrap_or(0) - free().min().unwrap_or(0)
    }

    /// Balanced routing, over random teams (sizes, capacities, who is at
    /// the desk) and random sequences of new tickets, solved tickets and
    /// members coming and going: every ticket goes to an eligible agent
    /// with the fewest open tickets; none waits while an agent could take
    /// it; and between agents at the desk and under capacity, arrivals
    /// alone keep the open counts within one of each other.
    #[test]
    fn balanced_routing_stays_within_one_open_ticket() {
        for seed in 1..=400u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let size = 1 + rng.below(6) as usize;
            let mut agents: Vec<Candidate> = (0..size)
                .map(|n| {
                    let mut a = agent(&format!("agent{n}"), 0, 1 + rng.below(12) as u32, &[]);
                    a.online = rng.below(5) != 0;
                    a
                })
                .collect();
            let mut queue = 0usize;
            let mut only_arrivals = true;
            for step in 0..200 {
                match rng.below(10) {
                    // A new ticket joins the queue, which is then drained.
                    0..=5 => queue += 1,
                    // Someone solves one of theirs.
                    6 | 7 => {
                        let who = rng.below(size as u64) as usize;
                        if agents[who].open > 0 {
                            agents[who].open -= 1;
                            only_arrivals = false;
                        }
                    }
                    // Someone arrives at or leaves the desk.
                    _ => {
                        let who = rng.below(size as u64) as usize;
                        agents[who].online = !agents[who].online;
                        only_arrivals = false;
                    }
                }
                let before = agents.clone();
                let handed = drain(RoutingMode::Balanced, &mut agents, &vec!["other"; queue], step);
                let mut counts = before.clone();
                for &(_, chosen) in &handed {
                    let fewest = counts.iter().filter(|a| a.takes("other")).map(|a| a.open).min();
                    assert_eq!(Some(counts[chosen].open), fewest, "seed {seed} step {step}: not the fewest open");
                    counts[chosen].open += 1;
                }
                queue -= handed.len();
                assert!(
                    queue == 0 || !agents.iter().any(|a| a.takes("other")),
                    "seed {seed} step {step}: a ticket waits while an agent is free"
                );
                // Routing never widens the gap between agents free to take tickets.
                let (gap_before, gap) = (spread(&before), spread(&agents));
                assert!(gap <= gap_before.max(1), "seed {seed} step {step}: the gap grew from {gap_before} to {gap}");
                if only_arrivals {
                    assert!(gap <= 1, "seed {seed} step {step}: open counts {agents:?}");
                }
            }
        }
    }
}
