package webapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/postdesk/postdesk/store"
)

// Limits of a live event stream.
const (
	// streamBatch is how many events are read and written at once: what
	// one slow client can make the server hold.
	streamBatch = 100
	// streamWriteTimeout bounds one batch's writing: a client that reads
	// nothing is dropped after it, not kept forever.
	streamWriteTimeout = 10 * time.Second
	// streamKeepAlive is how often a comment is sent while nothing
	// happens, so that proxies keep the connection open.
	streamKeepAlive = 15 * time.Second
	// streamPoll is how often the stream looks for events written by
	// another process (this one's wake it at once).
	streamPoll = time.Second
	// streamRecheck is how often the caller's token and memberships are
	// read again: a revoked token ends the stream, and a member removed
	// from a property stops getting its events within it.
	streamRecheck = 2 * time.Second
	// maxStreamsPerToken is how many live streams one token, or one
	// member's signed-in browsers, may hold at once (tabs, integrations).
	maxStreamsPerToken = 8
)

// eventRoutes serve the live event stream.
func (s *Server) eventRoutes() []route {
	return []route{
		{Route: Route{Method: "GET", Path: "/api/events",
			Summary: "Live events of every property the caller belongs to, as server-sent events (id: the event's place in commit order, event: its type, data: its JSON); resumes after Last-Event-ID",
			Query: []Param{{"last_event_id", "integer",
				"resume after this event, for clients that cannot send the Last-Event-ID header; without either, the stream starts with the next event"}},
			Produces: "text/event-stream", Limited: true}, access: member, h: s.streamEvents},
	}
}

// streamEvents sends the desk's events as they happen, per the WHATWG
// HTML standard's server-sent events (§9.2): each event's id, type and
// JSON payload, flushed at once. A client that reconnects with
// Last-Event-ID gets exactly the events after that one (while they are
// kept: see the webhook retention). The stream ends with the request or
// with the server's context.
func (s *Server) streamEvents(c *call) error {
	ctx := c.r.Context()
	after, err := s.resumeAfter(ctx, c)
	if err != nil {
		return err
	}
	props := propertyIDs(c.members)
	if len(props) == 0 {
		return forbidden("%s is a member of no property", c.email)
	}
	key := streamKey(c)
	if !s.streams.take(key) {
		c.w.Header().Set("Retry-After", "10")
		return &apiError{status: http.StatusTooManyRequests, title: "Too Many Requests",
			detail: fmt.Sprintf("%d live streams are open already (a token's, or a signed-in member's); close one", maxStreamsPerToken)}
	}
	defer s.streams.give(key)
	h := c.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.w.WriteHeader(http.StatusOK)
	st := &stream{rc: http.NewResponseController(c.w), w: bufio.NewWriter(c.w), now: time.Now}
	// retry: how long a client waits before reconnecting (§9.2.6).
	if err := st.send("retry: 2000\n\n"); err != nil {
		return nil
	}
	keep, poll := time.NewTicker(streamKeepAlive), time.NewTicker(streamPoll)
	defer keep.Stop()
	defer poll.Stop()
	checked := time.Now()
	for {
		// The token and memberships are read again between batches too: a
		// long backlog replayed to a slow reader must not outlive them.
		if time.Since(checked) >= streamRecheck {
			checked = time.Now()
			if props, err = s.recheck(c); err != nil || len(props) == 0 {
				return s.endStream(ctx, "live stream ended: no access", err)
			}
		}
		wake := s.st.HookSignal()
		evs, err := s.st.HookEventsAfter(ctx, props, after, streamBatch)
		if err != nil {
			return s.endStream(ctx, "events not read", err)
		}
		if len(evs) > 0 {
			if err := st.events(evs); err != nil {
				return s.endStream(ctx, "live client gone", err)
			}
			after = evs[len(evs)-1].Position
			if len(evs) == streamBatch {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-poll.C:
		case <-keep.C:
			if err := st.send(": keep-alive\n\n"); err != nil {
				return s.endStream(ctx, "live client gone", err)
			}
		}
	}
}

// resumeAfter is the id after which the stream starts: Last-Event-ID, or
// ?last_event_id=, or else the newest event's.
func (s *Server) resumeAfter(ctx context.Context, c *call) (int64, error) {
	v := c.r.Header.Get("Last-Event-ID")
	if v == "" {
		v = c.r.URL.Query().Get("last_event_id")
	}
	if v == "" {
		return s.st.LastHookPosition(ctx)
	}
	id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || id < 0 {
		return 0, badRequest("Last-Event-ID %q is not an event id", v)
	}
	return id, nil
}

// recheck reads the caller's token and memberships again, and returns the
// properties she still belongs to (none when the token was revoked).
func (s *Server) recheck(c *call) ([]int64, error) {
	if err := s.identify(c); err != nil {
		var ae *apiError
		if errors.As(err, &ae) { // revoked, or signed out
			return nil, nil
		}
		return nil, err
	}
	members, err := s.st.Memberships(c.r.Context(), c.email)
	if err != nil {
		return nil, err
	}
	return propertyIDs(members), nil
}

// endStream ends a stream whose headers are sent: what went wrong can
// only be logged. The end of the request or of the server is no error.
func (s *Server) endStream(ctx context.Context, msg string, err error) error {
	if ctx.Err() == nil {
		s.log.Info(msg, "err", err)
	}
	return nil
}

func propertyIDs(members []store.Membership) []int64 {
	ids := make([]int64, 0, len(members))
	for _, m := range members {
		ids = append(ids, m.Property.ID)
	}
	return ids
}

// stream writes server-sent events, each batch under a write deadline.
type stream struct {
	rc  *http.ResponseController
	w   *bufio.Writer
	now func() time.Time
}

// events writes a batch of events and flushes it.
func (st *stream) events(evs []store.HookRecord) error {
	st.deadline()
	for _, ev := range evs {
		st.w.WriteString("id: " + strconv.FormatInt(ev.Position, 10) + "\nevent: " + string(ev.Type) + "\n")
		// A payload is one line of JSON; were it more, each line is a
		// data line of its own (§9.2.6).
		for _, line := range strings.Split(string(ev.Payload), "\n") {
			st.w.WriteString("data: " + line + "\n")
		}
		st.w.WriteString("\n")
	}
	return st.flush()
}

// send writes raw stream text (a comment, a retry field) and flushes it.
func (st *stream) send(text string) error {
	st.deadline()
	st.w.WriteString(text)
	return st.flush()
}

func (st *stream) deadline() {
	// ErrNotSupported (a ResponseWriter without deadlines) leaves the
	// write unbounded; nothing better can be done there.
	_ = st.rc.SetWriteDeadline(st.now().Add(streamWriteTimeout))
}

func (st *stream) flush() error {
	if err := st.w.Flush(); err != nil {
		return err
	}
	if err := st.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// streamKey names whose streams a stream counts with: its token's, or,
// for a signed-in browser (which has none), its member's.
func streamKey(c *call) string {
	if c.token.ID != 0 {
		return "token " + strconv.FormatInt(c.token.ID, 10)
	}
	return "session " + c.email
}

// streamCount counts the live streams of each caller (streamKey), so that
// one cannot hold an unbounded number of connections, goroutines and
// polls.
type streamCount struct {
	mu   sync.Mutex
	open map[string]int // streamKey: streams open
}

// take reserves a stream for key, unless it has maxStreamsPerToken.
func (sc *streamCount) take(key string) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.open[key] >= maxStreamsPerToken {
		return false
	}
	if sc.open == nil {
		sc.open = map[string]int{}
	}
	sc.open[key]++
	return true
}

// give frees a stream of key.
func (sc *streamCount) give(key string) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.open[key]--; sc.open[key] <= 0 {
		delete(sc.open, key)
	}
}
