//! The HTTP clients adapters call their providers with. The deployment owns the policy
//! (timeouts, no redirects, the private-address guard); an adapter that needs its own TLS
//! identity (BankID's RP certificate, an OIDC provider with mutual-TLS client authentication)
//! asks the factory for a client that presents it and trusts only the provider's CA.

use crate::{ProviderError, UrlGuard};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[providers.<id>.tls]`: mutual TLS towards one provider. The client certificate is PEM
/// (chain and key, in one file or two) or a PKCS#12 bundle (`.p12`/`.pfx`, as BankID and the
/// banks hand them out) opened with `password`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTls {
    /// The client certificate chain (leaf first). May also hold the key; or a PKCS#12 bundle.
    pub certificate: PathBuf,
    /// The private key; defaults to the certificate file (a combined PEM).
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// The CA (one or more PEM certificates) the provider's server certificate must chain to;
    /// the system's roots are not trusted for this provider. Without it, they are.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// The PKCS#12 bundle's password (better from the environment:
    /// `IDGATE_PROVIDERS__<ID>__TLS__PASSWORD`).
    #[serde(default)]
    pub password: Option<String>,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls")
            .field("certificate", &self.certificate)
            .field("key", &self.key)
            .field("ca", &self.ca)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
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
        let ca = self.ca.as_ref().map(read).transpose()?;
        if is_pkcs12(&chain) {
            return Ok((self.open_pkcs12(&chain)?, ca));
        }
        let mut identity = match &self.key {
            Some(key) if key != &self.certificate => read(key)?,
            _ => Vec::new(),
        };
        identity.push(b'\n');
        identity.extend_from_slice(&chain);
        Ok((identity, ca))
    }

    /// The key and chain of a PKCS#12 bundle, as PEM (the key first). Errors name the file
    /// and what is wrong, never the password.
    fn open_pkcs12(&self, bundle: &[u8]) -> Result<Vec<u8>, ProviderError> {
        let file = self.certificate.display();
        let store = p12_keystore::KeyStore::from_pkcs12(
            bundle,
            self.password.as_deref().unwrap_or_default(),
            p12_keystore::Pkcs12ImportPolicy::Strict,
        )
        .map_err(|e| {
            ProviderError::Config(format!(
                "cannot open the PKCS#12 bundle {file} ({e}): is the password right?"
            ))
        })?;
        let (_, chain) = store.private_key_chain().ok_or_else(|| {
            ProviderError::Config(format!(
                "the PKCS#12 bundle {file} holds no private key with its certificate"
            ))
        })?;
        let mut pem = pem_block("PRIVATE KEY", chain.key().as_der());
        for certificate in chain.certs() {
            pem.extend(pem_block("CERTIFICATE", certificate.as_der()));
        }
        Ok(pem)
    }
}

/// A PKCS#12 bundle is DER (an ASN.1 SEQUENCE); a PEM file is text.
fn is_pkcs12(contents: &[u8]) -> bool {
    contents.first() == Some(&0x30) && !contents.starts_with(b"-----")
}

/// One PEM block: base64 in lines of 64 characters.
fn pem_block(label: &str, der: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in encoded.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out.into_bytes()
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
            password: None,
        };
        assert_eq!(tls.read().ok(), Some((b"KEY\nCHAIN".to_vec(), None)));
        let combined = ClientTls {
            certificate: cert,
            key: None,
            ca: Some(dir.join("absent-ca.pem")),
            password: None,
        };
        let err = combined.read().err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("absent-ca.pem")),
            "{err:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Bundles as OpenSSL writes them: its default (AES-256, PBKDF2) and `-legacy` (RC2 and
    /// 3DES with a SHA-1 MAC), the form of BankID's published test certificates.
    #[test]
    fn pkcs12_bundles_written_by_openssl_open_with_their_password_only() {
        let dir = std::env::temp_dir().join(format!("idgate-p12-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let openssl = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(&dir)
                .output()
                .unwrap_or_else(|e| panic!("openssl (scripts/test installs it): {e}"));
            assert!(out.status.success(), "openssl {args:?}: {out:?}");
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=FP Testcert 5",
            "-keyout",
            "rp.key",
            "-out",
            "rp.pem",
            "-days",
            "1",
        ]);
        let export = ["pkcs12", "-export", "-in", "rp.pem", "-inkey", "rp.key"];
        let password = "pass:qwerty123";
        openssl(&[&export[..], &["-passout", password, "-out", "modern.p12"]].concat());
        openssl(
            &[
                &export[..],
                &["-legacy", "-passout", password, "-out", "legacy.p12"],
            ]
            .concat(),
        );
        let bundle = |file: &str, password: &str| ClientTls {
            certificate: dir.join(file),
            key: None,
            ca: None,
            password: Some(password.to_owned()),
        };
        let certificate = std::fs::read_to_string(dir.join("rp.pem")).unwrap_or_default();
        for file in ["modern.p12", "legacy.p12"] {
            let (identity, ca) = bundle(file, "qwerty123")
                .read()
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(ca, None);
            let pem = String::from_utf8(identity.clone()).unwrap_or_default();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{file}");
            // The certificate is the one OpenSSL put in, byte for byte.
            assert!(pem.contains(certificate.trim()), "{file}: {pem}");
            assert!(reqwest::Identity::from_pem(&identity).is_ok(), "{file}");
            // A wrong password opens nothing and is not repeated in the error.
            let err = bundle(file, "not-the-password")
                .read()
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(file) && err.contains("password"), "{err}");
            assert!(!err.contains("not-the-password"), "{err}");
        }
        let shown = format!("{:?}", bundle("modern.p12", "qwerty123"));
        assert!(!shown.contains("qwerty123"), "{shown}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
