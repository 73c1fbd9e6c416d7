//! Documents in S3-compatible object storage (a local moto server), shared by two servers.

use std::process::{Child, Command, Stdio};

use chrono::{Duration, Utc};
use essk_approvals::storage::Storage;
use futures_util::TryStreamExt;
use object_store::aws::AmazonS3ConfigKey;

use crate::{case_file::chunks, helpers::TestApp};

/// A moto S3 server on a free loopback port, stopped when dropped.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl S3Server {
    async fn start() -> S3Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let mut up = false;
        for _ in 0..200 {
            if client.get(&endpoint).send().await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(
            up,
            "moto's S3 server answers (pip install 'moto[server]'; .ci/run does)"
        );
        // moto accepts an unsigned request to create the bucket.
        let created = client
            .put(format!("{endpoint}/essk-documents"))
            .send()
            .await
            .expect("bucket request");
        assert!(created.status().is_success(), "bucket created");
        S3Server { child, endpoint }
    }

    fn storage(&self) -> Storage {
        let options = [
            (AmazonS3ConfigKey::Endpoint, self.endpoint.clone()),
            (
                AmazonS3ConfigKey::Client(object_store::ClientConfigKey::AllowHttp),
                "true".to_owned(),
            ),
            (AmazonS3ConfigKey::Region, "us-east-1".to_owned()),
            (AmazonS3ConfigKey::AccessKeyId, "test".to_owned()),
            (AmazonS3ConfigKey::SecretAccessKey, "test".to_owned()),
        ];
        Storage::s3("s3://essk-documents/case-files", &options).expect("S3 storage")
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn two_servers_on_one_bucket_share_documents_and_sweep_orphans_safely() {
    let s3 = S3Server::start().await;
    let app = TestApp::spawn().await;
    let first = s3.storage();
    let second = s3.storage();
    // More than one multipart part, so the upload really goes in pieces.
    let document: Vec<u8> = (0..12 * 1024 * 1024)
        .map(|n: u32| (n % 251) as u8)
        .collect();

    let stored = first
        .put(chunks(&document), 64 << 20)
        .await
        .expect("stored");
    sqlx::query!(
        "INSERT INTO blobs (sha256, size) VALUES ($1, $2)",
        stored.sha256,
        i64::try_from(stored.size).expect("size")
    )
    .execute(&app.db)
    .await
    .expect("row");
    let again = second
        .put(chunks(&document), 64 << 20)
        .await
        .expect("stored");
    let orphan = second.put(chunks(b"no row"), 1024).await.expect("stored");

    assert_eq!(stored, again, "same bytes, same blob");
    let pieces: Vec<bytes::Bytes> = second
        .get(&stored.sha256)
        .await
        .expect("found")
        .try_collect()
        .await
        .expect("read");
    let read = pieces.concat();
    assert_eq!(read.len(), document.len());
    assert!(read == document, "the other server reads the same bytes");

    let later = Utc::now() + Duration::minutes(1);
    let (a, b) = tokio::join!(
        first.remove_orphans(&app.db, later),
        second.remove_orphans(&app.db, later)
    );
    // S3 deletes are idempotent, so both sweeps may count the orphan; neither fails.
    assert!(a.expect("sweep") + b.expect("sweep") >= 1);
    assert!(first.read_all(&orphan.sha256).await.is_err());
    assert!(first.read_all(&stored.sha256).await.is_ok());

    let too_large = first.put(chunks(&document), 1024 * 1024).await;
    assert!(too_large.is_err());
    let temps = s3_keys(&s3.endpoint, "case-files/tmp/").await;
    assert!(
        temps.is_empty(),
        "a refused upload leaves nothing: {temps:?}"
    );
}

/// Keys under a prefix, read with a plain listing request.
async fn s3_keys(endpoint: &str, prefix: &str) -> Vec<String> {
    let listing = reqwest::get(format!(
        "{endpoint}/essk-documents?list-type=2&prefix={prefix}"
    ))
    .await
    .expect("listing")
    .text()
    .await
    .expect("body");
    listing
        .split("<Key>")
        .skip(1)
        .filter_map(|rest| rest.split("</Key>").next())
        .map(str::to_owned)
        .collect()
}
