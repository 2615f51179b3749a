-- Issue 24 item 5: an emergency filing (R-14) carries its documents — the
-- leader's approval, the incident's notice — under the same rules as an
-- order's attachments (PDF, images, Office; checked by content; ≤ 20 MB).
CREATE TABLE emergency_attachments (
    id           {{pk}},
    filing_id    BIGINT NOT NULL REFERENCES emergency_filings(id),
    blob_key     TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    created_by   BIGINT NOT NULL REFERENCES users(id),
    created_at   {{ts}} NOT NULL
);
CREATE INDEX ix_emergency_attachments_filing ON emergency_attachments(filing_id);
