//! IPv4 and IPv6 address blocks (`10.0.0.0/8`, `2001:db8::/32`) for `|cidr` keys.
//! A few lines over `std::net` rather than a crate: parsing, the host-bits check and
//! a masked comparison are all that is needed.

use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `addr/prefix`; a bare address is a block of one. Host bits must be
    /// zero (`10.0.0.1/8` is refused: it usually means a typo).
    pub fn new(text: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not an IPv4 or IPv6 address"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max && !p.starts_with('+') => n,
                _ => {
                    return Err(format!(
                        "prefix length {p:?} is not a number from 0 to {max}"
                    ));
                }
            },
        };
        // An IPv4-mapped block (`::ffff:10.0.0.0/104`) is its IPv4 block, as a
        // mapped address is its IPv4 address in `contains`: else it would match
        // nothing.
        let (network, prefix) = match network {
            IpAddr::V6(v6) if prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), prefix - 96),
                None => (network, prefix),
            },
            _ => (network, prefix),
        };
        let block = Cidr { network, prefix };
        if block.masked(network) != Some(network) {
            let net = block
                .masked(network)
                .map(|n| n.to_string())
                .unwrap_or_default();
            return Err(format!(
                "{text:?} has host bits set (the block is {net}/{prefix})"
            ));
        }
        Ok(block)
    }

    /// The prefix length: 0 for every address of the block's family.
    pub fn prefix_len(&self) -> u8 {
        self.prefix
    }

    pub fn is_ipv4(&self) -> bool {
        self.network.is_ipv4()
    }

    /// `addr` with the host bits cleared, when it is of the block's family.
    fn masked(&self, addr: IpAddr) -> Option<IpAddr> {
        match (self.network, addr) {
            (IpAddr::V4(_), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                Some(IpAddr::V4((u32::from(a) & mask).into()))
            }
            (IpAddr::V6(_), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                Some(IpAddr::V6((u128::from(a) & mask).into()))
            }
            _ => None,
        }
    }

    /// Whether two blocks share an address: they are of one family and agree on
    /// the shorter one's prefix (`0.0.0.0/0` overlaps every IPv4 block).
    pub fn overlaps(&self, other: &Cidr) -> bool {
        let (wide, narrow) = if self.prefix <= other.prefix {
            (self, other)
        } else {
            (other, self)
        };
        wide.masked(narrow.network) == Some(wide.network)
    }

    /// Whether the text of a field is an address inside the block. Text that is
    /// not an address (`cloudtrail.amazonaws.com`, `AWS Internal`) never matches;
    /// an IPv4-mapped IPv6 address counts as its IPv4 address.
    pub fn contains(&self, text: &str) -> bool {
        let Ok(addr) = text.trim().parse::<IpAddr>() else {
            return false;
        };
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        self.masked(addr) == Some(self.network)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_contain_their_addresses_only() {
        let ten = Cidr::new("10.0.0.0/8").unwrap();
        assert!(ten.contains("10.200.3.4"));
        assert!(!ten.contains("11.0.0.1"));
        assert!(ten.contains("::ffff:10.1.2.3"));
        assert!(!ten.contains("cloudtrail.amazonaws.com"));
        assert!(!ten.contains("AWS Internal"));
        let doc6 = Cidr::new("2001:db8::/32").unwrap();
        assert!(doc6.contains("2001:db8:1::7"));
        assert!(!doc6.contains("2001:db9::1"));
        assert!(!doc6.contains("10.0.0.1"));
        let one = Cidr::new("203.0.113.7").unwrap();
        assert!(one.contains("203.0.113.7"));
        assert!(!one.contains("203.0.113.8"));
        let all = Cidr::new("0.0.0.0/0").unwrap();
        assert!(all.contains("198.51.100.1"));
        assert!(!all.contains("2001:db8::1"));
    }

    /// From a review: a mapped block is its IPv4 block (it matched nothing).
    #[test]
    fn blocks_overlap_when_one_holds_part_of_the_other() {
        let b = |t: &str| Cidr::new(t).unwrap();
        assert!(b("0.0.0.0/0").overlaps(&b("10.0.0.0/8")));
        assert!(b("10.0.0.0/8").overlaps(&b("10.1.2.3")));
        assert!(b("10.1.0.0/16").overlaps(&b("10.0.0.0/8")));
        assert!(!b("11.0.0.0/8").overlaps(&b("10.0.0.0/8")));
        assert!(!b("0.0.0.0/0").overlaps(&b("::/0")), "families apart");
        assert!(b("::ffff:10.0.0.0/104").overlaps(&b("10.0.0.0/8")));
    }

    #[test]
    fn an_ipv4_mapped_block_is_its_ipv4_block() {
        let mapped = Cidr::new("::ffff:10.0.0.0/104").unwrap();
        assert_eq!(mapped, Cidr::new("10.0.0.0/8").unwrap());
        assert!(mapped.contains("10.9.8.7") && mapped.contains("::ffff:10.9.8.7"));
        assert!(!mapped.contains("11.0.0.1"));
        assert!(
            Cidr::new("::ffff:10.0.0.1/104")
                .unwrap_err()
                .contains("host bits")
        );
    }

    #[test]
    fn bad_blocks_are_refused_with_a_reason() {
        for (text, why) in [
            ("10.0.0.1/8", "host bits"),
            ("10.0.0.0/33", "0 to 32"),
            ("2001:db8::/129", "0 to 128"),
            ("10.0.0/8", "not an IPv4"),
            ("10.0.0.0/", "prefix length"),
            ("10.0.0.0/+8", "prefix length"),
            ("example.com/24", "not an IPv4"),
        ] {
            let e = Cidr::new(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
