//! The practice server's schema: group roles, then versioned migrations.
//!
//! Everything lives in the `handover` schema, owned by `handover_owner` (a role nobody logs in
//! as). People and the MESH puller log in with their own roles, members of a group per
//! workflow role, all members of `handover_member`. Members may only read (row-level security
//! limits them to their own practice) and call the functions below; every write goes through a
//! `SECURITY DEFINER` function that takes who is writing from the session (`session_user`),
//! never from an argument.
//!
//! Migrations are applied in order, each in one transaction with its row in
//! `handover.schema_migrations`, under a transaction-scoped advisory lock so two `init`s at once
//! cannot both apply one. They are append-only: never edit one that has shipped.

/// The workflow roles a person can have (the same names as the desktop's `Role`), and the
/// group role each maps to.
pub const PERSON_ROLES: &[(&str, &str)] = &[
    ("gp", "handover_gp"),
    ("admin", "handover_admin"),
    ("care-coordinator", "handover_care_coordinator"),
    ("pharmacist", "handover_pharmacist"),
    ("practice-manager", "handover_practice_manager"),
];

/// The MESH puller's role: a service login, not a person (its events carry no workflow role).
pub const PULLER_ROLE: (&str, &str) = ("puller", "handover_puller");

/// The group roles, created (if missing) by `init` before migrations run. Roles are
/// cluster-wide, so they are shared by every practice and every database of the cluster.
pub(crate) const ROLES_SQL: &str = r#"
DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['handover_owner', 'handover_member', 'handover_gp', 'handover_admin',
        'handover_care_coordinator', 'handover_pharmacist', 'handover_practice_manager',
        'handover_puller']
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$roles$;
GRANT handover_member TO handover_gp, handover_admin, handover_care_coordinator,
    handover_pharmacist, handover_practice_manager, handover_puller;
"#;

/// The migrations, in order; run as `handover_owner` (so it owns everything they create).
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: practices, members, the event log with its head row, the puller's lease.
    r#"
CREATE TABLE handover.schema_migrations (
    version    integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE handover.practices (
    practice_id text PRIMARY KEY CHECK (practice_id ~ '^[A-Z0-9]{3,10}$'),  -- ODS code
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Who may work in which practice: one row per login role.
CREATE TABLE handover.members (
    login       name PRIMARY KEY,
    practice_id text NOT NULL REFERENCES handover.practices,
    -- The workflow role (NULL for the MESH puller, which is not a person).
    role        text CHECK (role IN ('gp', 'admin', 'care-coordinator', 'pharmacist',
                                     'practice-manager')),
    kind        text NOT NULL CHECK (kind IN ('person', 'puller')),
    added_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'person') = (role IS NOT NULL))
);

-- The head of each practice's chain. `append_event` locks this row for the rest of its
-- transaction and takes the next seq from it, so seqs are given out in commit order with no
-- gap: a reader pulling `seq > cursor` never passes an event that commits later. (A SEQUENCE
-- would not do: its values are taken before commit, so a lower seq could appear after a
-- higher one was read.) The head's hash also catches events removed from the end.
CREATE TABLE handover.practice_heads (
    practice_id text PRIMARY KEY REFERENCES handover.practices,
    seq         bigint NOT NULL DEFAULT 0 CHECK (seq >= 0),
    hash        text NOT NULL
                DEFAULT '0000000000000000000000000000000000000000000000000000000000000000'
);

-- The practice's workflow events: append-only, hash-chained exactly as the desktop's local
-- log (crates/chain), so one piece of code verifies both.
CREATE TABLE handover.events (
    practice_id  text NOT NULL REFERENCES handover.practices,
    seq          bigint NOT NULL CHECK (seq >= 1),
    event_id     text NOT NULL,         -- device id ':' the device's own event number
    at           text NOT NULL,         -- RFC 3339 as the device recorded it
    actor        text NOT NULL,         -- the database login that appended it (session_user)
    role         text,                  -- that login's workflow role when it appended
    os_user      text NOT NULL,
    device       text NOT NULL,
    document_key text,                  -- the document's content hash
    kind         text NOT NULL,
    details      text NOT NULL,         -- JSON, exactly as hashed
    prev_hash    text NOT NULL,
    hash         text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),  -- the server's clock (not hashed)
    PRIMARY KEY (practice_id, seq),
    UNIQUE (practice_id, event_id)
);
CREATE INDEX events_document ON handover.events (practice_id, document_key, seq)
    WHERE document_key IS NOT NULL;

CREATE FUNCTION handover.refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'the practice event log is append-only' USING ERRCODE = 'HOA01';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON handover.events
    FOR EACH ROW EXECUTE FUNCTION handover.refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON handover.events
    FOR EACH STATEMENT EXECUTE FUNCTION handover.refuse_change();

-- The MESH puller's lease: one holder at a time per practice; `epoch` is the fencing token,
-- raised whenever the lease changes hands (or is taken again after expiring).
CREATE TABLE handover.leases (
    practice_id text NOT NULL REFERENCES handover.practices,
    name        text NOT NULL,
    holder      text,
    epoch       bigint NOT NULL DEFAULT 0,
    expires_at  timestamptz,
    PRIMARY KEY (practice_id, name)
);

-- The practice of the session's login (NULL for anyone who is not a member).
CREATE FUNCTION handover.session_practice() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT practice_id FROM handover.members WHERE login = session_user
$$;

CREATE FUNCTION handover.require_member(OUT practice_id text, OUT role text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    SELECT m.practice_id, m.role INTO practice_id, role
      FROM handover.members m WHERE m.login = session_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the database login % is not a member of any practice', session_user
            USING ERRCODE = 'HOP01';
    END IF;
END
$$;

-- Appends one event to the session's practice log and returns its seq. The actor and role
-- are the session's, never an argument. Idempotent by event_id: the same event again (a
-- batch resent after a lost reply) returns the seq it already has; a different event under
-- an id already used is refused.
CREATE FUNCTION handover.append_event(p_event_id text, p_at text, p_os_user text,
    p_device text, p_document_key text, p_kind text, p_details text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_practice text;
    v_role     text;
    v_actor    text := session_user;
    v_seq      bigint;
    v_prev     text;
    v_hash     text;
    v_fields   text;
    v_old      handover.events%ROWTYPE;
BEGIN
    SELECT r.practice_id, r.role INTO v_practice, v_role FROM handover.require_member() r;
    IF p_event_id IS NULL OR p_at IS NULL OR p_os_user IS NULL OR p_device IS NULL
       OR p_kind IS NULL OR p_details IS NULL THEN
        RAISE EXCEPTION 'an event needs its id, time, OS user, device, kind and details'
            USING ERRCODE = '22004';
    END IF;
    IF p_device = '' OR left(p_event_id, length(p_device) + 1) <> p_device || ':'
       OR length(p_event_id) = length(p_device) + 1 THEN
        RAISE EXCEPTION 'event id % is not its device''s (%:...)', p_event_id, p_device
            USING ERRCODE = '22023';
    END IF;
    IF length(p_details) > 1000000 OR length(p_event_id) > 200 OR length(p_kind) > 100 THEN
        RAISE EXCEPTION 'event too large' USING ERRCODE = '22001';
    END IF;
    PERFORM p_details::json;  -- refuses details that are not JSON

    -- The head row lock is held to the end of the transaction: appends to one practice
    -- commit one after another, in seq order. It is taken before the event id is looked up,
    -- so a concurrent append of the same id waits here and then finds it.
    SELECT h.seq, h.hash INTO v_seq, v_prev FROM handover.practice_heads h
     WHERE h.practice_id = v_practice FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'practice % has no log', v_practice USING ERRCODE = 'HOP02';
    END IF;

    SELECT * INTO v_old FROM handover.events e
     WHERE e.practice_id = v_practice AND e.event_id = p_event_id;
    IF FOUND THEN
        IF (v_old.at, v_old.actor, v_old.os_user, v_old.device, v_old.document_key,
            v_old.kind, v_old.details)
           IS NOT DISTINCT FROM
           (p_at, v_actor, p_os_user, p_device, p_document_key, p_kind, p_details) THEN
            RETURN v_old.seq;
        END IF;
        RAISE EXCEPTION 'event id % is already in the log as a different event', p_event_id
            USING ERRCODE = 'HOE01';
    END IF;

    v_seq := v_seq + 1;
    -- The same bytes as handover_chain::fields_json: a compact JSON array (to_json escapes
    -- strings as serde_json does: \" \\ \b \f \n \r \t, other controls as \u00xx).
    v_fields := '[' || v_seq::text
        || ',' || to_json(p_event_id)::text
        || ',' || to_json(p_at)::text
        || ',' || to_json(v_actor)::text
        || ',' || coalesce(to_json(v_role)::text, 'null')
        || ',' || to_json(p_os_user)::text
        || ',' || to_json(p_device)::text
        || ',' || coalesce(to_json(p_document_key)::text, 'null')
        || ',' || to_json(p_kind)::text
        || ',' || to_json(p_details)::text
        || ']';
    v_hash := encode(sha256(convert_to(v_prev || E'\n' || v_fields, 'UTF8')), 'hex');

    INSERT INTO handover.events (practice_id, seq, event_id, at, actor, role, os_user, device,
        document_key, kind, details, prev_hash, hash)
    VALUES (v_practice, v_seq, p_event_id, p_at, v_actor, v_role, p_os_user, p_device,
        p_document_key, p_kind, p_details, v_prev, v_hash);
    UPDATE handover.practice_heads SET seq = v_seq, hash = v_hash
     WHERE practice_id = v_practice;
    RETURN v_seq;
END
$$;

-- The lease. Times are the database's clock (clock_timestamp(): the instant of the call, not
-- the start of the transaction), so pullers' clocks do not matter.
CREATE FUNCTION handover.acquire_lease(p_holder text, p_ttl_ms bigint) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_practice text := (SELECT r.practice_id FROM handover.require_member() r);
    v_lease    handover.leases%ROWTYPE;
BEGIN
    IF p_holder IS NULL OR p_holder = '' OR p_ttl_ms IS NULL
       OR p_ttl_ms NOT BETWEEN 1 AND 3600000 THEN
        RAISE EXCEPTION 'a lease needs a holder and a time to live of 1 ms to 1 hour'
            USING ERRCODE = '22023';
    END IF;
    SELECT * INTO v_lease FROM handover.leases
     WHERE practice_id = v_practice AND name = 'mesh' FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'practice % has no lease', v_practice USING ERRCODE = 'HOP02';
    END IF;
    IF v_lease.expires_at > clock_timestamp() THEN
        IF v_lease.holder = p_holder THEN
            UPDATE handover.leases
               SET expires_at = clock_timestamp() + p_ttl_ms * interval '1 millisecond'
             WHERE practice_id = v_practice AND name = 'mesh';
            RETURN v_lease.epoch;
        END IF;
        RAISE EXCEPTION 'the lease is held by % until %', v_lease.holder, v_lease.expires_at
            USING ERRCODE = 'HOL02';
    END IF;
    UPDATE handover.leases
       SET holder = p_holder, epoch = epoch + 1,
           expires_at = clock_timestamp() + p_ttl_ms * interval '1 millisecond'
     WHERE practice_id = v_practice AND name = 'mesh';
    RETURN v_lease.epoch + 1;
END
$$;

-- Locks the lease row to the end of the transaction and refuses (lease_lost) unless the
-- holder still holds it at this epoch and it has not expired. An ingest calls it last,
-- just before COMMIT: a new holder's acquire_lease waits for the row, so nothing the old
-- holder writes can commit after the lease has changed hands.
CREATE FUNCTION handover.check_epoch(p_holder text, p_epoch bigint) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_practice text := (SELECT r.practice_id FROM handover.require_member() r);
    v_lease    handover.leases%ROWTYPE;
BEGIN
    SELECT * INTO v_lease FROM handover.leases
     WHERE practice_id = v_practice AND name = 'mesh' FOR UPDATE;
    IF NOT FOUND OR v_lease.epoch IS DISTINCT FROM p_epoch
       OR v_lease.holder IS DISTINCT FROM p_holder
       OR NOT (v_lease.expires_at > clock_timestamp()) THEN
        RAISE EXCEPTION 'lease lost: % at epoch % is not the current holder (% at epoch %, until %)',
            p_holder, p_epoch, v_lease.holder, v_lease.epoch, v_lease.expires_at
            USING ERRCODE = 'HOL01';
    END IF;
END
$$;

CREATE FUNCTION handover.renew_lease(p_holder text, p_epoch bigint, p_ttl_ms bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_ttl_ms IS NULL OR p_ttl_ms NOT BETWEEN 1 AND 3600000 THEN
        RAISE EXCEPTION 'a lease''s time to live is 1 ms to 1 hour' USING ERRCODE = '22023';
    END IF;
    PERFORM handover.check_epoch(p_holder, p_epoch);
    UPDATE handover.leases
       SET expires_at = clock_timestamp() + p_ttl_ms * interval '1 millisecond'
     WHERE practice_id = handover.session_practice() AND name = 'mesh';
END
$$;

CREATE FUNCTION handover.release_lease(p_holder text, p_epoch bigint) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM handover.check_epoch(p_holder, p_epoch);
    UPDATE handover.leases SET expires_at = clock_timestamp()
     WHERE practice_id = handover.session_practice() AND name = 'mesh';
END
$$;

-- Access: nothing for PUBLIC; members read their own practice's rows and call the functions.
REVOKE ALL ON SCHEMA handover FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA handover FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA handover FROM PUBLIC;
GRANT USAGE ON SCHEMA handover TO handover_member;
GRANT SELECT ON handover.practices, handover.members, handover.practice_heads,
    handover.events, handover.leases TO handover_member;
GRANT EXECUTE ON FUNCTION handover.session_practice(), handover.require_member(),
    handover.append_event(text, text, text, text, text, text, text) TO handover_member;
GRANT EXECUTE ON FUNCTION handover.acquire_lease(text, bigint),
    handover.check_epoch(text, bigint), handover.renew_lease(text, bigint, bigint),
    handover.release_lease(text, bigint) TO handover_puller;

ALTER TABLE handover.practices ENABLE ROW LEVEL SECURITY;
ALTER TABLE handover.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE handover.practice_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE handover.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE handover.leases ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_practice ON handover.practices FOR SELECT TO handover_member
    USING (practice_id = handover.session_practice());
CREATE POLICY own_practice ON handover.members FOR SELECT TO handover_member
    USING (practice_id = handover.session_practice());
CREATE POLICY own_practice ON handover.practice_heads FOR SELECT TO handover_member
    USING (practice_id = handover.session_practice());
CREATE POLICY own_practice ON handover.events FOR SELECT TO handover_member
    USING (practice_id = handover.session_practice());
CREATE POLICY own_practice ON handover.leases FOR SELECT TO handover_member
    USING (practice_id = handover.session_practice());
"#,
    // 2: what the MESH puller receives: messages as received, the parsed documents, the ITK3
    // outbox. Written by the puller's own login (INSERT and a few columns' UPDATE granted to
    // handover_puller only, row-level security to its practice), fenced by the lease's epoch
    // in the database: every message row carries the holder and epoch it was written under,
    // and a deferred constraint trigger runs check_epoch for it at COMMIT.
    r#"
CREATE TABLE handover.messages (
    practice_id     text NOT NULL DEFAULT handover.session_practice()
                    REFERENCES handover.practices,
    message_id      bigint GENERATED ALWAYS AS IDENTITY,
    mailbox         text NOT NULL,           -- the MESH mailbox id, or the folder
    source_id       text NOT NULL,           -- the MESH message id (the folder's file id)
    workflow_id     text,
    sender_mailbox  text,
    itk_message_id  text,
    received_at     timestamptz NOT NULL DEFAULT now(),
    raw             bytea NOT NULL,          -- the bytes as received
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    mailbox_meta    json,                    -- the mailbox's headers (and fault), as received
    diagnostics     json NOT NULL,           -- the parser's diagnostics
    outcome         text NOT NULL CHECK (outcome IN ('stored', 'duplicate', 'quarantined',
                                                     'response', 'report')),
    reason          text,                    -- why it is quarantined
    document_key    text,                    -- the document it holds (stored or duplicate)
    stored_by       text NOT NULL,           -- the puller's login (session_user, by trigger)
    holder          text NOT NULL,           -- the lease holder and epoch it was stored under
    epoch           bigint NOT NULL,
    acknowledged_at timestamptz,             -- when the mailbox took the acknowledgement
    PRIMARY KEY (practice_id, message_id),
    UNIQUE (practice_id, mailbox, source_id),
    CHECK ((outcome IN ('stored', 'duplicate')) = (document_key IS NOT NULL)),
    CHECK ((outcome = 'quarantined') = (reason IS NOT NULL))
);

-- One row per document, by content: a second delivery of the same content is a `duplicate`
-- message pointing at it, never a second document.
CREATE TABLE handover.documents (
    practice_id        text NOT NULL DEFAULT handover.session_practice(),
    document_key       text NOT NULL CHECK (document_key ~ '^[0-9a-f]{64}$'),  -- content SHA-256
    message_id         bigint NOT NULL,     -- the message that first brought it
    kind               text NOT NULL,
    itk_message_id     text,
    document_bundle_id text,
    composition_id     text,
    replaces           text,
    nhs_number         text,
    patient_name       text,
    birth_date         text,
    title              text,
    sender             text,
    sender_org         text,
    care_setting       text,
    document_date      text,
    flags              json NOT NULL,
    med_changes        integer NOT NULL,
    practice_actions   integer NOT NULL,
    model              json NOT NULL,       -- the parse model as the desktop stores it
    search_text        text NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, document_key),
    FOREIGN KEY (practice_id, message_id) REFERENCES handover.messages
);
ALTER TABLE handover.messages ADD FOREIGN KEY (practice_id, document_key)
    REFERENCES handover.documents DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX documents_nhs_number ON handover.documents (practice_id, nhs_number);
CREATE INDEX messages_unacknowledged ON handover.messages (practice_id, mailbox)
    WHERE acknowledged_at IS NULL;

-- ITK3 responses to send: one per message and kind; `local_id` goes out as mex-LocalID, so a
-- response whose send may have reached MESH is looked up before it is sent again.
CREATE TABLE handover.outbox (
    practice_id     text NOT NULL DEFAULT handover.session_practice(),
    outbox_id       bigint GENERATED ALWAYS AS IDENTITY,
    message_id      bigint NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('infrastructure', 'business')),
    response_code   text NOT NULL,
    to_mailbox      text NOT NULL,
    workflow_id     text NOT NULL,
    local_id        text NOT NULL,
    body            bytea NOT NULL,
    queued_at       timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_attempt_at timestamptz,
    last_error      text,
    sent_at         timestamptz,
    mesh_message_id text,
    PRIMARY KEY (practice_id, outbox_id),
    UNIQUE (practice_id, message_id, kind),
    UNIQUE (practice_id, local_id),
    FOREIGN KEY (practice_id, message_id) REFERENCES handover.messages,
    CHECK ((sent_at IS NULL) = (mesh_message_id IS NULL))
);
CREATE INDEX outbox_pending ON handover.outbox (practice_id, outbox_id) WHERE sent_at IS NULL;

-- Who stored a message is the session, never a value the client chose.
CREATE FUNCTION handover.message_stored_by() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.stored_by := session_user;
    RETURN NEW;
END
$$;
CREATE TRIGGER messages_stored_by BEFORE INSERT ON handover.messages
    FOR EACH ROW EXECUTE FUNCTION handover.message_stored_by();

-- The fence, enforced by the database: at COMMIT, each message written in the transaction
-- is checked against the lease (check_epoch locks the lease row, so it cannot change hands
-- between this check and the commit). A puller that lost its lease cannot commit, whatever
-- its code does.
CREATE FUNCTION handover.message_fence() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM handover.check_epoch(NEW.holder, NEW.epoch);
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER messages_fenced AFTER INSERT ON handover.messages
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION handover.message_fence();

REVOKE ALL ON handover.messages, handover.documents, handover.outbox FROM PUBLIC;
GRANT SELECT ON handover.messages, handover.documents, handover.outbox TO handover_member;
GRANT INSERT (mailbox, source_id, workflow_id, sender_mailbox, itk_message_id, raw, sha256,
    mailbox_meta, diagnostics, outcome, reason, document_key, holder, epoch)
    ON handover.messages TO handover_puller;
GRANT UPDATE (acknowledged_at) ON handover.messages TO handover_puller;
GRANT INSERT (document_key, message_id, kind, itk_message_id, document_bundle_id,
    composition_id, replaces, nhs_number, patient_name, birth_date, title, sender, sender_org,
    care_setting, document_date, flags, med_changes, practice_actions, model, search_text)
    ON handover.documents TO handover_puller;
GRANT INSERT (message_id, kind, response_code, to_mailbox, workflow_id, local_id, body)
    ON handover.outbox TO handover_puller;
GRANT UPDATE (attempts, last_attempt_at, last_error, sent_at, mesh_message_id)
    ON handover.outbox TO handover_puller;

ALTER TABLE handover.messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE handover.documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE handover.outbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_practice ON handover.messages FOR SELECT TO handover_member
    USING (practice_id = handover.session_practice());
CREATE POLICY own_practice ON handover.documents FOR SELECT TO handover_member
    USING (practice_id = handover.session_practice());
CREATE POLICY own_practice ON handover.outbox FOR SELECT TO handover_member
    USING (practice_id = handover.session_practice());
CREATE POLICY puller_insert ON handover.messages FOR INSERT TO handover_puller
    WITH CHECK (practice_id = handover.session_practice());
CREATE POLICY puller_update ON handover.messages FOR UPDATE TO handover_puller
    USING (practice_id = handover.session_practice())
    WITH CHECK (practice_id = handover.session_practice());
CREATE POLICY puller_insert ON handover.documents FOR INSERT TO handover_puller
    WITH CHECK (practice_id = handover.session_practice());
CREATE POLICY puller_insert ON handover.outbox FOR INSERT TO handover_puller
    WITH CHECK (practice_id = handover.session_practice());
CREATE POLICY puller_update ON handover.outbox FOR UPDATE TO handover_puller
    USING (practice_id = handover.session_practice())
    WITH CHECK (practice_id = handover.session_practice());
"#,
    // 3: the desktops' cache. Documents get a per-practice change number, `doc_seq`, from a
    // head row locked to the end of the inserting transaction (as events' seq: gapless, in
    // commit order, so a desktop pulling `doc_seq > cursor` never passes a document that
    // commits later). Its own head table, so storing a batch of documents does not hold up
    // people's event appends. And the server's identity (a random id made once), so a
    // desktop knows its cache is of this database and not another.
    r#"
CREATE TABLE handover.document_heads (
    practice_id text PRIMARY KEY REFERENCES handover.practices,
    doc_seq     bigint NOT NULL DEFAULT 0 CHECK (doc_seq >= 0)
);

ALTER TABLE handover.documents ADD COLUMN doc_seq bigint;
-- Documents stored before this migration, in the order they were stored.
UPDATE handover.documents d SET doc_seq = o.n
  FROM (SELECT practice_id, document_key,
               row_number() OVER (PARTITION BY practice_id ORDER BY message_id, document_key) AS n
          FROM handover.documents) o
 WHERE d.practice_id = o.practice_id AND d.document_key = o.document_key;
INSERT INTO handover.document_heads (practice_id, doc_seq)
SELECT p.practice_id, coalesce((SELECT max(d.doc_seq) FROM handover.documents d
                                 WHERE d.practice_id = p.practice_id), 0)
  FROM handover.practices p;
ALTER TABLE handover.documents ALTER COLUMN doc_seq SET NOT NULL;
ALTER TABLE handover.documents ADD CONSTRAINT documents_doc_seq UNIQUE (practice_id, doc_seq);

-- Whatever the inserting client says, doc_seq is the next from the head row, which stays
-- locked until the inserting transaction ends (a rolled-back insert gives its number back).
CREATE FUNCTION handover.document_seq() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_seq bigint;
BEGIN
    UPDATE handover.document_heads SET doc_seq = doc_seq + 1
     WHERE practice_id = NEW.practice_id
     RETURNING doc_seq INTO v_seq;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'practice % has no document head', NEW.practice_id
            USING ERRCODE = 'HOP02';
    END IF;
    NEW.doc_seq := v_seq;
    RETURN NEW;
END
$$;
CREATE TRIGGER documents_doc_seq BEFORE INSERT ON handover.documents
    FOR EACH ROW EXECUTE FUNCTION handover.document_seq();

-- This database's identity, made once.
CREATE TABLE handover.server (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    server_id uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO handover.server DEFAULT VALUES;

REVOKE ALL ON handover.document_heads, handover.server FROM PUBLIC;
REVOKE ALL ON FUNCTION handover.document_seq() FROM PUBLIC;
-- Desktops read the schema version too, to know whether they can read this server.
GRANT SELECT ON handover.document_heads, handover.server, handover.schema_migrations
    TO handover_member;
ALTER TABLE handover.document_heads ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_practice ON handover.document_heads FOR SELECT TO handover_member
    USING (practice_id = handover.session_practice());
"#,
    // 4: the first filing wins. append_event refuses (`already_filed`, naming who filed it and
    // when) a `filed` event for a document whose last filing or unfiling in the log is a
    // filing; checked under the head row's lock, so of two desktops filing at once the one
    // that commits first wins. The same event sent again is still only found (idempotent).
    r#"
CREATE OR REPLACE FUNCTION handover.append_event(p_event_id text, p_at text, p_os_user text,
    p_device text, p_document_key text, p_kind text, p_details text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_practice text;
    v_role     text;
    v_actor    text := session_user;
    v_seq      bigint;
    v_prev     text;
    v_hash     text;
    v_fields   text;
    v_old      handover.events%ROWTYPE;
    v_last     handover.events%ROWTYPE;
BEGIN
    SELECT r.practice_id, r.role INTO v_practice, v_role FROM handover.require_member() r;
    IF p_event_id IS NULL OR p_at IS NULL OR p_os_user IS NULL OR p_device IS NULL
       OR p_kind IS NULL OR p_details IS NULL THEN
        RAISE EXCEPTION 'an event needs its id, time, OS user, device, kind and details'
            USING ERRCODE = '22004';
    END IF;
    IF p_device = '' OR left(p_event_id, length(p_device) + 1) <> p_device || ':'
       OR length(p_event_id) = length(p_device) + 1 THEN
        RAISE EXCEPTION 'event id % is not its device''s (%:...)', p_event_id, p_device
            USING ERRCODE = '22023';
    END IF;
    IF length(p_details) > 1000000 OR length(p_event_id) > 200 OR length(p_kind) > 100 THEN
        RAISE EXCEPTION 'event too large' USING ERRCODE = '22001';
    END IF;
    PERFORM p_details::json;  -- refuses details that are not JSON

    -- The head row lock is held to the end of the transaction: appends to one practice
    -- commit one after another, in seq order. It is taken before the event id is looked up,
    -- so a concurrent append of the same id waits here and then finds it.
    SELECT h.seq, h.hash INTO v_seq, v_prev FROM handover.practice_heads h
     WHERE h.practice_id = v_practice FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'practice % has no log', v_practice USING ERRCODE = 'HOP02';
    END IF;

    SELECT * INTO v_old FROM handover.events e
     WHERE e.practice_id = v_practice AND e.event_id = p_event_id;
    IF FOUND THEN
        IF (v_old.at, v_old.actor, v_old.os_user, v_old.device, v_old.document_key,
            v_old.kind, v_old.details)
           IS NOT DISTINCT FROM
           (p_at, v_actor, p_os_user, p_device, p_document_key, p_kind, p_details) THEN
            RETURN v_old.seq;
        END IF;
        RAISE EXCEPTION 'event id % is already in the log as a different event', p_event_id
            USING ERRCODE = 'HOE01';
    END IF;

    -- The first filing wins: a document filed (and not unfiled since) cannot be filed again;
    -- the desktop that tries is told who filed it and when.
    IF p_kind = 'filed' AND p_document_key IS NOT NULL THEN
        SELECT * INTO v_last FROM handover.events e
         WHERE e.practice_id = v_practice AND e.document_key = p_document_key
           AND e.kind IN ('filed', 'returned_to_new')
         ORDER BY e.seq DESC LIMIT 1;
        IF FOUND AND v_last.kind = 'filed' THEN
            RAISE EXCEPTION 'already filed by % at %', v_last.actor, v_last.at
                USING ERRCODE = 'HOC01';
        END IF;
    END IF;

    v_seq := v_seq + 1;
    -- The same bytes as handover_chain::fields_json: a compact JSON array (to_json escapes
    -- strings as serde_json does: \" \\ \b \f \n \r \t, other controls as \u00xx).
    v_fields := '[' || v_seq::text
        || ',' || to_json(p_event_id)::text
        || ',' || to_json(p_at)::text
        || ',' || to_json(v_actor)::text
        || ',' || coalesce(to_json(v_role)::text, 'null')
        || ',' || to_json(p_os_user)::text
        || ',' || to_json(p_device)::text
        || ',' || coalesce(to_json(p_document_key)::text, 'null')
        || ',' || to_json(p_kind)::text
        || ',' || to_json(p_details)::text
        || ']';
    v_hash := encode(sha256(convert_to(v_prev || E'\n' || v_fields, 'UTF8')), 'hex');

    INSERT INTO handover.events (practice_id, seq, event_id, at, actor, role, os_user, device,
        document_key, kind, details, prev_hash, hash)
    VALUES (v_practice, v_seq, p_event_id, p_at, v_actor, v_role, p_os_user, p_device,
        p_document_key, p_kind, p_details, v_prev, v_hash);
    UPDATE handover.practice_heads SET seq = v_seq, hash = v_hash
     WHERE practice_id = v_practice;
    RETURN v_seq;
END
$$;
"#,
    // 5: a practice's desktops are woken when its log or its documents grow: NOTIFY on the
    // practice's channel (`handover_` and its ODS code in lower case), sent at COMMIT (so a
    // woken desktop finds the rows; a rolled-back insert wakes nobody) and folded into one
    // per transaction by PostgreSQL. No payload: the desktop pulls `> cursor` as always, and a
    // lost notification only delays it to the next poll.
    r#"
CREATE FUNCTION handover.notify_practice() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('handover_' || lower(NEW.practice_id), '');
    RETURN NULL;
END
$$;
CREATE TRIGGER events_notify AFTER INSERT ON handover.events
    FOR EACH ROW EXECUTE FUNCTION handover.notify_practice();
CREATE TRIGGER documents_notify AFTER INSERT ON handover.documents
    FOR EACH ROW EXECUTE FUNCTION handover.notify_practice();
"#,
    // 6: steps carry the version of the document they were taken on. A desktop puts
    // `expected_version` in the details of every step that changes a document (not notes or
    // views, which always succeed): how many such steps of the document it had seen in the
    // practice log, with its own not yet pulled back. The log keeps each document's count; a
    // step whose expected version is not the count is refused (HOC02, "changed by LOGIN at
    // TIME since it was seen"), so a step taken on a view someone else has changed since is
    // never applied over theirs, and the person is told. Checked before insert, under the
    // practice's head-row lock that `append_event` holds (so the count cannot move between
    // the check and the insert). A resent event is found by its id before it gets here.
    r#"
CREATE TABLE handover.document_versions (
    practice_id  text NOT NULL REFERENCES handover.practices,
    document_key text NOT NULL,
    version      bigint NOT NULL,
    last_actor   name NOT NULL,
    last_at      text NOT NULL,
    PRIMARY KEY (practice_id, document_key)
);
ALTER TABLE handover.document_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_practice ON handover.document_versions FOR SELECT TO handover_member
    USING (practice_id = handover.session_practice());
GRANT SELECT ON handover.document_versions TO handover_member;

CREATE FUNCTION handover.check_document_version() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_expected bigint;
    v_row handover.document_versions%ROWTYPE;
BEGIN
    IF NEW.document_key IS NULL OR NOT (NEW.details::jsonb ? 'expected_version') THEN
        RETURN NEW;
    END IF;
    v_expected := (NEW.details::jsonb ->> 'expected_version')::bigint;
    SELECT * INTO v_row FROM handover.document_versions d
     WHERE d.practice_id = NEW.practice_id AND d.document_key = NEW.document_key;
    IF coalesce(v_row.version, 0) <> v_expected THEN
        RAISE EXCEPTION 'changed by % at % since it was seen', v_row.last_actor, v_row.last_at
            USING ERRCODE = 'HOC02';
    END IF;
    INSERT INTO handover.document_versions (practice_id, document_key, version, last_actor, last_at)
    VALUES (NEW.practice_id, NEW.document_key, v_expected + 1, NEW.actor, NEW.at)
    ON CONFLICT (practice_id, document_key) DO UPDATE
       SET version = EXCLUDED.version, last_actor = EXCLUDED.last_actor,
           last_at = EXCLUDED.last_at;
    RETURN NEW;
END
$$;
CREATE TRIGGER events_document_version BEFORE INSERT ON handover.events
    FOR EACH ROW EXECUTE FUNCTION handover.check_document_version();
"#,
    // 7: the practice register, shared. Each import is a new version (1, 2, ... per practice,
    // given under a lock on the practice's row, so in commit order with no gap), kept for good:
    // which register was in force when. The rows are as the importing desktop read them from
    // its file (JSON, exactly as hashed; a desktop checks the hash when it takes a version),
    // with the file's own hash. Written only through `import_register`, which takes who
    // imported it from the session and allows the roles that may match documents to the
    // register on the desktop (gp, admin, practice-manager). Desktops are woken as for events.
    r#"
CREATE TABLE handover.registers (
    practice_id  text NOT NULL REFERENCES handover.practices,
    version      integer NOT NULL CHECK (version >= 1),
    imported_at  timestamptz NOT NULL DEFAULT now(),
    imported_by  text NOT NULL,          -- the database login that imported it (session_user)
    role         text NOT NULL,          -- that login's workflow role then
    file_name    text,                   -- the file's name as the desktop gave it (no path)
    file_sha256  text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),  -- the file as read
    patients     json NOT NULL,          -- the rows as read: a JSON array, as sent
    patient_count integer NOT NULL CHECK (patient_count >= 0),
    rejected     integer NOT NULL CHECK (rejected >= 0),  -- rows of the file not imported
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),  -- of `patients`, as text
    PRIMARY KEY (practice_id, version)
);

CREATE FUNCTION handover.refuse_register_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'the practice register''s versions are kept as imported'
        USING ERRCODE = 'HOA01';
END
$$;
CREATE TRIGGER registers_append_only BEFORE UPDATE OR DELETE ON handover.registers
    FOR EACH ROW EXECUTE FUNCTION handover.refuse_register_change();
CREATE TRIGGER registers_no_truncate BEFORE TRUNCATE ON handover.registers
    FOR EACH STATEMENT EXECUTE FUNCTION handover.refuse_register_change();
CREATE TRIGGER registers_notify AFTER INSERT ON handover.registers
    FOR EACH ROW EXECUTE FUNCTION handover.notify_practice();

-- Imports a register for the session's practice and returns its version, and whether it is
-- new: the same rows and file as the latest version (an import sent again after a lost reply)
-- return that version instead of adding one.
CREATE FUNCTION handover.import_register(p_patients text, p_file_sha256 text,
    p_file_name text, p_rejected integer, OUT version integer, OUT created boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_practice text;
    v_role     text;
    v_patients json;
    v_sha256   text;
    v_version  integer;
    v_last     handover.registers%ROWTYPE;
BEGIN
    SELECT r.practice_id, r.role INTO v_practice, v_role FROM handover.require_member() r;
    IF v_role IS NULL OR v_role NOT IN ('gp', 'admin', 'practice-manager') THEN
        RAISE EXCEPTION 'the database login % (%) may not import the practice register: a GP, an admin or the practice manager may',
            session_user, coalesce(v_role, 'not a person') USING ERRCODE = '42501';
    END IF;
    IF p_patients IS NULL OR p_file_sha256 IS NULL OR p_rejected IS NULL THEN
        RAISE EXCEPTION 'a register needs its rows, its file''s hash and the rows rejected'
            USING ERRCODE = '22004';
    END IF;
    IF length(p_patients) > 200000000 OR length(p_file_name) > 255 THEN
        RAISE EXCEPTION 'register too large' USING ERRCODE = '22001';
    END IF;
    v_patients := p_patients::json;  -- refuses rows that are not JSON
    IF json_typeof(v_patients) <> 'array' THEN
        RAISE EXCEPTION 'a register''s rows are a JSON array' USING ERRCODE = '22023';
    END IF;
    v_sha256 := encode(sha256(convert_to(p_patients, 'UTF8')), 'hex');

    -- One import at a time per practice: the practice's row is locked to the end of the
    -- transaction (NO KEY UPDATE: rows referring to the practice can still be written).
    PERFORM 1 FROM handover.practices p WHERE p.practice_id = v_practice FOR NO KEY UPDATE;
    SELECT * INTO v_last FROM handover.registers r
     WHERE r.practice_id = v_practice ORDER BY r.version DESC LIMIT 1;
    IF FOUND AND v_last.sha256 = v_sha256 AND v_last.file_sha256 = p_file_sha256 THEN
        version := v_last.version;
        created := false;
        RETURN;
    END IF;
    v_version := coalesce(v_last.version, 0) + 1;
    INSERT INTO handover.registers (practice_id, version, imported_by, role, file_name,
        file_sha256, patients, patient_count, rejected, sha256)
    VALUES (v_practice, v_version, session_user, v_role, p_file_name, p_file_sha256,
        v_patients, json_array_length(v_patients), p_rejected, v_sha256);
    version := v_version;
    created := true;
END
$$;

REVOKE ALL ON handover.registers FROM PUBLIC;
REVOKE ALL ON FUNCTION handover.refuse_register_change() FROM PUBLIC;
REVOKE ALL ON FUNCTION handover.import_register(text, text, text, integer) FROM PUBLIC;
GRANT SELECT ON handover.registers TO handover_member;
GRANT EXECUTE ON FUNCTION handover.import_register(text, text, text, integer)
    TO handover_member;
ALTER TABLE handover.registers ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_practice ON handover.registers FOR SELECT TO handover_member
    USING (practice_id = handover.session_practice());
"#,
    // 8: answers to hospitals (ITK3 business responses) from the desktops. A desktop decides
    // and builds a document's business response (on arrival, when the register matches, or by
    // a person's step) as it does alone, and hands it to the practice: this function puts it
    // in the server's outbox for the message that first brought the document, which `serve`
    // sends to MESH like its own responses. One per message (the outbox's UNIQUE (practice,
    // message, kind)): the first desktop to hand one over wins, and every desktop is told which
    // went. A person's login only (a role); the puller has its own way in.
    r#"
CREATE FUNCTION handover.queue_business_response(p_document_key text, p_code text,
    p_to_mailbox text, p_workflow_id text, p_local_id text, p_body bytea)
RETURNS TABLE (outbox_id bigint, response_code text, local_id text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_practice text;
    v_role text;
    v_message bigint;
BEGIN
    SELECT r.practice_id, r.role INTO v_practice, v_role FROM handover.require_member() r;
    IF v_role IS NULL THEN
        RAISE EXCEPTION 'only a person of the practice hands over an answer to a hospital'
            USING ERRCODE = 'HOA01';
    END IF;
    IF p_code NOT IN ('30001', '30002', '30003', '30004') THEN
        RAISE EXCEPTION '% is not a business response code', p_code USING ERRCODE = '22023';
    END IF;
    SELECT d.message_id INTO v_message FROM handover.documents d
     WHERE d.practice_id = v_practice AND d.document_key = p_document_key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'document % is not on the practice server', p_document_key
            USING ERRCODE = '22023';
    END IF;
    INSERT INTO handover.outbox (practice_id, message_id, kind, response_code, to_mailbox,
        workflow_id, local_id, body)
    VALUES (v_practice, v_message, 'business', p_code, p_to_mailbox, p_workflow_id,
        p_local_id, p_body)
    ON CONFLICT DO NOTHING;
    RETURN QUERY SELECT o.outbox_id, o.response_code, o.local_id FROM handover.outbox o
     WHERE o.practice_id = v_practice AND o.message_id = v_message AND o.kind = 'business';
END
$$;
REVOKE ALL ON FUNCTION handover.queue_business_response(text, text, text, text, text, bytea)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION handover.queue_business_response(text, text, text, text, text, bytea)
    TO handover_member;
"#,
    // 9: the practice's people, administered. A person's display name ("Dr Gita Patel"); a
    // member removed (its login NOLOGIN, its sessions ended) keeps its row with the time, so
    // the log still names it, and is no longer a member: `require_member` and
    // `session_practice` refuse it. Adding, re-roling and removing people are recorded in the
    // practice log by `append_admin_event`, in the change's transaction: an owner-only
    // function (no member may call it; the administrator is the database's superuser, not a
    // member) appending with actor = session_user and role NULL, chained as `append_event`.
    r#"
ALTER TABLE handover.members
    ADD COLUMN display_name text CHECK (length(display_name) BETWEEN 1 AND 200),
    ADD COLUMN removed_at timestamptz;

CREATE OR REPLACE FUNCTION handover.session_practice() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT practice_id FROM handover.members WHERE login = session_user AND removed_at IS NULL
$$;

CREATE OR REPLACE FUNCTION handover.require_member(OUT practice_id text, OUT role text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_removed timestamptz;
BEGIN
    SELECT m.practice_id, m.role, m.removed_at INTO practice_id, role, v_removed
      FROM handover.members m WHERE m.login = session_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the database login % is not a member of any practice', session_user
            USING ERRCODE = 'HOP01';
    END IF;
    IF v_removed IS NOT NULL THEN
        RAISE EXCEPTION 'the database login % was removed from practice % at %', session_user,
            practice_id, v_removed USING ERRCODE = 'HOP01';
    END IF;
END
$$;

CREATE FUNCTION handover.append_admin_event(p_practice text, p_kind text, p_details text,
    p_os_user text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_actor    text := session_user;
    v_device   text := 'practice-admin';
    v_event_id text := 'practice-admin:' || gen_random_uuid()::text;
    v_at       text := to_char(clock_timestamp() AT TIME ZONE 'UTC',
                               'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
    v_seq      bigint;
    v_prev     text;
    v_hash     text;
    v_fields   text;
BEGIN
    IF EXISTS (SELECT FROM handover.members m WHERE m.login = session_user) THEN
        RAISE EXCEPTION 'the database login % is a member of a practice, not its administrator',
            session_user USING ERRCODE = '42501';
    END IF;
    IF p_kind IS NULL OR p_kind NOT IN ('person_added', 'role_changed', 'person_removed')
       OR p_details IS NULL OR p_os_user IS NULL THEN
        RAISE EXCEPTION 'not an administrative event: %', p_kind USING ERRCODE = '22023';
    END IF;
    PERFORM p_details::json;
    SELECT h.seq, h.hash INTO v_seq, v_prev FROM handover.practice_heads h
     WHERE h.practice_id = p_practice FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'practice % has no log', p_practice USING ERRCODE = 'HOP02';
    END IF;
    v_seq := v_seq + 1;
    -- Exactly as append_event (handover_chain::fields_json), the role null.
    v_fields := '[' || v_seq::text
        || ',' || to_json(v_event_id)::text
        || ',' || to_json(v_at)::text
        || ',' || to_json(v_actor)::text
        || ',null'
        || ',' || to_json(p_os_user)::text
        || ',' || to_json(v_device)::text
        || ',null'
        || ',' || to_json(p_kind)::text
        || ',' || to_json(p_details)::text
        || ']';
    v_hash := encode(sha256(convert_to(v_prev || E'\n' || v_fields, 'UTF8')), 'hex');
    INSERT INTO handover.events (practice_id, seq, event_id, at, actor, role, os_user, device,
        document_key, kind, details, prev_hash, hash)
    VALUES (p_practice, v_seq, v_event_id, v_at, v_actor, NULL, p_os_user, v_device,
        NULL, p_kind, p_details, v_prev, v_hash);
    UPDATE handover.practice_heads SET seq = v_seq, hash = v_hash
     WHERE practice_id = p_practice;
    RETURN v_seq;
END
$$;
REVOKE ALL ON FUNCTION handover.append_admin_event(text, text, text, text) FROM PUBLIC;
"#,
    // 10: each practice's notification channel is a random name kept in its row (which only its
    // members can read), not one made from its ODS code: on a server shared by several
    // practices (a primary care network), anyone can LISTEN on any channel, and a channel
    // named after the practice would tell another practice's login when this one has activity.
    r#"
ALTER TABLE handover.practices ADD COLUMN notify_channel text NOT NULL UNIQUE
    DEFAULT ('handover_' || replace(gen_random_uuid()::text, '-', ''))
    CHECK (notify_channel ~ '^handover_[0-9a-f]{32}$');
CREATE OR REPLACE FUNCTION handover.notify_practice() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_notify(p.notify_channel, '')
       FROM handover.practices p WHERE p.practice_id = NEW.practice_id;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION handover.notify_practice() FROM PUBLIC;
"#,
];

/// The channel a practice's desktops LISTEN on before migration 10: `handover_` and the
/// practice's ODS code in lower case (an ODS code is capital letters and digits, so this is a
/// plain identifier). From migration 10 it is the random name in the practice's row.
pub fn legacy_practice_channel(practice_id: &str) -> String {
    format!("handover_{}", practice_id.to_ascii_lowercase())
}

/// The schema version this build writes.
pub fn latest_version() -> i32 {
    MIGRATIONS.len() as i32
}
