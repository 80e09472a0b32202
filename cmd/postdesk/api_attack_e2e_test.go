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

// keepAlive opens a connection to the HTTP API, asks GET /healthz on it
// and keeps it open (a keep-alive connection waiting for its next
// request). It returns the connection, or nil when no answer came.
func keepAlive(t *testing.T, base string) net.Conn {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		return nil
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: "+u.Host+"\r\n\r\n"); err != nil {
		conn.Close()
		return nil
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		conn.Close()
		return nil
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	conn.SetDeadline(time.Time{})
	return conn
}

// TestAPIConnectionsCapped: a client without a token cannot hold any
// number of connections (each a file descriptor and a goroutine of the
// process that also takes mail): past --http-max-connections a new one is
// closed unanswered, the mail still comes in, and a connection closed
// frees its place.
func TestAPIConnectionsCapped(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data, "--http-max-connections", "4")
	base := srv.apiURL(t)
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := range 4 {
		c := keepAlive(t, base)
		if c == nil {
			t.Fatalf("connection %d: no answer, want one (the cap is 4)", i+1)
		}
		held = append(held, c)
	}
	if c := keepAlive(t, base); c != nil {
		c.Close()
		t.Fatalf("connection 5 was answered: the cap of 4 does not hold")
	}
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, newTicketMail("support@acme.test", "Still in", "in@customer.test"))
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if c := keepAlive(t, base); c != nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a connection closed did not free its place")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
