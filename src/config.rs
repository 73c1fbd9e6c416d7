//! Server configuration, read once from the environment.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{Context, Result};

/// Everything the server needs to know about its surroundings.
#[derive(Clone)]
pub struct Config {
    /// PostgreSQL connection string (`DATABASE_URL`); may hold a password.
    pub database_url: String,
    /// Address the HTTP server listens on (`BIND_ADDR`, default `127.0.0.1:8080`).
    pub bind_addr: SocketAddr,
    /// Directory where uploaded documents are kept (`STORAGE_DIR`, default `./data/storage`).
    pub storage_dir: PathBuf,
    /// S3-compatible object storage for documents instead of the directory
    /// (`STORAGE_URL=s3://bucket/prefix`; endpoint and keys from the `AWS_*` variables).
    /// Several servers that share it share the documents.
    pub storage_url: Option<String>,
    /// Mark session cookies `Secure`; set when the server is reached through TLS
    /// (`SECURE_COOKIES=true`).
    pub secure_cookies: bool,
    /// A session unused for this long ends (`SESSION_IDLE_MINUTES`, default 30).
    pub session_idle: Duration,
    /// Largest accepted document, in bytes (`MAX_UPLOAD_BYTES`, default 100 MB).
    pub max_upload_bytes: u64,
    /// Directory of trusted CA certificates (`TRUSTED_CA_DIR`); without it signature chains
    /// are not checked and the card says so.
    pub trusted_ca_dir: Option<PathBuf>,
    /// How often running approvals' dates and overdue marks are brought up to date
    /// (`DATES_REFRESH_SECONDS`, default 300).
    pub dates_refresh_interval: Duration,
    /// Mail server for notices (`SMTP_URL`, e.g. `smtp://mail:25`, `smtps://user:pw@mail`);
    /// without it notices are shown only on the site. May hold a password.
    pub smtp_url: Option<String>,
    /// Sender of notice mail (`MAIL_FROM`, default `Согласования ЕССК <noreply@essk.local>`).
    pub mail_from: String,
    /// The service's address as users reach it, for links in mail (`PUBLIC_URL`, default
    /// `http://` and `BIND_ADDR`).
    pub public_url: String,
    /// Forms anyone may send without signing in (sign-in, access request, password links):
    /// how many one network address may send a minute (`ANONYMOUS_POSTS_PER_MINUTE`,
    /// default 30), a burst of as many first.
    pub anonymous_posts_per_minute: u32,
}

impl Config {
    /// The address links in mail point at, when mail is configured.
    pub fn mail_link_base(&self) -> Option<&str> {
        self.smtp_url.as_ref().map(|_| self.public_url.as_str())
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self> {
        let database_url = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/essk".to_owned());
        let bind_addr = env_or("BIND_ADDR", "127.0.0.1:8080")
            .parse()
            .context("BIND_ADDR must look like 127.0.0.1:8080")?;
        let storage_dir = PathBuf::from(env_or("STORAGE_DIR", "./data/storage"));
        let storage_url = std::env::var("STORAGE_URL")
            .ok()
            .filter(|url| !url.trim().is_empty());
        let secure_cookies = matches!(
            env_or("SECURE_COOKIES", "false")
                .to_ascii_lowercase()
                .as_str(),
            "1" | "true" | "yes"
        );
        let idle_minutes: u64 = env_or("SESSION_IDLE_MINUTES", "30")
            .parse()
            .context("SESSION_IDLE_MINUTES must be a whole number of minutes")?;
        let max_upload_bytes = env_or("MAX_UPLOAD_BYTES", "104857600")
            .parse()
            .context("MAX_UPLOAD_BYTES must be a whole number of bytes")?;
        let trusted_ca_dir = std::env::var("TRUSTED_CA_DIR")
            .ok()
            .filter(|dir| !dir.trim().is_empty())
            .map(PathBuf::from);
        let refresh_seconds: u64 = env_or("DATES_REFRESH_SECONDS", "300")
            .parse()
            .context("DATES_REFRESH_SECONDS must be a whole number of seconds")?;
        let smtp_url = std::env::var("SMTP_URL")
            .ok()
            .filter(|url| !url.trim().is_empty());
        let mail_from = env_or("MAIL_FROM", "Согласования ЕССК <noreply@essk.local>");
        let public_url = std::env::var("PUBLIC_URL")
            .ok()
            .filter(|url| !url.trim().is_empty())
            .unwrap_or_else(|| format!("http://{bind_addr}"));
        let anonymous_posts_per_minute = env_or("ANONYMOUS_POSTS_PER_MINUTE", "30")
            .parse()
            .context("ANONYMOUS_POSTS_PER_MINUTE must be a whole number")?;
        Ok(Self {
            anonymous_posts_per_minute,
            database_url,
            bind_addr,
            storage_dir,
            storage_url,
            secure_cookies,
            session_idle: Duration::from_secs(idle_minutes * 60),
            max_upload_bytes,
            trusted_ca_dir,
            dates_refresh_interval: Duration::from_secs(refresh_seconds.max(1)),
            smtp_url,
            mail_from,
            public_url,
        })
    }
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_password(&self.database_url))
            .field("bind_addr", &self.bind_addr)
            .field("storage_dir", &self.storage_dir)
            .field("storage_url", &self.storage_url)
            .field("secure_cookies", &self.secure_cookies)
            .field("session_idle", &self.session_idle)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("trusted_ca_dir", &self.trusted_ca_dir)
            .field("dates_refresh_interval", &self.dates_refresh_interval)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_password))
            .field("mail_from", &self.mail_from)
            .field("public_url", &self.public_url)
            .field(
                "anonymous_posts_per_minute",
                &self.anonymous_posts_per_minute,
            )
            .finish()
    }
}

/// Hides the password part of a connection URL (`user:secret@host` → `user:***@host`).
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_database_password() {
        assert_eq!(
            redact_password("postgres://app:s3cret@db:5432/essk"),
            "postgres://app:***@db:5432/essk"
        );
        assert_eq!(
            redact_password("postgres://postgres@127.0.0.1/essk"),
            "postgres://postgres@127.0.0.1/essk"
        );
    }
}
