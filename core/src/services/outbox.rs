//! The email outbox: emails are written in the transaction of the change that causes them and
//! delivered afterwards by a worker, with retries. Without SMTP, the "delivery" is a line in the
//! server log and the team's owners and admins read the message on the outbox page.

use super::auth::Caller;
use super::Services;
use crate::crypto::new_id;
use crate::dto::{OutboxEmailView, OutboxStatus};
use crate::entity::outbox_email;
use crate::error::CoreError;
use crate::roles::Action;
use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// Attempts before an email is given up on.
pub const MAX_ATTEMPTS: i32 = 8;
/// Emails handled per worker pass.
const BATCH: u64 = 20;
/// How long a worker owns an email it is sending (another node may take it over after this).
const CLAIM_SECONDS: i64 = 120;
/// What replaces a delivered email's one-time secret in the stored copy.
pub const REDACTED: &str = "[link removed after delivery]";

/// Sends one email. The SMTP implementation lives in the server; tests and local installs
/// without SMTP use [`LogMailer`].
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// A short name recorded with each delivery (`smtp`, `log`).
    fn transport(&self) -> &'static str;
    /// Whether delivered messages leave this machine (then their secrets are removed from the
    /// stored copy once sent).
    fn delivers(&self) -> bool;
    /// Sends a plain-text message. The error text is stored, so it must not contain the body.
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String>;
}

/// "Delivers" to the server log, so a local install without SMTP is fully usable.
pub struct LogMailer;

#[async_trait::async_trait]
impl Mailer for LogMailer {
    fn transport(&self) -> &'static str {
        "log"
    }
    fn delivers(&self) -> bool {
        false
    }
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        tracing::info!(%to, %subject, "email (no SMTP configured; read it here or on the portal's outbox page):\n{body}");
        Ok(())
    }
}

/// An email to queue.
pub struct NewEmail<'a> {
    /// The team it concerns (its owners and admins see it on the outbox page).
    pub team_id: Option<&'a str>,
    /// What kind of email (`invitation`).
    pub kind: &'static str,
    /// Recipient address.
    pub to: &'a str,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// A one-time secret inside the body, removed from the stored copy once delivered.
    pub secret: Option<&'a str>,
}

impl Services {
    /// Queues an email on `db` (the transaction of the change that causes it). The worker is
    /// woken once the transaction has committed and the caller calls [`Services::wake_outbox`].
    pub async fn enqueue_email<C: ConnectionTrait>(&self, db: &C, e: NewEmail<'_>) -> Result<String, CoreError> {
        let now = self.now();
        let id = new_id("eml");
        outbox_email::ActiveModel {
            id: Set(id.clone()),
            team_id: Set(e.team_id.map(str::to_owned)),
            kind: Set(e.kind.to_owned()),
            to_address: Set(e.to.to_owned()),
            subject: Set(e.subject),
            body: Set(e.body),
            secret: Set(e.secret.map(str::to_owned)),
            created_at: Set(now),
            next_attempt_at: Set(now),
            claimed_until: Set(None),
            attempts: Set(0),
            sent_at: Set(None),
            transport: Set(None),
            last_error: Set(None),
            failed_at: Set(None),
        }
        .insert(db)
        .await?;
        Ok(id)
    }

    /// Tells the outbox worker there is something to send.
    pub fn wake_outbox(&self) {
        self.outbox_wakeup.notify_one();
    }

    /// Sends the emails that are due. Returns how many were delivered.
    pub async fn deliver_due_emails(&self) -> Result<usize, CoreError> {
        let now = self.now();
        let due = outbox_email::Entity::find()
            .filter(outbox_email::Column::SentAt.is_null())
            .filter(outbox_email::Column::FailedAt.is_null())
            .filter(outbox_email::Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(outbox_email::Column::ClaimedUntil.is_null())
                    .add(outbox_email::Column::ClaimedUntil.lt(now)),
            )
            .order_by_asc(outbox_email::Column::NextAttemptAt)
            .limit(BATCH)
            .all(&self.db)
            .await?;
        let mut delivered = 0;
        for email in due {
            // Claim it: only the node whose update matched sends it.
            let claimed = outbox_email::Entity::update_many()
                .col_expr(outbox_email::Column::ClaimedUntil, Expr::value(now + Duration::seconds(CLAIM_SECONDS)))
                .filter(outbox_email::Column::Id.eq(&email.id))
                .filter(outbox_email::Column::SentAt.is_null())
                .filter(
                    Condition::any()
                        .add(outbox_email::Column::ClaimedUntil.is_null())
                        .add(outbox_email::Column::ClaimedUntil.lt(now)),
                )
                .exec(&self.db)
                .await?;
            if claimed.rows_affected != 1 {
                continue;
            }
            let result = self.mailer.send(&email.to_address, &email.subject, &email.body).await;
            let attempts = email.attempts + 1;
            let mut am: outbox_email::ActiveModel = email.clone().into();
            am.attempts = Set(attempts);
            am.claimed_until = Set(None);
            match result {
                Ok(()) => {
                    am.sent_at = Set(Some(self.now()));
                    am.transport = Set(Some(self.mailer.transport().to_owned()));
                    am.last_error = Set(None);
                    if self.mailer.delivers() {
                        if let Some(secret) = &email.secret {
                            am.body = Set(email.body.replace(secret.as_str(), REDACTED));
                        }
                        am.secret = Set(None);
                    }
                    delivered += 1;
                    tracing::info!(email_id = %email.id, kind = %email.kind, transport = self.mailer.transport(), "email delivered");
                }
                Err(err) => {
                    let err: String = err.chars().take(500).collect();
                    tracing::warn!(email_id = %email.id, attempts, error = %err, "email delivery failed");
                    am.last_error = Set(Some(err));
                    if attempts >= MAX_ATTEMPTS {
                        am.failed_at = Set(Some(self.now()));
                    } else {
                        // 30 s, 1 min, 2 min, … capped at an hour.
                        let wait = (30i64 << (attempts - 1).min(7)).min(3600);
                        am.next_attempt_at = Set(self.now() + Duration::seconds(wait));
                    }
                }
            }
            am.update(&self.db).await?;
        }
        Ok(delivered)
    }

    /// The active team's emails, newest first, for owners and admins.
    pub async fn list_outbox(&self, caller: &Caller) -> Result<Vec<OutboxEmailView>, CoreError> {
        caller.require(Action::ManageInvitations)?;
        let rows = outbox_email::Entity::find()
            .filter(outbox_email::Column::TeamId.eq(&caller.team.id))
            .order_by_desc(outbox_email::Column::CreatedAt)
            .order_by_desc(outbox_email::Column::Id)
            .limit(100)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| OutboxEmailView {
                status: match (&r.sent_at, &r.failed_at, r.transport.as_deref()) {
                    (Some(_), _, Some("log")) => OutboxStatus::Logged,
                    (Some(_), _, _) => OutboxStatus::Sent,
                    (None, Some(_), _) => OutboxStatus::Failed,
                    (None, None, _) if r.attempts > 0 => OutboxStatus::Retrying,
                    _ => OutboxStatus::Queued,
                },
                id: r.id,
                to: r.to_address,
                subject: r.subject,
                body: r.body,
                created_at: r.created_at,
                sent_at: r.sent_at,
                attempts: r.attempts as i64,
                last_error: r.last_error,
            })
            .collect())
    }
}
