//! "Try it" on the docs page: one call to the provider's API relayed by Keyport's server,
//! so it works whatever CORS the API sends. Checked before anything leaves
//! ([`keyport_core::openapi::relay`]): only to the document's own servers, only to public
//! addresses unless the operator allows private networks (every address a name resolves to
//! is checked, and the connection is pinned to the checked one), no redirects followed, a
//! timeout, bounded request and answer. The key the developer pastes goes into this one
//! call and is neither stored nor logged.

#[allow(unused_imports)]
use super::*;

/// What the API answered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TryAnswer {
    /// The status code.
    pub status: u16,
    /// Its reason phrase (`Not Found`).
    pub reason: String,
    /// From sending to the whole answer, in milliseconds.
    pub elapsed_ms: u64,
    /// The answer's headers, as sent.
    pub headers: Vec<(String, String)>,
    /// Its body as text (JSON pretty-printed), cut at 256 KB.
    pub body: String,
    /// The body was longer and is cut.
    pub truncated: bool,
}

/// Sends `method url` with `headers` (`Name: value` lines) and `body` to the API, through
/// Keyport. Signed-in developers only; refused with the reason when the call may not go.
#[server(endpoint = "docs/try")]
pub async fn try_call(method: String, url: String, headers: String, body: Option<String>) -> Result<TryAnswer, AppError> {
    ssr::require_caller().await?;
    ssr::no_store();
    // The refusals below are made here, not converted from the core: give them their status.
    relay(method, url, headers, body).await.inspect_err(AppError::set_status)
}

#[cfg(feature = "ssr")]
async fn relay(method: String, url: String, headers: String, body: Option<String>) -> Result<TryAnswer, AppError> {
    use keyport_core::openapi::relay;
    use std::time::{Duration, Instant};
    let invalid = |field: &str, message: String| AppError::Invalid { field: field.to_owned(), message };
    let svc = ssr::services()?;
    let settings = svc.settings();
    if !settings.docs_try_it {
        return Err(AppError::Conflict("Try it is switched off on this portal.".into()));
    }
    let method = method.trim().to_ascii_uppercase();
    if !relay::METHODS.contains(&method.as_str()) {
        return Err(invalid("method", format!("Try it sends {}.", relay::METHODS.join(", "))));
    }
    let Some((_, doc)) = svc.active_document().await? else {
        return Err(AppError::Conflict("There is no API document to try calls of.".into()));
    };
    let servers = keyport_core::openapi::server_urls(&doc, &svc.config.api_base_url);
    let target = relay::target(url.trim(), &servers).map_err(|m| invalid("url", format!("Not sent: {m}.")))?;
    let headers = relay::headers(&headers).map_err(|m| invalid("headers", format!("Not sent: {m}.")))?;
    let body = body.filter(|b| !b.is_empty());
    if body.as_ref().is_some_and(|b| b.len() > relay::MAX_BODY) {
        return Err(invalid("body", format!("Not sent: the body is larger than {} KB.", relay::MAX_BODY / 1024)));
    }
    // Every address the name has must be allowed, and the call goes to a checked one (a
    // second lookup by the HTTP client could answer differently).
    let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
    let addrs: Vec<std::net::SocketAddr> = match tokio::time::timeout(Duration::from_secs(5), lookup).await {
        Ok(Ok(a)) => a.take(20).collect(),
        Ok(Err(e)) => return Err(invalid("url", format!("Not sent: {} does not resolve ({e}).", target.host))),
        Err(_) => return Err(invalid("url", format!("Not sent: looking up {} took too long.", target.host))),
    };
    let first = *addrs.first().ok_or_else(|| invalid("url", format!("Not sent: {} has no address.", target.host)))?;
    if let Some(bad) = addrs.iter().find(|a| !relay::address_allowed(a.ip(), settings.docs_try_it_private_networks)) {
        return Err(invalid(
            "url",
            format!("Not sent: {} is at {}, a private or special address (the operator may allow private networks with docs.try_it_private_networks).", target.host, bad.ip()),
        ));
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(relay::TIMEOUT_SECS))
        .resolve(&target.host, first)
        .user_agent(concat!("Keyport-TryIt/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| {
            tracing::error!(error = %e, "the try-it client could not be built");
            AppError::Internal
        })?;
    let method = reqwest::Method::from_bytes(method.as_bytes()).map_err(|_| AppError::Internal)?;
    let mut req = client.request(method, &target.url);
    for h in &headers {
        req = req.header(h.name.as_str(), h.value.as_str());
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let started = Instant::now();
    let unreachable = |e: reqwest::Error| {
        let why = if e.is_timeout() { format!("no answer within {} seconds", relay::TIMEOUT_SECS) } else if e.is_connect() { "could not connect".to_owned() } else { "the connection failed".to_owned() };
        AppError::Conflict(format!("The API did not answer: {why}."))
    };
    let mut res = req.send().await.map_err(unreachable)?;
    let status = res.status();
    let answer_headers = res
        .headers()
        .iter()
        .take(100)
        .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).chars().take(2000).collect()))
        .collect();
    let mut bytes = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = res.chunk().await.map_err(unreachable)? {
        let room = relay::MAX_ANSWER - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        bytes.extend_from_slice(&chunk);
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) if !truncated => serde_json::to_string_pretty(&v).unwrap_or(text),
        _ => text,
    };
    Ok(TryAnswer {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        elapsed_ms: started.elapsed().as_millis() as u64,
        headers: answer_headers,
        body,
        truncated,
    })
}
