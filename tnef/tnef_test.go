package tnef

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// describe lists attachments as "name type cid size".
func describe(atts []Attachment) string {
	var out []string
	for _, a := range atts {
		out = append(out, fmt.Sprintf("%s %s %s %d", a.Name, a.ContentType, a.ContentID, len(a.Data)))
	}
	return strings.Join(out, "; ")
}

// TestDecodeReal decodes real winmail.dat files.
func TestDecodeReal(t *testing.T) {
	tests := []struct{ file, want, err string }{
		{"two-files.tnef", "AUTHORS application/octet-stream  244; README application/octet-stream  893", ""},
		{"one-file.tnef", "AUTHORS application/octet-stream  244", ""},
		{"attachments.tnef", "zappa_av1.jpg   2937; bookmark.htm   85805", ""},
		{"long-filename.tnef", "allproductsmar2000.dat   279", ""},
		{"data-before-name.tnef", "AUTOEXEC.BAT   0; CONFIG.SYS   0; boot.ini   289", ""},
		{"multi-value-attribute.tnef", "208225__5_seconds__Voice_Mail.mp3 audio/mp3  10656", ""},
		{"unicode-mapi-attr.tnef", "example.dat   1024", ""},
		{"unicode-mapi-attr-name.tnef", "spaconsole2.cfg   8387; image001.png image/png image001.png@01CF8C82.F4A2A290 3815; " +
			"image002.png image/png image002.png@01CF8C82.F4A2A290 3573; image003.png image/png image003.png@01CF8C82.F4A2A290 3792", ""},
		{"body.tnef", "", ""},
		{"garbage-at-end.tnef", "", "stray bytes"},
		{"panic.tnef", "image001.jpg image/jpeg image001.jpg@01D139A1.76DB0C80 11250; image002.jpg image/jpeg image002.jpg@01D139A1.76DB0C80 9583; " +
			"image003.png image/png image003.png@01D139A1.76DB0C80 7147", "claims"},
	}
	for _, tt := range tests {
		atts, err := Decode(read(t, tt.file))
		if got := describe(atts); got != tt.want {
			t.Errorf("%s: attachments %q, want %q", tt.file, got, tt.want)
		}
		if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: error %v, want one containing %q", tt.file, err, tt.err)
		}
	}
	// The files are what the stream holds: AUTHORS is a text file.
	atts, _ := Decode(read(t, "two-files.tnef"))
	if !utf8.Valid(atts[0].Data) || bytes.IndexByte(atts[0].Data, 0) >= 0 {
		t.Errorf("AUTHORS does not read as the text file it is: %q", atts[0].Data)
	}
}

func TestDecodeDamaged(t *testing.T) {
	if _, err := Decode([]byte("not tnef at all")); !errors.Is(err, ErrNotTNEF) {
		t.Errorf("Decode(plain text) = %v, want ErrNotTNEF", err)
	}
	good := read(t, "two-files.tnef")
	bad := append([]byte{}, good...)
	bad[len(bad)-5] ^= 0xff // inside the last attribute's data
	if _, err := Decode(bad); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("Decode(bad checksum) = %v, want a checksum error", err)
	}
	huge := append([]byte{}, good[:6]...)
	huge = append(huge, levelAttachment, 0x0f, 0x80, 0x06, 0x00)
	huge = binary.LittleEndian.AppendUint32(huge, 0xfffffff0)
	if _, err := Decode(append(huge, 0, 0)); err == nil {
		t.Error("Decode accepted an attribute longer than the stream")
	}
	for n := range len(good) {
		atts, _ := Decode(good[:n]) // cut anywhere: never a panic
		if len(atts) > 2 {
			t.Errorf("Decode(first %d bytes) found %d attachments", n, len(atts))
		}
	}
}

// FuzzDecode: any bytes give attachments or an error, never a panic, and
// no attachment holds more bytes than the input.
func FuzzDecode(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.tnef")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		atts, _ := Decode(b)
		total := 0
		for _, a := range atts {
			total += len(a.Data)
			if a.Name == "" {
				t.Error("attachment without a name")
			}
		}
		if total > len(b) {
			t.Errorf("%d bytes of attachments from %d bytes", total, len(b))
		}
	})
}
