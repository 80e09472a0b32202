package smtpd

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestDeclaredSizeReservesNothing: sessions that declare 25 MiB with SIZE
// and then stall in DATA hold what they sent, not what they declared.
func TestDeclaredSizeReservesNothing(t *testing.T) {
	const sessions = 10
	addr := start(t, Options{}, newRecorder("support@acme.test"))
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range sessions {
		c := dial(t, addr)
		cmd(t, c, 250, "EHLO client%d.test", i)
		cmd(t, c, 250, "MAIL FROM:<a@example.com> SIZE=26214400")
		cmd(t, c, 250, "RCPT TO:<support@acme.test>")
		cmd(t, c, 354, "DATA")
		fmt.Fprintf(c.W, "Subject: stalled\r\n\r\na few bytes, then nothing")
		c.W.Flush()
	}
	time.Sleep(300 * time.Millisecond) // let every session read what came
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if limit := int64(8 << 20); grown > limit {
		t.Errorf("%d sessions stalled in DATA after declaring 25 MiB: the heap grew by %d MiB, want under %d MiB",
			sessions, grown>>20, limit>>20)
	}
}

// TestSpool: past the memory budget a message goes to a spool file, is
// delivered from there byte for byte, and the file is removed after.
func TestSpool(t *testing.T) {
	dir := t.TempDir()
	rec := newRecorder("support@acme.test")
	c := dial(t, start(t, Options{MaxDataMemory: 64 << 10, SpoolDir: dir}, rec))
	cmd(t, c, 250, "EHLO client.test")
	small := "Subject: small\r\n\r\nfits in memory\r\n"
	large := "Subject: large\r\n\r\n" + strings.Repeat(strings.Repeat("x", 76)+"\r\n", 1<<20/78)
	for _, msg := range []string{small, large} {
		if code, text, _ := sendRaw(t, c, msg); code != 250 {
			t.Fatalf("reply %d %s, want 250", code, text)
		}
	}
	if len(rec.got) != 2 || rec.got[0].data != small || rec.got[1].data != large {
		t.Fatalf("delivered %d messages, or not the bytes sent", len(rec.got))
	}
	if !rec.got[0].inMemory || rec.got[1].inMemory {
		t.Errorf("in memory: small %v, large %v; want the large one spooled", rec.got[0].inMemory, rec.got[1].inMemory)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("%d files left in the spool", len(left))
	}
}

// TestSpoolUnavailable: past the memory budget with nowhere to spool, the
// message is deferred with 451 4.3.1, and the session goes on.
func TestSpoolUnavailable(t *testing.T) {
	rec := newRecorder("support@acme.test")
	c := dial(t, start(t, Options{MaxDataMemory: 64 << 10}, rec))
	cmd(t, c, 250, "EHLO client.test")
	code, text, _ := sendRaw(t, c, "Subject: large\r\n\r\n"+strings.Repeat("x\r\n", 100<<10))
	if code != 451 || !strings.Contains(text, "4.3.1") {
		t.Errorf("reply %d %s, want 451 4.3.1", code, text)
	}
	if code, text, _ := sendRaw(t, c, "Subject: small\r\n\r\nx\r\n"); code != 250 {
		t.Errorf("next message: %d %s, want 250", code, text)
	}
}
