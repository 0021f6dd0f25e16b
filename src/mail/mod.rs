//! Outgoing e-mail through a durable outbox in MongoDB: a request only inserts a
//! message; a background worker on any instance claims and sends it over SMTP,
//! retrying with backoff. A `dedupe_key` makes "send once" hold across retries,
//! webhook redeliveries and instances.

pub mod templates;

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use mongodb::bson::{doc, oid::ObjectId, DateTime};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::config::{Settings, SmtpTls};
use crate::error::AppError;

pub const COLLECTION: &str = "mail_outbox";
const MAX_ATTEMPTS: i32 = 8;
/// A claim older than this is considered abandoned (the sender crashed) and retried.
const CLAIM_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailStatus {
    Pending,
    Sending,
    Sent,
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutgoingMail {
    #[serde(rename = "_id")]
    pub id: ObjectId,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Unique when set: a second message with the same key is never queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedupe_key: Option<String>,
    pub status: MailStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime,
    pub claimed_at: Option<DateTime>,
    pub created_at: DateTime,
    pub sent_at: Option<DateTime>,
    pub last_error: Option<String>,
}

/// A message ready to queue.
pub struct Draft {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn outbox(db: &Database) -> Collection<OutgoingMail> {
    db.collection(COLLECTION)
}

pub async fn ensure_indexes(db: &Database) -> Result<(), mongodb::error::Error> {
    let coll = outbox(db);
    coll.create_index(
        IndexModel::builder()
            .keys(doc! { "dedupe_key": 1 })
            .options(
                IndexOptions::builder()
                    .unique(true)
                    .sparse(true)
                    .name("dedupe_key_unique".to_string())
                    .build(),
            )
            .build(),
    )
    .await?;
    coll.create_index(
        IndexModel::builder()
            .keys(doc! { "status": 1, "next_attempt_at": 1 })
            .build(),
    )
    .await?;
    Ok(())
}

/// Queues and wakes the sender. Returns false when a message with the same
/// `dedupe_key` was already queued (nothing is added).
#[derive(Clone)]
pub struct Mailer {
    db: Database,
    wake: Arc<Notify>,
}

impl Mailer {
    pub fn new(db: Database) -> Self {
        Mailer {
            db,
            wake: Arc::new(Notify::new()),
        }
    }

    pub async fn queue(&self, draft: Draft, dedupe_key: Option<String>) -> Result<bool, AppError> {
        let now = DateTime::now();
        let mail = OutgoingMail {
            id: ObjectId::new(),
            to: draft.to,
            subject: draft.subject,
            text: draft.text,
            html: draft.html,
            dedupe_key,
            status: MailStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            claimed_at: None,
            created_at: now,
            sent_at: None,
            last_error: None,
        };
        match outbox(&self.db).insert_one(&mail).await {
            Ok(_) => {
                self.wake.notify_one();
                Ok(true)
            }
            Err(e) if crate::db::is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs forever: claims due messages one at a time and sends them.
    pub fn spawn_worker(&self, settings: Arc<Settings>) {
        let this = self.clone();
        tokio::spawn(async move {
            let transport = match build_transport(&settings) {
                Ok(t) => t,
                Err(e) => {
                    tracing::error!("mail is disabled: cannot set up SMTP: {e}");
                    return;
                }
            };
            let from: Mailbox = match settings.smtp.from.parse() {
                Ok(m) => m,
                Err(e) => {
                    tracing::error!("mail is disabled: bad sender address: {e}");
                    return;
                }
            };
            loop {
                match this.send_next(&transport, &from).await {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(e) => tracing::warn!("mail outbox: {e}"),
                }
                let _ = tokio::time::timeout(Duration::from_secs(2), this.wake.notified()).await;
            }
        });
    }

    /// Claims one due message and tries to send it. Ok(true) if one was handled.
    async fn send_next(
        &self,
        transport: &AsyncSmtpTransport<Tokio1Executor>,
        from: &Mailbox,
    ) -> Result<bool, String> {
        let now = DateTime::now();
        let stale =
            DateTime::from_millis(now.timestamp_millis() - CLAIM_TIMEOUT.as_millis() as i64);
        let claimed = outbox(&self.db)
            .find_one_and_update(
                doc! { "$or": [
                    { "status": "pending", "next_attempt_at": { "$lte": now } },
                    { "status": "sending", "claimed_at": { "$lt": stale } },
                ] },
                doc! { "$set": { "status": "sending", "claimed_at": now }, "$inc": { "attempts": 1 } },
            )
            .sort(doc! { "next_attempt_at": 1 })
            .return_document(ReturnDocument::After)
            .await
            .map_err(|e| crate::db::short_reason(&e))?;
        let Some(mail) = claimed else {
            return Ok(false);
        };
        let result = match build_message(&mail, from) {
            Ok(message) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let update = match result {
            Ok(()) => {
                tracing::info!(mail_id = %mail.id, "mail sent");
                doc! { "$set": { "status": "sent", "sent_at": DateTime::now(), "last_error": null } }
            }
            Err(e) if mail.attempts >= MAX_ATTEMPTS => {
                tracing::error!(mail_id = %mail.id, "mail failed for good: {e}");
                doc! { "$set": { "status": "failed", "last_error": e } }
            }
            Err(e) => {
                let wait = 2i64.pow(mail.attempts.clamp(1, 10) as u32) * 1000;
                tracing::warn!(mail_id = %mail.id, attempt = mail.attempts, "mail not sent, will retry: {e}");
                doc! { "$set": {
                    "status": "pending",
                    "last_error": e,
                    "next_attempt_at": DateTime::from_millis(DateTime::now().timestamp_millis() + wait),
                } }
            }
        };
        outbox(&self.db)
            .update_one(doc! { "_id": mail.id }, update)
            .await
            .map_err(|e| crate::db::short_reason(&e))?;
        Ok(true)
    }
}

fn build_transport(settings: &Settings) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let smtp = &settings.smtp;
    let mut builder = match smtp.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone()),
        SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
            .map_err(|e| e.to_string())?,
        SmtpTls::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(|e| e.to_string())?
        }
    }
    .port(smtp.port)
    .timeout(Some(Duration::from_secs(15)));
    if let Some(user) = &smtp.username {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            smtp.password.expose().to_string(),
        ));
    }
    Ok(builder.build())
}

fn build_message(mail: &OutgoingMail, from: &Mailbox) -> Result<Message, String> {
    let to: Mailbox = mail.to.parse().map_err(|e| format!("bad recipient: {e}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(mail.text.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(mail.html.clone()),
                ),
        )
        .map_err(|e| e.to_string())
}
