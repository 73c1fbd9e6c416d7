//! The case file: names that survive upload → card → inventory → archive, the archive's
//! bytes, who may have it, and storage that cleans up after itself.

use std::{collections::BTreeMap, path::Path, process::Command};

use chrono::{Duration, Utc};
use essk_approvals::storage::Storage;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, User, sample, texts};

/// Uploads files with exactly these `Content-Disposition` headers, as a browser would send
/// them; `reqwest`'s own multipart writer would re-encode the names.
async fn upload_raw(user: &User, id: i64, folder_id: i64, parts: &[(&[u8], &[u8])]) -> StatusCode {
    let boundary = "essk-test-boundary-5f0c";
    let mut body = Vec::new();
    for (disposition, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(b"Content-Disposition: ");
        body.extend_from_slice(disposition);
        body.extend_from_slice(b"\r\nContent-Type: application/octet-stream\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    user.client
        .post(format!(
            "{}/approvals/{id}/folders/{folder_id}/documents",
            user.base
        ))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("request")
        .status()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The names a browser sends, each with the name the case file must show.
fn hostile_uploads() -> Vec<(Vec<u8>, &'static str)> {
    vec![
        (
            "form-data; name=\"files\"; filename=\"Акт %22итог%22; 100%.pdf\"".into(),
            "Акт \"итог\"; 100%.pdf",
        ),
        (
            "form-data; name=\"files\"; filename=\"C:\\Users\\Иван\\Документы\\ПЗ.pdf\"".into(),
            "ПЗ.pdf",
        ),
        ("form-data; name=\"files\"; filename=\"ПЗ.pdf\"".into(), "ПЗ.pdf"),
        (
            "form-data; name=\"files\"; filename=\"x.pdf\"; filename*=UTF-8''%D0%A1%D1%85%D0%B5%D0%BC%D0%B0%3A%20%D1%83%D0%B7%D0%B5%D0%BB%2A.pdf"
                .into(),
            "Схема: узел*.pdf",
        ),
        ("form-data; name=\"files\"; filename=\"CON.txt\"".into(), "CON.txt"),
        (
            "form-data; name=\"files\"; filename=\"/home/ivan/<script>план.pdf. \"".into(),
            "<script>план.pdf.",
        ),
    ]
}

#[tokio::test]
async fn hostile_names_survive_upload_card_inventory_and_archive() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = rso
        .create_draft(app.route_id().await, "Дело со сложными именами")
        .await;
    let (folder_id, folder_name, _) = app.folders(id).await.remove(0);
    let uploads = hostile_uploads();
    let contents: Vec<Vec<u8>> = (0..uploads.len())
        .map(|n| format!("содержимое файла {n}").repeat(n + 1).into_bytes())
        .collect();
    let parts: Vec<(&[u8], &[u8])> = uploads
        .iter()
        .zip(&contents)
        .map(|((disposition, _), bytes)| (disposition.as_slice(), bytes.as_slice()))
        .collect();
    assert_eq!(
        upload_raw(&rso, id, folder_id, &parts).await,
        StatusCode::SEE_OTHER
    );
    let document = std::fs::read(sample("documents/Заявление.pdf")).expect("sample");
    let signature = std::fs::read(sample("signatures/Заявление.pdf.sig")).expect("sample");
    let signed = [
        ("Заявление.pdf", document.as_slice()),
        ("Заявление.pdf.sig", signature.as_slice()),
    ];
    let response = rso.upload_files(id, folder_id, &signed).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let expected_names: Vec<&str> = uploads
        .iter()
        .map(|(_, name)| *name)
        .chain(["Заявление.pdf"])
        .collect();

    let card = rso.page(&format!("/approvals/{id}?tab=case")).await;
    assert_eq!(texts(&card, "table.case-file td.doc-name"), expected_names);
    assert_eq!(texts(&card, "a[aria-label='Скачать архив']").len(), 1);
    assert!(texts(&card, "a.button").contains(&"Сформировать опись".to_owned()));

    let inventory = rso.page(&format!("/approvals/{id}/inventory")).await;
    let inventory_names: Vec<String> = texts(&inventory, "tbody tr td:nth-child(2)");
    assert_eq!(inventory_names, expected_names);
    assert_eq!(texts(&inventory, "p.total"), ["Всего документов: 7"]);
    let signers = texts(&inventory, "tbody tr td:nth-child(5)");
    assert_eq!(signers[6], "Иванов Пётр Сергеевич");
    assert_eq!(signers[0], "не подписан");

    let dir = tempdir();
    let pdf_response = rso.get(&format!("/approvals/{id}/inventory.pdf")).await;
    assert_eq!(pdf_response.status(), StatusCode::OK);
    let pdf = pdf_response.bytes().await.expect("pdf");
    let pdf_path = dir.join("опись.pdf");
    std::fs::write(&pdf_path, &pdf).expect("written");
    let pdf_text = run("pdftotext", &["-layout", path_str(&pdf_path), "-"]);
    assert!(
        pdf_text.contains("Опись документов по согласованию №"),
        "{pdf_text}"
    );
    assert!(pdf_text.contains("Дело со сложными именами"));
    assert!(pdf_text.contains("Всего документов: 7"));
    assert!(pdf_text.contains("Иванов Пётр Сергеевич"));
    let fonts = run("pdffonts", &[path_str(&pdf_path)]);
    assert!(fonts.contains("DejaVuSans"), "{fonts}");
    assert!(
        fonts.lines().skip(2).all(|l| l.contains(" yes ")),
        "embedded: {fonts}"
    );

    let response = rso.get(&format!("/approvals/{id}/archive")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let number = sqlx::query_scalar!("SELECT number FROM approvals WHERE id = $1", id)
        .fetch_one(&app.db)
        .await
        .expect("number");
    assert!(
        disposition.contains(&format!("_ {number}.zip")),
        "{disposition}"
    );
    let zip = response.bytes().await.expect("archive");
    let zip_path = dir.join("дело.zip");
    std::fs::write(&zip_path, &zip).expect("written");
    run("unzip", &["-t", path_str(&zip_path)]);

    let listing = run("python3", &["-c", ZIP_REPORT, path_str(&zip_path)]);
    let entries: BTreeMap<String, (String, bool)> = listing
        .lines()
        .map(|line| {
            let mut fields = line.split('\t');
            let name = fields.next().expect("name").to_owned();
            let flag = fields.next().expect("flag") == "1";
            let digest = fields.next().expect("digest").to_owned();
            (name, (digest, flag))
        })
        .collect();
    assert!(
        entries.values().all(|(_, utf8_flag)| *utf8_flag),
        "{listing}"
    );
    let folder = folder_name.as_str();
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    let archive_names = [
        "Акт _итог_; 100%.pdf",
        "ПЗ.pdf",
        "ПЗ (2).pdf",
        "Схема_ узел_.pdf",
        "_CON.txt",
        "_script_план.pdf",
    ];
    for (name, bytes) in archive_names.iter().zip(&contents) {
        expected.insert(format!("{folder}/{name}"), sha256(bytes));
    }
    expected.insert(format!("{folder}/Заявление.pdf"), sha256(&document));
    expected.insert(format!("{folder}/Заявление.pdf.sig"), sha256(&signature));
    let inventory_digest = entries
        .get("Опись документов.pdf")
        .map(|(digest, _)| digest.clone())
        .expect("the inventory is at the top");
    expected.insert("Опись документов.pdf".to_owned(), inventory_digest);
    let found: BTreeMap<String, String> = entries
        .into_iter()
        .map(|(name, (digest, _))| (name, digest))
        .collect();
    assert_eq!(found, expected);
    let _ = std::fs::remove_dir_all(dir);
}

/// Prints each entry of the archive: name, whether the UTF-8 flag (bit 11) is set in both the
/// local and the central header, and the SHA-256 of its bytes.
const ZIP_REPORT: &str = r#"
import hashlib, struct, sys, zipfile
path = sys.argv[1]
raw = open(path, 'rb').read()
with zipfile.ZipFile(path) as z:
    for info in z.infolist():
        local_flags = struct.unpack('<H', raw[info.header_offset + 6:info.header_offset + 8])[0]
        both = (info.flag_bits & 0x800) and (local_flags & 0x800)
        digest = hashlib.sha256(z.read(info)).hexdigest()
        print(f"{info.filename}\t{1 if both else 0}\t{digest}")
"#;

#[tokio::test]
async fn a_user_of_an_unrelated_organisation_gets_404_for_the_case_file() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    let document_id = sqlx::query_scalar!(
        "SELECT id FROM documents WHERE approval_id = $1 LIMIT 1",
        id
    )
    .fetch_one(&app.db)
    .await
    .expect("document");
    rso.post_form(&format!("/approvals/{id}/launch"), &[]).await;

    let stranger = app.login("rso2").await;
    for path in [
        format!("/approvals/{id}"),
        format!("/approvals/{id}/documents/{document_id}"),
        format!("/approvals/{id}/inventory"),
        format!("/approvals/{id}/inventory.pdf"),
        format!("/approvals/{id}/archive"),
    ] {
        assert_eq!(
            stranger.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let kga = app.login("kga").await;
    let response = kga.get(&format!("/approvals/{id}/archive")).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a participant downloads it"
    );
    assert!(response.bytes().await.expect("archive").starts_with(b"PK"));
    let public = app.login("public-viewer").await;
    for path in [
        format!("/approvals/{id}/inventory"),
        format!("/approvals/{id}/archive"),
    ] {
        assert_eq!(
            public.get(&path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

#[tokio::test]
async fn downloads_are_attachments_with_both_names_and_nosniff() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = rso.create_draft(app.route_id().await, "Скачивание").await;
    let (folder_id, _, _) = app.folders(id).await.remove(0);
    let parts: [(&[u8], &[u8]); 1] = [(
        "form-data; name=\"files\"; filename=\"Акт; №1.html\"".as_bytes(),
        b"<script>alert(1)</script>",
    )];
    assert_eq!(
        upload_raw(&rso, id, folder_id, &parts).await,
        StatusCode::SEE_OTHER
    );
    let document_id = sqlx::query_scalar!("SELECT id FROM documents WHERE approval_id = $1", id)
        .fetch_one(&app.db)
        .await
        .expect("document");

    let response = rso
        .get(&format!("/approvals/{id}/documents/{document_id}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"___; _1.html\"; filename*=UTF-8''%D0%90%D0%BA%D1%82%3B%20%E2%84%961.html"
    );
}

#[tokio::test]
async fn an_oversized_upload_leaves_the_user_signed_in_and_nothing_stored() {
    let app = TestApp::spawn_with(|config| config.max_upload_bytes = 1024).await;
    let rso = app.login("rso").await;
    let id = rso.create_draft(app.route_id().await, "Большой файл").await;
    let (folder_id, _, _) = app.folders(id).await.remove(0);

    let response = rso
        .upload(id, folder_id, "Большой.pdf", &vec![7u8; 4096])
        .await;

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = scraper::Html::parse_document(&response.text().await.expect("body"));
    assert!(
        texts(&page, ".error li")
            .iter()
            .any(|t| t.contains("больше допустимого"))
    );
    let documents =
        sqlx::query_scalar!("SELECT count(*) FROM documents WHERE approval_id = $1", id)
            .fetch_one(&app.db)
            .await
            .expect("count");
    assert_eq!(documents, Some(0));
    assert_eq!(
        rso.get("/approvals").await.status(),
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn bytes_without_a_row_are_removed_later_and_bytes_with_one_stay() {
    let app = TestApp::spawn().await;
    let rso = app.login("rso").await;
    let id = app.ready_draft(&rso).await;
    let dir = tempdir();
    let storage = Storage::local(&dir).await.expect("storage");
    let kept = sqlx::query_scalar!(
        "SELECT sha256 FROM documents WHERE approval_id = $1 LIMIT 1",
        id
    )
    .fetch_one(&app.db)
    .await
    .expect("document");
    let document = std::fs::read(sample("documents/Заявление.pdf")).expect("sample");
    let stored = storage
        .put(chunks(&document), 1 << 20)
        .await
        .expect("stored");
    assert_eq!(stored.sha256, kept, "the row's bytes");
    let orphan = storage
        .put(chunks(b"never recorded"), 1 << 20)
        .await
        .expect("stored");
    std::fs::create_dir_all(dir.join("tmp")).expect("tmp");
    std::fs::write(dir.join("tmp/interrupted-upload"), b"half").expect("temp");

    let fresh = storage
        .remove_orphans(&app.db, Utc::now() - Duration::hours(1))
        .await;
    assert_eq!(fresh.expect("sweep"), 0, "recent objects are left alone");
    let removed = storage
        .remove_orphans(&app.db, Utc::now() + Duration::minutes(1))
        .await;

    assert_eq!(removed.expect("sweep"), 2);
    assert!(storage.read_all(&kept).await.is_ok());
    assert!(storage.read_all(&orphan.sha256).await.is_err());
    assert!(!dir.join("tmp/interrupted-upload").exists());
    let _ = std::fs::remove_dir_all(dir);
}

pub fn chunks(
    bytes: &[u8],
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Unpin {
    let pieces: Vec<Result<bytes::Bytes, std::io::Error>> = bytes
        .chunks(1000)
        .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
        .collect();
    futures_util::stream::iter(pieces)
}

pub fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("essk-case-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Runs a tool the tests rely on and returns what it printed; fails the test when it fails.
pub fn run(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} not runnable ({e}); .ci/run installs it"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
