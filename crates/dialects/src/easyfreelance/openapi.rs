//! The dialect's OpenAPI 3.1 document (committed as `docs/openapi/easyfreelance.json`; a test
//! fails when code and snapshot drift).

use super::dto::{
    CreateFlowRequest, FlowCreated, FlowStatus, IdType, IdVerificationStep, Onboarding,
    OnboardingSteps, ProviderName, ReturnUrlList, ReturnUrlRecord, ReturnUrlRequest,
    SandboxDecisionRequest, SandboxOutcome, UserView,
};
use super::handlers;
use crate::easyfreelance::problem::Problem;
use crate::webhook_endpoints::dto::{
    AttemptInfo, CreateEndpoint, DeliveryDetail, DeliveryInfo, DeliveryList, Endpoint,
    EndpointList, EndpointWithSecret, Queued, RedeliverRequest, RotatedSecret, SecretInfo,
    TestEventQueued, UpdateEndpoint,
};
use crate::webhook_endpoints::handlers as wh;
use utoipa::Modify;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "idgate: EasyFreelance partner API",
        version = "1.0.0",
        description = "Verification flows in the EasyFreelance dialect, served by idgate. Register a return URL, have it approved, create a flow, send the user to verification_url, poll the status. Errors are RFC 9457 problem documents with a stable code and the documented error member."
    ),
    servers((url = "/api/v1")),
    paths(
        handlers::register_return_url,
        handlers::list_return_urls,
        handlers::create_flow,
        handlers::flow_status,
        handlers::get_user,
        handlers::sandbox_decision,
        wh::create_endpoint,
        wh::list_endpoints,
        wh::get_endpoint,
        wh::update_endpoint,
        wh::rotate_secret,
        wh::send_test,
        wh::list_deliveries,
        wh::get_delivery,
        wh::redeliver,
    ),
    components(schemas(
        ReturnUrlRequest, ReturnUrlRecord, ReturnUrlList, CreateFlowRequest, FlowCreated,
        FlowStatus, ProviderName, IdType, SandboxDecisionRequest, SandboxOutcome, Problem,
        Endpoint, EndpointWithSecret, EndpointList, CreateEndpoint, UpdateEndpoint, SecretInfo,
        DeliveryInfo, DeliveryList, DeliveryDetail, AttemptInfo, RedeliverRequest, Queued,
        TestEventQueued, RotatedSecret, Onboarding, OnboardingSteps, IdVerificationStep, UserView
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
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("Personal access token"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "API-key",
                "The UUID API key issued with the token",
            ))),
        );
    }
}
