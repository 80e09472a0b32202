package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// fill writes messages straight into a postdesk database through the
// store's write path for an inbound message (contact, ticket, participant,
// event, message with its raw bytes, thread id; the search index is
// written by the same triggers as on delivery), in large transactions: a
// store of a million messages in minutes, for growth and list
// measurements. Tickets get a desk's spread of states: statuses,
// priorities, 20 agents, 5 departments, 10 topics, tags, due times, some
// overdue; texts in Portuguese, French and English with accents, each
// with an order number found in one ticket only; 3 tickets per customer.
//
//	postdesk-load fill -data DIR -property acme -messages 1000000
func fill(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("postdesk-load fill", flag.ContinueOnError)
	data := fs.String("data", "postdesk-data", "postdesk data directory")
	slug := fs.String("property", "acme", "property to fill (must exist)")
	n := fs.Int("messages", 1000000, "messages to add")
	perTicket := fs.Int("per-ticket", 4, "messages per ticket")
	size := fs.Int("size", 2048, "approximate raw size of each message")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, prop, err := openProperty(ctx, *data, *slug)
	if err != nil {
		return err
	}
	defer st.Close()
	desk, err := fillDesk(ctx, st, prop)
	if err != nil {
		return err
	}
	f := &fillState{prop: prop, desk: desk, perTicket: *perTicket, size: *size, rnd: rand.New(rand.NewPCG(*seed, 2)),
		start: time.Now().Add(-time.Duration(*n) * time.Minute)}
	start := time.Now()
	const batch = 5000
	for done := 0; done < *n; done += batch {
		count := min(batch, *n-done)
		if err := st.Update(ctx, func(tx *store.Tx) error { tx.Silence(); return f.batch(tx, done, count) }); err != nil {
			return fmt.Errorf("fill at %d: %w", done, err)
		}
		if (done/batch)%20 == 0 {
			fmt.Fprintf(out, "%d messages, %.0f/s\n", done+count, float64(done+count)/time.Since(start).Seconds())
		}
	}
	fmt.Fprintf(out, "filled %d messages in %s\n", *n, time.Since(start).Round(time.Second))
	return nil
}

// deskRows are the ids fill spreads tickets over.
type deskRows struct {
	members, departments, topics []int64
}

// fillDesk makes sure the property has 20 agents, 5 departments and 10
// topics (fill1@… to fill20@…, "Fill 1"…, "topic-1"…) and returns their ids.
func fillDesk(ctx context.Context, st *store.Store, p ticket.Property) (deskRows, error) {
	var d deskRows
	for i := 1; i <= 20; i++ {
		m := ticket.Member{Email: fmt.Sprintf("fill%d@agents.test", i), Name: fmt.Sprintf("Agent %d", i), Role: ticket.RoleAgent}
		if _, err := st.AddMember(ctx, p.Slug, m, "postdesk-load"); err != nil && !errors.Is(err, store.ErrExists) {
			return d, err
		}
	}
	for i := 1; i <= 5; i++ {
		if _, err := st.AddDepartment(ctx, p.Slug, ticket.Department{Name: fmt.Sprintf("Fill %d", i)}, "postdesk-load"); err != nil && !errors.Is(err, store.ErrExists) {
			return d, err
		}
	}
	members, err := st.Members(ctx, p.Slug)
	if err != nil {
		return d, err
	}
	for _, m := range members {
		d.members = append(d.members, m.ID)
	}
	depts, err := st.Departments(ctx, p.Slug)
	if err != nil {
		return d, err
	}
	for _, dp := range depts {
		d.departments = append(d.departments, dp.ID)
	}
	err = st.Update(ctx, func(tx *store.Tx) error {
		d.topics = nil // a run again must not append to the first run's
		for i := 1; i <= 10; i++ {
			id, err := tx.FillTopic(p.ID, fmt.Sprintf("topic-%d", i))
			if err != nil {
				return err
			}
			d.topics = append(d.topics, id)
		}
		return nil
	})
	return d, err
}

// fillState makes the rows of fill.
type fillState struct {
	prop      ticket.Property
	desk      deskRows
	perTicket int
	size      int
	rnd       *rand.Rand
	start     time.Time
	t         ticket.Ticket
	c         ticket.Contact
}

func (f *fillState) batch(tx *store.Tx, first, count int) error {
	for i := first; i < first+count; i++ {
		at := f.start.Add(time.Duration(i) * time.Minute) // one message a minute: every ticket its own activity time
		tx.SetTime(at)
		conv := i / f.perTicket
		if i%f.perTicket == 0 || f.t.ID == 0 {
			if err := f.newTicket(tx, conv, at); err != nil {
				return err
			}
		} else if err := tx.Touch(f.t.ID); err != nil {
			return err
		}
		id := fmt.Sprintf("fill-%d@fill.test", i)
		body := f.text(i)
		raw := "From: " + f.c.Name + " <" + f.c.Email + ">\r\nMessage-ID: <" + id + ">\r\nSubject: " + f.t.Subject + "\r\n\r\n" + body
		sum := sha256.Sum256([]byte(raw))
		m := &ticket.Message{PropertyID: f.prop.ID, TicketID: f.t.ID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
			AuthorID: f.c.ID, AuthorEmail: f.c.Email, AuthorName: f.c.Name, MessageID: id, Subject: f.t.Subject, Text: body,
			RawSHA256: hex.EncodeToString(sum[:]), RawSize: int64(len(raw)), ContentHash: hex.EncodeToString(sum[:]), Thread: "rule=new"}
		if err := tx.StoreMessage(m, []byte(raw), nil, nil); err != nil {
			return err
		}
	}
	tx.SetTime(time.Time{})
	return nil
}

// newTicket opens ticket conv for its customer (three tickets each) with a
// desk's spread of states.
func (f *fillState) newTicket(tx *store.Tx, conv int, at time.Time) error {
	person := conv / 3
	first, last := firstNames[person%len(firstNames)], lastNames[(person/len(firstNames))%len(lastNames)]
	c, err := tx.Contact(f.prop.ID, fmt.Sprintf("%s.%s%d@%s", ascii(first), ascii(last), person, domains[person%len(domains)]),
		first+" "+last)
	if err != nil {
		return err
	}
	f.c = c
	f.t = ticket.Ticket{PropertyID: f.prop.ID, Subject: subjects[f.rnd.IntN(len(subjects))] + fmt.Sprintf(" (%d)", conv),
		Status: ticket.StatusOpen, Priority: ticket.PriorityMedium, RequesterID: c.ID}
	if err := tx.CreateTicket(&f.t); err != nil {
		return err
	}
	if err := tx.AddParticipant(f.t.ID, c.ID, "requester"); err != nil {
		return err
	}
	if err := tx.AddEvent(f.t.ID, "created", c.Email, "filled"); err != nil {
		return err
	}
	if err := tx.FillTicket(f.t.ID, f.state(at)); err != nil {
		return err
	}
	var tags []string
	for range f.rnd.IntN(3) {
		if tag := tagNames[f.rnd.IntN(len(tagNames))]; len(tags) == 0 || tags[0] != tag {
			tags = append(tags, tag)
		}
	}
	return tx.SetTags(f.t.ID, tags)
}

// state draws a ticket's desk state: 30 % open, 20 % answered, 5 %
// snoozed, 40 % closed, 2 % deleted, 3 % spam; priorities 10/20/40/20/10 %
// from lowest; 60 % assigned; half with a topic; due in 4 and 48 hours,
// the first response met for answered and closed ones; 5 % overdue.
func (f *fillState) state(at time.Time) store.FilledTicket {
	r := f.rnd
	s := store.FilledTicket{Status: pick(r, []ticket.Status{"open", "answered", "snoozed", "closed", "deleted", "spam"}, 30, 20, 5, 40, 2, 3),
		Priority:     pick(r, ticket.Priorities(), 10, 20, 40, 20, 10),
		DepartmentID: f.desk.departments[r.IntN(len(f.desk.departments))]}
	if r.IntN(10) < 6 {
		s.AssigneeID = f.desk.members[r.IntN(len(f.desk.members))]
	}
	if r.IntN(2) == 0 {
		s.TopicID = f.desk.topics[r.IntN(len(f.desk.topics))]
	}
	ms := at.UnixMilli()
	s.FirstResponseDue, s.ResolutionDue = ms+4*3600_000, ms+48*3600_000
	if s.Status == ticket.StatusAnswered || s.Status == ticket.StatusClosed {
		s.FirstResponseAt = ms + 3600_000
	}
	if r.IntN(20) == 0 {
		s.Overdue = s.FirstResponseDue
	}
	return s
}

func pick[T any](r *rand.Rand, of []T, weights ...int) T {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return of[i]
		}
		n -= w
	}
	return of[len(of)-1]
}

// text is message i's body, about f.size bytes: sentences of common words
// (skewed: the first words of the list are the most frequent), the
// customer's order number (unique: "pedido 1000042") and a signature.
func (f *fillState) text(i int) string {
	b := make([]byte, 0, f.size)
	b = fmt.Appendf(b, "Olá, bonjour!\r\nPedido %d: ", 1000000+i)
	for len(b) < f.size-400 {
		for w := range 12 {
			if w > 0 {
				b = append(b, ' ')
			}
			b = append(b, words[f.rnd.IntN(f.rnd.IntN(len(words))+1)]...)
		}
		b = append(b, ".\r\n"...)
	}
	return string(fmt.Appendf(b, "\r\nObrigado,\r\n%s\r\n", f.c.Name))
}

// ascii is s in lower-case ASCII letters for an address: accents off
// (NFD, then only the letters a to z kept).
func ascii(s string) string {
	out := make([]byte, 0, len(s))
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if r >= 'a' && r <= 'z' {
			out = append(out, byte(r))
		}
	}
	return string(out)
}

var (
	firstNames = []string{"José", "María", "João", "Zoë", "François", "Ana", "Léa", "Jürgen", "Inês", "Çağla", "Noémie",
		"Sebastián", "Ömer", "Håkon", "Renée", "Luís", "Beatriz", "Chloé", "Mateus", "Aurélie", "Paulo", "Sofía", "Émile", "Raúl", "Tomás"}
	lastNames = []string{"Álvares", "Müller", "Gonçalves", "Dubois", "Peña", "Nuñez", "Lefèvre", "Conceição", "Brandão", "Søren",
		"Araújo", "Ibáñez", "Strauß", "Fontaine", "Magalhães", "Guimarães", "Roussel", "Valência", "Leão", "Ferrão"}
	domains  = []string{"exemplo.com.br", "exemple.fr", "example.com", "correo.es", "mail.test"}
	subjects = []string{"Não consigo entrar", "Problème de facturation", "Pedido atrasado", "Cobrança em duplicidade",
		"Café não chegou", "Remboursement demandé", "Password reset", "Erro no pagamento", "Mudança de endereço",
		"Question sur la livraison", "Cancelamento", "Nota fiscal", "Accès refusé", "Fatura errada", "Upgrade de plano"}
	tagNames = []string{"vip", "billing", "refund", "bug", "feature", "urgent-customer", "churn-risk", "b2b", "b2c",
		"nfe", "boleto", "pix", "cartao", "entrega", "devolucao", "api", "mobile", "web", "onboarding", "legal",
		"lgpd", "gdpr", "parceiro", "reembolso", "troca", "garantia", "suporte-n2", "suporte-n3", "feedback", "elogio"}
	words = []string{"não", "que", "de", "pour", "the", "pedido", "está", "você", "merci", "já", "também", "après", "será",
		"conta", "compte", "problema", "problème", "preço", "déjà", "entrega", "cobrança", "é", "à", "até", "então",
		"número", "cartão", "informação", "ligação", "solução", "atenção", "dúvida", "crédito", "débito", "mês", "três",
		"über", "señor", "año", "mañana", "café", "garçon", "français", "façade", "élève", "noël", "naïve", "cœur",
		"résumé", "rôle", "hôtel", "forêt", "pâte", "voilà", "reçu", "leçon", "maçã", "pão", "irmão", "coração", "avião",
		"limão", "feijão", "açúcar", "órgão", "ônibus", "pêssego", "sábado", "médico", "público", "técnico", "último",
		"página", "política", "música", "história", "exercício", "relatório", "escritório", "armazém", "parabéns",
		"ninguém", "alguém", "também", "porém", "através", "invoice", "refund", "delivery", "account", "password",
		"billing", "shipping", "tracking", "warranty", "subscription", "cancellation", "upgrade", "downgrade",
		"faturamento", "reembolso", "devolução", "garantia", "assinatura", "cancelamento", "rastreamento", "xícara"}
)
