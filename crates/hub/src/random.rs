//! Random secrets (tokens, keys, credential parts) from the system generator.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The system's random generator failed: nothing secret can be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("system random generator failed")]
pub struct RandomUnavailable;

/// `n` random bytes.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, RandomUnavailable> {
    let mut bytes = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| RandomUnavailable)?;
    Ok(bytes)
}

/// `n` random bytes as unpadded base64url.
pub fn random_token(n: usize) -> Result<String, RandomUnavailable> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes(n)?))
}
