package sqlitequeue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// applicationID marks a SQLite file as a dumpflow queue ("dfq1" in the
// header's application_id field, see https://www.sqlite.org/fileformat2.html
// #application_id), so that Open refuses any other database instead of
// adding tables to it.
const applicationID = 0x64667131

// schemaVersion is kept in PRAGMA user_version. A file of another version
// is refused, not misread.
const schemaVersion = 1

// schema is the queue file's layout (see docs/operations.md, which shows
// how to read it with the sqlite3 tool). Times are Unix nanoseconds; 0
// means unset. checksum is the CRC-32C of the message's content (see
// checksum.go), carried unchanged from messages to dead_letters. seq is a
// plain rowid (no AUTOINCREMENT, which writes one more page per
// transaction): after the newest row is deleted its seq may be given
// again, which a stale lock token survives because its random part must
// match the row's lock_token too.
const schema = `
CREATE TABLE messages (
	seq            INTEGER PRIMARY KEY,
	id             TEXT    NOT NULL,
	body           BLOB    NOT NULL,
	properties     TEXT    NOT NULL,  -- JSON object, '' when none
	enqueued_at    INTEGER NOT NULL,
	scheduled_at   INTEGER NOT NULL,
	checksum       INTEGER NOT NULL,
	visible_at     INTEGER NOT NULL,  -- when it may be delivered next
	delivery_count INTEGER NOT NULL DEFAULT 0,
	lock_token     TEXT    NOT NULL DEFAULT '',
	locked_until   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_visible ON messages (visible_at, seq);
CREATE TABLE dead_letters (
	seq              INTEGER PRIMARY KEY,
	id               TEXT    NOT NULL,
	body             BLOB    NOT NULL,
	properties       TEXT    NOT NULL,
	enqueued_at      INTEGER NOT NULL,
	scheduled_at     INTEGER NOT NULL,
	checksum         INTEGER NOT NULL,
	delivery_count   INTEGER NOT NULL,
	reason           TEXT    NOT NULL,
	description      TEXT    NOT NULL,
	dead_lettered_at INTEGER NOT NULL
);
CREATE INDEX dead_letters_id ON dead_letters (id);
CREATE TABLE sent_ids (
	id      TEXT PRIMARY KEY,
	sent_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sent_ids_time ON sent_ids (sent_at);
`

// dsn is the modernc.org/sqlite data source name for path: WAL journal,
// synchronous=FULL (the WAL is fsync'd at every commit, so a transaction
// is durable when Commit returns), SQLite's busy handler waiting up to
// busy, and BEGIN IMMEDIATE for every transaction (a writer takes the
// write lock at BEGIN, so two processes never deadlock upgrading a read).
func dsn(path string, busy int64) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy, 10)+")")
	q.Add("_pragma", "journal_mode(wal)")
	q.Add("_pragma", "synchronous(full)")
	// Checkpoints run on their own connection (see checkpointLoop); this
	// only bounds the log if they cannot keep up.
	q.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(autoCheckpointPages)+")")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// initSchema creates the tables in a new file and checks the marks of an
// existing one.
func initSchema(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var app, version int64
	if err := tx.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	switch {
	case app == applicationID && version == schemaVersion:
		return nil
	case app == applicationID:
		return fmt.Errorf("queue file of schema version %d, this build reads version %d", version, schemaVersion)
	case app != 0:
		return fmt.Errorf("SQLite file with application_id %#x is not a dumpflow queue", app)
	}
	var tables int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
		return err
	}
	if tables != 0 {
		return fmt.Errorf("SQLite file with %d tables but no dumpflow mark is not a dumpflow queue", tables)
	}
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return err
	}
	pragmas := fmt.Sprintf("PRAGMA application_id = %d; PRAGMA user_version = %d", applicationID, schemaVersion)
	if _, err := tx.ExecContext(ctx, pragmas); err != nil {
		return err
	}
	return tx.Commit()
}

// sqliteCode returns the primary result code of a SQLite error, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// explain adds what a person needs to the SQLite errors that have a
// known cause and fix: busy (another process held the write lock too
// long) wraps ErrBusy; a damaged or foreign file names the file and the
// way to recover it.
func explain(path string, err error) error {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("%w: %s stayed locked by another process past the busy timeout: %w", ErrBusy, path, err)
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("%w: %s is damaged or not a SQLite database (%w); stop the services, keep a copy, then recover it with: sqlite3 %s .recover | sqlite3 %s (see docs/operations.md)",
			ErrCorrupt, path, err, shellQuote(path), shellQuote(path+".recovered"))
	}
	return err
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
