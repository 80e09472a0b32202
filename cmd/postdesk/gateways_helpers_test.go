package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// loadRun is a running postdesk-load process.
type loadRun struct {
	cmd      *exec.Cmd
	out      bytes.Buffer
	stderr   bytes.Buffer
	accepted string // the file of Message-IDs answered 250
}

// loadReport is the part of postdesk-load's -json report the tests read.
type loadReport struct {
	RunID      string `json:"run_id"`
	Sent       int    `json:"sent"`
	Failed     int    `json:"failed"`
	FirstError string `json:"first_error"`
}

// startLoad builds postdesk-load and starts it against addrs for d, with
// sessions spread over them.
func startLoad(t *testing.T, addrs []string, sessions int, d time.Duration) *loadRun {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "postdesk-load")
	if out, err := exec.Command("go", "build", "-o", bin, "../postdesk-load").CombinedOutput(); err != nil {
		t.Fatalf("building postdesk-load: %v\n%s", err, out)
	}
	l := &loadRun{accepted: filepath.Join(dir, "accepted")}
	l.cmd = exec.Command(bin, "-addr", strings.Join(addrs, ","), "-sessions", fmt.Sprint(sessions),
		"-messages", "1000000", "-duration", d.String(), "-size", "2048", "-per-conn", "20", "-replies", "0.2",
		"-timeout", "60s", "-accepted", l.accepted, "-json")
	l.cmd.Stdout, l.cmd.Stderr = &l.out, &l.stderr
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.cmd.Process.Kill() })
	return l
}

// wait waits for the load to end and returns its report and the
// Message-IDs answered 250.
func (l *loadRun) wait(t *testing.T) (loadReport, []string) {
	t.Helper()
	if err := l.cmd.Wait(); err != nil {
		t.Fatalf("postdesk-load: %v\n%s%s", err, l.out.String(), l.stderr.String())
	}
	var rep loadReport
	if err := json.Unmarshal(l.out.Bytes(), &rep); err != nil {
		t.Fatalf("postdesk-load report: %v\n%s", err, l.out.String())
	}
	b, err := os.ReadFile(l.accepted)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		ids = append(ids, sc.Text())
	}
	if len(ids) != rep.Sent {
		t.Fatalf("postdesk-load reported %d answered 250 but listed %d", rep.Sent, len(ids))
	}
	return rep, ids
}

// relayRecord is what a test relay received: for each (Message-ID,
// envelope recipient) pair, every copy, with the gateway that sent it (its
// loop header) and when.
type relayRecord struct {
	mu   sync.Mutex
	seen map[string][]relayCopy
}

// relayCopy is one copy of a mail the relay received.
type relayCopy struct {
	instance string
	at       time.Time
}

// recordRelay starts a test relay that records what it receives.
func recordRelay(t *testing.T) (*smtptest.Relay, *relayRecord) {
	t.Helper()
	relay := smtptest.Start(t)
	rec := &relayRecord{seen: map[string][]relayCopy{}}
	relay.OnMail(func(m smtptest.Mail) {
		id := strings.Trim(m.Header("Message-ID"), "<> ")
		c := relayCopy{instance: loopGateway(m.Header(outbox.LoopHeader)), at: time.Now()}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, to := range m.To {
			k := id + " " + strings.ToLower(to)
			rec.seen[k] = append(rec.seen[k], c)
		}
	})
	return relay, rec
}

// count returns how often the relay received id for rcpt.
func (r *relayRecord) count(id, rcpt string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen[id+" "+strings.ToLower(rcpt)])
}

// twice returns the pairs received more than once, each with its copies.
func (r *relayRecord) twice() map[string][]relayCopy {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]relayCopy{}
	for k, copies := range r.seen {
		if len(copies) > 1 {
			out[k] = copies
		}
	}
	return out
}

// total is the number of pairs received.
func (r *relayRecord) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// checkStoredOnce checks that each Message-ID answered 250 is stored
// exactly once in st.
func checkStoredOnce(t *testing.T, st *store.Store, runID string, ids []string) {
	t.Helper()
	counts, err := st.MessageIDCounts(context.Background(), runID+"-")
	if err != nil {
		t.Fatal(err)
	}
	missing, twice := 0, 0
	for _, id := range ids {
		switch counts[id] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	if missing > 0 || twice > 0 {
		t.Errorf("of %d messages answered 250: %d missing, %d stored more than once", len(ids), missing, twice)
	}
}

// fault is a span of time in which a gateway (or, with instance "", every
// gateway) could not record what it sent: it was SIGKILLed, or the
// database was down. A mail the relay accepted in it may be sent again
// with the same Message-ID: notify marks a row sent after the relay's 250,
// and nothing can make the two one step (package notify's doc).
//
// A fault may name instead the pairs whose records a gateway logged as
// failed (unrecorded): the relay accepted them, the database did not take
// their outcome, and they go again once it is back.
type fault struct {
	instance string
	from, to time.Time
	pairs    map[string]bool // Message-ID and recipient, as relayRecord keys them
}

// unrecorded is the fault of the rows the gateways logged as sent but not
// marked sent: their Message-ID and recipient pairs.
func unrecorded(t *testing.T, st *store.Store, gateways ...*server) fault {
	t.Helper()
	ctx := context.Background()
	prop, err := st.Property(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Outbox(ctx, prop.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]store.OutboxRow{}
	for _, r := range rows {
		byID[strconv.FormatInt(r.ID, 10)] = r
	}
	f := fault{pairs: map[string]bool{}}
	for _, g := range gateways {
		for _, line := range strings.Split(g.logText(), "\n") {
			if !strings.Contains(line, "could not mark it sent") {
				continue
			}
			if m := outboxAttr.FindStringSubmatch(line); m != nil {
				if r, ok := byID[m[1]]; ok {
					f.pairs[r.MsgID+" "+strings.ToLower(r.Rcpt)] = true
				}
			}
		}
	}
	return f
}

// outboxAttr finds the outbox row a log line names.
var outboxAttr = regexp.MustCompile(` outbox=(\d+) `)

// resentAfter reports whether every copy of the pair key but the last was
// sent in a fault's span by the gateway it names, or is one of its pairs.
func resentAfter(key string, copies []relayCopy, faults []fault) bool {
	for _, c := range copies[:len(copies)-1] {
		in := false
		for _, f := range faults {
			if f.pairs != nil {
				in = in || f.pairs[key]
				continue
			}
			if (f.instance == "" || f.instance == c.instance) && !c.at.Before(f.from) && !c.at.After(f.to) {
				in = true
			}
		}
		if !in {
			return false
		}
	}
	return true
}

// checkOutboxSentOnce waits until the property's outbox holds no queued
// row, then checks that none failed and that the relay received each sent
// row once, and nothing twice but what a fault explains (a copy accepted
// by the relay in a fault's span, sent again after it): it returns the
// rows sent and how many of them a fault made go twice.
func checkOutboxSentOnce(t *testing.T, st *store.Store, rec *relayRecord, faults []fault, wait time.Duration) (int, int) {
	t.Helper()
	ctx := context.Background()
	prop, err := st.Property(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for {
		queued, err := st.Outbox(ctx, prop.ID, ticket.OutQueued)
		if err != nil {
			t.Fatal(err)
		}
		if len(queued) == 0 {
			break
		}
		if time.Now().After(deadline) {
			var rows []string
			for _, r := range queued[:min(5, len(queued))] {
				rows = append(rows, fmt.Sprintf("row %d (%s to %s): %d attempts, next %s, last error %q",
					r.ID, r.Kind, r.Rcpt, r.Attempts, r.NextAttempt.Format(time.TimeOnly), r.LastError))
			}
			t.Fatalf("%d outbox rows still queued after %v (now %s):\n%s", len(queued), wait,
				time.Now().UTC().Format(time.TimeOnly), strings.Join(rows, "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	failed, err := st.Outbox(ctx, prop.ID, ticket.OutFailed)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := st.Outbox(ctx, prop.ID, ticket.OutSent)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) > 0 {
		t.Errorf("%d outbox rows failed, first: %s", len(failed), failed[0].LastError)
	}
	unsent := 0
	for _, r := range sent {
		if rec.count(r.MsgID, r.Rcpt) == 0 {
			unsent++
		}
	}
	if unsent > 0 {
		t.Errorf("%d of %d outbox rows marked sent never reached the relay", unsent, len(sent))
	}
	if rec.total() != len(sent) {
		t.Errorf("the relay received %d Message-ID+recipient pairs for %d outbox rows sent", rec.total(), len(sent))
	}
	resent := 0
	if twice := rec.twice(); len(twice) > 0 {
		var lines []string
		for k, copies := range twice {
			if resentAfter(k, copies, faults) {
				resent++
				continue
			}
			line := k + ":"
			for _, c := range copies {
				line += fmt.Sprintf(" %s at %s;", c.instance, c.at.Format("15:04:05.000"))
			}
			lines = append(lines, line)
		}
		if len(lines) > 0 {
			t.Errorf("the relay received %d Message-ID+recipient pairs more than once, outside any fault:\n%s", len(lines), strings.Join(lines, "\n"))
		}
	}
	return len(sent), resent
}

// freePort returns a loopback address free right now, for a gateway that
// is restarted on the same address.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// sendWithin sends one message and gives up after d: the whole exchange,
// so that a gateway that hangs fails the caller instead of blocking it.
func sendWithin(addr string, d time.Duration, from, to string, raw []byte) error {
	conn, err := net.DialTimeout("tcp", addr, d)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(d))
	host, _, _ := net.SplitHostPort(addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// loopGateway is the gateway a loop header names after the deployment (or
// its one name, when the gateway's is the deployment's).
func loopGateway(v string) string {
	f := strings.Fields(v)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}
