//! Access tokens for non-browser clients: HS256 JWTs that live 15 minutes.
//! The algorithm is fixed here, never read from the token, so `alg: none`
//! and algorithm swaps fail verification.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::secrets::ServerKey;

pub const ACCESS_TTL_SECS: i64 = 15 * 60;
pub const AUDIENCE: &str = "lodestar-api";
const ACCESS: &str = "access";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    /// What the token is for: only `access` is accepted as a bearer.
    pub typ: String,
    /// The refresh-token family it came from: revoking the family ends it.
    pub fam: String,
}

#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
}

impl Tokens {
    pub fn new(key: &ServerKey, issuer: &str) -> Self {
        Tokens {
            encoding: EncodingKey::from_secret(key.bytes()),
            decoding: DecodingKey::from_secret(key.bytes()),
            issuer: issuer.to_string(),
        }
    }

    pub fn issue_access(&self, user_id: &str, family_id: &str) -> String {
        let now = crate::sql::now_millis() / 1000;
        let claims = Claims {
            sub: user_id.into(),
            aud: AUDIENCE.into(),
            iss: self.issuer.clone(),
            iat: now,
            exp: now + ACCESS_TTL_SECS,
            typ: ACCESS.into(),
            fam: family_id.into(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).expect("HS256 signing cannot fail")
    }

    /// The claims of a valid access token, or `None` for anything else.
    pub fn verify_access(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.leeway = 5;
        let claims = decode::<Claims>(token, &self.decoding, &validation).ok()?.claims;
        (claims.typ == ACCESS).then_some(claims)
    }
}
