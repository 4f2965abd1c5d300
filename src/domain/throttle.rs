//! Failed-login throttling: when a key (a username, a client IP) is blocked, and which client
//! address to count behind trusted reverse proxies. Pure: the caller passes the clock and the
//! failures it has stored.

use std::net::IpAddr;
use std::str::FromStr;

use chrono::{Duration, NaiveDateTime};

/// How long a key stays blocked, given its newest failures (newest first, at most `limit`):
/// `Some(wait)` once `limit` failures fall within `window`, until the oldest of them expires.
pub fn blocked_for(
    newest_failures: &[NaiveDateTime],
    limit: u32,
    window: Duration,
    now: NaiveDateTime,
) -> Option<Duration> {
    let oldest_counted = *newest_failures.get(limit.checked_sub(1)? as usize)?;
    let wait = oldest_counted + window - now;
    (wait > Duration::zero()).then_some(wait)
}

/// An IP network (`10.0.0.0/8`, `fd00::/8`) or a single address, as named in
/// `KORSEL_TRUSTED_PROXIES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    network: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_matches(network: &[u8], ip: &[u8], prefix: u8) -> bool {
    let whole = usize::from(prefix / 8);
    let rest = prefix % 8;
    if network[..whole] != ip[..whole] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        network[whole] & mask == ip[whole] & mask
    }
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (address, prefix) = match s.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (s, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("'{s}' is not an IP address or network (e.g. 10.0.0.0/8)"))?;
        let network = network.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{s}' has a prefix length that is not 0–{max}"))?,
        };
        Ok(IpNet { network, prefix })
    }
}

/// A comma-separated list of networks, as `KORSEL_TRUSTED_PROXIES` holds it; an empty value
/// (as compose files pass for "unset") is an empty list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkList(pub Vec<IpNet>);

impl FromStr for NetworkList {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .filter(|entry| !entry.trim().is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map(NetworkList)
    }
}

/// The client a request comes from. The TCP peer, unless the peer is a trusted proxy: then the
/// `X-Forwarded-For` chain is read from the right (each proxy appends the address it saw), and
/// the first address that is not itself a trusted proxy is the client. Anything unreadable in
/// the chain stops the walk at the last address known to be true.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(client) {
        return client;
    }
    for hop in forwarded_for.unwrap_or_default().rsplit(',') {
        let Ok(hop) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = hop.to_canonical();
        if !is_trusted(client) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn blocks_after_the_limit_until_the_oldest_counted_failure_expires() {
        let window = Duration::seconds(60);
        let newest_first = [at(20), at(10), at(0)];
        assert_eq!(blocked_for(&newest_first[..2], 3, window, at(25)), None);
        assert_eq!(
            blocked_for(&newest_first, 3, window, at(25)),
            Some(Duration::seconds(35))
        );
        assert_eq!(blocked_for(&newest_first, 3, window, at(60)), None);
        assert_eq!(blocked_for(&newest_first, 0, window, at(25)), None);
    }

    #[test]
    fn networks_parse_and_match() {
        let net: IpNet = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains("10.1.200.3".parse().unwrap()));
        assert!(!net.contains("10.2.0.1".parse().unwrap()));
        assert!(net.contains("::ffff:10.1.0.9".parse().unwrap()));
        let odd: IpNet = "192.168.0.0/23".parse().unwrap();
        assert!(odd.contains("192.168.1.255".parse().unwrap()));
        assert!(!odd.contains("192.168.2.0".parse().unwrap()));
        let one: IpNet = "fd00::1".parse().unwrap();
        assert!(one.contains("fd00::1".parse().unwrap()));
        assert!(!one.contains("fd00::2".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<IpNet>().is_err());
        assert!("proxy.local".parse::<IpNet>().is_err());
        let list: NetworkList = "10.0.0.0/8, fd00::1,".parse().unwrap();
        assert_eq!(list.0.len(), 2);
        assert_eq!("".parse::<NetworkList>(), Ok(NetworkList::default()));
        assert!("10.0.0.0/8,nope".parse::<NetworkList>().is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy: IpAddr = "10.0.0.5".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        let chain = Some("198.51.100.1, 192.0.2.7, 10.0.0.4");
        // The last untrusted hop is the client; what it claims before that is not believed.
        assert_eq!(
            client_ip(proxy, chain, &trusted),
            "192.0.2.7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(stranger, chain, &trusted), stranger);
        assert_eq!(client_ip(proxy, None, &trusted), proxy);
        assert_eq!(
            client_ip(proxy, Some("garbage, 10.0.0.3"), &trusted),
            "10.0.0.3".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(proxy, chain, &[]), proxy);
    }
}
