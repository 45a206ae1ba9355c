//! The simulator's test PKI, made on first start and written out so that any BankID client can
//! use it: a CA, the simulator's server certificate (for `localhost` and `127.0.0.1`) and one
//! relying-party certificate, all issued by that CA. The simulator accepts only clients whose
//! certificate the CA issued; the adapter trusts only the CA for the simulator's side.

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
}

impl PkiFiles {
    pub fn in_dir(dir: &Path) -> Self {
        PkiFiles {
            ca: dir.join("ca.pem"),
            server_certificate: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            rp_certificate: dir.join("rp.pem"),
            rp_key: dir.join("rp.key"),
        }
    }

    fn all(&self) -> [&PathBuf; 5] {
        [
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
    Ok(files)
}

/// Writes `text` to `path`; keys readable by the owner only.
fn write(path: &Path, text: &str, secret: bool) -> Result<(), String> {
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
    file.write_all(text.as_bytes())
        .map_err(|e| failed(format!("{}: {e}", path.display())))
}
