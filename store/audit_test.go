package store

import (
	"context"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

// TestAuditLogPerProperty: a property's audit log lists its own entries,
// newest first, at most the limit asked, by an indexed search.
func TestAuditLogPerProperty(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	props := addProperties(t, st, "a", "b")
	if _, err := st.AddMember(ctx, "a", ticket.Member{Email: "ann@a.test", Name: "Ann", Role: ticket.RoleAdmin}, "root"); err != nil {
		t.Fatal(err)
	}
	err := st.Update(ctx, func(tx *Tx) error {
		for _, what := range []string{"one", "two", "three"} {
			if err := tx.Audit(props[0].ID, "ann@a.test", "topic added", what); err != nil {
				return err
			}
		}
		return tx.Audit(props[1].ID, "bob@b.test", "topic added", "other")
	})
	if err != nil {
		t.Fatal(err)
	}
	log, err := st.AuditLog(ctx, props[0].ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		got = append(got, e.Actor+" "+e.Action+" "+e.Detail)
	}
	want := "ann@a.test topic added three|ann@a.test topic added two|ann@a.test topic added one"
	if strings.Join(got, "|") != want {
		t.Errorf("audit log of a, limit 3:\n%s\nwant\n%s", strings.Join(got, "|"), want)
	}
	if all, _ := st.AuditLog(ctx, props[0].ID, 10); len(all) != 4 || all[3].Actor != "root" || all[3].Action != "member added" {
		t.Errorf("the member added is not the oldest entry of a: %+v", all)
	}
	plan := queryPlan(t, st, "audit", `SELECT id FROM audit WHERE property_id = 1 ORDER BY id DESC LIMIT 3`)
	if len(tableScans(plan)) > 0 || sorts(plan) {
		t.Errorf("the audit log is not read by its index:\n%s", strings.Join(plan, "\n"))
	}
}
