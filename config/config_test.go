package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	l := Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return l.Load(func(k string) string { return env[k] })
}

func TestPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "postdesk.conf")
	os.WriteFile(file, []byte("# comment\nsmtp-addr = :25\nmax-recipients = 7\ndata-timeout = 1m\n"), 0o600)
	cfg, err := load(t, []string{"--config", file, "--max-recipients", "9"},
		map[string]string{"POSTDESK_SMTP_ADDR": ":2626", "POSTDESK_MAX_RECIPIENTS": "8"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTPAddr != ":2626" {
		t.Errorf("smtp-addr = %q, want the environment over the file", cfg.SMTPAddr)
	}
	if cfg.MaxRecipients != 9 {
		t.Errorf("max-recipients = %d, want the flag over the environment", cfg.MaxRecipients)
	}
	if cfg.DataTimeout != time.Minute {
		t.Errorf("data-timeout = %v, want the file's", cfg.DataTimeout)
	}
	if cfg.MaxMessageBytes != 25<<20 || cfg.DataDir != "postdesk-data" {
		t.Errorf("defaults: %d bytes, data %q", cfg.MaxMessageBytes, cfg.DataDir)
	}
}

func TestEveryErrorReported(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bad.conf")
	os.WriteFile(file, []byte("no-such-setting = 1\n"), 0o600)
	_, err := load(t, []string{"--config", file, "--max-message-size", "huge", "--tls-cert", "c.pem"},
		map[string]string{"POSTDESK_DATA_TIMEOUT": "-5s", "POSTDESK_LOG_LEVEL": "loud"})
	if err == nil {
		t.Fatal("bad configuration accepted")
	}
	for _, want := range []string{"max-message-size (from --max-message-size)", "data-timeout (from POSTDESK_DATA_TIMEOUT)",
		"log-level", "tls-cert and tls-key", `unknown setting "no-such-setting"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{{"1024", 1024, true}, {"512KiB", 512 << 10, true}, {"25MiB", 25 << 20, true}, {"1GiB", 1 << 30, true}, {"25MB", 25 << 20, true}, {"0", 0, false}, {"x", 0, false}}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseSize(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
