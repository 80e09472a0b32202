package history

import (
	"context"
	"strings"
	"testing"
)

// TestImportThreadsAcrossPosters: an imported archive is the admin's and
// trusted, so a mailing-list thread stays one ticket across its posters,
// whatever the order: Dan's reply comes first and opens the ticket, Carol's
// parent joins it although she takes no part in it (referenced-by), and
// Erin's reply joins it by In-Reply-To. Live mail with these ids from these
// senders would open linked tickets instead (cmd/postdesk
// TestLateParentJoinsItsReplies).
func TestImportThreadsAcrossPosters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	mbox := "From dan@example.com Thu Mar  2 10:00:00 2023\n" +
		"From: Dan <dan@example.com>\nTo: list@lists.example.org\nCc: support@acme.test\nDate: Thu, 02 Mar 2023 10:00:00 +0000\n" +
		"Message-ID: <dan@example.com>\nIn-Reply-To: <root@lists.example.org>\nSubject: Re: release 2.0\n\nme too\n\n" +
		"From carol@example.com Wed Mar  1 09:00:00 2023\n" +
		"From: Carol <carol@example.com>\nTo: support@acme.test\nDate: Wed, 01 Mar 2023 09:00:00 +0000\n" +
		"Message-ID: <root@lists.example.org>\nSubject: release 2.0\n\nis it out?\n\n" +
		"From erin@example.com Thu Mar  2 12:00:00 2023\n" +
		"From: Erin <erin@example.com>\nTo: support@acme.test\nDate: Thu, 02 Mar 2023 12:00:00 +0000\n" +
		"Message-ID: <erin@example.com>\nIn-Reply-To: <dan@example.com>\nSubject: Re: release 2.0\n\nand me\n\n"
	sum := f.importPath(t, writeFile(t, mbox), Options{})
	if sum.Result.Stored != 3 {
		t.Fatalf("import: %+v, want 3 stored", sum.Result)
	}
	tickets, err := f.st.Tickets(ctx, "acme", "")
	if err != nil || len(tickets) != 1 {
		t.Fatalf("tickets = %d, %v; want the list thread in one", len(tickets), err)
	}
	msgs, err := f.st.Messages(ctx, tickets[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"dan@example.com":        "rule=new",
		"root@lists.example.org": "rule=referenced-by ticket=#1",
		"erin@example.com":       "rule=in-reply-to ticket=#1",
	}
	for _, m := range msgs {
		if w := want[m.MessageID]; !strings.HasPrefix(m.Thread, w) {
			t.Errorf("%s threaded by %q, want %q…", m.MessageID, m.Thread, w)
		}
	}
}
