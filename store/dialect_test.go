package store

import (
	"slices"
	"testing"
)

func TestRebind(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`a = ? AND b = ?`, `a = $1 AND b = $2`},
		{`MIN(x, ?1), MAX(y, ?1) WHERE z = ?2`, `MIN(x, $1), MAX(y, $1) WHERE z = $2`},
		{`x = '?' AND y = ? AND "q?" = ?`, `x = '?' AND y = $1 AND "q?" = $2`},
		{`x = 'it''s ?' AND y = ?`, `x = 'it''s ?' AND y = $1`},
	} {
		if got := postgres.rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := sqlite.rebind(tt.in); got != tt.in {
			t.Errorf("SQLite rebind(%q) = %q, want it unchanged", tt.in, got)
		}
	}
}

// TestMigrationsPaired: both dialects have the same numbered steps, so a
// database of either is at the same version after each.
func TestMigrationsPaired(t *testing.T) {
	versions := func(d dialect) []int {
		steps, err := migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		var v []int
		for _, m := range steps {
			v = append(v, m.version)
		}
		return v
	}
	lite, pg := versions(sqlite), versions(postgres)
	if len(lite) == 0 || !slices.Equal(lite, pg) {
		t.Fatalf("migration steps differ:\nsqlite   %v\npostgres %v", lite, pg)
	}
}

func TestIsPostgres(t *testing.T) {
	for in, want := range map[string]bool{
		"postgres://u@h/d": true, "postgresql://u@h/d": true, "": false, "/var/lib/postdesk.db": false, "postgres:/x": false,
	} {
		if got := IsPostgres(in); got != want {
			t.Errorf("IsPostgres(%q) = %v", in, got)
		}
	}
}

// TestArgsCopies: converting arguments for PostgreSQL leaves the caller's
// slice as it was (a caller may use it again, on another statement).
func TestArgsCopies(t *testing.T) {
	in := []any{true, "a\x00b", int64(3)}
	got := postgres.args(in)
	if want := []any{int64(1), "a\uFFFDb", int64(3)}; !slices.Equal(got, want) {
		t.Errorf("args = %v, want %v", got, want)
	}
	if want := []any{true, "a\x00b", int64(3)}; !slices.Equal(in, want) {
		t.Errorf("the caller's arguments became %v, want %v unchanged", in, want)
	}
}
