//! deepidv's workflow API, as its TypeScript server SDK calls it: list, create and read a
//! partner's workflows, and set one step's settings. A session names a workflow with
//! `workflow_id`; its providers decide where the person verifies.

use super::auth::DeepIdvPartner;
use super::dto::{
    CreateWorkflowRequest, Failure, StepConfigRequest, WorkflowAnswer, WorkflowBody, WorkflowList,
    WorkflowStep, WorkflowSummary,
};
use super::problem::DeepIdvError;
use crate::HubState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use idgate_core::{Partner, Workflow};
use idgate_hub::dialect::webhook_timestamp;
use idgate_hub::service::partners::ConfigMap;
use serde_json::Value;

fn workflow_body(w: &Workflow, partner: &Partner) -> WorkflowBody {
    let created = w.created_at.unwrap_or(partner.created_at);
    WorkflowBody {
        id: w.id.clone(),
        name: w.name.clone(),
        status: "ACTIVE".into(),
        organization_id: partner.id.to_string(),
        created_at: webhook_timestamp(created),
        updated_at: webhook_timestamp(w.updated_at.unwrap_or(created)),
        steps: w
            .steps
            .iter()
            .map(|id| WorkflowStep {
                id: id.clone(),
                config: w.step_configs.get(id).cloned().unwrap_or_default(),
            })
            .collect(),
        providers: w.providers.clone(),
    }
}

fn workflow_of<'a>(partner: &'a Partner, id: &str) -> Result<&'a Workflow, DeepIdvError> {
    partner
        .workflows
        .iter()
        .find(|w| w.id == id)
        .ok_or_else(|| DeepIdvError::not_found("Workflow"))
}

/// List workflows
///
/// The partner's workflows, oldest first.
#[utoipa::path(
    get, path = "/workflows", tag = "workflows",
    responses(
        (status = 200, description = "The workflows.", body = WorkflowList),
        (status = 401, description = "Missing or invalid API key.", body = Failure),
        (status = 429, description = "Rate limited (deepidv's per-key limits); retry after Retry-After seconds.", body = Failure),
    ),
    security(("api_key" = []))
)]
pub async fn list_workflows(
    State(state): State<HubState>,
    DeepIdvPartner(partner): DeepIdvPartner,
) -> Result<Json<WorkflowList>, DeepIdvError> {
    // From the store: the key's cached partner may predate a workflow made on another node.
    let partner = state.partner(partner.id).await?;
    Ok(Json(WorkflowList {
        workflows: partner
            .workflows
            .iter()
            .map(|w| WorkflowSummary {
                id: w.id.clone(),
                name: w.name.clone(),
                status: "ACTIVE".into(),
                steps: w.steps.clone(),
                created_at: webhook_timestamp(w.created_at.unwrap_or(partner.created_at)),
            })
            .collect(),
    }))
}

/// Create a workflow
///
/// A named list of steps (deepidv's ids and rules); `providers` (idgate's addition) says where
/// its sessions verify.
#[utoipa::path(
    post, path = "/workflows", tag = "workflows",
    request_body(content = CreateWorkflowRequest, example = json!({"name": "Onboarding", "steps": [{"id": "ID_VERIFICATION"}, {"id": "FACE_LIVENESS", "config": {"max_attempts": 3}}]})),
    responses(
        (status = 201, description = "Created.", body = WorkflowAnswer),
        (status = 400, description = "Invalid body: a name of 0 or over 255 characters, no steps or more than 10, an unknown or repeated step, a step without the one it needs before it, an unknown provider.", body = Failure),
        (status = 401, description = "Missing or invalid API key.", body = Failure),
        (status = 429, description = "Rate limited (deepidv's per-key limits); retry after Retry-After seconds.", body = Failure),
    ),
    security(("api_key" = []))
)]
pub async fn create_workflow(
    State(state): State<HubState>,
    DeepIdvPartner(partner): DeepIdvPartner,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<WorkflowAnswer>), DeepIdvError> {
    let Json(body) = body.map_err(|e| DeepIdvError::bad_request(e.body_text()))?;
    let name = body
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| DeepIdvError::bad_request("name is required (1 to 255 characters)"))?;
    let Some(steps) = body.get("steps").and_then(Value::as_array) else {
        return Err(DeepIdvError::bad_request(
            "steps is required: a list of {id, config}",
        ));
    };
    let mut given = Vec::with_capacity(steps.len());
    for (i, step) in steps.iter().enumerate() {
        let id = step
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| DeepIdvError::bad_request(format!("steps[{i}].id must be a step id")))?;
        let config = match step.get("config") {
            None | Some(Value::Null) => None,
            Some(Value::Object(config)) => Some(config.clone()),
            Some(_) => {
                return Err(DeepIdvError::bad_request(format!(
                    "steps[{i}].config must be an object"
                )));
            }
        };
        given.push((id.to_owned(), config));
    }
    let providers = match body.get("providers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|p| p.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| DeepIdvError::bad_request("providers must be a list of provider ids"))?,
        Some(_) => {
            return Err(DeepIdvError::bad_request(
                "providers must be a list of provider ids",
            ));
        }
    };
    let workflow = state
        .add_workflow(partner.id, name, providers, given)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(WorkflowAnswer {
            workflow: workflow_body(&workflow, &partner),
        }),
    ))
}

/// Retrieve a workflow
#[utoipa::path(
    get, path = "/workflows/{id}", tag = "workflows",
    params(("id" = String, Path, description = "The workflow's id.")),
    responses(
        (status = 200, description = "The workflow.", body = WorkflowAnswer),
        (status = 401, description = "Missing or invalid API key.", body = Failure),
        (status = 404, description = "No such workflow for this key.", body = Failure),
        (status = 429, description = "Rate limited (deepidv's per-key limits); retry after Retry-After seconds.", body = Failure),
    ),
    security(("api_key" = []))
)]
pub async fn get_workflow(
    State(state): State<HubState>,
    DeepIdvPartner(partner): DeepIdvPartner,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<WorkflowAnswer>, DeepIdvError> {
    let Path(id) = path.map_err(|_| DeepIdvError::not_found("Workflow"))?;
    let partner = state.partner(partner.id).await?;
    let workflow = workflow_of(&partner, &id)?;
    Ok(Json(WorkflowAnswer {
        workflow: workflow_body(workflow, &partner),
    }))
}

/// Set a step's settings
///
/// Replaces the `config` of one step of the workflow.
#[utoipa::path(
    patch, path = "/workflows/{id}/steps/{step}/config", tag = "workflows",
    params(
        ("id" = String, Path, description = "The workflow's id."),
        ("step" = String, Path, description = "One of the workflow's step ids."),
    ),
    request_body(content = StepConfigRequest, example = json!({"config": {"max_attempts": 2}})),
    responses(
        (status = 200, description = "The workflow after the change.", body = WorkflowAnswer),
        (status = 400, description = "The body is not {config: {…}}.", body = Failure),
        (status = 401, description = "Missing or invalid API key.", body = Failure),
        (status = 404, description = "No such workflow, or no such step in it.", body = Failure),
        (status = 429, description = "Rate limited (deepidv's per-key limits); retry after Retry-After seconds.", body = Failure),
    ),
    security(("api_key" = []))
)]
pub async fn set_step_config(
    State(state): State<HubState>,
    DeepIdvPartner(partner): DeepIdvPartner,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<WorkflowAnswer>, DeepIdvError> {
    let Path((id, step)) = path.map_err(|_| DeepIdvError::not_found("Workflow"))?;
    let Json(body) = body.map_err(|e| DeepIdvError::bad_request(e.body_text()))?;
    let Some(Value::Object(config)) = body.get("config") else {
        return Err(DeepIdvError::bad_request("the body is {\"config\": {…}}"));
    };
    let config: ConfigMap = config.clone();
    let workflow = state
        .set_workflow_step_config(partner.id, &id, &step, config)
        .await
        .map_err(|e| match e {
            idgate_hub::service::ServiceError::NotFound("workflow step") => {
                DeepIdvError::not_found("Workflow step")
            }
            idgate_hub::service::ServiceError::NotFound(_) => DeepIdvError::not_found("Workflow"),
            e => e.into(),
        })?;
    Ok(Json(WorkflowAnswer {
        workflow: workflow_body(&workflow, &partner),
    }))
}
