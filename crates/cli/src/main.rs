//! `idgate`: the hub's command line. `idgate` (or `idgate serve`) runs the server; the other
//! subcommands administer the same database. Every admin command takes `--json`.

mod config;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use idgate_core::{ReturnUrlRule, ReturnUrlStatus, Session, SessionEvent, Tier};
use idgate_server::service::Hub;
use idgate_server::settings::LogFormat;
use idgate_server::startup::{self, DemoPartner};
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
    /// Create a partner and print its EasyFreelance credentials (shown once).
    Create {
        name: String,
        #[arg(long, default_value = "self-serve", value_parser = ["enterprise", "self-serve"])]
        tier: String,
    },
    /// List partners.
    List,
}

#[derive(Subcommand)]
enum ReturnUrlCommand {
    /// List return-URL registrations.
    List {
        #[arg(long, value_parser = ["pending", "approved", "rejected"])]
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
    if let Command::Config = command {
        println!("{}", serde_json::to_string_pretty(&settings)?);
        return Ok(());
    }
    let opened = startup::open(settings).await?;
    let hub = opened.hub;
    let out = Output { json: cli.json };
    match command {
        Command::Serve(_) => serve(hub, opened.generated_keys).await,
        Command::Migrate => {
            // `open` has migrated already.
            out.print(json!({"migrated": true}), "database is up to date");
            Ok(())
        }
        Command::Config => Ok(()),
        Command::Partner(cmd) => partner(&hub, cmd, out).await,
        Command::ReturnUrl(cmd) => return_url(&hub, cmd, out).await,
        Command::Session(SessionCommand::Show { id }) => show_session(&hub, &id, out).await,
    }
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

async fn serve(hub: std::sync::Arc<Hub>, generated_keys: bool) -> anyhow::Result<()> {
    let listen = hub.settings.server.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    if hub.settings.api.test_mode {
        tracing::warn!(
            "API test mode is on: http return URLs on loopback hosts are accepted; set api.test_mode = false in production"
        );
    }
    let shutdown = shutdown_signal();
    let demo = startup::ensure_demo_partner(&hub).await?;
    let running = startup::serve(hub.clone(), listener).await?;
    let base = hub.settings.public_base().to_owned();
    println!(
        "idgate is running on http://{} (public URL {base})",
        running.addr
    );
    println!("  database: {}", hub.settings.database.url);
    if generated_keys {
        println!(
            "  key file: {} (created now; back it up with the database)",
            hub.settings.keys.file.display()
        );
    }
    println!("  API docs: {base}/api/v1/docs/");
    if let Some(demo) = demo {
        print_demo(&demo, &base);
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
    println!("  access token:  {}", demo.secrets.access_token);
    println!("  API-key:       {}", demo.secrets.api_key);
    println!("  return URL:    {} (approved)", demo.return_url);
    println!();
    println!("Create a verification flow, then open its verification_url in a browser:");
    println!(
        "curl -s -X POST {base}/api/v1/users/42/verification/flows -H 'Authorization: Bearer {}' -H 'API-key: {}' -H 'Content-Type: application/json' -d '{{\"provider\":\"veriff\",\"id_type\":\"local\",\"partner_return_url\":\"{}\"}}'",
        demo.secrets.access_token, demo.secrets.api_key, demo.return_url
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

async fn partner(hub: &Hub, cmd: PartnerCommand, out: Output) -> anyhow::Result<()> {
    match cmd {
        PartnerCommand::Create { name, tier } => {
            let tier: Tier = tier.parse().map_err(anyhow::Error::msg)?;
            let (partner, secrets) = hub.create_partner(&name, tier).await?;
            out.print(
                json!({
                    "partner_id": partner.id.to_string(),
                    "name": partner.name,
                    "tier": partner.tier.as_str(),
                    "easyfreelance": {
                        "access_token": secrets.access_token,
                        "api_key": secrets.api_key,
                    }
                }),
                format!(
                    "partner {} ({}, {})\n  access token: {}\n  API-key:      {}\nThe credentials are shown this once; idgate keeps only their digests.",
                    partner.id, partner.name, partner.tier, secrets.access_token, secrets.api_key
                ),
            );
        }
        PartnerCommand::List => {
            let partners = hub.store.list_partners().await?;
            let rows: Vec<Value> = partners
                .iter()
                .map(|p| json!({"id": p.id.to_string(), "name": p.name, "tier": p.tier.as_str(), "created_at": p.created_at}))
                .collect();
            let text = partners
                .iter()
                .map(|p| format!("{}  {:<12} {}", p.id, p.tier, p.name))
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

fn rule_json(r: &ReturnUrlRule) -> Value {
    json!({
        "id": r.id.to_string(),
        "partner_id": r.partner_id.to_string(),
        "status": r.status.as_str(),
        "requested_url": r.requested_url,
        "requested_at": r.requested_at,
        "decided_at": r.decided_at,
    })
}

fn rule_line(r: &ReturnUrlRule) -> String {
    format!(
        "{}  {:<8}  partner {}  {}",
        r.id, r.status, r.partner_id, r.requested_url
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
                .decide_return_url(id.parse()?, ReturnUrlStatus::Approved)
                .await?;
            out.print(rule_json(&rule), format!("approved: {}", rule_line(&rule)));
        }
        ReturnUrlCommand::Reject { id } => {
            let rule = hub
                .decide_return_url(id.parse()?, ReturnUrlStatus::Rejected)
                .await?;
            out.print(rule_json(&rule), format!("rejected: {}", rule_line(&rule)));
        }
    }
    Ok(())
}

fn session_json(s: &Session, events: &[SessionEvent]) -> Value {
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
    })
}

async fn show_session(hub: &Hub, id: &str, out: Output) -> anyhow::Result<()> {
    let id = id
        .parse()
        .map_err(|_| anyhow::anyhow!("{id:?} is not a session id (a UUID)"))?;
    let session = hub.session(id).await?;
    let events = hub.timeline(id).await?;
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
    out.print(session_json(&session, &events), text);
    Ok(())
}
