//! Embedded schema migrations. Each runs in its own transaction together with the
//! `user_version` bump, so a migration is applied entirely or not at all.
//!
//! Migrations are append-only: never edit one that has shipped; add the next.

use rusqlite::Connection;

use crate::StoreError;

pub const MIGRATIONS: &[&str] = &[
    // 1: messages as received, parsed documents, the ITK3 response outbox, and sync state.
    r#"
    CREATE TABLE app_meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;

    -- Every message received, byte for byte, whatever became of it. The app never deletes these.
    CREATE TABLE messages (
        id                INTEGER PRIMARY KEY,
        source            TEXT NOT NULL,              -- 'mesh' | 'folder' | 'import'
        mailbox           TEXT NOT NULL DEFAULT '',   -- our mailbox id, or the folder path
        source_id         TEXT NOT NULL,              -- MESH message id, or the file's id
        workflow_id       TEXT,
        sender_mailbox    TEXT,                       -- where the message came from on MESH
        received_at       TEXT NOT NULL,              -- RFC 3339, UTC
        raw               BLOB NOT NULL,
        sha256            TEXT NOT NULL,
        itk_message_id    TEXT,                       -- MessageHeader.id, when readable
        outcome           TEXT NOT NULL CHECK (outcome IN
                              ('stored', 'duplicate', 'quarantined', 'response', 'report')),
        duplicate_of      INTEGER,                    -- documents.id of the document it repeats
        quarantine_reason TEXT,
        diagnostics       TEXT NOT NULL DEFAULT '[]', -- JSON array from the parser
        acknowledged_at   TEXT,                       -- when the mailbox was told (after commit)
        UNIQUE (source, mailbox, source_id)
    ) STRICT;
    CREATE INDEX messages_itk_message_id ON messages(itk_message_id);
    CREATE INDEX messages_unacknowledged ON messages(acknowledged_at) WHERE acknowledged_at IS NULL;

    CREATE TABLE documents (
        id                 INTEGER PRIMARY KEY,
        message_id         INTEGER NOT NULL REFERENCES messages(id),
        kind               TEXT NOT NULL,
        document_bundle_id TEXT,
        composition_id     TEXT,
        replaces           TEXT,                      -- identifier of the document this replaces
        nhs_number         TEXT,
        patient_name       TEXT,
        birth_date         TEXT,
        title              TEXT,
        sender             TEXT,
        care_setting       TEXT,
        document_date      TEXT,
        received_at        TEXT NOT NULL,
        status             TEXT NOT NULL DEFAULT 'new'
                           CHECK (status IN ('new', 'needs-action', 'filed')),
        superseded_by      INTEGER REFERENCES documents(id),
        flags              TEXT NOT NULL DEFAULT '{}' -- JSON: medication changes, attachments, ...
    ) STRICT;
    -- The parsed document (JSON), apart from the list columns so list scans stay small.
    CREATE TABLE document_models (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id),
        model       TEXT NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX documents_bundle_id ON documents(document_bundle_id)
        WHERE document_bundle_id IS NOT NULL;
    CREATE INDEX documents_composition_id ON documents(composition_id);
    CREATE INDEX documents_replaces ON documents(replaces);
    CREATE INDEX documents_received ON documents(received_at DESC, id DESC);
    CREATE INDEX documents_nhs_number ON documents(nhs_number);
    CREATE INDEX documents_message_id ON documents(message_id);
    CREATE INDEX documents_superseded_by ON documents(superseded_by) WHERE superseded_by IS NOT NULL;

    -- ITK3 responses waiting to go out, written in the same transaction as the message they answer.
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        message_id      INTEGER NOT NULL REFERENCES messages(id),
        kind            TEXT NOT NULL CHECK (kind IN ('infrastructure', 'business')),
        response_code   TEXT NOT NULL,
        to_mailbox      TEXT NOT NULL,
        workflow_id     TEXT NOT NULL,
        local_id        TEXT NOT NULL UNIQUE,         -- sent as mex-LocalID, to find it again
        body            BLOB NOT NULL,
        created_at      TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_attempt_at TEXT,
        last_error      TEXT,
        sent_at         TEXT,
        mesh_message_id TEXT,
        UNIQUE (message_id, kind)
    ) STRICT;
    CREATE INDEX outbox_pending ON outbox(sent_at) WHERE sent_at IS NULL;

    CREATE TABLE sync_state (
        mailbox          TEXT PRIMARY KEY,
        last_attempt_at  TEXT,
        last_success_at  TEXT,
        last_error       TEXT,
        last_error_code  TEXT,
        health           TEXT NOT NULL DEFAULT 'unknown'
                         CHECK (health IN ('unknown', 'online', 'degraded', 'offline'))
    ) STRICT;
    "#,
    // 2: full-text search over patient name, NHS number and document text (FTS5, inside the
    // encrypted database). Contentless: the text lives in documents.model; rowid = documents.id.
    r#"
    CREATE VIRTUAL TABLE documents_fts USING fts5(
        patient_name, nhs_number, body,
        content = '', tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE INDEX documents_status_received ON documents(status, received_at DESC, id DESC);
    CREATE INDEX documents_kind_received ON documents(kind, received_at DESC, id DESC);
    CREATE INDEX documents_sender ON documents(sender COLLATE NOCASE, received_at DESC, id DESC);
    CREATE INDEX documents_patient ON documents(patient_name COLLATE NOCASE, received_at DESC, id DESC);
    CREATE INDEX messages_quarantined ON messages(received_at DESC) WHERE outcome = 'quarantined';
    -- When the current run of failed syncs began (NULL while syncs succeed).
    ALTER TABLE sync_state ADD COLUMN failing_since TEXT;
    "#,
    // 3: message bytes may be stored compressed (see raw.rs); raw_size is their original length.
    // Rows written before keep raw_encoding 'identity' and a NULL raw_size (= length(raw)).
    r#"
    ALTER TABLE messages ADD COLUMN raw_encoding TEXT NOT NULL DEFAULT 'identity'
        CHECK (raw_encoding IN ('identity', 'deflate'));
    ALTER TABLE messages ADD COLUMN raw_size INTEGER;
    "#,
    // 4: what the last finished sync could not complete (a JSON array of problems), so the app
    // can still list them after a restart.
    r#"
    ALTER TABLE sync_state ADD COLUMN last_problems TEXT;
    "#,
    // 5: a duplicate is the same content, not only the same identifier. The document Bundle id
    // is no longer unique: a different document sent under a used id is kept and shown, with an
    // identity warning (document_issues). Documents record their content hash and sending
    // organisation (what a replacement must share with what it replaces). Messages keep the
    // mailbox's headers. Failed downloads are counted, so a message that cannot be decoded is
    // kept in quarantine after a few attempts instead of being retried for ever.
    r#"
    DROP INDEX documents_bundle_id;
    CREATE INDEX documents_bundle_id ON documents(document_bundle_id)
        WHERE document_bundle_id IS NOT NULL;
    ALTER TABLE documents ADD COLUMN content_sha256 TEXT;
    ALTER TABLE documents ADD COLUMN sender_org TEXT;
    ALTER TABLE messages ADD COLUMN mailbox_meta TEXT;
    CREATE INDEX messages_duplicate_of ON messages(duplicate_of) WHERE duplicate_of IS NOT NULL;

    CREATE TABLE document_issues (
        id                INTEGER PRIMARY KEY,
        document_id       INTEGER NOT NULL REFERENCES documents(id),
        kind              TEXT NOT NULL CHECK (kind IN ('identifier-conflict', 'replacement-mismatch')),
        other_document_id INTEGER REFERENCES documents(id),
        detail            TEXT NOT NULL,
        created_at        TEXT NOT NULL
    ) STRICT;
    CREATE INDEX document_issues_document ON document_issues(document_id);

    CREATE TABLE download_failures (
        source          TEXT NOT NULL,
        mailbox         TEXT NOT NULL,
        source_id       TEXT NOT NULL,
        attempts        INTEGER NOT NULL,
        first_failed_at TEXT NOT NULL,
        last_failed_at  TEXT NOT NULL,
        last_error      TEXT NOT NULL,
        PRIMARY KEY (source, mailbox, source_id)
    ) STRICT;
    "#,
    // 6: the reading view and triage. Each document has a version, raised by every change of
    // status, so an action made on what was shown is refused when the document changed since.
    // Medicine changes and actions for the practice are columns, so the list can filter on
    // them. A quarantined message can be marked as dealt with (never deleted).
    r#"
    ALTER TABLE documents ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE documents ADD COLUMN med_changes INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE documents ADD COLUMN practice_actions INTEGER NOT NULL DEFAULT 0;
    UPDATE documents SET
        med_changes = coalesce(json_extract(flags, '$.medication_changes'), 0),
        practice_actions = CASE WHEN json_extract(flags, '$.requested_actions') THEN 1 ELSE 0 END;
    CREATE INDEX documents_med_changes ON documents(received_at DESC, id DESC) WHERE med_changes > 0;
    CREATE INDEX documents_practice_actions ON documents(received_at DESC, id DESC)
        WHERE practice_actions > 0;

    CREATE TABLE quarantine_notes (
        message_id   INTEGER PRIMARY KEY REFERENCES messages(id),
        dealt_with_at TEXT NOT NULL,
        note         TEXT NOT NULL,
        by_user      TEXT
    ) STRICT;
    "#,
    // 7: a status or kind filter under a name, sender or kind sort. Walking the sort's own index
    // and skipping the rows of other kinds or statuses reads the table row of every row skipped:
    // when the kinds or statuses are not spread evenly through that order (a mental health trust
    // sends only mental health discharges; old documents are filed) that is most of the table.
    // With the filter column first, such a page is a range of one index.
    r#"
    CREATE INDEX documents_kind_patient
        ON documents(kind, patient_name COLLATE NOCASE, received_at DESC, id DESC);
    CREATE INDEX documents_kind_sender
        ON documents(kind, sender COLLATE NOCASE, received_at DESC, id DESC);
    CREATE INDEX documents_status_patient
        ON documents(status, patient_name COLLATE NOCASE, received_at DESC, id DESC);
    CREATE INDEX documents_status_sender
        ON documents(status, sender COLLATE NOCASE, received_at DESC, id DESC);
    CREATE INDEX documents_status_kind ON documents(status, kind, received_at DESC, id DESC);
    "#,
    // 8: the workflow. Documents move through lanes (the status CHECK is widened, so the table
    // is rebuilt, keeping every id), are matched to the practice register, and carry the
    // projection of their workflow events (crates/workflow folds the events; the store keeps
    // the result). Every workflow change is an append-only, hash-chained event. People are
    // local profiles with a role; delegated actions are tasks; the requested actions read from
    // each document are kept as they were read when it arrived.
    r#"
    CREATE TABLE documents_v8 (
        id                 INTEGER PRIMARY KEY,
        message_id         INTEGER NOT NULL REFERENCES messages(id),
        kind               TEXT NOT NULL,
        document_bundle_id TEXT,
        composition_id     TEXT,
        replaces           TEXT,
        nhs_number         TEXT,
        patient_name       TEXT,
        birth_date         TEXT,
        title              TEXT,
        sender             TEXT,
        care_setting       TEXT,
        document_date      TEXT,
        received_at        TEXT NOT NULL,
        status             TEXT NOT NULL DEFAULT 'new'
                           CHECK (status IN ('new', 'needs-gp-review', 'needs-action', 'unmatched',
                                             'filed', 'rejected', 'superseded')),
        superseded_by      INTEGER REFERENCES documents(id),
        flags              TEXT NOT NULL DEFAULT '{}',
        content_sha256     TEXT,
        sender_org         TEXT,
        version            INTEGER NOT NULL DEFAULT 1,
        med_changes        INTEGER NOT NULL DEFAULT 0,
        practice_actions   INTEGER NOT NULL DEFAULT 0,
        match_state        TEXT NOT NULL DEFAULT 'unchecked'
                           CHECK (match_state IN ('unchecked', 'matched', 'not-on-register',
                                  'needs-decision', 'awaiting-registration', 'not-known')),
        -- Who it is assigned to: a person's name, or 'role:<role>' for a role's lane.
        assigned_to        TEXT,
        -- The ITK3 business response code queued for it, if any.
        business_response  TEXT,
        -- The rest of its workflow state (JSON, written by crates/workflow); NULL until its
        -- first workflow event.
        workflow           TEXT
    ) STRICT;
    INSERT INTO documents_v8 (id, message_id, kind, document_bundle_id, composition_id, replaces,
        nhs_number, patient_name, birth_date, title, sender, care_setting, document_date,
        received_at, status, superseded_by, flags, content_sha256, sender_org, version,
        med_changes, practice_actions)
    SELECT id, message_id, kind, document_bundle_id, composition_id, replaces,
        nhs_number, patient_name, birth_date, title, sender, care_setting, document_date,
        received_at, status, superseded_by, flags, content_sha256, sender_org, version,
        med_changes, practice_actions FROM documents;
    DROP TABLE documents;
    ALTER TABLE documents_v8 RENAME TO documents;
    CREATE INDEX documents_bundle_id ON documents(document_bundle_id)
        WHERE document_bundle_id IS NOT NULL;
    CREATE INDEX documents_composition_id ON documents(composition_id);
    CREATE INDEX documents_replaces ON documents(replaces);
    CREATE INDEX documents_received ON documents(received_at DESC, id DESC);
    CREATE INDEX documents_nhs_number ON documents(nhs_number);
    CREATE INDEX documents_message_id ON documents(message_id);
    CREATE INDEX documents_superseded_by ON documents(superseded_by) WHERE superseded_by IS NOT NULL;
    CREATE INDEX documents_status_received ON documents(status, received_at DESC, id DESC);
    CREATE INDEX documents_kind_received ON documents(kind, received_at DESC, id DESC);
    CREATE INDEX documents_sender ON documents(sender COLLATE NOCASE, received_at DESC, id DESC);
    CREATE INDEX documents_patient ON documents(patient_name COLLATE NOCASE, received_at DESC, id DESC);
    CREATE INDEX documents_med_changes ON documents(received_at DESC, id DESC) WHERE med_changes > 0;
    CREATE INDEX documents_practice_actions ON documents(received_at DESC, id DESC)
        WHERE practice_actions > 0;
    CREATE INDEX documents_kind_patient
        ON documents(kind, patient_name COLLATE NOCASE, received_at DESC, id DESC);
    CREATE INDEX documents_kind_sender
        ON documents(kind, sender COLLATE NOCASE, received_at DESC, id DESC);
    CREATE INDEX documents_status_patient
        ON documents(status, patient_name COLLATE NOCASE, received_at DESC, id DESC);
    CREATE INDEX documents_status_sender
        ON documents(status, sender COLLATE NOCASE, received_at DESC, id DESC);
    CREATE INDEX documents_status_kind ON documents(status, kind, received_at DESC, id DESC);
    CREATE INDEX documents_assigned ON documents(assigned_to, received_at DESC)
        WHERE assigned_to IS NOT NULL;
    CREATE INDEX documents_match_pending ON documents(match_state)
        WHERE match_state NOT IN ('matched', 'not-known');

    -- The requested actions read from each document when it arrived (JSON array of
    -- handover_toc::RequestedAction): decisions refer to them by position, so they are kept as
    -- read, whatever later versions of the reader make of the narrative.
    CREATE TABLE document_actions (
        document_id INTEGER PRIMARY KEY REFERENCES documents(id),
        actions     TEXT NOT NULL
    ) STRICT;

    -- The audit trail: every workflow change, append-only and hash-chained (see events.rs).
    CREATE TABLE events (
        seq          INTEGER PRIMARY KEY,
        event_id     TEXT NOT NULL UNIQUE,  -- device id + counter: the idempotency key
        at           TEXT NOT NULL,         -- RFC 3339, UTC
        actor        TEXT NOT NULL,         -- a person's name, or 'system'
        role         TEXT,
        os_user      TEXT NOT NULL,
        device       TEXT NOT NULL,
        document_id  INTEGER REFERENCES documents(id),
        document_key TEXT,                  -- the document's content hash: the same everywhere
        kind         TEXT NOT NULL,
        details      TEXT NOT NULL,         -- JSON
        prev_hash    TEXT NOT NULL,
        hash         TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_document ON events(document_id, seq) WHERE document_id IS NOT NULL;
    CREATE INDEX events_at ON events(at);
    CREATE INDEX events_actor ON events(actor COLLATE NOCASE, seq);
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

    CREATE TABLE users (
        name     TEXT PRIMARY KEY COLLATE NOCASE,
        role     TEXT NOT NULL CHECK (role IN ('gp', 'admin', 'care-coordinator', 'pharmacist',
                                               'practice-manager')),
        added_at TEXT NOT NULL
    ) STRICT;

    -- The practice's registered patients, as last imported.
    CREATE TABLE register_patients (
        nhs_number    TEXT PRIMARY KEY,
        family_name   TEXT NOT NULL,
        given_name    TEXT NOT NULL DEFAULT '',
        birth_date    TEXT NOT NULL,
        gender        TEXT,
        postcode      TEXT,
        registration  TEXT NOT NULL CHECK (registration IN ('registered', 'deducted', 'deceased')),
        deceased_date TEXT,
        updated_at    TEXT NOT NULL
    ) STRICT;
    CREATE INDEX register_family_birth ON register_patients(family_name COLLATE NOCASE, birth_date);
    CREATE INDEX register_birth ON register_patients(birth_date);

    -- Delegated actions (a projection of the events, like the documents' lanes).
    CREATE TABLE tasks (
        id            INTEGER PRIMARY KEY,
        document_id   INTEGER NOT NULL REFERENCES documents(id),
        action_index  INTEGER NOT NULL,
        text          TEXT NOT NULL,
        assignee_user TEXT,
        assignee_role TEXT,
        due_date      TEXT NOT NULL,         -- yyyy-mm-dd
        status        TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
        created_at    TEXT NOT NULL,
        created_by    TEXT NOT NULL,
        done_at       TEXT,
        done_by       TEXT,
        note          TEXT,
        UNIQUE (document_id, action_index)
    ) STRICT;
    CREATE INDEX tasks_open_due ON tasks(due_date) WHERE status = 'open';
    CREATE INDEX tasks_user ON tasks(assignee_user COLLATE NOCASE) WHERE status = 'open';
    CREATE INDEX tasks_role ON tasks(assignee_role) WHERE status = 'open';
    "#,
    // 9: medicines reconciliation (issue 13): dm+d as last imported (one release, replaced
    // whole by the next import; which release is in app_meta), and the practice's medication
    // lists, one version per import (and, later, per signed-off reconciliation).
    r#"
    CREATE TABLE dmd_concepts (
        code TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('vtm', 'vmp', 'amp')),
        name TEXT NOT NULL,
        vmp  TEXT,                      -- an AMP's VMP (a VMP's own code)
        vtm  TEXT                       -- a VMP's or AMP's VTM (a VTM's own code)
    ) STRICT;
    CREATE TABLE dmd_previous_codes (
        previous TEXT PRIMARY KEY,
        code     TEXT NOT NULL          -- the current code
    ) STRICT;

    CREATE TABLE practice_lists (
        id          INTEGER PRIMARY KEY,
        nhs_number  TEXT NOT NULL,
        version     INTEGER NOT NULL CHECK (version >= 1),
        imported_at TEXT NOT NULL,       -- RFC 3339, UTC
        source      TEXT NOT NULL CHECK (source IN ('import', 'reconciliation')),
        source_name TEXT,                -- the file imported, or the reconciliation
        UNIQUE (nhs_number, version)
    ) STRICT;
    CREATE TABLE practice_list_lines (
        list_id   INTEGER NOT NULL REFERENCES practice_lists(id),
        position  INTEGER NOT NULL,      -- 0-based, in the list's order
        code      TEXT,
        name      TEXT NOT NULL,
        dosage    TEXT,
        route     TEXT,
        line_type TEXT NOT NULL CHECK (line_type IN ('repeat', 'acute')),
        PRIMARY KEY (list_id, position)
    ) STRICT;
    "#,
    // 10: the medicines reconciliation's clock and follow-ups (issue 13). `medrec_open` is the
    // workflow's projection "has medicines and no signed-off reconciliation" (the 7-day clock of
    // NICE QS120 runs from `received_at`); tasks also come from a reconciliation row (an on-hold
    // restart, a query to the hospital), keyed by the row (`medrec_row`, '' for a requested
    // action's task), so the table is rebuilt with the wider key.
    r#"
    ALTER TABLE documents ADD COLUMN medrec_open INTEGER NOT NULL DEFAULT 0;
    UPDATE documents SET medrec_open = 1
     WHERE coalesce(json_extract(flags, '$.medications'), 0) > 0
       AND status NOT IN ('superseded', 'rejected')
       AND (workflow IS NULL OR (json_extract(workflow, '$.medrec_signed_off') IS NULL
                                 AND coalesce(json_extract(workflow, '$.legacy'), 0) = 0));
    UPDATE documents SET flags = json_set(flags, '$.medrec_open',
        CASE WHEN medrec_open = 1 THEN json('true') ELSE json('false') END);
    CREATE INDEX documents_medrec_open ON documents(received_at) WHERE medrec_open = 1;

    CREATE TABLE tasks_v10 (
        id            INTEGER PRIMARY KEY,
        document_id   INTEGER NOT NULL REFERENCES documents(id),
        action_index  INTEGER NOT NULL,      -- 0 for a reconciliation row's task
        medrec_row    TEXT NOT NULL DEFAULT '', -- the reconciliation row ('' for an action's)
        text          TEXT NOT NULL,
        assignee_user TEXT,
        assignee_role TEXT,
        due_date      TEXT NOT NULL,         -- yyyy-mm-dd
        status        TEXT NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
        created_at    TEXT NOT NULL,
        created_by    TEXT NOT NULL,
        done_at       TEXT,
        done_by       TEXT,
        note          TEXT,
        UNIQUE (document_id, action_index, medrec_row)
    ) STRICT;
    INSERT INTO tasks_v10 (id, document_id, action_index, text, assignee_user, assignee_role,
                           due_date, status, created_at, created_by, done_at, done_by, note)
        SELECT id, document_id, action_index, text, assignee_user, assignee_role, due_date, status,
               created_at, created_by, done_at, done_by, note FROM tasks;
    DROP TABLE tasks;
    ALTER TABLE tasks_v10 RENAME TO tasks;
    CREATE INDEX tasks_open_due ON tasks(due_date) WHERE status = 'open';
    CREATE INDEX tasks_user ON tasks(assignee_user COLLATE NOCASE) WHERE status = 'open';
    CREATE INDEX tasks_role ON tasks(assignee_role) WHERE status = 'open';
    "#,
    // 11: the practice store's cache (issue 14): the practice log's events as pulled, by the
    // practice's seq, and this desktop's events waiting to be appended to it (documents pulled
    // from the practice are messages with source 'practice'; the cursors and the sync state are
    // in app_meta).
    r#"
    CREATE TABLE practice_events (
        seq          INTEGER PRIMARY KEY,   -- the practice log's seq
        event_id     TEXT NOT NULL UNIQUE,  -- device ':' n
        at           TEXT NOT NULL,
        actor        TEXT NOT NULL,         -- the database login that appended it
        role         TEXT,
        os_user      TEXT NOT NULL,
        device       TEXT NOT NULL,
        document_key TEXT,                  -- the document's content hash
        kind         TEXT NOT NULL,
        details      TEXT NOT NULL,
        prev_hash    TEXT NOT NULL,
        hash         TEXT NOT NULL,
        recorded_at  TEXT NOT NULL,         -- the server's clock
        pulled_at    TEXT NOT NULL          -- this desktop's clock
    ) STRICT;
    CREATE INDEX practice_events_document ON practice_events(document_key, seq)
        WHERE document_key IS NOT NULL;
    -- This desktop's own workflow events waiting to be appended to the practice log (their
    -- event id, `device:seq`, is the idempotency key); queued in the transaction that records
    -- the event, and removed when a pull finds them in the practice log.
    CREATE TABLE practice_outbox (
        seq        INTEGER PRIMARY KEY REFERENCES events(seq),
        queued_at  TEXT NOT NULL
    ) STRICT;
    -- A document pulled from the practice is found in the cache by its content.
    CREATE INDEX documents_content ON documents(content_sha256) WHERE content_sha256 IS NOT NULL;
    "#,
    // 12: a practice server restored from an older backup (issue 14). Which document the
    // practice numbered `doc_seq` (so a pull can ask the server whether it still has the
    // document at the cache's cursor, and list the ones it lost); where in this desktop's own
    // log each practice event was folded into a document (so `rebuild` folds the practice
    // events in the order the pull did); and the breaks in the practice's chain found so far.
    r#"
    CREATE TABLE practice_documents (
        doc_seq      INTEGER PRIMARY KEY,   -- the practice's document number
        document_key TEXT NOT NULL          -- the document's content hash
    ) STRICT;
    CREATE TABLE practice_folds (
        practice_seq INTEGER NOT NULL,      -- practice_events.seq
        document_id  INTEGER NOT NULL REFERENCES documents(id),
        after_event  INTEGER NOT NULL,      -- the local log's last seq when it was folded
        PRIMARY KEY (practice_seq, document_id)
    ) STRICT;
    CREATE INDEX practice_folds_document ON practice_folds(document_id);
    CREATE TABLE practice_chain_breaks (
        id          INTEGER PRIMARY KEY,
        detected_at TEXT NOT NULL,
        report      TEXT NOT NULL           -- JSON: ChainBreak
    ) STRICT;
    "#,
    // 13: people as the practice server names them (issue 14): a display name ("Dr Gita
    // Patel") and when the practice removed them (kept: the audit trail still names them).
    r#"
    ALTER TABLE users ADD COLUMN display_name TEXT;
    ALTER TABLE users ADD COLUMN removed_at TEXT;
    "#,
    // 14: the audit trail of a desktop of a practice lists the practice log by time, newest
    // first (a page of it without a sort of the whole log).
    r#"
    CREATE INDEX practice_events_at ON practice_events(at);
    "#,
];

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Brings the database up to [`latest_version`]; returns the version it is now at.
pub fn migrate(conn: &mut Connection, path: &std::path::Path) -> Result<i64, StoreError> {
    migrate_with(conn, path, MIGRATIONS)
}

pub(crate) fn migrate_with(
    conn: &mut Connection,
    path: &std::path::Path,
    migrations: &[&str],
) -> Result<i64, StoreError> {
    let known = migrations.len() as i64;
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > known {
        return Err(StoreError::SchemaTooNew {
            path: path.to_owned(),
            found: current,
            known,
        });
    }
    // A migration may rebuild a table that others refer to (SQLite's documented way to change
    // a constraint), so foreign keys are off while migrations run, and checked before each
    // commits: a migration that would leave a dangling reference is rolled back.
    if current < known {
        conn.pragma_update(None, "foreign_keys", "OFF")?;
    }
    let result = (|| {
        for (index, sql) in migrations.iter().enumerate().skip(current as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            let dangling: i64 =
                tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
            if dangling > 0 {
                return Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
                    Some(format!(
                        "migration {} would leave {dangling} dangling references",
                        index + 1
                    )),
                )));
            }
            tx.pragma_update(None, "user_version", (index + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    })();
    conn.pragma_update(None, "foreign_keys", "ON")?;
    result?;
    Ok(known)
}
