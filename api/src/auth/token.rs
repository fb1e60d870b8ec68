//! Access tokens: short-lived HS256 JWTs, validated strictly (audience, issuer, not-before).

use std::path::Path;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "infoharbor";
pub const AUDIENCE: &str = "infoharbor-api";
/// Short, because an access token cannot be revoked before it expires.
pub use crate::limits::ACCESS_TOKEN_SECONDS;
/// Clocks drift a little between nodes; the library's default of 60 s is too lenient.
const LEEWAY_SECONDS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: String,
    /// The sign-in (refresh-token family) the token was issued for: what a sign-out ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// The keys that sign and check access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(&self, user_id: &str, role: &str) -> anyhow::Result<String> {
        self.issue_for_session(user_id, role, None)
    }

    /// An access token of the sign-in `session` (its refresh-token family).
    pub fn issue_for_session(
        &self,
        user_id: &str,
        role: &str,
        session: Option<&str>,
    ) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_owned(),
            role: role.to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            exp: now + ACCESS_TOKEN_SECONDS,
            nbf: now,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            sid: session.map(str::to_owned),
        };
        Ok(encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// The claims of a valid token; `None` for anything else (bad signature, expired, wrong
    /// audience, `alg: none`, garbage), without saying which: the caller learns nothing.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// The configured secret, or one generated once and kept in the data dir with mode 0600.
pub fn load_or_create_secret(configured: Option<&str>, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    if let Some(secret) = configured.filter(|secret| !secret.is_empty()) {
        anyhow::ensure!(
            secret.len() >= 32,
            "HARBOR_JWT_SECRET must be at least 32 bytes long"
        );
        return Ok(secret.as_bytes().to_vec());
    }
    let path = data_dir.join("jwt-secret");
    match std::fs::read(&path) {
        Ok(secret) if secret.len() >= 32 => return Ok(secret),
        Ok(_) => anyhow::bail!(
            "{} is shorter than 32 bytes; delete it to generate a new one",
            path.display()
        ),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(error).with_context(|| format!("failed to read {}", path.display()));
        }
    }
    let secret = generate_secret();
    write_private_file(&path, secret.as_bytes())
        .with_context(|| format!("failed to write {}", path.display()))?;
    Ok(secret.into_bytes())
}

/// A new signing secret: 64 random letters and digits.
pub fn generate_secret() -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(64)
        .map(char::from)
        .collect()
}

fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_with_its_own_secret_only() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let token = keys.issue("user-1", "MEMBER").unwrap();
        assert_eq!(keys.verify(&token).unwrap().sub, "user-1");
        let other = TokenKeys::new(b"fedcba9876543210fedcba9876543210");
        assert!(other.verify(&token).is_none());
    }
}
