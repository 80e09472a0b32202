package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// stepFiles counts the migration steps of a dialect in the source tree.
func stepFiles(t *testing.T, dialect string) int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("..", "..", "store", "migrations", dialect, "*.sql"))
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations of %s: %v (%d files)", dialect, err, len(names))
	}
	return len(names)
}

// checkMigrateOutput runs migrate twice: the first applies every step and
// names each, the second finds the database up to date.
func checkMigrateOutput(t *testing.T, steps int, run func() string) {
	t.Helper()
	out := run()
	applied := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "applied ") {
			applied++
		}
	}
	if applied != steps || !strings.Contains(out, strconv.Itoa(steps)+" migrations applied") {
		t.Fatalf("first migrate applied %d of %d steps:\n%s", applied, steps, out)
	}
	if again := run(); !strings.HasSuffix(again, ": up to date\n") {
		t.Fatalf("second migrate = %q, want …: up to date", again)
	}
}

// TestMigrateCommand: `postdesk migrate` applies the pending steps of a new
// SQLite database, says which, then finds it up to date; `postdesk -h`
// lists it.
func TestMigrateCommand(t *testing.T) {
	data := t.TempDir()
	checkMigrateOutput(t, stepFiles(t, "sqlite"), func() string { return cli(t, data, "migrate") })
	if _, err := os.Stat(filepath.Join(data, "postdesk.db")); err != nil {
		t.Fatal(err)
	}
	if _, err := cliErr(data, "-h"); err == nil || !strings.Contains(err.Error(), "postdesk migrate") {
		t.Fatalf("postdesk -h does not list migrate:\n%v", err)
	}
}

// TestMigrateCommandPostgres: the same on a new PostgreSQL database, named
// in the output without its password.
func TestMigrateCommandPostgres(t *testing.T) {
	db := newPostgresDB(t)
	var outs []string
	checkMigrateOutput(t, stepFiles(t, "postgres"), func() string {
		out := cliOn(t, db, "migrate")
		outs = append(outs, out)
		return out
	})
	for _, out := range outs {
		if !strings.Contains(out, "postgres://") || strings.Contains(out, ":postdesk@") || passwordShown(db, out) {
			t.Errorf("migrate output should name the database without its password:\n%s", out)
		}
	}
}

// passwordShown reports whether out contains the password of URL db.
func passwordShown(db, out string) bool {
	m := regexp.MustCompile(`//[^:/@]+:([^@]+)@`).FindStringSubmatch(db)
	return m != nil && strings.Contains(out, ":"+m[1]+"@")
}

// applied matches the store's log line of one applied step.
var appliedLog = regexp.MustCompile(`msg="applied migration".* version=(\d+)`)

// TestServeMigratesOnceTogether: two gateways started at the same moment on
// one fresh PostgreSQL database both come up; each step is applied once,
// by one of them (the advisory lock), and recorded once.
func TestServeMigratesOnceTogether(t *testing.T) {
	db := newPostgresDB(t)
	a := launchServer(t, nil, t.TempDir(), "--database", db)
	b := launchServer(t, nil, t.TempDir(), "--database", db)
	a.waitListening(t)
	b.waitListening(t)

	steps := stepFiles(t, "postgres")
	by, each := map[string]int{}, []int{}
	for _, s := range []*server{a, b} {
		ms := appliedLog.FindAllStringSubmatch(s.logText(), -1)
		for _, m := range ms {
			by[m[1]]++
		}
		each = append(each, len(ms))
	}
	t.Logf("of %d steps, gateway A applied %d and B %d", steps, each[0], each[1])
	if len(by) != steps {
		t.Errorf("the logs show %d distinct steps applied, want %d", len(by), steps)
	}
	for v, n := range by {
		if n != 1 {
			t.Errorf("step %s applied %d times (logs)", v, n)
		}
	}
	counts, err := openStoreOn(t, db).MigrationCounts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != steps {
		t.Errorf("schema_migrations holds %d steps, want %d", len(counts), steps)
	}
	for v, n := range counts {
		if n != 1 {
			t.Errorf("schema_migrations holds step %d %d times", v, n)
		}
	}
	// Each says which database it uses, without the password.
	for _, s := range []*server{a, b} {
		line := regexp.MustCompile(`msg="store open".*`).FindString(s.logText())
		if !strings.Contains(line, "dialect=postgres") || !strings.Contains(line, "database=postgres://") || passwordShown(db, line) {
			t.Errorf("serve's store line = %q, want the PostgreSQL database without its password", line)
		}
	}
}

// TestCheckPostgres: `postdesk check --database` checks the PostgreSQL
// database, says which, and says what its integrity row means there.
func TestCheckPostgres(t *testing.T) {
	db := newPostgresDB(t)
	cliOn(t, db, "property", "add", "--slug", "acme", "--name", "Acme Support", "--address", "support@acme.test")
	out := cliOn(t, db, "check")
	if !strings.Contains(out, "database") || !strings.Contains(out, "postgres://") || passwordShown(db, out) {
		t.Errorf("check should name the database without its password:\n%s", out)
	}
	if strings.Contains(out, "quick_check") || !strings.Contains(out, "integrity errors (invalid indexes") {
		t.Errorf("check on PostgreSQL should say what its integrity row checked:\n%s", out)
	}
}

// TestCheckSQLiteSaysWhat: on SQLite, check names the file and the pragma.
func TestCheckSQLiteSaysWhat(t *testing.T) {
	data := t.TempDir()
	out := cli(t, data, "check")
	if !strings.Contains(out, filepath.Join(data, "postdesk.db")) || !strings.Contains(out, "integrity errors (PRAGMA quick_check)") {
		t.Errorf("check output:\n%s", out)
	}
}
