package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postdesk/postdesk/store"
)

// TestDatabaseBusy: while another process holds the database's write lock
// past the busy timeout, mail is deferred with 451; once the lock is gone,
// mail is accepted again, with no restart.
func TestDatabaseBusy(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "property", "add", "--slug", "acme", "--name", "Acme", "--address", "support@acme.test", "--no-ack")
	srv := startServer(t, data, "--db-busy-timeout", "200ms")
	msg := func(i int) []byte {
		return []byte(fmt.Sprintf("From: b%d@example.com\r\nTo: support@acme.test\r\nSubject: busy %d\r\n\r\nx\r\n", i, i))
	}
	mustSend(t, srv.addr, "b@example.com", []string{"support@acme.test"}, string(msg(0)))
	// Another process (this test) takes the write lock and keeps it.
	other, err := store.Open(context.Background(), store.Options{Path: filepath.Join(data, "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	locked, release := make(chan struct{}), make(chan struct{})
	go other.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.Touch(1); err != nil { // write, so the lock is held
			return err
		}
		close(locked)
		<-release
		return nil
	})
	<-locked
	err = send(srv.addr, "b@example.com", []string{"support@acme.test"}, msg(1))
	if err == nil || !strings.Contains(err.Error(), "451") {
		t.Errorf("with the database locked: %v, want 451", err)
	}
	close(release)
	time.Sleep(100 * time.Millisecond)
	if err := send(srv.addr, "b@example.com", []string{"support@acme.test"}, msg(2)); err != nil {
		t.Errorf("after the lock is released: %v, want 250", err)
	}
}

// TestDiskFull: on a full file system mail is deferred with 451 and nothing
// is half-stored; when space returns, mail is accepted again with no
// restart. It needs root to mount a small tmpfs.
func TestDiskFull(t *testing.T) {
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
	srv := startServer(t, data)
	body := strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n", 8000) // ~0.5 MB
	msg := func(i int) []byte {
		return []byte(fmt.Sprintf("From: d%d@example.com\r\nTo: support@acme.test\r\nSubject: disk %d\r\n\r\n%s", i, i, body))
	}
	mustSend(t, srv.addr, "d@example.com", []string{"support@acme.test"}, string(msg(0)))
	filler := filepath.Join(dir, "filler")
	fill(t, filler)
	deferred := 0
	for i := 1; i <= 5; i++ {
		err := send(srv.addr, "d@example.com", []string{"support@acme.test"}, msg(i))
		switch {
		case err == nil:
		case strings.Contains(err.Error(), "451"):
			deferred++
		default:
			t.Fatalf("on a full disk: %v, want 451", err)
		}
	}
	if deferred == 0 {
		t.Fatal("no mail was deferred on a full disk")
	}
	os.Remove(filler)
	for i := 10; i < 13; i++ {
		if err := send(srv.addr, "d@example.com", []string{"support@acme.test"}, msg(i)); err != nil {
			t.Fatalf("after space returned: %v, want 250", err)
		}
	}
	srv.stop(t)
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(data, "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if r, err := st.Check(context.Background()); err != nil || !r.OK() {
		t.Errorf("database check after the disk filled: %+v, %v", r, err)
	}
	t.Logf("%d of 5 messages deferred with 451 on the full disk; accepted again once space returned", deferred)
}

// fill writes path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			return
		}
	}
}

// TestReadyWhileDiskFull: /readyz answers 503 while the database cannot
// commit (its file system is full) and 200 again once space returns, with
// no restart; /healthz stays 200 throughout (the process is up). It needs
// root to mount a small tmpfs.
func TestReadyWhileDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs (CI runs as root)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	data := filepath.Join(dir, "data")
	cli(t, data, "property", "add", "--slug", "acme", "--name", "Acme", "--address", "support@acme.test", "--no-ack")
	srv := startServer(t, data)
	probe := apiClient{t: t, base: srv.apiURL(t)}
	if r := probe.do("GET", "/readyz", nil); r.Status != http.StatusOK {
		t.Fatalf("/readyz before: %d %s", r.Status, r.Body)
	}
	filler := filepath.Join(dir, "filler")
	fill(t, filler)
	start := time.Now()
	if r := probe.do("GET", "/readyz", nil); r.Status != http.StatusServiceUnavailable {
		t.Errorf("/readyz on a full disk: %d %s, want 503", r.Status, r.Body)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("/readyz took %v to answer", took)
	}
	if r := probe.do("GET", "/healthz", nil); r.Status != http.StatusOK {
		t.Errorf("/healthz on a full disk: %d, want 200", r.Status)
	}
	os.Remove(filler)
	if r := probe.do("GET", "/readyz", nil); r.Status != http.StatusOK {
		t.Errorf("/readyz once space returned: %d %s, want 200", r.Status, r.Body)
	}
}

// TestReadyWhileLocked: while another process holds the database's write
// lock, /readyz answers 503 promptly (not after the 10s busy timeout a
// delivery waits), and 200 once the lock is gone.
func TestReadyWhileLocked(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "property", "add", "--slug", "acme", "--name", "Acme", "--address", "support@acme.test", "--no-ack")
	srv := startServer(t, data)
	probe := apiClient{t: t, base: srv.apiURL(t)}
	other, err := store.Open(context.Background(), store.Options{Path: filepath.Join(data, "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	locked, release, released := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		released <- other.Update(context.Background(), func(tx *store.Tx) error {
			if err := tx.Touch(1); err != nil { // write, so the lock is held
				return err
			}
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	for range 3 { // a probe every second does not pile up behind the lock
		start := time.Now()
		if r := probe.do("GET", "/readyz", nil); r.Status != http.StatusServiceUnavailable {
			t.Errorf("/readyz with the database locked: %d %s, want 503", r.Status, r.Body)
		}
		if took := time.Since(start); took > 4*time.Second {
			t.Errorf("/readyz took %v to answer", took)
		}
	}
	close(release)
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	waitReady := time.Now().Add(15 * time.Second)
	for {
		r := probe.do("GET", "/readyz", nil)
		if r.Status == http.StatusOK {
			break
		}
		if time.Now().After(waitReady) {
			t.Fatalf("/readyz after the lock was released: %d %s, want 200", r.Status, r.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
