//! all-MiniLM-L6-v2 on candle (CPU): a 6-layer BERT whose token vectors
//! are mean-pooled over the attention mask (padding never counted) and
//! L2-normalised, as sentence-transformers does.

use std::path::Path;

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{embedding, layer_norm, linear, Embedding, LayerNorm, Linear, VarBuilder};

use super::wordpiece::WordPiece;

/// sentence-transformers' `max_seq_length` for this model.
pub const MAX_TOKENS: usize = 256;
pub const DIMENSION: usize = 384;
const LAYERS: usize = 6;
const HEADS: usize = 12;
const INTERMEDIATE: usize = 1536;
const VOCAB: usize = 30522;
const POSITIONS: usize = 512;
const EPS: f64 = 1e-12;
/// Texts per forward pass: big enough to keep the matrix kernels busy,
/// small enough that padding waste stays low once sorted by length.
const BATCH: usize = 16;

pub struct MiniLm {
    tokenizer: WordPiece,
    words: Embedding,
    positions: Embedding,
    token_types: Embedding,
    norm: LayerNorm,
    layers: Vec<Layer>,
    device: Device,
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

impl MiniLm {
    /// Loads `model.safetensors` and `tokenizer.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()));
        let tokenizer = WordPiece::from_tokenizer_json(&read("tokenizer.json")?)?;
        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(read("model.safetensors")?, DType::F32, &device)
            .map_err(|e| format!("model.safetensors: {e}"))?;
        Self::from_weights(tokenizer, vb, device)
            .map_err(|e| format!("model.safetensors does not hold all-MiniLM-L6-v2: {e}"))
    }

    fn from_weights(tokenizer: WordPiece, vb: VarBuilder, device: Device) -> candle_core::Result<Self> {
        let e = vb.pp("embeddings");
        let layers = (0..LAYERS)
            .map(|i| {
                let l = vb.pp(format!("encoder.layer.{i}"));
                Ok(Layer {
                    query: linear(DIMENSION, DIMENSION, l.pp("attention.self.query"))?,
                    key: linear(DIMENSION, DIMENSION, l.pp("attention.self.key"))?,
                    value: linear(DIMENSION, DIMENSION, l.pp("attention.self.value"))?,
                    attention_out: linear(DIMENSION, DIMENSION, l.pp("attention.output.dense"))?,
                    attention_norm: layer_norm(DIMENSION, EPS, l.pp("attention.output.LayerNorm"))?,
                    intermediate: linear(DIMENSION, INTERMEDIATE, l.pp("intermediate.dense"))?,
                    output: linear(INTERMEDIATE, DIMENSION, l.pp("output.dense"))?,
                    output_norm: layer_norm(DIMENSION, EPS, l.pp("output.LayerNorm"))?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(MiniLm {
            tokenizer,
            words: embedding(VOCAB, DIMENSION, e.pp("word_embeddings"))?,
            positions: embedding(POSITIONS, DIMENSION, e.pp("position_embeddings"))?,
            token_types: embedding(2, DIMENSION, e.pp("token_type_embeddings"))?,
            norm: layer_norm(DIMENSION, EPS, e.pp("LayerNorm"))?,
            layers,
            device,
        })
    }

    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        self.tokenizer.encode(text, MAX_TOKENS)
    }

    /// Unit vectors for `texts`, in order. Texts are batched by length so
    /// that little time goes on padding.
    pub fn embed(&self, texts: &[String]) -> candle_core::Result<Vec<Vec<f32>>> {
        let encoded: Vec<Vec<u32>> = texts.iter().map(|t| self.token_ids(t)).collect();
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| encoded[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for batch in order.chunks(BATCH) {
            let ids: Vec<&[u32]> = batch.iter().map(|&i| encoded[i].as_slice()).collect();
            for (vector, &i) in self.forward(&ids)?.into_iter().zip(batch) {
                out[i] = vector;
            }
        }
        Ok(out)
    }

    fn forward(&self, batch: &[&[u32]]) -> candle_core::Result<Vec<Vec<f32>>> {
        let (b, s) = (batch.len(), batch.iter().map(|ids| ids.len()).max().unwrap_or(0));
        let mut ids = Vec::with_capacity(b * s);
        let mut mask = Vec::with_capacity(b * s);
        for row in batch {
            ids.extend_from_slice(row);
            ids.extend(std::iter::repeat_n(self.tokenizer.pad, s - row.len()));
            mask.extend(std::iter::repeat_n(1f32, row.len()));
            mask.extend(std::iter::repeat_n(0f32, s - row.len()));
        }
        let ids = Tensor::from_vec(ids, (b, s), &self.device)?;
        let mask = Tensor::from_vec(mask, (b, s), &self.device)?;
        let positions = Tensor::arange(0u32, s as u32, &self.device)?.unsqueeze(0)?;
        let types = Tensor::zeros((b, s), DType::U32, &self.device)?;
        let embedded = self
            .words
            .forward(&ids)?
            .broadcast_add(&self.positions.forward(&positions)?)?
            .add(&self.token_types.forward(&types)?)?;
        let mut hidden = self.norm.forward(&embedded)?;
        // Padding keys get a large negative score, so softmax gives them ~0.
        let attention_bias = ((mask.clone() - 1.0)? * 10_000.0)?.reshape((b, 1, 1, s))?;
        for layer in &self.layers {
            hidden = layer.forward(&hidden, &attention_bias)?;
        }
        // Mean over real tokens only.
        let mask3 = mask.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask3)?.sum(1)?;
        let counts = mask3.sum(1)?.clamp(1e-9, f32::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?.clamp(1e-12, f32::MAX)?;
        mean.broadcast_div(&norms)?.to_vec2::<f32>()
    }
}

impl Layer {
    fn forward(&self, x: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
        let (b, s, _) = x.dims3()?;
        let head = DIMENSION / HEADS;
        let split = |t: Tensor| t.reshape((b, s, HEADS, head))?.transpose(1, 2)?.contiguous();
        let q = split(self.query.forward(x)?)?;
        let k = split(self.key.forward(x)?)?;
        let v = split(self.value.forward(x)?)?;
        let scores = (q.matmul(&k.t()?)? / (head as f64).sqrt())?.broadcast_add(bias)?;
        let probabilities = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = probabilities.matmul(&v)?.transpose(1, 2)?.reshape((b, s, DIMENSION))?;
        let x = self.attention_norm.forward(&(self.attention_out.forward(&context)? + x)?)?;
        let inner = self.intermediate.forward(&x)?.gelu_erf()?;
        self.output_norm.forward(&(self.output.forward(&inner)? + x)?)
    }
}
