//! Signature verification on the real sample files, and on signatures OpenSSL (with the GOST
//! engine) makes during the run with keys and CAs of its own.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeZone, Utc};
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::Decode;
use essk_approvals::signature::{
    self, ChainStatus, ContentHasher, DigestAlgorithm, Report, TrustStore, Verdict, verify_bytes,
};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/samples");

/// A sample signature, the document it signs, and the algorithm it should be reported with.
struct Sample {
    signature: &'static str,
    document: &'static str,
    algorithm: &'static str,
}

const SAMPLE_SIGNATURES: [Sample; 5] = [
    Sample {
        signature: "Заявление.pdf.sig",
        document: "Заявление.pdf",
        algorithm: "ГОСТ Р 34.10-2012, 256 бит",
    },
    Sample {
        signature: "Проект производства работ.pdf.p7s",
        document: "Проект производства работ.pdf",
        algorithm: "ГОСТ Р 34.10-2012, 256 бит",
    },
    Sample {
        signature: "Схема производства работ.png.sig",
        document: "Схема производства работ.png",
        algorithm: "ГОСТ Р 34.10-2012, 512 бит",
    },
    Sample {
        signature: "Проект производства работ.pdf.rsa.sig",
        document: "Проект производства работ.pdf",
        algorithm: "RSA 2048 бит, SHA-256",
    },
    Sample {
        signature: "Схема производства работ.png.ecdsa.p7s",
        document: "Схема производства работ.png",
        algorithm: "ECDSA P-256, SHA-256",
    },
];

const DOCUMENTS: [&str; 3] = [
    "Заявление.pdf",
    "Проект производства работ.pdf",
    "Схема производства работ.png",
];

fn read(path: impl AsRef<Path>) -> Vec<u8> {
    let path = path.as_ref();
    std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn sample_signature(name: &str) -> Vec<u8> {
    read(Path::new(SAMPLES).join("signatures").join(name))
}

fn sample_document(name: &str) -> Vec<u8> {
    read(Path::new(SAMPLES).join("documents").join(name))
}

/// An upload time inside the sample certificates' validity (2026-12-03 to 2028-12-02) and
/// after the samples were signed.
fn upload_time_for_samples() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 6, 1, 12, 0, 0)
        .single()
        .expect("a valid date")
}

/// The DER of a signature file that may be PEM.
fn to_der(bytes: &[u8]) -> Vec<u8> {
    if bytes.first() == Some(&0x30) {
        return bytes.to_vec();
    }
    let (_, der) = der::pem::decode_vec(bytes).expect("PEM");
    der
}

/// The signature values of every signer, as the cms crate reads them.
fn signature_values(der: &[u8]) -> Vec<Vec<u8>> {
    let content_info = ContentInfo::from_der(der).expect("a ContentInfo");
    let signed_data: SignedData = content_info.content.decode_as().expect("a SignedData");
    signed_data
        .signer_infos
        .0
        .iter()
        .map(|signer| signer.signature.as_bytes().to_vec())
        .collect()
}

/// The signature with the lowest bit of the last byte of its first signature value flipped,
/// found where the value sits inside the DER.
fn with_signature_bit_flipped(signature: &[u8]) -> Vec<u8> {
    let mut der = to_der(signature);
    let value = signature_values(&der).remove(0);
    let positions: Vec<usize> = der
        .windows(value.len())
        .enumerate()
        .filter(|(_, window)| *window == value.as_slice())
        .map(|(position, _)| position)
        .collect();
    assert_eq!(positions.len(), 1, "the signature value occurs once");
    der[positions[0] + value.len() - 1] ^= 0x01;
    der
}

fn assert_verdict(report: &Report, expected: Verdict, what: &str) {
    assert_eq!(report.verdict, expected, "{what}: {report:#?}");
}

// --- The samples -------------------------------------------------------------------------

#[test]
fn every_sample_signature_is_valid_with_its_document() {
    for sample in &SAMPLE_SIGNATURES {
        let report = verify_bytes(
            &sample_document(sample.document),
            &sample_signature(sample.signature),
            upload_time_for_samples(),
            None,
        );
        assert_verdict(&report, Verdict::Valid, sample.signature);
        assert_eq!(report.reason, None);
        assert_eq!(report.signers.len(), 1, "{}", sample.signature);
        let signer = &report.signers[0];
        assert_eq!(signer.verdict, Verdict::Valid);
        assert_eq!(signer.algorithm, sample.algorithm, "{}", sample.signature);
        assert_eq!(signer.chain, ChainStatus::NotChecked);
        let signed_at = signer.signing_time.expect("the samples carry signingTime");
        assert!(signer.not_before <= signed_at && signed_at <= signer.not_after);
    }
}

#[test]
fn the_gost_sample_signer_is_described_from_its_qualified_certificate() {
    let report = verify_bytes(
        &sample_document("Заявление.pdf"),
        &sample_signature("Заявление.pdf.sig"),
        upload_time_for_samples(),
        None,
    );
    let signer = &report.signers[0];
    assert_eq!(signer.subject, "Иванов Пётр Сергеевич");
    assert_eq!(
        signer.organisation.as_deref(),
        Some("ГУП «Инженерные сети»")
    );
    assert_eq!(
        signer.title.as_deref(),
        Some("Начальник отдела оформления разрешений")
    );
    assert_eq!(signer.snils.as_deref(), Some("11223344595"));
    assert_eq!(signer.inn.as_deref(), Some("781234567890"));
    assert_eq!(signer.ogrn.as_deref(), Some("1027800000001"));
    assert_eq!(signer.inn_le, None);
    assert_eq!(signer.ogrnip, None);
    assert_eq!(signer.email.as_deref(), Some("ivanov@example.ru"));
    assert_eq!(signer.issuer, "Учебный УЦ ГОСТ 2012");
    assert_eq!(signer.serial, "04B7F7EC55470E5355586BA9FB5C6C0C4976420A");
    assert_eq!(signer.not_before.to_rfc3339(), "2026-12-03T18:07:00+00:00");
    assert_eq!(signer.not_after.to_rfc3339(), "2028-12-02T18:07:00+00:00");
    assert_eq!(
        signer.signing_time.map(|at| at.to_rfc3339()).as_deref(),
        Some("2026-12-03T18:07:05+00:00")
    );
}

#[test]
fn every_sample_signature_paired_with_another_document_is_a_digest_mismatch() {
    for sample in &SAMPLE_SIGNATURES {
        for document in DOCUMENTS.iter().filter(|d| **d != sample.document) {
            let report = verify_bytes(
                &sample_document(document),
                &sample_signature(sample.signature),
                upload_time_for_samples(),
                None,
            );
            let what = format!("{} with {document}", sample.signature);
            assert_verdict(&report, Verdict::DigestMismatch, &what);
            assert_eq!(report.signers[0].verdict, Verdict::DigestMismatch, "{what}");
        }
    }
}

#[test]
fn a_sample_signature_with_one_bit_of_its_value_flipped_is_a_bad_signature() {
    for sample in &SAMPLE_SIGNATURES {
        let original = sample_signature(sample.signature);
        let altered = with_signature_bit_flipped(&original);
        assert_ne!(altered, to_der(&original));
        let report = verify_bytes(
            &sample_document(sample.document),
            &altered,
            upload_time_for_samples(),
            None,
        );
        assert_verdict(&report, Verdict::BadSignature, sample.signature);
    }
}

#[test]
fn an_upload_before_the_signing_time_is_judged_at_the_upload_time() {
    // The samples were signed at 18:07:05 on 2026-12-03, five seconds after their certificates
    // took effect. A signing time later than the upload cannot be trusted, so the upload time
    // is used, and at 18:00 the certificate was not yet valid.
    let document = sample_document("Заявление.pdf");
    let signature = sample_signature("Заявление.pdf.sig");
    let before_certificate = Utc
        .with_ymd_and_hms(2026, 12, 3, 18, 0, 0)
        .single()
        .expect("a valid date");
    let report = verify_bytes(&document, &signature, before_certificate, None);
    assert_verdict(
        &report,
        Verdict::CertNotValidAtSigningTime,
        "upload at 18:00",
    );

    let after_certificate = Utc
        .with_ymd_and_hms(2026, 12, 3, 18, 7, 3)
        .single()
        .expect("a valid date");
    let report = verify_bytes(&document, &signature, after_certificate, None);
    assert_verdict(&report, Verdict::Valid, "upload at 18:07:03");
}

#[test]
fn a_signing_time_after_the_certificate_expired_is_judged_at_the_signing_time() {
    // Uploaded long after the sample certificates expire, but signed while they were valid.
    let much_later = Utc
        .with_ymd_and_hms(2031, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date");
    let report = verify_bytes(
        &sample_document("Проект производства работ.pdf"),
        &sample_signature("Проект производства работ.pdf.rsa.sig"),
        much_later,
        None,
    );
    assert_verdict(&report, Verdict::Valid, "RSA sample uploaded in 2031");
}

#[test]
fn pem_with_other_labels_and_bare_base64_with_crlf_are_read() {
    let document = sample_document("Заявление.pdf");
    let encoded = STANDARD.encode(sample_signature("Заявление.pdf.sig"));
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).expect("ASCII"))
        .collect();
    let crlf_base64 = format!("{}\r\n", lines.join("\r\n"));
    let crypto_pro_style = format!(
        "{}\r\n",
        encoded
            .as_bytes()
            .chunks(76)
            .map(|l| { std::str::from_utf8(l).expect("ASCII") })
            .collect::<Vec<_>>()
            .join("\r\n")
    );
    let variants = [
        ("bare Base64, CRLF", crlf_base64.clone()),
        ("bare Base64, 76 columns", crypto_pro_style),
        ("one line", encoded.clone()),
        (
            "PKCS7",
            format!(
                "-----BEGIN PKCS7-----\n{}\n-----END PKCS7-----\n",
                lines.join("\n")
            ),
        ),
        (
            "SIGNED MESSAGE, CRLF",
            format!(
                "-----BEGIN SIGNED MESSAGE-----\r\n{crlf_base64}-----END SIGNED MESSAGE-----\r\n"
            ),
        ),
    ];
    for (what, text) in variants {
        let report = verify_bytes(&document, text.as_bytes(), upload_time_for_samples(), None);
        assert_verdict(&report, Verdict::Valid, what);
    }
}

#[test]
fn truncated_empty_and_random_bytes_are_unreadable() {
    let signature = sample_signature("Заявление.pdf.sig");
    let document = sample_document("Заявление.pdf");
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let random: Vec<u8> = (0..2048)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect();
    let mut random_sequence = random.clone();
    random_sequence[0] = 0x30;
    let certificate = read(Path::new(SAMPLES).join("pki/ca-rsa.crt"));
    let inputs: [(&str, &[u8]); 8] = [
        ("half", &signature[..signature.len() / 2]),
        ("all but the last byte", &signature[..signature.len() - 1]),
        ("empty", b""),
        ("random", &random),
        ("random after a SEQUENCE tag", &random_sequence),
        ("text", "Это не подпись".as_bytes()),
        ("a certificate, not a signature", &certificate),
        (
            "broken PEM",
            b"-----BEGIN CMS-----\nMII$$$\n-----END CMS-----\n",
        ),
    ];
    for (what, bytes) in inputs {
        let report = verify_bytes(&document, bytes, upload_time_for_samples(), None);
        assert_verdict(&report, Verdict::Unreadable, what);
        assert!(report.signers.is_empty(), "{what}");
        assert!(report.reason.is_some(), "{what}");
    }
}

#[test]
fn the_trust_store_tells_whether_the_chain_reaches_a_trusted_ca() {
    let trusted_dir = fixtures().dir.join("sample-cas");
    std::fs::create_dir_all(&trusted_dir).expect("a directory");
    for name in ["ca-gost.crt", "ca-rsa.crt"] {
        std::fs::copy(
            Path::new(SAMPLES).join("pki").join(name),
            trusted_dir.join(name),
        )
        .expect("copied");
    }
    let sample_cas = TrustStore::from_dir(&trusted_dir).expect("a readable directory");
    assert_eq!(sample_cas.len(), 2);
    let own_ca = TrustStore::from_dir(&fixtures().dir.join("trusted")).expect("readable");
    assert_eq!(own_ca.len(), 2);

    for sample in &SAMPLE_SIGNATURES {
        let document = sample_document(sample.document);
        let signature = sample_signature(sample.signature);
        let at = upload_time_for_samples();
        let report = verify_bytes(&document, &signature, at, Some(&sample_cas));
        assert_verdict(&report, Verdict::Valid, sample.signature);
        assert_eq!(
            report.signers[0].chain,
            ChainStatus::Trusted,
            "{}",
            sample.signature
        );

        let report = verify_bytes(&document, &signature, at, Some(&own_ca));
        assert_verdict(&report, Verdict::Valid, sample.signature);
        assert!(
            matches!(&report.signers[0].chain, ChainStatus::Untrusted(reason) if reason.contains("не найден")),
            "{}: {:?}",
            sample.signature,
            report.signers[0].chain
        );
    }
}

#[test]
fn a_ca_with_the_right_name_but_another_key_does_not_make_the_chain_trusted() {
    let fixtures = fixtures();
    // A CA named like the sample GOST CA, with a key of its own.
    let dir = fixtures.dir.join("impostor");
    std::fs::create_dir_all(&dir).expect("a directory");
    openssl_gost(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "gost2012_256",
            "-pkeyopt",
            "paramset:A",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "3650",
            "-utf8",
            "-subj",
            "/C=RU/L=Санкт-Петербург/O=Учебный удостоверяющий центр/CN=Учебный УЦ ГОСТ 2012",
        ],
    );
    std::fs::remove_file(dir.join("ca.key")).expect("removed");
    let impostor = TrustStore::from_dir(&dir).expect("readable");
    let report = verify_bytes(
        &sample_document("Заявление.pdf"),
        &sample_signature("Заявление.pdf.sig"),
        upload_time_for_samples(),
        Some(&impostor),
    );
    assert_verdict(&report, Verdict::Valid, "chain does not change the verdict");
    assert!(
        matches!(&report.signers[0].chain, ChainStatus::Untrusted(reason) if reason.contains("не подтверждается")),
        "{:?}",
        report.signers[0].chain
    );
}

#[test]
fn a_large_document_can_be_hashed_in_pieces_with_the_algorithms_the_signers_need() {
    let fixtures = fixtures();
    let signature = fixtures.sign(
        "mixed",
        &["-signer", "rsa.crt", "-inkey", "rsa.key"],
        &["-signer", "gost-TCA.crt", "-inkey", "gost-TCA.key"],
    );
    let parsed = signature::parse(&signature).expect("readable");
    assert_eq!(parsed.signer_count(), 2);
    let mut algorithms = parsed.digest_algorithms();
    algorithms.sort_by_key(|algorithm| format!("{algorithm:?}"));
    assert_eq!(
        algorithms,
        [DigestAlgorithm::Sha256, DigestAlgorithm::Streebog256]
    );
    let mut hasher = ContentHasher::new(&parsed.digest_algorithms());
    for piece in fixtures.document.chunks(100) {
        hasher.update(piece);
    }
    let report = parsed.verify(&hasher.finish(), Utc::now(), None);
    assert_verdict(&report, Verdict::Valid, "RSA and GOST signers");
    assert!(report.signers.iter().all(|s| s.verdict == Verdict::Valid));

    let incomplete = ContentHasher::new(&[DigestAlgorithm::Sha256]).finish();
    let report = parsed.verify(&incomplete, Utc::now(), None);
    assert_verdict(
        &report,
        Verdict::Unreadable,
        "a digest the caller did not compute",
    );
}

// --- Signatures made during the run --------------------------------------------------------

/// Keys, certificates and documents made once for the whole test binary.
struct Fixtures {
    dir: PathBuf,
    document: Vec<u8>,
    other_document: Vec<u8>,
}

/// GOST R 34.10-2012 parameter sets as the engine names them, with their key size.
const GOST_PARAMETER_SETS: [(&str, &str); 12] = [
    ("A", "gost2012_256"),
    ("B", "gost2012_256"),
    ("C", "gost2012_256"),
    ("XA", "gost2012_256"),
    ("XB", "gost2012_256"),
    ("TCA", "gost2012_256"),
    ("TCB", "gost2012_256"),
    ("TCC", "gost2012_256"),
    ("TCD", "gost2012_256"),
    ("A", "gost2012_512"),
    ("B", "gost2012_512"),
    ("C", "gost2012_512"),
];

fn gost_key_name(parameter_set: &str, algorithm: &str) -> String {
    match algorithm {
        "gost2012_512" => format!("gost512-{parameter_set}"),
        _ => format!("gost-{parameter_set}"),
    }
}

fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(make_fixtures)
}

/// Runs a command in `dir`, failing the test loudly when it is missing or fails.
fn run(dir: &Path, program: &str, args: &[&str]) -> Output {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|error| {
            panic!("{program} must be installed to run these tests ({error}); see .ci/run")
        });
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn openssl(dir: &Path, args: &[&str]) -> Output {
    run(dir, "openssl", args)
}

/// OpenSSL with the GOST engine loaded (Debian package `libengine-gost-openssl`).
fn openssl_gost(dir: &Path, args: &[&str]) -> Output {
    let (command, rest) = args.split_first().expect("a command");
    let mut with_engine = vec![*command, "-engine", "gost"];
    with_engine.extend_from_slice(rest);
    openssl(dir, &with_engine)
}

fn make_fixtures() -> Fixtures {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("signature-fixtures");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("trusted")).expect("a fixtures directory");
    let document = "Акт приёмки работ № 17\nПодписано в ходе теста.\n"
        .repeat(40)
        .into_bytes();
    let other_document = b"Another document entirely".to_vec();
    std::fs::write(dir.join("document.txt"), &document).expect("written");

    let engine = Command::new("openssl")
        .args(["engine", "gost", "-t"])
        .output()
        .unwrap_or_else(|error| panic!("openssl must be installed for these tests: {error}"));
    assert!(
        String::from_utf8_lossy(&engine.stdout).contains("available"),
        "the OpenSSL GOST engine must be installed (apt-get install libengine-gost-openssl)"
    );

    // An ECDSA CA with RSA, ECDSA and expired signers.
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "3650",
            "-subj",
            "/CN=Тестовый УЦ ECDSA",
            "-utf8",
        ],
    );
    let issue = |name: &str, key_args: &[&str], subject: &str| {
        let mut request = vec!["req", "-newkey"];
        request.extend_from_slice(key_args);
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let crt = format!("{name}.crt");
        request.extend_from_slice(&["-nodes", "-keyout", &key, "-out", &csr, "-utf8"]);
        request.extend_from_slice(&["-subj", subject]);
        openssl(&dir, &request);
        openssl(
            &dir,
            &[
                "x509", "-req", "-in", &csr, "-CA", "ca.crt", "-CAkey", "ca.key", "-days", "30",
                "-out", &crt,
            ],
        );
    };
    issue("rsa", &["rsa:2048"], "/CN=Сидоров Олег/O=АО «Тест»");
    issue(
        "p384",
        &["ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
        "/CN=Кузнецова Мария",
    );
    issue(
        "p521",
        &["ec", "-pkeyopt", "ec_paramgen_curve:P-521"],
        "/CN=Кривая P-521",
    );

    // A certificate that expired in 2021, issued with `openssl ca`, which can backdate.
    std::fs::create_dir_all(dir.join("ca-db")).expect("a directory");
    std::fs::write(dir.join("ca-db/index.txt"), "").expect("written");
    std::fs::write(dir.join("ca-db/serial"), "1000\n").expect("written");
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca = test\n[test]\ndir = ./ca-db\ndatabase = $dir/index.txt\n\
         serial = $dir/serial\nnew_certs_dir = $dir\ncertificate = ca.crt\nprivate_key = ca.key\n\
         default_md = sha256\npolicy = any\nunique_subject = no\n[any]\ncommonName = supplied\n",
    )
    .expect("written");
    openssl(
        &dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "expired.key",
            "-out",
            "expired.csr",
            "-subj",
            "/CN=Просроченный",
        ],
    );
    openssl(
        &dir,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20210101000000Z",
            "-in",
            "expired.csr",
            "-out",
            "expired.crt",
            "-notext",
        ],
    );

    // A GOST CA and a signer on every supported parameter set.
    openssl_gost(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "gost2012_256",
            "-pkeyopt",
            "paramset:TCA",
            "-nodes",
            "-keyout",
            "gost-ca.key",
            "-out",
            "gost-ca.crt",
            "-days",
            "3650",
            "-utf8",
            "-subj",
            "/CN=Тестовый УЦ ГОСТ",
        ],
    );
    for (parameter_set, algorithm) in GOST_PARAMETER_SETS {
        let name = gost_key_name(parameter_set, algorithm);
        let (key, csr, crt) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
        );
        let paramset = format!("paramset:{parameter_set}");
        let subject = format!("/CN=Подписант {name}/SNILS=11223344595/INN=781234567890");
        openssl_gost(
            &dir,
            &[
                "req", "-newkey", algorithm, "-pkeyopt", &paramset, "-nodes", "-keyout", &key,
                "-out", &csr, "-utf8", "-subj", &subject,
            ],
        );
        openssl_gost(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "gost-ca.crt",
                "-CAkey",
                "gost-ca.key",
                "-days",
                "30",
                "-out",
                &crt,
            ],
        );
    }
    for ca in ["ca.crt", "gost-ca.crt"] {
        std::fs::copy(dir.join(ca), dir.join("trusted").join(ca)).expect("copied");
    }
    Fixtures {
        dir,
        document,
        other_document,
    }
}

impl Fixtures {
    /// Signs the document with `openssl cms -sign` (GOST engine loaded), detached and DER
    /// unless the extra arguments say otherwise, and returns the signature file.
    fn sign(&self, name: &str, signer: &[&str], extra: &[&str]) -> Vec<u8> {
        let output = format!("{name}.sig");
        let mut args = vec!["cms", "-sign", "-binary", "-in", "document.txt"];
        args.extend_from_slice(signer);
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-outform", "DER", "-out", &output]);
        openssl_gost(&self.dir, &args);
        read(self.dir.join(output))
    }

    fn verify(&self, signature: &[u8]) -> Report {
        verify_bytes(&self.document, signature, Utc::now(), None)
    }

    fn verify_other(&self, signature: &[u8]) -> Report {
        verify_bytes(&self.other_document, signature, Utc::now(), None)
    }
}

#[test]
fn fresh_gost_signatures_on_every_supported_parameter_set_verify() {
    let fixtures = fixtures();
    let trusted = TrustStore::from_dir(&fixtures.dir.join("trusted")).expect("readable");
    for (parameter_set, algorithm) in GOST_PARAMETER_SETS {
        let name = gost_key_name(parameter_set, algorithm);
        let (crt, key) = (format!("{name}.crt"), format!("{name}.key"));
        let digest = match algorithm {
            "gost2012_512" => "md_gost12_512",
            _ => "md_gost12_256",
        };
        let signature = fixtures.sign(&name, &["-signer", &crt, "-inkey", &key], &["-md", digest]);
        let report = verify_bytes(&fixtures.document, &signature, Utc::now(), Some(&trusted));
        assert_verdict(&report, Verdict::Valid, &name);
        let signer = &report.signers[0];
        let bits = if algorithm == "gost2012_512" {
            512
        } else {
            256
        };
        assert_eq!(
            signer.algorithm,
            format!("ГОСТ Р 34.10-2012, {bits} бит"),
            "{name}"
        );
        assert_eq!(signer.snils.as_deref(), Some("11223344595"), "{name}");
        assert_eq!(signer.chain, ChainStatus::Trusted, "{name}");

        assert_verdict(
            &fixtures.verify_other(&signature),
            Verdict::DigestMismatch,
            &name,
        );
        let altered = with_signature_bit_flipped(&signature);
        assert_verdict(&fixtures.verify(&altered), Verdict::BadSignature, &name);
    }
}

#[test]
fn a_certificate_expired_before_signing_gives_cert_not_valid_at_signing_time() {
    let fixtures = fixtures();
    let signature = fixtures.sign(
        "expired",
        &["-signer", "expired.crt", "-inkey", "expired.key"],
        &[],
    );
    let report = fixtures.verify(&signature);
    assert_verdict(
        &report,
        Verdict::CertNotValidAtSigningTime,
        "expired in 2021",
    );
    let signer = &report.signers[0];
    let signed_at = signer.signing_time.expect("OpenSSL adds signingTime");
    assert!(signer.not_after < signed_at);
    assert_eq!(signer.not_after.to_rfc3339(), "2021-01-01T00:00:00+00:00");

    assert_verdict(
        &fixtures.verify_other(&signature),
        Verdict::DigestMismatch,
        "checked first",
    );
}

#[test]
fn two_signers_in_one_file_are_both_verified_and_the_first_failure_decides() {
    let fixtures = fixtures();
    let both_valid = fixtures.sign(
        "two-valid",
        &["-signer", "rsa.crt", "-inkey", "rsa.key"],
        &["-signer", "p384.crt", "-inkey", "p384.key"],
    );
    let report = fixtures.verify(&both_valid);
    assert_verdict(&report, Verdict::Valid, "RSA and P-384");
    let mut subjects: Vec<&str> = report.signers.iter().map(|s| s.subject.as_str()).collect();
    subjects.sort_unstable();
    assert_eq!(subjects, ["Кузнецова Мария", "Сидоров Олег"]);

    let one_expired = fixtures.sign(
        "two-one-expired",
        &["-signer", "rsa.crt", "-inkey", "rsa.key"],
        &["-signer", "expired.crt", "-inkey", "expired.key"],
    );
    let report = fixtures.verify(&one_expired);
    assert_verdict(
        &report,
        Verdict::CertNotValidAtSigningTime,
        "one signer expired",
    );
    let mut verdicts: Vec<&str> = report.signers.iter().map(|s| s.verdict.as_str()).collect();
    verdicts.sort_unstable();
    assert_eq!(verdicts, ["cert_not_valid_at_signing_time", "valid"]);
}

#[test]
fn a_signature_without_certificates_is_unreadable() {
    let fixtures = fixtures();
    let signature = fixtures.sign(
        "nocerts",
        &["-signer", "rsa.crt", "-inkey", "rsa.key"],
        &["-nocerts"],
    );
    let report = fixtures.verify(&signature);
    assert_verdict(&report, Verdict::Unreadable, "-nocerts");
    assert_eq!(
        report.reason.as_deref(),
        Some("в подписи нет сертификата подписанта")
    );
    assert!(report.signers.is_empty());
}

#[test]
fn a_streamed_ber_signature_with_indefinite_lengths_is_valid() {
    let fixtures = fixtures();
    let signature = fixtures.sign(
        "stream",
        &["-signer", "rsa.crt", "-inkey", "rsa.key"],
        &["-stream"],
    );
    assert_eq!(
        &signature[..2],
        [0x30, 0x80],
        "OpenSSL wrote an indefinite length"
    );
    assert_verdict(&fixtures.verify(&signature), Verdict::Valid, "-stream");
    assert_verdict(
        &fixtures.verify_other(&signature),
        Verdict::DigestMismatch,
        "-stream",
    );

    let gost = fixtures.sign(
        "stream-gost",
        &["-signer", "gost512-C.crt", "-inkey", "gost512-C.key"],
        &["-stream", "-md", "md_gost12_512"],
    );
    assert_eq!(&gost[..2], [0x30, 0x80]);
    assert_verdict(&fixtures.verify(&gost), Verdict::Valid, "-stream GOST 512");
}

#[test]
fn an_attached_signature_is_checked_against_the_uploaded_file() {
    let fixtures = fixtures();
    let signature = fixtures.sign(
        "attached",
        &["-signer", "p384.crt", "-inkey", "p384.key"],
        &["-nodetach"],
    );
    assert_verdict(&fixtures.verify(&signature), Verdict::Valid, "-nodetach");
    assert_verdict(
        &fixtures.verify_other(&signature),
        Verdict::DigestMismatch,
        "-nodetach",
    );
}

#[test]
fn a_signature_without_signed_attributes_is_checked_over_the_document_itself() {
    let fixtures = fixtures();
    let signers: [(&str, &[&str]); 3] = [
        ("noattr-rsa", &["-signer", "rsa.crt", "-inkey", "rsa.key"]),
        (
            "noattr-p384",
            &["-signer", "p384.crt", "-inkey", "p384.key"],
        ),
        (
            "noattr-gost",
            &["-signer", "gost-B.crt", "-inkey", "gost-B.key"],
        ),
    ];
    for (name, signer) in signers {
        let signature = fixtures.sign(name, signer, &["-noattr"]);
        let report = fixtures.verify(&signature);
        assert_verdict(&report, Verdict::Valid, name);
        assert_eq!(report.signers[0].signing_time, None, "{name}");
        // Without signed attributes the document digest is only inside the signature value.
        assert_verdict(
            &fixtures.verify_other(&signature),
            Verdict::BadSignature,
            name,
        );
    }
}

#[test]
fn rsa_pss_rsa_sha512_and_ecdsa_p384_signatures_verify() {
    let fixtures = fixtures();
    let cases: [(&str, &[&str], &[&str], &str); 4] = [
        (
            "pss",
            &["-signer", "rsa.crt", "-inkey", "rsa.key"],
            &["-keyopt", "rsa_padding_mode:pss"],
            "RSA-PSS 2048 бит, SHA-256",
        ),
        (
            "pss-sha384",
            &["-signer", "rsa.crt", "-inkey", "rsa.key"],
            &["-keyopt", "rsa_padding_mode:pss", "-md", "sha384"],
            "RSA-PSS 2048 бит, SHA-384",
        ),
        (
            "rsa-sha512",
            &["-signer", "rsa.crt", "-inkey", "rsa.key"],
            &["-md", "sha512"],
            "RSA 2048 бит, SHA-512",
        ),
        (
            "p384",
            &["-signer", "p384.crt", "-inkey", "p384.key"],
            &["-md", "sha384"],
            "ECDSA P-384, SHA-384",
        ),
    ];
    for (name, signer, extra, algorithm) in cases {
        let signature = fixtures.sign(name, signer, extra);
        let report = fixtures.verify(&signature);
        assert_verdict(&report, Verdict::Valid, name);
        assert_eq!(report.signers[0].algorithm, algorithm, "{name}");
        let altered = with_signature_bit_flipped(&signature);
        assert_verdict(&fixtures.verify(&altered), Verdict::BadSignature, name);
    }
}

#[test]
fn an_unknown_digest_or_curve_is_an_unsupported_algorithm() {
    let fixtures = fixtures();
    let sha1 = fixtures.sign(
        "sha1",
        &["-signer", "rsa.crt", "-inkey", "rsa.key"],
        &["-md", "sha1"],
    );
    let report = fixtures.verify(&sha1);
    assert_verdict(&report, Verdict::UnsupportedAlgorithm, "SHA-1");
    assert_eq!(report.signers[0].subject, "Сидоров Олег");

    let p521 = fixtures.sign(
        "p521",
        &["-signer", "p521.crt", "-inkey", "p521.key"],
        &["-md", "sha512"],
    );
    let report = fixtures.verify(&p521);
    assert_verdict(&report, Verdict::UnsupportedAlgorithm, "P-521");
    assert!(report.signers[0].algorithm.contains("1.3.132.0.35"));
    // The digest is checked before the algorithm is needed.
    assert_verdict(
        &fixtures.verify_other(&p521),
        Verdict::DigestMismatch,
        "P-521",
    );
}

// --- The command line ----------------------------------------------------------------------

fn essk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_essk"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("the essk binary runs")
}

fn samples_path(relative: &str) -> String {
    Path::new(SAMPLES).join(relative).display().to_string()
}

#[test]
fn the_cli_prints_one_json_object_and_exits_0_for_a_valid_signature_without_a_database() {
    let output = essk(&[
        "verify-signature",
        "--file",
        &samples_path("documents/Схема производства работ.png"),
        "--signature",
        &samples_path("signatures/Схема производства работ.png.sig"),
        "--json",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(json["verdict"], "valid");
    let signers = json["signers"].as_array().expect("signers");
    assert_eq!(signers.len(), 1);
    let signer = &signers[0];
    assert_eq!(signer["verdict"], "valid");
    assert_eq!(signer["subject"], "Петрова Анна Викторовна");
    assert_eq!(signer["algorithm"], "ГОСТ Р 34.10-2012, 512 бит");
    assert_eq!(signer["issuer"], "Учебный УЦ ГОСТ 2012");
    assert_eq!(signer["not_before"], "2026-12-03T18:07:00Z");
    assert_eq!(signer["signing_time"], "2026-12-03T18:07:05Z");
    let mut keys: Vec<&str> = signer
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "algorithm",
            "email",
            "inn",
            "issuer",
            "not_after",
            "not_before",
            "ogrn",
            "organisation",
            "serial",
            "signing_time",
            "snils",
            "subject",
            "title",
            "verdict"
        ]
    );
}

#[test]
fn the_cli_exits_1_for_a_signature_of_another_document() {
    let output = essk(&[
        "verify-signature",
        "--file",
        &samples_path("documents/Заявление.pdf"),
        "--signature",
        &samples_path("signatures/Проект производства работ.pdf.rsa.sig"),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(json["verdict"], "digest_mismatch");
    assert_eq!(json["signers"][0]["verdict"], "digest_mismatch");
}

#[test]
fn the_cli_reports_an_unreadable_signature_with_no_signers_and_exits_1() {
    let output = essk(&[
        "verify-signature",
        "--file",
        &samples_path("documents/Заявление.pdf"),
        "--signature",
        &samples_path("documents/Заявление.pdf"),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(
        json,
        serde_json::json!({ "verdict": "unreadable", "signers": [] })
    );
}

#[test]
fn the_cli_prints_russian_text_with_the_chain_when_given_a_trust_store() {
    let output = essk(&[
        "verify-signature",
        "--file",
        &samples_path("documents/Заявление.pdf"),
        "--signature",
        &samples_path("signatures/Заявление.pdf.sig"),
        "--trusted-ca-dir",
        &samples_path("pki"),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(text.starts_with("Итог: Подпись действительна"), "{text}");
    assert!(text.contains("СНИЛС: 11223344595"), "{text}");
    assert!(
        text.contains("Цепочка: Сертификат выдан доверенным УЦ"),
        "{text}"
    );
}

#[test]
fn the_cli_exits_2_on_wrong_usage_or_a_missing_file() {
    let missing_argument = essk(&["verify-signature", "--file", "x"]);
    assert_eq!(missing_argument.status.code(), Some(2));
    let missing_file = essk(&[
        "verify-signature",
        "--file",
        "/nonexistent/document",
        "--signature",
        &samples_path("signatures/Заявление.pdf.sig"),
    ]);
    assert_eq!(missing_file.status.code(), Some(2));
    assert!(missing_file.stdout.is_empty());
}
