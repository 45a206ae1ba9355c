//! The HTTP policy for every call idgate makes to the outside (webhooks, provider discovery and
//! APIs): bounded timeouts, no redirects followed, and no private, loopback, link-local or
//! otherwise reserved address unless the operator allow-listed it. One shared client; an
//! adapter that needs its own TLS identity gets a client of its own under the same policy.
//! Addresses are checked after DNS resolution, so a public name that resolves to an internal
//! address is refused too.

use idgate_providers::{ClientTls, HttpClients, ProviderError, UrlGuard};
use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The address is kept for the operator's log; the message, which partners see in their
    /// delivery log, does not name it (it would map the internal network).
    #[error(
        "address not allowed: the host resolves to a private or reserved address (an operator may allow its network in outbound.allow_private)"
    )]
    Blocked(IpAddr),
    #[error("outbound HTTP client: {0}")]
    Build(String),
}

/// The shared outbound client, and the policy every other client is built with.
#[derive(Clone, Debug)]
pub struct Outbound {
    pub client: reqwest::Client,
    allow: Arc<Vec<IpNet>>,
    connect_timeout: Duration,
    timeout: Duration,
}

impl Outbound {
    pub fn new(
        connect_timeout: Duration,
        timeout: Duration,
        allow_private: &[IpNet],
    ) -> Result<Self, OutboundError> {
        let allow = Arc::new(allow_private.to_vec());
        let client = policy(connect_timeout, timeout, &allow)
            .build()
            .map_err(|e| OutboundError::Build(e.to_string()))?;
        Ok(Outbound {
            client,
            allow,
            connect_timeout,
            timeout,
        })
    }

    /// A client of its own under the same policy, presenting a client certificate and, when
    /// a CA is given, trusting only it (BankID's RP API; mutual-TLS OIDC clients).
    pub fn with_tls(
        &self,
        identity_pem: &[u8],
        ca_pem: Option<&[u8]>,
    ) -> Result<reqwest::Client, OutboundError> {
        let build = |what: &str, e: reqwest::Error| OutboundError::Build(format!("{what}: {e}"));
        let identity = reqwest::Identity::from_pem(identity_pem)
            .map_err(|e| build("the client certificate and key", e))?;
        let mut builder =
            policy(self.connect_timeout, self.timeout, &self.allow).identity(identity);
        if let Some(ca) = ca_pem {
            let roots =
                reqwest::Certificate::from_pem_bundle(ca).map_err(|e| build("the CA", e))?;
            if roots.is_empty() {
                return Err(OutboundError::Build(
                    "the CA file holds no certificate".to_owned(),
                ));
            }
            builder = builder.tls_certs_only(roots);
        }
        builder.build().map_err(|e| build("TLS client", e))
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

/// The clients provider adapters get: the shared one, or one of their own under the same
/// policy. idgate's own public address (the built-in simulators) is always callable.
#[derive(Clone, Debug)]
pub struct ProviderClients {
    outbound: Outbound,
    /// URL prefixes of idgate's own simulators, callable whatever the address policy says.
    own: Vec<String>,
}

impl ProviderClients {
    /// `public_base`: idgate's public URL without a trailing slash.
    pub fn new(outbound: Outbound, public_base: &str) -> Self {
        ProviderClients {
            outbound,
            own: vec![format!("{public_base}/")],
        }
    }

    /// Also lets adapters call `base` (a built-in simulator on a listener of its own, such as
    /// the BankID simulator's mutual-TLS port).
    pub fn with_own(mut self, base: &str) -> Self {
        self.own.push(format!("{}/", base.trim_end_matches('/')));
        self
    }
}

impl HttpClients for ProviderClients {
    fn shared(&self) -> reqwest::Client {
        self.outbound.client.clone()
    }

    fn with_tls(&self, tls: &ClientTls) -> Result<reqwest::Client, ProviderError> {
        let (identity, ca) = tls.read()?;
        self.outbound
            .with_tls(&identity, ca.as_deref())
            .map_err(|e| ProviderError::Config(e.to_string()))
    }

    fn guard(&self) -> UrlGuard {
        let own = self.own.clone();
        let policy = self.outbound.clone();
        Arc::new(move |url: &url::Url| {
            if own.iter().any(|o| url.as_str().starts_with(o)) {
                return Ok(());
            }
            policy.check_url(url).map_err(|e| e.to_string())
        })
    }
}

/// Timeouts, no redirects, idgate's user agent, and the guarded resolver.
fn policy(
    connect_timeout: Duration,
    timeout: Duration,
    allow: &Arc<Vec<IpNet>>,
) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("idgate/", env!("CARGO_PKG_VERSION")))
        // No proxy from the environment (HTTP_PROXY …): the proxy would resolve the name, past
        // the address guard.
        .no_proxy()
        .dns_resolver(GuardedResolver {
            allow: allow.clone(),
        })
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
    let seg = ip.segments();
    let first = seg[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || seg[..6] == [0; 6] // IPv4-compatible (deprecated; embeds any IPv4 address)
        || seg[..4] == [0; 4] && seg[4] == 0xffff && seg[5] == 0 // IPv4-translated (SIIT)
        || seg[..4] == [0x0100, 0, 0, 0] // discard-only
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || (first & 0xffc0) == 0xfec0 // site local (deprecated, still routed internally)
        || first == 0x2002 // 6to4 (embeds an IPv4 address)
        || first == 0x2001 && seg[1] == 0 // Teredo (embeds an IPv4 address)
        || first == 0x2001 && seg[1] == 0x0db8 // documentation
        || first == 0x0064 && seg[1] == 0xff9b) // NAT64, well-known and local-use (may reach IPv4 internals)
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
            "64:ff9b:1::a00:1",
            "::10.0.0.1",
            "::127.0.0.1",
            "::ffff:0:10.0.0.1",
            "100::1",
            "fec0::1",
            "2002:a00:1::1",
            "2002:5db8:d822::1",
            "2001:0:4136:e378::1",
        ] {
            let ip: IpAddr = blocked.parse().unwrap_or_else(|e| panic!("{blocked}: {e}"));
            assert!(!permitted(ip, &[]), "{blocked} must be refused");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "2a00:1450:4001::1",
        ] {
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

    /// Runs `openssl` with `args` in `dir`, failing the test on error.
    fn openssl(dir: &std::path::Path, args: &[&str]) {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|e| panic!("openssl: {e}"));
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A CA and a leaf it signed (`name.pem` + `name.key`), with v3 extensions as rustls needs.
    fn pki(dir: &std::path::Path, ca: &str, leaves: &[(&str, &str)]) {
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        let subject = format!("/CN={ca}");
        let (key, pem) = (format!("{ca}.key"), format!("{ca}.pem"));
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        args.extend([
            "-keyout", &key, "-out", &pem, "-days", "2", "-subj", &subject,
        ]);
        openssl(dir, &args);
        let ext = dir.join("ext.cnf");
        std::fs::write(
            &ext,
            "[server]\nsubjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
             [client]\nbasicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        for (leaf, section) in leaves {
            let (lkey, lcsr, lpem) = (
                format!("{leaf}.key"),
                format!("{leaf}.csr"),
                format!("{leaf}.pem"),
            );
            let subject = format!("/CN={leaf}");
            let mut args = vec!["req"];
            args.extend(ec);
            args.extend(["-keyout", &lkey, "-out", &lcsr, "-subj", &subject]);
            openssl(dir, &args);
            openssl(
                dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &lcsr,
                    "-CA",
                    &pem,
                    "-CAkey",
                    &key,
                    "-CAcreateserial",
                    "-out",
                    &lpem,
                    "-days",
                    "2",
                    "-extfile",
                    "ext.cnf",
                    "-extensions",
                    section,
                ],
            );
        }
    }

    fn read(dir: &std::path::Path, files: &[&str]) -> Vec<u8> {
        let mut all = Vec::new();
        for file in files {
            all.extend(std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}")));
            all.push(b'\n');
        }
        all
    }

    /// Against a real TLS server (`openssl s_server`) that demands a client certificate from
    /// its own CA: the adapter's own client gets through and is seen as itself; the shared
    /// client, a stranger's certificate, and a client trusting another CA do not.
    #[tokio::test]
    async fn an_adapter_client_presents_its_certificate_and_trusts_only_its_ca() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = dir.path();
        pki(
            dir,
            "provider-ca",
            &[("server", "server"), ("rp", "client")],
        );
        pki(dir, "stranger-ca", &[("stranger", "client")]);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("{e}"));
        let accept = format!("127.0.0.1:{port}");
        let _server = KillOnDrop(
            std::process::Command::new("openssl")
                .args([
                    "s_server", "-accept", &accept, "-naccept", "16", "-Verify", "1",
                ])
                .args(["-verify_return_error", "-CAfile", "provider-ca.pem"])
                .args([
                    "-cert",
                    "server.pem",
                    "-key",
                    "server.key",
                    "-www",
                    "-quiet",
                ])
                .current_dir(dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("openssl s_server: {e}")),
        );
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(&accept).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let loopback: IpNet = "127.0.0.0/8".parse().unwrap_or_else(|e| panic!("{e}"));
        let out = Outbound::new(Duration::from_secs(2), Duration::from_secs(5), &[loopback])
            .unwrap_or_else(|e| panic!("{e}"));
        let url = format!("https://localhost:{port}/");
        let get = |client: reqwest::Client| {
            let url = url.clone();
            async move {
                let answer = client.get(&url).send().await?;
                let status = answer.status();
                Ok::<_, reqwest::Error>((status, answer.text().await?))
            }
        };
        let ca = read(dir, &["provider-ca.pem"]);

        let own = out
            .with_tls(&read(dir, &["rp.key", "rp.pem"]), Some(&ca))
            .unwrap_or_else(|e| panic!("{e}"));
        let (status, body) = get(own).await.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(status, reqwest::StatusCode::OK);
        assert!(
            body.contains("Subject: CN=rp"),
            "the server saw our certificate"
        );

        assert!(
            get(out.client.clone()).await.is_err(),
            "the shared client trusts no test CA"
        );
        let stranger = out
            .with_tls(&read(dir, &["stranger.key", "stranger.pem"]), Some(&ca))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            get(stranger).await.is_err(),
            "a certificate from another CA is refused"
        );
        let wrong_ca = out
            .with_tls(
                &read(dir, &["rp.key", "rp.pem"]),
                Some(&read(dir, &["stranger-ca.pem"])),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            get(wrong_ca).await.is_err(),
            "only the configured CA is trusted"
        );

        assert!(matches!(
            out.with_tls(b"not a pem", Some(&ca)),
            Err(OutboundError::Build(_))
        ));
        assert!(matches!(
            out.with_tls(
                &read(dir, &["rp.key", "rp.pem"]),
                Some(b"no certificate here")
            ),
            Err(OutboundError::Build(_))
        ));
    }

    struct KillOnDrop(std::process::Child);

    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
