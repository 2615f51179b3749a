-- Issue 23 part 5 (R-29(3)): notices and announcements (通知公告) that the
-- authority — the platform administrators of the city or a district —
-- publishes to its subtree or chosen nodes of it; the periodic report on
-- the use of official and rental vehicles is a notice of kind 'report'
-- carrying the figures it was drafted from.
CREATE TABLE notices (
    id           {{pk}},
    owner_id     BIGINT NOT NULL REFERENCES units(id), -- the publishing level node
    owner_path   TEXT NOT NULL,
    kind         TEXT NOT NULL DEFAULT 'notice',       -- notice | report
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,                        -- plain text, paragraphs separated by blank lines
    pinned       BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at   {{ts}},                               -- hidden from the recipients from then on
    state        TEXT NOT NULL,                        -- draft | published
    period       TEXT NOT NULL DEFAULT '',             -- report: YYYY-MM or YYYY-Qn
    figures      TEXT NOT NULL DEFAULT '',             -- report: JSON of the figures as generated
    created_by   BIGINT NOT NULL REFERENCES users(id),
    author_name  TEXT NOT NULL,
    published_at {{ts}},
    reminded_at  {{ts}},
    created_at   {{ts}} NOT NULL,
    updated_at   {{ts}} NOT NULL
);
CREATE INDEX ix_notices_owner ON notices(owner_path, state);
CREATE INDEX ix_notices_published ON notices(state, published_at);

-- The nodes a notice goes to: each node's subtree receives it.
CREATE TABLE notice_targets (
    notice_id BIGINT NOT NULL REFERENCES notices(id),
    unit_id   BIGINT NOT NULL REFERENCES units(id),
    unit_path TEXT NOT NULL,
    PRIMARY KEY (notice_id, unit_id)
);
CREATE INDEX ix_notice_targets_path ON notice_targets(unit_path);

-- Attachments: the rules of an order's (PDF, images, Office by content,
-- ≤ 20 MB), bytes in the blob store.
CREATE TABLE notice_attachments (
    id           {{pk}},
    notice_id    BIGINT NOT NULL REFERENCES notices(id),
    blob_key     TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    created_by   BIGINT NOT NULL REFERENCES users(id),
    created_at   {{ts}} NOT NULL
);
CREATE INDEX ix_notice_attachments_notice ON notice_attachments(notice_id);

-- Read receipts: who read when, under the reader's scope node (the unit
-- whose receipt it counts for).
CREATE TABLE notice_reads (
    notice_id BIGINT NOT NULL REFERENCES notices(id),
    user_id   BIGINT NOT NULL REFERENCES users(id),
    unit_id   BIGINT NOT NULL REFERENCES units(id),
    read_at   {{ts}} NOT NULL,
    PRIMARY KEY (notice_id, user_id)
);
CREATE INDEX ix_notice_reads_unit ON notice_reads(notice_id, unit_id);

-- Issue 23 part 4: the savings rate (节支率). Budgets of vehicle running
-- costs per node and year (fen), and the baseline each level chose for a
-- year: previous (last year's actual cost), budget, or market (the market
-- price of the trips served).
CREATE TABLE savings_budgets (
    unit_id    BIGINT NOT NULL REFERENCES units(id),
    year       INTEGER NOT NULL,
    amount_fen BIGINT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users(id),
    updated_at {{ts}} NOT NULL,
    PRIMARY KEY (unit_id, year)
);
CREATE TABLE savings_bases (
    unit_id    BIGINT NOT NULL REFERENCES units(id),
    year       INTEGER NOT NULL,
    basis      TEXT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users(id),
    updated_at {{ts}} NOT NULL,
    PRIMARY KEY (unit_id, year)
);
