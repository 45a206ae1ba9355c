//! Notifications providers push to idgate (`POST /providers/{id}/webhook`): the adapter proves
//! their origin and reads them; the hub finds the session and records what they say. A
//! provider retries what it thinks failed, so everything here is safe to receive twice, late
//! or out of order: it is answered as received and changes nothing that already stands.

use super::{Hub, ServiceError, ServiceResult};
use idgate_core::{Actor, SessionId, Status};
use idgate_providers::{HeaderMap, NoticeEvent};
use idgate_store::ReferenceScope;

/// What became of a provider's notification. Every variant is acknowledged to the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoticeReceipt {
    /// The session moved to `status`.
    Recorded { session: SessionId, status: Status },
    /// Nothing changed: a repeat, an event the session is already past, or one idgate does
    /// not record.
    Unchanged { session: SessionId, status: Status },
    /// No session carries the notice's reference (logged; answering an error would only make
    /// the provider retry).
    UnknownSession,
}

impl Hub {
    /// Verifies and records one notification from provider `provider_id`.
    pub async fn provider_notice(
        &self,
        provider_id: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> ServiceResult<NoticeReceipt> {
        let provider = self
            .providers
            .get(provider_id)
            .ok_or_else(|| ServiceError::UnknownProvider(provider_id.to_owned()))?;
        let notice = provider.webhook(headers, body).await?;
        let found = self
            .store
            .find_sessions_by_provider_reference(
                provider_id,
                &notice.provider_reference,
                ReferenceScope::Any,
                1,
            )
            .await?;
        let Some(session) = found.into_iter().next() else {
            tracing::info!(provider = %provider_id, "provider notice for no known session");
            return Ok(NoticeReceipt::UnknownSession);
        };
        let before = session.status;
        // Past its time, a session expires before any notice is applied (as the sweep would).
        let session = self.expire_if_due(session, chrono::Utc::now()).await?;
        let id = session.id;
        let result = match &notice.event {
            NoticeEvent::Informational => Ok(session),
            // Already past it (a late delivery): nothing to do.
            NoticeEvent::Submitted => self.provider_submitted(session).await,
            NoticeEvent::Decided(outcome) => {
                self.apply_outcome_to(session, outcome, Actor::Provider)
                    .await
            }
        };
        match result {
            Ok(after) if after.status != before => Ok(NoticeReceipt::Recorded {
                session: id,
                status: after.status,
            }),
            Ok(after) => Ok(NoticeReceipt::Unchanged {
                session: id,
                status: after.status,
            }),
            // A decision that contradicts one already recorded: the first one stands.
            Err(ServiceError::Lifecycle(refused)) => {
                tracing::info!(provider = %provider_id, session = %id, %refused,
                    "provider notice contradicts the recorded state; kept the state");
                let current = self.session(id).await?;
                Ok(NoticeReceipt::Unchanged {
                    session: id,
                    status: current.status,
                })
            }
            Err(e) => Err(e),
        }
    }
}
