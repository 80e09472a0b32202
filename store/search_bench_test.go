package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// BenchmarkIndexCost is what the search index and the list indexes cost a
// stored message: the store's write path of a new 2 KB inbound mail
// (contact, ticket, message, touch), with migration 0022's triggers and
// indexes, without the search triggers, without the list indexes, and
// without either. 100 messages a transaction, so that the
// fsync does not hide the CPU. Per message:
//
//	go test ./store -run XXX -bench IndexCost -benchtime 3000x
func BenchmarkIndexCost(b *testing.B) {
	body := strings.Repeat("Olá, não consigo entrar na minha conta desde ontem; já tentei de tudo. ", 28) // ~2 KB
	triggers := []string{`DROP TRIGGER message_fts_insert`, `DROP TRIGGER contact_fts_insert`}
	indexes := []string{`DROP INDEX tickets_activity`, `DROP INDEX tickets_due`, `DROP INDEX tickets_rank`, `DROP INDEX tickets_assignee`, `DROP INDEX tickets_department`, `DROP INDEX tickets_topic`, `DROP INDEX tickets_requester`, `DROP INDEX tickets_overdue`}
	for _, v := range []struct {
		name string
		drop []string
	}{
		{"all", nil}, {"no-fts", triggers}, {"no-list-indexes", indexes}, {"neither", append(triggers, indexes...)},
	} {
		b.Run(v.name, func(b *testing.B) {
			ctx := context.Background()
			st, err := Open(ctx, Options{Path: filepath.Join(b.TempDir(), "b.db")})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			p, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"help@p.test"}, TagFormat: "[#%d]"})
			if err != nil {
				b.Fatal(err)
			}
			for _, q := range v.drop {
				if _, err := st.w.Exec(q); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for done := 0; done < b.N; done += 100 {
				err := st.Update(ctx, func(tx *Tx) error {
					for i := done; i < min(done+100, b.N); i++ {
						c, err := tx.Contact(p.ID, fmt.Sprintf("c%d@x.test", i), "Zoë Souza")
						if err != nil {
							return err
						}
						tk := ticket.Ticket{PropertyID: p.ID, Subject: "Não consigo entrar", Status: ticket.StatusOpen,
							Priority: ticket.PriorityMedium, RequesterID: c.ID}
						if err := tx.CreateTicket(&tk); err != nil {
							return err
						}
						m := ticket.Message{PropertyID: p.ID, TicketID: tk.ID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
							AuthorID: c.ID, AuthorEmail: c.Email, AuthorName: c.Name, MessageID: fmt.Sprintf("m%d@x.test", i),
							Subject: tk.Subject, Text: fmt.Sprintf("%s pedido %d", body, i)}
						if err := tx.InsertMessage(&m, []byte(m.Text)); err != nil {
							return err
						}
						if err := tx.Touch(tk.ID); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSearchAndList50k is what a search and a list page cost on the
// suite's backend (SQLite, then PostgreSQL when POSTDESK_TEST_POSTGRES is
// set) in a property of 50,000 messages (12,500 tickets of 4), each the
// median of 20 runs, reported as ms: a search for a word in 2% of the
// messages, one for a word in all of them (the window of SearchWindow
// newest matches), and the first page (50) of the default list:
//
//	POSTDESK_TEST_POSTGRES=postgres://… go test ./store -run XXX -bench SearchAndList50k -benchtime 1x
func BenchmarkSearchAndList50k(b *testing.B) {
	const messages, perTicket = 50000, 4
	ctx := context.Background()
	st, err := Open(ctx, testOptions(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	p, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"help@p.test"}, TagFormat: "[#%d]"})
	if err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat("Olá, não consigo entrar na minha conta desde ontem; já tentei de tudo. ", 28) // ~2 KB
	start := time.Now()
	for done := 0; done < messages; done += 1000 {
		err := st.Update(ctx, func(tx *Tx) error {
			var tk ticket.Ticket
			for i := done; i < done+1000; i++ {
				if i%perTicket == 0 {
					c, err := tx.Contact(p.ID, fmt.Sprintf("c%d@x.test", i/perTicket), "Zoë Souza")
					if err != nil {
						return err
					}
					tk = ticket.Ticket{PropertyID: p.ID, Subject: "Não consigo entrar", Status: ticket.StatusOpen,
						Priority: ticket.PriorityMedium, RequesterID: c.ID}
					if err := tx.CreateTicket(&tk); err != nil {
						return err
					}
				}
				text := fmt.Sprintf("%s pedido %d", body, i)
				if i%50 == 0 {
					text += " reembolso"
				}
				m := ticket.Message{PropertyID: p.ID, TicketID: tk.ID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
					AuthorEmail: fmt.Sprintf("c%d@x.test", i/perTicket), AuthorName: "Zoë Souza",
					MessageID: fmt.Sprintf("m%d@x.test", i), Subject: tk.Subject, Text: text}
				if err := tx.InsertMessage(&m, []byte(m.Text)); err != nil {
					return err
				}
				if err := tx.Touch(tk.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%s: filled %d messages in %s", st.dialect, messages, time.Since(start).Round(time.Second))
	if onPostgres() {
		st.testExec(b, `ANALYZE`) // what autovacuum does after such a fill
	}
	b.ResetTimer()
	for range b.N {
		for _, c := range []struct {
			metric string
			f      TicketFilter
			want   int
		}{
			{"search-2%-ms", TicketFilter{Search: "reembolso"}, 50},
			{"search-all-ms", TicketFilter{Search: "consigo"}, 50},
			{"list-page-ms", TicketFilter{}, 50},
		} {
			c.f.PropertyID = p.ID
			var took []time.Duration
			for range 20 {
				t0 := time.Now()
				page, err := st.ListTickets(ctx, c.f)
				took = append(took, time.Since(t0))
				if err != nil || len(page.Tickets) != c.want {
					b.Fatalf("%s: %d tickets, %v; want %d", c.metric, len(page.Tickets), err, c.want)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64((took[9]+took[10])/2)/float64(time.Millisecond), c.metric)
		}
	}
}
