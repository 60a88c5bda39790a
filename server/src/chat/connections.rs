//! HTTP clients for the LLM provider, each carrying a bounded number of
//! answers at once. Over HTTP/2 (what OpenAI and Anthropic negotiate over
//! TLS) one client multiplexes every request onto a single connection, and
//! hyper never opens a second when the server's limit on concurrent streams
//! is reached (RFC 9113 §9.1 says clients should not): answers beyond the
//! limit would wait for a free stream until their first-token deadline and
//! fall back to the offline engine. So answers are spread over as many
//! clients as they need, filling the first with room, which also lets many
//! answers share one connection's reads. Over HTTP/1.1 each client keeps its
//! own pool and nothing changes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rig_core::http_client::DynHttpClient;
use rig_reqwest::reqwest;

use crate::config::LlmConfig;

pub struct ProviderClients {
    config: ClientConfig,
    clients: Mutex<Vec<Arc<Counted>>>,
}

/// What every client is built from.
struct ClientConfig {
    connect_timeout: std::time::Duration,
    extra_roots: Vec<reqwest::Certificate>,
    answers_per_client: usize,
}

struct Counted {
    http: DynHttpClient,
    answers: AtomicUsize,
}

/// One answer's place on a client; the place frees when this drops.
pub struct Lease(Arc<Counted>);

impl Lease {
    pub fn http(&self) -> DynHttpClient {
        self.0.http.clone()
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.0.answers.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ProviderClients {
    /// Reads `LLM_CA_FILE` and builds the first client, so a bad
    /// certificate file or TLS setup stops start-up.
    pub fn new(config: &LlmConfig) -> Result<ProviderClients, String> {
        let extra_roots = match &config.ca_file {
            None => Vec::new(),
            Some(path) => {
                let pem =
                    std::fs::read(path).map_err(|e| format!("LLM_CA_FILE: could not read {}: {e}", path.display()))?;
                let roots = reqwest::Certificate::from_pem_bundle(&pem)
                    .map_err(|e| format!("LLM_CA_FILE: {} is not a PEM certificate bundle: {e}", path.display()))?;
                if roots.is_empty() {
                    return Err(format!("LLM_CA_FILE: {} holds no certificate", path.display()));
                }
                roots
            }
        };
        let config = ClientConfig {
            connect_timeout: config.connect_timeout,
            extra_roots,
            answers_per_client: config.streams_per_connection,
        };
        let first = Arc::new(Counted { http: config.build()?, answers: AtomicUsize::new(0) });
        Ok(ProviderClients { config, clients: Mutex::new(vec![first]) })
    }

    /// A place for one answer on the first client with room, or on a new one.
    pub fn lease(&self) -> Lease {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        // Counts only rise under this lock, so one seen with room keeps it.
        let with_room = clients.iter().find(|c| c.answers.load(Ordering::Relaxed) < self.config.answers_per_client);
        let client = match with_room {
            Some(client) => client.clone(),
            None => match self.config.build() {
                Ok(http) => {
                    let client = Arc::new(Counted { http, answers: AtomicUsize::new(0) });
                    clients.push(client.clone());
                    client
                }
                // The same settings built the first client; should that ever
                // change, crowding the least busy client beats failing.
                Err(e) => {
                    tracing::error!("could not build another LLM HTTP client: {e}");
                    let least_busy = clients.iter().min_by_key(|c| c.answers.load(Ordering::Relaxed));
                    least_busy.expect("the first client is built at start-up").clone()
                }
            },
        };
        client.answers.fetch_add(1, Ordering::Relaxed);
        Lease(client)
    }

    /// How many clients exist (each with its own connections).
    pub fn client_count(&self) -> usize {
        self.clients.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl ClientConfig {
    fn build(&self) -> Result<DynHttpClient, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            // Retries are ours: only before the first token, and counted.
            .retry(reqwest::retry::never())
            .tls_certs_merge(self.extra_roots.iter().cloned())
            .build()
            .map_err(|e| format!("could not build the LLM HTTP client: {e}"))?;
        Ok(DynHttpClient::new(rig_reqwest::ReqwestClient::from(client)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{LlmProvider, Secret};
    use std::time::Duration;

    fn config(streams_per_connection: usize) -> LlmConfig {
        LlmConfig {
            provider: LlmProvider::OpenAi,
            model: "m".into(),
            api_key: Some(Secret::new("k")),
            base_url: "https://llm.example".into(),
            ca_file: None,
            streams_per_connection,
            connect_timeout: Duration::from_secs(1),
            first_token_timeout: Duration::from_secs(1),
            gap_timeout: Duration::from_secs(1),
            total_timeout: Duration::from_secs(1),
            retries: 0,
            retry_base: Duration::from_millis(1),
            breaker_failures: 1,
            breaker_cooldown: Duration::from_secs(1),
            max_tokens: 1,
            temperature: 0.0,
        }
    }

    fn answers(clients: &ProviderClients) -> Vec<usize> {
        clients.clients.lock().unwrap().iter().map(|c| c.answers.load(Ordering::Relaxed)).collect()
    }

    #[test]
    fn answers_fill_a_client_before_the_next_is_built_and_free_places_are_reused() {
        let clients = ProviderClients::new(&config(2)).unwrap();
        let mut leases: Vec<Lease> = (0..5).map(|_| clients.lease()).collect();
        assert_eq!(answers(&clients), vec![2, 2, 1]);
        leases.remove(0);
        assert_eq!(answers(&clients), vec![1, 2, 1]);
        let _again = clients.lease();
        assert_eq!(answers(&clients), vec![2, 2, 1], "the first client's free place is taken first");
        drop(leases);
        assert_eq!(answers(&clients), vec![1, 0, 0]);
        assert_eq!(clients.client_count(), 3, "clients stay for the next busy moment");
    }

    #[test]
    fn an_unreadable_or_empty_certificate_file_stops_start_up() {
        let dir = tempfile::tempdir().unwrap();
        let missing = LlmConfig { ca_file: Some(dir.path().join("missing.pem")), ..config(1) };
        let err = ProviderClients::new(&missing).err().unwrap();
        assert!(err.starts_with("LLM_CA_FILE: could not read"), "{err}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = ProviderClients::new(&LlmConfig { ca_file: Some(empty), ..config(1) }).err().unwrap();
        assert!(err.contains("holds no certificate") || err.contains("is not a PEM"), "{err}");
    }
}
