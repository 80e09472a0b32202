package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runDeliver runs `postdesk deliver` with msg on its standard input and
// returns its exit status and standard error.
func runDeliver(t *testing.T, data string, msg []byte, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"deliver", "--data", data}, args...)...)
	cmd.Env = append(os.Environ(), "POSTDESK_CONFIG=")
	cmd.Stdin = bytes.NewReader(msg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stderr.String()
	}
	t.Fatalf("postdesk deliver: %v", err)
	return -1, ""
}

func pipeMail(from, subject string) []byte {
	// Line ends as an MTA's pipe gives them: LF.
	return []byte(fmt.Sprintf("From: %s\nTo: support@acme.test\nSubject: %s\nMessage-ID: <%s@example.com>\n\nhello\n",
		from, subject, strings.ReplaceAll(subject, " ", "-")))
}

// TestDeliverExitCodes: the exit status tells an MTA what to do: 0 stored,
// 67 (EX_NOUSER) an address of no property, 65 (EX_DATAERR) no mail at
// all, 75 (EX_TEMPFAIL) while another process holds the database past
// db-busy-timeout; the same mail is stored once the lock is gone.
func TestDeliverExitCodes(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "property", "add", "--slug", "acme", "--name", "Acme", "--address", "support@acme.test", "--no-ack")
	if code, stderr := runDeliver(t, data, pipeMail("bob@example.com", "by pipe"), "--recipient", "support@acme.test", "--sender", "bob@example.com"); code != 0 {
		t.Fatalf("deliver: exit %d, want 0: %s", code, stderr)
	}
	if code, stderr := runDeliver(t, data, pipeMail("bob@example.com", "nobody"), "--recipient", "nobody@acme.test"); code != 67 || !strings.Contains(stderr, "5.1.1") {
		t.Errorf("unknown recipient: exit %d (%s), want 67 with 5.1.1", code, stderr)
	}
	if code, stderr := runDeliver(t, data, nil, "--recipient", "support@acme.test"); code != 65 {
		t.Errorf("empty message: exit %d (%s), want 65", code, stderr)
	}
	if code, stderr := runDeliver(t, data, pipeMail("bob@example.com", "x"), "--sender", "bob@example.com"); code != 75 {
		t.Errorf("without --recipient: exit %d (%s), want 75 (the MTA keeps the mail)", code, stderr)
	}
	release := holdWriteLock(t, data)
	code, stderr := runDeliver(t, data, pipeMail("carol@example.com", "while busy"), "--recipient", "support@acme.test", "--db-busy-timeout", "200ms")
	release()
	if code != 75 || !strings.Contains(stderr, "4.3.0") {
		t.Errorf("database busy: exit %d (%s), want 75 with 4.3.0", code, stderr)
	}
	if code, stderr := runDeliver(t, data, pipeMail("carol@example.com", "while busy"), "--recipient", "support@acme.test"); code != 0 {
		t.Fatalf("retry after the lock: exit %d (%s), want 0", code, stderr)
	}
	var list []struct{ Number int64 }
	cliJSON(t, data, &list, "ticket", "list")
	if len(list) != 2 {
		t.Fatalf("tickets: %+v, want 2 (the first mail and the retried one)", list)
	}
	show := cli(t, data, "ticket", "show", "1")
	if !strings.Contains(show, "bob@example.com") || !strings.Contains(show, "by pipe") {
		t.Errorf("ticket 1 is not bob's mail by pipe:\n%s", show)
	}
}

// TestDeliverWhileServing: deliver and serve write the same database at
// once, each message stored once, and serve's worker sends the
// acknowledgement a piped mail queued.
func TestDeliverWhileServing(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "property", "add", "--slug", "acme", "--name", "Acme", "--address", "support@acme.test")
	srv := startServer(t, data)
	errs := make(chan error, 20)
	for i := 0; i < 10; i++ {
		go func(i int) {
			from := fmt.Sprintf("p%d@example.com", i)
			code, stderr := runDeliver(t, data, pipeMail(from, fmt.Sprintf("pipe %d", i)), "--recipient", "support@acme.test", "--sender", from)
			if code != 0 {
				errs <- fmt.Errorf("deliver %d: exit %d: %s", i, code, stderr)
				return
			}
			errs <- nil
		}(i)
		go func(i int) {
			errs <- send(srv.addr, "s@example.com", []string{"support@acme.test"},
				[]byte(fmt.Sprintf("From: s%d@example.com\r\nTo: support@acme.test\r\nSubject: smtp %d\r\n\r\nhi\r\n", i, i)))
		}(i)
	}
	for i := 0; i < 20; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	var list []struct{ Number int64 }
	cliJSON(t, data, &list, "ticket", "list")
	if len(list) != 20 {
		t.Errorf("%d tickets, want 20", len(list))
	}
	waitFor(t, func() bool {
		out := cli(t, data, "outbox", "list")
		return strings.Count(out, "sent") >= 20
	}, "serve's worker to send the 20 acknowledgements")
}

// TestDeliverDiskFull: on a full file system deliver exits 75 and the MTA
// keeps the mail; when space returns, the same mail is stored.
func TestDeliverDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs (CI runs as root)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	data := filepath.Join(dir, "data")
	cli(t, data, "property", "add", "--slug", "acme", "--name", "Acme", "--address", "support@acme.test", "--no-ack")
	body := strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", 8000) // ~0.5 MB
	msg := append(pipeMail("d@example.com", "disk"), body...)
	filler := filepath.Join(dir, "filler")
	fill(t, filler)
	if code, stderr := runDeliver(t, data, msg, "--recipient", "support@acme.test"); code != 75 {
		t.Errorf("on a full disk: exit %d (%s), want 75", code, stderr)
	}
	os.Remove(filler)
	if code, stderr := runDeliver(t, data, msg, "--recipient", "support@acme.test"); code != 0 {
		t.Fatalf("after space returned: exit %d (%s), want 0", code, stderr)
	}
	cli(t, data, "check") // fails on a half-written ticket or an orphan row
}

// waitFor polls cond for up to 20 seconds.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
