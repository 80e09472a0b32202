package main

import (
	"context"
	"fmt"
	"github.com/postdesk/postdesk/ticket"
	"math/rand/v2"
	"net/smtp"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/store"
)

// TestCrashUnderLoad drives load, SIGKILLs the server at random moments 20
// times and restarts it each time. Every message the client saw a 250 for
// must be stored exactly once, no ticket may be half-written, and every
// outbox row must be delivered in the end.
func TestCrashUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	var mu sync.Mutex
	var acked []string
	seq := 0
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	for round := 0; round < 20; round++ {
		srv := startServer(t, data, "--relay", relay.URL())
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for c := 0; c < 4; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					seq++
					id := fmt.Sprintf("crash-%d@load.test", seq)
					mu.Unlock()
					msg := fmt.Sprintf("From: c%d@example.com\r\nTo: support@acme.test\r\nSubject: crash %s\r\nMessage-ID: <%s>\r\n\r\nbody\r\n", seq, id, id)
					if err := smtp.SendMail(srv.addr, nil, "c@example.com", []string{"support@acme.test"}, []byte(msg)); err != nil {
						return // the server is gone
					}
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(50+rng.IntN(350)) * time.Millisecond)
		srv.cmd.Process.Kill() // SIGKILL: no shutdown, no flush
		<-srv.done
		close(stop)
		wg.Wait()
	}
	// A last start delivers what the outbox still holds.
	srv := startServer(t, data, "--relay", relay.URL())
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(data, "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	prop, _ := st.Property(ctx, "acme")
	deadline := time.Now().Add(60 * time.Second)
	for {
		queued, err := st.Outbox(ctx, prop.ID, ticket.OutQueued)
		if err != nil {
			t.Fatal(err)
		}
		if len(queued) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d outbox rows still queued after restart", len(queued))
		}
		time.Sleep(100 * time.Millisecond)
	}
	srv.stop(t)
	checkStoredOnce(t, st, "crash", acked)
	report, err := st.Check(ctx)
	if err != nil || !report.OK() {
		t.Errorf("database check after 20 kills: %+v, %v", report, err)
	}
	failed, _ := st.Outbox(ctx, prop.ID, ticket.OutFailed)
	sent, _ := st.Outbox(ctx, prop.ID, ticket.OutSent)
	if len(failed) > 0 || len(sent) < len(acked) {
		t.Errorf("outbox: %d sent, %d failed, for %d messages (each causes at least an acknowledgement)", len(sent), len(failed), len(acked))
	}
	t.Logf("20 kills: %d messages answered 250, all stored once; %d outbox rows delivered", len(acked), len(sent))
}
