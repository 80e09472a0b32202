package ingest

import (
	"context"
	"errors"
	"testing"
)

// FuzzDeliver hands arbitrary bytes to the whole pipeline, with a real
// SQLite store: each input is stored or refused permanently, never a panic,
// never a temporary failure, and a stored message reads back byte for byte.
func FuzzDeliver(f *testing.F) {
	seedCorpus(f)
	fx := newFixture(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw []byte) {
		before, _ := fx.st.Count(ctx, "messages")
		err := fx.p.Deliver(ctx, "fuzz@example.com", []string{"support@acme.test"}, raw)
		var rej *Rejection
		if err != nil && !errors.As(err, &rej) {
			t.Fatalf("Deliver: %v (a temporary failure for bad input)", err)
		}
		if err != nil {
			return
		}
		after, _ := fx.st.Count(ctx, "messages")
		if after == before {
			return // a retransmission, a bounce or held mail
		}
		got, err := fx.st.RawMessage(ctx, after)
		if err != nil || string(got) != string(raw) {
			t.Fatalf("stored raw differs from the input (%v)", err)
		}
	})
}
