package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pipeUser is the user Postfix's pipe(8) runs postdesk as (it refuses
// root), and so every postdesk process of the Postfix test.
const pipeUser = "nobody"

// postfix is a private Postfix instance: its own config_directory,
// queue_directory and data_directory under one directory, SMTP on a
// loopback port only, and a transport map routing acme.test to a pipe(8)
// service that runs `postdesk deliver`.
type postfix struct {
	conf, maillog, addr string
}

// startPostfix starts Postfix for the test and stops it when the test ends.
// It skips when Postfix, swaks or root are missing.
func startPostfix(t *testing.T, base, data string, busyTimeout string) *postfix {
	t.Helper()
	for _, c := range []string{"postfix", "swaks"} {
		if _, err := lookPath(c); err != nil {
			t.Skipf("%s is not installed (apt-get install postfix swaks; .ci/run installs them)", c)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("Postfix needs root to start (CI runs as root)")
	}
	pf := &postfix{conf: filepath.Join(base, "etc"), maillog: filepath.Join(base, "maillog"), addr: freeLoopback(t)}
	queue, pfdata := filepath.Join(base, "spool"), filepath.Join(base, "pfdata")
	for _, d := range []string{pf.conf, queue, pfdata} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pfUser, err := user.Lookup("postfix")
	if err != nil {
		t.Skipf("no postfix user: %v", err)
	}
	uid, _ := strconv.Atoi(pfUser.Uid)
	if err := os.Chown(pfdata, uid, -1); err != nil {
		t.Fatal(err)
	}
	mainCF := fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s
data_directory = %[2]s
myhostname = mx.postfix.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = acme.test
transport_maps = texthash:%[3]s/transport
postdesk_destination_recipient_limit = 1
smtpd_relay_restrictions = permit_mynetworks, reject
maillog_file_prefixes = %[4]s
maillog_file = %[5]s
alias_maps =
alias_database =
local_recipient_maps =
biff = no
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_dns_support_level = disabled
`, queue, pfdata, pf.conf, base, pf.maillog)
	masterCF := fmt.Sprintf(`%s inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
showq     unix  n - n - - showq
postdesk  unix  - n n - - pipe
  flags=DRO user=%s argv=%s deliver --data %s --db-busy-timeout %s --sender ${sender} --recipient ${recipient}
`, pf.addr, pipeUser, binary, data, busyTimeout)
	files := map[string]string{"main.cf": mainCF, "master.cf": masterCF, "transport": "acme.test postdesk:\n"}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(pf.conf, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := pf.run("start"); err != nil {
		t.Fatalf("postfix start: %v\n%s\n%s", err, out, pf.log())
	}
	t.Cleanup(func() {
		if out, err := pf.run("stop"); err != nil {
			t.Logf("postfix stop: %v\n%s", err, out)
		}
		if t.Failed() {
			t.Logf("postfix log:\n%s", pf.log())
		}
	})
	waitFor(t, func() bool { return strings.Contains(pf.log(), "daemon started") }, "postfix to start")
	return pf
}

func (pf *postfix) run(cmd string) (string, error) {
	postfixCmd, _ := lookPath("postfix")
	out, err := exec.Command(postfixCmd, "-c", pf.conf, cmd).CombinedOutput()
	return string(out), err
}

func (pf *postfix) log() string {
	b, _ := os.ReadFile(pf.maillog)
	return string(b)
}

// status counts the log lines of Postfix's deliveries to rcpt with the
// given status (sent, deferred, bounced).
func (pf *postfix) status(rcpt, status string) int {
	re := regexp.MustCompile(`to=<` + regexp.QuoteMeta(rcpt) + `>.*relay=postdesk.* status=` + status)
	return len(re.FindAllString(pf.log(), -1))
}

// swaks sends one mail into Postfix over SMTP.
func (pf *postfix) swaks(t *testing.T, from, to, subject string, extra ...string) {
	t.Helper()
	args := append([]string{"--server", pf.addr, "--from", from, "--to", to, "--header", "Subject: " + subject,
		"--body", "Sent through Postfix.", "--hide-all"}, extra...)
	if out, err := exec.Command("swaks", args...).CombinedOutput(); err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
}

// lookPath finds a command, in the sbin directories too.
func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func freeLoopback(t *testing.T) string {
	t.Helper()
	ln, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// asPipeUser returns the credential of pipeUser, skipping without one.
func asPipeUser(t *testing.T) *syscall.Credential {
	t.Helper()
	u, err := user.Lookup(pipeUser)
	if err != nil {
		t.Skipf("no user %s: %v", pipeUser, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}

// cliAs runs a postdesk command as another user.
func cliAs(t *testing.T, cred *syscall.Credential, data string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, append(args, "--data", data)...)
	cmd.Env = append(os.Environ(), "POSTDESK_CONFIG=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("postdesk %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// pipeDataDir makes a data directory the pipe's user owns, under a
// directory every user can enter.
func pipeDataDir(t *testing.T, cred *syscall.Credential) (base, data string) {
	t.Helper()
	base, err := os.MkdirTemp("", "postdesk-postfix")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	data = filepath.Join(base, "data")
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, int(cred.Uid), int(cred.Gid)); err != nil {
		t.Fatal(err)
	}
	return base, data
}

type ticketRow struct {
	Number    int64
	Subject   string
	Requester string
}

func ticketsAs(t *testing.T, cred *syscall.Credential, data string) []ticketRow {
	t.Helper()
	var list []ticketRow
	if err := json.Unmarshal([]byte(cliAs(t, cred, data, "ticket", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	return list
}

// TestPostfixPipe: a real Postfix delivers into postdesk through a pipe(8)
// transport while serve runs. A mail becomes a ticket; a mail to an
// address of no property bounces (EX_NOUSER); a mail that finds the
// database locked is deferred (EX_TEMPFAIL), retried by Postfix and stored
// once the lock is gone, once.
func TestPostfixPipe(t *testing.T) {
	cred := asPipeUser(t)
	base, data := pipeDataDir(t, cred)
	cliAs(t, cred, data, "property", "add", "--slug", "acme", "--name", "Acme", "--address", "support@acme.test")
	startServerAs(t, cred, data)
	pf := startPostfix(t, base, data, "500ms")

	pf.swaks(t, "bob@example.com", "support@acme.test", "Through Postfix")
	waitFor(t, func() bool { return pf.status("support@acme.test", "sent") == 1 }, "Postfix to deliver through the pipe")
	list := ticketsAs(t, cred, data)
	if len(list) != 1 || list[0].Subject != "Through Postfix" || list[0].Requester != "bob@example.com" {
		t.Fatalf("tickets after one mail through Postfix: %+v", list)
	}
	show := cliAs(t, cred, data, "ticket", "show", "1")
	if !strings.Contains(show, "Sent through Postfix.") {
		t.Errorf("ticket 1 lacks the body:\n%s", show)
	}

	pf.swaks(t, "bob@example.com", "nobody@acme.test", "To nobody")
	waitFor(t, func() bool { return pf.status("nobody@acme.test", "bounced") == 1 }, "Postfix to bounce mail to an unknown address (exit 67)")

	release := holdWriteLock(t, data)
	pf.swaks(t, "carol@example.com", "support@acme.test", "While the database is locked")
	waitFor(t, func() bool { return pf.status("support@acme.test", "deferred") >= 1 }, "Postfix to defer the mail (exit 75)")
	release()
	if out, err := pf.run("flush"); err != nil {
		t.Fatalf("postfix flush: %v\n%s", err, out)
	}
	waitFor(t, func() bool { return pf.status("support@acme.test", "sent") == 2 }, "Postfix to deliver the deferred mail")
	list = ticketsAs(t, cred, data)
	if len(list) != 2 || list[0].Subject != "While the database is locked" || list[0].Requester != "carol@example.com" {
		t.Errorf("tickets after the retry: %+v, want carol's mail as #2, once", list)
	}
	time.Sleep(2 * time.Second) // one more queue run: nothing may arrive twice
	if n := len(ticketsAs(t, cred, data)); n != 2 {
		t.Errorf("%d tickets, want 2", n)
	}
}
