//! Request limits: token buckets per partner credential and per client address (each node
//! counts its own), and the fixed-window session-creation cap, which the store counts for
//! every node at once.

use chrono::{DateTime, Utc};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use idgate_core::{CredentialId, CredentialKind};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// A refused request: which limit, and when to come back. Dialects turn it into a 429 with
/// `Retry-After` and the `RateLimit-Policy` / `RateLimit` fields of the IETF httpapi draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimited {
    /// The policy's name in the `RateLimit` fields (`sessions`, `credential`, `client`).
    pub policy: &'static str,
    /// Requests the policy allows per window.
    pub quota: u32,
    /// The policy's window in seconds.
    pub window_secs: u64,
    /// Seconds until a request can succeed again (at least 1).
    pub retry_after_secs: u64,
}

impl RateLimited {
    /// `RateLimit-Policy: "<name>";q=<quota>;w=<window>`.
    pub fn policy_field(&self) -> String {
        format!(
            "\"{}\";q={};w={}",
            self.policy, self.quota, self.window_secs
        )
    }

    /// `RateLimit: "<name>";r=0;t=<seconds>` (nothing remains when a request is refused).
    pub fn limit_field(&self) -> String {
        format!("\"{}\";r=0;t={}", self.policy, self.retry_after_secs)
    }
}

/// A per-key token bucket; `None` when the limit is switched off (a rate of 0).
#[derive(Debug)]
struct Bucket<K: Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    policy: &'static str,
    burst: u32,
    per_second: u32,
    /// When idle keys were last dropped.
    last_sweep: std::sync::Mutex<Option<std::time::Instant>>,
}

impl<K: Hash + Eq + Clone> Bucket<K> {
    /// Keys kept before idle ones are dropped. A key stays only while its bucket is not full
    /// again (burst / rate seconds), so the table holds at most the clients seen in that time.
    const KEYS: usize = 50_000;

    fn new(policy: &'static str, per_second: u32, burst: u32) -> Self {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Bucket {
            limiter,
            policy,
            burst: burst.max(per_second),
            per_second,
            last_sweep: std::sync::Mutex::new(None),
        }
    }

    fn check(&self, key: &K) -> Result<(), RateLimited> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        let outcome = limiter.check_key(key);
        // At most one sweep a second: under a flood of addresses that are all still refilling,
        // a sweep frees little, and one per request would cost more than the request.
        if limiter.len() > Self::KEYS {
            let due = self.last_sweep.try_lock().is_ok_and(|mut last| {
                let due = last.is_none_or(|at| at.elapsed() >= Duration::from_secs(1));
                if due {
                    *last = Some(std::time::Instant::now());
                }
                due
            });
            if due {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
        outcome.map(|_| ()).map_err(|not_until| {
            let wait = not_until.wait_time_from(limiter.clock().now());
            RateLimited {
                policy: self.policy,
                quota: self.burst,
                // The time a full bucket takes to refill: the draft's window for a bucket.
                window_secs: u64::from(self.burst.div_ceil(self.per_second.max(1))).max(1),
                retry_after_secs: ceil_secs(wait),
            }
        })
    }
}

fn ceil_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// The limits one node enforces by itself.
#[derive(Debug)]
pub struct Limits {
    credentials: Bucket<CredentialId>,
    /// A dialect's own published per-key limits (deepidv: 25 a second, bursts of 35), on top
    /// of the platform's credential buckets.
    dialect_keys: Vec<(CredentialKind, Bucket<CredentialId>)>,
    clients: Bucket<ClientKey>,
    /// Provider round trips allowed per session (0: no limit).
    pub provider_exchanges_per_session: u32,
    /// This node's reserved shares of the per-key daily counts.
    pub daily: DailyShares,
}

/// A client address as a limit key: IPv6 clients by their /64, which one subscriber holds
/// whole, so rotating addresses inside it gains nothing and cannot grow the table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ClientKey {
    V4(u32),
    V6Prefix(u64),
}

impl From<IpAddr> for ClientKey {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => ClientKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(u32::from(v4)),
                None => {
                    let bits = u128::from(v6) >> 64;
                    ClientKey::V6Prefix(u64::try_from(bits).unwrap_or(u64::MAX))
                }
            },
        }
    }
}

impl Limits {
    pub fn new(settings: &crate::settings::LimitSettings) -> Limits {
        Limits {
            credentials: Bucket::new(
                "credential",
                settings.credential_per_second,
                settings.credential_burst,
            ),
            clients: Bucket::new("client", settings.client_per_second, settings.client_burst),
            provider_exchanges_per_session: settings.provider_exchanges_per_session,
            dialect_keys: Vec::new(),
            daily: DailyShares::default(),
        }
    }

    /// Adds a per-key bucket for credentials of `kind` (a rate of 0: none).
    pub fn with_dialect_keys(mut self, kind: CredentialKind, per_second: u32, burst: u32) -> Self {
        if per_second > 0 {
            self.dialect_keys
                .push((kind, Bucket::new("api-key", per_second, burst)));
        }
        self
    }

    /// One request with `credential` of `kind` against its dialect's own per-key limit.
    pub fn dialect_key(
        &self,
        kind: CredentialKind,
        credential: CredentialId,
    ) -> Result<(), RateLimited> {
        match self.dialect_keys.iter().find(|(k, _)| *k == kind) {
            Some((_, bucket)) => bucket.check(&credential),
            None => Ok(()),
        }
    }

    /// One API request made with `credential`.
    pub fn credential(&self, credential: CredentialId) -> Result<(), RateLimited> {
        self.credentials.check(&credential)
    }

    /// One request from `client` to a public page (hosted flow, provider callback).
    pub fn client(&self, client: IpAddr) -> Result<(), RateLimited> {
        self.clients.check(&ClientKey::from(client))
    }
}

/// A node's reserved shares of daily counts kept in the store: each key's share for the
/// current window, handed out here until it runs out, then another is reserved. The store
/// never counts past the limit, so the day's total holds across nodes; what a node reserved
/// and did not use before the day ends is lost (at most one share per node and key).
#[derive(Debug, Default)]
pub struct DailyShares {
    held: std::sync::Mutex<std::collections::HashMap<CredentialId, (i64, u32)>>,
    /// One reservation at a time on this node, so a burst on an empty share reserves one
    /// share, not one per request.
    pub reserving: tokio::sync::Mutex<()>,
}

impl DailyShares {
    /// How many uses a node reserves at once for a daily `limit`: a hundredth of it, 1 to 25,
    /// so one store write serves many requests and little is left unused.
    pub fn share(limit: u32) -> u32 {
        (limit / 100).clamp(1, 25)
    }

    /// Takes one use from the key's share of `window`, if it has one left.
    pub fn take(&self, key: CredentialId, window: i64) -> bool {
        let Ok(mut held) = self.held.lock() else {
            return false;
        };
        match held.get_mut(&key) {
            Some((w, left)) if *w == window && *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        }
    }

    /// Adds `granted` reserved uses of `window` for the key, one of them used now.
    pub fn add(&self, key: CredentialId, window: i64, granted: u32) {
        if granted == 0 {
            return;
        }
        let Ok(mut held) = self.held.lock() else {
            return;
        };
        // A day's end drops every other key's stale share too, so the table stays small.
        if held.values().any(|(w, _)| *w < window) {
            held.retain(|_, (w, _)| *w >= window);
        }
        let entry = held.entry(key).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += granted - 1;
    }
}

/// The UTC day `now` falls in: its start (seconds since the epoch) and the seconds left in it.
pub fn day_window(now: DateTime<Utc>) -> (i64, u64) {
    let secs = now.timestamp();
    let start = secs - secs.rem_euclid(86_400);
    let left = u64::try_from(start + 86_400 - secs).unwrap_or(86_400);
    (start, left.max(1))
}

/// The fixed one-minute window `now` falls in: its start (seconds since the epoch) and the
/// seconds left in it.
pub fn minute_window(now: DateTime<Utc>) -> (i64, u64) {
    let secs = now.timestamp();
    let start = secs - secs.rem_euclid(60);
    let left = u64::try_from(start + 60 - secs).unwrap_or(60);
    (start, left.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::LimitSettings;
    use chrono::TimeZone;

    fn settings(per_second: u32, burst: u32) -> LimitSettings {
        LimitSettings {
            credential_per_second: per_second,
            credential_burst: burst,
            client_per_second: per_second,
            client_burst: burst,
            provider_exchanges_per_session: 5,
            media_max_bytes: 1024,
            media_per_session: 2,
        }
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refuses_with_a_time_to_wait() {
        let limits = Limits::new(&settings(1, 3));
        let id = CredentialId::new();
        for _ in 0..3 {
            assert!(limits.credential(id).is_ok());
        }
        let refused = limits.credential(id).err();
        let refused = refused.unwrap_or_else(|| panic!("the fourth request passed"));
        assert_eq!(refused.policy, "credential");
        assert_eq!(refused.quota, 3);
        assert_eq!(refused.window_secs, 3);
        assert_eq!(refused.retry_after_secs, 1);
        assert_eq!(refused.policy_field(), "\"credential\";q=3;w=3");
        assert_eq!(refused.limit_field(), "\"credential\";r=0;t=1");
        // Another credential has its own bucket.
        assert!(limits.credential(CredentialId::new()).is_ok());
    }

    #[test]
    fn a_rate_of_zero_switches_a_limit_off() {
        let limits = Limits::new(&settings(0, 0));
        for _ in 0..1_000 {
            assert!(limits.credential(CredentialId::new()).is_ok());
            assert!(limits.client(IpAddr::from([127, 0, 0, 1])).is_ok());
        }
    }

    #[test]
    fn ipv6_clients_share_their_64_and_mapped_ipv4_is_ipv4() {
        let limits = Limits::new(&settings(1, 2));
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap_or(IpAddr::from([0; 4]));
        let b: IpAddr = "2001:db8:1:2:ffff::9"
            .parse()
            .unwrap_or(IpAddr::from([0; 4]));
        assert!(limits.client(a).is_ok());
        assert!(limits.client(b).is_ok());
        assert!(limits.client(a).is_err(), "same /64, one bucket");
        let v4 = IpAddr::from([192, 0, 2, 7]);
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap_or(IpAddr::from([0; 4]));
        assert!(limits.client(v4).is_ok());
        assert!(limits.client(mapped).is_ok());
        assert!(limits.client(v4).is_err(), "mapped IPv4 counts as IPv4");
    }

    #[test]
    fn minute_windows_start_on_the_minute() {
        let at = |s| Utc.timestamp_opt(s, 0).single().unwrap_or_default();
        assert_eq!(minute_window(at(1_800_000_000)), (1_800_000_000, 60));
        assert_eq!(minute_window(at(1_800_000_059)), (1_800_000_000, 1));
        assert_eq!(minute_window(at(1_800_000_061)), (1_800_000_060, 59));
    }

    #[test]
    fn a_daily_share_is_handed_out_then_renewed_and_a_new_day_starts_over() {
        let shares = DailyShares::default();
        let key = CredentialId::new();
        assert_eq!(DailyShares::share(10_000), 25);
        assert_eq!(DailyShares::share(40), 1);
        assert_eq!(DailyShares::share(1_000), 10);
        assert!(!shares.take(key, 0), "nothing reserved yet");
        shares.add(key, 0, 3); // one used by the request that reserved it
        assert!(shares.take(key, 0) && shares.take(key, 0));
        assert!(!shares.take(key, 0), "the share is spent");
        shares.add(key, 0, 2);
        assert!(shares.take(key, 0));
        assert!(!shares.take(key, 86_400), "another day needs its own share");
        shares.add(key, 86_400, 5);
        assert!(!shares.take(key, 0), "yesterday's share is gone");
        assert!(shares.take(key, 86_400));
    }
}
