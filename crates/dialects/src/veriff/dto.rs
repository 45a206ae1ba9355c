//! Veriff wire types, camelCase as Veriff documents them. Requests accept the documented
//! fields idgate does not use (they are kept with the session or ignored, never refused).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Body of `POST /v1/sessions`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateSession {
    pub verification: VerificationRequest,
}

/// The `verification` object of a create.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationRequest {
    /// Where the end user returns after the flow: an approved return URL of the integration.
    #[schema(example = "https://partner.example.com/verification/done")]
    pub callback: Option<String>,
    pub person: Option<PersonRequest>,
    pub document: Option<DocumentRequest>,
    pub address: Option<AddressRequest>,
    /// Your non-semantic reference (at most 1 000 characters), echoed everywhere.
    #[schema(value_type = Option<String>, example = "11111111")]
    pub vendor_data: Option<Value>,
    #[schema(example = "fa820aba-019f-455a-ae81-cfca8075bc3f")]
    pub end_user_id: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub consents: Option<Vec<Value>>,
    /// Other documented members (`lang`, `timestamp`, `features`, …), kept with the session.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonRequest {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub id_number: Option<String>,
    pub date_of_birth: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DocumentRequest {
    pub number: Option<String>,
    /// `PASSPORT`, `ID_CARD`, `DRIVERS_LICENSE`, `RESIDENCE_PERMIT`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub other: Map<String, Value>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddressRequest {
    pub full_address: Option<String>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub other: Map<String, Value>,
}

/// `201` answer of a create.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// `success`.
    pub status: &'static str,
    pub verification: CreatedVerification,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedVerification {
    pub id: String,
    /// Send the end user here (or hand it to Veriff's browser SDKs).
    pub url: String,
    pub vendor_data: Option<String>,
    pub end_user_id: Option<String>,
    /// This idgate's public base URL.
    pub host: String,
    /// `created`.
    pub status: &'static str,
    /// The hosted flow's token (the last segment of `url`).
    pub session_token: String,
}

/// `GET /v1/sessions/{id}/decision`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionAnswer {
    /// `success`.
    pub status: &'static str,
    /// `null` until the session has a decision (a 9xxx status).
    pub verification: Option<Decision>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub id: String,
    /// The attempt that received the decision.
    pub attempt_id: Option<String>,
    /// 9001 approved, 9102 declined, 9103 resubmission requested, 9104 expired or abandoned,
    /// 9121 review.
    pub code: u32,
    /// `approved`, `declined`, `resubmission_requested`, `review`, `expired`, `abandoned`.
    pub status: &'static str,
    pub reason: Option<String>,
    pub reason_code: Option<u32>,
    pub decision_time: Option<String>,
    pub acceptance_time: String,
    pub vendor_data: Option<String>,
    pub end_user_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub person: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub document: Option<Value>,
    #[schema(value_type = Vec<Object>)]
    pub comments: Vec<Value>,
    #[schema(value_type = Object)]
    pub additional_verified_data: Value,
}

/// Body of `PATCH /v1/sessions/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateSession {
    pub verification: UpdateVerification,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateVerification {
    /// Only `submitted` is supported, from `created` or `started`.
    #[schema(example = "submitted")]
    pub status: String,
}

/// Body of `POST /v1/sessions/{id}/media`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MediaUpload {
    pub image: ImageUpload,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ImageUpload {
    /// What the image shows: `document-front`, `document-back`, `face`, `document-and-face`…
    #[schema(example = "document-front")]
    pub context: String,
    /// The file in base64, bare or as a data URL (`data:image/jpeg;base64,…`): JPEG, PNG,
    /// WebP, HEIC/HEIF or PDF.
    pub content: String,
    // Veriff's optional `timestamp` (when the image was taken) is accepted and not kept.
}

/// One file's metadata.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MediaItem {
    pub id: String,
    pub context: String,
    /// The context again (Veriff names a file after what it shows).
    pub name: String,
    /// Where to download it (`GET /v1/media/{id}`, signed over the media id).
    pub url: String,
    pub session_id: String,
    pub attempt_id: Option<String>,
    /// When idgate received it.
    pub timestamp: Option<String>,
    /// Bytes of the decoded file.
    pub size: u64,
    pub mimetype: &'static str,
}

/// Answer to an upload.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaUploaded {
    /// `success`.
    pub status: &'static str,
    pub image: MediaItem,
}

/// A list of files (per session or per attempt).
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaList {
    /// `success`.
    pub status: &'static str,
    pub images: Vec<MediaItem>,
    /// Always empty: idgate records no video.
    #[schema(value_type = Vec<Object>)]
    pub videos: Vec<Value>,
}
