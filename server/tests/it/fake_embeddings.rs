//! A fake OpenAI-compatible embeddings server, speaking the real wire
//! protocol (`POST /v1/embeddings`, bearer auth, `data[].embedding`,
//! `usage`). Its vectors are hashed bags of words: texts that share words
//! are close, so retrieval through it is meaningful.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

pub const KEY: &str = "sk-test-fake-embeddings";
pub const DIMENSION: usize = 64;

pub struct FakeEmbeddings {
    pub base_url: String,
    pub requests: Arc<AtomicUsize>,
}

impl FakeEmbeddings {
    pub async fn start() -> FakeEmbeddings {
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let router = axum::Router::new().route(
            "/v1/embeddings",
            axum::routing::post(move |headers: HeaderMap, Json(body): Json<Value>| {
                let counter = counter.clone();
                async move {
                    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {KEY}")) {
                        return (StatusCode::UNAUTHORIZED, Json(json!({"error": {"message": "bad key"}}))).into_response();
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    let inputs: Vec<String> = body["input"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
                    let data: Vec<Value> = inputs.iter().enumerate().map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": vector(t)})).collect();
                    let tokens: usize = inputs.iter().map(|t| t.split_whitespace().count()).sum();
                    Json(json!({"object": "list", "model": body["model"], "data": data, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})).into_response()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://127.0.0.1:{}/v1", listener.local_addr().unwrap().port());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        FakeEmbeddings { base_url, requests }
    }
}

fn vector(text: &str) -> Vec<f64> {
    let mut v = vec![0.0; DIMENSION];
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2) {
        let hash = word.to_lowercase().bytes().fold(2166136261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16777619));
        v[hash as usize % DIMENSION] += 1.0;
    }
    v[0] += 0.01;
    v
}
