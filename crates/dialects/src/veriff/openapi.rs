//! The dialect's OpenAPI 3.1 document (committed as `docs/openapi/veriff.json`; a test fails
//! when code and snapshot drift).

use super::dto::{
    AddressRequest, CreateSession, Created, CreatedVerification, Decision, DecisionAnswer,
    DocumentRequest, ImageUpload, MediaItem, MediaList, MediaUpload, MediaUploaded, PersonRequest,
    UpdateSession, UpdateVerification, VerificationRequest,
};
use super::problem::VeriffFailure;
use super::{handlers, media};
use utoipa::Modify;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "idgate: Veriff sessions API",
        version = "1.0.0",
        description = "Verification sessions in Veriff's API, served by idgate: point a Veriff integration's base URL here. Every call sends X-AUTH-CLIENT (the integration's API key); every call but POST /sessions also sends X-HMAC-SIGNATURE, the hex HMAC-SHA256 with the integration's shared secret of the raw body (POST, PATCH) or of the id in the path (GET, DELETE: the session, attempt or media id). Answers are signed the same way. Errors are {status: fail, code, message} with Veriff's codes."
    ),
    servers((url = "/v1")),
    paths(
        handlers::create_session,
        handlers::decision,
        handlers::update_session,
        handlers::delete_session,
        handlers::session_attempts,
        handlers::session_person,
        media::upload,
        media::session_media,
        media::attempt_media,
        media::download,
    ),
    components(schemas(
        CreateSession, VerificationRequest, PersonRequest, DocumentRequest, AddressRequest,
        Created, CreatedVerification, DecisionAnswer, Decision, UpdateSession,
        UpdateVerification, MediaUpload, ImageUpload, MediaUploaded, MediaItem, MediaList,
        VeriffFailure
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
            "auth_client",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-AUTH-CLIENT",
                "The integration's API key",
            ))),
        );
    }
}
