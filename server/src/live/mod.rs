//! Live conversations across server processes. A change to a conversation
//! is written to its journal (`journal.rs`) in the transaction that makes
//! it; then a small signal ("conversation C has entry N") tells everyone
//! following C to read the journal on. On PostgreSQL the signal goes
//! through `NOTIFY`, so a visitor connected to one process hears an agent
//! who writes on another; on SQLite (one process) it goes straight to the
//! process's own followers.
//!
//! Signals only wake readers; the journal is the truth. A lost signal (the
//! listener's connection dropped, a follower fell behind) costs a re-read,
//! never a message: followers re-read on `Resync`, after lagging, and every
//! [`CATCH_UP`] in any case.

pub mod journal;
pub mod slots;

use std::collections::VecDeque;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, watch};

use app::desk::Agent;

use crate::config::DatabaseUrl;
use crate::sql::SqlStore;
use journal::Entry;

/// The PostgreSQL channel signals travel on.
const CHANNEL: &str = "lodestar_live";
/// Signals a slow follower may fall behind by before it re-reads.
const BUFFER: usize = 1024;
/// Followers re-read this often even without a signal.
pub const CATCH_UP: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Signal {
    /// The conversation's journal has entry `seq`.
    Journaled { workspace_id: String, conversation_id: String, seq: i64 },
    /// The conversation changed without a journal entry (flagged for a
    /// person, say): the inbox re-reads it, its followers need not.
    Changed { workspace_id: String, conversation_id: String },
    /// A ticket changed (`None`: several may have): the tickets pages
    /// re-read. Conversations' followers and the inbox need not.
    Tickets { workspace_id: String, ticket_id: Option<String> },
    /// Someone is typing in the conversation: a person from the team, or
    /// the visitor (`agent: None`). Passed on, never journaled.
    Typing { workspace_id: String, conversation_id: String, agent: Option<Agent> },
    /// Signals may have been missed: every follower reads on.
    Resync,
}

impl Signal {
    fn concerns(&self, conversation_id: &str) -> bool {
        match self {
            Signal::Journaled { conversation_id: c, .. } => c == conversation_id,
            Signal::Changed { .. } | Signal::Typing { .. } | Signal::Tickets { .. } => false,
            Signal::Resync => true,
        }
    }

    /// What of the workspace's `board` this is about: `Some(Some(id))`,
    /// `Some(None)` when anything may have changed, `None` when it is not.
    fn on_board(&self, workspace_id: &str, board: Board) -> Option<Option<&str>> {
        match (self, board) {
            (Signal::Journaled { workspace_id: w, conversation_id, .. }, Board::Conversations)
            | (Signal::Changed { workspace_id: w, conversation_id }, Board::Conversations) => {
                (w == workspace_id).then_some(Some(conversation_id.as_str()))
            }
            (Signal::Tickets { workspace_id: w, ticket_id }, Board::Tickets) => {
                (w == workspace_id).then_some(ticket_id.as_deref())
            }
            (Signal::Resync, _) => Some(None),
            _ => None,
        }
    }
}

/// What a workspace's page follows live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Board {
    /// The inbox: conversations.
    Conversations,
    Tickets,
}

/// A change on a [`Board`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// This one changed.
    One(String),
    /// Any may have (signals were missed).
    Any,
    /// Nothing new for [`CATCH_UP`].
    Quiet,
}

/// What a follower of a conversation hears: its journal's next entry, or
/// that someone is typing (`None`: the visitor).
#[derive(Debug, Clone, PartialEq)]
pub enum Heard {
    Entry(Entry),
    Typing(Option<Agent>),
}

pub struct Live {
    local: broadcast::Sender<Signal>,
    /// True once the server shuts down: every follower ends.
    closing: watch::Sender<bool>,
    sql: SqlStore,
    /// Signals go through PostgreSQL's `NOTIFY` (else only to this process).
    notify: bool,
}

impl Live {
    /// Starts relaying signals. On PostgreSQL this returns once the
    /// listener listens, so a server that says it is ready hears every
    /// signal sent after that.
    pub async fn start(sql: SqlStore, url: &DatabaseUrl) -> Live {
        let (local, _) = broadcast::channel(BUFFER);
        let notify = match url {
            DatabaseUrl::Postgres(url) => {
                let (listening, ready) = tokio::sync::oneshot::channel();
                tokio::spawn(listen(url.clone(), local.clone(), listening));
                // Should PostgreSQL refuse the listener now, start anyway: the
                // task keeps trying, and followers catch up meanwhile.
                let _ = tokio::time::timeout(Duration::from_secs(10), ready).await;
                true
            }
            DatabaseUrl::Sqlite(_) => false,
        };
        Live { local, closing: watch::channel(false).0, sql, notify }
    }

    /// Ends every follower: the server is shutting down.
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Tells every follower of the conversation, in every process, that its
    /// journal has entry `seq`. Call after the entry's transaction commits.
    pub async fn journaled(&self, workspace_id: &str, conversation_id: &str, seq: i64) {
        let (workspace_id, conversation_id) = (workspace_id.to_owned(), conversation_id.to_owned());
        self.signal(Signal::Journaled { workspace_id, conversation_id, seq }).await;
    }

    /// Tells every process's inbox that the conversation changed in a way
    /// its journal does not carry. Call after the change commits.
    pub async fn changed(&self, workspace_id: &str, conversation_id: &str) {
        let (workspace_id, conversation_id) = (workspace_id.to_owned(), conversation_id.to_owned());
        self.signal(Signal::Changed { workspace_id, conversation_id }).await;
    }

    /// Tells every process's tickets pages that the workspace's ticket
    /// changed (`None`: several may have). Call after the change commits.
    pub async fn tickets_changed(&self, workspace_id: &str, ticket_id: Option<&str>) {
        let (workspace_id, ticket_id) = (workspace_id.to_owned(), ticket_id.map(str::to_owned));
        self.signal(Signal::Tickets { workspace_id, ticket_id }).await;
    }

    /// Tells everyone following the conversation, in every process, that
    /// `agent` (or the visitor, `None`) is typing.
    pub async fn typing(&self, workspace_id: &str, conversation_id: &str, agent: Option<Agent>) {
        let (workspace_id, conversation_id) = (workspace_id.to_owned(), conversation_id.to_owned());
        self.signal(Signal::Typing { workspace_id, conversation_id, agent }).await;
    }

    async fn signal(&self, signal: Signal) {
        if !self.notify {
            let _ = self.local.send(signal);
            return;
        }
        let payload = serde_json::to_string(&signal).unwrap_or_default();
        let sent = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(payload).execute(self.sql.pool()).await;
        if let Err(error) = sent {
            // Followers catch up within CATCH_UP; this process's at once.
            tracing::warn!(%error, "could not signal a conversation's change to other processes");
            let _ = self.local.send(signal);
        }
    }

    /// What changes on the workspace's `board`, as it does; [`Change::Quiet`]
    /// after [`CATCH_UP`] without news. Ends when the server shuts down.
    pub fn watch(&self, workspace_id: String, board: Board) -> impl Stream<Item = Change> + Send + 'static {
        let state = (self.local.subscribe(), self.closing.subscribe(), workspace_id);
        futures_util::stream::unfold(state, move |(mut signals, mut closing, workspace_id)| async move {
            loop {
                if *closing.borrow() {
                    return None;
                }
                let signal = tokio::select! {
                    signal = tokio::time::timeout(CATCH_UP, signals.recv()) => signal,
                    _ = closing.changed() => return None,
                };
                let changed = match signal {
                    Ok(Ok(signal)) => match signal.on_board(&workspace_id, board) {
                        Some(Some(id)) => Change::One(id.to_owned()),
                        Some(None) => Change::Any,
                        None => continue,
                    },
                    Ok(Err(broadcast::error::RecvError::Lagged(_))) => Change::Any,
                    Err(_) => Change::Quiet,
                    Ok(Err(broadcast::error::RecvError::Closed)) => return None,
                };
                return Some((changed, (signals, closing, workspace_id)));
            }
        })
    }

    /// The conversation's journal after entry `after`, then each entry as it
    /// is written, and who is typing as they do, until the receiver is dropped.
    pub fn follow(
        &self,
        workspace_id: String,
        conversation_id: String,
        after: i64,
    ) -> impl Stream<Item = Heard> + Send + 'static {
        // Subscribed before the first read, so nothing written between the
        // two is missed.
        let follower = Follower {
            signals: self.local.subscribe(),
            closing: self.closing.subscribe(),
            sql: self.sql.clone(),
            workspace_id,
            conversation_id,
            after,
            read: VecDeque::new(),
            stale: true,
        };
        futures_util::stream::unfold(follower, |mut follower| async move {
            let next = follower.next().await?;
            Some((next, follower))
        })
    }
}

struct Follower {
    signals: broadcast::Receiver<Signal>,
    closing: watch::Receiver<bool>,
    sql: SqlStore,
    workspace_id: String,
    conversation_id: String,
    /// The last entry handed on.
    after: i64,
    /// Entries read but not yet handed on.
    read: VecDeque<Entry>,
    /// Whether the journal may hold entries not yet read.
    stale: bool,
}

impl Follower {
    /// The next entry or typing; `None` when the journal cannot be read
    /// (the client reconnects from its last entry) or the relay shuts down.
    async fn next(&mut self) -> Option<Heard> {
        loop {
            if let Some(entry) = self.read.pop_front() {
                self.after = entry.seq;
                return Some(Heard::Entry(entry));
            }
            if self.stale {
                let (workspace, conversation, after) =
                    (self.workspace_id.clone(), self.conversation_id.clone(), self.after);
                let page = self
                    .sql
                    .read(|db| async move { journal::since(&db, &workspace, &conversation, after).await })
                    .await;
                match page {
                    Ok(page) => {
                        // A full page means more may follow it.
                        self.stale = page.len() as i64 == journal::PAGE;
                        self.read.extend(page);
                        continue;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "a live channel could not read its journal and closed");
                        return None;
                    }
                }
            }
            if *self.closing.borrow() {
                return None;
            }
            let signal = tokio::select! {
                signal = tokio::time::timeout(CATCH_UP, self.signals.recv()) => signal,
                _ = self.closing.changed() => return None,
            };
            self.stale = match signal {
                Ok(Ok(Signal::Typing { conversation_id, agent, .. })) if conversation_id == self.conversation_id => {
                    return Some(Heard::Typing(agent));
                }
                Ok(Ok(signal)) => signal.concerns(&self.conversation_id),
                Ok(Err(broadcast::error::RecvError::Lagged(_))) | Err(_) => true,
                Ok(Err(broadcast::error::RecvError::Closed)) => return None,
            };
        }
    }
}

/// Relays PostgreSQL notifications to this process's followers, for as
/// long as the server runs, reconnecting when the connection drops.
async fn listen(url: String, local: broadcast::Sender<Signal>, listening: tokio::sync::oneshot::Sender<()>) {
    let mut listening = Some(listening);
    loop {
        match connect(&url).await {
            Ok(mut listener) => {
                if let Some(ready) = listening.take() {
                    let _ = ready.send(());
                }
                // Whatever was sent while no one listened is read again.
                let _ = local.send(Signal::Resync);
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => match serde_json::from_str::<Signal>(notification.payload()) {
                            Ok(signal) => {
                                let _ = local.send(signal);
                            }
                            Err(error) => tracing::warn!(%error, "an unreadable live signal was ignored"),
                        },
                        // The connection dropped; the next call reconnects.
                        Ok(None) => {
                            let _ = local.send(Signal::Resync);
                        }
                        Err(error) => {
                            tracing::warn!(%error, "the live listener lost PostgreSQL; reconnecting");
                            break;
                        }
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "the live listener cannot reach PostgreSQL; retrying"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// A follower's entries (and typing) as Server-Sent Events: the entry's number is the
/// event's `id`, which a reconnecting client sends back (`Last-Event-ID`, or
/// `after` in the widget's request) to resume after it. `hold` (the
/// channel's slots) is kept until the channel closes.
pub fn sse(heard: impl Stream<Item = Heard> + Send + 'static, hold: impl Send + Sync + 'static) -> Response {
    let events = heard.map(move |heard| {
        let _held = &hold;
        Ok::<_, std::convert::Infallible>(match heard {
            Heard::Entry(entry) => Event::default().id(entry.seq.to_string()).event(entry.kind).data(entry.payload),
            // No id: typing is not an entry, and a reconnect resumes after the last one.
            Heard::Typing(agent) => {
                Event::default().event("typing").data(serde_json::json!({ "agent": agent }).to_string())
            }
        })
    });
    Sse::new(events).keep_alive(KeepAlive::default()).into_response()
}
