package ingest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// agentMail handles mail whose From is a member's address. It counts as the
// agent's reply only when it authenticates: it was sent to a reply address
// whose token was issued to that very member. Otherwise it is held, and the
// member is told at their real address: a forged From never speaks for an
// agent.
func (p *Pipeline) agentMail(tx *store.Tx, prop ticket.Property, member ticket.Member, env envelope, msg *parsed, raw []byte) (delivered, error) {
	dec, err := p.resolver.Decide(threadInput(prop, env, msg), tx)
	if err != nil {
		return delivered{}, err
	}
	q := p.queue(tx, prop, env)
	if !authenticated(dec, member) {
		res, err := p.hold(tx, prop, env, msg, raw, "mail from a member's address without that member's reply token")
		if err != nil {
			return res, err
		}
		body := fmt.Sprintf("A mail with your address in From was held and not posted, because it was not a reply "+
			"to a copy postdesk sent you.\n\nSubject: %s\nEnvelope sender: %s\n\nIf you wrote it, reply to the "+
			"ticket's copy in your mailbox instead. If you did not, someone is sending mail in your name.", msg.Subject, env.from)
		return res, q.Notice(0, member, "Held: a mail in your name", body)
	}
	t := dec.Ticket
	cmds, body := splitCommands(msg.Text)
	pl, cmdErr := planCommands(cmds, member, func(email string) (ticket.Member, bool, error) {
		return tx.MemberByEmail(prop.ID, email)
	})
	if cmdErr == nil {
		problem, err := p.answerLimits(tx, t, pl)
		if err != nil {
			return delivered{}, err
		}
		if problem != "" {
			cmdErr = errors.New(problem)
		}
	}
	m := newMessage(msg, raw)
	m.PropertyID, m.TicketID, m.Direction = prop.ID, t.ID, ticket.Outbound
	m.AuthorID, m.AuthorEmail, m.AuthorName = member.ID, member.Email, member.Name
	m.Thread, m.Text, m.HTML = dec.String(), trimReply(body), ""
	if cmdErr != nil || pl.note {
		m.Kind = ticket.KindNote
	}
	if cmdErr != nil {
		m.Warnings = append(m.Warnings, "commands not applied: "+cmdErr.Error())
	}
	if err := p.storeWithThreadIDs(tx, prop, t, m, msg, raw); err != nil {
		return delivered{}, err
	}
	res := delivered{property: prop.Slug, ticket: t.Number, messageID: m.ID, thread: m.Thread}
	if cmdErr != nil {
		return res, q.Notice(t.ID, member, "Not sent: a command failed "+threading.Tag(prop.TagFormat, t.Number),
			"Your reply was kept as an internal note and nothing was sent or changed, because:\n\n"+cmdErr.Error()+
				"\n\nFix the command and send the reply again.")
	}
	return res, p.postAgentMail(tx, q, &t, m, pl, member)
}

// authenticated: the mail reached us through a reply address minted for
// this member (the token's recipient), and its From is that member.
func authenticated(dec threading.Decision, member ticket.Member) bool {
	return dec.Rule == threading.RuleToken && dec.Token != nil &&
		dec.Token.Kind == threading.KindMember && dec.Token.ID == member.ID
}

// postAgentMail applies an agent's commands and sends the reply: to the
// requester and every Cc'd participant, and a copy to the other members
// involved; never to the agent. A note goes to the members only.
func (p *Pipeline) postAgentMail(tx *store.Tx, q outbox.Queue, t *ticket.Ticket, m *ticket.Message, pl plan, member ticket.Member) error {
	hasContent := strings.TrimSpace(m.Text) != "" || len(m.Attachments) > 0
	replying := m.Kind == ticket.KindEmail && hasContent
	if err := applyPlan(tx, t, pl, member, replying); err != nil {
		return err
	}
	if err := addCc(tx, q.Prop, *t, pl.cc, member.Email); err != nil {
		return err
	}
	if !hasContent {
		return nil
	}
	members, err := tx.InvolvedMembers(*t)
	if err != nil {
		return err
	}
	for _, other := range members {
		if other.ID == member.ID {
			continue
		}
		if err := q.ToMember(store.OutCopy, *t, m.ID, other); err != nil {
			return err
		}
	}
	if !replying {
		return nil
	}
	contacts, err := tx.Participants(t.ID)
	if err != nil {
		return err
	}
	for _, c := range contacts {
		if err := q.ToContact(store.OutReply, *t, m.ID, c); err != nil {
			return err
		}
	}
	return nil
}

// applyPlan carries out validated commands. A reply without a status
// command leaves the ticket answered.
func applyPlan(tx *store.Tx, t *ticket.Ticket, pl plan, member ticket.Member, replying bool) error {
	actor := member.Email
	if pl.assignee != nil {
		if err := tx.SetAssignee(t, *pl.assignee, actor); err != nil {
			return err
		}
	}
	if pl.priority != "" {
		if err := tx.SetPriority(t, pl.priority, actor); err != nil {
			return err
		}
	}
	for _, tag := range pl.tags {
		if err := tx.AddTag(t, tag, actor); err != nil {
			return err
		}
	}
	switch {
	case pl.snooze > 0:
		return tx.Snooze(t, tx.Now().Add(pl.snooze), actor)
	case pl.status != "":
		return tx.SetStatus(t, pl.status, actor, "command from "+actor)
	case replying:
		return tx.SetStatus(t, ticket.StatusAnswered, actor, "reply from "+actor)
	}
	return tx.Touch(t.ID)
}
