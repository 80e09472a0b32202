package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ReplyTemplate is a saved reply of a property: a name and a text with
// placeholders, which desk checks when it is added and fills in when an
// agent replies with it.
type ReplyTemplate struct {
	ID         int64     `json:"id"`
	PropertyID int64     `json:"-"`
	Name       string    `json:"name"`
	Body       string    `json:"body"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
}

const templateColumns = `id, property_id, name, body, created_by, created_at`

// AddReplyTemplate stores a saved reply; a name the property has already is
// ErrExists.
func (tx *Tx) AddReplyTemplate(r *ReplyTemplate) error {
	found, err := tx.exists(`SELECT 1 FROM reply_templates WHERE property_id = ? AND name = ?`, r.PropertyID, r.Name)
	if err != nil || found {
		return existsErr(err, fmt.Errorf("reply template %q: %w", r.Name, ErrExists))
	}
	r.CreatedAt = tx.Now()
	err = tx.queryRow(`INSERT INTO reply_templates (property_id, name, body, created_by, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, r.PropertyID, r.Name, r.Body, r.CreatedBy, ms(r.CreatedAt)).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("add reply template: %w", err)
	}
	return nil
}

// ReplyTemplates lists a property's saved replies by name.
func (tx *Tx) ReplyTemplates(propertyID int64) ([]ReplyTemplate, error) {
	rows, err := tx.query(`SELECT `+templateColumns+` FROM reply_templates WHERE property_id = ? ORDER BY name`, propertyID)
	return collect("reply templates", rows, err, scanTemplate)
}

// ReplyTemplateNamed returns the property's saved reply of this name.
func (tx *Tx) ReplyTemplateNamed(propertyID int64, name string) (ReplyTemplate, bool, error) {
	r, err := scanTemplate(tx.queryRow(`SELECT `+templateColumns+` FROM reply_templates
		WHERE property_id = ? AND name = ?`, propertyID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("reply template: %w", err)
	}
	return r, true, nil
}

func scanTemplate(r scanner) (ReplyTemplate, error) {
	var t ReplyTemplate
	var created int64
	err := r.Scan(&t.ID, &t.PropertyID, &t.Name, &t.Body, &t.CreatedBy, &created)
	t.CreatedAt = fromMS(created)
	return t, err
}

// PropertyReplyTemplates lists a property's saved replies by name, outside
// a transaction.
func (s *Store) PropertyReplyTemplates(ctx context.Context, propertyID int64) ([]ReplyTemplate, error) {
	rows, err := s.query(ctx, `SELECT `+templateColumns+` FROM reply_templates WHERE property_id = ? ORDER BY name`, propertyID)
	return collect("reply templates", rows, err, scanTemplate)
}
