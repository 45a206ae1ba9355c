//! BankID's RP API v6 on the wire (`POST /rp/v6.0/{auth,sign,collect,cancel}`, JSON), as the
//! adapter sends and reads it and as the built-in simulator answers it.

use serde::{Deserialize, Serialize};

/// `POST /auth` and `POST /sign` (sign requires `userVisibleData`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    pub end_user_ip: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<Requirement>,
    /// Base64 of UTF-8 text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_visible_data: Option<String>,
    /// `simpleMarkdownV1`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_visible_data_format: Option<String>,
    /// Base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_non_visible_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_risk: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web: Option<WebContext>,
}

/// What the order requires of the user.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Requirement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin_code: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mrtd: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_policies: Option<Vec<String>>,
    /// Only this person (12 digits) may complete the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_number: Option<String>,
}

/// The web device the order was started from (BankID's risk assessment).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referring_domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// The answer to `auth` and `sign`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderStarted {
    pub order_ref: String,
    pub auto_start_token: String,
    pub qr_start_token: String,
    pub qr_start_secret: String,
}

/// `POST /collect` and `POST /cancel`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRef {
    pub order_ref: String,
}

/// The answer to `collect`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collected {
    pub order_ref: String,
    /// `pending`, `failed` or `complete`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_data: Option<CompletionData>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompletionData {
    pub user: User,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_id_issue_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_up: Option<StepUp>,
    /// Base64 XML signature.
    pub signature: String,
    /// Base64 OCSP response.
    pub ocsp_response: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub personal_number: String,
    pub name: String,
    pub given_name: String,
    pub surname: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub ip_address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uhi: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepUp {
    pub mrtd: bool,
}

/// An error answer: `{"errorCode": …, "details": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub error_code: String,
    #[serde(default)]
    pub details: String,
}

/// `POST /phone/auth` and `POST /phone/sign`: an order for a person the relying party is on
/// the phone with (sign requires `userVisibleData`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneOrderRequest {
    /// 12 digits.
    pub personal_number: String,
    /// `user` (the person called) or `RP` (the relying party called).
    pub call_initiator: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<Requirement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_visible_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_visible_data_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_non_visible_data: Option<String>,
}

/// The answer to `phone/auth` and `phone/sign`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneOrderStarted {
    pub order_ref: String,
}
