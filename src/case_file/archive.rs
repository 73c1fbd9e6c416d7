//! The case-file archive: where each file goes in the ZIP, and the ZIP written as a stream.
//!
//! The archive is written on a blocking thread into a bounded channel that the response body
//! reads from, so it is sent while it is built and never held whole, in memory or on disk.

use std::collections::HashMap;
use std::io::{self, Write};

use bytes::Bytes;
use tokio::sync::mpsc;
use zip::{CompressionMethod, ZipWriter, write::SimpleFileOptions};

use super::CaseDocument;
use crate::{
    domain::file_names::{UniqueNames, safe_component},
    storage::Storage,
};

/// The inventory's name at the top of the archive.
pub const INVENTORY_NAME: &str = "Опись документов.pdf";

/// Bytes handed to the response at a time.
const CHUNK: usize = 64 * 1024;
/// Chunks waiting for the client at most; with `CHUNK`, about 1 MB per download.
const CHANNEL_DEPTH: usize = 16;

/// One stored file and its path inside the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// Lays out the archive: a folder per section, each document followed by its signature files
/// (`Акт.pdf`, `Акт.pdf.sig`, `Акт.pdf (2).sig`), every name safe and unique in its folder.
/// The root holds the inventory, whose name is taken first.
pub fn plan(documents: &[CaseDocument]) -> Vec<Entry> {
    let mut root = UniqueNames::default();
    root.claim(INVENTORY_NAME);
    let mut folders: HashMap<String, (String, UniqueNames)> = HashMap::new();
    let mut entries = Vec::new();
    for case in documents {
        let section = &case.document.section;
        let (folder, names) = folders.entry(section.clone()).or_insert_with(|| {
            let folder = root.claim(&safe_component(section, "Раздел"));
            (folder, UniqueNames::default())
        });
        let name = names.claim(&safe_component(&case.document.original_name, "документ"));
        for signature in &case.signatures {
            let extension = signature_extension(&signature.original_name);
            let signature_name =
                names.claim(&safe_component(&format!("{name}{extension}"), "подпись"));
            entries.push(Entry {
                path: format!("{folder}/{signature_name}"),
                sha256: signature.sha256.clone(),
                size: u64::try_from(signature.size).unwrap_or(0),
            });
        }
        let at = entries.len() - case.signatures.len();
        entries.insert(
            at,
            Entry {
                path: format!("{folder}/{name}"),
                sha256: case.document.sha256.clone(),
                size: u64::try_from(case.document.size).unwrap_or(0),
            },
        );
    }
    entries
}

/// `.sig` or `.p7s` as the uploaded signature file had it; `.sig` otherwise.
fn signature_extension(original: &str) -> &'static str {
    let lower = original.to_lowercase();
    if lower.ends_with(".p7s") {
        ".p7s"
    } else {
        ".sig"
    }
}

/// A `Write` that hands its bytes to an async receiver in chunks, waiting while the
/// receiver is behind; fails once the receiver is gone (the client went away).
struct ChannelWriter {
    sender: mpsc::Sender<io::Result<Bytes>>,
    buffer: Vec<u8>,
}

impl ChannelWriter {
    fn send_buffer(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "download cancelled"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buffer.len();
        let taken = room.min(buf.len());
        self.buffer.extend_from_slice(&buf[..taken]);
        if self.buffer.len() >= CHUNK {
            self.send_buffer()?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buffer()
    }
}

/// Starts writing the archive: the inventory PDF first, then every entry's stored bytes.
/// Returns the receiving end of the chunks; a failure midway ends the stream with an error,
/// so the client sees a broken download rather than a short archive that looks whole.
pub fn stream(
    storage: Storage,
    inventory_pdf: Vec<u8>,
    entries: Vec<Entry>,
) -> mpsc::Receiver<io::Result<Bytes>> {
    let (sender, receiver) = mpsc::channel(CHANNEL_DEPTH);
    let runtime = tokio::runtime::Handle::current();
    let errors = sender.clone();
    tokio::task::spawn_blocking(move || {
        let writer = ChannelWriter {
            sender,
            buffer: Vec::with_capacity(CHUNK),
        };
        if let Err(error) = write_zip(&runtime, &storage, writer, &inventory_pdf, &entries)
            && error.kind() != io::ErrorKind::BrokenPipe
        {
            tracing::error!(%error, "archive not completed");
            let _ = errors.blocking_send(Err(error));
        }
    });
    receiver
}

fn write_zip(
    runtime: &tokio::runtime::Handle,
    storage: &Storage,
    writer: ChannelWriter,
    inventory_pdf: &[u8],
    entries: &[Entry],
) -> io::Result<()> {
    let mut zip = ZipWriter::new_stream(writer);
    // The fastest level: case files are mostly PDFs and scans that hardly shrink.
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1));
    zip.start_file(INVENTORY_NAME, options)?;
    zip.write_all(inventory_pdf)?;
    for entry in entries {
        let options = options.large_file(entry.size >= u64::from(u32::MAX));
        zip.start_file(entry.path.as_str(), options)?;
        let reader = runtime.block_on(storage.reader(&entry.sha256))?;
        let mut bytes = tokio_util::io::SyncIoBridge::new_with_handle(reader, runtime.clone());
        io::copy(&mut bytes, &mut zip)?;
    }
    let mut writer = zip.finish()?.into_inner();
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{documents::DocumentRow, signatures::SignatureRow};
    use chrono::Utc;

    fn document(id: i64, section: &str, name: &str, signature_names: &[&str]) -> CaseDocument {
        CaseDocument {
            document: DocumentRow {
                id,
                approval_id: 1,
                folder_id: Some(1),
                participant_id: None,
                action_id: None,
                section: section.to_owned(),
                sha256: format!("doc{id}"),
                original_name: name.to_owned(),
                content_type: "application/pdf".to_owned(),
                size: 10,
                uploaded_by_name: "Иванов".to_owned(),
                uploaded_at: Utc::now(),
            },
            signatures: signature_names
                .iter()
                .enumerate()
                .map(|(n, original)| SignatureRow {
                    id: id * 100 + n as i64,
                    document_id: id,
                    sha256: format!("sig{id}-{n}"),
                    original_name: (*original).to_owned(),
                    size: 5,
                    uploaded_at: Utc::now(),
                    verdict: "valid".to_owned(),
                    report: serde_json::Value::Null,
                })
                .collect(),
        }
    }

    fn paths(entries: &[Entry]) -> Vec<&str> {
        entries.iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn each_section_is_a_folder_and_signatures_follow_their_document() {
        let plan = plan(&[
            document(1, "Заявление", "ПЗ.pdf", &["x.sig", "y.P7S"]),
            document(2, "Заявление", "ПЗ.pdf", &["ПЗ.pdf.sig"]),
            document(3, "Решение: КГА", "Ответ.pdf", &[]),
        ]);
        assert_eq!(
            paths(&plan),
            [
                "Заявление/ПЗ.pdf",
                "Заявление/ПЗ.pdf.sig",
                "Заявление/ПЗ.pdf.p7s",
                "Заявление/ПЗ (2).pdf",
                "Заявление/ПЗ (2).pdf.sig",
                "Решение_ КГА/Ответ.pdf",
            ]
        );
        assert_eq!(plan[1].sha256, "sig1-0");
        assert_eq!(plan[3].sha256, "doc2");
    }

    #[test]
    fn hostile_names_become_safe_and_stay_distinct() {
        let plan = plan(&[
            document(1, "../..", "..\\..\\CON", &[]),
            document(2, "../..", "con", &[]),
            document(3, "Опись документов.pdf", "a:b?.pdf.", &[]),
        ]);
        assert_eq!(
            paths(&plan),
            [
                ".._/.._.._CON",
                ".._/_con",
                "Опись документов (2).pdf/a_b_.pdf",
            ]
        );
    }
}
