//! The key file: everything secret that a deployment must keep and every node must share.
//!
//! ```json
//! { "version": 1,
//!   "active_data_key": "dk-…",  "data_keys": [{ "id": "dk-…", "key": "<base64 32 bytes>" }],
//!   "signing_key": { "kid": "rk-…", "ed25519_pkcs8": "<base64>" },
//!   "state_secret": "<base64 32 bytes>" }
//! ```
//! Data keys encrypt personal data at rest (rotate by adding a key and making it active; keep
//! old ones while rows use them). The signing key signs result tokens (public half at
//! `/.well-known/jwks.json`). The state secret binds provider round trips to sessions.

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use idgate_store::KeyRing;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read key file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write key file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("key file {path} is invalid: {problem}")]
    Invalid { path: String, problem: String },
    #[error("the system random generator failed")]
    Random,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    version: u32,
    active_data_key: String,
    data_keys: Vec<DataKey>,
    signing_key: SigningKeyFile,
    state_secret: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DataKey {
    id: String,
    key: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SigningKeyFile {
    kid: String,
    ed25519_pkcs8: String,
}

/// The loaded keys.
#[derive(Clone)]
pub struct Keys {
    pub data: Arc<KeyRing>,
    pub signing: Arc<SigningKey>,
    state: hmac::Key,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("data", &self.data)
            .field("signing_kid", &self.signing.kid)
            .finish_non_exhaustive()
    }
}

/// The Ed25519 key that signs result tokens and (`v1a`) webhooks.
pub struct SigningKey {
    pub kid: String,
    pub pkcs8: Vec<u8>,
    /// Raw 32-byte public key.
    pub public: Vec<u8>,
    pub pair: Ed25519KeyPair,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn random_bytes(n: usize) -> Result<Vec<u8>, KeyFileError> {
    let mut b = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| KeyFileError::Random)?;
    Ok(b)
}

/// A short random id such as `dk-3f9a1c2b`.
fn key_id(prefix: &str) -> Result<String, KeyFileError> {
    Ok(format!("{prefix}-{}", hex::encode(random_bytes(4)?)))
}

impl Keys {
    /// Generates a fresh key file at `path`, readable only by its owner.
    pub fn generate(path: &Path) -> Result<Keys, KeyFileError> {
        let (keys, text) = Self::new_random(path)?;
        Self::write_new(path, &text).map_err(|source| KeyFileError::Write {
            path: path.display().to_string(),
            source,
        })?;
        Ok(keys)
    }

    /// Writes a key file made by [`Keys::new_random`]; fails if the file exists.
    pub fn write_new(path: &Path, text: &str) -> std::io::Result<()> {
        write_private(path, text.as_bytes())
    }

    /// Fresh keys and the key-file text that holds them, not yet written anywhere.
    pub fn new_random(path: &Path) -> Result<(Keys, String), KeyFileError> {
        let rng = SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| KeyFileError::Random)?;
        let data_id = key_id("dk")?;
        let file = KeyFile {
            version: 1,
            active_data_key: data_id.clone(),
            data_keys: vec![DataKey {
                id: data_id,
                key: STANDARD.encode(random_bytes(32)?),
            }],
            signing_key: SigningKeyFile {
                kid: key_id("rk")?,
                ed25519_pkcs8: STANDARD.encode(pkcs8.as_ref()),
            },
            state_secret: STANDARD.encode(random_bytes(32)?),
        };
        let text = serde_json::to_string_pretty(&file).map_err(|e| KeyFileError::Invalid {
            path: path.display().to_string(),
            problem: e.to_string(),
        })?;
        Ok((Self::from_file(path, file)?, text))
    }

    pub fn load(path: &Path) -> Result<Keys, KeyFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let file: KeyFile = serde_json::from_str(&text).map_err(|e| KeyFileError::Invalid {
            path: path.display().to_string(),
            problem: e.to_string(),
        })?;
        warn_if_readable_by_others(path);
        Self::from_file(path, file)
    }

    fn from_file(path: &Path, file: KeyFile) -> Result<Keys, KeyFileError> {
        let bad = |problem: String| KeyFileError::Invalid {
            path: path.display().to_string(),
            problem,
        };
        if file.version != 1 {
            return Err(bad(format!("unsupported version {}", file.version)));
        }
        let mut data = Vec::new();
        for k in file.data_keys {
            let bytes = STANDARD
                .decode(&k.key)
                .map_err(|_| bad(format!("data key {:?} is not base64", k.id)))?;
            data.push((k.id, bytes));
        }
        let ring = KeyRing::new(&file.active_data_key, data).map_err(|e| bad(e.to_string()))?;
        let pkcs8 = STANDARD
            .decode(&file.signing_key.ed25519_pkcs8)
            .map_err(|_| bad("signing key is not base64".into()))?;
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
            .map_err(|_| bad("signing key is not an Ed25519 PKCS#8 key".into()))?;
        let state = STANDARD
            .decode(&file.state_secret)
            .map_err(|_| bad("state secret is not base64".into()))?;
        if state.len() < 32 {
            return Err(bad("state secret must be at least 32 bytes".into()));
        }
        Ok(Keys {
            data: Arc::new(ring),
            signing: Arc::new(SigningKey {
                kid: file.signing_key.kid,
                public: pair.public_key().as_ref().to_vec(),
                pkcs8,
                pair,
            }),
            state: hmac::Key::new(hmac::HMAC_SHA256, &state),
        })
    }

    /// A value bound to `subject` that only this deployment can produce (the `state` of a
    /// provider round trip).
    pub fn bind(&self, purpose: &str, subject: &str) -> String {
        let tag = hmac::sign(&self.state, format!("{purpose}:{subject}").as_bytes());
        URL_SAFE_NO_PAD.encode(&tag.as_ref()[..16])
    }

    /// 32 secret bytes for `purpose`, derived from the state secret: the same on every node
    /// that shares the key file (the OIDC simulator's signing key seed).
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let tag = hmac::sign(&self.state, format!("derive:{purpose}").as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(&tag.as_ref()[..32]);
        out
    }

    /// Constant-time check of a value made by [`Keys::bind`].
    pub fn verify_binding(&self, purpose: &str, subject: &str, tag: &str) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        let expected = hmac::sign(&self.state, format!("{purpose}:{subject}").as_bytes());
        given.len() == 16
            && subtle::ConstantTimeEq::ct_eq(&expected.as_ref()[..16], given.as_slice()).into()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "the key file is readable by other users; run chmod 600 on it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_file_is_private_and_loads_back() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("sub/idgate.keys");
        let keys = Keys::generate(&path).unwrap_or_else(|e| panic!("{e}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
        let again = Keys::load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.signing.public, keys.signing.public);
        assert_eq!(again.data.active_key_id(), keys.data.active_key_id());
        let tag = keys.bind("state", "abc");
        assert!(again.verify_binding("state", "abc", &tag));
        assert!(!again.verify_binding("state", "abd", &tag));
        assert!(!again.verify_binding("other", "abc", &tag));
        assert!(!again.verify_binding("state", "abc", "AAAA"));
        // Never overwrites an existing key file.
        assert!(Keys::generate(&path).is_err());
    }

    #[test]
    fn invalid_files_are_refused_with_the_path() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("bad.keys");
        std::fs::write(&path, "{}").unwrap_or_else(|e| panic!("{e}"));
        let err = Keys::load(&path)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("bad.keys"), "{err}");
    }
}
