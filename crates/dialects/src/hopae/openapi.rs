//! The dialect's OpenAPI 3.1 document (committed as `docs/openapi/hopae.json`; a test fails
//! when code and snapshot drift).

use super::dto::{
    CreateVerification, Evidence, FlowDetails, MatchDetail, MatchEnvelope, Presentation,
    PresentedCredential, Provenance, ProviderConfiguration, ProviderField, ProviderSummary,
    SandboxDecision, TokenEvidence, UserDataField, UserInfo, Verification, VerificationError,
};
use super::handlers;
use super::problem::HopaeProblem;
use super::workspace::{
    self, App, AppList, RedirectUris, RotatedClientSecret, RotatedWebhookSecret, WebhookConfig,
    WebhookConfigPatch, WorkspaceProblem, WorkspaceProblemError,
};
use utoipa::Modify;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "idgate: Hopae Connect API",
        version = "1.0.0",
        description = "Identity verifications in the Hopae Connect dialect, served by idgate: create a verification with a provider, send the user to flowDetails.authorizationUrl (or show qrData), poll its status or receive webhooks, then read userinfo and evidence. Authenticate with HTTP Basic client_id:client_secret. Errors are RFC 7807 problem documents with Hopae's code families. The workspace API (/apps…) manages the apps' webhook config, redirect URIs and client secrets with a workspace key (Bearer sk_workspace_…); its errors use Hopae's workspace envelope {error: {code, message, details}, request_id}."
    ),
    servers((url = "/connect/v1")),
    paths(
        handlers::create_verification,
        handlers::get_verification,
        handlers::cancel_verification,
        handlers::userinfo,
        handlers::evidence,
        handlers::providers,
        handlers::sandbox_decision,
        workspace::list_apps,
        workspace::get_app,
        workspace::rotate_client_secret,
        workspace::get_redirect_uris,
        workspace::put_redirect_uris,
        workspace::get_webhook_config,
        workspace::patch_webhook_config,
        workspace::rotate_webhook_secret,
    ),
    components(schemas(
        CreateVerification, Verification, FlowDetails, VerificationError, UserInfo,
        MatchEnvelope, MatchDetail, Evidence, ProviderSummary, ProviderConfiguration, UserDataField, ProviderField,
        SandboxDecision, HopaeProblem, Provenance, Presentation, PresentedCredential, TokenEvidence, App, AppList, RedirectUris, RotatedClientSecret,
        RotatedWebhookSecret, WebhookConfig, WebhookConfigPatch, WorkspaceProblem,
        WorkspaceProblemError
    )),
    modifiers(&SecuritySchemes)
)]
#[derive(Debug)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("client_id as user name, client_secret as password"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "workspace",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("a workspace key, sk_workspace_…"))
                    .build(),
            ),
        );
    }
}
