//! `idgate`: the hub's command line. `idgate` (or `idgate serve`) runs the server; the other
//! subcommands administer the same database. Every admin command takes `--json`.

mod config;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use idgate_core::{
    Credential, CredentialId, CredentialKind, DeliveryStatus, EndpointId, PartnerId, ReturnUrlRule,
    ReturnUrlStatus, Session, SessionEvent, Tier, WebhookEndpoint,
};
use idgate_core::{
    EvidenceDisclosure, FrameAncestor, Invite, InviteStatus, ReturnUrlPolicy, TokenEntry,
};
use idgate_hub::Hub;
use idgate_hub::service::partners::PartnerChange;
use idgate_hub::service::webhooks::{EndpointPatch, NewEndpoint};
use idgate_hub::settings::LogFormat;
use idgate_server::admin_api::views;
use idgate_server::startup::{self, DemoPartner};
use idgate_store::Redeliver;
use serde_json::{Value, json};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "idgate",
    version,
    about = "Self-hosted identity-verification hub"
)]
struct Cli {
    /// Configuration file (default: ./idgate.toml when it exists).
    #[arg(long, global = true, env = "IDGATE_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL, overriding the configuration (e.g. sqlite://data/idgate.db).
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server and the background jobs (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Print the effective configuration.
    Config,
    /// Manage partners.
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// Review partners' return URLs.
    #[command(subcommand, name = "return-url")]
    ReturnUrl(ReturnUrlCommand),
    /// Inspect sessions.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Manage partners' webhook endpoints and deliveries.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Manage the operators who sign in to the console (/console).
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Print the audit trail (operator actions and views of personal data), newest first.
    Audit {
        /// How many entries.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Create an operator; prints their password and TOTP key once.
    Create {
        username: String,
        #[arg(long, value_parser = ["admin", "reviewer", "viewer"])]
        role: String,
        /// A reviewer limited to this partner (repeat for several); all partners when none.
        #[arg(long = "partner")]
        partners: Vec<String>,
        /// Their subject (`sub`) at the console's single-sign-on provider ([console.sso]);
        /// checked before the operator is created.
        #[arg(long)]
        sso_subject: Option<String>,
    },
    /// Link an operator to their subject (`sub`) at the console's single-sign-on provider,
    /// so they can sign in there; or remove the link.
    Sso {
        username: String,
        #[arg(long, required_unless_present = "remove", conflicts_with = "remove")]
        subject: Option<String>,
        #[arg(long)]
        remove: bool,
    },
    /// List operators.
    List,
    /// Issue an admin API token for an operator (it acts with their role); printed once.
    Token {
        username: String,
        /// What the token is for.
        #[arg(long)]
        label: String,
    },
    /// Revoke an admin API token by its id.
    RevokeToken { id: String },
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Add an endpoint for a partner and print its signing secret (shown once).
    Add {
        partner: String,
        url: String,
        /// Event types to send (comma-separated); all when omitted.
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        /// Include the session's result claims (personal data) in events.
        #[arg(long)]
        include_claims: bool,
        /// Add an Ed25519 (v1a) signature beside the HMAC one.
        #[arg(long)]
        ed25519: bool,
        /// Also sign deliveries as this Veriff integration of the partner (its credential id):
        /// Veriff's X-AUTH-CLIENT and X-HMAC-SIGNATURE.
        #[arg(long)]
        integration: Option<String>,
    },
    /// List endpoints.
    List {
        #[arg(long)]
        partner: Option<String>,
    },
    /// Stop sending to an endpoint (events are no longer queued for it).
    Disable { id: String },
    /// Resume an endpoint; its queued deliveries are sent again.
    Enable { id: String },
    /// Issue a new signing secret; the old one keeps signing during the overlap.
    RotateSecret { id: String },
    /// Queue a webhook.test event to an endpoint.
    Test { id: String },
    /// List an endpoint's deliveries, newest first.
    Deliveries {
        id: String,
        #[arg(long, value_parser = ["pending", "delivered", "dead"])]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Queue deliveries again: one event (--event), or the dead ones in a time range.
    Redeliver {
        id: String,
        #[arg(long)]
        event: Option<String>,
        /// RFC 3339 start of the range (dead deliveries of events created since then).
        #[arg(long)]
        since: Option<String>,
        /// RFC 3339 end of the range (default now).
        #[arg(long)]
        until: Option<String>,
    },
}

#[derive(Args, Default)]
struct ServeArgs {
    /// Listen address, e.g. 127.0.0.1:8080.
    #[arg(long)]
    listen: Option<String>,
    /// Public base URL, e.g. https://verify.example.com.
    #[arg(long)]
    public_url: Option<String>,
    /// Do not create the demo partner on first start.
    #[arg(long)]
    no_demo: bool,
}

#[derive(Subcommand)]
enum PartnerCommand {
    /// Create a partner and print its credentials, one per dialect (shown once).
    Create {
        name: String,
        /// enterprise: 600 sessions/min, self-serve: 30/min, custom: --sessions-per-minute.
        #[arg(long, default_value = "self-serve", value_parser = ["enterprise", "self-serve", "custom"])]
        tier: String,
        /// The partner's own cap on session creations per minute (all nodes together).
        #[arg(long)]
        sessions_per_minute: Option<u32>,
    },
    /// List partners.
    List,
    /// Change a partner's tier, session cap or evidence disclosure.
    Update {
        partner_id: String,
        #[arg(long, value_parser = ["enterprise", "self-serve", "custom"])]
        tier: Option<String>,
        /// The partner's own cap on session creations per minute; 0 returns to the tier's.
        #[arg(long)]
        sessions_per_minute: Option<u32>,
        /// minimal (default): /evidence gives the pairwise subject, the assurance and a digest
        /// of the provider's proof. full: the raw proof (ID token, the provider's own subject,
        /// every claim it released), which identifies the person across partners.
        #[arg(long, value_parser = ["minimal", "full"])]
        evidence: Option<String>,
        /// An origin whose pages may embed the partner's hosted flow in an iframe (Veriff's
        /// InContext SDK), e.g. https://app.example.com; repeat for several. Replaces the list.
        #[arg(long = "frame-ancestor", value_name = "ORIGIN")]
        frame_ancestors: Vec<String>,
        /// No page may embed the hosted flow (the default).
        #[arg(long, conflicts_with = "frame_ancestors")]
        no_frame_ancestors: bool,
        /// A provider the hosted page lets the partner's people choose where the dialect names
        /// none (the Veriff API); repeat for several. Replaces the list.
        #[arg(long = "offer-provider", value_name = "PROVIDER")]
        offered_providers: Vec<String>,
        /// The dialect's own provider only (the default).
        #[arg(long, conflicts_with = "offered_providers")]
        no_offered_providers: bool,
        /// approved (default): sessions return only to URLs an operator approved.
        /// registered: to URLs the partner registered, each approved as it is registered
        /// (EasyFreelance's return-URL registrations, a Hopae app's redirect URIs).
        /// any-https: to any https URL a create names, as deepidv allows (the result token
        /// then goes wherever the partner's requests say).
        #[arg(long, value_parser = ["approved", "registered", "any-https"])]
        return_urls: Option<String>,
    },
    /// Set how the hosted pages show the partner to its end users. An empty value removes a
    /// setting, e.g. --color "".
    Brand {
        partner_id: String,
        /// The name people know the partner by (default: the partner's name).
        #[arg(long)]
        display_name: Option<String>,
        /// The primary colour, #rrggbb; white text on it must reach WCAG AA contrast (4.5:1).
        #[arg(long)]
        color: Option<String>,
        /// Where people get help: an email address, an https URL or a +phone number.
        #[arg(long)]
        support: Option<String>,
        /// The partner's privacy policy (https).
        #[arg(long)]
        privacy_url: Option<String>,
        /// The pages' language when neither the session nor the browser names one idgate
        /// speaks: en, sv, nb, da, fi, et or de.
        #[arg(long)]
        language: Option<String>,
        /// A logo file (PNG, JPEG or WebP, at most 256 KiB), stored and served by idgate.
        #[arg(long, value_name = "FILE")]
        logo: Option<PathBuf>,
    },
    /// Issue, list, revoke and rotate a partner's credentials.
    #[command(subcommand)]
    Credential(CredentialCommand),
    /// Add, list and remove a partner's verification workflows (deepidv's workflow_id).
    #[command(subcommand)]
    Workflow(WorkflowCommand),
    /// A partner's token balance (what deepidv sessions cost): top up, show the ledger.
    #[command(subcommand)]
    Tokens(TokensCommand),
}

#[derive(Subcommand)]
enum TokensCommand {
    /// Credit tokens to a partner; prints the new balance.
    TopUp {
        partner_id: String,
        tokens: i64,
        /// Why (an invoice or order number), kept in the ledger.
        #[arg(long)]
        note: Option<String>,
    },
    /// The balance and the latest ledger entries, newest first.
    Show {
        partner_id: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
}

#[derive(Subcommand)]
enum WorkflowCommand {
    /// Add a workflow and print its id.
    Add {
        partner_id: String,
        #[arg(long)]
        name: String,
        /// A provider its sessions may use; repeat for a choice for the person.
        #[arg(long = "provider", value_name = "PROVIDER", required = true)]
        providers: Vec<String>,
        /// A step it stands for: ID_VERIFICATION, FACE_LIVENESS, PEP_SANCTIONS,
        /// ADDRESS_VERIFICATION; repeat for several.
        #[arg(long = "step", value_name = "STEP")]
        steps: Vec<String>,
    },
    /// List a partner's workflows.
    List { partner_id: String },
    /// Remove a workflow (sessions created with it keep its id).
    Remove {
        partner_id: String,
        workflow_id: String,
    },
}

#[derive(Subcommand)]
enum CredentialCommand {
    /// Issue another credential for a partner (shown once).
    Issue {
        partner_id: String,
        #[arg(long, value_parser = ["easyfreelance", "hopae", "hopae-workspace", "veriff", "deepidv"])]
        kind: String,
    },
    /// List a partner's credentials (ids, kinds, dates; never secrets).
    List { partner_id: String },
    /// Stop a credential from authenticating, now.
    Revoke { credential_id: String },
    /// Issue a replacement (shown once) and revoke the old credential after a grace period.
    Rotate {
        credential_id: String,
        /// How long the old credential keeps working (units d, h, m, s).
        #[arg(long, default_value = "24h")]
        grace: String,
    },
}

#[derive(Subcommand)]
enum ReturnUrlCommand {
    /// List return-URL registrations.
    List {
        #[arg(long, value_parser = ["pending", "approved", "rejected", "withdrawn"])]
        status: Option<String>,
    },
    /// Approve a registration.
    Approve { id: String },
    /// Reject a registration.
    Reject { id: String },
}

#[derive(Subcommand)]
enum SessionCommand {
    /// Show a session's status and event timeline.
    Show { id: String },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    let mut overrides: config::Overrides = Vec::new();
    if let Some(url) = cli.database_url {
        overrides.push(("database.url", url.into()));
    }
    if let Command::Serve(args) = &command {
        if let Some(listen) = &args.listen {
            overrides.push(("server.listen", listen.clone().into()));
        }
        if let Some(url) = &args.public_url {
            overrides.push(("server.public_url", url.clone().into()));
        }
        if args.no_demo {
            overrides.push(("demo.partner", false.into()));
        }
    }
    let settings = config::load(cli.config.as_deref(), overrides)?;
    init_logging(
        settings.server.log_format,
        matches!(command, Command::Serve(_)),
    );
    for name in config::unknown_environment() {
        tracing::warn!(
            variable = %name,
            "this IDGATE_ variable configures nothing and is ignored: configuration variables \
             are IDGATE_<SECTION>__<KEY>, e.g. IDGATE_WEBHOOKS__CONCURRENCY"
        );
    }
    if let Command::Config = command {
        println!("{}", serde_json::to_string_pretty(&settings.for_display())?);
        return Ok(());
    }
    let opened = startup::open(settings, &idgate::Engines).await?;
    let hub = opened.hub.clone();
    let out = Output { json: cli.json };
    match command {
        Command::Serve(_) => serve(&opened).await,
        Command::Migrate => {
            // `open` has migrated already.
            out.print(json!({"migrated": true}), "database is up to date");
            Ok(())
        }
        Command::Config => Ok(()),
        Command::Partner(cmd) => partner(&hub, cmd, out).await,
        Command::ReturnUrl(cmd) => return_url(&hub, cmd, out).await,
        Command::Session(SessionCommand::Show { id }) => show_session(&hub, &id, out).await,
        Command::Webhook(cmd) => webhook(&hub, cmd, out).await,
        Command::Operator(cmd) => operator(&hub, cmd, out).await,
        Command::Audit { limit } => audit(&hub, limit, out).await,
    }
}

/// Writes a line to the audit trail for a command run on the host (actor `cli`).
async fn audited(hub: &Hub, action: &str, target: String, details: Value) -> anyhow::Result<()> {
    use idgate_hub::service::operators::AuditActor;
    hub.audit(AuditActor::Cli, action, &target, details).await?;
    Ok(())
}

/// A resource's JSON: the admin API's view of it, so `--json` and `/admin/v1` agree.
fn json_of(view: impl serde::Serialize) -> Value {
    serde_json::to_value(view).unwrap_or_default()
}

fn operator_json(o: &idgate_core::Operator) -> Value {
    json_of(views::OperatorView::from(o))
}

async fn operator(hub: &Hub, cmd: OperatorCommand, out: Output) -> anyhow::Result<()> {
    use idgate_hub::service::operators::AuditActor;
    match cmd {
        OperatorCommand::Create {
            username,
            role,
            partners,
            sso_subject,
        } => {
            let role = idgate_core::OperatorRole::parse(&role)
                .ok_or_else(|| anyhow::anyhow!("the role is admin, reviewer or viewer"))?;
            let partners = partners
                .iter()
                .map(|p| {
                    p.parse()
                        .map_err(|_| anyhow::anyhow!("{p:?} is not a partner id (a UUID)"))
                })
                .collect::<anyhow::Result<Vec<PartnerId>>>()?;
            // The subject is checked before the operator exists: a refusal must not leave an
            // operator whose one-time secrets were never shown.
            if let Some(subject) = &sso_subject {
                hub.free_single_sign_on(subject, None).await?;
            }
            let mut created = hub
                .create_operator(&username, role, partners, AuditActor::Cli)
                .await?;
            if let Some(subject) = &sso_subject {
                match hub
                    .link_single_sign_on(AuditActor::Cli, &username, Some(subject))
                    .await
                {
                    Ok(linked) => created.operator = linked,
                    // Taken in the meantime: the operator exists, so its secrets are shown.
                    Err(e) => eprintln!("warning: not linked to single sign-on: {e}"),
                }
            }
            let mut value = operator_json(&created.operator);
            value["password"] = json!(created.password);
            value["totp_secret"] = json!(created.totp_secret);
            value["totp_uri"] = json!(created.totp_uri);
            out.print(
                value,
                format!(
                    "operator {} ({}) created; shown once, keep them safe:\n  password:    {}\n  TOTP key:    {} (type it into an authenticator app)\n  TOTP URI:    {}\nSign in at {}/console",
                    created.operator.username,
                    created.operator.role.as_str(),
                    created.password,
                    created.totp_secret,
                    created.totp_uri,
                    hub.settings().public_base(),
                ),
            );
        }
        OperatorCommand::Sso {
            username,
            subject,
            remove,
        } => {
            let subject = subject.filter(|_| !remove);
            let operator = hub
                .link_single_sign_on(AuditActor::Cli, &username, subject.as_deref())
                .await?;
            out.print(
                operator_json(&operator),
                match &operator.single_sign_on {
                    Some(sso) => format!(
                        "operator {} signs in with single sign-on as subject {} at {}",
                        operator.username, sso.subject, sso.issuer
                    ),
                    None => format!(
                        "operator {} is no longer linked to single sign-on",
                        operator.username
                    ),
                },
            );
        }
        OperatorCommand::Token { username, label } => {
            let (token, secret) = hub
                .issue_operator_token(AuditActor::Cli, &username, &label)
                .await?;
            out.print(
                json!({"id": token.id.to_string(), "label": token.label, "token": secret}),
                format!(
                    "admin API token {} ({}) for {username}, shown once:\n  {secret}\nUse it as Authorization: Bearer … at {}/admin/v1",
                    token.id,
                    token.label,
                    hub.settings().public_base()
                ),
            );
        }
        OperatorCommand::RevokeToken { id } => {
            let id = id
                .parse()
                .map_err(|_| anyhow::anyhow!("{id:?} is not a token id (a UUID)"))?;
            let token = hub.revoke_operator_token(AuditActor::Cli, id).await?;
            out.print(
                json!({"id": token.id.to_string(), "revoked_at": token.revoked_at.map(|t| t.to_rfc3339())}),
                format!("token {} revoked", token.id),
            );
        }
        OperatorCommand::List => {
            let operators = hub.operators().await?;
            let text = operators
                .iter()
                .map(|o| {
                    format!(
                        "{}  {}  {}{}",
                        o.id,
                        o.username,
                        o.role.as_str(),
                        if o.disabled { "  (disabled)" } else { "" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            out.print(
                Value::Array(operators.iter().map(operator_json).collect()),
                if text.is_empty() {
                    "no operators".to_owned()
                } else {
                    text
                },
            );
        }
    }
    Ok(())
}

async fn audit(hub: &Hub, limit: u32, out: Output) -> anyhow::Result<()> {
    let entries = hub.audit_log(limit, None).await?;
    let text = entries
        .iter()
        .map(|e| {
            format!(
                "{}  {}  {}  {}{}",
                e.at.to_rfc3339(),
                e.actor,
                e.action,
                e.target,
                e.from
                    .as_deref()
                    .map(|f| format!("  from {f}"))
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    out.print(
        Value::Array(
            entries
                .iter()
                .map(|e| json_of(views::AuditView::from(e)))
                .collect(),
        ),
        if text.is_empty() {
            "the audit trail is empty".to_owned()
        } else {
            text
        },
    );
    Ok(())
}

fn init_logging(format: LogFormat, serving: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(if serving { "info,sqlx=warn" } else { "warn" })
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

struct Output {
    json: bool,
}

impl Output {
    fn print(&self, value: Value, text: impl std::fmt::Display) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        } else {
            println!("{text}");
        }
    }
}

async fn serve(opened: &startup::Opened) -> anyhow::Result<()> {
    let (hub, generated_keys) = (opened.hub.clone(), opened.generated_keys);
    let listen = hub.settings().server.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    if hub.settings().api.test_mode {
        tracing::warn!(
            "API test mode is on: http return URLs on loopback hosts are accepted; set api.test_mode = false in production"
        );
    }
    if hub.settings().sandboxes_enabled() {
        tracing::warn!(
            "sandbox providers are on (demo or test mode): anyone can verify as a test identity; turn demo.partner and api.test_mode off in production"
        );
    }
    let shutdown = shutdown_signal();
    let demo = startup::ensure_demo_partner(&hub).await?;
    let running = startup::serve(opened, listener).await?;
    let base = hub.settings().public_base().to_owned();
    println!(
        "idgate is running on http://{} (public URL {base})",
        running.addr
    );
    println!(
        "  database: {}",
        idgate_hub::settings::redact_password(&hub.settings().database.url)
    );
    if generated_keys {
        println!(
            "  key file: {} (created now; back it up with the database)",
            hub.settings().keys.file.display()
        );
    }
    println!("  API docs: {base}/api/v1/docs/");
    match demo {
        Some(demo) => print_demo(&demo, &base),
        None if hub.settings().demo.partner => println!(
            "  demo partner: created on the first start (its credentials were printed then); \
             `idgate partner create NAME` creates another partner with fresh credentials"
        ),
        None => {}
    }
    println!("Press Ctrl-C to stop.");
    shutdown.await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}

fn print_demo(demo: &DemoPartner, base: &str) {
    println!();
    println!("Demo partner created. Its credentials are shown this once (stored hashed):");
    println!("  partner id:    {}", demo.partner.id);
    for credential in &demo.credentials {
        println!("  {} ({base}{}):", credential.title, credential.base_path);
        println!("{}", credential.text_lines("    "));
    }
    println!("  return URL:      {} (approved)", demo.return_url);
    if let Some((operator, token)) = &demo.operator {
        println!("Operator console ({base}/console), an admin, shown once:");
        println!("  username:        {}", operator.operator.username);
        println!("  password:        {}", operator.password);
        println!(
            "  TOTP key:        {} (type it into an authenticator app, or open {})",
            operator.totp_secret, operator.totp_uri
        );
        println!("  admin API token: {token} ({base}/admin/v1)");
    }
    println!();
    println!("Create a verification flow, then open its verification_url in a browser:");
    println!(
        "curl -s -X POST {base}/api/v1/users/42/verification/flows -H 'Authorization: Bearer {}' -H 'API-key: {}' -H 'Content-Type: application/json' -d '{{\"provider\":\"veriff\",\"id_type\":\"local\",\"partner_return_url\":\"{}\"}}'",
        demo.secret(CredentialKind::EasyFreelance, "access_token"),
        demo.secret(CredentialKind::EasyFreelance, "api_key"),
        demo.return_url
    );
    println!("or, in the Hopae dialect (QR flow; open flowDetails.authorizationUrl):");
    println!(
        "curl -s -X POST {base}/connect/v1/verifications -u '{}:{}' -H 'Content-Type: application/json' -d '{{\"providerId\":\"sandbox-qr\",\"redirectUri\":\"{}\"}}'",
        demo.secret(CredentialKind::Hopae, "client_id"),
        demo.secret(CredentialKind::Hopae, "client_secret"),
        demo.return_url
    );
    println!("and its app's webhook, redirect URIs and secret through Hopae's workspace API:");
    println!(
        "curl -s {base}/connect/v1/apps/{}/webhook-config -H 'Authorization: Bearer {}'",
        demo.secret(CredentialKind::Hopae, "client_id"),
        demo.secret(CredentialKind::HopaeWorkspace, "workspace_key"),
    );
    println!("or, as Veriff's API (open verification.url):");
    println!(
        "curl -s -X POST {base}/v1/sessions -H 'X-AUTH-CLIENT: {}' -H 'Content-Type: application/json' -d '{{\"verification\":{{\"callback\":\"{}\",\"vendorData\":\"demo-1\"}}}}'",
        demo.secret(CredentialKind::Veriff, "api_key"),
        demo.return_url
    );
    println!("or, as deepidv's API (open session_url):");
    println!(
        "curl -s -X POST {base}/v1/sessions -H 'x-api-key: {}' -H 'Content-Type: application/json' -d '{{\"first_name\":\"Jane\",\"last_name\":\"Doe\",\"email\":\"jane@example.com\",\"phone\":\"+15192223333\",\"redirect_url\":\"{}\"}}'",
        demo.secret(CredentialKind::DeepIdv, "api_key"),
        demo.return_url
    );
}

/// Resolves on Ctrl-C or SIGTERM. The SIGTERM handler is installed when this is called, so
/// call it before announcing readiness.
fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        #[cfg(unix)]
        let term = async {
            match term.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            () = term => {},
        }
    }
}

fn partner_json(p: &idgate_core::Partner) -> Value {
    json_of(views::PartnerView::from(p))
}

async fn partner(hub: &Hub, cmd: PartnerCommand, out: Output) -> anyhow::Result<()> {
    match cmd {
        PartnerCommand::Create {
            name,
            tier,
            sessions_per_minute,
        } => {
            let tier: Tier = tier.parse().map_err(anyhow::Error::msg)?;
            if tier == Tier::Custom && sessions_per_minute.is_none() {
                anyhow::bail!("a custom tier needs its own cap: give --sessions-per-minute N");
            }
            let (mut partner, credentials) = hub
                .create_partner_as(idgate_hub::service::operators::AuditActor::Cli, &name, tier)
                .await?;
            if let Some(cap) = sessions_per_minute {
                partner = hub
                    .set_partner_tier_as(
                        idgate_hub::service::operators::AuditActor::Cli,
                        partner.id,
                        tier,
                        Some(cap),
                    )
                    .await?;
            }
            // The partner's view (as `partner list` and the admin API give it), its new
            // credentials by kind, and `partner_id`, as earlier versions printed.
            let mut value = partner_json(&partner);
            value["partner_id"] = json!(partner.id.to_string());
            let mut text = format!(
                "partner {} ({}, {}, {} sessions/min)",
                partner.id,
                partner.name,
                partner.tier,
                partner.sessions_per_minute()
            );
            for credential in &credentials {
                value[credential.kind.as_str()] = credential.to_json();
                text.push_str(&format!(
                    "\n  {} credential {}:\n{}",
                    credential.title,
                    credential.id,
                    credential.text_lines("    ")
                ));
            }
            text.push_str(
                "\nThe credentials are shown this once; idgate keeps only their digests.",
            );
            out.print(value, text);
        }
        PartnerCommand::Credential(cmd) => credential(hub, cmd, out).await?,
        PartnerCommand::Workflow(cmd) => workflow(hub, cmd, out).await?,
        PartnerCommand::Tokens(cmd) => tokens(hub, cmd, out).await?,
        PartnerCommand::Update {
            partner_id,
            tier,
            sessions_per_minute,
            evidence,
            frame_ancestors,
            no_frame_ancestors,
            offered_providers,
            no_offered_providers,
            return_urls,
        } => {
            let id = partner_id_arg(hub, &partner_id).await?;
            let frame_ancestors = if no_frame_ancestors {
                Some(Vec::new())
            } else if frame_ancestors.is_empty() {
                None
            } else {
                Some(
                    frame_ancestors
                        .iter()
                        .map(|o| o.parse::<FrameAncestor>())
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(anyhow::Error::msg)?,
                )
            };
            let change = PartnerChange {
                tier: tier
                    .map(|t| t.parse::<Tier>())
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                session_cap: sessions_per_minute.map(|n| (n > 0).then_some(n)),
                evidence: evidence
                    .map(|e| e.parse::<EvidenceDisclosure>())
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                frame_ancestors,
                offered_providers: if no_offered_providers {
                    Some(Vec::new())
                } else {
                    (!offered_providers.is_empty()).then_some(offered_providers)
                },
                return_urls: return_urls
                    .map(|r| r.parse::<ReturnUrlPolicy>())
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                ..PartnerChange::default()
            };
            let p = hub.update_partner(id, change).await?;
            audited(
                hub,
                "partner.update",
                format!("partner:{id}"),
                json!({"after": partner_json(&p)}),
            )
            .await?;
            out.print(
                partner_json(&p),
                format!(
                    "partner {} ({}): {}, {} sessions/min, {} evidence, embeddable by {}",
                    p.id,
                    p.name,
                    p.tier,
                    p.sessions_per_minute(),
                    p.evidence.as_str(),
                    if p.frame_ancestors.is_empty() {
                        "no page".to_owned()
                    } else {
                        p.frame_ancestors
                            .iter()
                            .map(FrameAncestor::as_str)
                            .collect::<Vec<_>>()
                            .join(" ")
                    }
                ),
            );
        }
        PartnerCommand::Brand {
            partner_id,
            display_name,
            color,
            support,
            privacy_url,
            language,
            logo,
        } => {
            let id = partner_id_arg(hub, &partner_id).await?;
            // An empty value removes the setting.
            let setting = |v: Option<String>| v.map(|v| Some(v).filter(|v| !v.trim().is_empty()));
            let change = PartnerChange {
                display_name: setting(display_name),
                primary_color: setting(color),
                support_contact: setting(support),
                privacy_url: setting(privacy_url),
                language: setting(language),
                ..PartnerChange::default()
            };
            let mut p = hub.update_partner(id, change).await?;
            if let Some(path) = logo {
                let bytes = std::fs::read(&path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                p = hub.set_partner_logo(id, bytes).await?;
            }
            audited(
                hub,
                "partner.brand",
                format!("partner:{id}"),
                json!({"after": p.branding}),
            )
            .await?;
            let b = &p.branding;
            let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
            out.print(
                partner_json(&p),
                format!(
                    "partner {} brand: name {}, colour {}, support {}, privacy {}, language {}, logo {}",
                    p.id,
                    b.display_name.clone().unwrap_or_else(|| p.name.clone()),
                    shown(&b.primary_color),
                    shown(&b.support_contact),
                    shown(&b.privacy_url),
                    shown(&b.language),
                    shown(&b.logo_type),
                ),
            );
        }
        PartnerCommand::List => {
            let partners = hub.operator().store().list_partners().await?;
            let rows: Vec<Value> = partners.iter().map(partner_json).collect();
            let text = partners
                .iter()
                .map(|p| {
                    format!(
                        "{}  {:<12} {:>6}/min  {:<8} {}",
                        p.id,
                        p.tier,
                        p.sessions_per_minute(),
                        p.evidence.as_str(),
                        p.name
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            out.print(
                Value::Array(rows),
                if text.is_empty() {
                    "no partners".to_owned()
                } else {
                    text
                },
            );
        }
    }
    Ok(())
}

fn credential_json(c: &Credential) -> Value {
    json_of(views::CredentialView::from(c))
}

fn credential_line(c: &Credential) -> String {
    let state = match c.revoked_at {
        None => "live".to_owned(),
        Some(at) if at > chrono::Utc::now() => format!("revoked from {at}"),
        Some(at) => format!("revoked {at}"),
    };
    format!(
        "{}  {:<13} {}  {state}",
        c.id,
        c.kind.as_str(),
        c.created_at
    )
}

fn token_entry_json(e: &TokenEntry) -> Value {
    json_of(views::TokenEntryView::from(e))
}

async fn tokens(hub: &Hub, cmd: TokensCommand, out: Output) -> anyhow::Result<()> {
    match cmd {
        TokensCommand::TopUp {
            partner_id,
            tokens,
            note,
        } => {
            let id = partner_id_arg(hub, &partner_id).await?;
            let entry = hub
                .top_up_as(
                    idgate_hub::service::operators::AuditActor::Cli,
                    id,
                    tokens,
                    note,
                )
                .await?;
            out.print(
                token_entry_json(&entry),
                format!(
                    "credited {} token(s); the balance is {}",
                    entry.delta, entry.balance_after
                ),
            );
        }
        TokensCommand::Show { partner_id, limit } => {
            let id = partner_id_arg(hub, &partner_id).await?;
            let (balance, history) = hub.tokens(id, limit).await?;
            let mut text = format!("balance {balance}");
            for e in &history {
                text.push_str(&format!(
                    "\n  {}  {:<7} {:>+6} → {:<6} {}",
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    e.kind.as_str(),
                    e.delta,
                    e.balance_after,
                    e.session_id
                        .map(|s| format!("session {s}"))
                        .or_else(|| e.note.clone())
                        .unwrap_or_default()
                ));
            }
            out.print(
                json!({
                    "balance": balance,
                    "history": history.iter().map(token_entry_json).collect::<Vec<_>>(),
                }),
                text,
            );
        }
    }
    Ok(())
}

async fn workflow(hub: &Hub, cmd: WorkflowCommand, out: Output) -> anyhow::Result<()> {
    match cmd {
        WorkflowCommand::Add {
            partner_id,
            name,
            providers,
            steps,
        } => {
            let id = partner_id_arg(hub, &partner_id).await?;
            let steps = steps.into_iter().map(|s| (s, None)).collect();
            let w = hub.add_workflow(id, &name, providers, steps).await?;
            audited(
                hub,
                "partner.workflow_add",
                format!("partner:{id}"),
                json!({"workflow": w.id, "name": w.name}),
            )
            .await?;
            out.print(
                serde_json::to_value(&w)?,
                format!(
                    "workflow {} ({}): providers {}, steps {}",
                    w.id,
                    w.name,
                    w.providers.join(" "),
                    if w.steps.is_empty() {
                        "-".to_owned()
                    } else {
                        w.steps.join(" ")
                    }
                ),
            );
        }
        WorkflowCommand::List { partner_id } => {
            let id = partner_id_arg(hub, &partner_id).await?;
            let partner = hub.partner(id).await?;
            let text = partner
                .workflows
                .iter()
                .map(|w| format!("{}  {}  {}", w.id, w.name, w.providers.join(" ")))
                .collect::<Vec<_>>()
                .join("\n");
            out.print(
                serde_json::to_value(&partner.workflows)?,
                if text.is_empty() {
                    "no workflows".to_owned()
                } else {
                    text
                },
            );
        }
        WorkflowCommand::Remove {
            partner_id,
            workflow_id,
        } => {
            let id = partner_id_arg(hub, &partner_id).await?;
            hub.remove_workflow(id, &workflow_id).await?;
            audited(
                hub,
                "partner.workflow_remove",
                format!("partner:{id}"),
                json!({"workflow": workflow_id}),
            )
            .await?;
            out.print(
                json!({"removed": workflow_id}),
                format!("workflow {workflow_id} removed"),
            );
        }
    }
    Ok(())
}

async fn credential(hub: &Hub, cmd: CredentialCommand, out: Output) -> anyhow::Result<()> {
    let credential_id = |text: &str| -> anyhow::Result<CredentialId> {
        text.parse()
            .map_err(|_| anyhow::anyhow!("{text:?} is not a credential id"))
    };
    match cmd {
        CredentialCommand::Issue { partner_id, kind } => {
            let id = partner_id_arg(hub, &partner_id).await?;
            let kind: CredentialKind = kind.parse().map_err(anyhow::Error::msg)?;
            let issued = hub
                .issue_credential_as(idgate_hub::service::operators::AuditActor::Cli, id, kind)
                .await?;
            out.print(
                json!({"partner_id": id.to_string(), kind.as_str(): issued.to_json()}),
                format!(
                    "{} credential {} for {id}\n{}\nShown this once.",
                    issued.title,
                    issued.id,
                    issued.text_lines("  ")
                ),
            );
        }
        CredentialCommand::List { partner_id } => {
            let id = partner_id_arg(hub, &partner_id).await?;
            let credentials = hub.partner_credentials(id).await?;
            let text = credentials
                .iter()
                .map(credential_line)
                .collect::<Vec<_>>()
                .join("\n");
            out.print(
                Value::Array(credentials.iter().map(credential_json).collect()),
                text,
            );
        }
        CredentialCommand::Revoke {
            credential_id: text,
        } => {
            let revoked = hub
                .revoke_credential_as(
                    idgate_hub::service::operators::AuditActor::Cli,
                    credential_id(&text)?,
                )
                .await?;
            out.print(
                credential_json(&revoked),
                format!(
                    "credential {} revoked; nodes that cached it refuse it within {} s",
                    revoked.id,
                    hub.config().credential_cache_ttl.as_secs()
                ),
            );
        }
        CredentialCommand::Rotate {
            credential_id: text,
            grace,
        } => {
            let grace = idgate_hub::settings::parse_duration("--grace", &grace)?;
            let (issued, old) = hub.rotate_credential(credential_id(&text)?, grace).await?;
            audited(
                hub,
                "credential.rotate",
                format!("credential:{}", old.id),
                json!({"replacement": issued.id, "old_works_until": old.revoked_at}),
            )
            .await?;
            out.print(
                json!({
                    "partner_id": old.partner_id.to_string(),
                    old.kind.as_str(): issued.to_json(),
                    "revoked": credential_json(&old),
                }),
                format!(
                    "{} credential {} replaces {} (which works until {})\n{}\nShown this once.",
                    issued.title,
                    issued.id,
                    old.id,
                    old.revoked_at.map(|t| t.to_string()).unwrap_or_default(),
                    issued.text_lines("  ")
                ),
            );
        }
    }
    Ok(())
}

/// A partner id argument naming an existing partner.
async fn partner_id_arg(hub: &Hub, text: &str) -> anyhow::Result<PartnerId> {
    let id: PartnerId = text
        .parse()
        .map_err(|_| anyhow::anyhow!("{text:?} is not a partner id"))?;
    if hub.operator().store().get_partner(id).await?.is_none() {
        anyhow::bail!("no partner {id}");
    }
    Ok(id)
}

fn rule_json(r: &ReturnUrlRule) -> Value {
    json_of(views::ReturnUrlView::from(r))
}

/// One line per rule, with the host as browsers send it (punycode) and a warning for hosts an
/// operator should look at twice before approving.
fn rule_line(r: &ReturnUrlRule) -> String {
    let review = idgate_core::review_host(&r.requested_url);
    let host = review
        .as_ref()
        .map_or_else(|| "?".to_owned(), |h| h.ascii.clone());
    let warning = match &review {
        Some(h) if h.mixed_script => "  WARNING: mixed scripts in the host (look-alike?)",
        Some(h) if h.internationalised => "  note: internationalised host",
        _ => "",
    };
    format!(
        "{}  {:<8}  partner {}  host {}  {}{warning}",
        r.id,
        r.status,
        r.partner_id,
        host,
        r.requested_url.escape_debug()
    )
}

async fn return_url(hub: &Hub, cmd: ReturnUrlCommand, out: Output) -> anyhow::Result<()> {
    match cmd {
        ReturnUrlCommand::List { status } => {
            let status = status
                .map(|s| s.parse::<ReturnUrlStatus>())
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let rules = hub.list_return_urls(status).await?;
            let text = rules.iter().map(rule_line).collect::<Vec<_>>().join("\n");
            out.print(
                Value::Array(rules.iter().map(rule_json).collect()),
                if text.is_empty() {
                    "no return URLs".to_owned()
                } else {
                    text
                },
            );
        }
        ReturnUrlCommand::Approve { id } | ReturnUrlCommand::Reject { id }
            if id.parse::<uuid::Uuid>().is_err() =>
        {
            bail!("{id:?} is not a return-URL id (a UUID); see `idgate return-url list`");
        }
        ReturnUrlCommand::Approve { id } => {
            let rule = hub
                .decide_return_url_as(
                    idgate_hub::service::operators::AuditActor::Cli,
                    id.parse()?,
                    ReturnUrlStatus::Approved,
                )
                .await?;
            out.print(rule_json(&rule), format!("approved: {}", rule_line(&rule)));
        }
        ReturnUrlCommand::Reject { id } => {
            let rule = hub
                .decide_return_url_as(
                    idgate_hub::service::operators::AuditActor::Cli,
                    id.parse()?,
                    ReturnUrlStatus::Rejected,
                )
                .await?;
            out.print(rule_json(&rule), format!("rejected: {}", rule_line(&rule)));
        }
    }
    Ok(())
}

fn session_json(s: &Session, events: &[SessionEvent], invites: &[Invite]) -> Value {
    json!({
        "id": s.id.to_string(),
        "partner_id": s.partner_id.to_string(),
        "dialect": s.dialect.as_str(),
        "provider_id": s.provider_id,
        "status": s.status.as_str(),
        "reason": s.reason,
        "created_at": s.created_at,
        "expires_at": s.expires_at,
        "decided_at": s.decided_at,
        "events": events.iter().map(|e| json!({
            "seq": e.seq,
            "at": e.at,
            "actor": e.actor.as_str(),
            "event": e.event.map(|ev| ev.as_str()),
            "from": e.from_status.map(|st| st.as_str()),
            "to": e.to_status.as_str(),
            "reason": e.reason,
        })).collect::<Vec<_>>(),
        "invites": invites.iter().map(|i| json!({
            "id": i.id.to_string(),
            "channel": i.channel.as_str(),
            "status": i.status.as_str(),
            "attempts": i.attempts,
            "created_at": i.created_at,
            "sent_at": i.sent_at,
            "next_attempt_at": (i.status == InviteStatus::Pending).then_some(i.next_attempt_at),
            "reference": i.reference,
            "last_error": i.last_error,
        })).collect::<Vec<_>>(),
    })
}

async fn show_session(hub: &Hub, id: &str, out: Output) -> anyhow::Result<()> {
    let id = id
        .parse()
        .map_err(|_| anyhow::anyhow!("{id:?} is not a session id (a UUID)"))?;
    // The same audited read as the console's session page.
    let (session, events) = hub
        .session_as(idgate_hub::service::operators::AuditActor::Cli, id)
        .await?;
    let invites = hub.invites(id).await?;
    let mut text = format!(
        "session {}  {}  provider {}  partner {}\n  created {}  expires {}",
        session.id,
        session.status,
        session.provider_id,
        session.partner_id,
        session.created_at,
        session.expires_at
    );
    if let Some(reason) = &session.reason {
        text.push_str(&format!("\n  reason {reason}"));
    }
    for e in &events {
        text.push_str(&format!(
            "\n  #{:<3} {}  {:<9} {:>22} → {}{}",
            e.seq,
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.actor.as_str(),
            e.from_status.map_or("", |s| s.as_str()),
            e.to_status,
            e.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
    }
    for i in &invites {
        let when = i.sent_at.unwrap_or(i.created_at);
        text.push_str(&format!(
            "\n  invite {}  {:<5} {:<7} {} attempt(s){}",
            when.format("%Y-%m-%d %H:%M:%S"),
            i.channel.as_str(),
            i.status.as_str(),
            i.attempts,
            i.last_error
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
    }
    out.print(session_json(&session, &events, &invites), text);
    Ok(())
}

fn endpoint_json(e: &WebhookEndpoint) -> Value {
    json_of(views::EndpointView::from(e))
}

fn endpoint_line(e: &WebhookEndpoint) -> String {
    let state = if e.enabled {
        "enabled".to_owned()
    } else {
        format!("disabled ({})", e.disabled_reason.as_deref().unwrap_or("-"))
    };
    let events = if e.event_types.is_empty() {
        "all events".to_owned()
    } else {
        e.event_types.join(",")
    };
    format!(
        "{}  partner {}  {}  {}  [{}]",
        e.id, e.partner_id, e.url, state, events
    )
}

fn rfc3339(field: &str, text: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| {
            anyhow::anyhow!(
                "--{field} {text:?} is not an RFC 3339 time such as 2026-11-23T10:00:00Z"
            )
        })
}

async fn webhook(hub: &Hub, cmd: WebhookCommand, out: Output) -> anyhow::Result<()> {
    let endpoint_id = |id: &str| -> anyhow::Result<EndpointId> {
        id.parse().map_err(|_| {
            anyhow::anyhow!("{id:?} is not an endpoint id (ep_…); see `idgate webhook list`")
        })
    };
    match cmd {
        WebhookCommand::Add {
            partner,
            url,
            events,
            include_claims,
            ed25519,
            integration,
        } => {
            let signing_credential = integration
                .map(|id| {
                    id.parse::<CredentialId>().map_err(|_| {
                        anyhow::anyhow!(
                            "{id:?} is not a credential id; see `idgate partner credential list`"
                        )
                    })
                })
                .transpose()?;
            let partner_id: PartnerId = partner.parse().map_err(|_| {
                anyhow::anyhow!("{partner:?} is not a partner id; see `idgate partner list`")
            })?;
            if hub
                .operator()
                .store()
                .get_partner(partner_id)
                .await?
                .is_none()
            {
                bail!("partner {partner_id} not found");
            }
            let new = NewEndpoint {
                url,
                event_types: events,
                include_claims,
                sign_ed25519: ed25519,
                signing_credential,
            };
            let (endpoint, secret) = hub.add_webhook_endpoint(partner_id, new).await?;
            audited(
                hub,
                "webhook.add",
                format!("webhook_endpoint:{}", endpoint.id),
                json!({"partner": partner_id, "url": endpoint.url}),
            )
            .await?;
            let mut value = endpoint_json(&endpoint);
            value["secret"] = json!(secret);
            out.print(
                value,
                format!(
                    "{}\n  signing secret: {secret}\nThe secret is shown this once.",
                    endpoint_line(&endpoint)
                ),
            );
        }
        WebhookCommand::List { partner } => {
            let partner = partner
                .map(|p| {
                    p.parse::<PartnerId>()
                        .map_err(|_| anyhow::anyhow!("{p:?} is not a partner id"))
                })
                .transpose()?;
            let endpoints = hub.webhook_endpoints(partner).await?;
            let text = endpoints
                .iter()
                .map(endpoint_line)
                .collect::<Vec<_>>()
                .join("\n");
            out.print(
                Value::Array(endpoints.iter().map(endpoint_json).collect()),
                if text.is_empty() {
                    "no webhook endpoints".to_owned()
                } else {
                    text
                },
            );
        }
        WebhookCommand::Disable { id } | WebhookCommand::Enable { id }
            if endpoint_id(&id).is_err() =>
        {
            endpoint_id(&id)?;
        }
        WebhookCommand::Disable { id } => {
            let endpoint = hub.webhook_endpoint(None, endpoint_id(&id)?).await?;
            let patch = EndpointPatch {
                enabled: Some(false),
                ..EndpointPatch::default()
            };
            let endpoint = hub.update_webhook_endpoint(endpoint, patch).await?;
            audited(
                hub,
                "webhook.disable",
                format!("webhook_endpoint:{}", endpoint.id),
                json!({}),
            )
            .await?;
            out.print(endpoint_json(&endpoint), endpoint_line(&endpoint));
        }
        WebhookCommand::Enable { id } => {
            let endpoint = hub.webhook_endpoint(None, endpoint_id(&id)?).await?;
            let patch = EndpointPatch {
                enabled: Some(true),
                ..EndpointPatch::default()
            };
            let endpoint = hub.update_webhook_endpoint(endpoint, patch).await?;
            audited(
                hub,
                "webhook.enable",
                format!("webhook_endpoint:{}", endpoint.id),
                json!({}),
            )
            .await?;
            out.print(endpoint_json(&endpoint), endpoint_line(&endpoint));
        }
        WebhookCommand::RotateSecret { id } => {
            let endpoint = hub.webhook_endpoint(None, endpoint_id(&id)?).await?;
            let (endpoint, secret) = hub.rotate_webhook_secret(endpoint).await?;
            audited(
                hub,
                "webhook.rotate_secret",
                format!("webhook_endpoint:{}", endpoint.id),
                json!({}),
            )
            .await?;
            let mut value = endpoint_json(&endpoint);
            value["secret"] = json!(secret);
            out.print(value, format!("new signing secret: {secret}\nOlder secrets keep signing until their expiry; the new one is shown this once."));
        }
        WebhookCommand::Test { id } => {
            let endpoint = hub.webhook_endpoint(None, endpoint_id(&id)?).await?;
            let (event, delivery) = hub.send_test_event(&endpoint).await?;
            audited(
                hub,
                "webhook.test",
                format!("webhook_endpoint:{}", endpoint.id),
                json!({"event": event.to_string()}),
            )
            .await?;
            out.print(
                json!({"event_id": event.to_string(), "delivery_id": delivery.to_string()}),
                format!(
                    "queued test event {event}; a running idgate sends it within its poll interval"
                ),
            );
        }
        WebhookCommand::Deliveries { id, status, limit } => {
            let endpoint = hub.webhook_endpoint(None, endpoint_id(&id)?).await?;
            let status = status
                .map(|s| s.parse::<DeliveryStatus>())
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let deliveries = hub
                .operator()
                .store()
                .list_deliveries(endpoint.id, status, limit)
                .await?;
            let rows: Vec<Value> = deliveries
                .iter()
                .map(|d| json_of(views::DeliveryView::from(d)))
                .collect();
            let text = deliveries
                .iter()
                .map(|d| {
                    format!(
                        "{}  {}  {:<9} attempts {}  last {}",
                        d.id,
                        d.event_id,
                        d.status.as_str(),
                        d.attempts,
                        d.last_status_code.map_or_else(
                            || d.last_error.clone().unwrap_or_else(|| "-".into()),
                            |c| c.to_string()
                        ),
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            out.print(
                Value::Array(rows),
                if text.is_empty() {
                    "no deliveries".to_owned()
                } else {
                    text
                },
            );
        }
        WebhookCommand::Redeliver {
            id,
            event,
            since,
            until,
        } => {
            let endpoint = hub.webhook_endpoint(None, endpoint_id(&id)?).await?;
            let which = match (event, since) {
                (Some(event), None) => Redeliver::Event(event.parse().map_err(anyhow::Error::msg)?),
                (None, Some(since)) => Redeliver::DeadBetween {
                    since: rfc3339("since", &since)?,
                    until: until
                        .as_deref()
                        .map(|u| rfc3339("until", u))
                        .transpose()?
                        .unwrap_or_else(chrono::Utc::now),
                },
                _ => bail!("give either --event EVENT_ID, or --since TIME [--until TIME]"),
            };
            let queued = hub.redeliver(&endpoint, which).await?;
            audited(
                hub,
                "webhook.redeliver",
                format!("webhook_endpoint:{}", endpoint.id),
                json!({"queued": queued}),
            )
            .await?;
            out.print(
                json!({"queued": queued}),
                format!("queued {queued} deliveries again"),
            );
        }
    }
    Ok(())
}
