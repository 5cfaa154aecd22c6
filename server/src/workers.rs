//! Background work started with the server: usage flushing, limiter housekeeping, and
//! delivering the email outbox.

use crate::health::Health;
use keyport_core::Services;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often the database is probed, and how long a probe waits for its answer.
pub const PROBE_EVERY: Duration = Duration::from_millis(500);

/// How long a worker may go without finishing a round before `/readyz` calls it stopped:
/// ten of its intervals, and never less than `floor` (a round may wait on the database or
/// on SMTP that long and still be a live worker).
fn allowed(every: Duration, floor: Duration) -> Duration {
    (every * 10).max(floor)
}

/// Calls `work` with the tick count every `every` until told to stop, beating `name` after
/// each round.
async fn every<F, Fut>(every: Duration, beat: (&Health, &'static str), mut stop: watch::Receiver<bool>, mut work: F)
where
    F: FnMut(u64) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (health, name) = beat;
    let allowed = allowed(every, Duration::from_secs(30));
    health.beat(name, allowed);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        ticks += 1;
        work(ticks).await;
        health.beat(name, allowed);
    }
}

/// Flushes usage every `every` until told to stop, then flushes once more so a graceful
/// shutdown loses nothing.
pub async fn run(svc: Arc<Services>, interval: Duration, health: Arc<Health>, stop: watch::Receiver<bool>) {
    every(interval, (&health, "usage"), stop, |ticks| {
        let svc = svc.clone();
        async move {
            if let Err(e) = svc.flush_usage().await {
                tracing::warn!(error = %e, "usage flush failed; will retry");
            }
            if let Err(e) = svc.flush_traffic().await {
                tracing::warn!(error = %e, "served-request flush failed; will retry");
            }
            if let Err(e) = svc.flush_request_log().await {
                tracing::warn!(error = %e, "request log flush failed; will retry");
            }
            if ticks % 15 == 0 {
                if let Err(e) = svc.check_quota_alerts().await {
                    tracing::warn!(error = %e, "quota warning check failed; will retry");
                }
            }
            if ticks % 60 == 0 {
                if let Err(e) = svc.close_billing_periods().await {
                    tracing::warn!(error = %e, "closing the billing period failed; will retry");
                }
                if let Err(e) = svc.collect_invoices().await {
                    tracing::warn!(error = %e, "putting invoices to the payment provider failed; will retry");
                }
                if let Err(e) = svc.apply_scheduled_plan_changes().await {
                    tracing::warn!(error = %e, "applying scheduled plan changes failed; will retry");
                }
                if let Err(e) = svc.check_expiry_reminders().await {
                    tracing::warn!(error = %e, "key expiry reminder check failed; will retry");
                }
                if let Err(e) = svc.roll_up(svc.now()).await {
                    tracing::warn!(error = %e, "usage rollup failed; will retry");
                }
                if let Err(e) = svc.purge_expired_sessions().await {
                    tracing::warn!(error = %e, "expired-session cleanup failed; will retry");
                }
                if let Err(e) = svc.prune_embed_links().await {
                    tracing::warn!(error = %e, "embed link cleanup failed; will retry");
                }
                if let Err(e) = svc.prune_verification_links().await {
                    tracing::warn!(error = %e, "confirmation link cleanup failed; will retry");
                }
                if let Err(e) = svc.prune_request_log().await {
                    tracing::warn!(error = %e, "request log cleanup failed; will retry");
                }
                if let Err(e) = svc.forget_unretrievable_keys().await {
                    tracing::warn!(error = %e, "forgetting sealed keys that stopped working failed; will retry");
                }
                if let Err(e) = svc.prune_email_change_links().await {
                    tracing::warn!(error = %e, "address-change link cleanup failed; will retry");
                }
                if let Err(e) = svc.purge_expired_challenges().await {
                    tracing::warn!(error = %e, "expired sign-in challenge cleanup failed; will retry");
                }
                let now = svc.now().timestamp();
                svc.verifier.prune(now);
                svc.login_limiter.prune(now, 60);
                svc.portal_limiter.prune(now, 60);
                svc.signup_limiter.prune(now, keyport_core::services::auth::SIGNUP_WINDOW_SECONDS);
            }
        }
    })
    .await;
    if let Err(e) = svc.flush_usage().await {
        tracing::error!(error = %e, "final usage flush failed");
    }
    if let Err(e) = svc.flush_traffic().await {
        tracing::error!(error = %e, "final served-request flush failed");
    }
    if let Err(e) = svc.flush_request_log().await {
        tracing::error!(error = %e, "final request log flush failed");
    }
}

/// Delivers queued emails: at once when woken by a new email, and every few seconds for
/// retries and for emails queued by another node.
pub async fn deliver_emails(svc: Arc<Services>, health: Arc<Health>, mut stop: watch::Receiver<bool>) {
    // A pass may wait on a slow SMTP server for each email it sends.
    let allowed = allowed(Duration::from_secs(2), Duration::from_secs(300));
    loop {
        health.beat("outbox", allowed);
        match svc.deliver_due_emails().await {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox pass failed; will retry"),
        }
        health.beat("outbox", allowed);
        tokio::select! {
            _ = svc.outbox_wakeup.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.changed() => break,
        }
    }
}

/// Puts settings and operator tokens changed on any node into effect on this one, within
/// half a second.
pub async fn reload_settings(svc: Arc<Services>, health: Arc<Health>, stop: watch::Receiver<bool>) {
    every(Duration::from_millis(500), (&health, "settings"), stop, |_| {
        let svc = svc.clone();
        async move {
            if let Err(e) = svc.reload_settings().await {
                tracing::warn!(error = %e, "reloading settings failed; will retry");
            }
            if let Err(e) = svc.reload_operator_tokens().await {
                tracing::warn!(error = %e, "reloading operator tokens failed; will retry");
            }
            if let Err(e) = svc.reload_plans().await {
                tracing::warn!(error = %e, "reloading plans failed; will retry");
            }
        }
    })
    .await;
}

/// Applies key changes made on other nodes to this node's verification cache, every
/// `interval`; prunes the change log about hourly.
pub async fn sync_key_cache(svc: Arc<Services>, interval: Duration, health: Arc<Health>, stop: watch::Receiver<bool>) {
    let per_hour = (3_600_000 / interval.as_millis().max(1)) as u64;
    every(interval, (&health, "key-cache"), stop, |ticks| {
        let svc = svc.clone();
        async move {
            if let Err(e) = svc.sync_key_cache().await {
                tracing::warn!(error = %e, "key cache sync failed; will retry");
            }
            if ticks % per_hour.max(1) == 0 {
                if let Err(e) = svc.prune_key_changes().await {
                    tracing::warn!(error = %e, "pruning key changes failed");
                }
            }
        }
    })
    .await;
}

/// Asks the database for an answer twice a second (waiting at most half a second): while it
/// does not answer, pages and server functions say so at once; the first answer lets them
/// through.
pub async fn probe_database(svc: Arc<Services>, health: Arc<Health>, stop: watch::Receiver<bool>) {
    every(PROBE_EVERY, (&health, "database-probe"), stop, |_| {
        let svc = svc.clone();
        async move {
            svc.probe_database(PROBE_EVERY).await;
        }
    })
    .await;
}
