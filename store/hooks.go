package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/postdesk/postdesk/ticket"
)

// A transaction records the desk events it causes (Emit) and writes them
// when its function returns (flushHooks), so that each event's ticket is a
// snapshot of the ticket as the transaction left it, and the event
// commits, or not, with the change. Each event is a row of hook_events,
// read by live streams (HookEventsAfter), and a queued delivery for each
// of the property's enabled webhooks that asked for its type.

// pendingHook is an event emitted and not yet written.
type pendingHook struct {
	propertyID, ticketID int64
	typ                  ticket.HookType
	message              *ticket.Message
	change               *ticket.HookChange
}

// HookRecord is a written event.
type HookRecord struct {
	ID int64
	// Position is the event's place in commit order: a live stream that
	// has sent the events up to a position finds every later one above
	// it, whichever gateway wrote it (an id, taken at insert, may commit
	// after a higher one).
	Position   int64
	PropertyID int64
	Type       ticket.HookType
	TicketID   int64
	Payload    []byte // the JSON of a ticket.HookEvent
	CreatedAt  time.Time
}

// Emit records that event typ happened to ticket ticketID of a property,
// caused by change (nil for message.created). A silenced transaction
// (imported history) emits nothing.
func (tx *Tx) Emit(propertyID, ticketID int64, typ ticket.HookType, change *ticket.HookChange) {
	if tx.silent {
		return
	}
	tx.hooks = append(tx.hooks, pendingHook{propertyID: propertyID, ticketID: ticketID, typ: typ, change: change})
}

// emitMessage records that message m was added to its ticket.
func (tx *Tx) emitMessage(m *ticket.Message) {
	if tx.silent || (m.Kind != ticket.KindEmail && m.Kind != ticket.KindNote) {
		return
	}
	c := *m
	c.Attachments = append([]ticket.Attachment(nil), m.Attachments...)
	c.Text, c.HTML = clip(c.Text, maxHookBody), clip(c.HTML, maxHookBody)
	tx.hooks = append(tx.hooks, pendingHook{propertyID: m.PropertyID, ticketID: m.TicketID,
		typ: ticket.HookMessageCreated, message: &c})
}

// maxHookBody caps the text and the HTML of a message in an event: an
// event tells that a message came and what it begins with; the API serves
// the whole of it. A webhook receiver is not sent megabytes per mail.
const maxHookBody = 64 << 10

// clip cuts s to at most n bytes, at a UTF-8 character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Silence stops the transaction from emitting events: imported history and
// generated load are not news to anyone.
func (tx *Tx) Silence() { tx.silent = true }

// flushHooks writes the events emitted by the transaction's function.
// Each ticket is read and marshalled once however many events it has,
// and each property's webhooks are read once: the cost of an event to
// mail intake is its row and its deliveries' rows, little more.
func (tx *Tx) flushHooks() error {
	if len(tx.hooks) == 0 {
		return nil
	}
	snap := map[int64]*hookSnapshot{}
	hooks := map[int64][]hookTarget{}
	for _, h := range tx.hooks {
		s, ok := snap[h.ticketID]
		if !ok {
			var err error
			if s, err = tx.snapshot(h.propertyID, h.ticketID); err != nil {
				return fmt.Errorf("event %s: %w", h.typ, err)
			}
			snap[h.ticketID] = s
		}
		targets, ok := hooks[h.propertyID]
		if !ok {
			var err error
			if targets, err = tx.hookTargets(h.propertyID); err != nil {
				return fmt.Errorf("event %s: %w", h.typ, err)
			}
			hooks[h.propertyID] = targets
		}
		if err := tx.writeHook(h, s, targets); err != nil {
			return fmt.Errorf("event %s: %w", h.typ, err)
		}
	}
	tx.emitted += len(tx.hooks)
	tx.hooks = nil
	return nil
}

// hookSnapshot is a ticket as its events show it, its ticket and contact
// marshalled once for all of them.
type hookSnapshot struct {
	slug            string
	ticket, contact json.RawMessage
}

// snapshot reads a ticket, its requester and their custom fields.
func (tx *Tx) snapshot(propertyID, ticketID int64) (*hookSnapshot, error) {
	var s hookSnapshot
	var err error
	if s.slug, err = tx.propertySlug(propertyID); err != nil {
		return nil, err
	}
	t, found, err := tx.TicketByID(propertyID, ticketID)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("ticket %d: %w", ticketID, ErrNotFound)
	}
	if t.Fields, err = tx.FieldValues(propertyID, ticket.FieldForTicket, t.ID); err != nil {
		return nil, err
	}
	c, err := tx.ContactByID(t.RequesterID)
	if err != nil {
		return nil, err
	}
	if c.Fields, err = tx.FieldValues(propertyID, ticket.FieldForContact, c.ID); err != nil {
		return nil, err
	}
	if s.ticket, err = json.Marshal(t); err != nil {
		return nil, err
	}
	if s.contact, err = json.Marshal(c); err != nil {
		return nil, err
	}
	return &s, nil
}

// propertySlug returns a property's slug from the store's property cache,
// which every intake fills, and from the transaction only for a property
// the reader pool does not see yet (added by this very transaction). A
// slug never changes.
func (tx *Tx) propertySlug(id int64) (string, error) {
	p, err := tx.s.CachedPropertyByID(context.Background(), id)
	if err == nil {
		return p.Slug, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return "", fmt.Errorf("property %d: %w", id, err)
	}
	var slug string
	if err := tx.queryRow(`SELECT slug FROM properties WHERE id = ?`, id).Scan(&slug); err != nil {
		return "", fmt.Errorf("property %d: %w", id, err)
	}
	return slug, nil
}

// hookTarget is an enabled webhook of a property, and the event types it
// asked for (none: every type).
type hookTarget struct {
	id     int64
	events []string
}

// wants reports whether the webhook takes events of type typ.
func (h hookTarget) wants(typ ticket.HookType) bool {
	return len(h.events) == 0 || slices.Contains(h.events, string(typ))
}

// hookTargets returns the enabled webhooks of a property.
func (tx *Tx) hookTargets(propertyID int64) ([]hookTarget, error) {
	rows, err := tx.query(`SELECT id, events FROM webhooks WHERE property_id = ? AND enabled = 1 ORDER BY id`, propertyID)
	return collect("webhooks", rows, err, func(r scanner) (hookTarget, error) {
		var h hookTarget
		var events string
		err := r.Scan(&h.id, &events)
		if events != "" {
			h.events = strings.Split(events, ",")
		}
		return h, err
	})
}

// hookBody is a ticket.HookEvent with its ticket and contact as the
// snapshot marshalled them once for all the ticket's events: json.Marshal
// of it is byte for byte that of the HookEvent (TestHookPayloadShape).
type hookBody struct {
	Type      ticket.HookType `json:"type"`
	Timestamp time.Time       `json:"timestamp"`
	Data      hookBodyData    `json:"data"`
}

// hookBodyData is ticket.HookData, field for field.
type hookBodyData struct {
	Property string             `json:"property"`
	Ticket   json.RawMessage    `json:"ticket,omitempty"`
	Contact  json.RawMessage    `json:"contact,omitempty"`
	Message  *ticket.Message    `json:"message,omitempty"`
	Change   *ticket.HookChange `json:"change,omitempty"`
}

// hookPayload is the JSON of a ticket.HookEvent of the snapshot's ticket.
func hookPayload(typ ticket.HookType, at time.Time, s *hookSnapshot, m *ticket.Message, c *ticket.HookChange) ([]byte, error) {
	return json.Marshal(hookBody{Type: typ, Timestamp: at.UTC(),
		Data: hookBodyData{Property: s.slug, Ticket: s.ticket, Contact: s.contact, Message: m, Change: c}})
}

// writeHook writes one event and queues its deliveries to the targets
// that take its type.
func (tx *Tx) writeHook(h pendingHook, s *hookSnapshot, targets []hookTarget) error {
	now := tx.Now()
	payload, err := hookPayload(h.typ, now, s, h.message, h.change)
	if err != nil {
		return err
	}
	var id int64
	if err := tx.queryRow(`INSERT INTO hook_events (property_id, type, ticket_id, payload, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, h.propertyID, string(h.typ), h.ticketID, string(payload), ms(now)).Scan(&id); err != nil {
		return err
	}
	for _, t := range targets {
		if !t.wants(h.typ) {
			continue
		}
		if _, err := tx.exec(`INSERT INTO webhook_deliveries (webhook_id, event_id, next_attempt_at, created_at)
			VALUES (?, ?, ?, ?)`, t.id, id, ms(now), ms(now)); err != nil {
			return err
		}
	}
	return nil
}

// HookEventsAfter returns up to limit events of the properties given whose
// position is above after, in commit order: what a live stream sends next.
func (s *Store) HookEventsAfter(ctx context.Context, propertyIDs []int64, after int64, limit int) ([]HookRecord, error) {
	if len(propertyIDs) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(propertyIDs)+2)
	for _, id := range propertyIDs {
		args = append(args, id)
	}
	args = append(args, after, limit)
	pos := s.dialect.eventPosition()
	rows, err := s.query(ctx, `SELECT id, `+pos+`, property_id, type, ticket_id, payload, created_at FROM hook_events
		WHERE property_id IN (`+placeholders(len(propertyIDs))+`) AND `+pos+` > ? ORDER BY `+pos+` LIMIT ?`, args...)
	return collect("events", rows, err, scanHookRecord)
}

// LastHookPosition is the position of the newest committed event (0 when
// there is none): a live stream opened without Last-Event-ID starts after
// it.
func (s *Store) LastHookPosition(ctx context.Context) (int64, error) {
	var n int64
	if err := s.queryRow(ctx, s.dialect.lastEventPosition()).Scan(&n); err != nil {
		return 0, fmt.Errorf("last event: %w", err)
	}
	return n, nil
}

func scanHookRecord(r scanner) (HookRecord, error) {
	var h HookRecord
	var typ, payload string
	var created int64
	err := r.Scan(&h.ID, &h.Position, &h.PropertyID, &typ, &h.TicketID, &payload, &created)
	h.Type, h.Payload, h.CreatedAt = ticket.HookType(typ), []byte(payload), fromMS(created)
	return h, err
}

// HookSignal returns a channel closed when a transaction that wrote
// events has committed (in this process; another gateway's events are
// found by polling).
func (s *Store) HookSignal() <-chan struct{} {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	return s.hookCh
}

// signalHooks wakes whoever waits on HookSignal.
func (s *Store) signalHooks() {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	close(s.hookCh)
	s.hookCh = make(chan struct{})
}
