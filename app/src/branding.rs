//! The provider's branding, read on the server from the live settings: the style sheet with
//! the brand colour and custom CSS, the logo, the support address and the dashboard's
//! welcome HTML (sanitized here with ammonia to a safe subset). In the browser there is
//! nothing to read: islands never show branding.

#[cfg(feature = "ssr")]
use keyport_core::services::settings::LiveSettings;

#[cfg(feature = "ssr")]
fn live() -> Option<std::sync::Arc<LiveSettings>> {
    leptos::prelude::use_context::<std::sync::Arc<keyport_core::Services>>().map(|s| s.settings())
}

/// The brand style sheet, if there is any branding.
#[cfg(feature = "ssr")]
pub fn stylesheet(live: &LiveSettings) -> Option<String> {
    let palette = live.primary_color.as_deref().and_then(keyport_core::settings::brand_palette);
    let custom = live.portal_css.as_deref().filter(|c| keyport_core::settings::check_css(c).is_ok());
    if palette.is_none() && custom.is_none() {
        return None;
    }
    Some(format!("{}{}\n", palette.unwrap_or_default(), custom.unwrap_or_default()))
}

/// Where pages load the brand style sheet from (an address that changes with it), if any.
pub fn stylesheet_href() -> Option<String> {
    #[cfg(feature = "ssr")]
    return stylesheet(&*live()?).map(|css| format!("/portal/brand.css?v={:08x}", crc32fast::hash(css.as_bytes())));
    #[cfg(not(feature = "ssr"))]
    None
}

/// The provider's sites that may frame the portal (`embed.allowed_origins`), space-separated
/// for the frame script, if any.
pub fn embed_origins() -> Option<String> {
    #[cfg(feature = "ssr")]
    return Some(live()?.embed_allowed_origins.join(" ")).filter(|o| !o.is_empty());
    #[cfg(not(feature = "ssr"))]
    None
}

/// The single sign-on providers offered now, as (name in URLs, label on the button).
pub fn sso_providers() -> Vec<(String, String)> {
    #[cfg(feature = "ssr")]
    return live().map(|l| l.sso.providers().into_iter().map(|(p, label)| (p.to_owned(), label)).collect()).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    Vec::new()
}

/// The logo's address, if set.
pub fn logo_url() -> Option<String> {
    #[cfg(feature = "ssr")]
    return live()?.logo_url.clone();
    #[cfg(not(feature = "ssr"))]
    None
}

/// Where developers get help, if set.
pub fn support_email() -> Option<String> {
    #[cfg(feature = "ssr")]
    return live()?.support_email.clone();
    #[cfg(not(feature = "ssr"))]
    None
}

/// The dashboard's welcome, sanitized: no scripts, event handlers, styles, forms, frames or
/// `javascript:` addresses survive, and links get `rel="noopener noreferrer nofollow"`.
pub fn welcome_html() -> Option<String> {
    #[cfg(feature = "ssr")]
    return live()?.welcome_html.as_deref().map(sanitize).filter(|h| !h.trim().is_empty());
    #[cfg(not(feature = "ssr"))]
    None
}

/// The extra questions the sign-up forms ask (`signup.fields`), in order.
pub fn signup_fields() -> Vec<keyport_core::signup::SignupField> {
    #[cfg(feature = "ssr")]
    return live().map(|l| l.signup_fields.clone()).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    Vec::new()
}

/// What the sign-up page says about who may sign up, and whether it shows the form.
pub fn signup_notice() -> (bool, Option<String>) {
    #[cfg(feature = "ssr")]
    if let Some(live) = live() {
        use keyport_core::services::settings::SignupMode;
        return match live.signup_mode {
            SignupMode::InviteOnly => (false, Some(format!("{} accounts are by invitation: open the link in the email a team sent you.", live.app_name))),
            SignupMode::Closed => (false, Some("Sign-up is closed: the provider creates accounts.".to_owned())),
            SignupMode::Open if !live.allowed_email_domains.is_empty() => {
                (true, Some(format!("Sign-up is open to addresses at {}.", live.allowed_email_domains.join(", "))))
            }
            SignupMode::Open => (true, None),
        };
    }
    (true, None)
}

/// Whether new accounts confirm their address by an emailed link (`signup.require_verification`).
pub fn confirms_address() -> bool {
    #[cfg(feature = "ssr")]
    if let Some(live) = live() {
        return live.require_verification;
    }
    false
}

/// CommonMark from the operator's API document as HTML safe for a portal page: rendered by
/// pulldown-cmark (raw HTML in it is sanitized like the rest), links made `nofollow`.
#[cfg(feature = "ssr")]
pub fn markdown(text: &str) -> String {
    let mut html = String::new();
    let parser = pulldown_cmark::Parser::new_ext(text, pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH);
    pulldown_cmark::html::push_html(&mut html, parser);
    sanitize(&html)
}

/// Sanitizes operator HTML for a portal page.
#[cfg(feature = "ssr")]
pub fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["https", "http", "mailto"].into_iter().collect())
        .clean(html)
        .to_string()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::sanitize;

    #[test]
    fn nothing_in_the_welcome_html_can_run() {
        for payload in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
            "<svg onload=alert(1)><script>alert(2)</script></svg>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "</style><script>alert(1)</script>",
            "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
            "<form action=\"https://evil.example\"><input name=password></form>",
            "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        ] {
            let out = sanitize(payload).to_ascii_lowercase();
            for bad in ["<script", "onerror", "onload", "javascript:", "<iframe", "style=", "data:", "<form", "<object", "<embed", "<svg"] {
                assert!(!out.contains(bad), "{payload} kept {bad}: {out}");
            }
        }
        assert_eq!(sanitize("<p>Welcome to <strong>Acme</strong>. <a href=\"https://acme.example/docs\">Docs</a></p>"),
            "<p>Welcome to <strong>Acme</strong>. <a href=\"https://acme.example/docs\" rel=\"noopener noreferrer nofollow\">Docs</a></p>");
    }
}
