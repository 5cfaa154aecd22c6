//! Key expiry reminders, with the manual clock: a week before and the day before, to the
//! key's creator, once each — also with two nodes checking at once; none for a key made with
//! less time left than the reminder's lead, a revoked key or one past its expiry.

use crate::helpers::spawn_app;
use keyport_core::entity::outbox_email;
use keyport_core::clock::Clock;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_gets_one_reminder_a_week_before_and_one_the_day_before_it_expires() {
    let app = spawn_app().await;
    let email = app.signed_in().await;
    let month = app.create_key("Month key", "live", "30").await;
    let in_three_days = (app.clock.now() + chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
    let short = app.create_key("Three days", "test", &in_three_days).await;
    let gone = app.create_key("Revoked", "test", "30").await;
    assert_eq!(app.call("keys/revoke", &[("id", gone.key.id.as_str())]).await.status(), reqwest::StatusCode::OK);
    let reminders = || async {
        outbox_email::Entity::find()
            .filter(outbox_email::Column::Kind.eq("key_expiring"))
            .order_by_asc(outbox_email::Column::CreatedAt)
            .all(&app.services.db)
            .await
            .unwrap()
    };
    let subjects = || async { reminders().await.into_iter().map(|e| (e.to_address, e.subject)).collect::<Vec<_>>() };
    let go_to = |t: chrono::DateTime<chrono::Utc>| app.clock.advance(t - app.clock.now());
    assert_eq!(app.services.check_expiry_reminders().await.unwrap(), 0, "nothing is due on the first day");

    // The three-day key never gets the week's reminder (it was made with less), only the day's.
    let short_end = short.key.expires_at.unwrap();
    go_to(short_end - chrono::Duration::hours(30));
    assert_eq!(app.services.check_expiry_reminders().await.unwrap(), 0);
    go_to(short_end - chrono::Duration::hours(23));
    assert_eq!(app.services.check_expiry_reminders().await.unwrap(), 1, "the day before");
    assert_eq!(subjects().await, [(email.clone(), "Key \"Three days\" expires tomorrow".to_owned())]);
    let first = &reminders().await[0];
    assert!(first.body.contains(&format!("/portal/keys/{}", short.key.id)) && first.body.contains("Rotate it"), "{}", first.body);

    // A week before the month key expires: two nodes checking at once send it once.
    let month_end = month.key.expires_at.unwrap();
    go_to(month_end - chrono::Duration::days(7) + chrono::Duration::hours(1));
    let node = app.second_node().await;
    let (a, b) = tokio::join!(app.services.check_expiry_reminders(), node.services.check_expiry_reminders());
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(app.services.check_expiry_reminders().await.unwrap(), 0, "once");
    assert_eq!(subjects().await[1], (email.clone(), "Key \"Month key\" expires in 7 days".to_owned()));
    let page = app.page("/portal").await.text().await.unwrap();
    assert!(page.contains("badge badge-warn\">Expires "), "the dashboard marks it");
    assert!(app.page("/portal/keys").await.text().await.unwrap().contains("Expiring soon"), "and the keys page");

    // The day before, then past the expiry: one more, then none.
    go_to(month_end - chrono::Duration::hours(20));
    assert_eq!(app.services.check_expiry_reminders().await.unwrap(), 1);
    assert_eq!(subjects().await[2].1, "Key \"Month key\" expires tomorrow");
    go_to(month_end + chrono::Duration::days(1));
    assert_eq!(app.services.check_expiry_reminders().await.unwrap(), 0);
    assert_eq!(subjects().await.len(), 3, "none for the revoked key, none twice");
}
