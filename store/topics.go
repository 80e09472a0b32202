package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Topic is one entry of a property's list of topics (what a ticket is
// about: "billing", "returns"); a ticket has at most one.
type Topic struct {
	ID         int64     `json:"id"`
	PropertyID int64     `json:"-"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
}

// AddTopic adds a topic to a property's list; a name it has already is
// ErrExists.
func (tx *Tx) AddTopic(propertyID int64, name string) (Topic, error) {
	t := Topic{PropertyID: propertyID, Name: name, CreatedAt: tx.Now()}
	found, err := tx.exists(`SELECT 1 FROM topics WHERE property_id = ? AND name = ?`, propertyID, name)
	if err != nil || found {
		return t, existsErr(err, fmt.Errorf("topic %q: %w", name, ErrExists))
	}
	err = tx.queryRow(`INSERT INTO topics (property_id, name, created_at) VALUES (?, ?, ?) RETURNING id`,
		propertyID, name, ms(t.CreatedAt)).Scan(&t.ID)
	if err != nil {
		return t, fmt.Errorf("add topic: %w", err)
	}
	return t, nil
}

// Topics lists a property's topics by name.
func (tx *Tx) Topics(propertyID int64) ([]Topic, error) {
	rows, err := tx.query(`SELECT id, property_id, name, created_at FROM topics WHERE property_id = ? ORDER BY name`, propertyID)
	return collect("topics", rows, err, scanTopic)
}

// TopicNamed returns the property's topic of this name (names compare
// exactly; desk folds case before it asks).
func (tx *Tx) TopicNamed(propertyID int64, name string) (Topic, bool, error) {
	t, err := scanTopic(tx.queryRow(`SELECT id, property_id, name, created_at FROM topics
		WHERE property_id = ? AND name = ?`, propertyID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	}
	if err != nil {
		return t, false, fmt.Errorf("topic: %w", err)
	}
	return t, true, nil
}

// SetTopic sets a ticket's topic (0: none).
func (tx *Tx) SetTopic(ticketID, topicID int64) error {
	return tx.updateTicket("set topic", ticketID, `topic_id = ?`, nullID(topicID))
}

func scanTopic(r scanner) (Topic, error) {
	var t Topic
	var created int64
	err := r.Scan(&t.ID, &t.PropertyID, &t.Name, &created)
	t.CreatedAt = fromMS(created)
	return t, err
}

// PropertyTopics lists a property's topics by name, outside a transaction.
func (s *Store) PropertyTopics(ctx context.Context, propertyID int64) ([]Topic, error) {
	rows, err := s.query(ctx, `SELECT id, property_id, name, created_at FROM topics WHERE property_id = ? ORDER BY name`, propertyID)
	return collect("topics", rows, err, scanTopic)
}
