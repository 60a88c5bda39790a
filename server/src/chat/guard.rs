//! Fair use of a workspace's answers. Anyone can send the widget questions:
//! its key is public, `Origin` can be forged outside a browser and visitor
//! tokens cost nothing to mint, so limits rest on what a client cannot
//! multiply cheaply, its network address. Each address (on IPv6 each /64)
//! has a share of a day's answers and the workspace a daily ceiling, both
//! counted in SQL (`usage.rs`) so that every server process sees the same
//! counts. Past its share a client goes on only by solving a proof-of-work
//! challenge whose cost doubles every few answers: a real visitor's browser
//! pays a moment now and then, a flood pays more with every answer, and no
//! third party is involved.

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::limits::Gcra;
use super::visitor::{seal, unseal};
use crate::accounts::secrets::ServerKey;

const PURPOSE: &str = "widget-challenge";
const PREFIX: &str = "pc1";
/// Long enough for a slow phone to solve it, short enough to be spent soon.
const CHALLENGE_LIFETIME_MS: i64 = 10 * 60 * 1000;
/// The first answers past a share cost about 2^14 hashes (milliseconds in
/// a browser); every [`STEP`] more answers double it.
const BASE_BITS: u32 = 14;
const STEP: u64 = 4;
const MAX_BITS: u32 = 40;

/// Feedback and hand-off each write a row: a visitor may send a few at
/// once, then one every couple of seconds; an address, a few visitors' worth.
const FEEDBACK_BURST: u32 = 10;
const FEEDBACK_INTERVAL: Duration = Duration::from_secs(2);
const FEEDBACK_ADDRESS_BURST: u32 = 40;
const FEEDBACK_ADDRESS_INTERVAL: Duration = Duration::from_millis(500);
/// The widget says "typing" at most every 2.5 s while the visitor types,
/// and "seen" once per reply from the team it shows.
const TYPING_BURST: u32 = 4;
const TYPING_INTERVAL: Duration = Duration::from_secs(2);
const TYPING_ADDRESS_BURST: u32 = 40;
const TYPING_ADDRESS_INTERVAL: Duration = Duration::from_millis(200);

/// Bits of work asked of the `excess`-th answer past a client's share.
pub fn difficulty(excess: u64) -> u32 {
    (BASE_BITS as u64 + excess.saturating_sub(1) / STEP).min(MAX_BITS as u64) as u32
}

/// The client an address stands for: the address itself, or its /64 on
/// IPv6, where one subscriber is handed a whole /64 (often more).
pub fn client_of(addr: &str) -> String {
    match addr.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Err(_) => "unknown".into(),
    }
}

/// A challenge as the widget receives it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Challenge {
    pub token: String,
    pub bits: u32,
}

/// A solved challenge: the work it proves, and what spends it (its nonce,
/// recorded with the answer it buys, so one solution buys one answer in
/// every server process).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    pub bits: u32,
    pub nonce: String,
    pub expires_at: i64,
}

pub struct Guard {
    key: ServerKey,
    feedback: Gcra,
    feedback_address: Gcra,
    typing: Gcra,
    typing_address: Gcra,
}

impl Guard {
    pub fn new(key: ServerKey) -> Self {
        Guard {
            key,
            feedback: Gcra::new(FEEDBACK_BURST, FEEDBACK_INTERVAL),
            feedback_address: Gcra::new(FEEDBACK_ADDRESS_BURST, FEEDBACK_ADDRESS_INTERVAL),
            typing: Gcra::new(TYPING_BURST, TYPING_INTERVAL),
            typing_address: Gcra::new(TYPING_ADDRESS_BURST, TYPING_ADDRESS_INTERVAL),
        }
    }

    /// A challenge of `bits` for `client` in `workspace_id`.
    pub fn challenge(&self, workspace_id: &str, client: &str, bits: u32, now_ms: i64) -> Challenge {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the operating system's random source works");
        let fields = [
            PREFIX,
            workspace_id,
            &client_tag(client),
            &bits.to_string(),
            &(now_ms + CHALLENGE_LIFETIME_MS).to_string(),
            &hex::encode(nonce),
        ];
        Challenge { token: seal(&self.key, PURPOSE, &fields), bits }
    }

    /// The proof in a genuine, unexpired challenge for this client, solved;
    /// `None` when anything is wrong. Whether it was spent before is for
    /// the charge to find out (`usage.rs`).
    pub fn proof(&self, workspace_id: &str, client: &str, token: &str, solution: &str, now_ms: i64) -> Option<Proof> {
        let fields = unseal(&self.key, PURPOSE, token)?;
        let [PREFIX, workspace, tag, bits, expires, nonce] = fields.as_slice() else { return None };
        let (bits, expires_at) = (bits.parse::<u32>().ok()?, expires.parse::<i64>().ok()?);
        let genuine = *workspace == workspace_id && *tag == client_tag(client) && expires_at > now_ms;
        let solved =
            solution.len() <= 20 && solution.parse::<u64>().is_ok() && leading_zero_bits(token, solution) >= bits;
        (genuine && solved).then(|| Proof { bits, nonce: (*nonce).to_owned(), expires_at })
    }

    /// Whether a visitor (and their address) may send feedback or ask for a
    /// person now; `Err(wait)` otherwise.
    pub fn feedback(&self, workspace_id: &str, visitor_id: &str, client: &str) -> Result<(), Duration> {
        self.feedback_address.check(&format!("{workspace_id}:{client}"))?;
        self.feedback.check(&format!("{workspace_id}:{visitor_id}"))
    }

    /// Whether a visitor (and their address) may send a signal of kind
    /// `what` ("typing", "seen") now; each kind is paced on its own.
    pub fn signal(&self, what: &str, workspace_id: &str, visitor_id: &str, client: &str) -> Result<(), Duration> {
        self.typing_address.check(&format!("{what}:{workspace_id}:{client}"))?;
        self.typing.check(&format!("{what}:{workspace_id}:{visitor_id}"))
    }
}

/// The client as a challenge names it: a digest, so tokens carry no address.
fn client_tag(client: &str) -> String {
    hex::encode(&Sha256::digest(client.as_bytes())[..8])
}

/// Leading zero bits of SHA-256(`token` ":" `solution`): the widget's work.
pub fn leading_zero_bits(token: &str, solution: &str) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(token.as_bytes());
    hasher.update(b":");
    hasher.update(solution.as_bytes());
    let digest = hasher.finalize();
    let mut bits = 0;
    for byte in digest {
        if byte == 0 {
            bits += 8;
        } else {
            bits += byte.leading_zeros();
            break;
        }
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn solve(token: &str, bits: u32) -> String {
        (0u64..).map(|n| n.to_string()).find(|n| leading_zero_bits(token, n) >= bits).unwrap()
    }

    #[test]
    fn addresses_become_clients_per_host_or_per_64() {
        assert_eq!(client_of("203.0.113.9"), "203.0.113.9");
        assert_eq!(client_of("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(client_of("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_ne!(client_of("2001:db8:1:3::1"), client_of("2001:db8:1:2::1"));
        assert_eq!(client_of("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(client_of("not an address"), "unknown");
    }

    #[test]
    fn work_doubles_every_few_answers_past_a_share() {
        assert_eq!((difficulty(1), difficulty(4), difficulty(5)), (14, 14, 15));
        assert_eq!(difficulty(40), 23);
        assert_eq!(difficulty(u64::MAX), MAX_BITS);
    }

    #[test]
    fn a_solved_challenge_proves_work_for_its_workspace_and_client_only() {
        let guard = Guard::new(ServerKey::new(Secret::new("k".repeat(40))));
        let now = 1_000_000;
        let challenge = guard.challenge("ws1", "203.0.113.9", 8, now);
        let solution = solve(&challenge.token, 8);
        let wrong = (0u64..).map(|n| n.to_string()).find(|n| leading_zero_bits(&challenge.token, n) < 8).unwrap();
        assert_eq!(guard.proof("ws1", "203.0.113.9", &challenge.token, &wrong, now), None, "unsolved");
        assert_eq!(guard.proof("ws2", "203.0.113.9", &challenge.token, &solution, now), None, "other workspace");
        assert_eq!(guard.proof("ws1", "198.51.100.1", &challenge.token, &solution, now), None, "other client");
        let late = now + CHALLENGE_LIFETIME_MS;
        assert_eq!(guard.proof("ws1", "203.0.113.9", &challenge.token, &solution, late), None, "expired");
        let forged = challenge.token.replacen(".8.", ".1.", 1);
        assert_eq!(guard.proof("ws1", "203.0.113.9", &forged, &solve(&forged, 1), now), None, "forged");
        let proof = guard.proof("ws1", "203.0.113.9", &challenge.token, &solution, now).expect("solved");
        assert_eq!((proof.bits, proof.expires_at), (8, now + CHALLENGE_LIFETIME_MS));
    }
}
