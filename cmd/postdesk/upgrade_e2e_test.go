package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
	_ "modernc.org/sqlite" // loads the old revision's dump; the binary under test opens the file itself
)

// loadOldDesk writes the database a postdesk of revision 9de131f left
// behind (testdata/upgrade/9de131f.sql, made by make-9de131f.sh with that
// revision's binary) into a new data directory and returns the directory.
func loadOldDesk(t *testing.T) string {
	t.Helper()
	dump := readTestdata(t, "testdata/upgrade/9de131f.sql")
	data := t.TempDir()
	db, err := sql.Open("sqlite", filepath.Join(data, "postdesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(string(dump)); err != nil {
		t.Fatalf("loading the old revision's dump: %v", err)
	}
	return data
}

// sortedNumbers is listNumbers in ascending order, for filters whose order
// is not what is tested.
func sortedNumbers(t *testing.T, data string, args ...string) []int64 {
	t.Helper()
	got := listNumbers(t, data, args...)
	slices.Sort(got)
	return got
}

// TestUpgradeFrom9de131f: a desk made by the revision before the desk
// schema (two properties, an admin and agents, departments, tickets of
// every old priority, tags, a snoozed and a closed ticket, accented mail,
// held mail, outbox rows) is opened by today's binary: migrations 0017-0022
// apply, old priorities read as the new words, `check` is clean, every
// folder lists, search finds the old mail (FTS backfill), the tag filter
// finds old tags (ticket_tags backfill), round-robin runs over the old
// members and the scheduler wakes the old snoozed ticket.
func TestUpgradeFrom9de131f(t *testing.T) {
	data := loadOldDesk(t)
	cli(t, data, "check")

	var all []ticket.Ticket
	cliJSON(t, data, &all, "ticket", "list", "--property", "acme", "--folder", "all")
	wantPriority := map[int64]ticket.Priority{1: "medium", 2: "highest", 3: "low", 4: "high", 5: "medium", 6: "medium"}
	if len(all) != len(wantPriority) {
		t.Fatalf("acme lists %d tickets, want %d", len(all), len(wantPriority))
	}
	for _, tk := range all {
		if tk.Priority != wantPriority[tk.Number] {
			t.Errorf("#%d priority %q, want %q", tk.Number, tk.Priority, wantPriority[tk.Number])
		}
	}
	folders := []struct {
		folder string
		want   []int64
	}{
		{"all", []int64{1, 2, 3, 4, 5, 6}},
		{"open", []int64{1, 2, 3, 4}},
		{"answered", []int64{}},
		{"snoozed", []int64{5}},
		{"closed", []int64{6}},
		{"deleted", []int64{}},
		{"spam", []int64{}},
	}
	for _, f := range folders {
		if got := sortedNumbers(t, data, "--property", "acme", "--folder", f.folder); !slices.Equal(got, f.want) {
			t.Errorf("--folder %s: %v, want %v", f.folder, got, f.want)
		}
	}
	filters := []struct {
		args []string
		want []int64
	}{
		{[]string{"--property", "acme", "--search", "brulee"}, []int64{1, 2, 3, 4, 5, 6}},
		{[]string{"--property", "acme", "--search", "zurich"}, []int64{3}},
		{[]string{"--property", "acme", "--search", "enttauschend facture"}, []int64{2}},
		{[]string{"--property", "acme", "--search", "confidential"}, []int64{}}, // the other property's mail
		{[]string{"--property", "other", "--search", "confidential"}, []int64{1}},
		{[]string{"--property", "acme", "--tag", "vip"}, []int64{2, 3}},
		{[]string{"--property", "acme", "--tag", "billing"}, []int64{2}},
		{[]string{"--property", "other", "--tag", "vip"}, []int64{1}},
		{[]string{"--property", "acme", "--priority", "highest"}, []int64{2}},
		{[]string{"--property", "acme", "--assignee", "ana@acme.test"}, []int64{4}},
		{[]string{"--property", "acme", "--department", "Support"}, []int64{1, 2, 3, 4, 5, 6}},
	}
	for _, f := range filters {
		if got := sortedNumbers(t, data, f.args...); !slices.Equal(got, f.want) {
			t.Errorf("ticket list %s: %v, want %v", strings.Join(f.args, " "), got, f.want)
		}
	}
	show := cli(t, data, "ticket", "show", "2", "--property", "acme")
	for _, want := range []string{"Facture impayée", "Priority: highest", "Übermäßig enttäuschend", "opened by inbound mail"} {
		if !strings.Contains(show, want) {
			t.Errorf("ticket show 2 lacks %q:\n%s", want, show)
		}
	}
	if out := cli(t, data, "held", "list", "--property", "acme"); !strings.Contains(out, "ana@acme.test") {
		t.Errorf("held list lost the old held mail:\n%s", out)
	}
	if out := cli(t, data, "outbox", "list", "--property", "acme"); strings.Count(out, "@acme.test") < 18 {
		t.Errorf("outbox list lost old rows:\n%s", out)
	}
	if out := cli(t, data, "member", "list", "--property", "acme"); strings.Count(out, "true") != 3 {
		t.Errorf("old members are not available for round-robin:\n%s", out)
	}

	srv := startServer(t, data, "--scheduler-interval", "100ms")
	assignees := map[string]bool{}
	for i := 1; i <= 3; i++ {
		mustSend(t, srv.addr, fmt.Sprintf("new%d@example.com", i), []string{"support@acme.test"},
			fmt.Sprintf("From: new%d@example.com\r\nTo: support@acme.test\r\nSubject: new %d\r\nMessage-ID: <new%d@example.com>\r\n\r\nhello\r\n", i, i, i))
		var shown struct{ Ticket ticket.Ticket }
		cliJSON(t, data, &shown, "ticket", "show", fmt.Sprint(6+i), "--property", "acme")
		assignees[shown.Ticket.Assignee] = true
	}
	if len(assignees) != 3 || assignees[""] {
		t.Errorf("round-robin over the old Support members gave %v, want boss, ana and bob once each", assignees)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(listNumbers(t, data, "--property", "acme", "--folder", "snoozed")) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the scheduler did not wake the old snoozed ticket #5")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if show := cli(t, data, "ticket", "show", "5", "--property", "acme"); !strings.Contains(show, "woken") {
		t.Errorf("#5 woken without an event:\n%s", show)
	}
	srv.stop(t)
	cli(t, data, "check")
}

// TestUpgradeDumpIsOld guards the fixture: the dump is of a schema before
// 0017, so the test above runs the migrations rather than skipping them.
func TestUpgradeDumpIsOld(t *testing.T) {
	dump, err := os.ReadFile("testdata/upgrade/9de131f.sql")
	if err != nil {
		t.Skipf("no upgrade fixture: %v", err)
	}
	if strings.Contains(string(dump), "0017_") || !strings.Contains(string(dump), "0016_outbox_rcpt_base.sql") {
		t.Fatal("testdata/upgrade/9de131f.sql is not a dump of revision 9de131f's schema (0016 last)")
	}
}
