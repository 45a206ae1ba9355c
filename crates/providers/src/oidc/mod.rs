//! The OpenID Connect adapter: one strict relying party, configured per provider id, for the
//! national eIDs and brokers that speak OIDC (Freja eID, itsme, Norwegian BankID, Idura,
//! Signicat, Keycloak …).
//!
//! The protocol is [`RelyingParty`]'s (code flow with PKCE, RFC 9207, ID token checks); this
//! adapter asks for a fresh login at the level of assurance the partner wants, with a `state`
//! bound to the session (made by the hub), maps the provider's claims to idgate's, and reads
//! userinfo when claims are not in the ID token. PKCE verifier and nonce come from the hub,
//! derived from the session with the deployment's secret, so nothing per flow is stored and
//! any node can finish any flow.

mod relying_party;

pub use relying_party::{
    Answer, Authorization, FlowSecrets, Http, HttpError, Login, Registration, RelyingParty,
};

use crate::http::{ClientTls, HttpClients};
use crate::{
    Decision, FlowType, InputField, Provider, ProviderError, ProviderInfo, ProviderOutcome,
    Returned, SessionContext, StartAction, StartRequest, Started,
};
use async_trait::async_trait;
use idgate_core::ProviderEvidence;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// How idgate authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    #[default]
    ClientSecretBasic,
    ClientSecretPost,
}

/// The OIDC part of a `[providers.<id>]` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcSettings {
    pub registration: Registration,
    /// Scopes besides `openid`.
    pub scopes: Vec<String>,
    /// The `acr_values` to request for each level of assurance (the lowest at or above the
    /// partner's request is sent).
    pub acr_for_loa: BTreeMap<u8, String>,
    /// The level each returned `acr` stands for.
    pub loa_for_acr: BTreeMap<String, u8>,
    /// Provider claim name → idgate claim name (OIDC standard names; `personal_identity_number`
    /// and `country` for national identifiers). Unmapped claims keep their names.
    pub claim_map: BTreeMap<String, String>,
}

/// `[providers.<id>]` with `adapter = "oidc"`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// `false` removes the provider (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// A test provider (a vendor's test environment; the built-in simulator always is): it is
    /// bannered as a sandbox and runs only where sandboxes do (demo or test mode).
    #[serde(default)]
    pub sandbox: Option<bool>,
    /// Shown to end users; defaults to the id.
    #[serde(default)]
    pub label: Option<String>,
    /// Countries (ISO 3166-1 alpha-2) whose people this provider serves, for the hosted
    /// page's chooser; empty or absent: any.
    #[serde(default)]
    pub countries: Option<Vec<String>>,
    /// Highest level of assurance (1-5); defaults to the highest in `acr_loa`, else 1.
    #[serde(default)]
    pub max_loa: Option<u8>,
    /// Claims the provider delivers (default name, given_name, family_name, birthdate).
    #[serde(default)]
    pub claims: Option<Vec<String>>,
    /// The issuer (discovery at `{issuer}/.well-known/openid-configuration`).
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    /// Better set through the environment (`IDGATE_PROVIDERS__<ID>__CLIENT_SECRET`).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// `client_secret_basic` (default) or `client_secret_post`.
    #[serde(default)]
    pub client_auth: Option<ClientAuth>,
    /// Scopes besides `openid` (default `profile`).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// Level of assurance ("1"-"5") → the `acr_values` to request for it.
    #[serde(default)]
    pub acr_values: Option<BTreeMap<String, String>>,
    /// Returned `acr` → level of assurance.
    #[serde(default)]
    pub acr_loa: Option<BTreeMap<String, u8>>,
    /// Provider claim name → idgate claim name.
    #[serde(default)]
    pub claim_map: Option<BTreeMap<String, String>>,
    /// Accepted ID-token algorithms (default RS256, PS256, ES256).
    #[serde(default)]
    pub id_token_algs: Option<Vec<String>>,
    /// Mutual TLS towards the provider (RFC 8705 client certificates, a private CA).
    #[serde(default)]
    pub tls: Option<ClientTls>,
}

impl OidcConfig {
    /// Checks the table (errors name the key) and builds the adapter.
    pub fn build(
        &self,
        id: &str,
        clients: &dyn HttpClients,
    ) -> Result<OidcProvider, ProviderError> {
        crate::check_loa(id, self.max_loa)?;
        let label = self.label.clone().unwrap_or_else(|| id.to_owned());

        let required = |value: &Option<String>, key: &str| {
            value.clone().filter(|v| !v.is_empty()).ok_or_else(|| {
                ProviderError::Config(format!(
                    "providers.{id}.{key} is required for the oidc adapter"
                ))
            })
        };
        let acr_for_loa = self
            .acr_values
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|(loa, acr)| match loa.parse::<u8>() {
                Ok(n) if (1..=5).contains(&n) => Ok((n, acr)),
                _ => Err(ProviderError::Config(format!(
                    "providers.{id}.acr_values: key {loa:?} must be a level 1-5"
                ))),
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        let loa_for_acr = self.acr_loa.clone().unwrap_or_default();
        if let Some((acr, loa)) = loa_for_acr.iter().find(|(_, l)| !(1..=5).contains(*l)) {
            return Err(ProviderError::Config(format!(
                "providers.{id}.acr_loa: {acr:?} maps to {loa}, not a level 1-5"
            )));
        }
        let max_loa = self
            .max_loa
            .or_else(|| loa_for_acr.values().max().copied())
            .unwrap_or(1);
        let claims = self.claims.clone().unwrap_or_else(|| {
            ["name", "given_name", "family_name", "birthdate"]
                .map(String::from)
                .to_vec()
        });
        let settings = OidcSettings {
            registration: Registration {
                issuer: required(&self.issuer, "issuer")?,
                client_id: required(&self.client_id, "client_id")?,
                client_secret: required(&self.client_secret, "client_secret")?,
                client_auth: self.client_auth.unwrap_or_default(),
                algorithms: self
                    .id_token_algs
                    .clone()
                    .unwrap_or_else(|| ["RS256", "PS256", "ES256"].map(String::from).to_vec()),
            },
            scopes: self
                .scopes
                .clone()
                .unwrap_or_else(|| vec!["profile".to_owned()]),
            acr_for_loa,
            loa_for_acr,
            claim_map: self.claim_map.clone().unwrap_or_default(),
        };
        OidcProvider::new(
            provider_info(id, &label, max_loa, claims, self.sandbox.unwrap_or(false)),
            settings,
            Http {
                client: crate::http::client_for(clients, self.tls.as_ref())?,
                guard: clients.guard(),
            },
        )
    }
}

/// A relying party that calls out through idgate's outbound clients (timeouts, address
/// policy), for sign-ins other than verifications (the console's single sign-on).
pub fn relying_party(
    name: &str,
    registration: Registration,
    clients: &dyn HttpClients,
) -> Result<RelyingParty, ProviderError> {
    RelyingParty::new(
        name,
        registration,
        Http {
            client: crate::http::client_for(clients, None)?,
            guard: clients.guard(),
        },
    )
}

/// A provider id served by the OIDC adapter.
#[derive(Debug)]
pub struct OidcProvider {
    info: ProviderInfo,
    settings: OidcSettings,
    relying_party: RelyingParty,
}

fn config(message: impl Into<String>) -> ProviderError {
    ProviderError::Config(message.into())
}

impl OidcProvider {
    pub fn new(
        info: ProviderInfo,
        settings: OidcSettings,
        http: Http,
    ) -> Result<Self, ProviderError> {
        let relying_party = RelyingParty::new(&info.id, settings.registration.clone(), http)?;
        Ok(OidcProvider {
            info,
            settings,
            relying_party,
        })
    }

    /// The `acr_values` to ask for, in order of preference: every configured level at or
    /// above the request, lowest first (all of them when nothing was requested, so the
    /// provider always says which one it reached).
    fn acr_for(&self, requested: Option<u8>) -> impl Iterator<Item = &String> {
        self.settings
            .acr_for_loa
            .range(requested.unwrap_or(1)..)
            .map(|(_, acr)| acr)
    }

    /// Maps a provider's claims to idgate's names, keeping those this provider declares.
    fn normalise(&self, raw: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        for (name, value) in raw {
            let target = self
                .settings
                .claim_map
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.clone());
            if self.info.claims.contains(&target) && !value.is_null() {
                out.insert(target, value.clone());
            }
        }
        out
    }
}

#[async_trait]
impl Provider for OidcProvider {
    fn info(&self) -> &ProviderInfo {
        &self.info
    }

    async fn start(&self, request: &StartRequest<'_>) -> Result<Started, ProviderError> {
        let secrets = request
            .secrets
            .ok_or_else(|| config("the OIDC adapter needs per-session secrets"))?;
        let url = self
            .relying_party
            .authorization_url(&Authorization {
                callback_url: request.callback_url,
                state: request.state,
                nonce: secrets.nonce,
                pkce_verifier: secrets.pkce_verifier,
                scopes: &self.settings.scopes,
                acr_values: self.acr_for(request.requested_loa).collect(),
                // A verification is a fresh proof of identity, never a single-sign-on
                // session; with max_age the provider must say when the person logged in
                // (auth_time), so a provider that ignores prompt=login is caught.
                fresh_login: true,
            })
            .await?;
        Ok(StartAction::Redirect {
            url,
            provider_reference: None,
        }
        .into())
    }

    async fn callback(
        &self,
        params: &BTreeMap<String, String>,
        session: SessionContext<'_>,
    ) -> Result<Returned, ProviderError> {
        self.outcome_of_return(params, session)
            .await
            .map(Returned::from)
    }
}

/// What `[providers.<id>]` declares for an OIDC provider, as the registry reads it.
pub fn provider_info(
    id: &str,
    label: &str,
    max_loa: u8,
    claims: Vec<String>,
    sandbox: bool,
) -> ProviderInfo {
    ProviderInfo {
        id: id.to_owned(),
        label: label.to_owned(),
        flow_type: FlowType::Redirect,
        max_loa,
        claims,
        match_capable: false,
        sandbox,
        user_data: Vec::<InputField>::new(),
        match_fields: Vec::new(),
    }
}

impl OidcProvider {
    /// The outcome of the code exchange the browser's return allows.
    async fn outcome_of_return(
        &self,
        params: &BTreeMap<String, String>,
        session: SessionContext<'_>,
    ) -> Result<ProviderOutcome, ProviderError> {
        let secrets = session
            .secrets
            .ok_or_else(|| config("the OIDC adapter needs per-session secrets"))?;
        let answer = self
            .relying_party
            .finish(
                params,
                &FlowSecrets {
                    callback_url: session.callback_url.unwrap_or_default(),
                    nonce: secrets.nonce,
                    pkce_verifier: secrets.pkce_verifier,
                    fresh_login: true,
                },
            )
            .await?;
        let login = match answer {
            Answer::Login(login) => login,
            Answer::Refused { error } => {
                let (decision, reason) = match error.as_str() {
                    "access_denied" => (Decision::Cancelled, "user_cancelled"),
                    "login_required" | "consent_required" | "interaction_required" => {
                        (Decision::Cancelled, "user_cancelled")
                    }
                    _ => (Decision::Failed, "provider_error"),
                };
                return Ok(ProviderOutcome {
                    decision,
                    reason: Some(reason.to_owned()),
                    raw_status: Some(format!("oidc:{error}")),
                    achieved_loa: None,
                    claims: None,
                    match_result: None,
                    evidence: None,
                });
            }
        };
        let mut raw = login.claims.clone();
        let wanted_missing = self
            .info
            .claims
            .iter()
            .any(|c| !self.normalise(&raw).contains_key(c));
        if wanted_missing {
            for (name, value) in self.relying_party.userinfo(&login).await? {
                raw.entry(name).or_insert(value);
            }
        }
        let claims = self.normalise(&raw);
        let loa = login
            .acr
            .as_ref()
            .and_then(|a| self.settings.loa_for_acr.get(a))
            .copied();
        let amr = raw
            .get("amr")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok(ProviderOutcome {
            decision: Decision::Approved,
            reason: None,
            raw_status: Some("oidc:authenticated".to_owned()),
            achieved_loa: loa,
            claims: Some(claims),
            match_result: None,
            evidence: Some(ProviderEvidence {
                subject: Some(login.subject.clone()),
                acr: login.acr.clone(),
                amr,
                evidence: serde_json::json!({
                    "format": "oidc-id-token",
                    "issuer": self.relying_party.issuer(),
                    "subject": login.subject,
                    "acr": login.acr,
                    "id_token": login.id_token,
                }),
            }),
        })
    }
}
