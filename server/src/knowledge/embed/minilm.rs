//! all-MiniLM-L6-v2 in plain Rust: a 6-layer BERT whose token vectors are
//! mean-pooled and L2-normalised, as sentence-transformers does. Texts are
//! packed row after row into one pass, attention kept within each, so there
//! is no padding to mask or waste time on.

use std::path::Path;

use safetensors::{Dtype, SafeTensors};

use super::kernel::{self, Dense};
use super::wordpiece::WordPiece;

/// sentence-transformers' `max_seq_length` for this model.
pub const MAX_TOKENS: usize = 256;
pub const DIMENSION: usize = 384;
const LAYERS: usize = 6;
const HEADS: usize = 12;
const POSITIONS: usize = 512;
const EPS: f32 = 1e-12;
/// Tokens packed into one pass. The weights (90 MB, more than any cache)
/// stream from memory once per pass, so short texts (a visitor's question
/// is about ten tokens) embedded together cost little more than one.
const TOKENS_PER_PASS: usize = 512;

pub struct MiniLm {
    tokenizer: WordPiece,
    /// Word embeddings, one row of `DIMENSION` per vocabulary entry.
    words: Vec<f32>,
    /// Position embeddings plus the (only) token-type embedding.
    positions: Vec<f32>,
    norm: Norm,
    layers: Vec<Layer>,
}

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

struct Layer {
    /// Queries, keys and values in one pass.
    qkv: Dense,
    attention_out: Dense,
    attention_norm: Norm,
    intermediate: Dense,
    output: Dense,
    output_norm: Norm,
}

impl MiniLm {
    /// Loads `model.safetensors` and `tokenizer.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()));
        let tokenizer = WordPiece::from_tokenizer_json(&read("tokenizer.json")?)?;
        let bytes = read("model.safetensors")?;
        let tensors = SafeTensors::deserialize(&bytes).map_err(|e| format!("model.safetensors: {e}"))?;
        Self::from_weights(tokenizer, &Weights(&tensors))
            .map_err(|e| format!("model.safetensors does not hold all-MiniLM-L6-v2: {e}"))
    }

    fn from_weights(tokenizer: WordPiece, w: &Weights) -> Result<Self, String> {
        let dense = |name: &str, inputs: usize, outputs: usize| {
            Dense::from_torch(
                &w.get(&format!("{name}.weight"), outputs * inputs)?,
                w.get(&format!("{name}.bias"), outputs)?,
            )
        };
        let norm = |name: &str| {
            Ok::<_, String>(Norm {
                gamma: w.get(&format!("{name}.weight"), DIMENSION)?,
                beta: w.get(&format!("{name}.bias"), DIMENSION)?,
            })
        };
        let layers = (0..LAYERS)
            .map(|i| {
                let l = format!("encoder.layer.{i}");
                let attention = |part: &str| dense(&format!("{l}.attention.self.{part}"), DIMENSION, DIMENSION);
                Ok(Layer {
                    qkv: Dense::concat(&[attention("query")?, attention("key")?, attention("value")?]),
                    attention_out: dense(&format!("{l}.attention.output.dense"), DIMENSION, DIMENSION)?,
                    attention_norm: norm(&format!("{l}.attention.output.LayerNorm"))?,
                    intermediate: dense(&format!("{l}.intermediate.dense"), DIMENSION, 4 * DIMENSION)?,
                    output: dense(&format!("{l}.output.dense"), 4 * DIMENSION, DIMENSION)?,
                    output_norm: norm(&format!("{l}.output.LayerNorm"))?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let token_type = w.get("embeddings.token_type_embeddings.weight", 2 * DIMENSION)?;
        let mut positions = w.get("embeddings.position_embeddings.weight", POSITIONS * DIMENSION)?;
        for row in positions.chunks_exact_mut(DIMENSION) {
            kernel::add_in_place(row, &token_type[..DIMENSION]);
        }
        let words = w.get_rows("embeddings.word_embeddings.weight", DIMENSION)?;
        Ok(MiniLm { tokenizer, words, positions, norm: norm("embeddings.LayerNorm")?, layers })
    }

    pub fn token_ids(&self, text: &str) -> Vec<u32> {
        self.tokenizer.encode(text, MAX_TOKENS)
    }

    /// Unit vectors for `texts`, in order.
    pub fn embed(&self, texts: &[String]) -> Vec<Vec<f32>> {
        let sequences: Vec<Vec<u32>> = texts.iter().map(|t| self.token_ids(t)).collect();
        let mut vectors = Vec::with_capacity(texts.len());
        let mut rest = sequences.as_slice();
        while !rest.is_empty() {
            let mut take = 1;
            let mut tokens = rest[0].len();
            while take < rest.len() && tokens + rest[take].len() <= TOKENS_PER_PASS {
                tokens += rest[take].len();
                take += 1;
            }
            vectors.extend(self.embed_packed(&rest[..take]));
            rest = &rest[take..];
        }
        vectors
    }

    /// One pass over `sequences` packed into one matrix: the dense layers
    /// work row by row, so they take every row at once.
    fn embed_packed(&self, sequences: &[Vec<u32>]) -> Vec<Vec<f32>> {
        let lengths: Vec<usize> = sequences.iter().map(Vec::len).collect();
        let mut hidden = Vec::with_capacity(lengths.iter().sum::<usize>() * DIMENSION);
        for ids in sequences {
            for (position, &id) in ids.iter().enumerate() {
                let word = &self.words[id as usize * DIMENSION..][..DIMENSION];
                let position = &self.positions[position * DIMENSION..][..DIMENSION];
                hidden.extend(word.iter().zip(position).map(|(w, p)| w + p));
            }
        }
        kernel::layer_norm(&mut hidden, &self.norm.gamma, &self.norm.beta, EPS);
        for layer in &self.layers {
            hidden = layer.forward(hidden, &lengths);
        }
        let mut rows = hidden.chunks_exact(DIMENSION);
        lengths
            .iter()
            .map(|&tokens| {
                let mut mean = vec![0f32; DIMENSION];
                for row in rows.by_ref().take(tokens) {
                    kernel::add_in_place(&mut mean, row);
                }
                let norm = kernel::dot(&mean, &mean).sqrt().max(1e-12);
                mean.iter_mut().for_each(|v| *v /= norm);
                mean
            })
            .collect()
    }
}

impl Layer {
    /// `x` holds sequences of `lengths` tokens, one after another.
    fn forward(&self, x: Vec<f32>, lengths: &[usize]) -> Vec<f32> {
        let qkv = self.qkv.forward(&x);
        let mut context = Vec::with_capacity(x.len());
        let mut sequences = qkv.as_slice();
        for &tokens in lengths {
            let (sequence, rest) = sequences.split_at(tokens * 3 * DIMENSION);
            context.extend(kernel::attention(sequence, tokens, HEADS, DIMENSION / HEADS));
            sequences = rest;
        }
        let mut attended = self.attention_out.forward(&context);
        kernel::add_in_place(&mut attended, &x);
        kernel::layer_norm(&mut attended, &self.attention_norm.gamma, &self.attention_norm.beta, EPS);
        let mut inner = self.intermediate.forward(&attended);
        kernel::gelu(&mut inner);
        let mut out = self.output.forward(&inner);
        kernel::add_in_place(&mut out, &attended);
        kernel::layer_norm(&mut out, &self.output_norm.gamma, &self.output_norm.beta, EPS);
        out
    }
}

struct Weights<'a>(&'a SafeTensors<'a>);

impl Weights<'_> {
    /// The named `f32` tensor, which must hold exactly `len` values.
    fn get(&self, name: &str, len: usize) -> Result<Vec<f32>, String> {
        let values = self.get_rows(name, len)?;
        if values.len() != len {
            return Err(format!("{name} has {} values, expected {len}", values.len()));
        }
        Ok(values)
    }

    /// The named `f32` tensor, whose size must be a multiple of `row`.
    fn get_rows(&self, name: &str, row: usize) -> Result<Vec<f32>, String> {
        let view = self.0.tensor(name).map_err(|e| format!("{name}: {e}"))?;
        if view.dtype() != Dtype::F32 {
            return Err(format!("{name} is {:?}, expected F32", view.dtype()));
        }
        let values: Vec<f32> =
            view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        if values.is_empty() || !values.len().is_multiple_of(row) {
            return Err(format!("{name} has {} values, not rows of {row}", values.len()));
        }
        Ok(values)
    }
}
