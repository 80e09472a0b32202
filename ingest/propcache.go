package ingest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// propertyCache remembers for a moment which property an address belongs
// to: every message asks at RCPT and again at delivery, and the answer
// rarely changes. A property added by `postdesk property add` while serve
// runs is seen within the cache's lifetime.
type propertyCache struct {
	store *store.Store
	now   func() time.Time
	ttl   time.Duration
	max   int

	mu      sync.Mutex
	entries map[string]propertyEntry
}

type propertyEntry struct {
	prop    ticket.Property
	found   bool
	expires time.Time
}

func newPropertyCache(st *store.Store, now func() time.Time) *propertyCache {
	return &propertyCache{store: st, now: now, ttl: 2 * time.Second, max: 10000, entries: map[string]propertyEntry{}}
}

// lookup returns the property of an inbound address (already without its
// subaddress), and whether there is one.
func (c *propertyCache) lookup(ctx context.Context, addr string) (ticket.Property, bool, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[addr]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.prop, e.found, nil
	}
	prop, err := c.store.PropertyByAddress(ctx, addr)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return prop, false, err
	}
	e = propertyEntry{prop: prop, found: err == nil, expires: now.Add(c.ttl)}
	c.mu.Lock()
	if len(c.entries) >= c.max {
		clear(c.entries) // unknown addresses probed at random must not grow it without bound
	}
	c.entries[addr] = e
	c.mu.Unlock()
	return e.prop, e.found, nil
}

// memberCache remembers each property's members for a moment, so that
// telling an agent's mail from a customer's costs no query in the writer.
// A member added while serve runs is recognised within the cache's
// lifetime; until then their mail is treated as a customer's, which never
// posts anything in their name.
type memberCache struct {
	store *store.Store
	now   func() time.Time
	ttl   time.Duration

	mu      sync.Mutex
	entries map[int64]memberEntry
}

type memberEntry struct {
	byEmail map[string]ticket.Member
	expires time.Time
}

func newMemberCache(st *store.Store, now func() time.Time) *memberCache {
	return &memberCache{store: st, now: now, ttl: 2 * time.Second, entries: map[int64]memberEntry{}}
}

// lookup returns the property's member with this address, if any.
func (c *memberCache) lookup(ctx context.Context, prop ticket.Property, email string) (ticket.Member, bool, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[prop.ID]
	c.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		members, err := c.store.Members(ctx, prop.Slug)
		if err != nil {
			return ticket.Member{}, false, err
		}
		e = memberEntry{byEmail: make(map[string]ticket.Member, len(members)), expires: now.Add(c.ttl)}
		for _, m := range members {
			e.byEmail[m.Email] = m
		}
		c.mu.Lock()
		c.entries[prop.ID] = e
		c.mu.Unlock()
	}
	m, ok := e.byEmail[strings.ToLower(email)]
	return m, ok, nil
}
