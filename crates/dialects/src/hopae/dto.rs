//! Hopae Connect wire types (camelCase as documented; `verification_model` and the userinfo
//! members are snake_case there too) and the status mapping.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The OIDC claim names `requestedClaims` may carry.
pub const KNOWN_CLAIMS: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "gender",
    "birthdate",
    "locale",
    "email",
    "phone_number",
    "address",
    "nationality",
];

/// Body of `POST /verifications`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateVerification {
    /// The eID provider, as listed by `GET /providers`.
    #[schema(example = "sandbox-qr")]
    pub provider_id: String,
    /// Where the user's browser returns after the flow; must be an approved return URL.
    #[schema(example = "https://partner.example.com/callback")]
    pub redirect_uri: Option<String>,
    /// Provider-specific data about the user (see each provider's `userData`).
    #[schema(value_type = Option<Object>, example = json!({"registrationId": "PNOEE-39001010000"}))]
    pub user_data: Option<BTreeMap<String, String>>,
    /// Minimum level of assurance, 1-5. 422 when the provider cannot reach it.
    #[schema(minimum = 1, maximum = 5)]
    pub requested_loa: Option<u8>,
    /// OIDC claim names to obtain; unavailable ones are listed in `missing_claims`.
    pub requested_claims: Option<Vec<String>>,
    /// Values a match-capable provider compares (provider-native keys).
    #[schema(value_type = Option<Object>, example = json!({"fullName": "Kari Nordmann", "dateOfBirth": "1985-03-14"}))]
    pub match_data: Option<BTreeMap<String, String>>,
    /// This verification's events also go here, in Hopae's envelope, signed with the secret
    /// of the app's newest enabled webhook endpoint (one must exist).
    pub webhook_url: Option<String>,
    /// Your reference (kept with the verification).
    pub reference_id: Option<String>,
    /// Your data (an object, at most 4 KiB; kept).
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    /// The user's language (kept).
    pub locale: Option<String>,
    /// Why you verify (kept).
    pub purpose: Option<String>,
    /// Hopae's assurance strategy (kept; idgate applies `requestedLoa` as a minimum).
    pub loa_strategy: Option<String>,
    /// `redirect`, `qr` or `push`: must be the provider's flow (`SESSION_INVALID_FLOW`).
    pub flow_type: Option<String>,
}

/// How to send the user to the provider.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FlowDetails {
    /// QR flows: base64 of the hosted page's URL, for a partner that renders the code itself
    /// (scanning it continues on the phone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_data: Option<String>,
    /// The hosted page: the provider redirect, the animated QR code, or the push wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
}

/// Error of a failed, expired or cancelled verification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerificationError {
    pub code: String,
    pub message: String,
}

/// A verification as returned by create and status calls.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub verification_id: String,
    /// `initiated`, `pending`, `authenticating`, `completed`, `failed`, `expired`, `cancelled`.
    #[schema(example = "initiated")]
    pub status: String,
    pub provider_id: String,
    /// `redirect`, `qr` or `push`.
    pub flow_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_details: Option<FlowDetails>,
    pub expires_at: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<VerificationError>,
    /// `disclosure` or `match`; on the create response only.
    #[serde(rename = "verification_model", skip_serializing_if = "Option::is_none")]
    pub verification_model: Option<String>,
    /// The assurance reached, once the provider answered: `urn:hopae:loa:<n>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(rename = "hopae_loa", skip_serializing_if = "Option::is_none")]
    pub hopae_loa: Option<u8>,
    /// `none`, `low`, `substantial`, `high` or `qualified` (Hopae's ladder, 1-5).
    #[serde(rename = "hopae_loa_label", skip_serializing_if = "Option::is_none")]
    pub hopae_loa_label: Option<&'static str>,
}

/// Hopae's name for a level of assurance.
pub fn loa_label(loa: u8) -> &'static str {
    match loa {
        0 | 1 => "none",
        2 => "low",
        3 => "substantial",
        4 => "high",
        _ => "qualified",
    }
}

/// One compared field of a match verification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchDetail {
    pub matched: bool,
    pub submitted_value: String,
    /// 0-100, for fuzzy comparisons (names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<u8>,
}

/// The match envelope of a match verification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchEnvelope {
    pub matched: bool,
    /// `per_field` or `aggregate`.
    pub granularity: String,
    pub submitted_fields: Vec<String>,
    pub details: BTreeMap<String, MatchDetail>,
}

/// `GET /verifications/{id}/userinfo`: OIDC-shaped; the obtained claims appear at the top
/// level and under `user`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserInfo {
    /// Pairwise subject: stable per app and provider, unlinkable across apps.
    pub sub: String,
    #[schema(example = "urn:hopae:loa:3")]
    pub acr: Option<String>,
    pub hopae_loa: Option<u8>,
    pub hopae_loa_label: Option<&'static str>,
    pub amr: Vec<String>,
    pub missing_claims: Vec<String>,
    pub provider_id: String,
    /// `disclosure` or `match`.
    pub verification_model: String,
    /// The verified person; `null` for match providers, which release no identity.
    #[schema(value_type = Option<Object>)]
    pub user: Option<Map<String, Value>>,
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub match_result: Option<MatchEnvelope>,
    /// Where the claims came from (`null` when the provider presented no evidence).
    pub provenance: Option<Provenance>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub claims: Map<String, Value>,
}

/// Evidence as Hopae documents it: `token`, the provider's token payload (its members vary
/// by credential), and `names`, its member names joined with `;`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenEvidence {
    #[schema(value_type = Object)]
    pub token: Map<String, Value>,
    /// The members of `token`, `;`-separated ("always rely on names").
    pub names: String,
}

impl TokenEvidence {
    pub fn of(token: Map<String, Value>) -> Self {
        let names = token.keys().cloned().collect::<Vec<_>>().join(";");
        TokenEvidence { token, names }
    }
}

/// `GET /verifications/{id}/evidence`: Hopae's `{token, names}`, plus idgate's own members.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// `minimal` (the default): a summary with the pairwise `subject`, `format`, `issuer`,
    /// assurance and a `digest` (`hmac-sha256:`, keyed per app) of the stored proof. `full`
    /// (set per app by an operator): the proof as the provider presented it (e.g. its
    /// `id_token`), which names the person the same way for every app and carries every claim
    /// the provider released.
    #[schema(value_type = Object)]
    pub token: Map<String, Value>,
    pub names: String,
    /// idgate: the verification this is the evidence of.
    pub verification_id: String,
    /// idgate.
    pub provider_id: String,
    /// idgate.
    pub verified_at: Option<String>,
    /// idgate.
    pub acr: Option<String>,
    /// idgate.
    pub amr: Vec<String>,
    /// idgate: `minimal` or `full` (what `token` holds).
    pub disclosure: String,
}

/// Where a userinfo's claims came from: the presentation, with its credentials' evidence in
/// the `/evidence` form.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Provenance {
    pub presentation: Presentation,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Presentation {
    pub credentials: Vec<PresentedCredential>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PresentedCredential {
    pub evidence: TokenEvidence,
}

/// A field a provider takes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderField {
    pub name: String,
    pub required: bool,
    pub description: String,
    pub example: String,
}

/// One provider of `GET /providers`: Hopae's members first (`id`, `name`, `logoUrl`,
/// `description`, `countries`, `status`; and `isActive`, `needAction`, `flowTypes`, `scopes`,
/// `loa` of the documentation's other revision), then idgate's own, which do not collide.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSummary {
    pub id: String,
    pub name: String,
    /// idgate serves no provider logos.
    #[schema(nullable)]
    pub logo_url: Option<String>,
    pub description: String,
    /// ISO 3166 codes; empty when the provider is not tied to countries.
    pub countries: Vec<String>,
    /// `activated` for every provider idgate lists.
    #[schema(example = "activated")]
    pub status: &'static str,
    pub is_active: bool,
    pub need_action: bool,
    pub flow_types: Vec<String>,
    /// The claims the provider can release (OIDC names).
    pub scopes: Vec<String>,
    /// The highest level of assurance (1-5).
    pub loa: u8,
    /// idgate's: the same as `id`.
    pub provider_id: String,
    pub flow_type: String,
    pub max_loa: u8,
    pub claims: Vec<String>,
    pub match_capable: bool,
    /// `disclosure` or `match`.
    #[serde(rename = "verification_model")]
    pub verification_model: String,
    pub user_data: Vec<ProviderField>,
    pub match_fields: Vec<ProviderField>,
    pub sandbox: bool,
}

/// `GET /providers?status=…`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProviderQuery {
    /// `activated`, `deactivated` or `action_required`.
    pub status: Option<String>,
}

/// `GET /apps?limit=…&offset=…`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppPage {
    /// 1-100 (default 20).
    pub limit: Option<usize>,
    /// Default 0.
    pub offset: Option<usize>,
}

/// `GET /providers/{providerId}/configuration`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderConfiguration {
    pub provider_id: String,
    pub required_user_data: Vec<UserDataField>,
    pub optional_user_data: Vec<UserDataField>,
    pub flow_types: Vec<String>,
}

/// One `userData` field a provider takes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserDataField {
    pub field: String,
    /// `text` (idgate's providers take no choice lists).
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub required: bool,
    pub label: String,
    pub description: String,
}

/// Test helper (sandbox providers only): decide a verification without a browser.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxDecision {
    /// `approved`, `declined`, `cancelled` or `failed`.
    #[schema(example = "approved")]
    pub outcome: String,
    /// A decline reason code (see the README).
    pub reason: Option<String>,
    /// Registration id of a test identity (default: the first).
    pub identity: Option<String>,
    /// Level of assurance reached (default: the provider's maximum).
    pub loa: Option<u8>,
}
