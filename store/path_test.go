package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestOpenPathWithURICharacters: a data directory whose name holds
// characters that mean something in an SQLite URI ("#", "?", "%") opens the
// file it names, not a truncated path.
func TestOpenPathWithURICharacters(t *testing.T) {
	sqliteOnly(t)
	for _, name := range []string{"in #1", "what?", "100%25 sure", "a%b"} {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "postdesk.db")
		st, err := Open(context.Background(), Options{Path: path, Now: time.Now})
		if err != nil {
			t.Fatalf("Open(%q): %v", path, err)
		}
		st.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("Open(%q) did not create that file: %v", path, err)
		}
		entries, _ := os.ReadDir(filepath.Dir(dir))
		for _, e := range entries {
			if e.Name() != name {
				t.Errorf("Open(%q) created %q beside it", path, e.Name())
			}
		}
	}
}
