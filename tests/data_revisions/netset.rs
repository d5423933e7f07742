//! Sets of addresses as ranges of integers, for the oracle: what netaddr's `IPSet` does in
//! upstream's migrations, written without the crates the shipped revisions use (ipnet), so the
//! two cannot share a mistake.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A block of addresses of one family, as the integers of its first and last address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Block {
    pub v6: bool,
    pub first: u128,
    pub last: u128,
}

impl Block {
    /// `text` (`addr/len`, or a bare address: one address) as a block, host bits ignored.
    pub fn parse(text: &str) -> Block {
        let text = text.trim();
        let (addr, len) = match text.split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u32>().expect("a prefix length"))),
            None => (text, None),
        };
        let (v6, value, width) = match addr.parse::<IpAddr>().expect("an address") {
            IpAddr::V4(a) => (false, u128::from(u32::from(a)), 32),
            IpAddr::V6(a) => (true, u128::from(a), 128),
        };
        let host = width - len.unwrap_or(width);
        let mask = if host == 128 {
            u128::MAX
        } else {
            (1u128 << host) - 1
        };
        Block {
            v6,
            first: value & !mask,
            last: (value & !mask) | mask,
        }
    }

    fn width(&self) -> u32 {
        if self.v6 { 128 } else { 32 }
    }

    /// A single address as a block.
    pub fn address(v6: bool, at: u128) -> Block {
        Block {
            v6,
            first: at,
            last: at,
        }
    }

    /// The address `at` of this block's family, as text.
    pub fn show(v6: bool, at: u128) -> String {
        if v6 {
            Ipv6Addr::from(at).to_string()
        } else {
            Ipv4Addr::from(at as u32).to_string()
        }
    }

    /// `at` as an IPv6 integer, an IPv4 address mapped into `::ffff:0:0/96`.
    pub fn as_v6(v6: bool, at: u128) -> u128 {
        if v6 { at } else { 0xffff_0000_0000 | at }
    }
}

/// A set of addresses of both families: disjoint, non-adjacent blocks in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Set(Vec<Block>);

impl Set {
    pub fn of(blocks: impl IntoIterator<Item = Block>) -> Set {
        let mut all: Vec<Block> = blocks.into_iter().collect();
        all.sort();
        let mut out: Vec<Block> = Vec::new();
        for b in all {
            match out.last_mut() {
                Some(cur)
                    if cur.v6 == b.v6 && cur.last.checked_add(1).is_none_or(|n| b.first <= n) =>
                {
                    cur.last = cur.last.max(b.last);
                }
                _ => out.push(b),
            }
        }
        Set(out)
    }

    pub fn add(&mut self, block: Block) {
        *self = Set::of(self.0.iter().copied().chain([block]));
    }

    pub fn contains(&self, v6: bool, at: u128) -> bool {
        self.0
            .iter()
            .any(|b| b.v6 == v6 && b.first <= at && at <= b.last)
    }

    /// Whether every address of this set is in `other` (netaddr: `(self - other).size == 0`).
    pub fn within(&self, other: &Set) -> bool {
        self.0.iter().all(|x| {
            other
                .0
                .iter()
                .any(|b| b.v6 == x.v6 && b.first <= x.first && x.last <= b.last)
        })
    }

    pub fn intersection(&self, other: &Set) -> Set {
        let mut out = Vec::new();
        for a in &self.0 {
            for b in &other.0 {
                let (first, last) = (a.first.max(b.first), a.last.min(b.last));
                if a.v6 == b.v6 && first <= last {
                    out.push(Block {
                        v6: a.v6,
                        first,
                        last,
                    });
                }
            }
        }
        Set::of(out)
    }

    /// The fewest CIDRs that cover the set, as text (netaddr's `iter_cidrs`).
    pub fn cidrs(&self) -> Vec<String> {
        let mut out = Vec::new();
        for b in &self.0 {
            let width = b.width();
            let mut at = b.first;
            loop {
                // The largest block aligned at `at` that ends by `b.last`.
                let mut host = if at == 0 {
                    width
                } else {
                    at.trailing_zeros().min(width)
                };
                let span = |h: u32| {
                    if h == 128 {
                        u128::MAX
                    } else {
                        (1u128 << h) - 1
                    }
                };
                while span(host) > b.last - at {
                    host -= 1;
                }
                out.push(format!("{}/{}", Block::show(b.v6, at), width - host));
                let end = at + span(host);
                if end >= b.last {
                    break;
                }
                at = end + 1;
            }
        }
        out
    }

    /// How many addresses the set holds, in decimal (it may exceed `u128`).
    pub fn size(&self) -> String {
        let mut total = 0u128;
        let mut overflows = 0u32;
        for b in &self.0 {
            match (b.last - b.first).checked_add(1) {
                Some(n) => {
                    let (sum, over) = total.overflowing_add(n);
                    total = sum;
                    overflows += u32::from(over);
                }
                None => overflows += 1,
            }
        }
        let mut decimal = total.to_string();
        for _ in 0..overflows {
            decimal = add_decimal(&decimal, "340282366920938463463374607431768211456");
        }
        decimal
    }
}

/// The sum of two decimal numbers, digit by digit.
fn add_decimal(a: &str, b: &str) -> String {
    let (a, b): (Vec<u8>, Vec<u8>) = (a.bytes().rev().collect(), b.bytes().rev().collect());
    let mut out = Vec::new();
    let mut carry = 0;
    for i in 0..a.len().max(b.len()) {
        let digit = |d: &Vec<u8>| d.get(i).map_or(0, |c| c - b'0');
        let sum = digit(&a) + digit(&b) + carry;
        out.push(b'0' + sum % 10);
        carry = sum / 10;
    }
    if carry > 0 {
        out.push(b'0' + carry);
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

#[test]
fn netset_agrees_with_netaddr_on_known_answers() {
    // Answers netaddr gives (0.7.12, 0.7.19).
    let set = |cidrs: &[&str]| Set::of(cidrs.iter().map(|c| Block::parse(c)));
    assert_eq!(set(&["192.168.10.13/32", "192.168.10.16/31"]).size(), "3");
    assert_eq!(set(&["fd00::/64"]).size(), "18446744073709551616");
    assert_eq!(
        set(&["::/0", "10.0.0.0/31"]).size(),
        "340282366920938463463374607431768211458"
    );
    assert_eq!(
        set(&["192.168.10.0/16"])
            .intersection(&set(&["192.168.10.5/24"]))
            .cidrs(),
        ["192.168.10.0/24"]
    );
    assert_eq!(
        set(&["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/25"]).cidrs(),
        ["10.0.0.0/23", "10.0.2.0/25"]
    );
    assert_eq!(set(&["::/0"]).cidrs(), ["::/0"]);
    assert_eq!(set(&["0.0.0.0/0"]).cidrs(), ["0.0.0.0/0"]);
    assert!(set(&["10.0.0.7"]).within(&set(&["10.0.0.0/24"])));
    assert!(!set(&["10.0.0.0/23"]).within(&set(&["10.0.0.0/24", "10.0.1.0/25"])));
    assert!(set(&["::ffff:10.0.0.0/120"]).intersection(&set(&["10.0.0.0/24"])) == Set::default());
    let b = Block::parse("192.168.10.13/31");
    assert_eq!(
        (Block::as_v6(b.v6, b.first), Block::as_v6(b.v6, b.last)),
        (281473913981452, 281473913981453)
    );
}
