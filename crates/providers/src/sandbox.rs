//! The sandbox provider: a redirect-flow simulator served by idgate itself, where the end user
//! (or a partner's CI, through the test-helper endpoint) chooses the outcome. It exists so
//! every flow runs offline; it must never serve production sessions.

use crate::{
    Decision, FlowType, Provider, ProviderError, ProviderInfo, ProviderOutcome, StartAction,
    StartRequest,
};
use async_trait::async_trait;
use std::collections::BTreeMap;

/// Decline reasons the sandbox offers, as stable reason codes.
pub const DECLINE_REASONS: &[(&str, &str)] = &[
    ("document_expired", "The document has expired"),
    ("document_not_recognised", "The document was not recognised"),
    ("face_mismatch", "The face does not match the document"),
    ("suspected_fraud", "Suspected fraud"),
    ("underage", "The person is under age"),
];

/// A sandbox instance serving one provider id.
#[derive(Debug)]
pub struct SandboxProvider {
    info: ProviderInfo,
}

impl SandboxProvider {
    pub fn new(id: &str, label: &str) -> Self {
        SandboxProvider {
            info: ProviderInfo {
                id: id.to_owned(),
                label: label.to_owned(),
                flow_type: FlowType::Redirect,
                max_loa: 3,
                claims: ["given_name", "family_name", "birthdate"]
                    .map(String::from)
                    .to_vec(),
                match_capable: false,
                sandbox: true,
            },
        }
    }

    /// The outcome for a chosen decision, as the simulator reports it.
    pub fn outcome(
        decision: Decision,
        reason: Option<&str>,
    ) -> Result<ProviderOutcome, ProviderError> {
        let reason = match (decision, reason) {
            (Decision::Declined, Some(r)) if DECLINE_REASONS.iter().any(|(code, _)| *code == r) => {
                Some(r.to_owned())
            }
            (Decision::Declined, Some(other)) => {
                return Err(ProviderError::InvalidCallback(format!(
                    "unknown decline reason {other:?}"
                )));
            }
            (Decision::Declined, None) => Some("document_not_recognised".to_owned()),
            (Decision::ResubmissionRequested, _) => Some("resubmission_requested".to_owned()),
            (Decision::Cancelled, _) => Some("user_cancelled".to_owned()),
            (Decision::Failed, _) => Some("provider_error".to_owned()),
            (Decision::Approved | Decision::Review, _) => None,
        };
        let claims = (decision == Decision::Approved).then(|| {
            let mut c = serde_json::Map::new();
            c.insert("given_name".into(), "Sandbox".into());
            c.insert("family_name".into(), "Person".into());
            c.insert("birthdate".into(), "1990-01-01".into());
            c
        });
        Ok(ProviderOutcome {
            decision,
            reason,
            raw_status: Some(format!("sandbox:{}", decision.as_str())),
            achieved_loa: (decision == Decision::Approved).then_some(3),
            claims,
        })
    }
}

#[async_trait]
impl Provider for SandboxProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    async fn start(&self, request: &StartRequest<'_>) -> Result<StartAction, ProviderError> {
        let mut url = url::Url::parse(request.public_url)
            .map_err(|e| ProviderError::Config(format!("public URL: {e}")))?;
        url.set_path(&format!("/sandbox/{}/authorize", self.info.id));
        url.query_pairs_mut().append_pair("state", request.state);
        Ok(StartAction::Redirect {
            url: url.into(),
            provider_reference: Some(format!("sandbox-{}", request.session_id)),
        })
    }

    async fn callback(
        &self,
        params: &BTreeMap<String, String>,
    ) -> Result<ProviderOutcome, ProviderError> {
        let decision = params
            .get("outcome")
            .and_then(|o| Decision::parse(o))
            .ok_or_else(|| ProviderError::InvalidCallback("missing or unknown outcome".into()))?;
        SandboxProvider::outcome(decision, params.get("reason").map(String::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_carry_reason_codes() {
        let declined = SandboxProvider::outcome(Decision::Declined, Some("face_mismatch"));
        assert_eq!(
            declined.map(|o| o.reason),
            Ok(Some("face_mismatch".to_owned()))
        );
        assert!(SandboxProvider::outcome(Decision::Declined, Some("<script>")).is_err());
        let approved = SandboxProvider::outcome(Decision::Approved, None);
        assert_eq!(approved.as_ref().map(|o| o.achieved_loa), Ok(Some(3)));
        assert_eq!(
            SandboxProvider::outcome(Decision::Cancelled, None).map(|o| o.reason),
            Ok(Some("user_cancelled".to_owned()))
        );
    }
}
