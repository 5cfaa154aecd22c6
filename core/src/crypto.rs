//! Secrets: the server secret, key hashing, random tokens and ids.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use std::fmt;

/// The server secret that keys are hashed under. `Debug` prints nothing of it.
#[derive(Clone)]
pub struct ServerSecret(Vec<u8>, Hmac<Sha256>);

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSecret(<redacted>)")
    }
}

impl ServerSecret {
    /// Wraps secret bytes (at least 32).
    pub fn new(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.len() < 32 {
            return Err("the server secret must be at least 32 bytes".into());
        }
        // Keyed once: every key hash starts from a copy of this state instead of re-deriving
        // the inner and outer pads (two SHA-256 blocks saved on every verify).
        let mac = Hmac::<Sha256>::new_from_slice(&bytes).expect("hmac takes any key length");
        Ok(Self(bytes, mac))
    }

    /// Generates a fresh 32-byte secret, encoded for a file or an environment variable.
    pub fn generate_encoded() -> String {
        let mut b = [0u8; 32];
        os_rng().fill_bytes(&mut b);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
    }

    /// Decodes a secret produced by [`ServerSecret::generate_encoded`] (or any long string).
    pub fn from_encoded(s: &str) -> Result<Self, String> {
        let s = s.trim();
        match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s) {
            Ok(b) if b.len() >= 32 => Self::new(b),
            _ => Self::new(s.as_bytes().to_vec()),
        }
    }

    /// HMAC-SHA-256 of `data` under the secret, hex-encoded: how keys are stored.
    pub fn hash_key(&self, data: &str) -> String {
        hex::encode(self.hash_key_digest(data))
    }

    /// The same HMAC as raw bytes (the verify path's cache key: no hex, no allocation).
    pub fn hash_key_digest(&self, data: &str) -> [u8; 32] {
        let mut mac = self.1.clone();
        mac.update(data.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The one-time token of the email `email_id` (256 bits, URL-safe). It is derived rather
    /// than stored, so the outbox holds no secret: only the delivery worker, which has the
    /// server secret, puts it into the message it sends.
    pub fn email_link_token(&self, email_id: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("hmac takes any key length");
        mac.update(b"keyport one-time email link\0");
        mac.update(email_id.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Encrypts and authenticates `plain` for `purpose` (XChaCha20-Poly1305 under a key
    /// derived from the server secret, a random nonce). `bound_to` is authenticated but not
    /// stored: [`ServerSecret::open`] succeeds only with the same value (a session, say).
    /// URL-safe base64, fit for a cookie.
    pub fn seal(&self, purpose: &str, bound_to: &[u8], plain: &[u8]) -> String {
        use chacha20poly1305::aead::{Aead, KeyInit, Payload};
        let cipher = chacha20poly1305::XChaCha20Poly1305::new(&self.sealing_key(purpose).into());
        let mut nonce = [0u8; 24];
        os_rng().fill_bytes(&mut nonce);
        let sealed = cipher.encrypt(&nonce.into(), Payload { msg: plain, aad: bound_to }).expect("encrypting in memory cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
    }

    /// The plain bytes of something [`ServerSecret::seal`] made for `purpose` and `bound_to`,
    /// or `None` if it was made for anything else, altered, or is not such a value at all.
    pub fn open(&self, purpose: &str, bound_to: &[u8], sealed: &str) -> Option<Vec<u8>> {
        use chacha20poly1305::aead::{Aead, KeyInit, Payload};
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sealed).ok()?;
        if raw.len() < 24 + 16 {
            return None;
        }
        let (nonce, body) = raw.split_at(24);
        let cipher = chacha20poly1305::XChaCha20Poly1305::new(&self.sealing_key(purpose).into());
        cipher.decrypt(nonce.into(), Payload { msg: body, aad: bound_to }).ok()
    }

    /// A key of its own per purpose, so nothing sealed for one use opens for another.
    fn sealing_key(&self, purpose: &str) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("hmac takes any key length");
        mac.update(b"keyport sealing key\0");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// Compares two hashes in constant time.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// SHA-256 of a high-entropy token, hex-encoded (sessions and operator tokens are stored so).
pub fn sha256_hex(token: &str) -> String {
    hex::encode(sha256(token))
}

/// SHA-256 of a token as raw bytes (a cache key without hex).
pub fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A ChaCha20 generator seeded from the operating system.
pub fn os_rng() -> ChaCha20Rng {
    ChaCha20Rng::from_os_rng()
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` uniformly random base62 characters.
pub fn random_base62(n: usize) -> String {
    let mut rng = os_rng();
    (0..n).map(|_| BASE62[rng.random_range(0..BASE62.len())] as char).collect()
}

/// A URL-safe token of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    os_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A CSP nonce (128 bits, URL-safe) from a per-thread ChaCha20 generator seeded once from the
/// OS: unpredictable like [`random_token`], without a system call on every page.
pub fn nonce_token() -> String {
    thread_local! {
        static RNG: std::cell::RefCell<ChaCha20Rng> = std::cell::RefCell::new(os_rng());
    }
    let mut b = [0u8; 16];
    RNG.with(|r| r.borrow_mut().fill_bytes(&mut b));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// A new id with a type prefix, time-ordered (`key_0193…`).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_purpose_binding_and_secret() {
        let a = ServerSecret::new(vec![1; 32]).unwrap();
        let b = ServerSecret::new(vec![2; 32]).unwrap();
        let sealed = a.seal("new-key", b"session-1", b"kp_live_secret");
        assert!(!sealed.contains("kp_live"), "the value is encrypted");
        assert_ne!(sealed, a.seal("new-key", b"session-1", b"kp_live_secret"), "a fresh nonce each time");
        assert_eq!(a.open("new-key", b"session-1", &sealed).as_deref(), Some(&b"kp_live_secret"[..]));
        assert_eq!(a.open("new-key", b"session-2", &sealed), None, "another session cannot open it");
        assert_eq!(a.open("settings", b"session-1", &sealed), None, "another purpose cannot open it");
        assert_eq!(b.open("new-key", b"session-1", &sealed), None, "another server secret cannot open it");
        let mut altered = sealed.into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(a.open("new-key", b"session-1", std::str::from_utf8(&altered).unwrap()), None, "tampering is detected");
        assert_eq!(a.open("new-key", b"session-1", "not base64!"), None);
        assert_eq!(a.open("new-key", b"session-1", ""), None);
    }

    #[test]
    fn key_hash_depends_on_the_secret() {
        let a = ServerSecret::new(vec![1; 32]).unwrap();
        let b = ServerSecret::new(vec![2; 32]).unwrap();
        assert_ne!(a.hash_key("k"), b.hash_key("k"));
        assert_eq!(a.hash_key("k"), a.hash_key("k"));
        assert!(!format!("{a:?}").contains('1'));
        assert_eq!(a.email_link_token("eml_1"), a.email_link_token("eml_1"));
        assert_ne!(a.email_link_token("eml_1"), a.email_link_token("eml_2"));
        assert_ne!(a.email_link_token("eml_1"), b.email_link_token("eml_1"));
        assert_eq!(a.email_link_token("eml_1").len(), 43);
    }

    #[test]
    fn random_parts_have_the_right_shape() {
        let r = random_base62(22);
        assert_eq!(r.len(), 22);
        assert!(r.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(random_token(32), random_token(32));
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
    }
}
