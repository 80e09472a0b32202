package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// pgTool finds a PostgreSQL client program (pg_dump, pg_restore) on PATH or
// in Debian's /usr/lib/postgresql/*/bin, skipping the test without it.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(found) == 0 {
		t.Skipf("%s not found", name)
	}
	slices.Sort(found)
	return found[len(found)-1]
}

// TestDumpRestore: a database with mail in it survives pg_dump and
// pg_restore (which recreates the generated search columns with an empty
// search_path) and is searched as before.
func TestDumpRestore(t *testing.T) {
	if !onPostgres() {
		t.Skip("pg_dump and pg_restore are PostgreSQL's")
	}
	dump, restore := pgTool(t, "pg_dump"), pgTool(t, "pg_restore")
	st, p := openListFixture(t)
	ctx := context.Background()
	var name string
	if err := st.r.QueryRowContext(ctx, `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "dump")
	run(t, dump, "-Fc", "-f", file, "-d", testBackend.url(name))
	copyName := name + "_restored"
	if _, err := testBackend.admin.Exec(`CREATE DATABASE ` + copyName); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testBackend.admin.Exec(`DROP DATABASE IF EXISTS ` + copyName + ` WITH (FORCE)`) })
	run(t, restore, "--exit-on-error", "-d", testBackend.url(copyName), file)

	restored, err := Open(ctx, Options{Database: testBackend.url(copyName)})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	page, err := restored.ListTickets(ctx, TicketFilter{PropertyID: p.ID, Search: "cafe"})
	if err != nil {
		t.Fatal(err)
	}
	if got := numbers(page.Tickets); !slices.Equal(got, []int64{2}) {
		t.Errorf("search cafe after restore: %v, want [2]", got)
	}
}

// run runs a program, failing the test with its output.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", filepath.Base(name), err, fmt.Sprint(string(out)))
	}
}
