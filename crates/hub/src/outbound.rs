//! The one HTTP client for every call idgate makes to the outside (webhooks now; provider
//! discovery and APIs later): bounded timeouts, no redirects followed, and no private,
//! loopback, link-local or otherwise reserved address unless the operator allow-listed it.
//! Addresses are checked after DNS resolution, so a public name that resolves to an internal
//! address is refused too.

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("{0} is a private or reserved address; allow it in outbound.allow_private to call it")]
    Blocked(IpAddr),
    #[error("outbound HTTP client: {0}")]
    Build(String),
}

/// The shared outbound client.
#[derive(Clone, Debug)]
pub struct Outbound {
    pub client: reqwest::Client,
    allow: Arc<Vec<IpNet>>,
}

impl Outbound {
    pub fn new(
        connect_timeout: Duration,
        timeout: Duration,
        allow_private: &[IpNet],
    ) -> Result<Self, OutboundError> {
        let allow = Arc::new(allow_private.to_vec());
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("idgate/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(GuardedResolver {
                allow: allow.clone(),
            })
            .build()
            .map_err(|e| OutboundError::Build(e.to_string()))?;
        Ok(Outbound { client, allow })
    }

    /// Refuses a URL whose host is a literal address idgate may not call (names are checked
    /// when they are resolved).
    pub fn check_url(&self, url: &url::Url) -> Result<(), OutboundError> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        if permitted(ip, &self.allow) {
            Ok(())
        } else {
            Err(OutboundError::Blocked(ip))
        }
    }
}

/// Resolves with the system resolver, then drops every address idgate may not call.
struct GuardedResolver {
    allow: Arc<Vec<IpNet>>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| permitted(a.ip(), &allow))
                .collect();
            match (usable.is_empty(), found.first()) {
                (false, _) => Ok(Box::new(usable.into_iter()) as Addrs),
                (true, Some(first)) => Err(Box::new(OutboundError::Blocked(first.ip())) as _),
                (true, None) => Err(format!("{host} does not resolve").into()),
            }
        })
    }
}

/// Whether `ip` is a public address, or one the operator allowed.
pub fn permitted(ip: IpAddr, allow: &[IpNet]) -> bool {
    allow.iter().any(|net| net.contains(&ip)) || is_public(ip)
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b))) // benchmarking
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 (may reach IPv4 internals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_reserved_addresses_are_refused() {
        for blocked in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "fc00::1",
            "fe80::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            let ip: IpAddr = blocked.parse().unwrap_or_else(|e| panic!("{blocked}: {e}"));
            assert!(!permitted(ip, &[]), "{blocked} must be refused");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            let ip: IpAddr = public.parse().unwrap_or_else(|e| panic!("{public}: {e}"));
            assert!(permitted(ip, &[]), "{public} is public");
        }
        let loopback: IpNet = "127.0.0.0/8".parse().unwrap_or_else(|e| panic!("{e}"));
        assert!(permitted(
            "127.0.0.1"
                .parse()
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            &[loopback]
        ));
    }

    #[tokio::test]
    async fn literal_and_resolved_private_targets_are_refused() {
        let out = Outbound::new(Duration::from_secs(1), Duration::from_secs(2), &[])
            .unwrap_or_else(|e| panic!("{e}"));
        let literal = url::Url::parse("http://169.254.169.254/latest/meta-data")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            out.check_url(&literal),
            Err(OutboundError::Blocked(_))
        ));
        // `localhost` passes the literal check but is refused once resolved.
        let named = url::Url::parse("http://localhost:9/hook").unwrap_or_else(|e| panic!("{e}"));
        assert!(out.check_url(&named).is_ok());
        let err = out.client.post(named).send().await.err().map(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        });
        assert!(
            err.as_deref()
                .is_some_and(|t| t.contains("private or reserved")),
            "{err:?}"
        );
    }
}
