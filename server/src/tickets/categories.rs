//! Tickets sorted by what they are about, offline: the requester's words
//! embedded with the local MiniLM and compared with each category's example
//! messages (the workspace's own, or the defaults). A ticket goes to the
//! category with the most similar example when it is similar enough, and
//! stays "Other" otherwise; a category may also raise its tickets'
//! priority. A member's choice is never overruled. Examples are embedded
//! once per distinct list and kept (a few hundred lists at most).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use app::ticket_categories::{label_of, TicketCategory, OTHER};
use sqlx::AnyConnection;

use super::store::{self, Field};
use crate::desk::settings;
use crate::error::AppError;
use crate::knowledge::embed::{dot, EmbedError, Embedder};
use crate::sql::SqlStore;

/// Below this cosine similarity to every example, a ticket stays "Other".
/// Measured on `tests/data/ticket_categories.tsv` (38 messages written apart
/// from the examples) with the default categories: 33 right (87 %); four of
/// the five misses stayed "Other" (a payment method, two-factor login), one
/// unrelated question went to Billing. A workspace's own examples close
/// such gaps.
const MIN_SIMILARITY: f32 = 0.35;
/// Lists of examples kept embedded; past this the cache starts again.
const CACHED_LISTS: usize = 256;
/// What of a ticket is read: its subject and the requester's first messages.
const MESSAGES_READ: i64 = 3;
const CHARS_READ: usize = 1_000;

/// Every example's vector, with its category's index.
struct Examples {
    vectors: Vec<(usize, Vec<f32>)>,
}

pub struct Categorizer {
    embedder: Arc<dyn Embedder>,
    cache: Mutex<HashMap<u64, Arc<Examples>>>,
}

impl Categorizer {
    pub fn new(embedder: Arc<dyn Embedder>) -> Self {
        Categorizer { embedder, cache: Mutex::new(HashMap::new()) }
    }

    async fn examples(&self, categories: &[TicketCategory]) -> Result<Arc<Examples>, EmbedError> {
        let mut hasher = DefaultHasher::new();
        for category in categories {
            (&category.id, &category.label, &category.examples).hash(&mut hasher);
        }
        let key = hasher.finish();
        if let Some(found) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(found.clone());
        }
        // The name counts as an example too ("Billing").
        let texts: Vec<(usize, String)> = categories
            .iter()
            .enumerate()
            .filter(|(_, c)| c.id != OTHER)
            .flat_map(|(at, c)| {
                std::iter::once(c.label.clone()).chain(c.examples.iter().cloned()).map(move |t| (at, t))
            })
            .collect();
        let vectors = self.embedder.embed(texts.iter().map(|(_, t)| t.clone()).collect()).await?;
        let examples = Arc::new(Examples { vectors: texts.into_iter().map(|(at, _)| at).zip(vectors).collect() });
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHED_LISTS {
            cache.clear();
        }
        cache.insert(key, examples.clone());
        Ok(examples)
    }

    /// The category `text` is most like, or `None` when it is like none.
    pub async fn classify<'a>(
        &self,
        categories: &'a [TicketCategory],
        text: &str,
    ) -> Result<Option<&'a TicketCategory>, EmbedError> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let examples = self.examples(categories).await?;
        let vector = self.embedder.embed(vec![text.to_owned()]).await?.pop().unwrap_or_default();
        let best = examples
            .vectors
            .iter()
            .map(|(at, example)| (*at, dot(&vector, example)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        Ok(best.filter(|(_, score)| *score >= MIN_SIMILARITY).map(|(at, _)| &categories[at]))
    }

    /// Sorts a ticket Lodestar just opened: the category its words are
    /// most like, and that category's least priority. A ticket a member
    /// has categorised already is left alone. Failures are logged, never
    /// raised: a ticket without a category is still a ticket.
    pub async fn categorize(&self, sql: &SqlStore, workspace_id: &str, ticket_id: &str) {
        if let Err(error) = self.try_categorize(sql, workspace_id, ticket_id).await {
            tracing::warn!(%error, workspace_id, ticket_id, "a ticket could not be categorised");
        }
    }

    async fn try_categorize(&self, sql: &SqlStore, workspace_id: &str, ticket_id: &str) -> Result<(), AppError> {
        let (workspace, ticket) = (workspace_id.to_owned(), ticket_id.to_owned());
        let read = |db: sqlx::AnyPool| async move {
            let categories = settings::ticket_categories(&db, &workspace).await?;
            let words = words_of(&db, &workspace, &ticket).await?;
            Ok::<_, sqlx::Error>((categories, words))
        };
        let (categories, words) = sql.read(read).await?;
        let chosen = self.classify(&categories, &words).await.map_err(|e| AppError::Task(e.to_string()))?;
        let Some(chosen) = chosen.filter(|c| c.id != OTHER).cloned() else { return Ok(()) };
        let (workspace, ticket) = (workspace_id.to_owned(), ticket_id.to_owned());
        let write = |db: sqlx::AnyPool| async move {
            let mut tx = db.begin().await?;
            apply(&mut tx, &workspace, &ticket, &chosen, &categories).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(())
        };
        sql.write(write).await?;
        Ok(())
    }
}

/// The ticket's subject and the requester's first messages, cut to a length.
async fn words_of(db: &sqlx::AnyPool, workspace_id: &str, ticket_id: &str) -> Result<String, sqlx::Error> {
    let found: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT subject, conversation_id FROM tickets WHERE id = $1 AND workspace_id = $2")
            .bind(ticket_id)
            .bind(workspace_id)
            .fetch_optional(db)
            .await?;
    let Some((subject, conversation)) = found else { return Ok(String::new()) };
    let mut words = subject;
    if let Some(conversation) = conversation {
        let messages: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM messages WHERE conversation_id = $1 AND author = 'visitor'
             ORDER BY created_at, id LIMIT $2",
        )
        .bind(&conversation)
        .bind(MESSAGES_READ)
        .fetch_all(db)
        .await?;
        // The subject is often the first message's opening words already.
        let subject = words.clone();
        for message in messages.iter().filter(|m| !subject.starts_with(m.trim())) {
            words.push('\n');
            words.push_str(message);
        }
    }
    Ok(words.chars().take(CHARS_READ).collect())
}

/// Sets the category and raises the priority, each with its history line,
/// unless a member chose the category meanwhile.
async fn apply(
    tx: &mut AnyConnection,
    workspace_id: &str,
    ticket_id: &str,
    chosen: &TicketCategory,
    categories: &[TicketCategory],
) -> Result<(), sqlx::Error> {
    if !store::hold(tx, workspace_id, ticket_id).await? {
        return Ok(());
    }
    let Some(ticket) = store::get(&mut *tx, workspace_id, ticket_id, None).await? else { return Ok(()) };
    if ticket.category != OTHER || store::category_chosen(tx, ticket_id).await? {
        return Ok(());
    }
    let at = crate::sql::now_millis();
    let (from, to) = (label_of(categories, OTHER), chosen.label.as_str());
    store::record(tx, ticket_id, workspace_id, None, "category", Some(from), Some(to), at).await?;
    store::set(tx, workspace_id, ticket_id, Field::Category, Some(&chosen.id), at).await?;
    if let Some(least) = chosen.priority.filter(|least| *least > ticket.priority) {
        let (from, to) = (ticket.priority.as_str(), least.as_str());
        store::record(tx, ticket_id, workspace_id, None, "priority", Some(from), Some(to), at).await?;
        store::set(tx, workspace_id, ticket_id, Field::Priority, Some(least.as_str()), at).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::ticket_categories::default_categories;

    use crate::knowledge::embed::LocalMiniLm;

    const LABELLED: &str = include_str!("../../tests/data/ticket_categories.tsv");

    #[tokio::test]
    async fn support_messages_find_their_category_and_the_unrelated_stay_other() {
        let dir = crate::knowledge::embed::test_model_dir();
        let embedder: Arc<dyn Embedder> = Arc::new(LocalMiniLm::load(&dir, false).await.unwrap());
        let categorizer = Categorizer::new(embedder);
        let categories = default_categories();
        let (mut right, mut all, mut wrong) = (0, 0, Vec::new());
        for line in LABELLED.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (expected, text) = line.split_once('\t').unwrap();
            let got = categorizer.classify(&categories, text).await.unwrap().map_or(OTHER, |c| c.id.as_str());
            all += 1;
            if got == expected {
                right += 1;
            } else {
                wrong.push(format!("{text}: {got}, not {expected}"));
            }
        }
        let share = f64::from(right) / f64::from(all);
        println!("ticket categories: {right} of {all} right ({:.0} %)", share * 100.0);
        // Measured 2026-12-07: 33 of 38; the floor holds it.
        assert!(share >= 0.85, "{share}: {wrong:#?}");
    }
}
