/**
 * SQLite schema, applied in order; the applied version is kept in `user_version`. A migration never
 * changes once released: a store created by any earlier version opens and keeps its data.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    settings TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE events (
    site_id INTEGER NOT NULL,
    id_kind INTEGER NOT NULL,
    identity TEXT NOT NULL,
    nonce TEXT NOT NULL,
    type TEXT NOT NULL,
    time INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    itp INTEGER NOT NULL,
    sdk TEXT,
    PRIMARY KEY (site_id, id_kind, identity, nonce)
  ) WITHOUT ROWID;
  CREATE TABLE identity_links (
    site_id INTEGER NOT NULL,
    mapping_value TEXT NOT NULL,
    visitor_code TEXT NOT NULL,
    time INTEGER NOT NULL,
    nonce TEXT NOT NULL,
    PRIMARY KEY (site_id, mapping_value, visitor_code, nonce)
  ) WITHOUT ROWID;
  CREATE INDEX identity_links_by_code ON identity_links (site_id, visitor_code);
  CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  INSERT INTO counters (name, value) VALUES ('events', 0);
  `,
  // Maps hold one JSON object per key; expired keys are invisible at once and purged by a timer.
  // Forgotten events leave a digest (see forget-digest.ts) so that replays are not stored again.
  `
  CREATE TABLE maps (
    site_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    fields TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, key)
  ) WITHOUT ROWID;
  CREATE INDEX maps_by_expiry ON maps (expires_at);
  CREATE TABLE forgotten_events (
    site_id INTEGER NOT NULL,
    digest BLOB NOT NULL,
    forgotten_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, digest)
  ) WITHOUT ROWID;
  `,
  // Registry, derived state and API keys. Derived state is a pure function of the events: dirty
  // marks name identities whose persons must be recomputed; each person's contributions are kept
  // so that replacing them adds exactly (new − old) to the aggregates results are read from.
  `
  CREATE TABLE experiments (
    site_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    name TEXT NOT NULL,
    reference_variation_id INTEGER,
    traffic_split TEXT,
    period_start INTEGER,
    period_end INTEGER,
    status TEXT NOT NULL,
    PRIMARY KEY (site_id, id)
  ) WITHOUT ROWID;
  CREATE TABLE variations (
    site_id INTEGER NOT NULL,
    experiment_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (site_id, experiment_id, id)
  ) WITHOUT ROWID;
  CREATE TABLE goals (
    site_id INTEGER NOT NULL,
    id INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (site_id, id)
  ) WITHOUT ROWID;
  CREATE TABLE dirty_identities (
    site_id INTEGER NOT NULL,
    id_kind INTEGER NOT NULL,
    identity TEXT NOT NULL,
    gen INTEGER NOT NULL,
    claimed_until INTEGER NOT NULL,
    PRIMARY KEY (site_id, id_kind, identity)
  ) WITHOUT ROWID;
  CREATE INDEX dirty_identities_by_claim ON dirty_identities (claimed_until);
  CREATE TABLE person_contributions (
    site_id INTEGER NOT NULL,
    person_key TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (site_id, person_key)
  ) WITHOUT ROWID;
  CREATE TABLE result_aggregates (
    site_id INTEGER NOT NULL,
    experiment_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    vector TEXT NOT NULL,
    PRIMARY KEY (site_id, experiment_id, key)
  ) WITHOUT ROWID;
  CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    site_id INTEGER,
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
  // Events move to an append-only log in seq order (a commit writes only new pages at the table's
  // end) plus a compact key index merged in sorted runs (see sqlite-event-log.ts). Existing rows
  // keep their data and are indexed here; anole_key_hash is registered by the adapter before
  // migrating and must compute sqlite-event-keys.ts's keyHash.
  `
  ALTER TABLE events RENAME TO events_clustered;
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL,
    id_kind INTEGER NOT NULL,
    identity TEXT NOT NULL,
    nonce TEXT NOT NULL,
    type TEXT NOT NULL,
    time INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    data TEXT NOT NULL,
    itp INTEGER NOT NULL,
    sdk TEXT
  );
  INSERT INTO events (site_id, id_kind, identity, nonce, type, time, received_at, data, itp, sdk)
    SELECT site_id, id_kind, identity, nonce, type, time, received_at, data, itp, sdk FROM events_clustered;
  DROP TABLE events_clustered;
  CREATE TABLE event_keys (
    site_id INTEGER NOT NULL,
    vkey INTEGER NOT NULL,
    nkey INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (site_id, vkey, nkey, seq)
  ) WITHOUT ROWID;
  INSERT INTO event_keys (site_id, vkey, nkey, seq)
    SELECT site_id, CAST(anole_key_hash(id_kind || char(0) || identity) AS INTEGER), CAST(anole_key_hash(nonce) AS INTEGER), seq
    FROM events ORDER BY 1, 2, 3, 4;
  INSERT INTO counters (name, value) VALUES
    ('log_seq', (SELECT COALESCE(MAX(seq), 0) FROM events)),
    ('indexed_seq', (SELECT COALESCE(MAX(seq), 0) FROM events));
  `,
  // API keys gain roles beyond admin (a column since migration 3), where they came from, last use
  // and revocation: a revoked key stays listed. Which label the earlier versions wrote tells the origin.
  // server_meta holds server-wide values that every node must agree on (the key-secret check).
  `
  ALTER TABLE api_keys ADD COLUMN origin TEXT NOT NULL DEFAULT 'api';
  ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
  ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
  UPDATE api_keys SET origin = CASE label WHEN 'ANOLE_ADMIN_KEY' THEN 'configured' WHEN 'generated at first start' THEN 'generated' ELSE 'api' END;
  CREATE TABLE server_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // The latest exposure per experiment, for the experiments list ("last event"): kept by the
  // attribution worker as it registers the ids it sees, never lowered.
  `
  ALTER TABLE experiments ADD COLUMN last_exposure_at INTEGER;
  `,
  // Visitor reads newest first: a second merged index orders each identity's events by time (see
  // sqlite-key-index.ts), filled here for the rows already merged; the tail past the watermark is
  // merged later as usual. The dirty-mark count is kept by triggers so that reading it costs one row.
  // Incremental attribution: a mark remembers the oldest event time that touched it (existing marks
  // ask for a recomputation from scratch), a person keeps the state it was last computed to.
  `
  ALTER TABLE dirty_identities ADD COLUMN since INTEGER NOT NULL DEFAULT -9007199254740991;
  ALTER TABLE person_contributions ADD COLUMN state TEXT;
  CREATE TABLE event_times (
    site_id INTEGER NOT NULL,
    vkey INTEGER NOT NULL,
    time INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (site_id, vkey, time, seq)
  ) WITHOUT ROWID;
  INSERT INTO event_times (site_id, vkey, time, seq)
    SELECT site_id, CAST(anole_key_hash(id_kind || char(0) || identity) AS INTEGER), time, seq FROM events
    WHERE seq <= (SELECT value FROM counters WHERE name = 'indexed_seq')
    ORDER BY 1, 2, 3, 4;
  INSERT INTO counters (name, value) VALUES ('dirty_marks', (SELECT COUNT(*) FROM dirty_identities));
  CREATE TRIGGER dirty_marks_added AFTER INSERT ON dirty_identities
    BEGIN UPDATE counters SET value = value + 1 WHERE name = 'dirty_marks'; END;
  CREATE TRIGGER dirty_marks_removed AFTER DELETE ON dirty_identities
    BEGIN UPDATE counters SET value = value - 1 WHERE name = 'dirty_marks'; END;
  `,
  // The live tail (Storage.latestEvents) reads a site's newest events by receive time. Rows arrive
  // in receive order, so each insert lands at the end of its site's range: a few hot pages per
  // commit, not a random page per event.
  `
  CREATE INDEX events_by_site_received ON events (site_id, received_at);
  `,
  // Quotas. Each site's map bytes are kept by every statement that writes or deletes a map
  // (initialised here from the rows stored); registry_refused counts entries the registry quota
  // refused; the index lets a write at the quota reclaim its site's expired keys without a scan.
  `
  ALTER TABLE sites ADD COLUMN map_bytes INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE sites ADD COLUMN registry_refused INTEGER NOT NULL DEFAULT 0;
  UPDATE sites SET map_bytes = (SELECT COALESCE(SUM(octet_length(key) + octet_length(fields)), 0) FROM maps WHERE maps.site_id = sites.id);
  CREATE INDEX maps_by_site_expiry ON maps (site_id, expires_at);
  `,
  // Full recomputations: a settings or period change asks for one site-wide recomputation, run
  // as a scan of the site's events by a worker holding a lease on this row (its gen moves when the
  // site is marked again; cursor is where the scan stands), instead of a dirty mark per identity.
  // Each site counts its persons with stored contributions (kept by every replacement of them),
  // so the backlog can say how many the scan has left; counted here once for the rows stored.
  `
  CREATE TABLE site_recomputes (
    site_id INTEGER PRIMARY KEY,
    gen INTEGER NOT NULL,
    cursor TEXT,
    claimed_until INTEGER NOT NULL,
    persons INTEGER NOT NULL,
    done INTEGER NOT NULL
  );
  ALTER TABLE sites ADD COLUMN persons INTEGER NOT NULL DEFAULT 0;
  UPDATE sites SET persons = (SELECT count(*) FROM person_contributions p WHERE p.site_id = sites.id);
  `,
  // Versions of derived state: a worker takes one after claiming its work and before reading, and
  // writes a person only when no later version wrote it or deleted it (two workers recomputing one
  // person leave the later reading last). A deleted person's version stays under a digest of its
  // key, nothing readable; versions come from a counter row.
  `
  ALTER TABLE person_contributions ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE person_deletions (
    site_id INTEGER NOT NULL,
    digest BLOB NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (site_id, digest)
  ) WITHOUT ROWID;
  INSERT INTO counters (name, value) VALUES ('derived_version', 0);
  `,
  // A site-wide recomputation in parts, each a range of identity hashes scanned under a lease of
  // its own, so that several attribution threads share it. A recomputation under way at the
  // upgrade becomes part 0 and covers the whole site, as before.
  `
  CREATE TABLE site_recompute_parts (
    site_id INTEGER NOT NULL,
    part INTEGER NOT NULL,
    gen INTEGER NOT NULL,
    cursor TEXT,
    claimed_until INTEGER NOT NULL,
    persons INTEGER NOT NULL,
    done INTEGER NOT NULL,
    PRIMARY KEY (site_id, part)
  );
  INSERT INTO site_recompute_parts (site_id, part, gen, cursor, claimed_until, persons, done)
    SELECT site_id, 0, gen, cursor, claimed_until, persons, done FROM site_recomputes;
  DROP TABLE site_recomputes;
  ALTER TABLE site_recompute_parts RENAME TO site_recomputes;
  `,
];
