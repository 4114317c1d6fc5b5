-- A supply contract applied for from the personal account (ACC-03): the documents of the
-- checklist the client attached (the ones to be brought in person are named in
-- contracts.documents). Staff conclude or refuse it; every status is in contract_status_history.
CREATE TABLE contract_documents (
    id            INTEGER PRIMARY KEY,
    contract_id   BIGINT NOT NULL REFERENCES contracts (id),
    document      TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    content       BLOB NOT NULL,
    added_at      BIGINT NOT NULL
);
CREATE INDEX contract_documents_contract ON contract_documents (contract_id);
-- At most one application under consideration per account.
CREATE UNIQUE INDEX contracts_one_applied ON contracts (account_id) WHERE status = 'applied';
