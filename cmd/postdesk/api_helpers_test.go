package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// apiClient calls a running server's HTTP API with a member's token.
type apiClient struct {
	t     *testing.T
	base  string // http://127.0.0.1:PORT
	token string // "" sends no Authorization
}

// newToken makes an API token for a member with the CLI.
func newToken(t *testing.T, dataDir, email string) string {
	t.Helper()
	var out struct{ Token string }
	cliJSON(t, dataDir, &out, "token", "create", "--member", email)
	if !strings.HasPrefix(out.Token, "pdk_") {
		t.Fatalf("token create printed %q", out.Token)
	}
	return out.Token
}

// apiResponse is an answer: its status, headers and body.
type apiResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request; body is sent as JSON unless it is an io.Reader
// (then contentType says what it is) or nil.
func (c apiClient) do(method, path string, body any, header ...string) apiResponse {
	c.t.Helper()
	var r io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case io.Reader:
		r = b
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r, contentType = bytes.NewReader(buf), "application/json"
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	hc := http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// json sends a request, wants the status given and decodes the answer
// into out (unless out is nil).
func (c apiClient) json(method, path string, body any, want int, out any, header ...string) apiResponse {
	c.t.Helper()
	resp := c.do(method, path, body, header...)
	if resp.Status != want {
		c.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, resp.Status, want, resp.Body)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			c.t.Fatalf("%s %s: %v\n%s", method, path, err, resp.Body)
		}
	}
	return resp
}
