//! The HTTP client of the fetcher, which connects only where the [`AddressPolicy`] allows.
//!
//! Each host name is resolved once by [`CheckedResolver`]; when any of its addresses is refused
//! the fetch fails, otherwise the client connects to exactly the addresses that were checked, so
//! a DNS answer that changes between a check and the connection (rebinding) cannot move it. URIs
//! with an address instead of a name never reach a resolver, so [`check_url`] checks those, for
//! the first request and for every redirect. Redirects are capped and may not change the scheme.
//! System proxy settings are ignored: through a proxy the node could not see where it connects.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use super::address_policy::{AddressPolicy, Refusal};

/// Most redirects one fetch follows.
pub const MAX_REDIRECTS: usize = 3;

/// Why a fetch was not allowed to connect.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Forbidden {
    /// The URI names the address itself.
    #[error("{0}")]
    Address(Refusal),
    /// The URI's host name resolves to a refused address (among others, maybe).
    #[error("{host}: {refusal}")]
    Resolved { host: String, refusal: Refusal },
    #[error("redirect from {from} to another scheme ({to}) refused")]
    SchemeChange { from: String, to: String },
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
}

/// Checks the host of `url` when it is an address (names are checked when resolved).
pub fn check_url(policy: &AddressPolicy, url: &Url) -> Result<(), Forbidden> {
    let address = match url.host() {
        Some(Host::Ipv4(v4)) => v4.into(),
        Some(Host::Ipv6(v6)) => v6.into(),
        Some(Host::Domain(_)) | None => return Ok(()),
    };
    let host = url.host_str().unwrap_or_default();
    if policy.allows_host(host) {
        return Ok(());
    }
    policy.check(address).map_err(Forbidden::Address)
}

/// The reason a request failed, when the policy refused it.
pub fn forbidden_cause(error: &reqwest::Error) -> Option<Forbidden> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if let Some(forbidden) = cause.downcast_ref::<Forbidden>() {
            return Some(forbidden.clone());
        }
        source = cause.source();
    }
    None
}

/// A client that applies `policy` to every connection it makes.
pub fn build(
    policy: Arc<AddressPolicy>,
    connect_timeout: Duration,
    timeout: Duration,
) -> reqwest::Result<reqwest::Client> {
    let redirect_policy = policy.clone();
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .no_proxy()
        .dns_resolver(Arc::new(CheckedResolver { policy }))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            let previous = attempt.previous().last().map(Url::scheme);
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(Forbidden::TooManyRedirects);
            }
            if let Some(from) = previous.filter(|from| *from != attempt.url().scheme()) {
                let error = Forbidden::SchemeChange {
                    from: from.to_owned(),
                    to: attempt.url().scheme().to_owned(),
                };
                return attempt.error(error);
            }
            match check_url(&redirect_policy, attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(forbidden) => attempt.error(forbidden),
            }
        }))
        .user_agent(concat!("sibyl-oracle/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Resolves with the system resolver, then refuses a name when any of its addresses is refused.
struct CheckedResolver {
    policy: Arc<AddressPolicy>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !policy.allows_host(&host) {
                for address in &addresses {
                    policy
                        .check(address.ip())
                        .map_err(|refusal| Forbidden::Resolved {
                            host: host.clone(),
                            refusal,
                        })?;
                }
            }
            let addresses: Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_hosts_are_checked_and_names_left_to_the_resolver() {
        let policy = AddressPolicy::default();
        let check = |uri: &str| check_url(&policy, &Url::parse(uri).unwrap());
        assert!(check("http://example.org/model").is_ok());
        assert!(check("https://8.8.8.8/model").is_ok());
        for uri in [
            "http://127.0.0.1:8080/x",
            "http://[::1]/x",
            "http://[::ffff:a9fe:a9fe]/latest/meta-data",
            // The URL parser reads these as IPv4 addresses, as browsers do.
            "http://2130706433/x",
            "http://0x7f.1/x",
        ] {
            assert!(matches!(check(uri), Err(Forbidden::Address(_))), "{uri}");
        }
    }

    #[test]
    fn an_allowed_host_skips_the_check() {
        let policy = AddressPolicy {
            allowed_hosts: vec!["127.0.0.1".into()],
            ..AddressPolicy::default()
        };
        assert!(check_url(&policy, &Url::parse("http://127.0.0.1/x").unwrap()).is_ok());
    }
}
