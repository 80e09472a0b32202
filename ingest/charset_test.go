package ingest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	tw "github.com/postdesk/postdesk/internal/tneftest"
)

// TestUndecodedCharsets: real bytes the MIME parser left undecoded, which
// Python's email package reads: an ISO-2022-JP body with no charset, an
// RFC 2231 filename continued in ISO-2022-JP, a gb18030 subject with
// over-padded base64.
func TestUndecodedCharsets(t *testing.T) {
	tests := []struct{ file, subject, text, attachment string }{
		{"iso2022jp-undeclared.eml", "test", "こんにちは世界", ""},
		{"iso2022jp-no-content-type.eml", "test", "こんにちは世界", ""},
		{"rfc2231-iso2022jp-filename.eml", "invoice", "see attached", "請求書2026年3月.pdf"},
		{"gb18030-overpadded-subject.eml", "发票问题", "你好", ""},
		{"iso2022jp.eml", "こんにちは", "こんにちは世界", ""},
	}
	p := newParser()
	for _, tt := range tests {
		raw, err := os.ReadFile("testdata/" + tt.file)
		if err != nil {
			t.Fatal(err)
		}
		m, err := p.parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", tt.file, err)
		}
		if m.Subject != tt.subject || !strings.Contains(m.Text, tt.text) {
			t.Errorf("%s: subject %q, text %q; want %q, %q", tt.file, m.Subject, m.Text, tt.subject, tt.text)
		}
		if tt.attachment != "" && (len(m.Attachments) != 1 || m.Attachments[0].Filename != tt.attachment) {
			t.Errorf("%s: attachments %+v, want one named %q", tt.file, m.Attachments, tt.attachment)
		}
	}
}

func TestDecodeWords(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=?gb18030?B?t6LGsc7KzOI===?=", "发票问题"},
		{"=?GB18030?B?t6LGsc7KzOI=?= =?gb18030?B?t6LGsc7KzOI====?=", "发票问题发票问题"},
		{"Re: =?iso-8859-1?Q?caf=E9?= ok", "Re: café ok"},
		{"=?x-unknown?B?YWJj?=", "=?x-unknown?B?YWJj?="},
		{"=?utf-8?B?!!!?=", "=?utf-8?B?!!!?="},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := decodeWords(tt.in); got != tt.want {
			t.Errorf("decodeWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRFC2231Param(t *testing.T) {
	tests := []struct {
		value, want string
		ok          bool
	}{
		{"attachment; filename*0*=ISO-2022-JP''%1B%24B%40A5a%3Dq%1B%28B2026; filename*1*=%1B%24BG%2F%1B%28B3%1B%24B7n%1B%28B.pdf", "請求書2026年3月.pdf", true},
		{"attachment; filename*0*=utf-8'en'caf%C3%A9; filename*1=\" menu.pdf\"", "café menu.pdf", true},
		{"attachment; filename*1=b.txt; filename*0=a", "ab.txt", true},
		{"attachment; filename*=utf-8''x.txt", "", false},
		{"attachment; filename=\"plain.txt\"", "", false},
		{"attachment; filename*0*=iso-8859-1''caf%E9", "café", true},
	}
	for _, tt := range tests {
		got, ok := rfc2231Param(tt.value, "filename")
		if got != tt.want || ok != tt.ok {
			t.Errorf("rfc2231Param(%q) = %q, %v; want %q, %v", tt.value, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzCharsets: the decoders of header values never panic and always
// return valid UTF-8 from valid UTF-8.
func FuzzCharsets(f *testing.F) {
	f.Add("=?gb18030?B?t6LGsc7KzOI===?=")
	f.Add("attachment; filename*0*=ISO-2022-JP''%1B%24B%40A5a%3Dq%1B%28B2026; filename*1*=%1B%24BG%2F")
	f.Add("\x1b$B$3$s$K$A$O@$3&\x1b(B")
	f.Fuzz(func(t *testing.T, s string) {
		if out := decodeWords(s); utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Errorf("decodeWords(%q) = %q: not UTF-8", s, out)
		}
		if out, _ := rfc2231Param(s, "filename"); !utf8.ValidString(out) {
			t.Errorf("rfc2231Param(%q) = %q: not UTF-8", s, out)
		}
		if out, ok := decodeJIS(s); ok && !utf8.ValidString(out) {
			t.Errorf("decodeJIS(%q) = %q: not UTF-8", s, out)
		}
	})
}

// TestWinmailDat: the files inside Outlook's winmail.dat become the
// message's attachments, byte for byte, the winmail.dat kept too. The
// stream is written by internal/tneftest; its MIME type, Content-ID and
// long file name are what Outlook records in attAttachment.
func TestWinmailDat(t *testing.T) {
	authors := []byte("Carol Jones <carol@example.com>\r\n")
	logo := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0, 0xff}, 100)
	dat := tw.New().Body("The two files you asked for are attached.\r\n").
		Attachment(tw.Attachment{Title: "AUTHORS", Data: authors, Props: []tw.Prop{
			tw.String8(tw.PidTagAttachMimeTag, "application/octet-stream"),
		}}).
		Attachment(tw.Attachment{Title: "COMPAN~1.PNG", Data: logo, Props: []tw.Prop{
			tw.Unicode(tw.PidTagAttachLongFilename, "company logo.png"),
			tw.Unicode(tw.PidTagAttachContentID, "<logo@01D139A1>"),
		}}).Bytes()
	raw := winmailMessage(dat)
	m, err := newParser().parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range m.Attachments {
		got = append(got, a.Filename+" "+a.ContentType+" "+a.ContentID+" "+strconv.Itoa(len(a.Content)))
	}
	want := fmt.Sprintf("winmail.dat application/ms-tnef  %d; AUTHORS application/octet-stream  %d; company logo.png image/png logo@01D139A1 %d",
		len(dat), len(authors), len(logo))
	if strings.Join(got, "; ") != want || len(m.Warnings) != 0 {
		t.Fatalf("attachments %q, warnings %q; want %q", strings.Join(got, "; "), m.Warnings, want)
	}
	for i, w := range [][]byte{dat, authors, logo} {
		if !bytes.Equal(m.Attachments[i].Content, w) {
			t.Errorf("%s: content differs from the bytes written", m.Attachments[i].Filename)
		}
	}
}

// winmailMessage is an Outlook mail carrying dat as its winmail.dat.
func winmailMessage(dat []byte) []byte {
	var b bytes.Buffer
	b.WriteString("From: Carol Jones <carol@example.com>\r\nTo: support@acme.test\r\n" +
		"Subject: Logs attached\r\nMessage-ID: <outlook-tnef-1@example.com>\r\n" +
		"Date: Sat, 21 Nov 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
		"X-MS-Has-Attach: yes\r\nX-MS-TNEF-Correlator: <outlook-tnef-1@example.com>\r\n" +
		"Content-Type: multipart/mixed; boundary=\"_002_outlook_\"\r\n\r\n" +
		"--_002_outlook_\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n\r\n" +
		"The two files you asked for are attached.\r\n\r\n" +
		"--_002_outlook_\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\n" +
		"Content-Disposition: attachment; filename=\"winmail.dat\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(dat)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n\r\n--_002_outlook_--\r\n")
	return b.Bytes()
}

// TestWinmailDatCorpus: the real winmail.dat of Amazon WorkMail's bounces
// (message properties only, no files) reads without complaint.
func TestWinmailDatCorpus(t *testing.T) {
	paths, _ := filepath.Glob("../../shared/corpora/sisimai/maildir/bsd/lhost-amazonworkmail-0*.eml")
	if len(paths) == 0 {
		t.Skip("../shared/corpora is absent: no real winmail.dat to read")
	}
	p := newParser()
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := p.parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, w := range m.Warnings {
			if strings.Contains(w, "tnef") {
				t.Errorf("%s: %s", path, w)
			}
		}
	}
}

// TestEmptyAttachment: an attachment whose content decodes to nothing (an
// empty part, or base64 the MIME parser gives up on, which leaves the
// content nil) is stored as an empty file, the raw message keeping every
// byte; the mail is not deferred for ever with 451.
func TestEmptyAttachment(t *testing.T) {
	f := newFixture(t)
	for i, body := range []string{"", "!!!! not base64 at all !!!!\r\n", "QmCC\r\n\r\nX-Corpus-File: enmime/mail/attachment-only-no-disposition.raw\r\n"} {
		raw := fmt.Sprintf("From: a@example.com\r\nTo: support@acme.test\r\nSubject: empty %d\r\nMessage-ID: <empty-%d@example.com>\r\n"+
			"MIME-Version: 1.0\r\nContent-Type: image/jpeg; name=\"x.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s", i, i, body)
		f.deliver(t, []byte(raw), "support@acme.test")
	}
}
