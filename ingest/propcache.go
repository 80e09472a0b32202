package ingest

import (
	"context"
	"errors"
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
