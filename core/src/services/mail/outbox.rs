//! The email outbox: emails are written in the transaction of the change that causes them and
//! delivered afterwards by a worker, with retries. Without SMTP, the "delivery" is a line in the
//! server log and the team's owners and admins read the message on the outbox page.

use crate::services::auth::Caller;
use crate::services::templates::{self, Brand, EmailContent};
use crate::services::Services;
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
/// Where an email's one-time link goes in its stored body. Only the delivery worker puts the
/// link in, in the message it hands to the mailer; the outbox page and the database never see
/// it, so no admin can read (and use) a link meant for someone else.
pub const LINK_PLACEHOLDER: &str = "[one-time link: sent only to the recipient]";

/// One email as it leaves: what a [`Mailer`] sends. It may hold a one-time link, so it has
/// no `Debug`.
pub struct OutgoingEmail {
    /// The sender's name (the portal's app name); the address is the transport's own.
    pub from_name: String,
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (absent for an email queued before emails had one).
    pub html: Option<String>,
}

/// Sends one email. The SMTP implementation lives in the server; tests and local installs
/// without SMTP use [`LogMailer`].
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// A short name recorded with each delivery (`smtp`, `log`).
    fn transport(&self) -> &'static str;
    /// Sends a message: text, with HTML as its alternative when there is one. The error text
    /// is stored, so it must not contain the body.
    async fn send(&self, email: &OutgoingEmail) -> Result<(), String>;
}

/// "Delivers" to the server log, so a local install without SMTP is fully usable.
pub struct LogMailer;

#[async_trait::async_trait]
impl Mailer for LogMailer {
    fn transport(&self) -> &'static str {
        "log"
    }
    async fn send(&self, email: &OutgoingEmail) -> Result<(), String> {
        // Without SMTP the log is the delivery: a local install reads its links here. The
        // text part only: the HTML says the same, and would drown the log.
        // A target of its own, so a log filter can keep these lines whatever else it drops
        // (`KEYPORT_LOG=warn,keyport::email=info`).
        let (to, subject, body) = (&email.to, &email.subject, &email.text);
        tracing::info!(target: "keyport::email", %subject, "email to {to} (no SMTP configured; this log is its delivery):\n{body}");
        Ok(())
    }
}

/// An email to queue: to whom, and which email with what facts (its templates write it).
pub struct NewEmail<'a> {
    /// The team it concerns (its owners and admins see it on the outbox page).
    pub team_id: Option<&'a str>,
    /// Recipient address.
    pub to: &'a str,
    /// Which email, with its facts. An email with a one-time link (see
    /// [`EmailContent::link_path`]) gets its token from [`Services::enqueue_email`].
    pub content: EmailContent,
}

/// A queued email: its id and, for an email with a one-time link, the link's token (to be
/// stored hashed by the caller, never readable).
pub struct Queued {
    /// The email's id.
    pub id: String,
    /// The one-time token its link carries.
    pub token: Option<LinkToken>,
}

/// A one-time link token. `Debug` hides it.
pub struct LinkToken(String);

impl LinkToken {
    /// The token, to hash.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkToken(<redacted>)")
    }
}

impl Services {
    /// Queues an email on `db` (the transaction of the change that causes it), written from
    /// its templates in the branding in effect. The worker is woken once the transaction has
    /// committed and the caller calls [`Services::wake_outbox`].
    pub async fn enqueue_email<C: ConnectionTrait>(&self, db: &C, e: NewEmail<'_>) -> Result<Queued, CoreError> {
        let now = self.now();
        let id = new_id("eml");
        let link = e.content.link_path();
        let rendered = templates::render(&Brand::from_settings(&self.settings()), &e.content)?;
        // The link goes in at delivery only: both parts must have its place, or neither.
        if link.is_some() != rendered.text.contains(LINK_PLACEHOLDER) || link.is_some() != rendered.html.contains(LINK_PLACEHOLDER) {
            return Err(CoreError::Internal("an email's link and its placeholder disagree".into()));
        }
        let token = link.map(|_| LinkToken(self.secret.email_link_token(&id)));
        outbox_email::ActiveModel {
            id: Set(id.clone()),
            team_id: Set(e.team_id.map(str::to_owned)),
            kind: Set(e.content.kind().to_owned()),
            to_address: Set(e.to.to_owned()),
            subject: Set(rendered.subject),
            body: Set(rendered.text),
            html_body: Set(Some(rendered.html)),
            link_path: Set(link.map(str::to_owned)),
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
        Ok(Queued { id, token })
    }

    /// The message the recipient gets: the stored parts with the one-time link put in (in
    /// the HTML part escaped, as every other value there), from the app's name.
    fn outgoing(&self, email: &outbox_email::Model) -> OutgoingEmail {
        let live = self.settings();
        let link = email.link_path.as_ref().map(|path| format!("{}{path}{}", live.base_url, self.secret.email_link_token(&email.id)));
        let put_link = |part: &str, link: &str| part.replace(LINK_PLACEHOLDER, link);
        OutgoingEmail {
            from_name: live.app_name.clone(),
            to: email.to_address.clone(),
            subject: email.subject.clone(),
            text: match &link {
                Some(l) => put_link(&email.body, l),
                None => email.body.clone(),
            },
            html: email.html_body.as_ref().map(|h| match &link {
                Some(l) => put_link(h, &templates::escape_html(l)),
                None => h.clone(),
            }),
        }
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
            let result = self.mailer.send(&self.outgoing(&email)).await;
            let attempts = email.attempts + 1;
            let mut am: outbox_email::ActiveModel = email.clone().into();
            am.attempts = Set(attempts);
            am.claimed_until = Set(None);
            match result {
                Ok(()) => {
                    am.sent_at = Set(Some(self.now()));
                    am.transport = Set(Some(self.mailer.transport().to_owned()));
                    am.last_error = Set(None);
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
        Ok(rows.into_iter().map(email_view).collect())
    }

    /// Every email, of every team and none, newest first (the provider's admin console).
    pub(crate) async fn all_outbox(&self, limit: u64) -> Result<Vec<OutboxEmailView>, CoreError> {
        let rows = outbox_email::Entity::find()
            .order_by_desc(outbox_email::Column::CreatedAt)
            .order_by_desc(outbox_email::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(email_view).collect())
    }
}

/// A stored email as pages show it.
fn email_view(r: outbox_email::Model) -> OutboxEmailView {
    OutboxEmailView {
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
    }
}

