//! Fetching web pages without becoming a proxy into our own network: only
//! `http`/`https`; every address a name resolves to must be public (the
//! connection goes to exactly the checked addresses, so a DNS answer that
//! changes between check and connect changes nothing); redirects are
//! followed by hand and each hop is checked again; size and time capped.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("only http:// and https:// addresses can be fetched")]
    Scheme,
    #[error("{0} is a private or internal address and cannot be fetched")]
    Private(String),
    #[error("{0} could not be found")]
    Unresolved(String),
    #[error("{0} did not answer in time")]
    Timeout(String),
    #[error("could not connect to {0}")]
    Connect(String),
    #[error("{url} answered with HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("the page is larger than {0} MB")]
    TooLarge(u64),
    #[error("too many redirects")]
    Redirects,
    #[error("could not fetch {url}: {reason}")]
    Failed { url: String, reason: String },
}

impl FetchError {
    /// The site itself cannot be reached (no such name, no connection, no
    /// answer), as opposed to one page being missing or refused.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            FetchError::Unresolved(_) | FetchError::Private(_) | FetchError::Timeout(_) | FetchError::Connect(_)
        )
    }
}

/// A network range fetching may reach although it is private: for
/// deployments that index an intranet (`FETCH_ALLOW_PRIVATE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowedNet {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl AllowedNet {
    pub fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse().ok()?, p.parse().ok()?),
            None => {
                let addr: IpAddr = s.parse().ok()?;
                (addr, if addr.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if matches!(addr, IpAddr::V4(_)) { 32 } else { 128 };
        (prefix <= max).then_some(AllowedNet { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_match(u128::from(u32::from(net)) << 96, u128::from(u32::from(ip)) << 96, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => prefix_match(u128::from(net), u128::from(ip), self.prefix),
            _ => false,
        }
    }
}

fn prefix_match(a: u128, b: u128, prefix: u8) -> bool {
    prefix == 0 || (a ^ b) >> (128 - u32::from(prefix)) == 0
}

#[derive(Debug, Clone)]
pub struct FetchPolicy {
    pub allowed_private: Vec<AllowedNet>,
    pub max_bytes: u64,
    pub timeout: Duration,
    pub max_redirects: usize,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            allowed_private: Vec::new(),
            max_bytes: 10 * 1024 * 1024,
            timeout: Duration::from_secs(20),
            max_redirects: 5,
        }
    }
}

/// Whether `ip` is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            // NAT64 (64:ff9b::/96) embeds an IPv4 address: judge that one.
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                return is_public_v4(Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || s[0] == 0x2002 // 6to4: relays reach the embedded IPv4 address, private or not
                || (s[0] == 0x2001 && s[1] == 0) // Teredo: tunnels to an embedded IPv4 address
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64 (RFC 8215)
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || s[0..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible ::a.b.c.d
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local() // includes the 169.254.169.254 metadata service
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240)
}

/// Resolves names and drops every address the policy does not allow; a
/// name with none left fails, and reqwest connects only to what is left.
struct CheckedResolver {
    allowed: Arc<Vec<AllowedNet>>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = self.allowed.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            // A name that does not resolve is the source's problem, said plainly.
            let addrs: Vec<SocketAddr> = match tokio::net::lookup_host((host.as_str(), 0)).await {
                Ok(addrs) => addrs.collect(),
                Err(_) => Vec::new(),
            };
            let ok: Vec<SocketAddr> = addrs.iter().copied().filter(|a| permitted(&allowed, a.ip())).collect();
            if ok.is_empty() {
                let why: Box<dyn std::error::Error + Send + Sync> = if addrs.is_empty() {
                    Box::new(FetchError::Unresolved(host))
                } else {
                    Box::new(FetchError::Private(host))
                };
                return Err(why);
            }
            Ok(Box::new(ok.into_iter()) as Addrs)
        })
    }
}

fn permitted(allowed: &[AllowedNet], ip: IpAddr) -> bool {
    is_public(ip) || allowed.iter().any(|n| n.contains(ip))
}

pub struct Fetched {
    pub url: Url,
    pub content_type: String,
    pub body: Vec<u8>,
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    policy: FetchPolicy,
}

pub const USER_AGENT: &str = "LodestarBot/0.1 (+https://lodestar.example/bot)";

impl Fetcher {
    pub fn new(policy: FetchPolicy) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(CheckedResolver { allowed: Arc::new(policy.allowed_private.clone()) }))
            .connect_timeout(policy.timeout.min(Duration::from_secs(10)))
            .timeout(policy.timeout)
            .user_agent(USER_AGENT)
            .build()
            .expect("a TLS backend is compiled in");
        Fetcher { client, policy }
    }

    /// Checks a URL before any connection: scheme, and a literal address
    /// in any spelling (the URL parser already turned `0x7f.1` and
    /// `2130706433` into 127.0.0.1).
    pub fn check(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Scheme);
        }
        let literal = match url.host() {
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(Host::Domain(d))
                if d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost") =>
            {
                Some(IpAddr::V6(Ipv6Addr::LOCALHOST))
            }
            Some(Host::Domain(_)) => None,
            None => return Err(FetchError::Failed { url: url.to_string(), reason: "the address has no host".into() }),
        };
        match literal {
            Some(ip) if !permitted(&self.policy.allowed_private, ip) => {
                Err(FetchError::Private(url.host_str().unwrap_or_default().to_owned()))
            }
            _ => Ok(()),
        }
    }

    /// GETs `url`, following up to `max_redirects` checked redirects.
    pub async fn get(&self, url: &Url) -> Result<Fetched, FetchError> {
        let mut url = url.clone();
        for _ in 0..=self.policy.max_redirects {
            self.check(&url)?;
            let response = self.client.get(url.clone()).send().await.map_err(|e| describe(&url, e))?;
            let status = response.status();
            if status.is_redirection() {
                let location =
                    response.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok()).ok_or_else(
                        || FetchError::Failed { url: url.to_string(), reason: "a redirect without a location".into() },
                    )?;
                url = url.join(location).map_err(|_| FetchError::Failed {
                    url: url.to_string(),
                    reason: "a redirect to an invalid address".into(),
                })?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status { url: url.to_string(), status: status.as_u16() });
            }
            let content_type = response
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            if response.content_length().is_some_and(|n| n > self.policy.max_bytes) {
                return Err(FetchError::TooLarge(self.policy.max_bytes / (1024 * 1024)));
            }
            let mut body = Vec::new();
            let mut stream = response.bytes_stream();
            while let Some(piece) = stream.next().await {
                let piece = piece.map_err(|e| describe(&url, e))?;
                if body.len() as u64 + piece.len() as u64 > self.policy.max_bytes {
                    return Err(FetchError::TooLarge(self.policy.max_bytes / (1024 * 1024)));
                }
                body.extend_from_slice(&piece);
            }
            return Ok(Fetched { url, content_type, body });
        }
        Err(FetchError::Redirects)
    }
}

/// Turns reqwest's error into ours, finding our resolver's verdict inside.
fn describe(url: &Url, error: reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(ours) = e.downcast_ref::<FetchError>() {
            return ours.clone();
        }
        source = e.source();
    }
    if error.is_timeout() {
        return FetchError::Timeout(url.host_str().unwrap_or_default().to_owned());
    }
    if error.is_connect() {
        let port = url.port_or_known_default().map(|p| format!(":{p}")).unwrap_or_default();
        return FetchError::Connect(format!("{}{port}", url.host_str().unwrap_or_default()));
    }
    FetchError::Failed { url: url.to_string(), reason: "the connection failed".into() }
}

/// The rules of one site's robots.txt that apply to us.
#[derive(Debug, Default, Clone)]
pub struct Robots {
    rules: Vec<(bool, String)>,
    pub crawl_delay: Option<Duration>,
    pub sitemaps: Vec<String>,
}

impl Robots {
    /// Reads the groups for `*` or our own agent; ours win when present.
    pub fn parse(text: &str) -> Self {
        let mut ours = Robots::default();
        let mut anyone = Robots::default();
        let mut sitemaps = Vec::new();
        let mut agents: Vec<String> = Vec::new();
        let mut in_rules = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((field, value)) = line.split_once(':') else { continue };
            let (field, value) = (field.trim().to_ascii_lowercase(), value.trim().to_owned());
            match field.as_str() {
                "user-agent" => {
                    if in_rules {
                        agents.clear();
                        in_rules = false;
                    }
                    agents.push(value.to_ascii_lowercase());
                }
                "allow" | "disallow" | "crawl-delay" => {
                    in_rules = true;
                    for agent in &agents {
                        let target = if agent.contains("lodestarbot") {
                            &mut ours
                        } else if agent == "*" {
                            &mut anyone
                        } else {
                            continue;
                        };
                        match field.as_str() {
                            "crawl-delay" => {
                                target.crawl_delay =
                                    value.parse::<f64>().ok().map(|s| Duration::from_secs_f64(s.clamp(0.0, 10.0)))
                            }
                            _ if value.is_empty() => {}
                            _ => target.rules.push((field == "allow", value.clone())),
                        }
                    }
                }
                "sitemap" => sitemaps.push(value),
                _ => {}
            }
        }
        let mut chosen = if ours.rules.is_empty() && ours.crawl_delay.is_none() { anyone } else { ours };
        chosen.sitemaps = sitemaps;
        chosen
    }

    /// The longest matching rule decides; allow wins a tie.
    pub fn allows(&self, path: &str) -> bool {
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if let Some(len) = rule_match(pattern, path) {
                if best.is_none_or(|(l, a)| len > l || (len == l && *allow && !a)) {
                    best = Some((len, *allow));
                }
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

/// Matches a robots.txt path pattern (`*` wildcard, `$` end anchor).
fn rule_match(pattern: &str, path: &str) -> Option<usize> {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut position = 0;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            if !path.starts_with(part) {
                return None;
            }
            position = part.len();
        } else {
            position += path[position..].find(part)? + part.len();
        }
    }
    (!anchored || position == path.len()).then_some(pattern.len())
}

/// `<loc>` entries of a sitemap or sitemap index.
pub fn sitemap_locations(xml: &str) -> (Vec<String>, bool) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut in_loc = false;
    let mut is_index = false;
    let mut locations = Vec::new();
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) => match e.local_name().as_ref() {
                b"loc" => in_loc = true,
                b"sitemapindex" => is_index = true,
                _ => {}
            },
            Ok(quick_xml::events::Event::End(e)) if e.local_name().as_ref() == b"loc" => in_loc = false,
            Ok(quick_xml::events::Event::Text(t)) if in_loc => {
                if let Ok(text) = t.decode() {
                    locations.push(text.trim().to_owned());
                }
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => break,
            _ => {}
        }
        if locations.len() > 50_000 {
            break;
        }
    }
    (locations, is_index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_in_every_spelling_are_refused() {
        let fetcher = Fetcher::new(FetchPolicy::default());
        for url in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:c0a8:0101::1]/",
            "http://[2002:5db8:d70e::1]/",
            "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
            "http://[64:ff9b:1::a00:1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://192.168.1.1/",
            "http://172.16.0.1/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://localhost:8080/",
            "http://app.localhost/",
        ] {
            let url = Url::parse(url).unwrap();
            assert!(matches!(fetcher.check(&url), Err(FetchError::Private(_))), "{url} was allowed");
        }
        for url in ["ftp://example.com/", "file:///etc/passwd", "gopher://example.com/"] {
            assert_eq!(fetcher.check(&Url::parse(url).unwrap()), Err(FetchError::Scheme), "{url}");
        }
        assert_eq!(fetcher.check(&Url::parse("https://93.184.215.14/").unwrap()), Ok(()));
        // Public IPv6 next to the refused tunnel and translation ranges stays reachable.
        for url in ["https://[2001:4860:4860::8888]/", "https://[2003::1]/", "https://[64:ff9b:2::1]/"] {
            assert_eq!(fetcher.check(&Url::parse(url).unwrap()), Ok(()), "{url}");
        }
    }

    #[test]
    fn an_allowed_private_range_is_reachable() {
        let fetcher = Fetcher::new(FetchPolicy {
            allowed_private: vec![AllowedNet::parse("10.1.0.0/16").unwrap()],
            ..FetchPolicy::default()
        });
        assert_eq!(fetcher.check(&Url::parse("http://10.1.2.3/").unwrap()), Ok(()));
        assert!(fetcher.check(&Url::parse("http://10.2.0.1/").unwrap()).is_err());
    }

    #[test]
    fn robots_rules() {
        let robots = Robots::parse("User-agent: *\nDisallow: /private\nAllow: /private/ok\nDisallow: /*.pdf$\nCrawl-delay: 2\nSitemap: https://x.example/sitemap.xml\n\nUser-agent: other\nDisallow: /");
        assert!(robots.allows("/help"));
        assert!(!robots.allows("/private/x"));
        assert!(robots.allows("/private/ok/page"));
        assert!(!robots.allows("/files/a.pdf"));
        assert!(robots.allows("/files/a.pdf?x"));
        assert_eq!(robots.crawl_delay, Some(Duration::from_secs(2)));
        assert_eq!(robots.sitemaps, ["https://x.example/sitemap.xml"]);
    }

    #[test]
    fn sitemaps_and_indexes() {
        let (locs, index) = sitemap_locations("<?xml version=\"1.0\"?><urlset xmlns=\"x\"><url><loc> https://a.example/1 </loc></url><url><loc>https://a.example/2</loc></url></urlset>");
        assert_eq!(locs, ["https://a.example/1", "https://a.example/2"]);
        assert!(!index);
        let (_, index) =
            sitemap_locations("<sitemapindex><sitemap><loc>https://a.example/s1.xml</loc></sitemap></sitemapindex>");
        assert!(index);
    }
}
