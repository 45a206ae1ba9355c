//! The dialect port: what the shared layer needs from each API dialect without knowing its
//! wire format. Each dialect implements [`DialectWire`] in its own folder; the composition
//! root hands the set to the hub as [`Dialects`].

use crate::credentials::CredentialScheme;
use chrono::{DateTime, SecondsFormat, Utc};
use idgate_core::CredentialKind;
use idgate_core::{Dialect, EndpointSecret, EventId, Session, SessionEvent, Status};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// One API dialect as seen by the service, the hosted flow and the delivery job.
pub trait DialectWire: Send + Sync + fmt::Debug {
    fn dialect(&self) -> Dialect;

    /// The word this dialect's partners see for a status (return redirects, webhooks).
    fn status_word(&self, status: Status) -> &'static str;

    /// What the browser's return to the partner says: `status` and `reason` (the session's
    /// status word and reason, unless the dialect documents other words for the return).
    fn return_outcome(&self, session: &Session) -> (&'static str, Option<String>) {
        (self.status_word(session.status), session.reason.clone())
    }

    /// The body of the webhook event a session event becomes; idgate's own envelope unless
    /// the dialect's partners expect another. No personal data: claims are added at delivery
    /// for endpoints that opted in.
    fn webhook_payload(&self, id: EventId, session: &Session, event: &SessionEvent) -> Value {
        standard_payload(id, session, event, self.status_word(event.to_status))
    }

    /// Adds the session's personal data to a delivery's `payload`, for an endpoint that opted
    /// in (`include_claims`); nothing personal is stored in the outbox itself. idgate's
    /// envelope gets `data.claims` and `data.achieved_loa`.
    fn add_personal_data(&self, payload: &mut Value, session: &Session) {
        if let Some(data) = payload.get_mut("data").and_then(|d| d.as_object_mut()) {
            data.insert(
                "claims".into(),
                session
                    .result_claims
                    .as_ref()
                    .map_or(Value::Null, |c| Value::Object(c.0.clone())),
            );
            data.insert("achieved_loa".into(), session.achieved_loa.into());
        }
    }

    /// Signature headers this dialect's receivers verify besides the Standard Webhooks ones,
    /// over the exact body sent at `timestamp` (unix seconds) with the endpoint's current
    /// secrets.
    fn extra_signature_headers(
        &self,
        _timestamp: i64,
        _body: &[u8],
        _secrets: &[&EndpointSecret],
    ) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// Whether a session event reaching `status` is sent to webhooks at all (some vendors
    /// never report some statuses, e.g. Veriff's `created`).
    fn notifies(&self, _status: Status) -> bool {
        true
    }

    /// Whether an endpoint may sign as one of this dialect's credentials.
    fn signs_webhooks(&self) -> bool {
        false
    }

    /// The headers that sign a delivery `body` as `credential` (the vendor's own webhook
    /// signature, for an endpoint that signs as that integration).
    fn credential_signature_headers(
        &self,
        _body: &[u8],
        _credential: &idgate_core::Credential,
    ) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// How many resubmission requests a session of this dialect may have; the next one is a
    /// decline (`resubmission_limit`) instead. `None`: no cap.
    fn resubmission_cap(&self) -> Option<usize> {
        None
    }

    /// The kinds of credential this dialect's partners authenticate with, if idgate issues
    /// them (a new partner gets one of each): Hopae has its app credentials and its
    /// workspace keys.
    fn credential_schemes(&self) -> Vec<&dyn CredentialScheme> {
        Vec::new()
    }

    /// A delivery's body for one endpoint, from the stored payload, in the terms the endpoint
    /// subscribed with (its `dialect_settings`: a Hopae app may subscribe with either of
    /// Hopae's event vocabularies).
    fn shape_for_endpoint(&self, _payload: &mut Value, _settings: &serde_json::Map<String, Value>) {
    }
}

/// The dialects this deployment serves, by [`Dialect`].
#[derive(Clone, Default)]
pub struct Dialects {
    by_dialect: HashMap<Dialect, Arc<dyn DialectWire>>,
    /// Registration order, for listing (a new partner's credentials are issued in it).
    order: Vec<Dialect>,
}

impl fmt::Debug for Dialects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.by_dialect.keys().map(|d| d.as_str()).collect();
        names.sort_unstable();
        f.debug_tuple("Dialects").field(&names).finish()
    }
}

impl Dialects {
    pub fn new(wires: impl IntoIterator<Item = Arc<dyn DialectWire>>) -> Self {
        let mut dialects = Dialects::default();
        for wire in wires {
            let dialect = wire.dialect();
            if dialects.by_dialect.insert(dialect, wire).is_none() {
                dialects.order.push(dialect);
            }
        }
        dialects
    }

    /// Every dialect served, in registration order.
    pub fn all(&self) -> impl Iterator<Item = &dyn DialectWire> {
        self.order
            .iter()
            .filter_map(|d| self.by_dialect.get(d).map(|w| w.as_ref()))
    }

    /// The dialect whose partners use credentials of `kind`.
    pub fn credential_scheme(
        &self,
        kind: CredentialKind,
    ) -> Option<(Dialect, &dyn CredentialScheme)> {
        self.all().find_map(|w| {
            w.credential_schemes()
                .into_iter()
                .find(|c| c.kind() == kind)
                .map(|c| (w.dialect(), c))
        })
    }

    /// The dialect's wire, or idgate's neutral one for a dialect this build does not serve
    /// (a session created by a build that did): its status words are the core's.
    pub fn wire(&self, dialect: Dialect) -> &dyn DialectWire {
        match self.by_dialect.get(&dialect) {
            Some(wire) => wire.as_ref(),
            None => &NEUTRAL,
        }
    }

    /// The wire an event was shaped by; idgate's neutral one for partner-level events.
    pub fn wire_of_event(&self, dialect: Option<Dialect>) -> &dyn DialectWire {
        match dialect {
            Some(dialect) => self.wire(dialect),
            None => &NEUTRAL,
        }
    }

    pub fn status_word(&self, dialect: Dialect, status: Status) -> &'static str {
        self.wire(dialect).status_word(status)
    }
}

/// Core status words and the standard envelope.
#[derive(Debug)]
struct Neutral;

static NEUTRAL: Neutral = Neutral;

impl DialectWire for Neutral {
    fn dialect(&self) -> Dialect {
        Dialect::EasyFreelance
    }
    fn status_word(&self, status: Status) -> &'static str {
        status.as_str()
    }
}

/// RFC 3339 with milliseconds, as every webhook timestamp is written.
pub fn webhook_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// idgate's webhook envelope `{id, type, timestamp, data}` with the session's public fields
/// as of `event`; `dialect_status` is the dialect's word for the status reached.
pub fn standard_payload(
    id: EventId,
    session: &Session,
    event: &SessionEvent,
    dialect_status: &str,
) -> Value {
    json!({
        "id": id.to_string(),
        "type": idgate_core::webhook::event_type_for(event.to_status),
        "timestamp": webhook_timestamp(event.at),
        "data": {
            "session_id": session.id.to_string(),
            "sequence": event.seq,
            "status": event.to_status.as_str(),
            "previous_status": event.from_status.map(|s| s.as_str()),
            "dialect_status": dialect_status,
            "reason": event.reason,
            "actor": event.actor.as_str(),
            "provider": session.provider_id,
            "dialect": session.dialect.as_str(),
            "external_refs": session.external_refs,
            "created_at": webhook_timestamp(session.created_at),
            "expires_at": webhook_timestamp(session.expires_at),
            "occurred_at": webhook_timestamp(event.at),
        }
    })
}
