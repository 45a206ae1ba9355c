//! Field encryption for personal data: AES-256-GCM with a key id in every ciphertext, so keys
//! can rotate (new writes use the active key; old rows stay readable while their key is in
//! the ring).
//!
//! Layout: `0x01 ‖ len(key id) ‖ key id ‖ 96-bit nonce ‖ ciphertext ‖ tag`. The associated
//! data binds a ciphertext to its table, column and row, so a value copied to another row
//! does not decrypt.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use std::collections::BTreeMap;
use std::fmt;

const FORMAT_V1: u8 = 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyRingError {
    #[error(
        "encryption key {0:?} is not in the key file; restore the key file this database was created with"
    )]
    UnknownKey(String),
    #[error("a stored value failed authentication (wrong key, or the data was altered)")]
    Authentication,
    #[error("a stored ciphertext is malformed")]
    Malformed,
    #[error(
        "invalid key {0:?}: keys are 32 random bytes, ids are 1-64 characters of [A-Za-z0-9_-]"
    )]
    InvalidKey(String),
    #[error("the key ring has no key {0:?} to make active")]
    NoActiveKey(String),
    #[error("the system random generator failed")]
    Random,
}

/// The data keys a store encrypts with.
pub struct KeyRing {
    active: String,
    keys: BTreeMap<String, LessSafeKey>,
    rng: SystemRandom,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", &self.active)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    /// Builds a ring from `(id, 32-byte key)` pairs; `active` encrypts new values.
    pub fn new(
        active: &str,
        keys: impl IntoIterator<Item = (String, Vec<u8>)>,
    ) -> Result<Self, KeyRingError> {
        let mut ring = BTreeMap::new();
        for (id, bytes) in keys {
            let valid_id = !id.is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !valid_id || bytes.len() != 32 {
                return Err(KeyRingError::InvalidKey(id));
            }
            let key = UnboundKey::new(&AES_256_GCM, &bytes)
                .map_err(|_| KeyRingError::InvalidKey(id.clone()))?;
            ring.insert(id, LessSafeKey::new(key));
        }
        if !ring.contains_key(active) {
            return Err(KeyRingError::NoActiveKey(active.to_owned()));
        }
        Ok(KeyRing {
            active: active.to_owned(),
            keys: ring,
            rng: SystemRandom::new(),
        })
    }

    /// 32 fresh random bytes for a new data key.
    pub fn generate_key() -> Result<Vec<u8>, KeyRingError> {
        let mut bytes = vec![0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| KeyRingError::Random)?;
        Ok(bytes)
    }

    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    pub fn contains(&self, id: &str) -> bool {
        self.keys.contains_key(id)
    }

    pub fn encrypt(&self, aad: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyRingError> {
        let key = self
            .keys
            .get(&self.active)
            .ok_or_else(|| KeyRingError::UnknownKey(self.active.clone()))?;
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| KeyRingError::Random)?;
        let mut sealed = plaintext.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad.as_bytes()),
            &mut sealed,
        )
        .map_err(|_| KeyRingError::Authentication)?;
        let id = self.active.as_bytes();
        let mut out = Vec::with_capacity(2 + id.len() + NONCE_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.push(u8::try_from(id.len()).map_err(|_| KeyRingError::Malformed)?);
        out.extend_from_slice(id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn decrypt(&self, aad: &str, blob: &[u8]) -> Result<Vec<u8>, KeyRingError> {
        let (&version, rest) = blob.split_first().ok_or(KeyRingError::Malformed)?;
        if version != FORMAT_V1 {
            return Err(KeyRingError::Malformed);
        }
        let (&id_len, rest) = rest.split_first().ok_or(KeyRingError::Malformed)?;
        let id_len = usize::from(id_len);
        if rest.len() < id_len + NONCE_LEN {
            return Err(KeyRingError::Malformed);
        }
        let (id, rest) = rest.split_at(id_len);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let id = std::str::from_utf8(id).map_err(|_| KeyRingError::Malformed)?;
        let key = self
            .keys
            .get(id)
            .ok_or_else(|| KeyRingError::UnknownKey(id.to_owned()))?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyRingError::Malformed)?;
        let mut buf = sealed.to_vec();
        let plain = key
            .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut buf)
            .map_err(|_| KeyRingError::Authentication)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(active: &str, ids: &[&str]) -> KeyRing {
        let keys = ids
            .iter()
            .map(|id| (id.to_string(), vec![id.len() as u8; 32]));
        KeyRing::new(active, keys).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn round_trip_and_binding_to_context() {
        let r = ring("k1", &["k1"]);
        let blob = r
            .encrypt("sessions.applicant:1", b"Kari Nordmann")
            .unwrap_or_default();
        assert!(!blob.windows(4).any(|w| w == b"Kari"));
        assert_eq!(
            r.decrypt("sessions.applicant:1", &blob),
            Ok(b"Kari Nordmann".to_vec())
        );
        assert_eq!(
            r.decrypt("sessions.applicant:2", &blob),
            Err(KeyRingError::Authentication)
        );
        let mut tampered = blob.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert_eq!(
            r.decrypt("sessions.applicant:1", &tampered),
            Err(KeyRingError::Authentication)
        );
        assert_eq!(r.decrypt("x", &[]), Err(KeyRingError::Malformed));
        assert_eq!(r.decrypt("x", &[1, 200, 1]), Err(KeyRingError::Malformed));
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let old = ring("k1", &["k1"]);
        let blob = old.encrypt("a", b"secret").unwrap_or_default();
        let rotated = ring("key2", &["k1", "key2"]);
        assert_eq!(rotated.decrypt("a", &blob), Ok(b"secret".to_vec()));
        let fresh = rotated.encrypt("a", b"new").unwrap_or_default();
        assert_eq!(&fresh[2..6], b"key2");
        let without_old = ring("key2", &["key2"]);
        assert_eq!(
            without_old.decrypt("a", &blob),
            Err(KeyRingError::UnknownKey("k1".into()))
        );
    }

    #[test]
    fn invalid_keys_are_refused() {
        assert!(KeyRing::new("a", [("a".to_string(), vec![0; 16])]).is_err());
        assert!(KeyRing::new("a b", [("a b".to_string(), vec![0; 32])]).is_err());
        assert!(KeyRing::new("b", [("a".to_string(), vec![0; 32])]).is_err());
        assert_eq!(KeyRing::generate_key().map(|k| k.len()), Ok(32));
    }
}
