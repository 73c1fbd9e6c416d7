//! Sending queued notice mail through SMTP, with retries and backoff; a mail server that is
//! down loses nothing, the mail waits in the outbox.

use chrono::{DateTime, Utc};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor, message::header::ContentType,
};
use sqlx::PgPool;

use crate::db;

/// Mails sent per transaction.
const BATCH: i64 = 20;
/// The longest wait between two attempts.
const MAX_BACKOFF_SECONDS: i64 = 60 * 60;

/// An SMTP connection as configured.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    /// A mailer for `smtp://host:port`, `smtps://…` or `smtp://…?tls=required`.
    pub fn new(smtp_url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        Ok(Self {
            transport,
            from: from.parse()?,
        })
    }

    async fn send(&self, mail: &db::notifications::OutgoingMail) -> anyhow::Result<()> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(mail.recipient.parse()?)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// When to try again after `attempts` failures: 30 s, 1 min, 2 min, … up to an hour.
pub fn backoff(now: DateTime<Utc>, attempts: i32) -> DateTime<Utc> {
    let exponent = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    let seconds = (30_i64 << exponent).min(MAX_BACKOFF_SECONDS);
    now + chrono::Duration::seconds(seconds)
}

/// Sends the mail that is due, a batch per transaction, until none is left; returns how many
/// went. Several servers may run it at once: each locks the mail it sends.
pub async fn deliver_due(
    pool: &PgPool,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> sqlx::Result<usize> {
    let mut sent = 0;
    loop {
        let mut tx = pool.begin().await?;
        let due = db::notifications::lock_due_mail(&mut tx, now, BATCH).await?;
        if due.is_empty() {
            tx.commit().await?;
            return Ok(sent);
        }
        let mut failed = false;
        for mail in &due {
            match mailer.send(mail).await {
                Ok(()) => {
                    db::notifications::mark_sent(&mut tx, mail.id, now).await?;
                    sent += 1;
                }
                Err(error) => {
                    tracing::warn!(mail.id = mail.id, %error, "mail not sent; will retry");
                    let retry_at = backoff(now, mail.attempts);
                    db::notifications::mark_failed(&mut tx, mail.id, &error.to_string(), retry_at)
                        .await?;
                    failed = true;
                }
            }
        }
        tx.commit().await?;
        if failed {
            // The server is likely down: the rest waits for the next round.
            return Ok(sent);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_wait_doubles_from_half_a_minute_up_to_an_hour() {
        let now = Utc
            .with_ymd_and_hms(2027, 3, 12, 7, 0, 0)
            .single()
            .expect("instant");
        let waits: Vec<i64> = [0, 1, 2, 3, 7, 8, 100]
            .iter()
            .map(|&n| (backoff(now, n) - now).num_seconds())
            .collect();
        assert_eq!(waits, [30, 60, 120, 240, 3600, 3600, 3600]);
    }
}
