package store

import (
	"context"
	"errors"
	"testing"

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
