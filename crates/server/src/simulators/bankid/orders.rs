//! The simulated BankID service's orders, with the real service's rules and timing: a QR code
//! must be scanned within 30 seconds of the order (`startFailed` after), the user has until
//! three minutes after the order to finish (`expiredTransaction`), a second order for the same
//! personal number aborts both (`alreadyInProgress`), and a finished order can be collected
//! for three minutes (complete) or five (failed), then it is gone (`invalidParameters`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use idgate_providers::bankid::qr;
use idgate_providers::bankid::wire::{
    Collected, CompletionData, Device, OrderRequest, OrderStarted, PhoneOrderRequest,
    PhoneOrderStarted, Requirement, StepUp, User, WebContext,
};
use std::collections::HashMap;
use std::sync::Mutex;

/// Seconds within which the first scan must happen.
pub const SCAN_WINDOW: i64 = 30;
/// Seconds an order waits for the user in all.
pub const ORDER_LIFETIME: i64 = 180;
const KEEP_COMPLETE: i64 = 180;
const KEEP_FAILED: i64 = 300;

/// A refusal as the RP API answers it: status, `errorCode`, `details`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub u16, pub &'static str, pub String);

impl Refusal {
    pub fn invalid(details: impl Into<String>) -> Self {
        Refusal(400, "invalidParameters", details.into())
    }

    fn internal() -> Self {
        Refusal(500, "internalError", "Internal error".into())
    }
}

/// Whether the order is an authentication or a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Auth,
    Sign,
}

#[derive(Clone, Debug)]
enum Progress {
    /// Waiting; `scanned` once the app read a valid code.
    Pending {
        scanned: bool,
    },
    Complete {
        user: User,
        at: i64,
    },
    Failed {
        hint: &'static str,
        at: i64,
    },
}

#[derive(Clone, Debug)]
struct Order {
    kind: Kind,
    auto_start_token: String,
    qr_token: String,
    qr_secret: String,
    ordered_at: i64,
    end_user_ip: String,
    personal_number: Option<String>,
    /// Decoded `userVisibleData`, for the app to show.
    visible: Option<String>,
    /// `userNonVisibleData` as sent (base64), signed along with the text.
    hidden: Option<String>,
    /// Where the app sends the person back after a same-device start (`returnUrl`).
    return_url: Option<String>,
    /// The web device context, as sent.
    web: Option<WebContext>,
    mrtd: bool,
    /// A phone order (`/phone/auth`, `/phone/sign`): no QR code; the app finds it by the
    /// person's number and first asks them to confirm the call.
    phone: bool,
    progress: Progress,
}

impl Order {
    /// What the app shows of this order once it is opened.
    fn scanned(&self, order_ref: &str) -> Scanned {
        Scanned {
            order_ref: order_ref.to_owned(),
            kind: match self.kind {
                Kind::Auth => "auth",
                Kind::Sign => "sign",
            },
            user_visible_data: self.visible.clone(),
            personal_number: self.personal_number.clone(),
            return_url: self.return_url.clone(),
            phone: self.phone,
        }
    }
}

/// What the relying party sent with an order, as the simulator keeps it (for tests that check
/// what an adapter tells BankID).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub end_user_ip: String,
    pub return_url: Option<String>,
    pub web: Option<WebContext>,
    pub user_non_visible_data: Option<String>,
}

/// How the person in the app answers an order.
#[derive(Clone, Debug)]
pub enum Answer {
    Approve(User),
    Cancel,
    /// The order fails with this hint code (a blocked certificate, a risk block, an app too
    /// old for the order, a declined call).
    Fail(&'static str),
}

/// The failures the simulated app can produce, with what the tester sees.
pub const FAILURES: [(&str, &str); 4] = [
    ("certificateErr", "My BankID is blocked or too old"),
    (
        "transactionRiskBlocked",
        "BankID blocks this order as too risky",
    ),
    (
        "notSupportedByUserApp",
        "My BankID app is too old for this order",
    ),
    ("userDeclinedCall", "I decline the call (phone orders)"),
];

/// What the app shows of an order it scanned.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Scanned {
    pub order_ref: String,
    pub kind: &'static str,
    pub user_visible_data: Option<String>,
    /// The personal number the relying party requires, if any.
    pub personal_number: Option<String>,
    /// The order's `returnUrl`, where the app sends the person after a same-device start.
    pub return_url: Option<String>,
    pub phone: bool,
}

/// All orders, in memory: the simulator is a single test service.
#[derive(Debug, Default)]
pub struct Orders {
    orders: Mutex<HashMap<String, Order>>,
}

fn random_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A checked `OrderRequest`.
fn check(kind: Kind, request: &OrderRequest) -> Result<Option<String>, Refusal> {
    if request.end_user_ip.parse::<std::net::IpAddr>().is_err() {
        return Err(Refusal::invalid("Invalid endUserIp"));
    }
    if let Some(format) = &request.user_visible_data_format
        && format != "simpleMarkdownV1"
    {
        return Err(Refusal::invalid("Invalid userVisibleDataFormat"));
    }
    let decode =
        |field: &str, value: &Option<String>, max: usize| -> Result<Option<String>, Refusal> {
            let Some(value) = value else { return Ok(None) };
            if value.len() > max {
                return Err(Refusal::invalid(format!("Invalid {field}")));
            }
            let bytes = STANDARD
                .decode(value)
                .map_err(|_| Refusal::invalid(format!("Invalid {field}")))?;
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| Refusal::invalid(format!("Invalid {field}")))
        };
    let visible = decode("userVisibleData", &request.user_visible_data, 40_000)?;
    // Any bytes: only the encoding and the size are checked.
    if let Some(hidden) = &request.user_non_visible_data
        && (hidden.len() > 200_000 || STANDARD.decode(hidden).is_err())
    {
        return Err(Refusal::invalid("Invalid userNonVisibleData"));
    }
    if let Some(web) = &request.web
        && [
            &web.device_identifier,
            &web.referring_domain,
            &web.user_agent,
        ]
        .iter()
        .any(|value| {
            value
                .as_ref()
                .is_some_and(|v| v.is_empty() || v.len() > 256)
        })
    {
        return Err(Refusal::invalid("Invalid web"));
    }
    if kind == Kind::Sign && visible.as_deref().is_none_or(str::is_empty) {
        return Err(Refusal::invalid("Invalid userVisibleData"));
    }
    if let Some(url) = &request.return_url
        && (url.len() > 512 || url::Url::parse(url).is_err())
    {
        return Err(Refusal::invalid("Invalid returnUrl"));
    }
    if let Some(number) = request
        .requirement
        .as_ref()
        .and_then(|r| r.personal_number.as_ref())
        && (number.len() != 12 || !number.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Refusal::invalid("Invalid personalNumber"));
    }
    Ok(visible)
}

impl Orders {
    /// Times out what waited too long (as collect would find it at `now`).
    fn age(order: &mut Order, now: i64) {
        if let Progress::Pending { scanned } = order.progress {
            let waited = now - order.ordered_at;
            if !scanned && !order.phone && waited > SCAN_WINDOW {
                order.progress = Progress::Failed {
                    hint: "startFailed",
                    at: order.ordered_at + SCAN_WINDOW,
                };
            } else if waited > ORDER_LIFETIME {
                order.progress = Progress::Failed {
                    hint: "expiredTransaction",
                    at: order.ordered_at + ORDER_LIFETIME,
                };
            }
        }
    }

    /// `POST /auth` and `/sign`.
    pub fn start(
        &self,
        kind: Kind,
        request: &OrderRequest,
        now: i64,
    ) -> Result<OrderStarted, Refusal> {
        let visible = check(kind, request)?;
        let personal_number = request
            .requirement
            .as_ref()
            .and_then(|r| r.personal_number.clone());
        let mut orders = self.orders.lock().map_err(|_| Refusal::internal())?;
        orders.retain(|_, o| {
            Self::age(o, now);
            match &o.progress {
                Progress::Pending { .. } => true,
                Progress::Complete { at, .. } => now - at <= KEEP_COMPLETE,
                Progress::Failed { at, .. } => now - at <= KEEP_FAILED,
            }
        });
        if let Some(number) = &personal_number {
            let running: Vec<&mut Order> = orders
                .values_mut()
                .filter(|o| {
                    matches!(o.progress, Progress::Pending { .. })
                        && o.personal_number.as_ref() == Some(number)
                })
                .collect();
            if !running.is_empty() {
                // Both are aborted: the running one fails as `cancelled`, no new one is made.
                for order in running {
                    order.progress = Progress::Failed {
                        hint: "cancelled",
                        at: now,
                    };
                }
                return Err(Refusal(
                    400,
                    "alreadyInProgress",
                    "Order already in progress for pno".into(),
                ));
            }
        }
        let order_ref = random_uuid();
        let started = OrderStarted {
            order_ref: order_ref.clone(),
            auto_start_token: random_uuid(),
            qr_start_token: random_uuid(),
            qr_start_secret: random_uuid(),
        };
        orders.insert(
            order_ref,
            Order {
                kind,
                auto_start_token: started.auto_start_token.clone(),
                qr_token: started.qr_start_token.clone(),
                qr_secret: started.qr_start_secret.clone(),
                ordered_at: now,
                end_user_ip: request.end_user_ip.clone(),
                personal_number,
                visible,
                hidden: request.user_non_visible_data.clone(),
                return_url: request.return_url.clone(),
                web: request.web.clone(),
                mrtd: request
                    .requirement
                    .as_ref()
                    .and_then(|r| r.mrtd)
                    .unwrap_or(false),
                phone: false,
                progress: Progress::Pending { scanned: false },
            },
        );
        Ok(started)
    }

    /// `POST /phone/auth` and `/phone/sign`.
    pub fn start_phone(
        &self,
        kind: Kind,
        request: &PhoneOrderRequest,
        now: i64,
    ) -> Result<PhoneOrderStarted, Refusal> {
        if request.personal_number.len() != 12
            || !request.personal_number.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(Refusal::invalid("Invalid personalNumber"));
        }
        if !matches!(request.call_initiator.as_str(), "user" | "RP") {
            return Err(Refusal::invalid("Invalid callInitiator"));
        }
        // The same checks as the other orders, on the same members.
        let as_order = OrderRequest {
            end_user_ip: "127.0.0.1".into(),
            requirement: Some(Requirement {
                personal_number: Some(request.personal_number.clone()),
                ..request.requirement.clone().unwrap_or_default()
            }),
            user_visible_data: request.user_visible_data.clone(),
            user_visible_data_format: request.user_visible_data_format.clone(),
            user_non_visible_data: request.user_non_visible_data.clone(),
            ..OrderRequest::default()
        };
        let started = self.start(kind, &as_order, now)?;
        if let Ok(mut orders) = self.orders.lock()
            && let Some(order) = orders.get_mut(&started.order_ref)
        {
            order.phone = true;
            order.qr_token.clear();
            order.auto_start_token.clear();
        }
        Ok(PhoneOrderStarted {
            order_ref: started.order_ref,
        })
    }

    /// The app of the person with `personal_number` opens their newest waiting phone order
    /// (they confirm the call).
    pub fn answer_call(&self, personal_number: &str, now: i64) -> Result<Scanned, &'static str> {
        let mut orders = self.orders.lock().map_err(|_| "the simulator failed")?;
        // The person's app shows the call that still waits (finished ones are history; two
        // orders of the same second must not be told apart by chance).
        let (order_ref, order) = orders
            .iter_mut()
            .filter(|(_, o)| o.phone && o.personal_number.as_deref() == Some(personal_number))
            .filter_map(|(order_ref, o)| {
                Self::age(o, now);
                matches!(o.progress, Progress::Pending { .. }).then_some((order_ref, o))
            })
            .max_by_key(|(_, o)| o.ordered_at)
            .ok_or("no call is waiting for this person")?;
        let Progress::Pending { scanned } = &mut order.progress else {
            return Err("this order is finished");
        };
        *scanned = true;
        Ok(order.scanned(order_ref))
    }

    /// `POST /collect`.
    pub fn collect(&self, order_ref: &str, now: i64) -> Result<Collected, Refusal> {
        let mut orders = self.orders.lock().map_err(|_| Refusal::internal())?;
        let gone = || Refusal::invalid("No such order");
        let order = orders.get_mut(order_ref).ok_or_else(gone)?;
        Self::age(order, now);
        let collected = match &order.progress {
            Progress::Pending { scanned } => Collected {
                order_ref: order_ref.to_owned(),
                status: "pending".into(),
                hint_code: Some(
                    match (scanned, order.mrtd) {
                        (false, _) if order.phone => "userCallConfirm",
                        (false, _) => "outstandingTransaction",
                        (true, true) => "userMrtd",
                        (true, false) => "userSign",
                    }
                    .into(),
                ),
                completion_data: None,
            },
            Progress::Failed { hint, at } => {
                if now - at > KEEP_FAILED {
                    orders.remove(order_ref);
                    return Err(gone());
                }
                Collected {
                    order_ref: order_ref.to_owned(),
                    status: "failed".into(),
                    hint_code: Some((*hint).into()),
                    completion_data: None,
                }
            }
            Progress::Complete { user, at } => {
                if now - at > KEEP_COMPLETE {
                    orders.remove(order_ref);
                    return Err(gone());
                }
                Collected {
                    order_ref: order_ref.to_owned(),
                    status: "complete".into(),
                    hint_code: None,
                    completion_data: Some(completion(order, user, *at)),
                }
            }
        };
        Ok(collected)
    }

    /// As if `seconds` had passed for every order (the simulator's clock, for tests of its
    /// timing: the 30-second scan window, the order lifetime).
    pub fn pass(&self, seconds: i64) {
        if let Ok(mut orders) = self.orders.lock() {
            for order in orders.values_mut() {
                order.ordered_at -= seconds;
                match &mut order.progress {
                    Progress::Complete { at, .. } | Progress::Failed { at, .. } => *at -= seconds,
                    Progress::Pending { .. } => {}
                }
            }
        }
    }

    /// `POST /cancel`: the order is gone; cancelling it again is `invalidParameters`.
    pub fn cancel(&self, order_ref: &str) -> Result<(), Refusal> {
        let mut orders = self.orders.lock().map_err(|_| Refusal::internal())?;
        match orders.remove(order_ref) {
            Some(_) => Ok(()),
            None => Err(Refusal::invalid("No such order")),
        }
    }

    /// The app reads a QR code: it must be one of a pending order's codes, of a second that
    /// has come (not one made ahead), and the first scan must be within the scan window.
    pub fn scan(&self, content: &str, now: i64) -> Result<Scanned, &'static str> {
        let (token, time, code) = qr::parse(content).ok_or("not a BankID QR code")?;
        let mut orders = self.orders.lock().map_err(|_| "the simulator failed")?;
        let (order_ref, order) = orders
            .iter_mut()
            .find(|(_, o)| !o.qr_token.is_empty() && o.qr_token == token)
            .ok_or("no order has this QR code")?;
        Self::age(order, now);
        let Progress::Pending { scanned } = &mut order.progress else {
            return Err("this order is finished");
        };
        let elapsed = now - order.ordered_at;
        let Ok(time_signed) = i64::try_from(time) else {
            return Err("the code's time is invalid");
        };
        // The code shown a moment ago is still fine; one from the future or from long ago
        // is not.
        if time_signed > elapsed + 1 || elapsed - time_signed > 5 {
            return Err("the QR code is out of date; scan the one shown now");
        }
        if qr::auth_code(&order.qr_secret, time) != code {
            return Err("the QR code is not genuine");
        }
        *scanned = true;
        Ok(order.scanned(order_ref))
    }

    /// The app opened on the same device with an order's autostart token (no code to scan).
    pub fn autostart(&self, token: &str, now: i64) -> Result<Scanned, &'static str> {
        let mut orders = self.orders.lock().map_err(|_| "the simulator failed")?;
        let (order_ref, order) = orders
            .iter_mut()
            .find(|(_, o)| !token.is_empty() && o.auto_start_token == token)
            .ok_or("no order has this autostart token")?;
        Self::age(order, now);
        let Progress::Pending { scanned } = &mut order.progress else {
            return Err("this order is finished");
        };
        *scanned = true;
        Ok(order.scanned(order_ref))
    }

    /// What the relying party sent with order `order_ref`.
    pub fn received(&self, order_ref: &str) -> Option<Received> {
        let orders = self.orders.lock().ok()?;
        let order = orders.get(order_ref)?;
        Some(Received {
            end_user_ip: order.end_user_ip.clone(),
            return_url: order.return_url.clone(),
            web: order.web.clone(),
            user_non_visible_data: order.hidden.clone(),
        })
    }

    /// The app's user answers a scanned order.
    pub fn decide(&self, order_ref: &str, answer: Answer, now: i64) -> Result<(), &'static str> {
        let mut orders = self.orders.lock().map_err(|_| "the simulator failed")?;
        let order = orders.get_mut(order_ref).ok_or("no such order")?;
        Self::age(order, now);
        if !matches!(order.progress, Progress::Pending { scanned: true }) {
            return Err("this order is not waiting for the user");
        }
        order.progress = match answer {
            Answer::Approve(user) => {
                if order
                    .personal_number
                    .as_ref()
                    .is_some_and(|n| n != &user.personal_number)
                {
                    return Err("the relying party asked for another person");
                }
                Progress::Complete { user, at: now }
            }
            Answer::Cancel => Progress::Failed {
                hint: "userCancel",
                at: now,
            },
            Answer::Fail("userDeclinedCall") if !order.phone => {
                return Err("only a phone order has a call to decline");
            }
            Answer::Fail(hint) => Progress::Failed { hint, at: now },
        };
        Ok(())
    }
}

/// The completion data of a finished order: the user, the device, and a signature and OCSP
/// response that are clearly the simulator's (base64 of an XML document naming it).
fn completion(order: &Order, user: &User, at: i64) -> CompletionData {
    let signed_at = chrono::DateTime::from_timestamp(at, 0).unwrap_or_default();
    let visible = order.visible.as_deref().unwrap_or_default();
    let signature = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo><idgate-simulator/></SignedInfo><Object><bankIdSignedData><usrVisibleData>{}</usrVisibleData>{}<personalNumber>{}</personalNumber><signedAt>{}</signedAt></bankIdSignedData></Object></Signature>",
        STANDARD.encode(visible),
        order
            .hidden
            .as_deref()
            .map(|hidden| format!("<usrNonVisibleData>{hidden}</usrNonVisibleData>"))
            .unwrap_or_default(),
        user.personal_number,
        signed_at.to_rfc3339()
    );
    CompletionData {
        user: user.clone(),
        device: Some(Device {
            ip_address: order.end_user_ip.clone(),
            uhi: Some("idgate-simulator-device".into()),
        }),
        bank_id_issue_date: Some("2024-01-15Z".into()),
        step_up: order.mrtd.then_some(StepUp { mrtd: true }),
        signature: STANDARD.encode(signature),
        ocsp_response: STANDARD.encode(format!(
            "idgate BankID simulator OCSP: good, {}",
            signed_at.to_rfc3339()
        )),
        risk: None,
    }
}
