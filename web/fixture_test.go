package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// fixture is the web inbox over a real store (a SQLite file in
// t.TempDir()) with one property, acme, whose members are alice (agent)
// and boss (admin), on a clock the test moves.
type fixture struct {
	t    *testing.T
	st   *store.Store
	desk *desk.Desk
	web  *Server
	srv  *httptest.Server
	acme ticket.Property

	mu    sync.Mutex
	clock time.Time
}

func (f *fixture) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock
}

// advance moves the clock on.
func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clock = f.clock.Add(d)
}

func newFixture(t *testing.T, base string, ttl time.Duration) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, clock: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "postdesk.db"), Now: f.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("test key of 16+ bytes")})
	if err != nil {
		t.Fatal(err)
	}
	f.st, f.desk = st, desk.New(desk.Options{Store: st, Keys: keys, Now: f.now})
	p := ticket.Property{Slug: "acme", Name: "Acme Support", Addresses: []string{"support@acme.test"}}.WithDefaults()
	if f.acme, err = st.AddProperty(ctx, p); err != nil {
		t.Fatal(err)
	}
	for email, role := range map[string]ticket.Role{"alice@acme.test": ticket.RoleAgent, "boss@acme.test": ticket.RoleAdmin} {
		if _, err := st.AddMember(ctx, "acme", ticket.Member{Email: email, Name: strings.Split(email, "@")[0], Role: role}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	f.srv = httptest.NewServer(nil)
	t.Cleanup(f.srv.Close)
	if base == "" {
		base = f.srv.URL
	}
	f.web, err = New(Options{Store: st, Desk: f.desk, BaseURL: base, SessionTTL: ttl, Now: f.now,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Config.Handler = f.web.Handler()
	return f
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// browser is a client with its own cookies that does not follow
// redirects, so that tests see each answer.
type visitor struct {
	f *fixture
	c *http.Client
}

func (f *fixture) browser() *visitor {
	jar, err := cookiejar.New(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return &visitor{f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// page is an answer as a test reads it.
type answer struct {
	status int
	body   string
	header http.Header
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// csrf is the CSRF token of the page's first form.
func (p answer) csrf() string {
	if m := csrfField.FindStringSubmatch(p.body); m != nil {
		return m[1]
	}
	return ""
}

func (b *visitor) do(req *http.Request) answer {
	b.f.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.f.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, body: string(body), header: resp.Header}
}

func (b *visitor) get(path string) answer {
	b.f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.f.srv.URL+path, nil)
	if err != nil {
		b.f.t.Fatal(err)
	}
	return b.do(req)
}

func (b *visitor) post(path string, form url.Values) answer {
	b.f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.f.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// link makes a sign-in link's secret for email, as the CLI does.
func (f *fixture) link(email string) string {
	f.t.Helper()
	secret, ok, err := f.st.CreateLoginLink(context.Background(), email, desk.SignInLinkTTL, 1000)
	if err != nil || !ok {
		f.t.Fatalf("login link for %s: %v %v", email, ok, err)
	}
	return secret
}

// useLink opens a link's confirm page and presses its button.
func (b *visitor) useLink(secret string) answer {
	b.f.t.Helper()
	confirm := b.get("/login/" + secret)
	return b.post("/login/"+secret, url.Values{"csrf": {confirm.csrf()}})
}

// signIn signs the browser in as email by a link and returns the
// session's CSRF token.
func (b *visitor) signIn(email string) string {
	b.f.t.Helper()
	if p := b.useLink(b.f.link(email)); p.status != http.StatusSeeOther {
		b.f.t.Fatalf("signing in as %s: %d %s", email, p.status, p.body)
	}
	p := b.get("/p/acme/")
	if p.status != http.StatusOK {
		b.f.t.Fatalf("inbox after signing in as %s: %d", email, p.status)
	}
	return p.csrf()
}

// cookie is the value of the browser's cookie name for the server.
func (b *visitor) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.f.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// run runs the inbox's worker (sign-in mail) until the test ends.
func (f *fixture) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.web.Run(ctx) }()
	f.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			f.t.Errorf("web.Run: %v", err)
		}
	})
}

// waitOutbox waits until the property's outbox holds n rows, and returns
// them.
func (f *fixture) waitOutbox(n int) []store.OutboxRow {
	f.t.Helper()
	var rows []store.OutboxRow
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var err error
		if rows, err = f.st.Outbox(context.Background(), f.acme.ID, ""); err != nil {
			f.t.Fatal(err)
		}
		if len(rows) >= n {
			break
		}
	}
	return rows
}
