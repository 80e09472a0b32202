package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/store"
)

// historyMbox writes an mbox of n messages of about 2 KB: every tenth has
// no Message-ID, every fifth replies to the one before it, and each body has
// a line an mbox escapes (">From ").
func historyMbox(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "history.mbox")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	body := strings.Repeat("The quick brown fox jumps over the lazy dog, again and again and again.\n", 24) + ">From the archive.\n"
	for i := range n {
		date := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
		fmt.Fprintf(w, "From c%d@example.com %s\nFrom: c%d@example.com\nTo: support@acme.test\nDate: %s\n",
			i, date.Format(time.ANSIC), i, date.Format(time.RFC1123Z))
		if i%10 != 9 {
			fmt.Fprintf(w, "Message-ID: <hist-%d@example.com>\n", i)
		}
		if i%5 == 4 {
			fmt.Fprintf(w, "In-Reply-To: <hist-%d@example.com>\n", i-1)
		}
		fmt.Fprintf(w, "Subject: history %d\n\n%s\n", i, body)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// importSummary is the JSON `postdesk import --json` prints.
type importSummary struct {
	Source  string
	Resumed bool
	Result  struct{ Stored, Duplicates, Held, Unreadable int }
}

// TestImportCommand: `postdesk import` of an mbox and of a Maildir, with
// --status closed: every message stored, every ticket closed, no mail
// queued to anyone although acme acknowledges and has an agent, plain
// progress lines when standard error is no terminal, and a rerun stores
// nothing. Bad arguments are refused naming the flag.
func TestImportCommand(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	const n = 200
	path := historyMbox(t, n)
	cmd := exec.Command(binary, "import", "--property", "acme", "--status", "closed", "--json", path, "--data", data)
	cmd.Env = append(os.Environ(), "POSTDESK_CONFIG=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("import: %v\n%s", err, stderr.String())
	}
	var sum importSummary
	if err := json.Unmarshal(out, &sum); err != nil {
		t.Fatalf("import --json: %v\n%s", err, out)
	}
	if sum.Result.Stored != n || sum.Resumed {
		t.Errorf("import: %+v, want %d stored", sum, n)
	}
	if !strings.Contains(stderr.String(), "import: 100% (") || strings.Contains(stderr.String(), "\r") {
		t.Errorf("standard error (a pipe) = %q, want plain progress lines", stderr.String())
	}
	var tickets []struct{ Status string }
	cliJSON(t, data, &tickets, "ticket", "list", "--limit", "500")
	if len(tickets) != n-n/5 {
		t.Errorf("%d tickets, want %d (every fifth mail is a reply)", len(tickets), n-n/5)
	}
	for _, tk := range tickets {
		if tk.Status != "closed" {
			t.Fatalf("ticket %s, want closed", tk.Status)
		}
	}
	var rows []any
	cliJSON(t, data, &rows, "outbox", "list")
	if len(rows) != 0 {
		t.Errorf("%d outbox rows after an import, want none", len(rows))
	}
	cliJSON(t, data, &sum, "import", path)
	if sum.Result.Stored+sum.Result.Duplicates != 0 || !sum.Resumed {
		t.Errorf("rerun: %+v, want nothing read", sum)
	}

	maildir := t.TempDir()
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(maildir, sub), 0o700)
	}
	os.WriteFile(filepath.Join(maildir, "new", "1700000000.M1P1.host"), []byte("From: dan@example.com\nTo: support@acme.test\nMessage-ID: <md1@example.com>\nSubject: from a Maildir\n\nhi\n"), 0o600)
	os.WriteFile(filepath.Join(maildir, "cur", "1700000001.M2P1.host:2,S"), []byte("From: dan@example.com\nTo: support@acme.test\nIn-Reply-To: <md1@example.com>\nSubject: Re: from a Maildir\n\nagain\n"), 0o600)
	cliJSON(t, data, &sum, "import", maildir)
	if sum.Result.Stored != 2 || !strings.HasPrefix(sum.Source, "maildir:") {
		t.Errorf("Maildir import: %+v, want 2 stored", sum)
	}

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "--status", "pending", path}, "--status"},
		{[]string{"import", "--batch", "0", path}, "--batch"},
		{[]string{"import"}, "PATH"},
		{[]string{"import", filepath.Join(maildir, "cur", "1700000001.M2P1.host:2,S")}, "not an mbox file"},
		{[]string{"import", filepath.Join(maildir, "cur")}, "not a Maildir"},
	} {
		if _, err := cliErr(data, bad.args...); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("postdesk %s: %v, want an error naming %s", strings.Join(bad.args, " "), err, bad.want)
		}
	}
}

// TestImportInterrupt: SIGINT to a running `postdesk import` stops it
// cleanly (it says so and how to resume), the rerun resumes after the last
// committed batch, and in the end every message of the mbox, those without
// a Message-ID too, is stored exactly once. SIGKILL, which the import cannot
// handle, loses and duplicates nothing either: each batch and its checkpoint
// commit together.
func TestImportInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("interrupt test skipped in -short mode")
	}
	for _, sig := range []os.Signal{os.Interrupt, os.Kill} {
		t.Run(sig.String(), func(t *testing.T) { testImportStopped(t, sig) })
	}
}

func testImportStopped(t *testing.T, sig os.Signal) {
	data := t.TempDir()
	setupAcme(t, data)
	const n = 8000
	path := historyMbox(t, n)
	cmd := exec.Command(binary, "import", "--batch", "100", path, "--data", data)
	cmd.Env = append(os.Environ(), "POSTDESK_CONFIG=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var log strings.Builder
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "import: ") {
			break // the first batch is on disk
		}
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
	}
	err = cmd.Wait()
	if err == nil || sig == os.Interrupt && (!strings.Contains(log.String(), "import interrupted") || !strings.Contains(log.String(), "run the same command again to resume")) {
		t.Fatalf("interrupted import: %v, want a failure saying it was interrupted\n%s", err, log.String())
	}
	before := countMessages(t, data)
	if before == 0 || before >= n || before%100 != 0 {
		t.Fatalf("%d messages stored when interrupted, want some whole batches of 100 and not all %d", before, n)
	}
	var sum importSummary
	cliJSON(t, data, &sum, "import", path)
	if !sum.Resumed || sum.Result.Stored != n-before || sum.Result.Duplicates != 0 {
		t.Errorf("resumed import: %+v, want %d stored after the %d of the first run", sum, n-before, before)
	}
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(data, "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	counts, err := st.MessageIDCounts(context.Background(), "hist-")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if i%10 != 9 && counts[fmt.Sprintf("hist-%d@example.com", i)] != 1 {
			t.Errorf("hist-%d stored %d times, want once", i, counts[fmt.Sprintf("hist-%d@example.com", i)])
		}
	}
	if total, _ := st.Count(context.Background(), "messages"); total != n {
		t.Errorf("%d messages in all, want %d (each once, with or without a Message-ID)", total, n)
	}
}

func countMessages(t *testing.T, data string) int {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(data, "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.Count(context.Background(), "messages")
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// TestImportProgressBar: on a terminal (a pseudo-terminal from Python's pty
// module) the progress is a bar redrawn in place, not lines.
func TestImportProgressBar(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: the progress bar needs a pseudo-terminal, made with its pty module")
	}
	data := t.TempDir()
	setupAcme(t, data)
	path := historyMbox(t, 50)
	script := `import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        b = os.read(fd, 4096)
    except OSError:
        break
    if not b:
        break
    out += b
sys.stdout.write(out.decode("utf-8", "replace"))
sys.exit(os.waitpid(pid, 0)[1] >> 8)
`
	cmd := exec.Command(py, "-c", script, binary, "import", path, "--data", data)
	cmd.Env = append(os.Environ(), "POSTDESK_CONFIG=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("import on a pty: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "\r[##############################] 100%") || strings.Contains(string(out), "import: ") {
		t.Errorf("output on a terminal = %q, want a bar redrawn with \\r", out)
	}
}
