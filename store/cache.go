package store

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// Properties and their members are read for every message in and out, and
// change rarely, so the store keeps them for a moment (cacheTTL). A change
// made by another process, such as `postdesk property add` while serve
// runs, or by another gateway sharing the database, is seen within that
// time of its commit; changes through this Store at once. The time is real
// (monotonic) time, not the Store's clock: a clock that stands still (a
// test's, or serve's fake clock) must not keep an entry forever. An entry's
// time starts before the read that fills it, so it never outlives a
// commit it did not see by more than cacheTTL.
const cacheTTL = 2 * time.Second

// maxCached bounds the address cache: unknown addresses probed at random
// must not grow it without bound.
const maxCached = 10000

type cache struct {
	now func() time.Time

	mu        sync.Mutex
	byAddress map[string]cachedProperty // lower-case address → property
	byID      map[int64]cachedProperty
	members   map[int64]cachedMembers // property id → members by email
	forwards  map[int64]cachedList    // property id → forwarding mailboxes
}

type cachedList struct {
	list    []string
	expires time.Time
}

type cachedProperty struct {
	prop    ticket.Property
	found   bool
	expires time.Time
}

type cachedMembers struct {
	byEmail map[string]ticket.Member
	expires time.Time
}

func newCache(now func() time.Time) *cache {
	c := &cache{now: now}
	c.clear()
	return c
}

// clear forgets everything; writes through this Store call it.
func (c *cache) clear() {
	c.mu.Lock()
	c.byAddress = map[string]cachedProperty{}
	c.byID = map[int64]cachedProperty{}
	c.members = map[int64]cachedMembers{}
	c.forwards = map[int64]cachedList{}
	c.mu.Unlock()
}

// property returns a cached property, or loads and caches it.
func (c *cache) property(m map[string]cachedProperty, key string, load func() (ticket.Property, bool, error)) (ticket.Property, bool, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := m[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.prop, e.found, nil
	}
	p, found, err := load()
	if err != nil {
		return p, false, err
	}
	c.mu.Lock()
	if len(m) >= maxCached {
		clear(m)
	}
	m[key] = cachedProperty{prop: p, found: found, expires: now.Add(cacheTTL)}
	c.mu.Unlock()
	return p, found, nil
}

// CachedPropertyByAddress is PropertyByAddress through the cache, with the
// subaddress ignored (RFC 5233): found is false for an address of no
// property.
func (s *Store) CachedPropertyByAddress(ctx context.Context, addr string) (p ticket.Property, found bool, err error) {
	key := strings.ToLower(ticket.BaseAddress(addr))
	s.cache.mu.Lock()
	m := s.cache.byAddress
	s.cache.mu.Unlock()
	return s.cache.property(m, key, func() (ticket.Property, bool, error) {
		return notFoundOK(s.PropertyByAddress(ctx, key))
	})
}

// CachedPropertyByID is PropertyByID through the cache.
func (s *Store) CachedPropertyByID(ctx context.Context, id int64) (ticket.Property, error) {
	now := s.cache.now()
	s.cache.mu.Lock()
	e, ok := s.cache.byID[id]
	s.cache.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.prop, nil
	}
	p, err := s.PropertyByID(ctx, id)
	if err != nil {
		return p, err
	}
	s.cache.mu.Lock()
	s.cache.byID[id] = cachedProperty{prop: p, found: true, expires: now.Add(cacheTTL)}
	s.cache.mu.Unlock()
	return p, nil
}

// CachedMember returns the property's member with this address, through
// the cache.
func (s *Store) CachedMember(ctx context.Context, prop ticket.Property, email string) (ticket.Member, bool, error) {
	now := s.cache.now()
	s.cache.mu.Lock()
	e, ok := s.cache.members[prop.ID]
	s.cache.mu.Unlock()
	if !ok || !now.Before(e.expires) {
		members, err := s.Members(ctx, prop.Slug)
		if err != nil {
			return ticket.Member{}, false, err
		}
		e = cachedMembers{byEmail: make(map[string]ticket.Member, len(members)), expires: now.Add(cacheTTL)}
		for _, m := range members {
			e.byEmail[m.Email] = m
		}
		s.cache.mu.Lock()
		s.cache.members[prop.ID] = e
		s.cache.mu.Unlock()
	}
	m, ok := e.byEmail[strings.ToLower(email)]
	return m, ok, nil
}

func notFoundOK(p ticket.Property, err error) (ticket.Property, bool, error) {
	if err != nil && isNotFound(err) {
		return p, false, nil
	}
	return p, err == nil, err
}
