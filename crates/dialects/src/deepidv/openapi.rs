//! The dialect's OpenAPI 3.1 document (committed as `docs/openapi/deepidv.json`; a test fails
//! when code and snapshot drift).

use super::dto::{
    Applicant, CreateSessionRequest, CreateWorkflowRequest, CreatedSession, Failure, Link,
    SessionAnswer, SessionList, SessionRecord, StepConfigRequest, UpdateStatus, WorkflowAnswer,
    WorkflowBody, WorkflowList, WorkflowStep, WorkflowStepInput, WorkflowSummary,
};
use super::{handlers, workflows};
use utoipa::Modify;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "idgate: deepidv sessions API",
        version = "1.0.0",
        description = "Verification sessions in deepidv's API, served by idgate at /v1 beside Veriff's (a request with x-api-key is deepidv's). Every call sends x-api-key. Errors are {error, message} with deepidv's statuses."
    ),
    servers((url = "/v1")),
    paths(
        handlers::create_session,
        handlers::list_sessions,
        handlers::get_session,
        handlers::update_status,
        workflows::list_workflows,
        workflows::create_workflow,
        workflows::get_workflow,
        workflows::set_step_config
    ),
    components(schemas(
        CreateSessionRequest, CreatedSession, Link, SessionRecord, Applicant, SessionAnswer,
        SessionList, UpdateStatus, Failure, CreateWorkflowRequest, WorkflowStepInput,
        WorkflowStep, WorkflowBody, WorkflowAnswer, WorkflowSummary, WorkflowList,
        StepConfigRequest
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
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-api-key",
                "The partner's deepidv API key",
            ))),
        );
    }
}
