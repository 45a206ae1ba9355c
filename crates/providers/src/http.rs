//! The HTTP clients adapters call their providers with. The deployment owns the policy
//! (timeouts, no redirects, the private-address guard); an adapter that needs its own TLS
//! identity (BankID's RP certificate, an OIDC provider with mutual-TLS client authentication)
//! asks the factory for a client that presents it and trusts only the provider's CA.

use crate::{ProviderError, UrlGuard};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[providers.<id>.tls]`: mutual TLS towards one provider. Files are PEM; a PKCS#12 bundle
/// converts with `openssl pkcs12 -in rp.p12 -nodes -legacy > rp.pem`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTls {
    /// The client certificate chain (leaf first). May also hold the key.
    pub certificate: PathBuf,
    /// The private key; defaults to the certificate file (a combined PEM).
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// The CA (one or more PEM certificates) the provider's server certificate must chain to;
    /// the system's roots are not trusted for this provider. Without it, they are.
    #[serde(default)]
    pub ca: Option<PathBuf>,
}

impl ClientTls {
    /// The files' contents: `(identity PEM = key + chain, CA PEM)`. Errors name the file,
    /// never its contents.
    pub fn read(&self) -> Result<(Vec<u8>, Option<Vec<u8>>), ProviderError> {
        let read = |path: &PathBuf| {
            std::fs::read(path)
                .map_err(|e| ProviderError::Config(format!("cannot read {}: {e}", path.display())))
        };
        let chain = read(&self.certificate)?;
        let mut identity = match &self.key {
            Some(key) if key != &self.certificate => read(key)?,
            _ => Vec::new(),
        };
        identity.push(b'\n');
        identity.extend_from_slice(&chain);
        let ca = self.ca.as_ref().map(read).transpose()?;
        Ok((identity, ca))
    }
}

/// An answer's body, at most `max` bytes (`who` names the provider in the error): a
/// provider that sends more is refused rather than buffered.
pub async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
    who: &str,
) -> Result<Vec<u8>, ProviderError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|_| ProviderError::Unavailable)?
    {
        if bytes.len() + chunk.len() > max {
            return Err(ProviderError::InvalidCallback(format!(
                "{who}'s answer is too large"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Gives adapters their HTTP client, all under the deployment's outbound policy.
pub trait HttpClients: Send + Sync {
    /// The shared client, for providers reached over ordinary server-authenticated TLS.
    fn shared(&self) -> reqwest::Client;
    /// A client of its own for one provider: presents `tls.certificate` and, when `tls.ca` is
    /// set, trusts only that CA.
    fn with_tls(&self, tls: &ClientTls) -> Result<reqwest::Client, ProviderError>;
    /// Whether an adapter may call a URL a provider handed out.
    fn guard(&self) -> UrlGuard;
}

/// The client an adapter's configuration asks for: its own when it has a `tls` table.
pub fn client_for(
    clients: &dyn HttpClients,
    tls: Option<&ClientTls>,
) -> Result<reqwest::Client, ProviderError> {
    match tls {
        Some(tls) => clients.with_tls(tls),
        None => Ok(clients.shared()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_answer_over_the_cap_is_refused_and_one_within_it_read_whole() {
        // The `http` crate as openidconnect re-exports it (the one reqwest builds on).
        let answer =
            |body: &'static str| reqwest::Response::from(openidconnect::http::Response::new(body));
        assert_eq!(
            read_capped(answer("{\"ok\":true}"), 11, "BankID").await,
            Ok(b"{\"ok\":true}".to_vec())
        );
        assert_eq!(
            read_capped(answer("{\"ok\":true}"), 10, "BankID").await,
            Err(ProviderError::InvalidCallback(
                "BankID's answer is too large".into()
            ))
        );
    }

    #[test]
    fn tls_files_are_read_key_first_and_a_missing_one_is_named() {
        let dir = std::env::temp_dir().join(format!("idgate-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let (cert, key) = (dir.join("rp.pem"), dir.join("rp.key"));
        std::fs::write(&cert, "CHAIN").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&key, "KEY").unwrap_or_else(|e| panic!("{e}"));
        let tls = ClientTls {
            certificate: cert.clone(),
            key: Some(key),
            ca: None,
        };
        assert_eq!(tls.read().ok(), Some((b"KEY\nCHAIN".to_vec(), None)));
        let combined = ClientTls {
            certificate: cert,
            key: None,
            ca: Some(dir.join("absent-ca.pem")),
        };
        let err = combined.read().err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("absent-ca.pem")),
            "{err:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
