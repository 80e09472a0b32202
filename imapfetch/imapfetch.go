// Package imapfetch brings mail in from IMAP mailboxes (IMAP4rev1, RFC 3501;
// IMAP4rev2, RFC 9051) with go-imap v2's client. It knows nothing of
// storage: each message is handed, with the fetch position it advances, to
// a Sink the caller provides, which must commit both together.
//
// The mailbox is read, never changed: it is opened with EXAMINE (RFC 9051
// §6.3.3) and bodies are fetched with BODY.PEEK[] (§6.4.5), so flags stay as
// they were and mail a person already read (\Seen) is fetched like any
// other. Only when a MoveTo folder is given is the mailbox SELECTed and each
// stored message moved there (RFC 6851 MOVE) after its commit.
//
// Progress is the pair (UIDVALIDITY, last UID stored) (RFC 9051 §2.3.1.1):
// UIDs only grow within one UIDVALIDITY, so everything above the last UID
// stored is new. A new UIDVALIDITY means the UIDs were renumbered: the
// mailbox is fetched again from the start, and the sink recognises the
// messages it already holds.
package imapfetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// TLS modes of a mailbox URL.
const (
	TLSImplicit = "implicit" // imaps: TLS from the first byte (RFC 8314)
	TLSStartTLS = "starttls" // imap: STARTTLS, required (RFC 9051 §6.2.1)
	TLSNone     = "none"     // imap with ?tls=none: plain text, for loopback tests only
)

// Target is where a mailbox is: server, user and folder, parsed from an
// imaps://user@host[:port]/FOLDER URL (RFC 5092's form, without the
// password, which never belongs in a URL).
type Target struct {
	Addr   string // host:port
	Host   string // for TLS verification
	TLS    string // TLSImplicit, TLSStartTLS or TLSNone
	User   string
	Folder string
}

// String is the canonical URL of t, as stored.
func (t Target) String() string {
	u := url.URL{Scheme: "imaps", User: url.User(t.User), Host: t.Addr, Path: "/" + t.Folder}
	switch t.TLS {
	case TLSStartTLS:
		u.Scheme = "imap"
	case TLSNone:
		u.Scheme, u.RawQuery = "imap", "tls=none"
	}
	return u.String()
}

// ParseURL reads a mailbox URL: imaps://user@host[:port]/FOLDER (port 993)
// or imap://user@host[:port]/FOLDER (port 143, STARTTLS required; add
// ?tls=none for plain text). The folder defaults to INBOX; a password in
// the URL is refused.
func ParseURL(s string) (Target, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Target{}, fmt.Errorf("mailbox URL: %w", err)
	}
	var t Target
	port := "993"
	switch u.Scheme {
	case "imaps":
		t.TLS = TLSImplicit
	case "imap":
		t.TLS, port = TLSStartTLS, "143"
	default:
		return Target{}, fmt.Errorf("mailbox URL %q: the scheme must be imaps or imap", s)
	}
	if u.User == nil || u.User.Username() == "" {
		return Target{}, fmt.Errorf("mailbox URL %q: no user (imaps://USER@host/INBOX)", s)
	}
	if _, has := u.User.Password(); has {
		return Target{}, errors.New("mailbox URL: a password does not belong in the URL (give --password-file or --password-env)")
	}
	t.User = u.User.Username()
	if err := checkQuery(u, &t); err != nil {
		return Target{}, err
	}
	t.Host = u.Hostname()
	if t.Host == "" {
		return Target{}, fmt.Errorf("mailbox URL %q: no host", s)
	}
	if net.ParseIP(t.Host) == nil {
		if err := ticket.CheckDomain(t.Host); err != nil {
			return Target{}, fmt.Errorf("mailbox URL %q: bad host: %w", s, err)
		}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Target{}, fmt.Errorf("mailbox URL %q: bad port %q", s, p)
		}
		port = p
	}
	t.Addr = net.JoinHostPort(t.Host, port)
	t.Folder = strings.Trim(u.Path, "/")
	if t.Folder == "" {
		t.Folder = "INBOX"
	}
	if strings.ContainsAny(t.Folder, "\r\n\x00") {
		return Target{}, fmt.Errorf("mailbox URL %q: the folder has a control character", s)
	}
	return t, nil
}

// checkQuery reads the one parameter a URL may carry, tls=none (imap only).
func checkQuery(u *url.URL, t *Target) error {
	for k, v := range u.Query() {
		if k != "tls" || len(v) != 1 || v[0] != TLSNone || u.Scheme != "imap" {
			return fmt.Errorf("mailbox URL: unknown parameter %s=%s (only imap://…?tls=none)", k, strings.Join(v, ","))
		}
		t.TLS = TLSNone
	}
	return nil
}

// Mailbox is one mailbox to fetch.
type Mailbox struct {
	ID     int64
	Target Target
	// Password returns the password at each login, so that a changed
	// password file is read again.
	Password func() (string, error)
	// MoveTo, when set, is the folder each stored message is moved to.
	MoveTo string
}

// Progress is a fetch position: the message with UID under UIDValidity
// is stored.
type Progress struct {
	UIDValidity uint32
	UID         uint32
}

// Sink stores what is fetched. Its methods are called from one goroutine
// per mailbox.
type Sink interface {
	// Deliver stores one message and commits p with it, and returns once
	// both are on disk. envFrom is the envelope sender the last MTA
	// recorded (Return-Path), or else the From address. An error with a
	// method Permanent() bool returning true means the message can never
	// be stored.
	Deliver(ctx context.Context, mailboxID int64, envFrom string, raw []byte, p Progress) error
	// Skip commits p alone, for a message that can never be stored.
	Skip(ctx context.Context, mailboxID int64, p Progress, reason string) error
	// Progress returns the stored position of a mailbox.
	Progress(ctx context.Context, mailboxID int64) (Progress, error)
	// Report records the last error of a mailbox (nil: it works again),
	// for `postdesk mailbox status`.
	Report(ctx context.Context, mailboxID int64, err error)
}

// Source lists the mailboxes to fetch.
type Source interface {
	Mailboxes(ctx context.Context) ([]Mailbox, error)
}

// Leaser is what a Source may also be when several gateways share its
// mailboxes: a mailbox is fetched only by the gateway that holds its lease.
// The Manager takes a lease before it starts a mailbox's fetcher, renews it
// while the fetcher runs, and releases it when it stops one.
type Leaser interface {
	// Lease takes or renews this gateway's lease on fetching a mailbox for
	// d, and says whether it holds it (false: another gateway does).
	Lease(ctx context.Context, mailboxID int64, d time.Duration) (bool, error)
	// Release gives the lease up, so that another gateway takes it over.
	Release(ctx context.Context, mailboxID int64) error
}

// Options tunes fetching; zero values take the defaults.
type Options struct {
	// MaxMessageBytes skips larger messages [25 MiB].
	MaxMessageBytes int64
	// Poll is how often a server without IDLE is asked for new mail [1m].
	Poll time.Duration
	// IdleRecheck ends an IDLE that heard nothing and looks anyway [10m].
	IdleRecheck time.Duration
	// MinBackoff and MaxBackoff bound the wait before reconnecting after a
	// failure; it doubles with each failure in a row [1s, 5m].
	MinBackoff, MaxBackoff time.Duration
	// Rescan is how often the Source is read again for added and removed
	// mailboxes [30s].
	Rescan time.Duration
	// Lease is how long a mailbox's lease lasts (with a Leaser): the
	// Manager renews it every third of it, stops fetching when it could
	// not renew it for three quarters of it, and takes over, within a
	// Lease and a third, a mailbox whose gateway died [2m].
	Lease time.Duration
	// BatchBytes and BatchMessages bound one FETCH of bodies [16 MiB, 100].
	BatchBytes    int64
	BatchMessages int
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Poll, time.Minute)
	def(&o.IdleRecheck, 10*time.Minute)
	def(&o.MinBackoff, time.Second)
	def(&o.MaxBackoff, 5*time.Minute)
	def(&o.Rescan, 30*time.Second)
	def(&o.Lease, 2*time.Minute)
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 25 << 20
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 16 << 20
	}
	if o.BatchMessages <= 0 {
		o.BatchMessages = 100
	}
	return o
}

// permanent reports whether err says it will never succeed.
func permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}
