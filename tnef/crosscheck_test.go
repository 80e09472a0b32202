package tnef

import (
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestAgainstTnefCommand reads every stream of streams_test.go with an
// independent implementation, the tnef command (Debian's tnef package,
// github.com/verdammelt/tnef), and wants the same files: names and bytes
// from its extraction, MIME types and Content-IDs from its listing. This
// keeps internal/tneftest honest: what it writes is TNEF as others read it.
func TestAgainstTnefCommand(t *testing.T) {
	bin, err := exec.LookPath("tnef")
	if err != nil {
		t.Skip("the tnef command is not on PATH (apt-get install tnef): no independent TNEF reader to compare with")
	}
	for _, s := range streams() {
		t.Run(s.name, func(t *testing.T) {
			if s.differs != "" {
				t.Skip(s.differs)
			}
			dir := t.TempDir()
			in := filepath.Join(dir, "winmail.dat")
			out := filepath.Join(dir, "out")
			if err := os.WriteFile(in, s.b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(out, 0o700); err != nil {
				t.Fatal(err)
			}
			atts, decErr := Decode(s.b)
			msg, runErr := exec.Command(bin, "-C", out, "--overwrite", in).CombinedOutput()
			var exit *exec.ExitError
			if runErr != nil && !errors.As(runErr, &exit) {
				t.Fatalf("tnef: %v", runErr)
			}
			if runErr != nil && decErr == nil {
				t.Errorf("tnef failed (%v: %s), Decode did not", runErr, msg)
			}
			if got, want := ourFiles(atts), extracted(t, out); got != want {
				t.Errorf("Decode gave files\n  %s\ntnef extracted\n  %s", got, want)
			}
			list, _ := exec.Command(bin, "--list-with-mime-types", in).Output()
			if got, want := ourListing(atts), listing(string(list)); got != want {
				t.Errorf("Decode gave name|type|cid\n  %s\ntnef listed\n  %s", got, want)
			}
		})
	}
}

// ourFiles and extracted describe files as "name size sum", sorted by name
// as a directory lists them.
func ourFiles(atts []Attachment) string {
	m := map[string][]byte{}
	for _, a := range atts {
		m[a.Name] = a.Data
	}
	return filesString(m)
}

func extracted(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = b
	}
	return filesString(m)
}

func filesString(m map[string][]byte) string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	var out []string
	for _, n := range names {
		out = append(out, fmt.Sprintf("%s %d %08x", n, len(m[n]), crc32.ChecksumIEEE(m[n])))
	}
	return strings.Join(out, "; ")
}

// ourListing and listing describe files as "name|type|cid" in stream
// order; tnef says "unknown" for no MIME type and keeps the case and the
// angle brackets Outlook wrote, which Decode drops.
func ourListing(atts []Attachment) string {
	var out []string
	for _, a := range atts {
		out = append(out, a.Name+"|"+a.ContentType+"|"+a.ContentID)
	}
	return strings.Join(out, "; ")
}

func listing(s string) string {
	var out []string
	for _, line := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		f := strings.Split(line, "\t|\t")
		if len(f) < 3 {
			continue
		}
		typ := strings.ToLower(f[2])
		if typ == "unknown" {
			typ = ""
		}
		cid := ""
		if len(f) > 3 {
			cid = strings.Trim(f[3], "<> \t")
		}
		out = append(out, f[0]+"|"+typ+"|"+cid)
	}
	return strings.Join(out, "; ")
}
