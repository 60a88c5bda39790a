//! A provider's embeddings through rig-core: any OpenAI-compatible
//! `/embeddings` endpoint (OpenAI itself, a gateway, a local server) by
//! base URL. Chosen per deployment with `EMBEDDINGS=openai`.

use rig_core::providers::openai::OpenAIConfig;

use super::{EmbedError, Embedder};

pub struct ProviderEmbedder {
    model: rig_core::DynModel<rig_core::operation::Embedding>,
    id: String,
    dimension: usize,
    batch: usize,
}

impl ProviderEmbedder {
    /// Connects and asks for one vector, which tells the dimension (and
    /// fails start-up early when the key or address is wrong).
    pub async fn connect(
        base_url: &str,
        api_key: &str,
        model: &str,
        dimensions: Option<usize>,
    ) -> Result<Self, EmbedError> {
        let client = OpenAIConfig::new(api_key.to_owned()).with_base_url(base_url.to_owned()).client();
        let typed = client.embedding(model.to_owned(), dimensions);
        let batch = typed.capabilities().max_documents.clamp(1, 256);
        let mut embedder =
            ProviderEmbedder { model: typed.erase(), id: format!("openai:{model}"), dimension: 0, batch };
        let probe = embedder.call(vec!["dimension probe".to_owned()]).await.map_err(|e| {
            EmbedError::Unavailable(format!("the embeddings provider at {base_url} did not answer: {e}"))
        })?;
        embedder.dimension = probe.first().map_or(0, Vec::len);
        if embedder.dimension == 0 {
            return Err(EmbedError::Unavailable("the embeddings provider returned an empty vector".into()));
        }
        if let Some(d) = dimensions {
            embedder.id = format!("{}@{d}", embedder.id);
        }
        Ok(embedder)
    }

    async fn call(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.batch) {
            let response = self.model.call(batch.to_vec()).await.map_err(|e| EmbedError::Failed(e.to_string()))?;
            if response.embeddings.len() != batch.len() {
                return Err(EmbedError::Failed(format!(
                    "the provider returned {} vectors for {} texts",
                    response.embeddings.len(),
                    batch.len()
                )));
            }
            out.extend(response.embeddings.into_iter().map(|e| unit(e.vec.into_iter().map(|x| x as f32).collect())));
        }
        Ok(out)
    }
}

/// Providers mostly return unit vectors already; cosine by dot product
/// needs them to be, whoever serves them.
fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

#[async_trait::async_trait]
impl Embedder for ProviderEmbedder {
    fn id(&self) -> &str {
        &self.id
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let vectors = self.call(texts).await?;
        if vectors.iter().any(|v| v.len() != self.dimension) {
            return Err(EmbedError::Failed("the provider changed the vectors' dimension".into()));
        }
        Ok(vectors)
    }
}
