-- Detached signatures of documents. Each signature file is verified when it arrives; the
-- verdict and the signer details are kept as they were found, so the card, the inventory and
-- the launch check read them without verifying again. Signature bytes live in storage like
-- documents do.

CREATE TABLE signatures (
    id             bigserial PRIMARY KEY,
    document_id    bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    sha256         text NOT NULL REFERENCES blobs (sha256),
    original_name  text NOT NULL CHECK (original_name <> ''),
    size           bigint NOT NULL,
    uploaded_by    bigint NOT NULL REFERENCES users (id),
    uploaded_at    timestamptz NOT NULL,
    -- The file's verdict: 'valid' only when every signer's is.
    verdict        text NOT NULL CHECK (verdict IN (
                       'valid', 'digest_mismatch', 'bad_signature',
                       'cert_not_valid_at_signing_time', 'unsupported_algorithm', 'unreadable')),
    -- The verification report: signers with their verdicts and certificate details.
    report         jsonb NOT NULL
);

CREATE INDEX signatures_document_idx ON signatures (document_id);
