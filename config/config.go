// Package config loads postdesk's configuration: command-line flags, then
// POSTDESK_* environment variables, then an optional file, then defaults.
// The whole configuration is validated at once and every problem reported
// together. Subsystems never see this package: cmd/postdesk copies what each
// needs into that subsystem's own Options.
//
// The file holds one "name = value" a line, names as the flags are spelled;
// blank lines and lines starting with # are ignored.
package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/store"
)

// Config is postdesk's whole configuration.
type Config struct {
	DataDir  string // holds the database and the local mail spool
	Database string // a PostgreSQL URL shared by several gateways; empty: SQLite under DataDir
	LogLevel string
	LogJSON  bool

	SMTPAddr        string
	SMTPDomain      string
	TLSCert         string
	TLSKey          string
	MaxMessageBytes int64
	MaxRecipients   int
	MaxConnections  int
	MaxConnsPerIP   int
	CommandTimeout  time.Duration
	DataTimeout     time.Duration
	SMTPTrace       string        // file receiving the raw SMTP dialogue, for debugging
	PprofAddr       string        // loopback address serving net/http/pprof, for profiling
	HTTPAddr        string        // address of the HTTP API and the web inbox; empty: not served
	PublicURL       string        // the web inbox's address as members reach it, for links in mail
	HTTPReadTimeout time.Duration // how long a client may take to send an HTTP request, body included
	HTTPMaxConns    int           // HTTP connections open at once; more are closed unanswered
	BusyTimeout     time.Duration // how long a write waits for another process's database lock
	MemoryLimit     int64         // soft limit for the Go heap (runtime/debug.SetMemoryLimit)
	GCPercent       int           // garbage collection target percentage (GOGC)

	Relay           string // outbound SMTP relay URL; empty spools to a Maildir
	OutboundWorkers int
	InstanceID      string        // names this gateway in the loop header
	AcksPerHour     int           // acknowledgements to one base address per property and hour
	AckCeiling      int           // acknowledgements per property and hour, to any addresses
	NewTicketsHour  int           // new tickets from one sender per property and hour; more are held
	ParticipantsMax int           // participants one mail may add; a mail naming more is held
	AnswerRcptsMax  int           // addresses one agent answer may go to
	NoticeWindow    time.Duration // least time between two notices of one topic to one member; the rest are folded into a digest
	SchedulerEvery  time.Duration // how often the scheduler looks for snoozed tickets to wake and SLA times reached
	// Webhooks: an endpoint failing this long is disabled; events, finished
	// deliveries and the delivery log are kept this long.
	WebhookDisableAfter time.Duration
	WebhookRetention    time.Duration
	DKIMKey             string // PEM private key file signing outbound mail
	DKIMSelector        string

	// ThreadKeys sign reply tokens and Message-IDs; the first is current.
	// Empty means a key generated on first start and kept in the database.
	ThreadKeys []Key
}

// Key is one threading key.
type Key struct {
	ID     uint8
	Secret []byte
}

// MaildirPath is where outbound mail is written when no relay is set.
func (c Config) MaildirPath() string { return filepath.Join(c.DataDir, "outbound") }

// DatabasePath is where the SQLite database lives.
func (c Config) DatabasePath() string { return filepath.Join(c.DataDir, "postdesk.db") }

// setting is one configuration value: its flag name, default, help, and how
// to parse it into a Config.
type setting struct {
	name, def, help string
	set             func(c *Config, v string) error
}

func settings() []setting {
	return []setting{
		{"data", "postdesk-data", "directory for the database and the local mail spool", str(func(c *Config) *string { return &c.DataDir })},
		{"database", "", "PostgreSQL URL (postgres://user:password@host/db) that several gateways share; default: the SQLite file postdesk.db under --data", database},
		{"log-level", "info", "debug, info, warn or error", oneOf(func(c *Config) *string { return &c.LogLevel }, "debug", "info", "warn", "error")},
		{"log-json", "false", "log JSON lines instead of text", boolean(func(c *Config) *bool { return &c.LogJSON })},
		{"smtp-addr", "127.0.0.1:2525", "SMTP listen address", str(func(c *Config) *string { return &c.SMTPAddr })},
		{"smtp-domain", "", "host name in the SMTP greeting (default: this host's name)", str(func(c *Config) *string { return &c.SMTPDomain })},
		{"tls-cert", "", "PEM certificate file; with tls-key, enables STARTTLS", str(func(c *Config) *string { return &c.TLSCert })},
		{"tls-key", "", "PEM private key file for tls-cert", str(func(c *Config) *string { return &c.TLSKey })},
		{"max-message-size", "25MiB", "largest message accepted (bytes, or with KiB/MiB)", size(func(c *Config) *int64 { return &c.MaxMessageBytes })},
		{"max-recipients", "100", "recipients per message", positive(func(c *Config) *int { return &c.MaxRecipients })},
		{"max-connections", "256", "concurrent SMTP connections", positive(func(c *Config) *int { return &c.MaxConnections })},
		{"max-connections-per-ip", "32", "concurrent SMTP connections from one client (an IPv4 address or IPv6 /64)", positive(func(c *Config) *int { return &c.MaxConnsPerIP })},
		{"command-timeout", "5m", "how long to wait for an SMTP command", duration(func(c *Config) *time.Duration { return &c.CommandTimeout })},
		{"data-timeout", "10m", "how long a client may take to send a message after DATA", duration(func(c *Config) *time.Duration { return &c.DataTimeout })},
		{"thread-keys", "", "signing keys for reply addresses, id:secret[,id:secret...]; the first signs, all verify (default: one generated and kept in the database)", keys},
		{"relay", "", "outbound relay: smtp://[user:pass@]host[:port][?tls=opportunistic|required|none&auth=plain|login] or smtps://…; credentials only over TLS unless tls=none; empty writes outbound mail to a Maildir under data", str(func(c *Config) *string { return &c.Relay })},
		{"outbound-workers", "4", "concurrent outbound deliveries, each with its own relay connection", positive(func(c *Config) *int { return &c.OutboundWorkers })},
		{"instance-id", "", "this gateway's own name, which owns its claims on outbox rows: different on every gateway sharing a database (default: generated once and kept in data/instance-id); the loop header of its mail names the deployment (kept in the database) and then this name", str(func(c *Config) *string { return &c.InstanceID })},
		{"ack-limit", "10", "acknowledgements to one address (subaddress detail ignored, RFC 5233) per property and hour (RFC 3834: no storms)", positive(func(c *Config) *int { return &c.AcksPerHour })},
		{"ack-ceiling", "200", "acknowledgements per property and hour, to all addresses together (bounds backscatter from forged senders)", positive(func(c *Config) *int { return &c.AckCeiling })},
		{"new-ticket-limit", "20", "new tickets one sender may open per property and hour; more are held, not dropped", positive(func(c *Config) *int { return &c.NewTicketsHour })},
		{"participant-limit", "20", "participants one mail may add (its To and Cc) or one #cc command name; a mail naming more is held for review, not dropped", positive(func(c *Config) *int { return &c.ParticipantsMax })},
		{"answer-recipient-limit", "50", "addresses one agent answer may go to; an answer to more is kept as a note and not sent", positive(func(c *Config) *int { return &c.AnswerRcptsMax })},
		{"notice-window", "1h", "least time between two notices of one kind to one member: the first goes at once, later ones are folded into one digest", duration(func(c *Config) *time.Duration { return &c.NoticeWindow })},
		{"webhook-disable-after", "120h", "disable a webhook endpoint whose deliveries have failed this long without a success, and tell the property's admins", duration(func(c *Config) *time.Duration { return &c.WebhookDisableAfter })},
		{"webhook-retention", "168h", "how long desk events, finished webhook deliveries and the delivery log are kept (live streams resume within it)", duration(func(c *Config) *time.Duration { return &c.WebhookRetention })},
		{"scheduler-interval", "1s", "how often to look for snoozed tickets to wake, SLA warnings to send and tickets gone overdue", duration(func(c *Config) *time.Duration { return &c.SchedulerEvery })},
		{"dkim-key", "", "PEM private key (RSA or Ed25519) to DKIM-sign outbound mail in each property's From domain", str(func(c *Config) *string { return &c.DKIMKey })},
		{"dkim-selector", "", "DKIM selector: publish the key at <selector>._domainkey.<domain>", str(func(c *Config) *string { return &c.DKIMSelector })},
		{"db-busy-timeout", "10s", "how long a write waits for a database lock held by another process before the mail is deferred with 451", duration(func(c *Config) *time.Duration { return &c.BusyTimeout })},
		{"memory-limit", "256MiB", "soft memory limit: past it the garbage collector works harder (GOMEMLIMIT)", size(func(c *Config) *int64 { return &c.MemoryLimit })},
		{"gc-percent", "400", "heap growth between collections (GOGC); memory-limit still caps the heap", positive(func(c *Config) *int { return &c.GCPercent })},
		{"http-addr", "127.0.0.1:8025", "address of the web inbox, the HTTP API, /metrics and health checks; empty turns them off", str(func(c *Config) *string { return &c.HTTPAddr })},
		{"public-url", "", "the web inbox's address as members reach it (https://desk.example.com), for sign-in links in mail; default http:// and the http-addr", str(func(c *Config) *string { return &c.PublicURL })},
		{"http-read-timeout", "2m", "how long an HTTP client may take to send a request, body included (live event streams are exempt once open)", duration(func(c *Config) *time.Duration { return &c.HTTPReadTimeout })},
		{"http-max-connections", "512", "HTTP connections open at once; one more is closed unanswered", positive(func(c *Config) *int { return &c.HTTPMaxConns })},
		{"pprof-addr", "", "address serving Go's profiler (/debug/pprof/), e.g. 127.0.0.1:6060; off when empty", str(func(c *Config) *string { return &c.PprofAddr })},
		{"smtp-trace", "", "file to write the raw SMTP dialogue to, bodies included (debugging only)", str(func(c *Config) *string { return &c.SMTPTrace })},
	}
}

// Loader binds the settings to a flag set.
type Loader struct {
	fs    *flag.FlagSet
	flags map[string]*string
	file  *string
}

// Register adds --config and one flag per setting to fs.
func Register(fs *flag.FlagSet) *Loader {
	l := &Loader{fs: fs, flags: map[string]*string{}}
	l.file = fs.String("config", "", "configuration file (name = value lines)")
	for _, s := range settings() {
		l.flags[s.name] = fs.String(s.name, s.def, s.help)
	}
	return l
}

// Load resolves every setting after the flag set is parsed. getenv is
// os.Getenv in production. All errors are returned together.
func (l *Loader) Load(getenv func(string) string) (Config, error) {
	given := map[string]bool{}
	l.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	path := *l.file
	if path == "" {
		path = getenv("POSTDESK_CONFIG")
	}
	file, err := readFile(path)
	if err != nil {
		return Config{}, err
	}
	var c Config
	var errs []error
	known := map[string]bool{}
	for _, s := range settings() {
		known[s.name] = true
		v, from := s.def, "default"
		if fv, ok := file[s.name]; ok {
			v, from = fv, path
		}
		if ev := getenv(EnvName(s.name)); ev != "" {
			v, from = ev, EnvName(s.name)
		}
		if given[s.name] {
			v, from = *l.flags[s.name], "--"+s.name
		}
		if err := s.set(&c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s (from %s): %w", s.name, from, err))
		}
	}
	for _, name := range sortedKeys(file) {
		if !known[name] {
			errs = append(errs, fmt.Errorf("%s: unknown setting %q", path, name))
		}
	}
	errs = append(errs, c.validate()...)
	return c, errors.Join(errs...)
}

// EnvName is the environment variable for a setting: POSTDESK_ and the name
// upper-cased with dashes as underscores.
func EnvName(name string) string {
	return "POSTDESK_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

func (c *Config) validate() []error {
	var errs []error
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("tls-cert and tls-key must be given together"))
	}
	if c.Relay != "" && !strings.HasPrefix(c.Relay, "smtp://") && !strings.HasPrefix(c.Relay, "smtps://") {
		errs = append(errs, errors.New("relay: must start with smtp:// or smtps://"))
	}
	if (c.DKIMKey == "") != (c.DKIMSelector == "") {
		errs = append(errs, errors.New("dkim-key and dkim-selector must be given together"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data: must not be empty"))
	}
	return errs
}

func readFile(path string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var errs []error
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("%s:%d: want name = value", path, n))
			continue
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("config file: %w", err))
	}
	return out, errors.Join(errs...)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// database accepts a postgres:// or postgresql:// URL, or nothing.
func database(c *Config, v string) error {
	if v != "" && !store.IsPostgres(v) {
		return fmt.Errorf("want a postgres:// URL (the SQLite default needs no --database)")
	}
	c.Database = v
	return nil
}

func str(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}

func oneOf(field func(*Config) *string, allowed ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, a := range allowed {
			if strings.EqualFold(v, a) {
				*field(c) = a
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

func boolean(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		*field(c) = b
		return err
	}
}

func positive(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err == nil && n <= 0 {
			err = fmt.Errorf("%d is not positive", n)
		}
		*field(c) = n
		return err
	}
}

func duration(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err == nil && d <= 0 {
			err = fmt.Errorf("%s is not positive", v)
		}
		*field(c) = d
		return err
	}
}

// size parses a byte count with an optional KiB, MiB or GiB suffix.
func size(field func(*Config) *int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := ParseSize(v)
		*field(c) = n
		return err
	}
}

// ParseSize parses "1048576", "512KiB", "25MiB" or "1GiB".
func ParseSize(v string) (int64, error) {
	mult := int64(1)
	s := strings.TrimSpace(v)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, suffix)), m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a positive size", v)
	}
	return n * mult, nil
}

// keys parses "id:secret,id:secret": ids 1 to 255, secrets of 16 bytes or
// more, no id twice.
func keys(c *Config, v string) error {
	c.ThreadKeys = nil
	seen := map[uint8]bool{}
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		idText, secret, ok := strings.Cut(item, ":")
		id, err := strconv.ParseUint(idText, 10, 8)
		switch {
		case !ok || err != nil || id == 0:
			return fmt.Errorf("%q: want id:secret with an id from 1 to 255", redact(item))
		case len(secret) < 16:
			return fmt.Errorf("key %d: the secret must be at least 16 characters", id)
		case seen[uint8(id)]:
			return fmt.Errorf("key %d given twice", id)
		}
		seen[uint8(id)] = true
		c.ThreadKeys = append(c.ThreadKeys, Key{ID: uint8(id), Secret: []byte(secret)})
	}
	return nil
}

// redact keeps secrets out of error messages.
func redact(item string) string {
	if id, _, ok := strings.Cut(item, ":"); ok {
		return id + ":…"
	}
	return "…"
}
