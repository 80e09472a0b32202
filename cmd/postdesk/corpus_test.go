package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/store"
)

// corpusDir finds ../shared/corpora beside the checkout, or skips the test.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
	}
	corpora := filepath.Join(filepath.Dir(dir), "shared", "corpora")
	if _, err := os.Stat(corpora); err != nil {
		t.Skipf("no mail corpora at %s: these robustness tests need ../shared/corpora beside the checkout", corpora)
	}
	return corpora
}

// corpusFiles lists the mail files of the corpora (not their READMEs and
// licences).
func corpusFiles(t testing.TB, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		base := d.Name()
		if base == "README.md" || base == "SOURCE.txt" || strings.HasPrefix(base, "LICENSE") || strings.HasPrefix(base, ".") {
			return nil
		}
		files = append(files, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// corpusReplyTimeout is how long a reply to a corpus message may take: far
// below the data timeout, so a session that hangs fails the test.
const corpusReplyTimeout = 20 * time.Second

// TestCorpus sends every real-world message of ../shared/corpora over SMTP,
// as the bytes of the file (bare CRs and LFs included, as Python's smtplib
// sends them). Each must be answered promptly with 250 or a permanent 5xx
// that names its reason, the server must survive all of them, and every
// accepted message must be stored.
func TestCorpus(t *testing.T) {
	root := corpusDir(t)
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	c, err := dialSMTP(srv.addr, corpusReplyTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { c.Close() }()
	accepted, refused := 0, 0
	for _, path := range corpusFiles(t, root) {
		rel, _ := filepath.Rel(root, path)
		raw := readTestdata(t, path)
		// A line naming the file, appended to the body, keeps the messages
		// distinct: several files differ only in line endings, and a header
		// field would not do, as only the author's fields count toward the
		// content hash that finds retransmissions. The file's own last line
		// end is repeated after it, so that a file ending in a bare CR still
		// reaches the server as "…\r\r\n.\r\n".
		msg := append([]byte("X-Corpus-File: "+rel+"\r\n"), raw...)
		msg = append(msg, "\r\nX-Corpus-File: "+rel...)
		msg = append(msg, raw[len(bytes.TrimRight(raw, "\r\n")):]...)
		start := time.Now()
		err := c.send("corpus@example.com", []string{"support@acme.test"}, msg)
		if took := time.Since(start); took > corpusReplyTimeout/2 {
			t.Errorf("%s: answered after %v", rel, took.Round(time.Millisecond))
		}
		var perr *textproto.Error
		switch {
		case err == nil:
			accepted++
		case errors.As(err, &perr) && perr.Code >= 500 && perr.Code < 600 && perr.Msg != "":
			refused++
			t.Logf("%s: refused: %d %s", rel, perr.Code, perr.Msg)
			// Some refusals (a line too long) end the session: start anew.
			c.Close()
			if c, err = dialSMTP(srv.addr, corpusReplyTimeout); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("%s: %v (want 250 or a permanent 5xx with a reason, within %v)", rel, err, corpusReplyTimeout)
		}
	}
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(data, "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Every accepted mail is a ticket message, a recorded bounce or a held mail.
	var stored int64
	counts := map[string]int64{}
	for _, table := range []string{"messages", "bounces", "held"} {
		n, err := st.Count(context.Background(), table)
		if err != nil {
			t.Fatal(err)
		}
		counts[table] = n
		stored += n
	}
	t.Logf("corpus: %d accepted, %d refused; stored %v", accepted, refused, counts)
	if stored != int64(accepted) {
		t.Errorf("%d mails stored, want %d (one per accepted message)", stored, accepted)
	}
	if strings.Contains(srv.logText(), "panic") {
		t.Errorf("the server log mentions a panic")
	}
}
