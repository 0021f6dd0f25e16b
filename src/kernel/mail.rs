//! Outgoing e-mail through a durable outbox in MongoDB: a request only inserts a
//! message; a background worker on any instance claims and sends it over SMTP,
//! retrying with backoff. A `dedupe_key` makes "send once" hold across retries,
//! webhook redeliveries and instances.

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

use super::config::{Settings, SmtpTls};
use super::error::{Error, Result};
use crate::shared::text::escape_html;

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

impl MailStatus {
    /// As stored (and queried).
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sending => "sending",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }
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

pub async fn ensure_indexes(db: &Database) -> std::result::Result<(), mongodb::error::Error> {
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

    pub async fn queue(&self, draft: Draft, dedupe_key: Option<String>) -> Result<bool> {
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
            Err(e) if super::db::is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs forever: claims due messages one at a time and sends them.
    pub fn spawn_worker(&self, settings: Arc<Settings>) {
        let this = self.clone();
        tokio::spawn(async move {
            let (transport, from) = match sender(&settings) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!("mail is disabled: {e}");
                    return;
                }
            };
            loop {
                match this.send_next(&transport, &from).await {
                    Ok(Some(_)) => continue,
                    Ok(None) => {}
                    Err(e) => tracing::warn!("mail outbox: {e}"),
                }
                let _ = tokio::time::timeout(Duration::from_secs(2), this.wake.notified()).await;
            }
        });
    }

    /// Sends every message that is due now and returns them (what the worker would
    /// do over the next moments). Tests call this instead of waiting for the worker.
    pub async fn dispatch_pending(&self, settings: &Settings) -> Result<Vec<OutgoingMail>> {
        let (transport, from) = sender(settings).map_err(Error::internal)?;
        let mut sent = Vec::new();
        while let Some(mail) = self
            .send_next(&transport, &from)
            .await
            .map_err(Error::internal)?
        {
            sent.push(mail);
        }
        Ok(sent)
    }

    /// Claims one due message and tries to send it. Returns the message it handled.
    async fn send_next(
        &self,
        transport: &AsyncSmtpTransport<Tokio1Executor>,
        from: &Mailbox,
    ) -> std::result::Result<Option<OutgoingMail>, String> {
        let now = DateTime::now();
        let stale =
            DateTime::from_millis(now.timestamp_millis() - CLAIM_TIMEOUT.as_millis() as i64);
        let claimed = outbox(&self.db)
            .find_one_and_update(
                doc! { "$or": [
                    { "status": MailStatus::Pending.as_str(), "next_attempt_at": { "$lte": now } },
                    { "status": MailStatus::Sending.as_str(), "claimed_at": { "$lt": stale } },
                ] },
                doc! { "$set": { "status": MailStatus::Sending.as_str(), "claimed_at": now }, "$inc": { "attempts": 1 } },
            )
            .sort(doc! { "next_attempt_at": 1 })
            .return_document(ReturnDocument::After)
            .await
            .map_err(|e| super::db::short_reason(&e))?;
        let Some(mail) = claimed else {
            return Ok(None);
        };
        let result = match build_message(&mail, from) {
            Ok(message) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let delivered = result.is_ok();
        let update = match result {
            Ok(()) => {
                tracing::info!(mail_id = %mail.id, "mail sent");
                doc! { "$set": { "status": MailStatus::Sent.as_str(), "sent_at": DateTime::now(), "last_error": null } }
            }
            Err(e) if mail.attempts >= MAX_ATTEMPTS => {
                tracing::error!(mail_id = %mail.id, "mail failed for good: {e}");
                doc! { "$set": { "status": MailStatus::Failed.as_str(), "last_error": e } }
            }
            Err(e) => {
                let wait = 2i64.pow(mail.attempts.clamp(1, 10) as u32) * 1000;
                tracing::warn!(mail_id = %mail.id, attempt = mail.attempts, "mail not sent, will retry: {e}");
                doc! { "$set": {
                    "status": MailStatus::Pending.as_str(),
                    "last_error": e,
                    "next_attempt_at": DateTime::from_millis(DateTime::now().timestamp_millis() + wait),
                } }
            }
        };
        outbox(&self.db)
            .update_one(doc! { "_id": mail.id }, update)
            .await
            .map_err(|e| super::db::short_reason(&e))?;
        if delivered {
            Ok(Some(mail))
        } else {
            Ok(None)
        }
    }
}

/// The SMTP transport and sender address from the settings.
fn sender(
    settings: &Settings,
) -> std::result::Result<(AsyncSmtpTransport<Tokio1Executor>, Mailbox), String> {
    let transport = build_transport(settings).map_err(|e| format!("cannot set up SMTP: {e}"))?;
    let from: Mailbox = settings
        .smtp
        .from
        .parse()
        .map_err(|e| format!("bad sender address: {e}"))?;
    Ok((transport, from))
}

/// Wraps paragraphs (already escaped HTML) in a minimal, readable document.
pub fn html_page(title: &str, body_html: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:system-ui,Arial,sans-serif;line-height:1.5;color:#1b1f24;max-width:40rem;margin:0 auto;padding:1rem\">\
         {}</body></html>",
        escape_html(title),
        body_html
    )
}

fn build_transport(
    settings: &Settings,
) -> std::result::Result<AsyncSmtpTransport<Tokio1Executor>, String> {
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

fn build_message(mail: &OutgoingMail, from: &Mailbox) -> std::result::Result<Message, String> {
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
