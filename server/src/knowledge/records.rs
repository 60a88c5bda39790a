//! Sources, documents and chunks in SurrealDB, one database per workspace
//! (`ws_<id>` in the configured namespace): a query runs on a session bound
//! to one workspace's database, so no query can reach another's records,
//! and deleting a workspace is `REMOVE DATABASE`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use surrealdb::engine::any::Any;
use surrealdb::engine::local::Db;
use surrealdb::types::{RecordId, SurrealValue};
use surrealdb::{IndexedResults, Surreal};

use super::store::KnowledgeStore;
use crate::backoff::jittered;

pub type SurrealResult<T> = Result<T, surrealdb::Error>;

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct SourceRecord {
    pub key: String,
    pub kind: String,
    pub title: String,
    pub location: Option<String>,
    pub url: Option<String>,
    pub format: Option<String>,
    pub status: String,
    pub progress: i64,
    pub error: Option<String>,
    pub documents: i64,
    pub chunks: i64,
    pub bytes: i64,
    pub created_at: i64,
    pub last_synced_at: Option<i64>,
    pub sync_every_hours: Option<i64>,
    /// Q&A and snippet bodies live on the source itself.
    pub body: Option<String>,
}

const SOURCE_FIELDS: &str = "key, kind, title, location, url, format, status, progress, error, documents, chunks, bytes, created_at, last_synced_at, sync_every_hours, body";

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DocumentRecord {
    pub key: String,
    pub source_id: String,
    pub title: String,
    pub url: Option<String>,
    pub pages: Option<i64>,
    pub content_hash: String,
    pub chunks: i64,
    pub updated_at: i64,
}

const DOCUMENT_FIELDS: &str = "key, source_id, title, url, pages, content_hash, chunks, updated_at";

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct ChunkRecord {
    pub key: String,
    pub source_id: String,
    pub document_id: String,
    pub ordinal: i64,
    pub title: String,
    pub heading_path: Vec<String>,
    pub page: Option<i64>,
    pub url: Option<String>,
    pub text: String,
    /// Little-endian f32s: compact, and cheap to load at start.
    pub embedding: bytes::Bytes,
}

const CHUNK_FIELDS: &str = "key, source_id, document_id, ordinal, title, heading_path, page, url, text, embedding";

impl ChunkRecord {
    pub fn key_for(document_id: &str, ordinal: u32) -> String {
        format!("{document_id}_{ordinal:06}")
    }

    pub fn vector(&self) -> Vec<f32> {
        self.embedding.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    }

    pub fn encode(vector: &[f32]) -> bytes::Bytes {
        vector.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>().into()
    }
}

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct IndexMeta {
    pub embedder: String,
    pub dimension: i64,
}

/// A session bound to one workspace's database.
#[derive(Clone)]
enum Session {
    Embedded(Surreal<Db>),
    Remote(Surreal<Any>),
}

/// Tries of a query that lost a write conflict: the ingest worker and a
/// person's edit may touch the same source at once, and the engine's
/// optimistic transactions then fail one of them whole, so it is safe to
/// run it again (every query here is one statement or one transaction).
const CONFLICT_TRIES: u32 = 6;

impl Session {
    async fn run(&self, sql: String, vars: Vec<(String, surrealdb::types::Value)>) -> SurrealResult<IndexedResults> {
        let mut variables = surrealdb::types::Object::new();
        for (k, v) in vars {
            variables.insert(k, v);
        }
        let mut attempt = 0;
        loop {
            match self.run_once(&sql, variables.clone()).await {
                Err(e) if is_write_conflict(&e) && attempt + 1 < CONFLICT_TRIES => {
                    tokio::time::sleep(jittered(Duration::from_millis(5), attempt)).await;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn run_once(&self, sql: &str, variables: surrealdb::types::Object) -> SurrealResult<IndexedResults> {
        let mut response = match self {
            Session::Embedded(db) => db.query(sql).bind(variables).await?,
            Session::Remote(db) => db.query(sql).bind(variables).await?,
        };
        let mut errors: Vec<(usize, surrealdb::Error)> = response.take_errors().into_iter().collect();
        if errors.is_empty() {
            return Ok(response);
        }
        // A failed transaction fails every statement in it: the error that
        // says why is the one that is not merely "not executed".
        errors.sort_by_key(|(statement, _)| *statement);
        let not_executed = |e: &surrealdb::Error| e.query_details() == Some(&surrealdb::types::QueryError::NotExecuted);
        let cause = errors.iter().position(|(_, e)| !not_executed(e)).unwrap_or(0);
        Err(errors.swap_remove(cause).1)
    }
}

fn is_write_conflict(error: &surrealdb::Error) -> bool {
    error.query_details() == Some(&surrealdb::types::QueryError::TransactionConflict)
}

fn v(value: impl SurrealValue) -> surrealdb::types::Value {
    value.into_value()
}

fn rid(table: &str, key: &str) -> surrealdb::types::Value {
    v(RecordId::new(table, key.to_owned()))
}

pub struct Records {
    store: KnowledgeStore,
    namespace: String,
    /// One per workspace database, shared: cloning a SurrealDB handle opens
    /// another session on the engine, which is costly once per query.
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    /// Databases of deleted workspaces: no new session may define their
    /// tables again (an ingest still running would otherwise bring the
    /// database back after `REMOVE DATABASE`).
    removed: Mutex<HashSet<String>>,
}

/// Remembered removals; past this the oldest matter no more (their jobs
/// are long gone, and a start-up sweep removes any leftovers).
const MAX_REMOVED: usize = 10_000;

/// What a guarded write throws when its source was deleted meanwhile.
pub const SOURCE_GONE: &str = "the source was deleted";

/// The head of a transaction that writes on behalf of source `$source`:
/// it touches the source record, so a concurrent delete of the source
/// conflicts with it (one of the two is run again), and cancels when the
/// source is gone, so nothing an ingest writes can outlive its source.
const WHILE_SOURCE_EXISTS: &str =
    "BEGIN; LET $alive = (UPDATE $source SET written_at = time::now() RETURN VALUE id); IF !$alive { THROW $gone };";

/// `ws_` and the workspace id with anything but letters and digits
/// replaced, so an id can never name another database.
pub fn database_name(workspace_id: &str) -> String {
    let safe: String =
        workspace_id.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    format!("ws_{safe}")
}

const SCHEMA: &str = "
    DEFINE TABLE IF NOT EXISTS source SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS document SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS chunk SCHEMALESS;
    DEFINE TABLE IF NOT EXISTS meta SCHEMALESS;
    DEFINE INDEX IF NOT EXISTS document_source ON document FIELDS source_id;
    DEFINE INDEX IF NOT EXISTS chunk_document ON chunk FIELDS document_id;
    DEFINE INDEX IF NOT EXISTS chunk_source ON chunk FIELDS source_id;
    DEFINE INDEX IF NOT EXISTS chunk_key ON chunk FIELDS key;
";

impl Records {
    pub fn new(store: KnowledgeStore, namespace: String) -> Self {
        Records { store, namespace, sessions: Mutex::new(HashMap::new()), removed: Mutex::new(HashSet::new()) }
    }

    async fn session(&self, workspace_id: &str) -> SurrealResult<Arc<Session>> {
        let name = database_name(workspace_id);
        if let Some(session) = self.sessions.lock().expect("sessions lock").get(&name) {
            return Ok(session.clone());
        }
        if self.removed.lock().expect("removed lock").contains(&name) {
            return Err(surrealdb::Error::not_found(format!("{name} belonged to a deleted workspace"), None));
        }
        // A clone of the client is a new session; switching its database
        // leaves every other session where it was.
        let session = match &self.store {
            KnowledgeStore::Embedded { db, .. } => {
                let db = Surreal::clone(db);
                db.use_ns(&self.namespace).use_db(&name).await?;
                Session::Embedded(db)
            }
            KnowledgeStore::Remote(db) => {
                let db = Surreal::clone(db);
                db.use_ns(&self.namespace).use_db(&name).await?;
                Session::Remote(db)
            }
        };
        session.run(SCHEMA.to_owned(), vec![]).await?;
        // Removed while this session defined its tables: remove it again.
        if self.removed.lock().expect("removed lock").contains(&name) {
            self.drop_database(&name).await?;
            return Err(surrealdb::Error::not_found(format!("{name} belonged to a deleted workspace"), None));
        }
        let session = Arc::new(session);
        self.sessions.lock().expect("sessions lock").insert(name, session.clone());
        Ok(session)
    }

    async fn run(
        &self,
        workspace_id: &str,
        sql: &str,
        vars: Vec<(&str, surrealdb::types::Value)>,
    ) -> SurrealResult<IndexedResults> {
        let session = self.session(workspace_id).await?;
        session.run(sql.to_owned(), vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()).await
    }

    /// Names of the workspace databases that exist (`ws_…`).
    pub async fn databases(&self) -> SurrealResult<Vec<String>> {
        let sql = format!(
            "USE NS {}; INFO FOR NS;",
            self.namespace.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "")
        );
        let mut response = match &self.store {
            KnowledgeStore::Embedded { db, .. } => Surreal::clone(db).query(sql).await?,
            KnowledgeStore::Remote(db) => Surreal::clone(db).query(sql).await?,
        }
        .check()?;
        let info: Option<surrealdb::types::Value> = response.take(1)?;
        let names = match info {
            Some(surrealdb::types::Value::Object(info)) => match info.get("databases") {
                Some(surrealdb::types::Value::Object(dbs)) => dbs.keys().cloned().collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        Ok(names.into_iter().filter(|n: &String| n.starts_with("ws_")).collect())
    }

    pub async fn drop_workspace(&self, workspace_id: &str) -> SurrealResult<()> {
        let name = database_name(workspace_id);
        {
            let mut removed = self.removed.lock().expect("removed lock");
            if removed.len() >= MAX_REMOVED {
                removed.clear();
            }
            removed.insert(name.clone());
        }
        self.drop_database(&name).await
    }

    /// Removes one workspace database, by the name `databases` gave.
    pub async fn drop_database(&self, name: &str) -> SurrealResult<()> {
        let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        self.sessions.lock().expect("sessions lock").remove(&name);
        let sql = format!("REMOVE DATABASE IF EXISTS {name};");
        match &self.store {
            KnowledgeStore::Embedded { db, .. } => Surreal::clone(db).query(sql).await?.check()?,
            KnowledgeStore::Remote(db) => Surreal::clone(db).query(sql).await?.check()?,
        };
        Ok(())
    }

    pub async fn put_source(&self, workspace_id: &str, source: &SourceRecord) -> SurrealResult<()> {
        self.run(
            workspace_id,
            "UPSERT $id CONTENT $data",
            vec![("id", rid("source", &source.key)), ("data", v(source.clone()))],
        )
        .await?;
        Ok(())
    }

    /// Writes what an ingest learned about a source, leaving its schedule
    /// (which a person may change meanwhile) alone, and never bringing
    /// back a source deleted while it ran.
    pub async fn finish_source(&self, workspace_id: &str, source: &SourceRecord) -> SurrealResult<()> {
        let mut data = v(source.clone());
        if let surrealdb::types::Value::Object(fields) = &mut data {
            fields.remove("sync_every_hours");
        }
        self.run(workspace_id, "UPDATE $id MERGE $data", vec![("id", rid("source", &source.key)), ("data", data)])
            .await?;
        Ok(())
    }

    pub async fn set_sync_every(&self, workspace_id: &str, source_id: &str, hours: Option<i64>) -> SurrealResult<()> {
        self.run(
            workspace_id,
            "UPDATE $id SET sync_every_hours = $hours",
            vec![("id", rid("source", source_id)), ("hours", v(hours))],
        )
        .await?;
        Ok(())
    }

    pub async fn source(&self, workspace_id: &str, source_id: &str) -> SurrealResult<Option<SourceRecord>> {
        let mut r = self
            .run(workspace_id, &format!("SELECT {SOURCE_FIELDS} FROM ONLY $id"), vec![("id", rid("source", source_id))])
            .await?;
        r.take(0)
    }

    pub async fn sources(&self, workspace_id: &str) -> SurrealResult<Vec<SourceRecord>> {
        let mut r = self
            .run(workspace_id, &format!("SELECT {SOURCE_FIELDS} FROM source ORDER BY created_at DESC"), vec![])
            .await?;
        r.take(0)
    }

    /// Sets status fields without touching the rest of the source.
    pub async fn set_status(
        &self,
        workspace_id: &str,
        source_id: &str,
        status: &str,
        progress: i64,
        error: Option<String>,
    ) -> SurrealResult<()> {
        self.run(
            workspace_id,
            "UPDATE $id SET status = $status, progress = $progress, error = $error",
            vec![
                ("id", rid("source", source_id)),
                ("status", v(status.to_owned())),
                ("progress", v(progress)),
                ("error", v(error)),
            ],
        )
        .await?;
        Ok(())
    }

    pub async fn delete_source(&self, workspace_id: &str, source_id: &str) -> SurrealResult<()> {
        self.run(
            workspace_id,
            "BEGIN; DELETE chunk WHERE source_id = $key; DELETE document WHERE source_id = $key; DELETE $id; COMMIT;",
            vec![("key", v(source_id.to_owned())), ("id", rid("source", source_id))],
        )
        .await?;
        Ok(())
    }

    pub async fn documents(&self, workspace_id: &str, source_id: &str) -> SurrealResult<Vec<DocumentRecord>> {
        let mut r = self
            .run(
                workspace_id,
                &format!("SELECT {DOCUMENT_FIELDS} FROM document WHERE source_id = $key ORDER BY title"),
                vec![("key", v(source_id.to_owned()))],
            )
            .await?;
        r.take(0)
    }

    pub async fn document(&self, workspace_id: &str, document_id: &str) -> SurrealResult<Option<DocumentRecord>> {
        let mut r = self
            .run(
                workspace_id,
                &format!("SELECT {DOCUMENT_FIELDS} FROM ONLY $id"),
                vec![("id", rid("document", document_id))],
            )
            .await?;
        r.take(0)
    }

    /// Writes a document while its source exists (else fails with [`SOURCE_GONE`]).
    pub async fn put_document(&self, workspace_id: &str, document: &DocumentRecord) -> SurrealResult<()> {
        self.run(
            workspace_id,
            &format!("{WHILE_SOURCE_EXISTS} UPSERT $id CONTENT $data RETURN NONE; COMMIT;"),
            vec![
                ("source", rid("source", &document.source_id)),
                ("gone", v(SOURCE_GONE.to_owned())),
                ("id", rid("document", &document.key)),
                ("data", v(document.clone())),
            ],
        )
        .await?;
        Ok(())
    }

    /// Chunks stored or reserved by every document but `except`: what the
    /// plan's chunk limit is checked against while sources are still being
    /// read (a document being written holds its chunks' count from the start).
    pub async fn chunks_stored(&self, workspace_id: &str, except: Option<&str>) -> SurrealResult<i64> {
        let mut r = match except {
            Some(document) => {
                let sql = "RETURN math::sum(SELECT VALUE chunks FROM document WHERE id != $except);";
                self.run(workspace_id, sql, vec![("except", rid("document", document))]).await?
            }
            None => self.run(workspace_id, "RETURN math::sum(SELECT VALUE chunks FROM document);", vec![]).await?,
        };
        Ok(r.take::<Option<i64>>(0)?.unwrap_or(0))
    }

    pub async fn delete_document(&self, workspace_id: &str, document_id: &str) -> SurrealResult<()> {
        self.run(
            workspace_id,
            "BEGIN; DELETE chunk WHERE document_id = $key; DELETE $id; COMMIT;",
            vec![("key", v(document_id.to_owned())), ("id", rid("document", document_id))],
        )
        .await?;
        Ok(())
    }

    /// Ordinals of the chunks already stored for a document: what a resumed
    /// job need not embed again.
    pub async fn chunk_ordinals(&self, workspace_id: &str, document_id: &str) -> SurrealResult<Vec<i64>> {
        let mut r = self
            .run(
                workspace_id,
                "SELECT VALUE ordinal FROM chunk WHERE document_id = $key",
                vec![("key", v(document_id.to_owned()))],
            )
            .await?;
        r.take(0)
    }

    /// Upserts chunks by their deterministic ids, so a retried batch
    /// overwrites rather than duplicates; only while their source exists
    /// (else fails with [`SOURCE_GONE`]). All chunks are of one source.
    pub async fn put_chunks(&self, workspace_id: &str, chunks: &[ChunkRecord]) -> SurrealResult<()> {
        let Some(first) = chunks.first() else { return Ok(()) };
        let mut sql = String::from(WHILE_SOURCE_EXISTS);
        let mut vars = Vec::with_capacity(chunks.len() * 2 + 2);
        vars.push(("source".to_owned(), rid("source", &first.source_id)));
        vars.push(("gone".to_owned(), v(SOURCE_GONE.to_owned())));
        for (i, chunk) in chunks.iter().enumerate() {
            sql.push_str(&format!("UPSERT $id{i} CONTENT $c{i} RETURN NONE;"));
            vars.push((format!("id{i}"), rid("chunk", &chunk.key)));
            vars.push((format!("c{i}"), v(chunk.clone())));
        }
        sql.push_str("COMMIT;");
        self.session(workspace_id).await?.run(sql, vars).await?;
        Ok(())
    }

    /// Removes a document's chunks from `ordinal` on: what is left when a
    /// changed document has fewer chunks than before.
    pub async fn truncate_chunks(&self, workspace_id: &str, document_id: &str, ordinal: i64) -> SurrealResult<()> {
        self.run(
            workspace_id,
            "DELETE chunk WHERE document_id = $key AND ordinal >= $from",
            vec![("key", v(document_id.to_owned())), ("from", v(ordinal))],
        )
        .await?;
        Ok(())
    }

    pub async fn document_chunks(&self, workspace_id: &str, document_id: &str) -> SurrealResult<Vec<ChunkRecord>> {
        let mut r = self
            .run(
                workspace_id,
                &format!("SELECT {CHUNK_FIELDS} FROM chunk WHERE document_id = $key ORDER BY ordinal"),
                vec![("key", v(document_id.to_owned()))],
            )
            .await?;
        r.take(0)
    }

    /// Every chunk of a workspace, a page at a time (for index rebuilds).
    pub async fn chunk_page(&self, workspace_id: &str, after: &str, limit: i64) -> SurrealResult<Vec<ChunkRecord>> {
        let mut r = self
            .run(
                workspace_id,
                &format!("SELECT {CHUNK_FIELDS} FROM chunk WHERE key > $after ORDER BY key LIMIT $limit"),
                vec![("after", v(after.to_owned())), ("limit", v(limit))],
            )
            .await?;
        r.take(0)
    }

    pub async fn meta(&self, workspace_id: &str) -> SurrealResult<Option<IndexMeta>> {
        let mut r = self.run(workspace_id, "SELECT embedder, dimension FROM ONLY meta:index", vec![]).await?;
        r.take(0)
    }

    pub async fn set_meta(&self, workspace_id: &str, meta: &IndexMeta) -> SurrealResult<()> {
        self.run(workspace_id, "UPSERT meta:index CONTENT $data", vec![("data", v(meta.clone()))]).await?;
        Ok(())
    }
}
