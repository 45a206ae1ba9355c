//! Files partners upload to their sessions (Veriff's media endpoints): checked here (size,
//! type by content, context name, a per-session count, no uploads after submit), sealed by
//! the store, and read back only by the session's partner.

use super::{Hub, ServiceError, ServiceResult};
use chrono::Utc;
use idgate_core::media::valid_context;
use idgate_core::{MediaId, MediaType, Partner, Session, SessionMedia};
use idgate_store::MediaInsert;

/// Why an upload was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum MediaError {
    #[error(
        "context must be lower-case words joined by hyphens (e.g. document-front, face), at most 64 characters"
    )]
    Context,
    #[error("the file is not a JPEG, PNG, WebP, HEIC/HEIF image or a PDF")]
    Type,
    #[error("the file is empty")]
    Empty,
    #[error("the file has more than {0} bytes")]
    TooLarge(u64),
    #[error("a session holds at most {0} files")]
    TooMany(u32),
    #[error("the session was submitted (or is final): it takes no more media")]
    Closed,
}

impl Hub {
    /// The most bytes one uploaded file may have (`limits.media_max_bytes`).
    pub fn media_max_bytes(&self) -> u64 {
        self.settings.limits.media_max_bytes
    }

    /// Whether a file may be stored (context, size, type), before anything is changed for it;
    /// its type.
    pub fn check_media(&self, context: &str, content: &[u8]) -> Result<MediaType, MediaError> {
        if !valid_context(context) {
            return Err(MediaError::Context);
        }
        let max = self.media_max_bytes();
        let size = u64::try_from(content.len()).unwrap_or(u64::MAX);
        if size == 0 {
            return Err(MediaError::Empty);
        }
        if size > max {
            return Err(MediaError::TooLarge(max));
        }
        MediaType::sniff(content).ok_or(MediaError::Type)
    }

    /// Stores `content` for `session` (already scoped to its partner) under `context`.
    pub async fn add_media(
        &self,
        session: &Session,
        attempt_id: Option<String>,
        context: &str,
        content: &[u8],
    ) -> ServiceResult<SessionMedia> {
        let mimetype = self.check_media(context, content)?;
        let size = u64::try_from(content.len()).unwrap_or(u64::MAX);
        let media = SessionMedia {
            id: MediaId(uuid::Uuid::new_v4()),
            session_id: session.id,
            partner_id: session.partner_id,
            attempt_id,
            context: context.to_owned(),
            mimetype,
            size,
            created_at: Utc::now(),
        };
        let limit = self.settings.limits.media_per_session;
        match self.store.insert_media(&media, content, limit).await? {
            MediaInsert::Inserted => Ok(media),
            MediaInsert::Full => Err(MediaError::TooMany(limit).into()),
            MediaInsert::SessionClosed => Err(MediaError::Closed.into()),
        }
    }

    /// A session's files (the session already scoped to its partner), oldest first.
    pub async fn session_media(&self, session: &Session) -> ServiceResult<Vec<SessionMedia>> {
        Ok(self.store.list_media(session.id).await?)
    }

    /// The partner's files of one attempt, oldest first.
    pub async fn attempt_media(
        &self,
        partner: &Partner,
        attempt_id: &str,
    ) -> ServiceResult<Vec<SessionMedia>> {
        Ok(self
            .store
            .list_attempt_media(partner.id, attempt_id)
            .await?)
    }

    /// One file and its content, if it is the partner's.
    pub async fn media_file(
        &self,
        partner: &Partner,
        id: MediaId,
    ) -> ServiceResult<(SessionMedia, Vec<u8>)> {
        match self.store.get_media(id).await? {
            Some((media, content)) if media.partner_id == partner.id => Ok((media, content)),
            _ => Err(ServiceError::NotFound("media")),
        }
    }
}
