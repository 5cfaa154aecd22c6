//! The portal protects itself: every server function call is counted per session and per
//! client address (`portal.ratelimit_per_minute`), and the calls that make keys or send
//! invitations more tightly, so a stolen session cannot mint keys in bulk. Memory is bounded:
//! windows last a minute and are pruned each minute, and past [`MAX_TRACKED`] callers a new
//! one is refused until the next prune.

use crate::services::Services;

/// Callers (sessions and addresses) tracked at most at once; beyond, newcomers wait.
pub const MAX_TRACKED: usize = 500_000;

/// Server functions that create keys or send email: limited to a twelfth of the general
/// limit per session (a quarter per address).
pub const TIGHT_ENDPOINTS: [&str; 7] =
    ["keys/create", "keys/rotate", "keys/regenerate", "admin/keys/create", "invitations/create", "invitations/resend", "teams/create"];

/// How many people one address may stand for (an office behind one router).
const PER_ADDRESS_FACTOR: u64 = 5;

/// The address an IPv6 caller is counted under: its /64 network (one host can use a whole
/// /64). IPv4 addresses and anything else are taken as they are.
pub fn address_key(ip: &str) -> String {
    match ip.parse::<std::net::Ipv6Addr>() {
        Ok(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(v6) => v6.to_ipv4_mapped().map(|v4| v4.to_string()).unwrap_or_default(),
        Err(_) => ip.to_owned(),
    }
}

impl Services {
    /// Counts a server function call; `Err(seconds)` says when to try again. `session` is
    /// the session cookie if one was sent (its value is only hashed into a counter slot).
    pub fn check_portal_call(&self, session: Option<&str>, ip: &str, endpoint: &str) -> Result<(), u64> {
        let general = u64::try_from(self.settings().portal_ratelimit_per_minute).unwrap_or(1).max(1);
        let tight = TIGHT_ENDPOINTS.contains(&endpoint);
        let (per_session, per_address) =
            if tight { ((general / 12).max(1), (general / 4).max(1)) } else { (general, general * PER_ADDRESS_FACTOR) };
        let now = self.now().timestamp();
        let class = if tight { "t" } else { "g" };
        let address = format!("{class}a:{}", address_key(ip));
        let wait = |reset: i64| u64::try_from(reset - now).unwrap_or(1).max(1);
        let next_minute = 60 - now.rem_euclid(60);
        match self.portal_limiter.check_bounded(&address, per_address, 60, now, MAX_TRACKED) {
            None => return Err(next_minute as u64),
            Some(d) if !d.allowed => return Err(wait(d.reset)),
            Some(_) => {}
        }
        if let Some(token) = session.filter(|t| !t.is_empty() && t.len() <= 128) {
            let id = format!("{class}s:{token}");
            let refused = match self.portal_limiter.check_bounded(&id, per_session, 60, now, MAX_TRACKED) {
                None => Some(next_minute as u64),
                Some(d) if !d.allowed => Some(wait(d.reset)),
                Some(_) => None,
            };
            if let Some(after) = refused {
                self.portal_limiter.refund(&address, 60, now);
                return Err(after);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::address_key;

    #[test]
    fn ipv6_callers_count_by_their_network() {
        assert_eq!(address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(address_key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
        assert_eq!(address_key("::ffff:10.0.0.1"), "10.0.0.1");
        assert_eq!(address_key("192.0.2.7"), "192.0.2.7");
    }
}
