//! The console's pages (askama templates in `templates/console/`).

use askama::Template;
use idgate_core::{Operator, OperatorAction};

/// The header every signed-in page shows: who, and where they may go.
pub struct Nav {
    pub username: Option<String>,
    pub role: String,
    pub csrf: String,
    pub audit: bool,
}

impl Nav {
    pub fn new(operator: Option<&Operator>, csrf: &str) -> Self {
        Nav {
            username: operator.map(|o| o.username.clone()),
            role: operator
                .map(|o| o.role.as_str().to_owned())
                .unwrap_or_default(),
            csrf: csrf.to_owned(),
            audit: operator.is_some_and(|o| o.may(OperatorAction::ManageOperators, None)),
        }
    }
}

#[derive(Template)]
#[template(path = "console/sign_in.html")]
pub struct SignInPage {
    pub nav: Nav,
    pub pre: String,
    pub problem: Option<String>,
    /// The single-sign-on provider's label, when there is one.
    pub sso: Option<String>,
}

/// After a single-sign-on return: the console session's cookie is `SameSite=Strict`, so
/// it does not go with the provider's cross-site redirect; this page moves on from idgate's
/// own origin, and it does.
#[derive(Template)]
#[template(path = "console/continue.html")]
pub struct Continue {
    pub nav: Nav,
}

#[derive(Template)]
#[template(path = "console/message.html")]
pub struct Message {
    pub nav: Nav,
    pub heading: String,
    pub text: String,
}

/// One return-URL registration as the queue shows it.
pub struct RuleRow {
    pub id: String,
    pub partner: String,
    /// As the partner wrote it (an internationalised host in Unicode).
    pub url: String,
    /// The host as browsers send it (punycode for an internationalised one).
    pub ascii_host: String,
    pub internationalised: bool,
    pub mixed_script: bool,
    pub status: String,
    pub requested_at: String,
    pub may_decide: bool,
}

/// The dry-run tester's answer.
pub struct Tested {
    pub allowed: bool,
    pub text: String,
}

impl Tested {
    pub fn no(text: &str) -> Self {
        Tested {
            allowed: false,
            text: text.to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/return_urls.html")]
pub struct ReturnUrls {
    pub nav: Nav,
    pub csrf: String,
    pub pending: Vec<RuleRow>,
    pub decided: Vec<RuleRow>,
    /// `(id, name, selected)`.
    pub partners: Vec<(String, String, bool)>,
    pub test_url: String,
    pub tested: Option<Tested>,
}

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub from: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
pub struct Audit {
    pub nav: Nav,
    pub entries: Vec<AuditRow>,
}

/// A session in a list: no personal data.
pub struct SessionRow {
    pub id: String,
    pub partner: String,
    pub provider: String,
    pub status: String,
    /// The partner's own reference, if it gave one.
    pub reference: String,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "console/sessions.html")]
pub struct Sessions {
    pub nav: Nav,
    pub q: String,
    pub partner: String,
    pub status: String,
    pub from: String,
    pub to: String,
    /// `(id, name)`.
    pub partners: Vec<(String, String)>,
    pub statuses: Vec<String>,
    pub sessions: Vec<SessionRow>,
    pub may_add: bool,
}

pub struct EventRow {
    pub at: String,
    pub actor: String,
    pub change: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "console/session.html")]
pub struct SessionDetail {
    pub nav: Nav,
    pub csrf: String,
    pub session: SessionRow,
    pub reason: String,
    pub provider_status: String,
    pub level: String,
    pub expires_at: String,
    /// What the session holds of the person: `(label, value)`.
    pub person: Vec<(String, String)>,
    pub events: Vec<EventRow>,
    /// In review, and this operator may decide it.
    pub in_review: bool,
    /// The provider's proof, summarised: `(label, value)`.
    pub evidence: Vec<(String, String)>,
    /// How the partner's data matched the provider's: `(field, outcome)`.
    pub matches: Vec<(String, String)>,
    /// The files the session holds (documents, a face).
    pub media: Vec<MediaRow>,
}

pub struct MediaRow {
    pub id: String,
    pub context: String,
    pub kind: String,
    pub size: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "console/add_verification.html")]
pub struct AddVerification {
    pub nav: Nav,
    pub csrf: String,
    /// `(id, name)`.
    pub partners: Vec<(String, String)>,
    /// `(id, label)`.
    pub providers: Vec<(String, String)>,
    pub problem: Option<String>,
}

#[derive(Template)]
#[template(path = "console/verification_added.html")]
pub struct VerificationAdded {
    pub nav: Nav,
    pub id: String,
    pub link: String,
    pub qr_svg: String,
    pub expires_at: String,
}

#[derive(Template)]
#[template(path = "console/reviews.html")]
pub struct Reviews {
    pub nav: Nav,
    pub sessions: Vec<SessionRow>,
}

pub struct PartnerRow {
    pub id: String,
    pub name: String,
    pub tier: String,
    pub created_at: String,
}

#[derive(Template)]
#[template(path = "console/partners.html")]
pub struct Partners {
    pub nav: Nav,
    pub csrf: String,
    pub may_create: bool,
    pub tiers: Vec<String>,
    pub problem: Option<String>,
    pub partners: Vec<PartnerRow>,
}

pub struct CredentialRow {
    pub id: String,
    pub kind: String,
    /// A Hopae app's client id (not a secret).
    pub public_id: String,
    pub created_at: String,
    pub revoked_at: String,
}

/// A credential just issued: its secrets, shown this once.
pub struct Issued {
    pub kind: String,
    /// `(label, value)`.
    pub secrets: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "console/partner.html")]
pub struct PartnerDetail {
    pub nav: Nav,
    pub csrf: String,
    pub id: String,
    pub name: String,
    pub tier: String,
    pub number: i64,
    pub credentials: Vec<CredentialRow>,
    pub kinds: Vec<String>,
    pub may_manage: bool,
    /// Credentials just issued (one, or a new partner's first ones).
    pub issued: Vec<Issued>,
    /// Tokens left (deepidv's metered sessions).
    pub balance: i64,
    /// `(tier, current)`.
    pub tiers: Vec<(String, bool)>,
    /// The partner's own cap on sessions a minute (empty: the tier's).
    pub session_cap: String,
    /// Every provider served here, offered to this partner's people or not.
    pub providers: Vec<ProviderChoice>,
    /// `(value, shown, current)` of each evidence disclosure.
    pub evidence: Vec<(String, String, bool)>,
    /// `(value, shown, current)` of each return-URL policy.
    pub return_urls: Vec<(String, String, bool)>,
}

pub struct ProviderChoice {
    pub id: String,
    pub label: String,
    pub sandbox: bool,
    pub offered: bool,
}

pub struct DayRow {
    pub day: String,
    pub created: u64,
    pub decided: u64,
    pub approved: u64,
    /// "bankid 3, sandbox 1".
    pub by_provider: String,
}

pub struct EndpointRow {
    pub id: String,
    pub partner: String,
    pub url: String,
    pub health: String,
    pub events: String,
}

#[derive(Template)]
#[template(path = "console/webhooks.html")]
pub struct Webhooks {
    pub nav: Nav,
    pub endpoints: Vec<EndpointRow>,
}

pub struct DeliveryRow {
    pub event: String,
    pub session: String,
    pub status: String,
    pub attempts: i32,
    pub last: String,
    /// The receiver's last answer: its status, or why none came.
    pub answer: String,
}

#[derive(Template)]
#[template(path = "console/deliveries.html")]
pub struct Deliveries {
    pub nav: Nav,
    pub csrf: String,
    pub id: String,
    pub partner: String,
    pub url: String,
    pub may_redeliver: bool,
    pub deliveries: Vec<DeliveryRow>,
}

pub struct FunnelRow {
    pub provider: String,
    pub created: u64,
    pub started: String,
    pub decided: String,
    pub approved: String,
    pub by_status: String,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
pub struct Dashboard {
    pub nav: Nav,
    pub days: i64,
    pub total: u64,
    pub funnels: Vec<FunnelRow>,
    /// Newest day first.
    pub by_day: Vec<DayRow>,
    /// The busiest day's sessions (the bars' scale).
    pub busiest: u64,
    pub endpoints: u64,
    pub endpoints_failing: u64,
    pub endpoints_disabled: u64,
}
