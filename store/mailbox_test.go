package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// TestMailboxProgress: a fetch position commits only beyond the stored one
// (a new UIDVALIDITY starts afresh), so one message never commits twice;
// a removed mailbox takes no position.
func TestMailboxProgress(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	p, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	mb := Mailbox{PropertyID: p.ID, URL: "imaps://u@h:993/INBOX", PasswordEnv: "PW"}
	if err := st.AddMailbox(ctx, &mb); err != nil {
		t.Fatal(err)
	}
	if err := st.AddMailbox(ctx, &Mailbox{PropertyID: p.ID, URL: mb.URL, PasswordEnv: "PW"}); !errors.Is(err, ErrExists) {
		t.Errorf("the same URL again: %v, want ErrExists", err)
	}
	record := func(uv, uid uint32) error {
		return st.Update(ctx, func(tx *Tx) error {
			return tx.RecordMailboxProgress(MailboxProgress{MailboxID: mb.ID, UIDValidity: uv, UID: uid}, true)
		})
	}
	for _, tt := range []struct {
		uv, uid uint32
		want    error
	}{
		{7, 5, nil}, {7, 5, ErrStaleProgress}, {7, 4, ErrStaleProgress}, {7, 6, nil}, {8, 1, nil}, {8, 1, ErrStaleProgress},
	} {
		if err := record(tt.uv, tt.uid); !errors.Is(err, tt.want) {
			t.Errorf("position %d/%d: %v, want %v", tt.uv, tt.uid, err, tt.want)
		}
	}
	if err := st.SkipMailboxMessage(ctx, MailboxProgress{MailboxID: mb.ID, UIDValidity: 8, UID: 2}); err != nil {
		t.Fatal(err)
	}
	got, err := st.MailboxByID(ctx, p.ID, mb.ID)
	if err != nil || got.UIDValidity != 8 || got.LastUID != 2 || got.Imported != 3 || got.Skipped != 1 {
		t.Errorf("mailbox = %+v, %v; want at 8/2 with 3 imported, 1 skipped", got, err)
	}
	if err := st.RemoveMailbox(ctx, p.ID, mb.ID); err != nil {
		t.Fatal(err)
	}
	if err := record(8, 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("position of a removed mailbox: %v, want ErrNotFound", err)
	}
}

// TestMailboxLease: a mailbox's lease is one gateway's until it runs out
// or is released; its holder renews it; a removed mailbox has none.
func TestMailboxLease(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	p, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"p@x.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	mb := Mailbox{PropertyID: p.ID, URL: "imaps://u@h:993/INBOX", PasswordEnv: "PW"}
	if err := st.AddMailbox(ctx, &mb); err != nil {
		t.Fatal(err)
	}
	t0 := time.UnixMilli(1_800_000_000_000)
	for _, step := range []struct {
		by   string
		at   time.Duration
		want bool
	}{
		{"a", 0, true}, {"b", time.Second, false}, {"a", 50 * time.Second, true}, // renewed until 110s
		{"b", 100 * time.Second, false}, {"b", 110 * time.Second, true}, {"a", 111 * time.Second, false},
	} {
		held, err := st.LeaseMailbox(ctx, mb.ID, step.by, t0.Add(step.at), time.Minute)
		if err != nil || held != step.want {
			t.Errorf("lease by %s at %v: %v, %v; want %v", step.by, step.at, held, err, step.want)
		}
	}
	if err := st.ReleaseMailbox(ctx, mb.ID, "a"); err != nil { // not a's: nothing happens
		t.Fatal(err)
	}
	if held, _ := st.LeaseMailbox(ctx, mb.ID, "a", t0.Add(112*time.Second), time.Minute); held {
		t.Error("a released b's lease")
	}
	if err := st.ReleaseMailbox(ctx, mb.ID, "b"); err != nil {
		t.Fatal(err)
	}
	if held, err := st.LeaseMailbox(ctx, mb.ID, "a", t0.Add(113*time.Second), time.Minute); err != nil || !held {
		t.Errorf("after b released it, lease by a: %v, %v; want true", held, err)
	}
	if err := st.RemoveMailbox(ctx, p.ID, mb.ID); err != nil {
		t.Fatal(err)
	}
	if held, err := st.LeaseMailbox(ctx, mb.ID, "a", t0.Add(114*time.Second), time.Minute); err != nil || held {
		t.Errorf("lease of a removed mailbox: %v, %v; want false", held, err)
	}
}
