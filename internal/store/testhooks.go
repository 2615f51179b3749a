package store

// The hooks of this file serve the migration tests (migrate_test.go). They
// live outside a _test.go file on purpose (issue 18): a package with
// internal test files is compiled again for its test binary, with every
// package of that binary that imports it (for store's tests, which import
// storetest, 6 packages).

import (
	"context"
	"io/fs"
	"time"
)

// MigrationFiles are the migrations as embedded ("migrations/NNNN_….sql").
var MigrationFiles fs.FS = migrationFS

// Superseded is the table of superseded migrations: version → name → checksum.
func Superseded() map[int]map[string]string {
	out := map[int]map[string]string{}
	for _, s := range superseded {
		if out[s.version] == nil {
			out[s.version] = map[string]string{}
		}
		out[s.version][s.name] = s.checksum
	}
	return out
}

// MigrateFiles is Migrate with the migrations of files instead of the
// embedded ones.
func (db *DB) MigrateFiles(ctx context.Context, files fs.FS) (int, error) {
	return db.migrate(ctx, files)
}

// MigrateBeforeChecksums applies the migrations of files as binaries did
// before checksums were recorded: schema_migrations without a checksum.
func (db *DB) MigrateBeforeChecksums(ctx context.Context, files fs.FS) error {
	ms, err := loadMigrations(files, db.Postgres)
	if err != nil {
		return err
	}
	if _, err := db.W.ExecContext(ctx, tokens[db.Postgres].Replace(
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at {{ts}} NOT NULL)`)); err != nil {
		return err
	}
	for _, m := range ms {
		if err := db.apply(ctx, m, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.version, m.name, time.Now().UTC()); err != nil {
			return err
		}
	}
	return nil
}
