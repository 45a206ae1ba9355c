//! deepidv's bodies as documented, for the OpenAPI document (the handlers read the create
//! body member by member: snake_case and camelCase are both accepted, camelCase wins).

use serde::Serialize;
use utoipa::ToSchema;

/// `POST /v1/sessions` (each member also accepted in camelCase, e.g. `firstName`).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreateSessionRequest {
    #[schema(example = "Jane")]
    pub first_name: String,
    #[schema(example = "Doe")]
    pub last_name: String,
    #[schema(example = "jane.doe@example.com")]
    pub email: String,
    /// E.164, checked against libphonenumber's metadata.
    #[schema(example = "+15192223333")]
    pub phone: String,
    #[schema(example = "order-7")]
    pub external_id: Option<String>,
    /// Default true: the session link is emailed to `email` (when the deployment has a mail server).
    pub send_email_invite: Option<bool>,
    /// Default true: the session link is texted to `phone` (when the deployment has an SMS gateway).
    pub send_phone_invite: Option<bool>,
    /// One of the partner's workflows (`idgate partner workflow add`); unknown: 404.
    pub workflow_id: Option<String>,
    /// HTTPS; one of the partner's approved return URLs.
    #[schema(example = "https://partner.example.com/verification/done")]
    pub redirect_url: Option<String>,
    /// How long the session link works, in hours (1 to 8760; the TypeScript SDK's
    /// `expiresInHours`); the deployment's session lifetime when absent.
    #[schema(minimum = 1, maximum = 8760)]
    pub expires_in_hours: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Link {
    pub rel: String,
    pub href: String,
    pub description: String,
}

/// `201` to `POST /v1/sessions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedSession {
    pub id: String,
    /// Where the applicant goes; carries `redirect_url` as an encoded parameter when given.
    pub session_url: String,
    /// Only when one was given.
    #[serde(rename = "externalId")]
    pub external_id: Option<String>,
    pub links: Vec<Link>,
    pub expires_at: String,
}

/// The session record.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionRecord {
    pub id: String,
    pub organization_id: String,
    /// The applicant's id (one per session here).
    pub user_id: String,
    /// Who sent the session: the partner (API-created sessions).
    pub sender_user_id: String,
    /// `PENDING`, `SUBMITTED`, `VERIFIED`, `REJECTED`, `VOIDED`, `EXPIRED` or `FAILED`.
    #[schema(example = "VERIFIED")]
    pub status: String,
    /// `session`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `PENDING`, `STARTED` or `COMPLETED`.
    pub session_progress: String,
    /// Absent when none was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
    pub workflow_steps: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Absent until the applicant submitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    pub expires_at: String,
    pub links: Vec<Link>,
}

/// The applicant as the partner sent it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Applicant {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// `GET /v1/sessions/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionAnswer {
    pub session_record: SessionRecord,
    /// Name → URL (`self`).
    pub resource_links: std::collections::BTreeMap<String, String>,
    /// In a webhook, only for endpoints that opted in to personal data.
    pub user: Option<Applicant>,
}

/// `GET /v1/sessions`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub sessions: Vec<SessionRecord>,
    /// Pass it back for the next page; null on the last.
    pub next_token: Option<String>,
}

/// `PATCH /v1/sessions/{id}/update-status`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpdateStatus {
    /// `VERIFIED` or `REJECTED`.
    #[schema(example = "VERIFIED")]
    pub new_status: String,
}

/// An error.
#[derive(Debug, Serialize, ToSchema)]
pub struct Failure {
    #[schema(example = "bad_request")]
    pub error: String,
    pub message: String,
}

/// A step of `POST /v1/workflows`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowStepInput {
    /// One of deepidv's step ids (`ID_VERIFICATION`, `FACE_LIVENESS`, `PEP_SANCTIONS` …).
    #[schema(example = "ID_VERIFICATION")]
    pub id: String,
    /// The step's settings, kept as given (snake_case keys, as deepidv documents them).
    #[schema(value_type = Option<Object>)]
    pub config: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `POST /v1/workflows`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreateWorkflowRequest {
    /// 1 to 255 characters.
    #[schema(example = "Onboarding")]
    pub name: String,
    /// 1 to 10 steps, none twice; `BACKGROUND_CHECK` needs an earlier `ID_VERIFICATION`,
    /// `AI_BANK_STATEMENT_ANALYSIS` an earlier `BANK_STATEMENT_UPLOAD`.
    pub steps: Vec<WorkflowStepInput>,
    /// idgate's addition: the providers its sessions use (several: the person chooses).
    /// Absent: the deployment's deepidv provider, or the partner's offer.
    pub providers: Option<Vec<String>>,
}

/// A workflow's step with its settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowStep {
    pub id: String,
    #[schema(value_type = Object)]
    pub config: serde_json::Map<String, serde_json::Value>,
}

/// A workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowBody {
    #[schema(example = "wf_Jx8k2LqZ0aBc")]
    pub id: String,
    pub name: String,
    /// `ACTIVE`.
    pub status: String,
    pub organization_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub steps: Vec<WorkflowStep>,
    /// idgate's addition: the providers its sessions use.
    pub providers: Vec<String>,
}

/// `{workflow}`: one workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowAnswer {
    pub workflow: WorkflowBody,
}

/// A workflow in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowSummary {
    pub id: String,
    pub name: String,
    pub status: String,
    pub steps: Vec<String>,
    pub created_at: String,
}

/// `GET /v1/workflows`.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowList {
    pub workflows: Vec<WorkflowSummary>,
}

/// `PATCH /v1/workflows/{id}/steps/{step}/config`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepConfigRequest {
    #[schema(value_type = Object)]
    pub config: serde_json::Map<String, serde_json::Value>,
}
