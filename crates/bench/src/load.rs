//! Load generation on loopback: closed loop (fixed concurrency, as fast as answers come) for
//! peak throughput, and open loop (a fixed arrival rate, latency measured from the scheduled
//! send time so a slow server cannot hide its queueing) for latency at a given load.

use hdrhistogram::Histogram;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one run measured.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Measured {
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    /// For a repeated open-loop measurement: every run's p99 (the figures above are the run
    /// with the median p99).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub p99_runs_ms: Vec<f64>,
}

fn histogram() -> Histogram<u64> {
    // 1 µs .. 60 s, 3 significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|e| panic!("{e}")))
}

fn summarise(h: &Histogram<u64>, errors: u64, seconds: f64) -> Measured {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    Measured {
        requests: h.len(),
        errors,
        seconds,
        throughput: h.len() as f64 / seconds,
        p50_ms: ms(0.50),
        p99_ms: ms(0.99),
        p999_ms: ms(0.999),
        p99_runs_ms: Vec::new(),
    }
}

/// `concurrency` workers call `op(worker, n)` back to back for `duration`.
pub async fn closed_loop<F, Fut>(concurrency: usize, duration: Duration, op: F) -> Measured
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let op = op.clone();
        workers.push(tokio::spawn(async move {
            let mut h = histogram();
            let mut errors = 0u64;
            let mut n = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = op(w, n).await;
                n += 1;
                if ok {
                    let _ = h.record(t.elapsed().as_micros().max(1) as u64);
                } else {
                    errors += 1;
                }
            }
            (h, errors)
        }));
    }
    let mut total = histogram();
    let mut errors = 0;
    for w in workers {
        if let Ok((h, e)) = w.await {
            let _ = total.add(&h);
            errors += e;
        }
    }
    summarise(&total, errors, started.elapsed().as_secs_f64())
}

/// Requests at `rate` per second in total for `duration`, served by `concurrency` workers;
/// latency counts from when each request was due.
///
/// A pacing thread releases each request at its due time and any idle worker takes it. Why a
/// thread: tokio's timer fires on whole milliseconds, so tasks that each sleep until their own
/// due time send up to a millisecond late, and that lateness (measured: a median of 1.5 ms for a
/// handler that answers in 12 µs) would be charged to the server. A thread's sleep overshoots
/// by tens of microseconds.
pub async fn open_loop<F, Fut>(rate: f64, concurrency: usize, duration: Duration, op: F) -> Measured
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate.max(1.0));
    let count = (duration.as_secs_f64() * rate.max(1.0)).floor() as u64;
    let (release, released) = tokio::sync::mpsc::unbounded_channel::<(u64, Instant)>();
    let pacer = std::thread::Builder::new()
        .name("idgate-bench-pacer".into())
        .spawn(move || {
            for n in 0..count {
                let due = started + interval.mul_f64(n as f64);
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                if release.send((n, due)).is_err() {
                    break;
                }
            }
        });
    if pacer.is_err() {
        // Nothing was sent: every request counts as failed.
        return summarise(&histogram(), count, duration.as_secs_f64());
    }
    let released = Arc::new(tokio::sync::Mutex::new(released));
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let op = op.clone();
        let released = released.clone();
        workers.push(tokio::spawn(async move {
            let mut h = histogram();
            let mut errors = 0u64;
            loop {
                let next = released.lock().await.recv().await;
                let Some((n, due)) = next else { break };
                let ok = op(w, n).await;
                if ok {
                    let _ = h.record(due.elapsed().as_micros().max(1) as u64);
                } else {
                    errors += 1;
                }
            }
            (h, errors)
        }));
    }
    let mut total = histogram();
    let mut errors = 0;
    for w in workers {
        if let Ok((h, e)) = w.await {
            let _ = total.add(&h);
            errors += e;
        }
    }
    summarise(&total, errors, started.elapsed().as_secs_f64())
}

/// `runs` open-loop measurements at the same rate, half a second apart. The run with the
/// median p99 stands for all of them and every run's p99 is kept: on a shared VM one stall
/// can own a run's tail, and it then shows as an outlier instead of as the figure.
pub async fn open_loop_runs<F, Fut>(
    rate: f64,
    concurrency: usize,
    duration: Duration,
    runs: usize,
    make_op: impl Fn() -> F,
) -> Measured
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let mut measured = Vec::new();
    for run in 0..runs.max(1) {
        if run > 0 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        measured.push(open_loop(rate, concurrency, duration, make_op()).await);
    }
    let p99s: Vec<f64> = measured.iter().map(|m| m.p99_ms).collect();
    measured.sort_by(|a, b| a.p99_ms.total_cmp(&b.p99_ms));
    let mut median = measured.swap_remove(measured.len() / 2);
    median.p99_runs_ms = p99s;
    median
}

/// The highest arrival rate the server keeps up with: open-loop probes of `probe` each, from
/// `closed_peak` down in steps of 10 % (to 30 % at least), until the median request is served
/// within `KEEPS_UP_P50_MS` of its due time (above it, requests queue behind earlier ones and
/// the queue grows for as long as the rate lasts). Spread-out arrivals cost the server more
/// per request than a closed loop's back-to-back ones, so this is below the closed-loop peak.
pub async fn sustainable_rate<F, Fut>(
    closed_peak: f64,
    concurrency: usize,
    probe: Duration,
    make_op: impl Fn() -> F,
) -> f64
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    const KEEPS_UP_P50_MS: f64 = 5.0;
    let mut share = 1.0;
    while share > 0.3 {
        let rate = closed_peak * share;
        let m = open_loop(rate, concurrency, probe, make_op()).await;
        if m.p50_ms <= KEEPS_UP_P50_MS && m.errors == 0 {
            return rate;
        }
        // Let the queue the probe left behind drain before the next one.
        tokio::time::sleep(Duration::from_millis(500)).await;
        share -= 0.1;
    }
    closed_peak * 0.3
}
