package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// BenchmarkHookCost is what desk events cost a stored message: the
// store's write path of a new 2 KB inbound mail (contact, ticket,
// message, touch) with the events a new ticket from mail makes
// (ticket.created, ticket.assigned, message.created) and, for
// comparison, silenced (no event). 100 messages a transaction, so that
// the fsync does not hide the CPU. Per message, in wall time and in the
// process's CPU time (steadier on a shared machine):
//
//	go test ./store -run XXX -bench HookCost -benchtime 3000x
func BenchmarkHookCost(b *testing.B) {
	body := strings.Repeat("Olá, não consigo entrar na minha conta desde ontem; já tentei de tudo. ", 28) // ~2 KB
	for _, v := range []struct {
		name     string
		silent   bool
		webhooks int
	}{{"silenced", true, 0}, {"events", false, 0}, {"events-2-webhooks", false, 2}} {
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
			err = st.Update(ctx, func(tx *Tx) error {
				for i := range v.webhooks {
					w := Webhook{PropertyID: p.ID, URL: fmt.Sprintf("https://h%d.test/", i), Secret: "whsec_x",
						Events: []string{"ticket.closed"}[:i%2]}
					if err := tx.AddWebhook(&w); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := cpuTime(b)
			for done := 0; done < b.N; done += 100 {
				err := st.Update(ctx, func(tx *Tx) error {
					if v.silent {
						tx.Silence()
					}
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
						change := &ticket.HookChange{Kind: "created", Actor: c.Email, Detail: "mail from " + c.Email}
						tx.Emit(p.ID, tk.ID, ticket.HookTicketCreated, change)
						tx.Emit(p.ID, tk.ID, ticket.HookTicketAssigned, &ticket.HookChange{Kind: "assigned", Actor: c.Email})
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
			b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time, user and system, the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
