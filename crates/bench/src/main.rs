//! `idgate-bench`: one invocation measures idgate (a release binary it starts, never builds)
//! and, in the same run, the ceilings it is judged against: a bare HTTP handler behind the same
//! server stack, and durable single-row inserts with the same database settings. The load
//! generator runs on another CPU than the server where the machine allows it. Everything
//! talks to loopback only, and every loop is bounded in time.
//!
//! ```sh
//! cargo build --release -p idgate -p idgate-bench
//! target/release/idgate-bench                 # SQLite; JSON to bench-results.json
//! target/release/idgate-bench --scale         # + poll latency and create rate at 10k/100k/1M
//! target/release/idgate-bench --expiry 100000 # + a sweep of N sessions due at once
//! target/release/idgate-bench --webhook-fairness --out docs/bench/webhook-fairness.json
//! ```

mod ceilings;
mod client;
mod deepidv;
mod fairness;
mod load;
mod preload;
mod process;
mod veriff;

use anyhow::Context;
use bytes::Bytes;
use clap::{Parser, Subcommand};
use client::{Headers, LoadClient, easyfreelance_headers, path_of};
use hyper::{Method, StatusCode};
use load::{Measured, closed_loop, open_loop, open_loop_runs, sustainable_rate};

/// How long each probe for the sustainable rate runs.
const PROBE: Duration = Duration::from_secs(2);
use serde::Serialize;
use serde_json::json;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "idgate-bench",
    about = "Benchmark idgate against same-run ceilings"
)]
struct Args {
    /// The idgate binary to run (build it with `cargo build --release -p idgate`).
    #[arg(long, default_value = "target/release/idgate")]
    idgate: PathBuf,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Run idgate on this PostgreSQL database (a fresh schema) instead of SQLite.
    #[arg(long)]
    postgres: Option<String>,
    /// Where to write the JSON results.
    #[arg(long, default_value = "bench-results.json")]
    out: PathBuf,
    /// Also measure status polls and creations with 10k, 100k and 1M stored sessions (SQLite).
    #[arg(long)]
    scale: bool,
    /// Stored-session counts for --scale.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    scale_sizes: Vec<usize>,
    /// Also expire this many sessions due at once and measure the sweep (SQLite).
    #[arg(long)]
    expiry: Option<usize>,
    /// Open-loop latency measurements per "at 80 %" row; the run with the median p99 is
    /// reported, and every run's p99 is kept in the JSON.
    #[arg(long, default_value_t = 3)]
    latency_runs: usize,
    /// Seconds of status polls after the workloads, with idgate's resident memory before and
    /// after (it must not grow with the number of requests served); 0 skips it.
    #[arg(long, default_value_t = 30.0)]
    soak_seconds: f64,
    /// Only the webhook-fairness scenario: partner B's event latency while partner A's receiver
    /// never answers, with the per-endpoint cap at 2 and at 8 (the node's slots).
    #[arg(long)]
    webhook_fairness: bool,
    #[command(subcommand)]
    internal: Option<Internal>,
}

/// Pieces the harness runs in pinned child processes.
#[derive(Subcommand)]
enum Internal {
    #[command(hide = true)]
    BareHttp,
    #[command(hide = true)]
    Inserts {
        #[arg(long)]
        url: String,
        #[arg(long)]
        seconds: f64,
    },
}

/// One workload's figures.
#[derive(Clone, Debug, Serialize)]
struct Workload {
    name: String,
    #[serde(flatten)]
    measured: Measured,
    /// Server CPU used, in cores (1.0 = one core busy).
    server_cpu_cores: Option<f64>,
    /// Throughput as a fraction of its ceiling.
    ratio_to_ceiling: Option<f64>,
    #[serde(skip)]
    against: Against,
}

/// Which ceiling a workload is judged against.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Against {
    Http,
    Inserts,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    match &args.internal {
        Some(Internal::BareHttp) => return ceilings::serve_bare_http().await,
        Some(Internal::Inserts { url, seconds }) => {
            return ceilings::durable_inserts(url, *seconds).await;
        }
        None => {}
    }
    // The generator takes CPU 1, the servers CPU 0: re-run this program pinned, once.
    let relaunched = std::env::var("IDGATE_BENCH_CPUS")
        .ok()
        .and_then(|n| n.parse().ok());
    let cpus = relaunched.unwrap_or_else(process::cpus);
    let pin = relaunched.is_some() || process::can_pin();
    if pin && relaunched.is_none() {
        let me = std::env::current_exe()?;
        let status = tokio::process::Command::new("taskset")
            .arg("-c")
            .arg("1")
            .arg(me)
            .args(std::env::args().skip(1))
            .env("IDGATE_BENCH_CPUS", cpus.to_string())
            .status()
            .await?;
        std::process::exit(status.code().unwrap_or(1));
    }
    let server_cpu = pin.then_some(0);
    let idgate = args.idgate.canonicalize().with_context(|| {
        format!(
            "{} not found: build it first with `cargo build --release -p idgate`",
            args.idgate.display()
        )
    })?;
    let args = Args { idgate, ..args };
    let duration = Duration::from_secs_f64(args.seconds);
    let scratch = tempfile::tempdir()?;
    if args.webhook_fairness {
        let mut runs = Vec::new();
        for cap in [2, 8] {
            let run =
                fairness::run(&args.idgate, server_cpu, scratch.path(), args.seconds, cap).await?;
            println!(
                "per-endpoint cap {cap}: partner B {}/{} events, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; partner A's silent receiver held {} connections",
                run.b_delivered,
                run.b_created,
                run.b_p50_ms,
                run.b_p99_ms,
                run.b_max_ms,
                run.a_connections
            );
            runs.push(run);
        }
        std::fs::write(
            &args.out,
            serde_json::to_string_pretty(&json!({ "webhook_fairness": runs }))?,
        )?;
        return Ok(());
    }
    let me = std::env::current_exe()?;

    println!(
        "machine: {} CPUs; server pinned to CPU 0, load generator to CPU 1: {pin}",
        cpus
    );

    // Ceilings.
    let storage_url = match &args.postgres {
        Some(url) => url.clone(),
        None => format!("sqlite://{}/ceiling.db", scratch.path().display()),
    };
    let inserts = storage_ceiling(&me, server_cpu, &storage_url, args.seconds).await?;
    let inserts_before = inserts;
    println!("storage ceiling: {inserts:.0} durable single-row inserts/s");
    let ((http, http_cpu), (http80, http80_cpu)) = http_ceiling(
        &me,
        server_cpu,
        args.concurrency,
        duration,
        args.latency_runs.max(1),
    )
    .await?;
    println!(
        "HTTP ceiling: {:.0} requests/s, p99 {:.2} ms",
        http.throughput, http.p99_ms
    );

    // idgate.
    let mut workloads = vec![Workload {
        name: "bare HTTP handler (ceiling, first measurement)".into(),
        measured: http.clone(),
        server_cpu_cores: http_cpu,
        ratio_to_ceiling: Some(1.0),
        against: Against::Http,
    }];
    workloads.push(workload(
        "bare HTTP handler at 80% of sustainable rate",
        http80,
        http80_cpu,
        Against::Http,
    ));
    let node = Node::start(
        &args.idgate,
        server_cpu,
        scratch.path(),
        args.postgres.as_deref(),
        "main",
        None,
        &[],
    )
    .await?;
    let client = node.client(args.concurrency)?;
    let created = Arc::new(Mutex::new(Vec::<(String, String)>::new()));

    // Warm up, then peak creations.
    let _ = closed_loop(
        args.concurrency,
        Duration::from_secs(1),
        create_op(&client, &node, created.clone()),
    )
    .await;
    let (create, cpu) = node
        .measure(closed_loop(
            args.concurrency,
            duration,
            create_op(&client, &node, created.clone()),
        ))
        .await;
    workloads.push(workload(
        "session create",
        create.clone(),
        cpu,
        Against::Inserts,
    ));
    let ids: Arc<Vec<(String, String)>> =
        Arc::new(created.lock().map(|c| c.clone()).unwrap_or_default());
    anyhow::ensure!(
        !ids.is_empty(),
        "no session was created: is idgate answering?"
    );

    let (poll, cpu) = node
        .measure(closed_loop(
            args.concurrency,
            duration,
            poll_op(&client, &node, ids.clone()),
        ))
        .await;
    workloads.push(workload("status poll", poll.clone(), cpu, Against::Http));
    let (hosted, cpu) = node
        .measure(closed_loop(
            args.concurrency,
            duration,
            hosted_op(&client, ids.clone()),
        ))
        .await;
    workloads.push(workload("hosted page GET", hosted, cpu, Against::Http));
    // The Veriff dialect: HMAC-checked creates and signed decision polls.
    let veriff_created = Arc::new(Mutex::new(Vec::<veriff::Created>::new()));
    let (veriff_create, cpu) = node
        .measure(closed_loop(
            args.concurrency,
            duration,
            veriff::create_op(&client, &node, veriff_created.clone()),
        ))
        .await;
    workloads.push(workload(
        "Veriff session create (HMAC-signed)",
        veriff_create,
        cpu,
        Against::Inserts,
    ));
    let veriff_ids: Arc<Vec<veriff::Created>> =
        Arc::new(veriff_created.lock().map(|c| c.clone()).unwrap_or_default());
    anyhow::ensure!(
        !veriff_ids.is_empty(),
        "no Veriff session was created: is the Veriff dialect answering?"
    );
    let (veriff_poll, cpu) = node
        .measure(closed_loop(
            args.concurrency,
            duration,
            veriff::decision_op(&client, veriff_ids.clone()),
        ))
        .await;
    workloads.push(workload(
        "Veriff decision poll (HMAC-signed)",
        veriff_poll,
        cpu,
        Against::Http,
    ));
    // The deepidv dialect: creates with an applicant, then session reads.
    let deepidv_created = Arc::new(Mutex::new(Vec::<String>::new()));
    let (deepidv_create, cpu) = node
        .measure(closed_loop(
            args.concurrency,
            duration,
            deepidv::create_op(&client, &node, deepidv_created.clone()),
        ))
        .await;
    workloads.push(workload(
        "deepidv session create",
        deepidv_create,
        cpu,
        Against::Inserts,
    ));
    let deepidv_ids: Arc<Vec<String>> = Arc::new(
        deepidv_created
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default(),
    );
    anyhow::ensure!(
        !deepidv_ids.is_empty(),
        "no deepidv session was created: is the deepidv dialect answering?"
    );
    let (deepidv_read, cpu) = node
        .measure(closed_loop(
            args.concurrency,
            duration,
            deepidv::read_op(&client, &node, deepidv_ids.clone()),
        ))
        .await;
    workloads.push(workload(
        "deepidv session read",
        deepidv_read,
        cpu,
        Against::Http,
    ));
    let mixed_op = {
        let create = create_op(&client, &node, created.clone());
        let poll = poll_op(&client, &node, ids.clone());
        move |w: usize, n: u64| {
            let create = create(w, n);
            let poll = poll(w, n);
            async move {
                if n.is_multiple_of(11) {
                    create.await
                } else {
                    poll.await
                }
            }
        }
    };
    let (mixed, cpu) = node
        .measure(closed_loop(args.concurrency, duration, mixed_op))
        .await;
    workloads.push(workload(
        "mixed 1 create : 10 polls",
        mixed,
        cpu,
        Against::Http,
    ));

    // Latency at 80 % of the sustainable rate (open loop, on as many connections as the closed
    // loop used; more connections push the single-core server past its peak instead).
    let open_workers = args.concurrency;
    let create_rate = sustainable_rate(create.throughput, open_workers, PROBE, || {
        create_op(&client, &node, created.clone())
    })
    .await;
    let poll_rate = sustainable_rate(poll.throughput, open_workers, PROBE, || {
        poll_op(&client, &node, ids.clone())
    })
    .await;
    println!(
        "sustainable rates: create {create_rate:.0}/s, poll {poll_rate:.0}/s (closed-loop peaks {:.0}/s, {:.0}/s)",
        create.throughput, poll.throughput
    );
    let (create80, cpu) = node
        .measure(open_loop_runs(
            create_rate * 0.8,
            open_workers,
            duration,
            args.latency_runs,
            || create_op(&client, &node, created.clone()),
        ))
        .await;
    workloads.push(workload(
        "session create at 80% of sustainable rate",
        create80,
        cpu,
        Against::Inserts,
    ));
    let (poll80, cpu) = node
        .measure(open_loop_runs(
            poll_rate * 0.8,
            open_workers,
            duration,
            args.latency_runs,
            || poll_op(&client, &node, ids.clone()),
        ))
        .await;
    workloads.push(workload(
        "status poll at 80% of sustainable rate",
        poll80,
        cpu,
        Against::Http,
    ));
    let soak = if args.soak_seconds > 0.0 {
        let before = process::rss_mib(node.pid);
        let m = closed_loop(
            args.concurrency,
            Duration::from_secs_f64(args.soak_seconds),
            poll_op(&client, &node, ids.clone()),
        )
        .await;
        let after = process::rss_mib(node.pid);
        println!(
            "memory: {} requests in {:.0} s; RSS {} MiB before, {} MiB after",
            m.requests,
            m.seconds,
            before.map_or("-".into(), |r| format!("{r:.1}")),
            after.map_or("-".into(), |r| format!("{r:.1}")),
        );
        Some(
            json!({"requests": m.requests, "seconds": m.seconds, "errors": m.errors,
                    "rss_before_mib": before, "rss_after_mib": after}),
        )
    } else {
        None
    };
    let peak_rss = process::peak_rss_mib(node.pid);
    node.stop().await;

    // A shared VM's speed drifts within minutes: measure the ceilings again after idgate's
    // workloads and judge against the mean of both measurements.
    let inserts_after = storage_ceiling(&me, server_cpu, &storage_url, args.seconds).await?;
    let ((http_after, _), _) = http_ceiling(&me, server_cpu, args.concurrency, duration, 0).await?;
    println!(
        "ceilings after: {inserts_after:.0} inserts/s, {:.0} HTTP requests/s",
        http_after.throughput
    );
    let inserts_mean = (inserts + inserts_after) / 2.0;
    let http_mean = (http.throughput + http_after.throughput) / 2.0;
    for w in &mut workloads {
        let ceiling = match w.against {
            Against::Http => http_mean,
            Against::Inserts => inserts_mean,
        };
        w.ratio_to_ceiling = (ceiling > 0.0).then(|| w.measured.throughput / ceiling);
    }
    let inserts = inserts_mean;
    print_table(&workloads, inserts, peak_rss);
    let mut results = json!({
        "machine": {"cpus": cpus, "pinned": pin},
        "engine": if args.postgres.is_some() { "postgres" } else { "sqlite" },
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "ceilings": {
            "durable_inserts_per_s": inserts_mean,
            "bare_http_per_s": http_mean,
            "before": {"durable_inserts_per_s": inserts_before, "bare_http_per_s": http.throughput},
            "after": {"durable_inserts_per_s": inserts_after, "bare_http_per_s": http_after.throughput},
        },
        "sustainable_rates": {"create_per_s": create_rate, "poll_per_s": poll_rate},
        "workloads": workloads,
        "peak_rss_mib": peak_rss,
        "memory_soak": soak,
    });

    if args.scale {
        let mut scale = Vec::new();
        for &size in &args.scale_sizes {
            let row = scale_run(&args, server_cpu, size, duration).await?;
            println!(
                "{size:>9} stored: poll p50 {:.2} ms p99 {:.2} ms ({:.0}/s); create {:.0}/s",
                row.1.p50_ms, row.1.p99_ms, row.1.throughput, row.2.throughput
            );
            scale.push(json!({"stored_sessions": size, "poll": row.1, "create": row.2, "preload_seconds": row.0}));
        }
        results["scale"] = json!(scale);
    }
    if let Some(due) = args.expiry {
        let expiry = expiry_run(&args, server_cpu, due).await?;
        println!(
            "expiry of {due} due sessions: {:.1} s; API p99 (1 create : 10 polls) in the worst window of the sweep {:.2} ms",
            expiry["sweep_seconds"], expiry["api_during_sweep"]["p99_ms"]
        );
        results["expiry"] = expiry;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&results)?)?;
    println!("results written to {}", args.out.display());
    Ok(())
}

fn workload(name: &str, measured: Measured, cpu: Option<f64>, against: Against) -> Workload {
    Workload {
        name: name.into(),
        ratio_to_ceiling: None,
        measured,
        server_cpu_cores: cpu,
        against,
    }
}

fn print_table(rows: &[Workload], inserts: f64, rss: Option<f64>) {
    println!();
    println!(
        "| workload | req/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU (cores) | ratio to ceiling |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for w in rows {
        let m = &w.measured;
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} | {} |",
            w.name,
            m.throughput,
            m.p50_ms,
            m.p99_ms,
            m.p999_ms,
            m.errors,
            w.server_cpu_cores.map_or("-".into(), |c| format!("{c:.2}")),
            w.ratio_to_ceiling
                .map_or("-".into(), |r| format!("{:.0}%", r * 100.0)),
        );
    }
    println!(
        "| durable single-row inserts (ceiling, mean of before and after) | {inserts:.0} | | | | | | 100% |"
    );
    for w in rows.iter().filter(|w| !w.measured.p99_runs_ms.is_empty()) {
        let runs: Vec<String> = w
            .measured
            .p99_runs_ms
            .iter()
            .map(|p| format!("{p:.2}"))
            .collect();
        println!("p99 ms of each run, {}: {}", w.name, runs.join(", "));
    }
    println!();
    println!(
        "peak RSS of idgate: {}",
        rss.map_or("-".into(), |r| format!("{r:.1} MiB"))
    );
}

async fn storage_ceiling(
    me: &Path,
    cpu: Option<usize>,
    url: &str,
    seconds: f64,
) -> anyhow::Result<f64> {
    let out = process::pinned(me, cpu)
        .args(["inserts", "--url", url, "--seconds", &seconds.to_string()])
        .output()
        .await?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("inserts "))
        .context("the insert ceiling printed nothing")?;
    let parts: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    match parts[..] {
        [n, secs] if secs > 0.0 => Ok(n / secs),
        _ => anyhow::bail!("unexpected output {line:?}"),
    }
}

async fn http_ceiling(
    me: &Path,
    cpu: Option<usize>,
    concurrency: usize,
    duration: Duration,
    // 0: no open-loop measurement (the "after" ceiling).
    latency_runs: usize,
) -> anyhow::Result<((Measured, Option<f64>), (Measured, Option<f64>))> {
    let mut cmd = process::pinned(me, cpu);
    cmd.arg("bare-http");
    let (child, printed) = process::spawn_until(cmd, "ready ").await?;
    let port = printed
        .lines()
        .find_map(|l| l.strip_prefix("ready "))
        .context("no port")?
        .trim()
        .to_owned();
    let pid = child.id().unwrap_or_default();
    let client = LoadClient::for_base(&format!("http://127.0.0.1:{port}"), concurrency)?;
    let url = "/".to_owned();
    let _ = closed_loop(
        concurrency,
        Duration::from_secs(1),
        get_op(&client, url.clone()),
    )
    .await;
    let before = process::cpu_time(pid);
    let started = Instant::now();
    let m = closed_loop(concurrency, duration, get_op(&client, url.clone())).await;
    let cpu = cores(before, process::cpu_time(pid), started.elapsed());
    // The same open loop as idgate's "at 80 % of peak" rows: what the generator, the kernel and
    // the VM add to latency by themselves at such a rate.
    if latency_runs == 0 {
        process::stop(child).await;
        return Ok(((m.clone(), cpu), (m, cpu)));
    }
    let before = process::cpu_time(pid);
    let started = Instant::now();
    let sustainable = sustainable_rate(m.throughput, concurrency, PROBE, || {
        get_op(&client, url.clone())
    })
    .await;
    let open = open_loop_runs(
        sustainable * 0.8,
        concurrency,
        duration,
        latency_runs,
        || get_op(&client, url.clone()),
    )
    .await;
    let open_cpu = cores(before, process::cpu_time(pid), started.elapsed());
    process::stop(child).await;
    Ok(((m, cpu), (open, open_cpu)))
}

fn cores(before: Option<Duration>, after: Option<Duration>, wall: Duration) -> Option<f64> {
    Some((after? - before?).as_secs_f64() / wall.as_secs_f64())
}

fn get_op(
    client: &LoadClient,
    path: String,
) -> impl Fn(usize, u64) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync + 'static {
    let client = client.clone();
    let headers = Headers::default();
    move |w, _| {
        let (client, path, headers) = (client.clone(), path.clone(), headers.clone());
        Box::pin(async move { succeeded(client.send(w, Method::GET, &path, &headers, None).await) })
    }
}

fn succeeded(answer: anyhow::Result<(StatusCode, Bytes)>) -> bool {
    answer.is_ok_and(|(status, _)| status.is_success())
}

type Op = Box<dyn Fn(usize, u64) -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

fn create_op(client: &LoadClient, node: &Node, sink: Arc<Mutex<Vec<(String, String)>>>) -> Op {
    let client = client.clone();
    let path = "/api/v1/users/7/verification/flows".to_owned();
    let body = Bytes::from(
        json!({"provider": "bankid", "partner_return_url": format!("{}/demo/return", node.base)})
            .to_string(),
    );
    let headers = node.headers();
    Box::new(move |w, _| {
        let (client, path, headers, body) =
            (client.clone(), path.clone(), headers.clone(), body.clone());
        let sink = sink.clone();
        Box::pin(async move {
            let Ok((status, answer)) = client
                .send(w, Method::POST, &path, &headers, Some(body))
                .await
            else {
                return false;
            };
            if status != StatusCode::CREATED {
                return false;
            }
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&answer) else {
                return false;
            };
            if let (Some(id), Some(url), Ok(mut sink)) = (
                v["verification_id"].as_str(),
                v["verification_url"].as_str(),
                sink.lock(),
            ) && sink.len() < 50_000
            {
                sink.push((id.to_owned(), url.to_owned()));
            }
            true
        })
    })
}

fn poll_op(client: &LoadClient, node: &Node, ids: Arc<Vec<(String, String)>>) -> Op {
    let client = client.clone();
    let headers = node.headers();
    Box::new(move |w, n| {
        let i = (w * 7919 + n as usize * 104_729) % ids.len().max(1);
        let id = ids.get(i).map(|(id, _)| id.as_str()).unwrap_or_default();
        let path = format!("/api/v1/verification/status/{id}");
        let (client, headers) = (client.clone(), headers.clone());
        Box::pin(async move { succeeded(client.send(w, Method::GET, &path, &headers, None).await) })
    })
}

fn hosted_op(client: &LoadClient, ids: Arc<Vec<(String, String)>>) -> Op {
    let client = client.clone();
    let headers = Headers::default();
    Box::new(move |w, n| {
        let i = (w * 7919 + n as usize * 104_729) % ids.len().max(1);
        let path = ids
            .get(i)
            .map(|(_, url)| path_of(url).to_owned())
            .unwrap_or_default();
        let (client, headers) = (client.clone(), headers.clone());
        Box::pin(async move { succeeded(client.send(w, Method::GET, &path, &headers, None).await) })
    })
}

/// A running idgate.
struct Node {
    child: tokio::process::Child,
    pid: u32,
    base: String,
    token: String,
    api_key: String,
    /// The demo partner's Veriff integration.
    veriff: veriff::Integration,
    /// The demo partner's deepidv key.
    deepidv_key: String,
    partner: String,
    sqlite_url: Option<String>,
    /// The PostgreSQL URL and the schema this node runs in.
    postgres_schema: Option<(String, String)>,
    /// What an `idgate` command for this node's database needs: the binary, its folder and
    /// its environment.
    idgate: PathBuf,
    data: PathBuf,
    env: Vec<(String, String)>,
}

impl Node {
    async fn start(
        idgate: &Path,
        cpu: Option<usize>,
        dir: &Path,
        postgres: Option<&str>,
        name: &str,
        port: Option<u16>,
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<Node> {
        let data = dir.join(name);
        std::fs::create_dir_all(&data)?;
        let port = match port {
            Some(p) => p,
            None => std::net::TcpListener::bind("127.0.0.1:0")?
                .local_addr()?
                .port(),
        };
        let base = format!("http://127.0.0.1:{port}");
        let mut cmd = process::pinned(idgate, cpu);
        cmd.args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--public-url",
            &base,
        ])
        .current_dir(&data);
        let mut env = vec![
            ("RUST_LOG".to_owned(), "warn".to_owned()),
            (
                "IDGATE_KEYS__FILE".to_owned(),
                data.join("idgate.keys").display().to_string(),
            ),
            // The load comes from one credential and one address: the per-node request limits
            // would measure themselves. The partner's session cap stays on (raised below), so
            // its counter's write is part of every create measured.
            (
                "IDGATE_LIMITS__CREDENTIAL_PER_SECOND".to_owned(),
                "0".to_owned(),
            ),
            (
                "IDGATE_LIMITS__CLIENT_PER_SECOND".to_owned(),
                "0".to_owned(),
            ),
            // deepidv's per-key bucket off for the same reason; its daily count stays on (with
            // room for the whole run), so its write is part of every deepidv request measured.
            (
                "IDGATE_DIALECTS__DEEPIDV__REQUESTS_PER_SECOND".to_owned(),
                "0".to_owned(),
            ),
            (
                "IDGATE_DIALECTS__DEEPIDV__REQUESTS_PER_DAY".to_owned(),
                "4000000000".to_owned(),
            ),
        ];
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let mut postgres_schema = None;
        let sqlite_url = match postgres {
            Some(url) => {
                let schema = format!("idgate_bench_{}", uuid::Uuid::new_v4().simple());
                env.push(("IDGATE_DATABASE__URL".to_owned(), url.to_owned()));
                env.push(("IDGATE_DATABASE__SCHEMA".to_owned(), schema.clone()));
                postgres_schema = Some((url.to_owned(), schema));
                None
            }
            None => {
                let url = format!("sqlite://{}/idgate.db", data.display());
                env.push(("IDGATE_DATABASE__URL".to_owned(), url.clone()));
                Some(url)
            }
        };
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        let (child, printed) = process::spawn_until(cmd, "Press Ctrl-C").await?;
        let field = |label: &str| {
            printed
                .lines()
                .find_map(|l| l.trim().strip_prefix(label))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        // The demo partner is self-serve (30 sessions a minute): give it a cap no run reaches,
        // before its first request (nodes cache a partner with its credential). Only the node
        // that created it prints it.
        let demo = field("partner id:");
        if !demo.is_empty() {
            let raised = tokio::process::Command::new(idgate)
                .args(["partner", "update", &demo, "--tier", "custom"])
                .args(["--sessions-per-minute", "1000000000"])
                .current_dir(&data)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdout(std::process::Stdio::null())
                .status()
                .await?;
            anyhow::ensure!(raised.success(), "idgate partner update failed");
        }
        let node = Node {
            pid: child.id().unwrap_or_default(),
            child,
            base,
            token: field("access token:"),
            api_key: field("API-key:"),
            veriff: veriff::Integration {
                api_key: field("API key (X-AUTH-CLIENT):"),
                shared_secret: field("shared secret:"),
            },
            deepidv_key: field("x-api-key:"),
            partner: field("partner id:"),
            sqlite_url,
            postgres_schema,
            idgate: idgate.to_owned(),
            data,
            env,
        };
        Ok(node)
    }

    /// Runs `idgate ARGS --json` on this node's database and returns what it printed.
    async fn cli(&self, args: &[&str]) -> anyhow::Result<serde_json::Value> {
        let out = tokio::process::Command::new(&self.idgate)
            .args(args)
            .arg("--json")
            .current_dir(&self.data)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .await?;
        anyhow::ensure!(
            out.status.success(),
            "idgate {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(serde_json::from_slice(&out.stdout)?)
    }

    /// Runs a measurement and the server CPU it took.
    async fn measure(&self, run: impl Future<Output = Measured>) -> (Measured, Option<f64>) {
        let before = process::cpu_time(self.pid);
        let started = Instant::now();
        let m = run.await;
        (
            m,
            cores(before, process::cpu_time(self.pid), started.elapsed()),
        )
    }

    /// The demo partner's EasyFreelance credentials as request headers (none if idgate printed
    /// something unusable, so the requests fail and count as errors).
    fn headers(&self) -> Headers {
        easyfreelance_headers(&self.token, &self.api_key).unwrap_or_default()
    }

    fn client(&self, workers: usize) -> anyhow::Result<LoadClient> {
        LoadClient::for_base(&self.base, workers)
    }

    /// Stops idgate and, on PostgreSQL, drops the schema it ran in (a fresh one per run).
    async fn stop(self) {
        process::stop(self.child).await;
        if let Some((url, schema)) = self.postgres_schema {
            let dropped = async {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&url)
                    .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
                )))
                .execute(&pool)
                .await?;
                pool.close().await;
                anyhow::Ok(())
            };
            if let Err(e) = dropped.await {
                eprintln!("could not drop the benchmark schema {schema}: {e}");
            }
        }
    }
}

/// Poll latency and create throughput with `size` sessions already stored.
async fn scale_run(
    args: &Args,
    cpu: Option<usize>,
    size: usize,
    duration: Duration,
) -> anyhow::Result<(f64, Measured, Measured)> {
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let first = Node::start(
        &args.idgate,
        cpu,
        dir.path(),
        None,
        "scale",
        Some(port),
        &[],
    )
    .await?;
    let (partner, token, key, url) = (
        first.partner.clone(),
        first.token.clone(),
        first.api_key.clone(),
        first.sqlite_url.clone().unwrap_or_default(),
    );
    first.stop().await;
    let started = Instant::now();
    let far = (chrono::Utc::now() + chrono::Duration::days(30)).timestamp_micros();
    let sample = preload::sessions(&url, &partner, size, far).await?;
    let preload_seconds = started.elapsed().as_secs_f64();
    // The same port: the demo partner's approved return URL names it.
    let mut node = Node::start(
        &args.idgate,
        cpu,
        dir.path(),
        None,
        "scale",
        Some(port),
        &[],
    )
    .await?;
    node.token = token;
    node.api_key = key;
    let client = &node.client(args.concurrency)?;
    let ids: Arc<Vec<(String, String)>> =
        Arc::new(sample.into_iter().map(|id| (id, String::new())).collect());
    let _ = closed_loop(
        args.concurrency,
        Duration::from_secs(1),
        poll_op(client, &node, ids.clone()),
    )
    .await;
    let poll = closed_loop(
        args.concurrency,
        duration,
        poll_op(client, &node, ids.clone()),
    )
    .await;
    let create = closed_loop(
        args.concurrency,
        duration,
        create_op(client, &node, Arc::default()),
    )
    .await;
    node.stop().await;
    Ok((preload_seconds, poll, create))
}

/// `due` sessions fall due at once: how long the sweep takes and what polls see meanwhile.
async fn expiry_run(
    args: &Args,
    cpu: Option<usize>,
    due: usize,
) -> anyhow::Result<serde_json::Value> {
    let dir = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let first = Node::start(
        &args.idgate,
        cpu,
        dir.path(),
        None,
        "expiry",
        Some(port),
        &[],
    )
    .await?;
    let (partner, token, key, url) = (
        first.partner.clone(),
        first.token.clone(),
        first.api_key.clone(),
        first.sqlite_url.clone().unwrap_or_default(),
    );
    first.stop().await;
    let past = (chrono::Utc::now() - chrono::Duration::seconds(1)).timestamp_micros();
    preload::sessions(&url, &partner, due, past).await?;
    // Polls go to sessions that are not due, so they measure the API, not the expiry itself.
    let far = (chrono::Utc::now() + chrono::Duration::days(30)).timestamp_micros();
    let live = preload::sessions(&url, &partner, 10_000, far).await?;
    let started = Instant::now();
    let mut node = Node::start(
        &args.idgate,
        cpu,
        dir.path(),
        None,
        "expiry",
        Some(port),
        &[],
    )
    .await?;
    node.token = token;
    node.api_key = key;
    let client = &node.client(8)?;
    let ids: Arc<Vec<(String, String)>> =
        Arc::new(live.into_iter().map(|id| (id, String::new())).collect());
    let reader = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await?;
    // API calls in 5-second windows at a steady 200/s while the sweep runs, one creation to ten
    // polls (creations compete with the sweep for the writer); the worst window counts.
    let limit = Duration::from_secs(1800);
    let mut windows = Vec::new();
    let mut remaining = due as i64;
    let created = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    while started.elapsed() < limit {
        let create = create_op(client, &node, created.clone());
        let poll = poll_op(client, &node, ids.clone());
        let mixed = move |w: usize, n: u64| {
            if n.is_multiple_of(11) {
                create(w, n)
            } else {
                poll(w, n)
            }
        };
        windows.push(open_loop(200.0, 8, Duration::from_secs(5), mixed).await);
        let (n,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM sessions WHERE status = 'created' AND expires_at <= ?1",
        )
        .bind(chrono::Utc::now().timestamp_micros())
        .fetch_one(&reader)
        .await?;
        remaining = n;
        if n == 0 {
            break;
        }
    }
    let sweep_seconds = started.elapsed().as_secs_f64();
    node.stop().await;
    let worst = windows
        .iter()
        .max_by(|a, b| a.p99_ms.total_cmp(&b.p99_ms))
        .cloned();
    Ok(json!({
        "due_sessions": due,
        "sweep_seconds": sweep_seconds,
        "sweep_seconds_resolution": 5,
        "not_expired_when_stopped": remaining,
        "api_during_sweep": worst,
        "api_windows": windows,
    }))
}
