//! A real SMTP listener, in-process: enough of RFC 5321 for lettre to deliver to it, keeping
//! every message it receives.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A message as received: envelope recipients and the raw data.
#[derive(Clone, Debug)]
pub struct Received {
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
    /// Headers and body, as sent after `DATA` (dot-unstuffed).
    pub data: String,
}

impl Received {
    /// A header's value (first occurrence, unfolded).
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    // Unfolding removes the line break only, not the whitespace.
                    v.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case(name) {
                    value = Some(v.trim().to_owned());
                }
            }
        }
        value
    }

    /// A header's value with its RFC 2047 encoded words (`=?utf-8?b?…?=`) decoded, as a
    /// mail client shows it.
    pub fn decoded_header(&self, name: &str) -> Option<String> {
        self.header(name).map(|v| decode_words(&v))
    }

    /// The plain-text body (the text/plain part of a multipart message), decoded.
    pub fn text(&self) -> String {
        if self.is_multipart() {
            return self.part("text/plain").expect("a text/plain part");
        }
        let body = self.data.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        decode(body, &self.header("Content-Transfer-Encoding").unwrap_or_default())
    }

    /// Whether it is multipart/alternative.
    pub fn is_multipart(&self) -> bool {
        self.header("Content-Type").unwrap_or_default().to_lowercase().starts_with("multipart/alternative")
    }

    /// The content types of its parts, in order (empty for a single-part message).
    pub fn part_types(&self) -> Vec<String> {
        self.parts().into_iter().map(|(t, _)| t).collect()
    }

    /// The decoded body of the part of type `mime` (`text/html`).
    pub fn part(&self, mime: &str) -> Option<String> {
        self.parts().into_iter().find(|(t, _)| t == mime).map(|(_, b)| b)
    }

    /// (content type without parameters, decoded body) of each part.
    fn parts(&self) -> Vec<(String, String)> {
        let content_type = self.header("Content-Type").unwrap_or_default();
        let Some(boundary) = content_type.split(';').find_map(|p| p.trim().strip_prefix("boundary=")) else {
            return Vec::new();
        };
        let boundary = format!("--{}", boundary.trim_matches('"'));
        let body = self.data.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        body.split(boundary.as_str())
            .skip(1)
            .filter(|p| !p.starts_with("--"))
            .filter_map(|p| {
                let p = p.strip_prefix("\r\n").unwrap_or(p);
                let (head, content) = p.split_once("\r\n\r\n")?;
                let part = Received { to: Vec::new(), data: format!("{head}\r\n\r\n") };
                let mime = part.header("Content-Type")?.split(';').next()?.trim().to_lowercase();
                let content = content.strip_suffix("\r\n").unwrap_or(content);
                Some((mime, decode(content, &part.header("Content-Transfer-Encoding").unwrap_or_default())))
            })
            .collect()
    }

    /// The invitation token in the body's `/portal/invite/<token>` link.
    pub fn invitation_token(&self) -> Option<String> {
        token_in(&self.text())
    }
}

/// The invitation token in a text's `/portal/invite/<token>` link.
pub fn token_in(text: &str) -> Option<String> {
    let start = text.find("/portal/invite/")? + "/portal/invite/".len();
    let token: String = text[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    (!token.is_empty()).then_some(token)
}

/// A header value with its encoded words decoded (base64 and Q, UTF-8).
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let parts: Vec<&str> = rest[start + 2..].splitn(3, '?').collect();
        let Some(end) = parts.get(2).and_then(|p| p.find("?=")) else { break };
        let between = &rest[..start];
        // Whitespace between two encoded words is not part of the text (RFC 2047, 6.2).
        if !(after_word && between.trim().is_empty()) {
            out.push_str(between);
        }
        let text = &parts[2][..end];
        out.push_str(&if parts[1].eq_ignore_ascii_case("b") { decode(text, "base64") } else { decode_qp(&text.replace('_', " ")) });
        after_word = true;
        rest = &parts[2][end + 2..];
    }
    out.push_str(rest);
    out
}

/// A body decoded from its transfer encoding.
fn decode(body: &str, encoding: &str) -> String {
    match encoding.to_lowercase().as_str() {
        "quoted-printable" => decode_qp(body),
        "base64" => {
            use base64::Engine;
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(compact).unwrap()).unwrap()
        }
        _ => body.to_owned(),
    }
}

fn decode_qp(s: &str) -> String {
    let joined = s.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The listener and what it received.
pub struct SmtpSink {
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpSink {
    /// Starts listening on a free port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, store.clone()));
            }
        });
        Self { port, received }
    }

    /// `smtp://127.0.0.1:<port>` (plain, no authentication).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Everything received so far.
    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits until `n` messages have arrived (bounded, so a broken build fails, not hangs).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {n} emails, got {}", self.messages().len());
    }
}

async fn session(stream: TcpStream, store: Arc<Mutex<Vec<Received>>>) {
    let (r, mut w) = stream.into_split();
    let mut lines = BufReader::new(r);
    let _ = w.write_all(b"220 sink.test ESMTP ready\r\n").await;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("MAIL FROM") || upper == "RSET" || upper == "NOOP" {
            if upper.starts_with("MAIL FROM") {
                to.clear();
            }
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO") {
            let addr = line.trim_end()[8..].trim().trim_start_matches('<').trim_end_matches('>').to_owned();
            to.push(addr);
            b"250 OK\r\n"
        } else if upper == "DATA" {
            let _ = w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            store.lock().unwrap().push(Received { to: std::mem::take(&mut to), data });
            b"250 OK: queued\r\n"
        } else if upper == "QUIT" {
            let _ = w.write_all(b"221 Bye\r\n").await;
            return;
        } else {
            b"502 Command not implemented\r\n"
        };
        if w.write_all(reply).await.is_err() {
            return;
        }
    }
}
