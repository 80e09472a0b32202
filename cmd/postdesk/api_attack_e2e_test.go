package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// slowBody sends a request whose body never comes whole (its headers say
// 1000 bytes, 10 come) over a raw connection, and returns the status line
// of the answer and how long it took to come, or "" when none came within
// wait.
func slowBody(t *testing.T, base, method, path, token string, wait time.Duration) (string, time.Duration) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := method + " " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"
	if token != "" {
		head += "Authorization: Bearer " + token + "\r\n"
	}
	start := time.Now()
	if _, err := io.WriteString(conn, head+"\r\n{\"text\": \""); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(wait))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", time.Since(start)
	}
	return strings.TrimSpace(line), time.Since(start)
}

// TestAPISlowBody: a client that sends headers and then a body that never
// ends (slowloris on the body) holds its connection no longer than the
// HTTP read timeout, with or without a token: neither a request refused
// before its body is read (401, 404) nor one whose handler reads it waits
// for it forever. A live event stream, which reads no body, outlives the
// read timeout.
func TestAPISlowBody(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data, "--http-read-timeout", "1s")
	token := newToken(t, data, "alice@acme.test")
	base := srv.apiURL(t)
	for _, tc := range []struct{ name, path, token string }{
		{"no token", "/api/properties/acme/tickets", ""},
		{"no route", "/nothing/here", ""},
		{"agent, read by the handler", "/api/properties/acme/tickets", token},
	} {
		line, took := slowBody(t, base, "POST", tc.path, tc.token, 10*time.Second)
		if took > 5*time.Second {
			t.Errorf("%s: the connection was held %v (answer %q), want it ended after the 1s read timeout", tc.name, took, line)
		}
	}

	live := openStream(t, base, token, "/api/events", "")
	time.Sleep(2500 * time.Millisecond)
	api := apiClient{t: t, base: base, token: token}
	api.json("POST", "/api/properties/acme/tickets", map[string]any{"email": "zed@customer.test", "name": "Zed", "phone": "5550100",
		"subject": "After the read timeout", "text": "Hello."}, http.StatusCreated, nil)
	if evs := live.until(2 * time.Second); len(evs) == 0 {
		t.Errorf("a live stream open longer than the read timeout got no events: it was cut")
	}
}
