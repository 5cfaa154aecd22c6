//! Emails as they arrive over real SMTP: multipart/alternative with a text and an HTML part,
//! in the portal's branding, from the app's name; and no key material in any of them.

use crate::helpers::TestApp;
use crate::smtp::{Received, SmtpSink};
use keyport_core::dto::CreatedKey;
use keyport_core::entity::{audit_event, outbox_email};
use keyport_core::services::audit::RequestMeta;
use reqwest::StatusCode;
use sea_orm::EntityTrait;

const APP_NAME: &str = "Acme <b>&</b> APIs";
const APP_NAME_IN_HTML: &str = "Acme &lt;b&gt;&amp;&lt;/b&gt; APIs";
const LOGO: &str = "https://cdn.acme.example/logo.png";
const SUPPORT: &str = "help@acme.example";

/// An app over SMTP, branded through the settings service: a name that needs escaping, a
/// yellow on which text must be black, a logo and a support address.
async fn branded_app(sink: &SmtpSink) -> TestApp {
    let url = sink.url();
    let app = crate::helpers::spawn_app_with_smtp(url).await;
    let meta = RequestMeta::default();
    for (key, value) in [("portal.app_name", APP_NAME), ("custom.primary_color", "#ffcc00"), ("custom.support_email", SUPPORT), ("custom.logo_url", LOGO)] {
        app.services.set_setting(key, value, false, "cli", &meta).await.unwrap();
    }
    assert_eq!(app.services.settings().app_name, APP_NAME);
    app
}

/// The branding every email carries, in both parts.
fn assert_branded(mail: &Received) {
    let subject = mail.decoded_header("Subject").unwrap_or_default();
    assert!(mail.is_multipart(), "{subject}: multipart/alternative: {:?}", mail.header("Content-Type"));
    assert_eq!(mail.part_types(), ["text/plain", "text/html"], "{subject}: text first, then its HTML alternative");
    let from = mail.decoded_header("From").unwrap();
    assert!(from.contains(APP_NAME) && from.ends_with("<keyport@localhost>"), "{subject}: sent under the app's name: {from}");

    let text = mail.text();
    assert!(text.contains(APP_NAME) && text.contains(SUPPORT), "{subject}: the text part names the app and the support address:\n{text}");
    assert!(!text.contains("<p") && !text.contains("href="), "{subject}: the text part has no markup");

    let html = mail.part("text/html").unwrap();
    assert!(html.contains(APP_NAME_IN_HTML), "{subject}: the app's name, escaped");
    assert!(!html.contains("<b>&</b>"), "{subject}: the app's name is never markup");
    assert!(html.contains(&format!("<img src=\"{LOGO}\"")), "{subject}: the logo");
    assert!(html.contains(&format!("href=\"mailto:{SUPPORT}\"")), "{subject}: the support address");
    // The button is the primary colour with the text colour chosen for contrast (black on yellow).
    assert!(html.contains("background:#ffcc00;color:#000000"), "{subject}: the button's colours");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn welcome_and_key_created_emails_arrive_over_smtp_as_branded_html_with_a_text_part() {
    let sink = SmtpSink::start().await;
    let app = branded_app(&sink).await;

    // Registration: a welcome to the new account, with the way into the portal.
    let user = app.new_user().await;
    let welcome = sink.wait_for(1).await.remove(0);
    assert_eq!(welcome.to, [user.email.clone()]);
    assert_eq!(welcome.decoded_header("Subject").unwrap(), format!("Welcome to {APP_NAME}"));
    assert_branded(&welcome);
    assert!(welcome.text().contains(&format!("{}/portal/keys", app.base)), "{}", welcome.text());
    assert!(welcome.part("text/html").unwrap().contains(&format!("href=\"{}/portal/keys\"", app.base)));

    // A key: to its creator, with name, environment, scopes and its page; never the key.
    app.act_as(&user);
    let res = app
        .call("keys/create", &[("name", "Checkout"), ("environment", "test"), ("expiry", "never"), ("scopes", "payments:read invoices:read")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let key: CreatedKey = res.json().await.unwrap();
    let created = sink.wait_for(2).await.remove(1);
    assert_eq!(created.to, [user.email.clone()]);
    assert_eq!(created.decoded_header("Subject").unwrap(), "Key \"Checkout\" was created");
    assert_branded(&created);
    let text = created.text();
    assert!(text.contains("\"Checkout\"") && text.contains("Test") && text.contains("invoices:read, payments:read"), "{text}");
    let page = format!("{}/portal/keys/{}", app.base, key.key.id);
    assert!(text.contains(&page));
    assert!(created.part("text/html").unwrap().contains(&format!("href=\"{page}\"")));

    // No key material anywhere: not the key, not its hidden middle, not even its masked form.
    let full = key.secret.expose();
    let hidden = &full[key.key.masked.find('…').unwrap()..full.len() - 4];
    let stored = format!("{:?}", outbox_email::Entity::find().all(&app.services.db).await.unwrap());
    let audit = format!("{:?}", audit_event::Entity::find().all(&app.services.db).await.unwrap());
    let logs = crate::helpers::captured_logs();
    for secret in [full, hidden] {
        for mail in sink.messages() {
            assert!(!mail.data.contains(secret) && !mail.text().contains(secret), "a delivered email holds key material");
            assert!(!mail.part("text/html").unwrap().contains(secret), "an HTML part holds key material");
        }
        assert!(!stored.contains(secret), "a stored email holds key material");
        assert!(!audit.contains(secret), "the audit trail holds key material");
        assert!(!logs.contains(secret), "the log holds key material");
    }
    assert!(!created.text().contains(&key.key.masked) && !created.part("text/html").unwrap().contains(&key.key.masked));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_queued_before_html_parts_existed_still_goes_out_as_plain_text() {
    let sink = SmtpSink::start().await;
    let app = branded_app(&sink).await;
    let user = app.new_user().await;
    sink.wait_for(1).await;
    // A row as the previous version stored it: text only.
    use sea_orm::{ActiveModelTrait, Set};
    let now = app.services.now();
    outbox_email::ActiveModel {
        id: Set("eml_old".into()),
        team_id: Set(None),
        kind: Set("password_changed".into()),
        to_address: Set(user.email.clone()),
        subject: Set("An older email".into()),
        body: Set("Plain as it was.\n".into()),
        html_body: Set(None),
        link_path: Set(None),
        created_at: Set(now),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        attempts: Set(0),
        sent_at: Set(None),
        transport: Set(None),
        last_error: Set(None),
        failed_at: Set(None),
    }
    .insert(&app.services.db)
    .await
    .unwrap();
    app.services.wake_outbox();
    let old = sink.wait_for(2).await.remove(1);
    assert!(!old.is_multipart());
    assert!(old.header("Content-Type").unwrap().starts_with("text/plain"));
    assert_eq!(old.text().trim_end(), "Plain as it was.");
    assert!(old.decoded_header("From").unwrap().contains(APP_NAME));
}
