package store

import (
	"fmt"
	"testing"
)

// TestThreadIDsFoundAsAsked: a Message-ID with a NUL or invalid UTF-8
// (PostgreSQL stores it with U+FFFD) is found under the id as asked, for
// its own ticket (direct) and for one whose mail referenced it (ghost):
// a reply to such a message joins its ticket on both backends.
func TestThreadIDsFoundAsAsked(t *testing.T) {
	f := newDeskFixture(t)
	own := "own\xff\x00@c.test"
	tk, _ := f.open("ann@c.test", own)
	ref := "gone\xfe@c.test"
	other, _ := f.open("bob@c.test", "plain@c.test")
	f.update(func(tx *Tx) error { return tx.AddThreadIDs(f.prop.ID, other.ID, ThreadRef, ref) })
	f.update(func(tx *Tx) error {
		direct, ghost, err := tx.ThreadIDs(f.prop.ID, []string{own, ref, "plain@c.test"})
		if err != nil {
			return err
		}
		if got, want := fmt.Sprint(direct[own]), fmt.Sprint([]int64{tk.ID}); got != want {
			t.Errorf("direct[%q] = %s, want %s (all: %v)", own, got, want, direct)
		}
		if got, want := fmt.Sprint(ghost[ref]), fmt.Sprint([]int64{other.ID}); got != want {
			t.Errorf("ghost[%q] = %s, want %s (all: %v)", ref, got, want, ghost)
		}
		if got, want := fmt.Sprint(direct["plain@c.test"]), fmt.Sprint([]int64{other.ID}); got != want {
			t.Errorf("direct[plain] = %s, want %s", got, want)
		}
		return nil
	})
}
