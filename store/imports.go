package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Checkpoint is how far an import of one source got: a position that the
// importer understands (an mbox offset, a Maildir file name) and the count
// of messages it has handed to the pipeline from that source.
type Checkpoint struct {
	Position string
	Imported int64
}

// SetCheckpoint records how far the import of source into the property got.
// Called inside the transaction of the batch it follows, it commits or rolls
// back with that batch.
func (tx *Tx) SetCheckpoint(propertyID int64, source string, c Checkpoint) error {
	_, err := tx.exec(`INSERT INTO import_checkpoints (property_id, source, position, imported, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (property_id, source) DO UPDATE
		SET position = excluded.position, imported = excluded.imported, updated_at = excluded.updated_at`,
		propertyID, source, c.Position, c.Imported, ms(tx.s.now()))
	if err != nil {
		return fmt.Errorf("set import checkpoint: %w", err)
	}
	return nil
}

// Checkpoint returns how far the import of source into the property got;
// found is false when it never started.
func (s *Store) Checkpoint(ctx context.Context, propertyID int64, source string) (c Checkpoint, found bool, err error) {
	err = s.queryRow(ctx, `SELECT position, imported FROM import_checkpoints WHERE property_id = ? AND source = ?`,
		propertyID, source).Scan(&c.Position, &c.Imported)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("import checkpoint: %w", err)
	}
	return c, true, nil
}

// SpanTicket widens the property's ticket number's time span to include at:
// a ticket is as old as its oldest message and as recent as its newest. An
// import files old mail in the archive's order, which need not be the
// order it was written in.
func (tx *Tx) SpanTicket(propertyID, number int64, at time.Time) error {
	d := tx.s.dialect
	_, err := tx.exec(`UPDATE tickets SET created_at = `+d.least()+`(created_at, ?1), updated_at = `+d.greatest()+`(updated_at, ?1)
		WHERE property_id = ?2 AND number = ?3 AND (created_at > ?1 OR updated_at < ?1)`, ms(at), propertyID, number)
	if err != nil {
		return fmt.Errorf("span ticket: %w", err)
	}
	return nil
}
