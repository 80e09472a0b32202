package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the postdesk command built once for the tests of this package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "postdesk-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Readable by every user: the Postfix test runs it as its pipe's user.
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "postdesk")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building postdesk:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs a postdesk command against dataDir and returns its standard output.
func cli(t *testing.T, dataDir string, args ...string) string {
	t.Helper()
	out, err := cliErr(dataDir, args...)
	if err != nil {
		t.Fatalf("postdesk %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func cliErr(dataDir string, args ...string) (string, error) {
	cmd := exec.Command(binary, append(args, "--data", dataDir)...)
	cmd.Env = append(os.Environ(), "POSTDESK_CONFIG=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%v: %s", err, stderr.String())
	}
	return stdout.String(), nil
}

func cliJSON(t *testing.T, dataDir string, v any, args ...string) {
	t.Helper()
	out := cli(t, dataDir, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("postdesk %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// server is a running `postdesk serve` process.
type server struct {
	cmd  *exec.Cmd
	addr string // SMTP
	// api is the HTTP API's base URL, http://127.0.0.1:PORT ("" when the
	// server runs with --http-addr "").
	api   string
	mu    sync.Mutex
	log   bytes.Buffer
	done  chan struct{}
	addrc chan string // the SMTP address, once it listens
}

var (
	listening     = regexp.MustCompile(`msg="smtp listening".* addr=(\S+)`)
	httpListening = regexp.MustCompile(`msg="http listening".* addr=(\S+)`)
)

// startServer starts `postdesk serve` on a free loopback port and waits until it
// listens. It is killed when the test ends, if it still runs.
func startServer(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	return startServerAs(t, nil, dataDir, extra...)
}

// startServerAs is startServer running as another user (nil: this one).
func startServerAs(t *testing.T, cred *syscall.Credential, dataDir string, extra ...string) *server {
	t.Helper()
	s := launchServer(t, cred, dataDir, extra...)
	s.waitListening(t)
	return s
}

// launchServer starts `postdesk serve` like startServerAs but returns at
// once; waitListening waits until it listens. Tests that start several
// servers at the same moment launch them all, then wait.
func launchServer(t *testing.T, cred *syscall.Credential, dataDir string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--data", dataDir, "--smtp-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, extra...)
	s := &server{cmd: exec.Command(binary, args...), done: make(chan struct{}), addrc: make(chan string, 1)}
	s.cmd.Env = append(os.Environ(), "POSTDESK_CONFIG=")
	if cred != nil {
		s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go s.readLog(stderr, s.addrc)
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			t.Logf("server log:\n%s", s.logText())
		}
	})
	return s
}

// waitListening waits until a launched server listens on SMTP.
func (s *server) waitListening(t *testing.T) {
	t.Helper()
	select {
	case s.addr = <-s.addrc:
	case <-s.done:
		t.Fatalf("server ended before it listened:\n%s", s.logText())
	case <-time.After(20 * time.Second):
		t.Fatalf("server did not start listening:\n%s", s.logText())
	}
}

func (s *server) readLog(r io.Reader, addrc chan<- string) {
	defer close(s.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		s.mu.Lock()
		s.log.WriteString(sc.Text() + "\n")
		s.mu.Unlock()
		if m := httpListening.FindStringSubmatch(sc.Text()); m != nil {
			s.mu.Lock()
			s.api = "http://" + m[1] // logged before smtp listens
			s.mu.Unlock()
		}
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			addrc <- m[1]
		}
	}
	s.cmd.Wait()
}

// apiURL is the base URL of the server's HTTP API.
func (s *server) apiURL(t *testing.T) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.api == "" {
		t.Fatal("the server serves no HTTP API")
	}
	return s.api
}

func (s *server) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// stop ends the server cleanly and waits for it.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop on SIGINT")
	}
}

// setupAcme adds the property used by most tests, with one agent.
func setupAcme(t *testing.T, dataDir string) {
	t.Helper()
	cli(t, dataDir, "property", "add", "--slug", "acme", "--name", "Acme Support", "--address", "support@acme.test")
	cli(t, dataDir, "member", "add", "--property", "acme", "--email", "alice@acme.test", "--name", "Alice", "--role", "agent")
}

// send delivers raw from a real SMTP client (net/smtp) and returns the error
// of the whole transaction.
func send(addr, from string, to []string, raw []byte) error {
	return smtp.SendMail(addr, nil, from, to, raw)
}

// mustSend sends raw over SMTP and ends the test if it is not accepted.
func mustSend(t *testing.T, addr, from string, to []string, raw string) {
	t.Helper()
	if err := send(addr, from, to, []byte(raw)); err != nil {
		t.Fatalf("sending from %s: %v", from, err)
	}
}

func readTestdata(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
