//! Which network addresses a job's URI may make the node connect to.
//!
//! A job's remote URI is chosen by whoever submits the job, and every assigned node fetches it from
//! inside its operator's network: next to cloud metadata services, admin interfaces and databases.
//! So by default only globally routable addresses are allowed; loopback, private, link-local,
//! unique-local, multicast, unspecified, documentation and the other special-purpose ranges of the
//! IANA registries are refused, including IPv4 addresses embedded in IPv6 ones (mapped,
//! compatible, NAT64, 6to4). An operator may allow its own mirror by host name or range.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use ipnet::IpNet;

/// Special-purpose blocks that a fetch never connects to unless allowed, with the name the error
/// gives.
const REFUSED_BLOCKS: &[(&str, &str)] = &[
    ("0.0.0.0/8", "unspecified (\"this network\")"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared (carrier-grade NAT)"),
    ("127.0.0.0/8", "loopback"),
    (
        "169.254.0.0/16",
        "link-local (where cloud metadata services answer)",
    ),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved (and broadcast)"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation"),
    ("100::/64", "discard-only"),
    ("2001::/32", "Teredo tunnelling"),
    ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
    ("fc00::/7", "unique-local"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (deprecated)"),
    ("ff00::/8", "multicast"),
];

static REFUSED: LazyLock<Vec<(IpNet, &'static str)>> = LazyLock::new(|| {
    REFUSED_BLOCKS
        .iter()
        .map(|(net, name)| {
            (
                net.parse().expect("the table holds valid CIDR blocks"),
                *name,
            )
        })
        .collect()
});

/// Why an address is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{address} is in the {kind} block {block}")]
pub struct Refusal {
    pub address: IpAddr,
    pub kind: &'static str,
    pub block: IpNet,
}

/// The addresses fetches may connect to: every public address, plus what the operator allows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    /// Hosts (as written in URIs, compared without case) whose addresses are not checked.
    pub allowed_hosts: Vec<String>,
    /// Ranges allowed although they are special-purpose (an operator's own mirror).
    pub allowed_ranges: Vec<IpNet>,
}

impl AddressPolicy {
    /// `host` is exempt from the address check.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.allowed_hosts
            .iter()
            .any(|allowed| allowed.trim_end_matches('.').eq_ignore_ascii_case(host))
    }

    /// Accepts `address` when it is public or inside an allowed range.
    pub fn check(&self, address: IpAddr) -> Result<(), Refusal> {
        if self.allowed_ranges.iter().any(|net| net.contains(&address)) {
            return Ok(());
        }
        if let Some(refusal) = refused_block(address) {
            return Err(refusal);
        }
        // An IPv6 address that carries an IPv4 one reaches that IPv4 host: check it too.
        if let IpAddr::V6(v6) = address {
            if let Some(v4) = embedded_ipv4(v6) {
                return self.check(IpAddr::V4(v4)).map_err(|inner| Refusal {
                    address,
                    kind: inner.kind,
                    block: inner.block,
                });
            }
        }
        Ok(())
    }
}

fn refused_block(address: IpAddr) -> Option<Refusal> {
    REFUSED
        .iter()
        .find(|(net, _)| net.contains(&address))
        .map(|(net, kind)| Refusal {
            address,
            kind,
            block: *net,
        })
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`),
/// NAT64 (`64:ff9b::/96`) or 6to4 (`2002::/16`) address.
fn embedded_ipv4(address: Ipv6Addr) -> Option<Ipv4Addr> {
    let segments = address.segments();
    let octets = address.octets();
    let tail = Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]);
    match segments {
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(tail),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(tail),
        [0x2002, ..] => Some(Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(address: &str) -> Option<&'static str> {
        AddressPolicy::default()
            .check(address.parse().unwrap())
            .err()
            .map(|refusal| refusal.kind)
    }

    #[test]
    fn public_addresses_pass() {
        for address in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(refused(address), None, "{address}");
        }
    }

    #[test]
    fn special_purpose_addresses_are_refused_by_name() {
        for (address, kind) in [
            ("127.0.0.1", "loopback"),
            ("127.255.1.2", "loopback"),
            ("10.1.2.3", "private"),
            ("172.31.255.255", "private"),
            ("192.168.0.1", "private"),
            (
                "169.254.169.254",
                "link-local (where cloud metadata services answer)",
            ),
            ("100.100.100.200", "shared (carrier-grade NAT)"),
            ("0.0.0.0", "unspecified (\"this network\")"),
            ("255.255.255.255", "reserved (and broadcast)"),
            ("224.0.0.1", "multicast"),
            ("192.0.2.7", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.7", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fe80::1", "link-local"),
            ("fd00:ec2::254", "unique-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("2001:0:4136:e378::1", "Teredo tunnelling"),
        ] {
            assert_eq!(refused(address), Some(kind), "{address}");
        }
    }

    #[test]
    fn ipv4_inside_ipv6_is_checked_as_ipv4() {
        for (address, kind) in [
            ("::ffff:127.0.0.1", "loopback"),
            (
                "::ffff:169.254.169.254",
                "link-local (where cloud metadata services answer)",
            ),
            ("::10.0.0.1", "private"),
            ("64:ff9b::a00:1", "private"),
            ("2002:c0a8:101::1", "private"),
        ] {
            let refusal = AddressPolicy::default()
                .check(address.parse().unwrap())
                .unwrap_err();
            assert_eq!(refusal.kind, kind, "{address}");
            assert_eq!(refusal.address, address.parse::<IpAddr>().unwrap());
        }
    }

    #[test]
    fn allowed_ranges_and_hosts_open_exactly_what_they_name() {
        let policy = AddressPolicy {
            allowed_hosts: vec!["Mirror.Internal.".into()],
            allowed_ranges: vec!["10.1.0.0/16".parse().unwrap(), "::1/128".parse().unwrap()],
        };
        assert!(policy.check("10.1.200.3".parse().unwrap()).is_ok());
        assert!(policy.check("::1".parse().unwrap()).is_ok());
        assert!(policy.check("::ffff:10.1.0.9".parse().unwrap()).is_ok());
        assert!(policy.check("10.2.0.1".parse().unwrap()).is_err());
        assert!(policy.check("127.0.0.1".parse().unwrap()).is_err());
        assert!(policy.allows_host("mirror.internal"));
        assert!(!policy.allows_host("other.internal"));
    }

    #[test]
    fn refusals_say_what_and_why() {
        let refusal = AddressPolicy::default()
            .check("169.254.169.254".parse().unwrap())
            .unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "169.254.169.254 is in the link-local (where cloud metadata services answer) block \
             169.254.0.0/16"
        );
    }
}
