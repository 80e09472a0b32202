package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/ticket"
)

// Custom fields: their definitions per property, and their values on
// tickets and contacts (object ids); see migrations/0021_contacts_fields.sql.

// ErrFieldExists is returned when a property already has a field of that
// name for the same target.
var ErrFieldExists = errors.New("a field of that name exists")

const fieldColumns = `id, property_id, target, name, type, choices, created_at`

func scanField(r scanner) (ticket.Field, error) {
	var f ticket.Field
	var target, typ, choices string
	var created int64
	err := r.Scan(&f.ID, &f.PropertyID, &target, &f.Name, &typ, &choices, &created)
	f.For, f.Type, f.Choices, f.CreatedAt = ticket.FieldTarget(target), ticket.FieldType(typ), splitList(choices), fromMS(created)
	return f, err
}

// AddField defines a custom field, after validating it, and sets its id.
func (tx *Tx) AddField(f *ticket.Field) error {
	if err := f.Validate(); err != nil {
		return err
	}
	f.CreatedAt = tx.Now()
	err := tx.queryRow(`INSERT INTO fields (property_id, target, name, type, choices, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (property_id, target, name) DO NOTHING RETURNING id`,
		f.PropertyID, string(f.For), f.Name, string(f.Type), joinList(f.Choices), ms(f.CreatedAt)).Scan(&f.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("field %s of %ss: %w", f.Name, f.For, ErrFieldExists)
	}
	if err != nil {
		return fmt.Errorf("add field: %w", err)
	}
	return nil
}

// Fields lists a property's custom fields, tickets' first, by name.
func (s *Store) Fields(ctx context.Context, propertyID int64) ([]ticket.Field, error) {
	rows, err := s.query(ctx, `SELECT `+fieldColumns+` FROM fields WHERE property_id = ? ORDER BY target DESC, name`, propertyID)
	return collect("list fields", rows, err, scanField)
}

// Field returns the property's field of this name for target.
func (tx *Tx) Field(propertyID int64, target ticket.FieldTarget, name string) (ticket.Field, bool, error) {
	f, err := scanField(tx.queryRow(`SELECT `+fieldColumns+` FROM fields WHERE property_id = ? AND target = ? AND name = ?`,
		propertyID, string(target), name))
	if errors.Is(err, sql.ErrNoRows) {
		return f, false, nil
	}
	if err != nil {
		return f, false, fmt.Errorf("get field: %w", err)
	}
	return f, true, nil
}

// SetFieldValue sets a field's value on a ticket or contact; the empty
// value removes it. The value must be canonical (ticket.Field.Value).
func (tx *Tx) SetFieldValue(fieldID, objectID int64, value string) error {
	var err error
	if value == "" {
		_, err = tx.exec(`DELETE FROM field_values WHERE field_id = ? AND object_id = ?`, fieldID, objectID)
	} else {
		_, err = tx.exec(`INSERT INTO field_values (field_id, object_id, value) VALUES (?, ?, ?)
			ON CONFLICT (field_id, object_id) DO UPDATE SET value = excluded.value`, fieldID, objectID, value)
	}
	if err != nil {
		return fmt.Errorf("set field value: %w", err)
	}
	return nil
}

const fieldValuesQuery = `SELECT f.name, v.value FROM fields f JOIN field_values v ON v.field_id = f.id AND v.object_id = ?
	WHERE f.property_id = ? AND f.target = ? ORDER BY f.name`

// FieldValues returns the custom fields set on a ticket or contact (name →
// value); nil when none is set.
func (tx *Tx) FieldValues(propertyID int64, target ticket.FieldTarget, objectID int64) (map[string]string, error) {
	rows, err := tx.query(fieldValuesQuery, objectID, propertyID, string(target))
	return collectValues(rows, err)
}

// FieldValues returns the custom fields set on a ticket or contact (name →
// value); nil when none is set.
func (s *Store) FieldValues(ctx context.Context, propertyID int64, target ticket.FieldTarget, objectID int64) (map[string]string, error) {
	rows, err := s.query(ctx, fieldValuesQuery, objectID, propertyID, string(target))
	return collectValues(rows, err)
}

func collectValues(rows *sql.Rows, err error) (map[string]string, error) {
	type kv struct{ k, v string }
	pairs, err := collect("field values", rows, err, func(r scanner) (kv, error) {
		var p kv
		return p, r.Scan(&p.k, &p.v)
	})
	if err != nil || len(pairs) == 0 {
		return nil, err
	}
	out := make(map[string]string, len(pairs))
	for _, p := range pairs {
		out[p.k] = p.v
	}
	return out, nil
}

// TicketHasField is the condition "ticket t's custom field NAME is VALUE",
// for a ticket listing's filter (ticket list --field NAME=VALUE): its
// arguments are the property id, the field's name and the value in its
// canonical form (CanonicalFieldValue). It is answered from the index
// field_values_value (field, value, object) without touching the table.
const TicketHasField = `t.id IN (SELECT object_id FROM field_values
	WHERE field_id = (SELECT id FROM fields WHERE property_id = ? AND target = 'ticket' AND name = ?) AND value = ?)`

// ticketsWithFieldQuery finds tickets by a field's value, newest first.
const ticketsWithFieldQuery = `SELECT ` + ticketColumns + ticketJoins + ` WHERE ` + TicketHasField + ` ORDER BY t.id DESC LIMIT ?`

// TicketsWithField returns up to limit tickets of a property whose custom
// field name has the value given, newest first. The value is compared in
// its canonical form, so the caller passes it through ticket.Field.Value
// (TicketFieldValue does both). An unknown field matches nothing.
func (s *Store) TicketsWithField(ctx context.Context, propertyID int64, name, value string, limit int) ([]ticket.Ticket, error) {
	rows, err := s.query(ctx, ticketsWithFieldQuery, propertyID, name, value, limit)
	return collect("tickets with field", rows, err, scanTicket)
}

// CanonicalFieldValue returns value in the canonical form of the
// property's field name for target, for a filter: "1.50" finds tickets
// whose number field is 1.5. It fails if the field does not exist or the
// value does not fit its type.
func (s *Store) CanonicalFieldValue(ctx context.Context, propertyID int64, target ticket.FieldTarget, name, value string) (string, error) {
	f, err := scanField(s.queryRow(ctx, `SELECT `+fieldColumns+` FROM fields WHERE property_id = ? AND target = ? AND name = ?`,
		propertyID, string(target), strings.TrimSpace(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("no %s field %q: %w", target, name, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("get field: %w", err)
	}
	return f.Value(value)
}
