package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/emersion/go-smtp"
)

// webPagesRun times the web inbox's pages on a running gateway, signed in
// as a member: it asks for a sign-in link at the form, receives it at a
// little SMTP sink of its own (start serve with --relay pointing there),
// spends it, and then fetches each page -runs times after one warm-up. It
// reports the server's own time (the Server-Timing header every page
// carries) and the round trip, p50 and p95. It writes nothing to the
// store but what serve writes for a sign-in.
//
//	postdesk serve --data /tmp/big --http-addr 127.0.0.1:8125 --smtp-addr 127.0.0.1:2625 --relay 'smtp://127.0.0.1:2626?tls=none' &
//	postdesk-load webpages -url http://127.0.0.1:8125 -sink 127.0.0.1:2626 -email fill1@agents.test -runs 50
func webPagesRun(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("postdesk-load webpages", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8025", "the gateway's web inbox")
	sink := fs.String("sink", "127.0.0.1:2626", "where to receive the sign-in mail (serve's --relay)")
	email := fs.String("email", "", "a member's address (links are limited to 5 an hour each)")
	slug := fs.String("property", "acme", "the property whose pages to time")
	runs := fs.Int("runs", 50, "runs of each page")
	pages := fs.String("pages", strings.Join(defaultWebPages, ","),
		"comma-separated paths; {prop}, {ticket} and {contact} are a property's slug, a ticket's number and a contact's address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 || *email == "" {
		return errors.New("-email is required and -runs at least 1")
	}
	links, stop, err := startSink(*sink)
	if err != nil {
		return err
	}
	defer stop()
	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	hc := &http.Client{Jar: jar, Timeout: time.Minute}
	if err := webSignIn(ctx, hc, *base, *email, links); err != nil {
		return err
	}
	vars, err := webPageVars(ctx, hc, *base, *slug)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "page\tstatus\tserver p50 ms\tserver p95 ms\tround trip p50 ms\tround trip p95 ms\t")
	for _, p := range strings.Split(*pages, ",") {
		path := vars.Replace(strings.TrimSpace(p))
		server, trip, status, err := timePage(ctx, hc, *base+path, *runs)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if status != http.StatusOK {
			fmt.Fprintf(w, "%s\t%d\t-\t-\t-\t-\t\n", p, status)
			continue
		}
		fmt.Fprintf(w, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", p, status, pct(server, 50), pct(server, 95), pct(trip, 50), pct(trip, 95))
	}
	return w.Flush()
}

// defaultWebPages are the pages timed unless -pages names others.
var defaultWebPages = []string{
	"/p/{prop}/", "/p/{prop}/?view=mine", "/p/{prop}/?folder=closed", "/p/{prop}/?overdue=1", "/p/{prop}/?q=xícara",
	"/p/{prop}/tickets/{ticket}", "/p/{prop}/contacts/{contact}", "/p/{prop}/compose",
	"/p/{prop}/admin/", "/p/{prop}/admin/members", "/p/{prop}/admin/departments", "/p/{prop}/admin/sla",
	"/p/{prop}/admin/topics", "/p/{prop}/admin/webhooks", "/p/{prop}/admin/held", "/p/{prop}/admin/suppressions",
	"/p/{prop}/admin/mailboxes", "/account",
}

// timePage fetches a page runs times after a warm-up and returns the
// server's times and the round trips.
func timePage(ctx context.Context, hc *http.Client, u string, runs int) (server, trip []time.Duration, status int, err error) {
	for i := 0; i <= runs; i++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, nil, 0, err
		}
		t0 := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return nil, nil, 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took := time.Since(t0)
		if err != nil {
			return nil, nil, 0, err
		}
		if status = resp.StatusCode; status != http.StatusOK {
			return nil, nil, status, nil
		}
		if i == 0 { // the first run warms the cache
			continue
		}
		d, ok := serverTiming(resp.Header.Get("Server-Timing"))
		if !ok {
			return nil, nil, 0, fmt.Errorf("no Server-Timing in the answer")
		}
		server, trip = append(server, d), append(trip, took)
	}
	return server, trip, status, nil
}

// serverTiming reads "app;dur=12.3" (milliseconds).
func serverTiming(h string) (time.Duration, bool) {
	_, v, ok := strings.Cut(h, "app;dur=")
	if !ok {
		return 0, false
	}
	v, _, _ = strings.Cut(v, ",")
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return time.Duration(f * float64(time.Millisecond)), err == nil
}

func pct(ds []time.Duration, p int) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return ms(s[(len(s)*p+99)/100-1])
}

var (
	csrfInput  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	linkInMail = regexp.MustCompile(`https?://\S+/login/[a-z0-9]+`)
)

// webSignIn asks for a link at the form, waits for it at the sink and
// spends it: the client then holds a session cookie.
func webSignIn(ctx context.Context, hc *http.Client, base, email string, links <-chan string) error {
	var form string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) { // serve may still be starting
		body, err := getBody(ctx, hc, base+"/login")
		if err == nil {
			form = body
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the sign-in page: %w", err)
		}
	}
	if err := postForm(ctx, hc, base+"/login", url.Values{"csrf": {csrfOf(form)}, "email": {email}}); err != nil {
		return err
	}
	var link string
	select {
	case link = <-links:
	case <-time.After(time.Minute):
		return fmt.Errorf("no sign-in mail for %s within a minute (is serve's --relay the sink? a member? 5 links an hour at most)", email)
	case <-ctx.Done():
		return ctx.Err()
	}
	u, err := url.Parse(link)
	if err != nil {
		return err
	}
	confirm, err := getBody(ctx, hc, base+u.Path)
	if err != nil {
		return err
	}
	return postForm(ctx, hc, base+u.Path, url.Values{"csrf": {csrfOf(confirm)}})
}

func csrfOf(page string) string {
	if m := csrfInput.FindStringSubmatch(page); m != nil {
		return m[1]
	}
	return ""
}

func getBody(ctx context.Context, hc *http.Client, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return string(b), err
}

func postForm(ctx context.Context, hc *http.Client, u string, form url.Values) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s", u, resp.Status)
	}
	return nil
}

// webPageVars finds a ticket and a contact of the property through the
// API (which accepts the session on GET) for the pages' placeholders.
func webPageVars(ctx context.Context, hc *http.Client, base, slug string) (*strings.Replacer, error) {
	body, err := getBody(ctx, hc, base+"/api/properties/"+url.PathEscape(slug)+"/tickets?limit=1&folder=open")
	if err != nil {
		return nil, err
	}
	var page struct {
		Items []struct {
			Number    int64  `json:"number"`
			Requester string `json:"requester"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Items) == 0 {
		return nil, fmt.Errorf("no open ticket of %s to time its page (%v)", slug, err)
	}
	t := page.Items[0]
	return strings.NewReplacer("{prop}", slug, "{ticket}", strconv.FormatInt(t.Number, 10), "{contact}", url.PathEscape(t.Requester)), nil
}

// startSink receives mail on addr and passes on each sign-in link in it.
func startSink(addr string) (<-chan string, func(), error) {
	links := make(chan string, 16)
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return sinkSession{links}, nil }))
	srv.Domain = "sink.test"
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("sink: %w", err)
	}
	go srv.Serve(ln)
	return links, func() { srv.Close() }, nil
}

type sinkSession struct{ links chan<- string }

func (sinkSession) Reset()                               {}
func (sinkSession) Logout() error                        { return nil }
func (sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s sinkSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	text := string(raw)
	if dec, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(text))); err == nil {
		text = string(dec)
	}
	if link := linkInMail.FindString(text); link != "" {
		select {
		case s.links <- link:
		default:
		}
	}
	return nil
}
