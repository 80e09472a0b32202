package webapi

import (
	"bytes"
	"errors"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzContentDisposition: whatever a file is named, the header is ASCII,
// parses back (RFC 6266 with RFC 8187 through mime.ParseMediaType) as an
// attachment, and names the file as it was named (invalid UTF-8 made
// valid).
func FuzzContentDisposition(f *testing.F) {
	for _, s := range []string{"invoice.pdf", "Étiquette retour.pdf", `a"b\c.txt`, "line\r\nbreak", "日本語.txt", "100%.txt", "\xff\xfe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		h := contentDisposition(name)
		for i := 0; i < len(h); i++ {
			if h[i] < 0x20 || h[i] >= 0x7f {
				t.Fatalf("contentDisposition(%q) = %q: not printable ASCII", name, h)
			}
		}
		disp, params, err := mime.ParseMediaType(h)
		if err != nil || disp != "attachment" {
			t.Fatalf("contentDisposition(%q) = %q: reads as %q, %v", name, h, disp, err)
		}
		want := strings.ToValidUTF8(name, "_")
		if got := params["filename"]; got != want && !strings.ContainsFunc(want, func(r rune) bool { return r >= 0x80 || r < 0x20 || r == 0x7f || r == '"' || r == '\\' }) {
			t.Errorf("contentDisposition(%q) = %q: filename %q", name, h, got)
		}
		if utf8.ValidString(name) && params["filename"] != name && strings.ContainsFunc(name, func(r rune) bool { return r >= 0x80 }) {
			// mime.ParseMediaType decodes filename* into "filename".
			t.Errorf("contentDisposition(%q) = %q: reads back as %q", name, h, params["filename"])
		}
	})
}

// FuzzReadBody: any multipart body is read or refused as a bad request
// (400) or a body too large (413), never with a panic or a 500.
func FuzzReadBody(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhello\r\n--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nx\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"reply\"\r\n\r\n{\"text\":\"hi\"}\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"colour\"\r\n\r\nred\r\n--B--\r\n"))
	f.Add([]byte("--B\r\n\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", `multipart/form-data; boundary=B`)
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		c := &call{w: w, r: r}
		var req replyRequest
		if _, err := c.readBody("reply", &req); err != nil {
			var ae *apiError
			var mbe *http.MaxBytesError
			if !errors.As(err, &mbe) && (!errors.As(err, &ae) || ae.status != http.StatusBadRequest) {
				t.Fatalf("readBody: %v (%T), want a 400 or 413", err, err)
			}
		}
	})
}
