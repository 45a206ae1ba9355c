//! The simulator's test PKI, made on first start and written out so that any BankID client can
//! use it: a CA, the simulator's server certificate (for `localhost` and `127.0.0.1`) and one
//! relying-party certificate, all issued by that CA. The simulator accepts only clients whose
//! certificate the CA issued; the adapter trusts only the CA for the simulator's side.
//!
//! The relying-party certificate is written twice: as PEM (`rp.pem`, `rp.key`) and as a PKCS#12
//! bundle (`rp.p12`) with BankID's password for its public test certificates, [`RP_PASSWORD`],
//! the form BankID's test certificate comes in.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

/// Where the files are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PkiFiles {
    pub ca: PathBuf,
    pub server_certificate: PathBuf,
    pub server_key: PathBuf,
    pub rp_certificate: PathBuf,
    pub rp_key: PathBuf,
    /// The RP certificate, its key and the CA as one PKCS#12 bundle.
    pub rp_bundle: PathBuf,
}

/// The PKCS#12 bundle's password: BankID's, for its published test certificates.
pub const RP_PASSWORD: &str = "qwerty123";

impl PkiFiles {
    pub fn in_dir(dir: &Path) -> Self {
        PkiFiles {
            ca: dir.join("ca.pem"),
            server_certificate: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            rp_certificate: dir.join("rp.pem"),
            rp_key: dir.join("rp.key"),
            rp_bundle: dir.join("rp.p12"),
        }
    }

    fn all(&self) -> [&PathBuf; 6] {
        [
            &self.rp_bundle,
            &self.ca,
            &self.server_certificate,
            &self.server_key,
            &self.rp_certificate,
            &self.rp_key,
        ]
    }
}

fn failed(e: impl std::fmt::Display) -> String {
    format!("the BankID simulator's test PKI: {e}")
}

/// The PKI in `dir`, made there first if any file is missing.
pub fn ensure(dir: &Path) -> Result<PkiFiles, String> {
    let files = PkiFiles::in_dir(dir);
    if files.all().iter().all(|f| f.is_file()) {
        return Ok(files);
    }
    std::fs::create_dir_all(dir).map_err(failed)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "idgate BankID simulator test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().map_err(failed)?;
    let ca_certificate = ca_params.self_signed(&ca_key).map_err(failed)?;
    let ca = Issuer::new(ca_params, ca_key);

    let mut server = CertificateParams::new(vec!["localhost".to_owned()]).map_err(failed)?;
    server
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    server
        .distinguished_name
        .push(DnType::CommonName, "idgate BankID simulator");
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_key = KeyPair::generate().map_err(failed)?;
    let server_certificate = server.signed_by(&server_key, &ca).map_err(failed)?;

    let mut rp = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    rp.distinguished_name
        .push(DnType::CommonName, "idgate test relying party");
    rp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let rp_key = KeyPair::generate().map_err(failed)?;
    let rp_certificate = rp.signed_by(&rp_key, &ca).map_err(failed)?;

    write(&files.ca, &ca_certificate.pem(), false)?;
    write(&files.server_certificate, &server_certificate.pem(), false)?;
    write(&files.server_key, &server_key.serialize_pem(), true)?;
    write(&files.rp_certificate, &rp_certificate.pem(), false)?;
    write(&files.rp_key, &rp_key.serialize_pem(), true)?;
    let bundle = rp_bundle(
        rp_key.serialized_der(),
        rp_certificate.der(),
        ca_certificate.der(),
    )
    .map_err(failed)?;
    write_bytes(&files.rp_bundle, &bundle, true)?;
    Ok(files)
}

/// The RP's key, certificate and CA as a PKCS#12 bundle opened with [`RP_PASSWORD`].
fn rp_bundle(
    key: &[u8],
    certificate: &[u8],
    ca: &[u8],
) -> Result<Vec<u8>, p12_keystore::error::Error> {
    use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    let chain = PrivateKeyChain::new(
        "idgate-test-rp",
        PrivateKey::from_der(key)?,
        [
            Certificate::from_der(certificate)?,
            Certificate::from_der(ca)?,
        ],
    );
    let mut store = KeyStore::new();
    store.add_entry("rp", KeyStoreEntry::PrivateKeyChain(chain));
    store.writer(RP_PASSWORD).write()
}

/// Writes `text` to `path`; keys readable by the owner only.
fn write(path: &Path, text: &str, secret: bool) -> Result<(), String> {
    write_bytes(path, text.as_bytes(), secret)
}

fn write_bytes(path: &Path, bytes: &[u8], secret: bool) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options
        .open(path)
        .map_err(|e| failed(format!("{}: {e}", path.display())))?;
    file.write_all(bytes)
        .map_err(|e| failed(format!("{}: {e}", path.display())))
}
