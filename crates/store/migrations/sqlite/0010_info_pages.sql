-- The public section «Клиентам» (PRT-01): pages edited by staff in Markdown, every saved text
-- kept as a version; the published one is what the public sees.
CREATE TABLE info_pages (
    slug               TEXT PRIMARY KEY,
    title              TEXT NOT NULL,
    published_version  BIGINT
);

CREATE TABLE info_page_versions (
    id            INTEGER PRIMARY KEY,
    slug          TEXT NOT NULL REFERENCES info_pages (slug),
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    created_by    BIGINT,
    created_at    BIGINT NOT NULL,
    published_at  BIGINT
);
CREATE INDEX info_page_versions_slug ON info_page_versions (slug, id);
