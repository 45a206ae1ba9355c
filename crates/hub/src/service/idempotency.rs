//! Idempotency keys as a service any dialect can offer: a request carrying a key runs at most
//! once per partner; a retry with the same body gets the first answer again, one with another
//! body or while the first still runs is refused. Nodes share the protocol through the store.

use super::{Hub, ServiceError};
use aws_lc_rs::digest;
use chrono::{Duration, Utc};
use idgate_core::PartnerId;
use idgate_store::{IdempotencyClaim, IdempotencyKey};
use serde_json::{Map, Value};
use std::future::Future;

/// How long a running request holds its key before a retry may take it over.
const LEASE_SECS: i64 = 60;
/// How long a key and its answer are remembered.
const RETENTION_HOURS: i64 = 24;

/// What an idempotent request answers: its own result, or the recorded one on a replay.
#[derive(Debug, Clone, PartialEq)]
pub struct IdempotentAnswer {
    pub status: u16,
    pub body: Value,
    /// The answer was recorded by an earlier request with this key.
    pub replayed: bool,
}

impl Hub {
    /// Runs `run` under `key` for `partner`, unless a request with that key has run
    /// already (its answer is replayed) or is running (`IdempotencyInProgress`), or the key
    /// came with another body (`IdempotencyConflict`). A failed run releases the key, so a
    /// retry runs afresh; a successful one records its answer for the retention period.
    ///
    /// The run and its recording happen on a task of their own: a client that disconnects
    /// mid-request (the handler is dropped) does not stop them, so its retry gets the recorded
    /// answer instead of taking the key over when its lease lapses and creating twice.
    pub async fn idempotent<E, Fut>(
        &self,
        partner: PartnerId,
        key: &str,
        request: &Map<String, Value>,
        run: impl FnOnce() -> Fut,
    ) -> Result<IdempotentAnswer, E>
    where
        E: From<ServiceError> + Send + 'static,
        Fut: Future<Output = Result<(u16, Value), E>> + Send + 'static,
    {
        let key = IdempotencyKey {
            partner_id: partner,
            key,
        };
        // Maps are sorted, so equal bodies serialise to equal bytes.
        let canonical = serde_json::to_vec(request).unwrap_or_default();
        let request_digest = hex::encode(digest::digest(&digest::SHA256, &canonical));
        let now = Utc::now();
        let claim = self
            .store
            .claim_idempotency_key(
                &key,
                &request_digest,
                now,
                now + Duration::seconds(LEASE_SECS),
                now - Duration::hours(RETENTION_HOURS),
            )
            .await
            .map_err(ServiceError::from)?;
        match claim {
            IdempotencyClaim::Claimed => {}
            IdempotencyClaim::Replay { status, body } => {
                return Ok(IdempotentAnswer {
                    status,
                    body,
                    replayed: true,
                });
            }
            IdempotencyClaim::Conflict => return Err(ServiceError::IdempotencyConflict.into()),
            IdempotencyClaim::InProgress => {
                return Err(ServiceError::IdempotencyInProgress.into());
            }
        }
        let work = run();
        let store = self.store.clone();
        let owned_key = key.key.to_owned();
        let finished = tokio::spawn(async move {
            let key = IdempotencyKey {
                partner_id: partner,
                key: &owned_key,
            };
            match work.await {
                Ok((status, body)) => {
                    if let Err(e) = store.complete_idempotency_key(&key, status, &body).await {
                        // The work is done; a retry with this key is refused as in progress
                        // until the lease lapses, then runs again. Say so in the log.
                        tracing::error!(error = %e, "could not record an idempotent answer");
                    }
                    Ok((status, body))
                }
                Err(e) => {
                    // Nothing was done: let a retry run afresh.
                    if let Err(release) = store.release_idempotency_key(&key).await {
                        tracing::error!(error = %release, "could not release an idempotency key");
                    }
                    Err(e)
                }
            }
        })
        .await;
        match finished {
            Ok(Ok((status, body))) => Ok(IdempotentAnswer {
                status,
                body,
                replayed: false,
            }),
            Ok(Err(e)) => Err(e),
            Err(join) => {
                Err(ServiceError::Internal(format!("an idempotent request failed: {join}")).into())
            }
        }
    }
}
