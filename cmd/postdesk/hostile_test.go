package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// vmHWM is the peak resident memory of a process, in MiB.
func vmHWM(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return kb / 1024
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// dialRaw connects and reads the greeting.
func dialRaw(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "220") {
		t.Fatalf("greeting %q, %v", line, err)
	}
	return c, r
}

// reply reads one (possibly multi-line) reply and returns its last line.
func reply(t *testing.T, c net.Conn, r *bufio.Reader) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "error: " + err.Error()
		}
		if len(line) < 4 || line[3] != '-' {
			return strings.TrimRight(line, "\r\n")
		}
	}
}

func sendLine(t *testing.T, c net.Conn, r *bufio.Reader, line string) string {
	t.Helper()
	fmt.Fprintf(c, "%s\r\n", line)
	return reply(t, c, r)
}

// TestHostileClients: each abuse is cut off with the right reply, the
// server keeps serving others, and its memory stays bounded.
func TestHostileClients(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data, "--command-timeout", "1s", "--data-timeout", "60s", "--max-connections", "300")
	pid := srv.cmd.Process.Pid
	healthy := func(what string) {
		t.Helper()
		msg := []byte("From: ok@example.com\r\nTo: support@acme.test\r\nSubject: still there\r\n\r\nhello\r\n")
		if err := send(srv.addr, "ok@example.com", []string{"support@acme.test"}, msg); err != nil {
			t.Errorf("after %s, a normal client failed: %v", what, err)
		}
	}

	t.Run("dribbler", func(t *testing.T) {
		c, r := dialRaw(t, srv.addr)
		done := make(chan string, 1)
		go func() { done <- reply(t, c, r) }()
		for _, b := range []byte("EHLO slowly.example.com") {
			if _, err := c.Write([]byte{b}); err != nil {
				break
			}
			select {
			case got := <-done:
				if !strings.HasPrefix(got, "421 4.4.2") {
					t.Errorf("dribbler got %q, want 421 4.4.2", got)
				}
				healthy("a dribbler")
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
		t.Error("a client sending a byte every 200 ms was not cut off by the 1s command timeout")
	})

	t.Run("line of 1 MB without CRLF", func(t *testing.T) {
		c, r := dialRaw(t, srv.addr)
		go c.Write([]byte(strings.Repeat("A", 1<<20)))
		if got := reply(t, c, r); !strings.HasPrefix(got, "500 5.4.0") {
			t.Errorf("1 MB line got %q, want 500 5.4.0", got)
		}
		healthy("a 1 MB line")
	})

	t.Run("10000 recipients", func(t *testing.T) {
		c, r := dialRaw(t, srv.addr)
		sendLine(t, c, r, "EHLO many.example.com")
		sendLine(t, c, r, "MAIL FROM:<many@example.com>")
		accepted, refused := 0, 0
		for i := 0; i < 10000; i++ {
			got := sendLine(t, c, r, fmt.Sprintf("RCPT TO:<support+%d@acme.test>", i))
			switch {
			case strings.HasPrefix(got, "250"):
				accepted++
			case strings.HasPrefix(got, "452 4.5.3"):
				refused++
			default:
				t.Fatalf("RCPT %d: %q", i, got)
			}
		}
		if accepted != 100 || refused != 9900 {
			t.Errorf("10000 RCPTs: %d accepted, %d refused with 452; want 100 and 9900", accepted, refused)
		}
		healthy("10000 recipients")
	})

	t.Run("1 GB of DATA", func(t *testing.T) {
		c, r := dialRaw(t, srv.addr)
		sendLine(t, c, r, "EHLO big.example.com")
		sendLine(t, c, r, "MAIL FROM:<big@example.com>")
		sendLine(t, c, r, "RCPT TO:<support@acme.test>")
		if got := sendLine(t, c, r, "DATA"); !strings.HasPrefix(got, "354") {
			t.Fatalf("DATA: %q", got)
		}
		line := []byte(strings.Repeat("x", 998) + "\r\n")
		w := bufio.NewWriterSize(c, 1<<20)
		go func() {
			for sent := 0; sent < 1<<30; sent += len(line) {
				if _, err := w.Write(line); err != nil {
					return
				}
			}
			io.WriteString(w, ".\r\n")
			w.Flush()
		}()
		if got := reply(t, c, r); !strings.HasPrefix(got, "552 5.3.4") {
			t.Errorf("1 GB DATA got %q, want 552 5.3.4", got)
		}
		healthy("1 GB of DATA")
	})

	t.Run("1000 connections", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		greeted, refused := 0, 0
		conns := make([]net.Conn, 0, 1000)
		for i := 0; i < 1000; i++ {
			c, err := net.Dial("tcp", srv.addr)
			if err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			conns = append(conns, c)
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				line, _ := bufio.NewReader(c).ReadString('\n')
				mu.Lock()
				defer mu.Unlock()
				switch {
				case strings.HasPrefix(line, "220"):
					greeted++
				case strings.HasPrefix(line, "421 4.7.0"):
					refused++
				}
			}()
		}
		wg.Wait()
		// While one client holds all it may, another is still served.
		other := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
		if c, err := other.Dial("tcp", srv.addr); err != nil {
			t.Errorf("another client during 1000 connections: %v", err)
		} else {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if line, _ := bufio.NewReader(c).ReadString('\n'); !strings.HasPrefix(line, "220") {
				t.Errorf("another client during 1000 connections got %q, want 220", line)
			}
			c.Close()
		}
		for _, c := range conns {
			c.Close()
		}
		if greeted+refused != 1000 || greeted > 32 {
			t.Errorf("1000 connections: %d greeted, %d refused with 421; want at most 32 (max-connections-per-ip) greeted, every other refused", greeted, refused)
		}
		time.Sleep(200 * time.Millisecond)
		healthy("1000 connections")
	})

	if peak := vmHWM(t, pid); peak > 200 {
		t.Errorf("peak memory %d MiB after the hostile clients, want at most 200", peak)
	} else {
		t.Logf("peak resident memory after the hostile clients: %d MiB", peak)
	}
}
