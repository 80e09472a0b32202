package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/postdesk/postdesk/ticket"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/store"
)

type options struct {
	// addrs are the SMTP servers to drive (-addr, comma-separated): the
	// sessions are spread over them, and a session whose server fails to
	// answer moves on to the next, as a sending MTA tries the next MX.
	addrs    []string
	sessions int
	messages int
	size     int
	perConn  int
	replies  float64
	to, from string
	timeout  time.Duration
	// declare is the SIZE each MAIL FROM declares (RFC 1870); zero
	// declares the message's real size.
	declare int64
	// rate, when set, paces each session's DATA to this many bytes a
	// second, as a slow sender does.
	rate int64
	// duration, when set, stops starting messages after this long.
	duration time.Duration
}

func (o options) validate() error {
	var errs []error
	if len(o.addrs) == 0 {
		errs = append(errs, errors.New("-addr names no server"))
	}
	if o.sessions < 1 || o.messages < 1 || o.size < 200 || o.perConn < 1 {
		errs = append(errs, errors.New("-sessions, -messages and -per-conn must be positive, -size at least 200"))
	}
	if o.replies < 0 || o.replies > 1 {
		errs = append(errs, errors.New("-replies must be between 0 and 1"))
	}
	return errors.Join(errs...)
}

// report is what a run measured.
type report struct {
	RunID      string  `json:"run_id"`
	Sessions   int     `json:"sessions"`
	Size       int     `json:"size"`
	PerConn    int     `json:"per_conn"`
	Sent       int     `json:"sent"`    // answered 250
	Failed     int     `json:"failed"`  // answered otherwise, or the connection broke
	Replies    int     `json:"replies"` // of Sent, how many were replies
	Seconds    float64 `json:"seconds"` // wall time
	PerSecond  float64 `json:"per_second"`
	P50ms      float64 `json:"p50_ms"` // latency of the final 250: from the end of DATA to the reply
	P99ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	Verified   bool    `json:"verified"`
	Missing    int     `json:"missing"`    // answered 250 but not stored
	Duplicated int     `json:"duplicated"` // stored more than once
	FirstError string  `json:"first_error,omitempty"`

	accepted []string // Message-IDs answered 250
}

// run state shared by the sessions.
type state struct {
	o         options
	runID     string
	next      atomic.Int64 // next message number to send
	mu        sync.Mutex
	latencies []time.Duration
	accepted  []string
	replies   int
	failed    int
	firstErr  error
	body      string
	until     time.Time // no message is started after it (zero: no limit)
}

func drive(ctx context.Context, o options) (*report, error) {
	s := &state{o: o, runID: fmt.Sprintf("load-%d", time.Now().UnixNano()), body: filler(o.size)}
	start := time.Now()
	if o.duration > 0 {
		s.until = start.Add(o.duration)
	}
	var wg sync.WaitGroup
	for i := 0; i < o.sessions; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.session(ctx, i)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	rep := &report{RunID: s.runID, Sessions: o.sessions, Size: o.size, PerConn: o.perConn, Sent: len(s.accepted),
		Failed: s.failed, Replies: s.replies, Seconds: elapsed.Seconds(), accepted: s.accepted}
	rep.PerSecond = float64(rep.Sent) / elapsed.Seconds()
	slices.Sort(s.latencies)
	if n := len(s.latencies); n > 0 {
		rep.P50ms, rep.P99ms, rep.MaxMs = ms(s.latencies[n/2]), ms(s.latencies[(n*99)/100]), ms(s.latencies[n-1])
	}
	if s.firstErr != nil {
		rep.FirstError = s.firstErr.Error()
	}
	return rep, ctx.Err()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// session sends messages until the run's count is reached, reconnecting
// every perConn messages.
func (s *state) session(ctx context.Context, n int) {
	rng := rand.New(rand.NewPCG(uint64(n), uint64(time.Now().UnixNano())))
	var c *smtp.Client
	defer func() {
		if c != nil {
			c.Quit()
		}
	}()
	sentOnConn, server := 0, n%len(s.o.addrs)
	for ctx.Err() == nil && (s.until.IsZero() || time.Now().Before(s.until)) {
		i := s.next.Add(1) - 1
		if i >= int64(s.o.messages) {
			return
		}
		if c == nil || sentOnConn >= s.o.perConn {
			if c != nil {
				c.Quit()
			}
			var err error
			if c, err = s.dial(s.o.addrs[server]); err != nil {
				s.fail(err)
				c, server = nil, (server+1)%len(s.o.addrs)
				time.Sleep(50 * time.Millisecond) // the server is down: not a busy loop
				continue
			}
			sentOnConn = 0
		}
		from := s.o.from
		if from == "" {
			from = fmt.Sprintf("customer%d@load.test", i) // one customer a conversation, as at a real MX
		}
		msg, reply := s.message(i, from, rng)
		lat, err := s.send(c, from, msg)
		sentOnConn++
		if err != nil {
			s.fail(err)
			c.Close()
			c, server = nil, (server+1)%len(s.o.addrs)
			continue
		}
		s.done(fmt.Sprintf("%s-%d@load.test", s.runID, i), lat, reply)
	}
}

func (s *state) dial(addr string) (*smtp.Client, error) {
	conn, err := net.DialTimeout("tcp", addr, s.o.timeout)
	if err != nil {
		return nil, err
	}
	c := smtp.NewClient(conn)
	c.CommandTimeout, c.SubmissionTimeout = s.o.timeout, s.o.timeout
	if err := c.Hello("load.test"); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// send runs one transaction, the header given and the run's body, and
// returns the latency of the final reply.
func (s *state) send(c *smtp.Client, from string, head []byte) (time.Duration, error) {
	size := int64(len(head) + len(s.body))
	if s.o.declare > 0 {
		size = s.o.declare
	}
	if err := c.Mail(from, &smtp.MailOptions{Size: size}); err != nil {
		return 0, err
	}
	if err := c.Rcpt(s.o.to, nil); err != nil {
		return 0, err
	}
	w, err := c.Data()
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(head); err != nil {
		return 0, err
	}
	if err := s.write(w, s.body); err != nil {
		return 0, err
	}
	start := time.Now()
	err = w.Close() // sends "." and waits for the reply
	return time.Since(start), err
}

// write writes msg, paced to the rate when one is set.
func (s *state) write(w io.Writer, msg string) error {
	if s.o.rate <= 0 {
		_, err := io.WriteString(w, msg)
		return err
	}
	const step = 64 << 10
	start := time.Now()
	for sent := 0; sent < len(msg); {
		n := min(step, len(msg)-sent)
		if _, err := io.WriteString(w, msg[sent:sent+n]); err != nil {
			return err
		}
		sent += n
		due := start.Add(time.Duration(float64(sent) / float64(s.o.rate) * float64(time.Second)))
		time.Sleep(time.Until(due))
	}
	return nil
}

// message builds the header of message i: a new conversation, or (by the reply share) a
// reply to one of the messages already accepted.
func (s *state) message(i int64, from string, rng *rand.Rand) ([]byte, bool) {
	var b strings.Builder
	subject := fmt.Sprintf("load test message %d", i)
	parent := ""
	if rng.Float64() < s.o.replies {
		s.mu.Lock()
		if len(s.accepted) > 0 {
			parent = s.accepted[rng.IntN(len(s.accepted))]
		}
		s.mu.Unlock()
	}
	fmt.Fprintf(&b, "From: Load Customer <%s>\r\nTo: %s\r\nDate: %s\r\nMessage-ID: <%s-%d@load.test>\r\n",
		from, s.o.to, time.Now().Format(time.RFC1123Z), s.runID, i)
	if parent != "" {
		subject = "Re: " + subject
		fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", parent, parent)
	}
	fmt.Fprintf(&b, "Subject: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", subject)
	return []byte(b.String()), parent != "" // the body, shared, is sent after it
}

// filler is a plain-text body of about size bytes, in 72-character lines.
func filler(size int) string {
	line := "The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
	return strings.Repeat(line, max(1, (size-300)/len(line)))
}

func (s *state) done(id string, lat time.Duration, reply bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepted = append(s.accepted, id)
	s.latencies = append(s.latencies, lat)
	if reply {
		s.replies++
	}
}

func (s *state) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed++
	if s.firstErr == nil {
		s.firstErr = err
	}
}

// verify checks, in postdesk's database (a data directory's SQLite file
// or a postgres:// URL), that every message answered 250 is stored
// exactly once.
func (r *report) verify(ctx context.Context, where string) error {
	st, err := openData(ctx, where)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer st.Close()
	counts, err := st.MessageIDCounts(ctx, r.RunID+"-")
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	for _, id := range r.accepted {
		switch counts[id] {
		case 0:
			r.Missing++
		case 1:
		default:
			r.Duplicated++
		}
	}
	r.Verified = true
	return nil
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "sessions %d, size %d B, %d per connection: %d sent (%d replies), %d failed in %.2fs\n",
		r.Sessions, r.Size, r.PerConn, r.Sent, r.Replies, r.Failed, r.Seconds)
	fmt.Fprintf(w, "throughput %.0f msg/s; final 250 latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		r.PerSecond, r.P50ms, r.P99ms, r.MaxMs)
	if r.Verified {
		fmt.Fprintf(w, "verified: %d missing, %d stored more than once\n", r.Missing, r.Duplicated)
	}
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", r.FirstError)
	}
}

// openProperty opens the database of a postdesk data directory and reads
// the property with this slug; the caller closes the store.
func openProperty(ctx context.Context, dir, slug string) (*store.Store, ticket.Property, error) {
	st, err := openData(ctx, dir)
	if err != nil {
		return nil, ticket.Property{}, err
	}
	p, err := st.Property(ctx, slug)
	if err != nil {
		st.Close()
		return nil, p, err
	}
	return st, p, nil
}

// openData opens the database of a postdesk data directory, or the
// PostgreSQL database when dir is a postgres:// URL.
func openData(ctx context.Context, dir string) (*store.Store, error) {
	if store.IsPostgres(dir) {
		return store.Open(ctx, store.Options{Database: dir})
	}
	return store.Open(ctx, store.Options{Path: filepath.Join(dir, "postdesk.db")})
}

// writeAccepted writes the Message-IDs answered 250, one a line, to path.
func (r *report) writeAccepted(path string) error {
	var b strings.Builder
	for _, id := range r.accepted {
		b.WriteString(id + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("accepted: %w", err)
	}
	return nil
}
