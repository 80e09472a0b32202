package main

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

// rawSMTP delivers raw, byte for byte (dot-stuffed, nothing else changed),
// over a plain SMTP dialogue on a net.Conn, and returns the final reply.
// Unlike net/smtp it leaves a lone CR or LF in the data alone.
func rawSMTP(t *testing.T, addr, from, rcpt string, raw []byte) string {
	t.Helper()
	c, r := dialRaw(t, addr)
	defer c.Close()
	for _, cmd := range []string{"EHLO test.local", "MAIL FROM:<" + from + ">", "RCPT TO:<" + rcpt + ">", "DATA"} {
		if got := sendLine(t, c, r, cmd); got[0] != '2' && got[0] != '3' {
			t.Fatalf("%s: %s", cmd, got)
		}
	}
	w := bufio.NewWriter(c)
	for _, line := range bytes.SplitAfter(raw, []byte("\n")) {
		if bytes.HasPrefix(line, []byte(".")) {
			w.WriteByte('.')
		}
		w.Write(line)
	}
	if !bytes.HasSuffix(raw, []byte("\r\n")) {
		w.WriteString("\r\n")
	}
	w.WriteString(".\r\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return reply(t, c, r)
}

// nestedMail is the review's attack: depth multipart/mixed levels, each
// holding the next (6,000 levels are about 410 KB).
func nestedMail(id string, depth int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: a@example.com\r\nSubject: deep %s\r\nMessage-ID: <%s@example.com>\r\nMIME-Version: 1.0\r\n", id, id)
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nhi\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// TestDeepMIMEDoesNotStallDelivery: two mails of 6,000 nested multipart
// levels are sent at once, as many as the parse slots of a two-core
// machine; a normal mail sent right after them still gets its 250 within
// 5 seconds (on the code before the MIME limits, about 60). The deep
// mails are stored, header-only, with a warning naming the limit.
func TestDeepMIMEDoesNotStallDelivery(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data, "--ack-limit", "1000", "--new-ticket-limit", "1000")
	hostile := make(chan string, 2)
	for i := range 2 {
		go func() {
			hostile <- fmt.Sprint(send(srv.addr, "x@example.com", []string{"support@acme.test"}, nestedMail(fmt.Sprintf("deep%d", i), 6000)))
		}()
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	if got := rawSMTP(t, srv.addr, "y@example.com", "support@acme.test",
		[]byte("From: y@example.com\r\nSubject: normal\r\nMessage-ID: <normal@example.com>\r\n\r\nhello\r\n")); !strings.HasPrefix(got, "250") {
		t.Fatalf("normal mail: %s", got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the normal mail took %v behind two deeply nested ones, want at most 5s", d)
	}
	for range 2 {
		select {
		case err := <-hostile:
			if err != "<nil>" {
				t.Errorf("deep mail: %s, want it stored", err)
			}
		case <-time.After(120 * time.Second):
			t.Fatal("deep mails not answered within 120s")
		}
	}
	var list []struct{ Number int64 }
	cliJSON(t, data, &list, "ticket", "list")
	if len(list) != 3 {
		t.Fatalf("%d tickets, want 3", len(list))
	}
	found := 0
	for _, tk := range list {
		if out := cli(t, data, "ticket", "show", itoa64(tk.Number)); strings.Contains(out, "MaxMIMEDepth") {
			found++
		}
	}
	if found != 2 {
		t.Errorf("%d tickets show a warning naming MaxMIMEDepth, want the 2 deep mails", found)
	}
}
