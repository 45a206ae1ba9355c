//! Single sign-on to the operator console through the company's OpenID Provider, with the
//! relying party the eID adapter uses ([`RelyingParty`]: code flow, PKCE S256, nonce,
//! RFC 9207, ID token checks).
//!
//! Nothing per flow is stored: the web shell keeps a random flow value in a short-lived
//! cookie, and the flow's `state`, nonce and PKCE verifier are keyed digests of it, so any
//! node finishes any flow and a return without that browser's cookie is refused (no login
//! CSRF). The provider names the person by `sub`; the operator linked to that subject is
//! signed in as after a password and a code.

use super::operators::SignIn;
use super::{Hub, ServiceResult};
use crate::settings::ConsoleSsoSettings;
use idgate_providers::ProviderError;
use idgate_providers::http::HttpClients;
use idgate_providers::oidc::{Answer, Authorization, FlowSecrets, RelyingParty};
use std::collections::BTreeMap;

/// The configured single sign-on (`[console.sso]`).
#[derive(Debug)]
pub struct ConsoleSso {
    relying_party: RelyingParty,
    /// "Sign in with {label}".
    pub label: String,
    scopes: Vec<String>,
    acr_values: Vec<String>,
}

impl ConsoleSso {
    /// `None` when `[console.sso]` names no issuer.
    pub fn from_settings(
        settings: &ConsoleSsoSettings,
        clients: &dyn HttpClients,
    ) -> Result<Option<Self>, ProviderError> {
        if !settings.enabled() {
            return Ok(None);
        }
        let relying_party =
            idgate_providers::oidc::relying_party("console.sso", settings.registration(), clients)
                .map_err(|e| ProviderError::Config(format!("console.sso: {e}")))?;
        Ok(Some(ConsoleSso {
            relying_party,
            label: settings.label.clone(),
            scopes: settings.scopes.clone(),
            acr_values: settings.acr_values.clone(),
        }))
    }
}

/// How a return from the provider ended.
#[derive(Debug)]
pub enum SsoReturn {
    /// Signed in (or refused: no operator, or a disabled one, has the subject; the subject is
    /// given so the person can ask to be linked).
    SignIn { outcome: SignIn, subject: String },
    /// The return's `state` is not this browser's flow (expired, or started elsewhere).
    NotThisFlow,
    /// The provider did not sign the person in (`access_denied` …).
    Refused { error: String },
    /// The login's `acr` is not one `acr_values` requires.
    TooWeak { required: Vec<String> },
}

/// A flow's values at the provider, derived from its cookie value.
struct Derived {
    state: String,
    nonce: String,
    pkce_verifier: String,
}

impl Hub {
    /// The console's single sign-on, when configured.
    pub fn console_sso(&self) -> Option<&ConsoleSso> {
        self.console_sso.as_deref()
    }

    fn sso_callback_url(&self) -> String {
        format!("{}/console/sso/callback", self.settings.public_base())
    }

    fn derive_sso(&self, flow: &str) -> Derived {
        Derived {
            state: self.keys.bind("console-sso-state", flow),
            nonce: self.keys.bind("console-sso-nonce", flow),
            // RFC 7636 asks for 43-128 characters: two digests (22 each).
            pkce_verifier: format!(
                "{}{}",
                self.keys.bind("console-sso-pkce-1", flow),
                self.keys.bind("console-sso-pkce-2", flow)
            ),
        }
    }

    /// The provider's authorization URL for the flow `flow` (a random value the browser
    /// keeps). `ProviderError::Config` when single sign-on is not configured.
    pub async fn start_console_sso(&self, flow: &str) -> ServiceResult<String> {
        let sso = self
            .console_sso()
            .ok_or_else(|| ProviderError::Config("console.sso is not configured".into()))?;
        let derived = self.derive_sso(flow);
        let callback = self.sso_callback_url();
        Ok(sso
            .relying_party
            .authorization_url(&Authorization {
                callback_url: &callback,
                state: &derived.state,
                nonce: &derived.nonce,
                pkce_verifier: &derived.pkce_verifier,
                scopes: &sso.scopes,
                acr_values: sso.acr_values.iter().collect(),
                // The company's single-sign-on session is the point here.
                fresh_login: false,
            })
            .await?)
    }

    /// Finishes the flow `flow` with the provider's answer `params`: checks the `state`,
    /// exchanges the code, verifies the ID token and the required `acr`, and signs the linked
    /// operator in (audited, like every refusal).
    pub async fn finish_console_sso(
        &self,
        flow: &str,
        params: &BTreeMap<String, String>,
        from: Option<&str>,
    ) -> ServiceResult<SsoReturn> {
        let sso = self
            .console_sso()
            .ok_or_else(|| ProviderError::Config("console.sso is not configured".into()))?;
        let derived = self.derive_sso(flow);
        let state_matches = params.get("state").is_some_and(|sent| {
            aws_lc_rs::constant_time::verify_slices_are_equal(
                sent.as_bytes(),
                derived.state.as_bytes(),
            )
            .is_ok()
        });
        if !state_matches {
            return Ok(SsoReturn::NotThisFlow);
        }
        let callback = self.sso_callback_url();
        let answer = sso
            .relying_party
            .finish(
                params,
                &FlowSecrets {
                    callback_url: &callback,
                    nonce: &derived.nonce,
                    pkce_verifier: &derived.pkce_verifier,
                    fresh_login: false,
                },
            )
            .await?;
        let login = match answer {
            Answer::Login(login) => login,
            Answer::Refused { error } => return Ok(SsoReturn::Refused { error }),
        };
        if !sso.acr_values.is_empty()
            && !login
                .acr
                .as_ref()
                .is_some_and(|acr| sso.acr_values.contains(acr))
        {
            return Ok(SsoReturn::TooWeak {
                required: sso.acr_values.clone(),
            });
        }
        let outcome = self
            .sign_in_with_single_sign_on(&self.settings.console.sso.issuer, &login.subject, from)
            .await?;
        Ok(SsoReturn::SignIn {
            outcome,
            subject: login.subject.clone(),
        })
    }
}
