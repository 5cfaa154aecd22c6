//! The API key format: `kp_<env>_<random base62><checksum>`.
//!
//! Following GitHub's token scheme, the last six characters are the CRC32 of everything
//! before them in base62, so a typo or a truncated paste is refused without any lookup,
//! and secret scanners can recognise a Keyport key by its shape alone.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The fixed prefix of every key. Never change it: scanners and parsers rely on it.
pub const KEY_PREFIX: &str = "kp_";
/// Number of random base62 characters (62^22 ≈ 2^131, so ≥ 128 bits).
pub const RANDOM_LEN: usize = 22;
/// Number of base62 characters of the CRC32 checksum (62^6 > 2^32).
pub const CHECKSUM_LEN: usize = 6;
/// Total length of a key: `kp_live_` (8) + random + checksum.
pub const KEY_LEN: usize = 8 + RANDOM_LEN + CHECKSUM_LEN;
/// Visible characters of the random part kept for display (`kp_live_AbCd…wxyz`).
pub const DISPLAY_START_LEN: usize = 8 + 4;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Which environment a key belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Production traffic.
    Live,
    /// Development and testing.
    Test,
}

impl Environment {
    /// The tag used in the key and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Live => "live",
            Environment::Test => "test",
        }
    }

    /// Parses the tag used in keys, forms and the database.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "live" => Some(Environment::Live),
            "test" => Some(Environment::Test),
            _ => None,
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Encodes `n` in base62, left-padded with '0' to `width` characters.
pub fn base62_fixed(mut n: u64, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out).expect("base62 is ascii")
}

/// The checksum characters for the part of a key before them.
pub fn checksum(body: &str) -> String {
    base62_fixed(u64::from(crc32fast::hash(body.as_bytes())), CHECKSUM_LEN)
}

/// Builds a full key from its environment and random part, appending the checksum.
pub fn assemble(env: Environment, random: &str) -> String {
    let body = format!("{KEY_PREFIX}{}_{random}", env.as_str());
    let sum = checksum(&body);
    body + &sum
}

/// Why a string is not a well-formed key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFormatError {
    /// Wrong length, prefix, environment tag or alphabet.
    Shape,
    /// Right shape, but the checksum does not match: a typo or a truncated paste.
    Checksum,
}

/// A string that has the shape of a Keyport key and a correct checksum.
/// Nothing is known about whether it exists.
#[derive(Clone, PartialEq, Eq)]
pub struct WellFormedKey<'a> {
    raw: &'a str,
    env: Environment,
}

impl fmt::Debug for WellFormedKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WellFormedKey({}…)", &self.raw[..DISPLAY_START_LEN])
    }
}

impl<'a> WellFormedKey<'a> {
    /// Checks shape and checksum; performs no I/O.
    pub fn parse(raw: &'a str) -> Result<Self, KeyFormatError> {
        if raw.len() != KEY_LEN || !raw.is_ascii() || !raw.starts_with(KEY_PREFIX) {
            return Err(KeyFormatError::Shape);
        }
        let env = Environment::parse(&raw[3..7]).ok_or(KeyFormatError::Shape)?;
        if raw.as_bytes()[7] != b'_' {
            return Err(KeyFormatError::Shape);
        }
        let tail = &raw[8..];
        if !tail.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(KeyFormatError::Shape);
        }
        let (body, sum) = raw.split_at(KEY_LEN - CHECKSUM_LEN);
        if checksum(body) != sum {
            return Err(KeyFormatError::Checksum);
        }
        Ok(Self { raw, env })
    }

    /// The key's environment.
    pub fn environment(&self) -> Environment {
        self.env
    }

    /// The whole key; handle with care.
    pub fn expose(&self) -> &'a str {
        self.raw
    }

    /// The start shown in lists (`kp_live_AbCd`).
    pub fn display_start(&self) -> &'a str {
        &self.raw[..DISPLAY_START_LEN]
    }

    /// The last four characters shown in lists.
    pub fn last4(&self) -> &'a str {
        &self.raw[KEY_LEN - 4..]
    }
}

/// A freshly created key in full. It exists only in the create response and is never stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PlainKey(String);

impl PlainKey {
    /// Wraps a full key string.
    pub fn new(s: String) -> Self {
        Self(s)
    }
    /// The secret itself, for the one time it is shown.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// A masked rendering that is safe to put on screen.
    pub fn masked(&self) -> String {
        mask(
            self.0.get(..DISPLAY_START_LEN).unwrap_or(""),
            self.0.get(self.0.len().saturating_sub(4)..).unwrap_or(""),
        )
    }
}

impl fmt::Debug for PlainKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlainKey(<redacted>)")
    }
}

/// The masked form shown in lists: start, an ellipsis, the last four.
pub fn mask(start: &str, last4: &str) -> String {
    format!("{start}…{last4}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        assemble(Environment::Live, "AbCdEfGhIjKlMnOpQrStUv")
    }

    #[test]
    fn assembled_key_parses_with_its_environment() {
        let k = sample();
        assert_eq!(k.len(), KEY_LEN);
        let parsed = WellFormedKey::parse(&k).unwrap();
        assert_eq!(parsed.environment(), Environment::Live);
        assert_eq!(parsed.display_start(), "kp_live_AbCd");
    }

    #[test]
    fn a_single_changed_character_fails_the_checksum() {
        let k = sample();
        let mut bytes = k.into_bytes();
        bytes[10] = if bytes[10] == b'x' { b'y' } else { b'x' };
        let typo = String::from_utf8(bytes).unwrap();
        assert_eq!(WellFormedKey::parse(&typo), Err(KeyFormatError::Checksum));
    }

    #[test]
    fn wrong_shapes_are_refused() {
        let k = sample();
        for bad in [
            "",
            "kp_live_",
            &k[..KEY_LEN - 1],
            &format!("{k}a"),
            &k.replacen("kp_", "xx_", 1),
            &k.replacen("live", "prod", 1),
            &k.replacen("_A", "-A", 1),
            &format!("{}é{}", &k[..20], &k[22..]),
        ] {
            assert_eq!(WellFormedKey::parse(bad), Err(KeyFormatError::Shape), "{bad}");
        }
    }

    #[test]
    fn base62_is_fixed_width_and_distinct() {
        assert_eq!(base62_fixed(0, 6), "000000");
        assert_eq!(base62_fixed(61, 2), "0z");
        assert_eq!(base62_fixed(u64::from(u32::MAX), 6).len(), 6);
    }

    #[test]
    fn plain_key_debug_never_shows_the_secret() {
        let k = PlainKey::new(sample());
        assert!(!format!("{k:?}").contains("AbCd"));
        assert_eq!(k.masked(), format!("kp_live_AbCd…{}", &sample()[KEY_LEN - 4..]));
    }
}
