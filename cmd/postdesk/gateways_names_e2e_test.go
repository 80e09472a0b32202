package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// TestGatewaysOwnNames: two `serve` on one PostgreSQL database, neither
// given --instance-id, each generate their own name (kept in their --data)
// and share the deployment's, which leads the loop header: mail one sent
// that comes back is held by both. Rows claimed under each name while both
// are down stay claimed when one restarts: it takes back only its own.
func TestGatewaysOwnNames(t *testing.T) {
	db := newPostgresDB(t)
	relay, _ := recordRelay(t)
	cliOn(t, db, "property", "add", "--slug", "acme", "--name", "Acme Support", "--address", "support@acme.test")
	cliOn(t, db, "member", "add", "--property", "acme", "--email", "alice@acme.test", "--name", "Alice", "--role", "agent")
	dataA, dataB := t.TempDir(), t.TempDir()
	start := func(data string) *server { return startServerOn(t, db, data, "--relay", relay.URL()) }
	a, b := start(dataA), start(dataB)
	nameA, nameB := readName(t, dataA), readName(t, dataB)
	if nameA == nameB {
		t.Fatalf("both gateways are named %q", nameA)
	}
	st := openStoreOn(t, db)
	ctx := context.Background()
	deployment, err := st.EnsureSetting(ctx, "instance-id", func() (string, error) { return "", fmt.Errorf("no deployment id kept") })
	if err != nil {
		t.Fatal(err)
	}

	mustSend(t, a.addr, "carol@example.com", []string{"support@acme.test"},
		"From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: printer\r\nMessage-ID: <names-0@example.com>\r\n\r\nhelp\r\n")
	ack := relay.WaitFor(t, "carol@example.com", 1)[0]
	loop := ack.Header(outbox.LoopHeader)
	if f := strings.Fields(loop); len(f) != 2 || f[0] != deployment || (f[1] != nameA && f[1] != nameB) {
		t.Fatalf("loop header %q, want the deployment %q and a gateway (%q or %q)", loop, deployment, nameA, nameB)
	}
	for _, gw := range []*server{a, b} { // the ack comes back, to each gateway
		mustSend(t, gw.addr, "carol@example.com", []string{"support@acme.test"}, string(ack.Raw))
	}
	props, err := st.Properties(ctx)
	if err != nil || len(props) != 1 {
		t.Fatalf("properties: %v, %v", props, err)
	}
	prop := props[0].ID
	held, err := st.Held(ctx, prop, true)
	if err != nil {
		t.Fatal(err)
	}
	if own := countReason(held, "loop header"); own != 2 {
		t.Errorf("the ack sent back to both gateways was held as our own %d times, want 2: %+v", own, held)
	}
	a.stop(t)
	b.stop(t)

	// While both are down, mail is queued and claimed under each name, as
	// two gateways killed mid-send leave it.
	for i := 1; i <= 4; i++ {
		deliverOn(t, db, fmt.Sprintf("From: c%d@example.com\r\nTo: support@acme.test\r\nSubject: case %d\r\nMessage-ID: <names-%d@example.com>\r\n\r\nhi\r\n", i, i, i))
	}
	claimedA := claimIDs(t, st, nameA, 2)
	claimedB := claimIDs(t, st, nameB, 100)
	if len(claimedA) != 2 || len(claimedB) < 2 {
		t.Fatalf("claimed %v as A and %v as B, want 2 and at least 2", claimedA, claimedB)
	}
	a = start(dataA)
	if got := readName(t, dataA); got != nameA {
		t.Fatalf("restarted A is named %q, was %q", got, nameA)
	}
	waitFor(t, func() bool { return queued(t, st, prop, claimedA) == 0 }, "restarted A to send the rows claimed under its name")
	time.Sleep(2 * time.Second) // A's first poll has run: it would have sent B's rows by now
	if n := queued(t, st, prop, claimedB); n != len(claimedB) {
		t.Errorf("restarted A took back %d of the %d rows claimed under B's name", len(claimedB)-n, len(claimedB))
	}
	b = start(dataB)
	waitFor(t, func() bool { return queued(t, st, prop, claimedB) == 0 }, "restarted B to send the rows claimed under its name")
	a.stop(t)
	b.stop(t)
}

// readName reads the gateway name a serve kept in its data directory.
func readName(t *testing.T, data string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(data, gatewayFile))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// deliverOn stores raw through `postdesk deliver` on the database db.
func deliverOn(t *testing.T, db, raw string) {
	t.Helper()
	cmd := exec.Command(binary, "deliver", "--recipient", "support@acme.test", "--sender", "x@example.com",
		"--database", db, "--data", t.TempDir())
	cmd.Env = append(os.Environ(), "POSTDESK_CONFIG=")
	cmd.Stdin = strings.NewReader(raw)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("postdesk deliver: %v: %s", err, stderr.String())
	}
}

// claimIDs claims up to n due outbox rows under name, for an hour.
func claimIDs(t *testing.T, st *store.Store, name string, n int) []int64 {
	t.Helper()
	rows, err := st.ClaimOutbox(context.Background(), name, time.Now(), time.Hour, n)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	return ids
}

// queued counts the rows of ids still queued.
func queued(t *testing.T, st *store.Store, prop int64, ids []int64) int {
	t.Helper()
	rows, err := st.Outbox(context.Background(), prop, ticket.OutQueued)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if slices.Contains(ids, r.ID) {
			n++
		}
	}
	return n
}

// countReason counts the held mails whose reason mentions what.
func countReason(held []ticket.HeldMail, what string) int {
	n := 0
	for _, h := range held {
		if strings.Contains(h.Reason, what) {
			n++
		}
	}
	return n
}
