//! What the docs' "Try it" relay may send, checked before anything leaves: only to the
//! document's own servers (the whole scheme and authority of one of them, then a path), only
//! to public addresses unless the operator allows private ones, with a bounded request. The
//! fetching itself (DNS, the connection pinned to a checked address, no redirects, a timeout
//! and a size limit) is the portal's; these are the pure rules it applies.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The methods "Try it" sends.
pub const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
/// The longest URL relayed.
pub const MAX_URL: usize = 4096;
/// The most headers relayed, and the longest value.
pub const MAX_HEADERS: usize = 30;
/// The longest header value.
pub const MAX_HEADER_VALUE: usize = 8192;
/// The largest request body relayed (under the portal's own limit on a request to it).
pub const MAX_BODY: usize = 256 * 1024;
/// The largest answer body kept (the rest is cut and said to be).
pub const MAX_ANSWER: usize = 256 * 1024;
/// How long the relay waits for an answer, in seconds.
pub const TIMEOUT_SECS: u64 = 10;

/// Headers the relay sets itself, or that would let a caller speak for someone else.
const FORBIDDEN_HEADERS: [&str; 12] =
    ["host", "content-length", "transfer-encoding", "connection", "upgrade", "te", "trailer", "keep-alive", "proxy-authorization", "proxy-connection", "forwarded", "x-forwarded-for"];

/// Where a relayed call goes: checked against the document's servers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The whole URL.
    pub url: String,
    /// Its host, as in the URL (an IPv6 address without brackets).
    pub host: String,
    /// Its port (the scheme's default when the URL names none).
    pub port: u16,
}

/// A header the relay will send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// `url` when it is under one of `servers` (absolute `http(s)://` base URLs): the same scheme
/// and authority, then nothing, `/…`, `?…` or `#…`. Anything else is refused with why.
pub fn target(url: &str, servers: &[String]) -> Result<Target, String> {
    if url.len() > MAX_URL {
        return Err(format!("the URL is longer than {MAX_URL} characters"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return Err("the URL holds spaces, control characters or backslashes".into());
    }
    let base = servers
        .iter()
        .map(|s| s.trim_end_matches('/'))
        .filter(|s| s.starts_with("https://") || s.starts_with("http://"))
        .find(|s| url.strip_prefix(*s).is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#'])))
        .ok_or_else(|| {
            let list = servers.iter().filter(|s| s.starts_with("http")).cloned().collect::<Vec<_>>();
            if list.is_empty() {
                "this API's document names no server with an absolute http(s) URL to send calls to".to_owned()
            } else {
                format!("calls go only to this API's servers ({})", list.join(", "))
            }
        })?;
    let (scheme, rest) = base.split_once("://").ok_or("a server URL without a scheme")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Err("the server's URL has no host, or has user information in it".into());
    }
    let default_port = if scheme == "https" { 443 } else { 80 };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or("a server URL with a broken IPv6 address")?;
        (h.to_owned(), after.strip_prefix(':').map(str::parse).transpose().map_err(|_| "a server URL with a bad port")?.unwrap_or(default_port))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().map_err(|_| "a server URL with a bad port")?),
            None => (authority.to_owned(), default_port),
        }
    };
    if host.is_empty() || port == 0 {
        return Err("the server's URL has no host or port".into());
    }
    Ok(Target { url: url.split('#').next().unwrap_or(url).to_owned(), host: host.to_ascii_lowercase(), port })
}

/// Whether the relay may connect to `ip`: public unicast addresses, and with
/// `private_allowed` also loopback, private, link-local and shared ranges. Never the
/// unspecified, broadcast, multicast or reserved ones.
pub fn address_allowed(ip: IpAddr, private_allowed: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_allowed(v4, private_allowed),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_allowed(v4, private_allowed),
            None => v6_allowed(v6, private_allowed),
        },
    }
}

fn v4_allowed(ip: Ipv4Addr, private_allowed: bool) -> bool {
    let [a, b, ..] = ip.octets();
    let never = ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast() || a == 0 || a >= 240;
    let private = ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || (a == 192 && b == 0 && ip.octets()[2] == 0);
    !never && (private_allowed || !private)
}

fn v6_allowed(ip: Ipv6Addr, private_allowed: bool) -> bool {
    let first = ip.segments()[0];
    let never = ip.is_unspecified() || ip.is_multicast() || first == 0x0064 || (first & 0xfe00) == 0x0000 && !ip.is_loopback();
    let private = ip.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80;
    !never && (private_allowed || !private)
}

/// The headers of a relayed call from `Name: value` lines: at most [`MAX_HEADERS`], names
/// that are HTTP tokens, values without line breaks, none the relay sets itself.
pub fn headers(lines: &str) -> Result<Vec<Header>, String> {
    let mut out = Vec::new();
    for line in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or_else(|| format!("“{}” is not a header (Name: value)", short(line)))?;
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || name.len() > 100 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)) {
            return Err(format!("“{}” is not a header name", short(name)));
        }
        if FORBIDDEN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(format!("the relay sets {name} itself"));
        }
        if value.len() > MAX_HEADER_VALUE || value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(format!("the value of {name} is too long or holds control characters"));
        }
        out.push(Header { name: name.to_owned(), value: value.to_owned() });
        if out.len() > MAX_HEADERS {
            return Err(format!("at most {MAX_HEADERS} headers"));
        }
    }
    Ok(out)
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers() -> Vec<String> {
        vec!["https://api.example.com/v1".into(), "http://127.0.0.1:8080".into(), "http://[::1]:9000/".into()]
    }

    #[test]
    fn only_urls_under_the_documents_servers_are_relayed() {
        let t = target("https://api.example.com/v1/pets?limit=5#x", &servers()).unwrap();
        assert_eq!((t.url.as_str(), t.host.as_str(), t.port), ("https://api.example.com/v1/pets?limit=5", "api.example.com", 443));
        assert_eq!(target("http://127.0.0.1:8080", &servers()).unwrap().port, 8080);
        assert_eq!(target("http://[::1]:9000/a", &servers()).unwrap().host, "::1");
        for bad in [
            "https://api.example.com/v2/pets",
            "https://api.example.com/v1.evil.com/x",
            "https://api.example.com.evil.com/v1/pets",
            "https://api.example.com/v1@evil.com/",
            "http://api.example.com/v1/pets",
            "https://evil.com/",
            "file:///etc/passwd",
            "https://api.example.com/v1/a b",
            "https://api.example.com/v1/\\..\\x",
            "http://127.0.0.1:8081/",
        ] {
            assert!(target(bad, &servers()).is_err(), "{bad}");
        }
        assert!(target(&format!("https://api.example.com/v1/{}", "a".repeat(MAX_URL)), &servers()).is_err());
        assert!(target("https://x.example/", &["/relative".into()]).unwrap_err().contains("names no server"));
    }

    #[test]
    fn private_and_special_addresses_need_the_operators_consent() {
        for public in ["93.184.216.34", "8.8.8.8", "2606:2800:220:1:248:1893:25c8:1946"] {
            assert!(address_allowed(public.parse().unwrap(), false), "{public}");
        }
        for private in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"] {
            assert!(!address_allowed(private.parse().unwrap(), false), "{private}");
            assert!(address_allowed(private.parse().unwrap(), true), "{private} when allowed");
        }
        for never in ["0.0.0.0", "255.255.255.255", "224.0.0.1", "240.0.0.1", "::", "ff02::1", "0.1.2.3"] {
            assert!(!address_allowed(never.parse().unwrap(), true), "{never}");
        }
    }

    #[test]
    fn headers_are_bounded_and_cannot_smuggle() {
        let h = headers("Authorization: Bearer kp_test_x\n\nX-Trace:  abc \n").unwrap();
        assert_eq!(h, [Header { name: "Authorization".into(), value: "Bearer kp_test_x".into() }, Header { name: "X-Trace".into(), value: "abc".into() }]);
        for bad in ["no colon", "Bad Name: x", "Host: evil.com", "Content-Length: 5", "X-A: a\u{0}b", ": empty"] {
            assert!(headers(bad).is_err(), "{bad:?}");
        }
        assert!(headers(&"X-A: 1\n".repeat(MAX_HEADERS + 1)).is_err());
        assert!(headers(&format!("X-A: {}", "v".repeat(MAX_HEADER_VALUE + 1))).is_err());
    }
}
