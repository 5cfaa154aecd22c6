//! Single sign-on, the protocol side: `GET /portal/sso/{provider}/start` sends the browser to
//! the provider with a fresh state, nonce and PKCE challenge (kept in a sealed, ten-minute,
//! HttpOnly cookie of this browser); `GET /portal/sso/{provider}/callback` checks the state,
//! exchanges the code and checks what comes back — for OpenID Connect (Google and a generic
//! provider) the ID token's signature against the provider's JWKS, issuer, audience, expiry
//! and nonce, all by the `openidconnect` crate; for GitHub its user API's verified primary
//! address — and hands the identity to `Services::sso_sign_in`, the one place a session is
//! made. Every refusal lands on the sign-in page with a code it turns into a sentence.

use crate::startup::AppState;
use axum::extract::{ConnectInfo, FromRef, Path, Query, State};
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use keyport_core::crypto::constant_time_eq;
use keyport_core::services::audit::RequestMeta;
use keyport_core::services::settings::{SsoClient, SSO_PROVIDERS};
use keyport_core::services::mfa::SignInStep;
use keyport_core::services::sso::VerifiedIdentity;
use keyport_core::Services;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The cookie that carries a sign-in flow's state between start and callback. `SameSite=Lax`:
/// the callback is a top-level navigation from the provider's site, which `Strict` would
/// strip the cookie from.
pub const FLOW_COOKIE: &str = "__Host-keyport_sso";

/// How long a sign-in at the provider may take.
const FLOW_SECONDS: i64 = 600;

/// How long a provider's discovery document (and its keys) is reused.
const DISCOVERY_TTL: Duration = Duration::from_secs(300);

/// Google's issuer.
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

const SEAL_PURPOSE: &str = "sso-flow";

/// The HTTP client and caches of single sign-on, shared by its routes.
pub struct Sso {
    http: reqwest::Client,
    github_web: String,
    github_api: String,
    /// One discovery document per provider at most (Google, the generic one), keyed by the
    /// issuer it came from, so a changed `oauth.oidc.issuer` is fetched anew at once.
    discovered: Mutex<Vec<(&'static str, String, Instant, CoreProviderMetadata)>>,
}

impl FromRef<AppState> for Arc<Sso> {
    fn from_ref(s: &AppState) -> Self {
        s.sso.clone()
    }
}

/// What the flow cookie holds, sealed under the server secret.
#[derive(Serialize, Deserialize)]
struct Flow {
    provider: String,
    state: String,
    nonce: String,
    verifier: String,
    expires: i64,
    next: String,
}

/// Why a flow failed, as the code in the sign-in page's URL.
#[derive(Debug)]
enum Failure {
    /// The provider is not offered.
    Disabled,
    /// State missing, altered, expired or used: not this browser's flow.
    Refused,
    /// The person cancelled at the provider.
    Denied,
    /// The provider's answer did not check out (or it could not be reached).
    Failed(String),
}

impl Sso {
    /// A client that follows no redirects (a provider's answer is never a redirect, and
    /// following one would let a hostile document make this server fetch anything).
    /// `github_url` replaces `https://github.com` and `https://api.github.com` (as `{url}` and
    /// `{url}/api`) — for tests against a fake of GitHub.
    pub fn new(github_url: Option<&str>) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .user_agent("keyport-sso")
            .build()
            .expect("an HTTP client builds");
        let (github_web, github_api) = match github_url.map(|u| u.trim_end_matches('/')) {
            Some(u) if !u.is_empty() => (u.to_owned(), format!("{u}/api")),
            _ => ("https://github.com".to_owned(), "https://api.github.com".to_owned()),
        };
        Self { http, github_web, github_api, discovered: Mutex::new(Vec::new()) }
    }

    async fn metadata(&self, provider: &'static str, issuer: &str) -> Result<CoreProviderMetadata, Failure> {
        if let Ok(d) = self.discovered.lock() {
            if let Some((_, _, _, m)) = d.iter().find(|(p, i, at, _)| *p == provider && i == issuer && at.elapsed() < DISCOVERY_TTL) {
                return Ok(m.clone());
            }
        }
        let url = IssuerUrl::new(issuer.to_owned()).map_err(|e| Failure::Failed(format!("issuer URL: {e}")))?;
        let m = CoreProviderMetadata::discover_async(url, &self.http).await.map_err(|e| Failure::Failed(format!("discovery: {e}")))?;
        if let Ok(mut d) = self.discovered.lock() {
            d.retain(|(p, _, _, _)| *p != provider);
            d.push((provider, issuer.to_owned(), Instant::now(), m.clone()));
        }
        Ok(m)
    }

    /// Forgets a provider's discovery document (after its keys failed to check a token: it
    /// may have rotated them).
    fn forget(&self, provider: &str) {
        if let Ok(mut d) = self.discovered.lock() {
            d.retain(|(p, _, _, _)| *p != provider);
        }
    }
}

fn issuer_of(svc: &Services, provider: &str) -> Option<String> {
    match provider {
        "google" => Some(GOOGLE_ISSUER.to_owned()),
        "oidc" => Some(svc.settings().sso.oidc_issuer.clone()),
        _ => None,
    }
}

fn redirect_uri(svc: &Services, provider: &str) -> String {
    format!("{}/portal/sso/{provider}/callback", svc.settings().base_url.trim_end_matches('/'))
}

fn known(provider: &str) -> Option<&'static str> {
    SSO_PROVIDERS.iter().copied().find(|p| *p == provider)
}

/// Query of `/start`.
#[derive(Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /portal/sso/{provider}/start`: to the provider, with this flow's cookie.
pub async fn start(State(svc): State<Arc<Services>>, State(sso): State<Arc<Sso>>, Path(provider): Path<String>, Query(q): Query<StartQuery>) -> Response {
    let Some(provider) = known(&provider) else { return back(Failure::Disabled) };
    let live = svc.settings();
    let Some(client) = live.sso.client(provider).cloned() else { return back(Failure::Disabled) };
    let next = keyport_app::api::safe_next(q.next.as_deref()).to_owned();
    let redirect = redirect_uri(&svc, provider);
    let (pkce_challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = if provider == "github" {
        let state = CsrfToken::new_random();
        let mut url = match reqwest::Url::parse(&format!("{}/login/oauth/authorize", sso.github_web)) {
            Ok(u) => u,
            Err(e) => return back(Failure::Failed(e.to_string())),
        };
        url.query_pairs_mut()
            .append_pair("client_id", &client.client_id)
            .append_pair("redirect_uri", &redirect)
            .append_pair("scope", "read:user user:email")
            .append_pair("state", state.secret())
            .append_pair("code_challenge", pkce_challenge.as_str())
            .append_pair("code_challenge_method", "S256")
            .append_pair("allow_signup", "true");
        (url.to_string(), state.secret().clone(), String::new())
    } else {
        let Some(issuer) = issuer_of(&svc, provider) else { return back(Failure::Disabled) };
        let metadata = match sso.metadata(provider, &issuer).await {
            Ok(m) => m,
            Err(f) => return back(f),
        };
        let Ok(redirect_url) = RedirectUrl::new(redirect.clone()) else { return back(Failure::Failed("redirect URI".into())) };
        let oidc = CoreClient::from_provider_metadata(metadata, ClientId::new(client.client_id.clone()), Some(ClientSecret::new(client.client_secret.clone())))
            .set_redirect_uri(redirect_url);
        let (url, state, nonce) = oidc
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(pkce_challenge)
            .url();
        (url.to_string(), state.secret().clone(), nonce.secret().clone())
    };
    let flow = Flow {
        provider: provider.to_owned(),
        state,
        nonce,
        verifier: verifier.secret().clone(),
        expires: svc.now().timestamp() + FLOW_SECONDS,
        next,
    };
    let Ok(json) = serde_json::to_vec(&flow) else { return back(Failure::Failed("encoding the flow".into())) };
    let sealed = svc.secret.seal(SEAL_PURPOSE, provider.as_bytes(), &json);
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response();
    set_cookie(&mut res, &format!("{FLOW_COOKIE}={sealed}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={FLOW_SECONDS}"));
    res
}

/// Query of `/callback`: what the provider sends back.
#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /portal/sso/{provider}/callback`: checks the flow, then signs in (or refuses).
pub async fn callback(
    State(svc): State<Arc<Services>>,
    State(sso): State<Arc<Sso>>,
    Path(provider): Path<String>,
    Query(q): Query<CallbackQuery>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let mut res = finish(&svc, &sso, &provider, q, addr, &headers).await;
    // The flow is over either way: its cookie goes.
    set_cookie(&mut res, &format!("{FLOW_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"));
    res
}

async fn finish(svc: &Services, sso: &Sso, provider: &str, q: CallbackQuery, addr: SocketAddr, headers: &HeaderMap) -> Response {
    let Some(provider) = known(provider) else { return back(Failure::Disabled) };
    let Some(client) = svc.settings().sso.client(provider).cloned() else { return back(Failure::Disabled) };
    let Some(flow) = cookie(headers, FLOW_COOKIE)
        .and_then(|c| svc.secret.open(SEAL_PURPOSE, provider.as_bytes(), c))
        .and_then(|b| serde_json::from_slice::<Flow>(&b).ok())
        .filter(|f| f.provider == provider && f.expires > svc.now().timestamp())
    else {
        return back(Failure::Refused);
    };
    if q.error.is_some() {
        return back(Failure::Denied);
    }
    let (Some(code), Some(state)) = (q.code.filter(|c| !c.is_empty() && c.len() <= 2048), q.state) else { return back(Failure::Refused) };
    if !constant_time_eq(&state, &flow.state) {
        tracing::info!(provider, "single sign-on refused: state does not match this browser's flow");
        return back(Failure::Refused);
    }
    let expires = chrono::DateTime::from_timestamp(flow.expires, 0).unwrap_or_else(|| svc.now());
    match svc.use_sso_state(&flow.state, expires).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(provider, "single sign-on refused: this flow's callback already ran");
            return back(Failure::Refused);
        }
        Err(e) => return back(Failure::Failed(e.to_string())),
    }
    let label = svc.settings().sso.label(provider);
    let identity = if provider == "github" {
        github_identity(sso, &client, &code, &flow, &redirect_uri(svc, provider), label).await
    } else {
        oidc_identity(svc, sso, provider, &client, code, &flow, label).await
    };
    let identity = match identity {
        Ok(i) => i,
        Err(f) => return back(f),
    };
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let meta = RequestMeta::new(addr.ip().to_string(), agent);
    let previous = keyport_app::api::ssr::session_token_from(headers);
    match svc.sso_sign_in(&identity, &meta, previous.as_deref()).await {
        Ok(Ok(SignInStep::Session(_, token))) => {
            let max_age = svc.config.session_ttl.num_seconds();
            let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, flow.next.clone())]).into_response();
            set_cookie(
                &mut res,
                &format!("{}={}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={max_age}", keyport_app::api::ssr::SESSION_COOKIE, token.0),
            );
            res
        }
        // The account has a second factor: its code page, with the challenge in its cookie,
        // exactly as after a password.
        Ok(Ok(SignInStep::SecondFactor(challenge))) => {
            let to = keyport_app::api::verify_path(Some(&flow.next));
            let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
            set_cookie(
                &mut res,
                &format!(
                    "{}={}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={}",
                    keyport_app::api::ssr::SIGNIN_COOKIE,
                    challenge.0,
                    keyport_core::services::mfa::CHALLENGE_TTL_SECONDS
                ),
            );
            res
        }
        Ok(Err(refusal)) => to_login(refusal.code()),
        Err(keyport_core::CoreError::Conflict(_)) => to_login("limit"),
        Err(e) => back(Failure::Failed(e.to_string())),
    }
}

async fn oidc_identity(svc: &Services, sso: &Sso, provider: &'static str, client: &SsoClient, code: String, flow: &Flow, label: String) -> Result<VerifiedIdentity, Failure> {
    let issuer = issuer_of(svc, provider).ok_or(Failure::Disabled)?;
    let metadata = sso.metadata(provider, &issuer).await?;
    let redirect = RedirectUrl::new(redirect_uri(svc, provider)).map_err(|e| Failure::Failed(e.to_string()))?;
    let oidc = CoreClient::from_provider_metadata(metadata, ClientId::new(client.client_id.clone()), Some(ClientSecret::new(client.client_secret.clone())))
        .set_redirect_uri(redirect);
    let token = oidc
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| Failure::Failed(format!("token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(flow.verifier.clone()))
        .request_async(&sso.http)
        .await
        .map_err(|e| Failure::Failed(format!("code exchange: {e}")))?;
    let id_token = token.id_token().ok_or_else(|| Failure::Failed("no ID token in the answer".into()))?;
    // Issuer, audience (and authorized party), expiry, signature by a key of the provider's
    // JWKS, and the nonce of this browser's flow. Asymmetric algorithms only.
    let verifier = oidc.id_token_verifier().set_allowed_algs([
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
        CoreJwsSigningAlgorithm::RsaSsaPssSha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        CoreJwsSigningAlgorithm::EcdsaP384Sha384,
        CoreJwsSigningAlgorithm::EdDsa,
    ]);
    let claims = match id_token.claims(&verifier, &Nonce::new(flow.nonce.clone())) {
        Ok(c) => c,
        Err(e) => {
            // The provider may have rotated its keys: the next flow fetches them anew.
            sso.forget(provider);
            return Err(Failure::Failed(format!("ID token refused: {e}")));
        }
    };
    Ok(VerifiedIdentity {
        provider,
        provider_label: label,
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().to_owned()),
        email_verified: claims.email_verified() == Some(true),
    })
}

#[derive(Deserialize)]
struct GithubToken {
    access_token: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct GithubUser {
    id: i64,
}

#[derive(Deserialize)]
struct GithubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

async fn github_identity(sso: &Sso, client: &SsoClient, code: &str, flow: &Flow, redirect: &str, label: String) -> Result<VerifiedIdentity, Failure> {
    let failed = |what: &str, e: reqwest::Error| Failure::Failed(format!("GitHub {what}: {e}"));
    let token: GithubToken = sso
        .http
        .post(format!("{}/login/oauth/access_token", sso.github_web))
        .header(header::ACCEPT, "application/json")
        .form(&[
            ("client_id", client.client_id.as_str()),
            ("client_secret", client.client_secret.as_str()),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", flow.verifier.as_str()),
        ])
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| failed("token", e))?
        .json()
        .await
        .map_err(|e| failed("token", e))?;
    let Some(access) = token.access_token.filter(|t| !t.is_empty()) else {
        return Err(Failure::Failed(format!("GitHub refused the code: {}", token.error.unwrap_or_default())));
    };
    let get = |path: &str| {
        sso.http
            .get(format!("{}{path}", sso.github_api))
            .bearer_auth(&access)
            .header(header::ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
    };
    let user: GithubUser = get("/user").send().await.and_then(|r| r.error_for_status()).map_err(|e| failed("user", e))?.json().await.map_err(|e| failed("user", e))?;
    let emails: Vec<GithubEmail> =
        get("/user/emails").send().await.and_then(|r| r.error_for_status()).map_err(|e| failed("emails", e))?.json().await.map_err(|e| failed("emails", e))?;
    // Only the primary address, and only when GitHub verified it: a secondary or unverified
    // address proves nothing about who signs in.
    let primary = emails.into_iter().find(|e| e.primary && e.verified);
    Ok(VerifiedIdentity {
        provider: "github",
        provider_label: label,
        subject: user.id.to_string(),
        email_verified: primary.is_some(),
        email: primary.map(|e| e.email),
    })
}

fn back(f: Failure) -> Response {
    let code = match &f {
        Failure::Disabled => "disabled",
        Failure::Refused => "refused",
        Failure::Denied => "denied",
        Failure::Failed(why) => {
            tracing::warn!(why = %why, "single sign-on failed");
            "failed"
        }
    };
    to_login(code)
}

fn to_login(code: &str) -> Response {
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, format!("/portal/login?sso_error={code}"))]).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn set_cookie(res: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|h| {
        h.split(';').find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then_some(v)
        })
    })
}
