//! What a partner may read of a provider's proof. By default a summary: the pairwise subject
//! (stable for this partner and provider, unlinkable across partners), the assurance, the
//! proof's format and issuer and a digest of it. The proof itself (an ID token, the provider's
//! own subject, every claim the provider released, requested or not) only for partners an
//! operator set to full disclosure.

use super::Hub;
use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idgate_core::{EvidenceDisclosure, Partner, Session};
use serde_json::{Value, json};

/// A session's evidence as one partner may see it.
#[derive(Clone, Debug, PartialEq)]
pub struct EvidenceView {
    pub disclosure: EvidenceDisclosure,
    pub acr: Option<String>,
    pub amr: Vec<String>,
    pub evidence: Value,
}

impl Hub {
    /// The evidence of `session` for `partner` (the session's own; callers scope first), or
    /// `None` when the provider presented none.
    pub fn evidence_for(&self, partner: &Partner, session: &Session) -> Option<EvidenceView> {
        let stored = session.evidence.as_ref()?;
        let evidence = match partner.evidence {
            EvidenceDisclosure::Full => stored.evidence.clone(),
            EvidenceDisclosure::Minimal => {
                let raw = &stored.evidence;
                // Keyed per partner: a plain hash of a proof with few unknowns (a sandbox
                // assertion, a short ID token) could be reversed by guessing the subject.
                let bytes = serde_json::to_vec(raw).unwrap_or_default();
                let sha = digest::digest(&digest::SHA256, &bytes);
                let fingerprint = self.keys.bind(
                    "evidence-digest",
                    &format!("{}:{}", partner.id, URL_SAFE_NO_PAD.encode(sha.as_ref())),
                );
                let mut summary = json!({
                    "format": raw.get("format").cloned().unwrap_or(Value::Null),
                    "subject": self.pairwise_subject(session),
                    "digest": format!("hmac-sha256:{fingerprint}"),
                });
                // Who vouched, and how, names nobody: kept.
                for key in ["issuer", "level_of_assurance", "authenticated_at"] {
                    if let Some(value) = raw.get(key) {
                        summary[key] = value.clone();
                    }
                }
                if let Some(alg) = raw
                    .get("id_token")
                    .and_then(Value::as_str)
                    .and_then(jws_algorithm)
                {
                    summary["signature_alg"] = Value::String(alg);
                }
                summary
            }
        };
        Some(EvidenceView {
            disclosure: partner.evidence,
            acr: stored.acr.clone(),
            amr: stored.amr.clone(),
            evidence,
        })
    }
}

/// The `alg` of a compact JWS's protected header.
fn jws_algorithm(jws: &str) -> Option<String> {
    let header = jws.split('.').next()?;
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    header.get("alg")?.as_str().map(str::to_owned)
}
