package ingest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// Why member mail is held. A release names the reason that held the mail,
// and the same rule then lets it pass.
const (
	reasonNoToken      = "mail from a member's address without that member's reply token"
	reasonOtherAddress = "mail through a member's reply address from another address"
	reasonNoticeReply  = "a reply to a notice that is not its member's, or about no ticket"
)

// memberMail handles the mail that speaks for a member or answers
// postdesk's mail to one, in this order: a reply to a notice, a member's
// automatic reply to the bounce address of mail sent to her, mail whose
// From is a member's, and mail through a member's reply address from an
// address that is no member's. ok is false for anything else, a customer's
// mail.
func (p *Pipeline) memberMail(tx *store.Tx, prop ticket.Property, env envelope, msg *parsed, raw []byte) (res delivered, ok bool, err error) {
	in := threadInput(prop, env, msg)
	if tok, found := p.noticeToken(prop, in); found {
		res, err = p.noticeReply(tx, prop, env, msg, raw, tok)
		return res, true, err
	}
	if res, ok, err = p.memberAutoReply(tx, prop, env, msg, raw); ok || err != nil {
		return res, true, err
	}
	if env.member != nil {
		res, err = p.agentMail(tx, prop, *env.member, env, msg, raw)
		return res, true, err
	}
	if tok, found := p.memberToken(prop, in); found {
		members, err := tx.Members(prop.ID, tok.ID)
		if err != nil || len(members) == 0 {
			return res, false, err // the member is gone: the mail is a customer's
		}
		res, err = p.otherAddress(tx, prop, members[0], env, msg, raw)
		return res, true, err
	}
	return res, false, nil
}

// noticeToken finds a notice token of the property in the addresses the
// mail went to or in its In-Reply-To: the mail answers a notice.
func (p *Pipeline) noticeToken(prop ticket.Property, in threading.Input) (threading.Token, bool) {
	for _, addr := range in.Addresses {
		if tok, ok := p.keys.TokenInAddress(addr); ok && tok.Kind == threading.KindNotice && tok.PropertyID == prop.ID {
			return tok, true
		}
	}
	for _, id := range in.InReplyTo {
		if tok, ok := p.keys.TokenInMessageID(id); ok && tok.Kind == threading.KindNotice && tok.PropertyID == prop.ID {
			return tok, true
		}
	}
	return threading.Token{}, false
}

// memberToken finds a member's reply token of the property in the
// addresses the mail went to.
func (p *Pipeline) memberToken(prop ticket.Property, in threading.Input) (threading.Token, bool) {
	for _, addr := range in.Addresses {
		if tok, ok := p.keys.TokenInAddress(addr); ok && tok.Kind == threading.KindMember && tok.PropertyID == prop.ID {
			return tok, true
		}
	}
	return threading.Token{}, false
}

// noticeReply handles a reply to a notice. From the notice's member, about
// a ticket, it is an internal note on that ticket: it goes to no customer,
// changes no status and is answered by no notice; the other members
// involved get a copy, unless the reply is automatic. Anything else (another
// sender, a notice about no ticket) is held without telling anyone: the
// mail is quiet, since telling would answer a notice with a notice.
func (p *Pipeline) noticeReply(tx *store.Tx, prop ticket.Property, env envelope, msg *parsed, raw []byte, tok threading.Token) (delivered, error) {
	ownMember := env.member != nil && env.member.ID == tok.ID
	if !ownMember && env.released(reasonNoticeReply) {
		members, err := tx.Members(prop.ID, tok.ID)
		if err != nil {
			return delivered{}, err
		}
		if len(members) > 0 {
			env.member, ownMember = &members[0], true
		}
	}
	// A notice about a ticket merged since answers for the ticket it went
	// into, as any mail naming the merged ticket does (followMerges).
	t, found, err := (&followMerges{Tx: tx}).TicketByID(prop.ID, tok.TicketID)
	if err != nil {
		return delivered{}, err
	}
	if !ownMember || !found {
		return p.hold(tx, prop, env, msg, raw, reasonNoticeReply) // quiet: it answers a notice
	}
	dec := threading.Decision{Rule: threading.RuleToken, Ticket: t, Matched: "notice", Token: &tok}
	if msg.Automatic {
		return p.postNote(tx, prop, *env.member, dec, msg, raw, "automatic reply to a notice ("+msg.AutoReason+")")
	}
	m := memberMessage(prop, t, *env.member, dec, msg, raw, msg.Text)
	m.Kind = ticket.KindNote
	if err := storeMessage(tx, m, msg, raw); err != nil {
		return delivered{}, err
	}
	res := delivered{property: prop.Slug, ticket: t.Number, messageID: m.ID, thread: m.Thread}
	return res, p.postAgentMail(tx, p.queue(tx, prop, env), &t, m, plan{note: true}, *env.member)
}

// agentMail handles mail whose From is a member's address. It counts as the
// agent's reply only when it authenticates: it was sent to a reply address
// whose token was issued to that very member. Otherwise it is held, and the
// member is told at their real address (unless the mail is quiet, such as
// automatic mail: no notice ever answers it, RFC 3834 §2): a forged From
// never speaks for an agent.
func (p *Pipeline) agentMail(tx *store.Tx, prop ticket.Property, member ticket.Member, env envelope, msg *parsed, raw []byte) (delivered, error) {
	dec, err := p.decide(tx, prop, env, msg)
	if err != nil {
		return delivered{}, err
	}
	if authenticated(dec, member) || (env.released(reasonNoToken) && dec.Ticket.ID != 0) {
		return p.postAsMember(tx, prop, member, env, dec, msg, raw)
	}
	if env.history != nil && dec.Ticket.ID != 0 {
		return p.historicAnswer(tx, prop, member, env, dec, msg, raw)
	}
	res, err := p.hold(tx, prop, env, msg, raw, reasonNoToken)
	if err != nil {
		return res, err
	}
	body := fmt.Sprintf("A mail with your address in From was held and not posted, because it was not a reply "+
		"to a copy postdesk sent you.\n\nSubject: %s\nEnvelope sender: %s\n%s\nIf you wrote it, reply to the "+
		"ticket's copy in your mailbox instead. If you did not, someone is sending mail in your name.", msg.Subject, env.from,
		commandsCarried(msg.Text))
	return res, p.queue(tx, prop, env).Notice(0, member, "Held: a mail in your name", body)
}

// otherAddress handles mail through a member's reply address from an
// address that is not the member's: the member answering from a private
// address, or someone the copy was forwarded to. It is held and the member
// told, as for member mail without the member's token; released, it is the
// member's reply.
func (p *Pipeline) otherAddress(tx *store.Tx, prop ticket.Property, member ticket.Member, env envelope, msg *parsed, raw []byte) (delivered, error) {
	if env.released(reasonOtherAddress) {
		dec, err := p.decide(tx, prop, env, msg)
		if err != nil {
			return delivered{}, err
		}
		if authenticated(dec, member) {
			return p.postAsMember(tx, prop, member, env, dec, msg, raw)
		}
	}
	res, err := p.hold(tx, prop, env, msg, raw, reasonOtherAddress)
	if err != nil {
		return res, err
	}
	sender := env.from
	if msg.From != nil {
		sender = msg.From.Address
	}
	body := fmt.Sprintf("A mail sent to your reply address from %s, not from your address %s, was held and not "+
		"posted.\n\nSubject: %s\n%s\nIf you wrote it, send it again from %s: only mail from your own address "+
		"speaks for you. An admin can also release it: postdesk held release %d", sender, member.Email, msg.Subject,
		commandsCarried(msg.Text), member.Email, res.heldID)
	return res, p.queue(tx, prop, env).Notice(0, member, "Held: a reply from another address", body)
}

// memberAutoReply handles a member's automatic reply (an out-of-office)
// that answers the envelope sender of a mail postdesk sent that member
// (RFC 3834 §4, RFC 5230 §4.1: responses go to the envelope sender), the
// mail's signed bounce address. As her automatic reply through her reply
// token, it is an internal note on that mail's ticket: it goes to nobody
// and changes no status. ok is false for any other mail.
func (p *Pipeline) memberAutoReply(tx *store.Tx, prop ticket.Property, env envelope, msg *parsed, raw []byte) (delivered, bool, error) {
	row := env.bounced
	if row == nil || env.member == nil || !msg.Automatic || row.RcptKind != "member" ||
		row.RcptID != env.member.ID || row.TicketID == 0 {
		return delivered{}, false, nil
	}
	t, found, err := (&followMerges{Tx: tx}).TicketByID(prop.ID, row.TicketID)
	if err != nil || !found {
		return delivered{}, false, err
	}
	tok := threading.Token{Kind: threading.KindBounce, PropertyID: prop.ID, TicketID: row.TicketID, ID: row.ID}
	dec := threading.Decision{Rule: threading.RuleToken, Ticket: t, Matched: "bounce address of outbox row " + itoa(row.ID), Token: &tok}
	res, err := p.postNote(tx, prop, *env.member, dec, msg, raw,
		"automatic reply to the bounce address of a "+row.Kind+" sent to "+env.member.Email+" ("+msg.AutoReason+")")
	return res, true, err
}

// authenticated: the mail reached us through a reply address minted for
// this member (the token's recipient), and its From is that member.
func authenticated(dec threading.Decision, member ticket.Member) bool {
	return dec.Rule == threading.RuleToken && dec.Token != nil &&
		dec.Token.Kind == threading.KindMember && dec.Token.ID == member.ID
}

// postAsMember posts a member's authenticated mail to its ticket: their
// reply with its commands, or, for automatic mail (an out-of-office, RFC
// 3834), an internal note that goes to nobody and changes nothing.
func (p *Pipeline) postAsMember(tx *store.Tx, prop ticket.Property, member ticket.Member, env envelope, dec threading.Decision, msg *parsed, raw []byte) (delivered, error) {
	if msg.Automatic {
		return p.postNote(tx, prop, member, dec, msg, raw, "automatic mail ("+msg.AutoReason+")")
	}
	t := dec.Ticket
	cmds, body := splitCommands(msg.Text)
	if len(cmds) > 0 && env.release != nil && !env.release.withCommands {
		return p.postUnappliedCommands(tx, prop, member, dec, msg, raw, body)
	}
	pl, cmdErr := planCommands(cmds, t, member, func(email string) (ticket.Member, bool, error) {
		return tx.MemberByEmail(prop.ID, email)
	}, func(name string) (string, error) {
		tp, err := desk.FindTopic(tx, prop, name)
		return tp.Name, err
	})
	if cmdErr == nil && pl.department != "" {
		if _, found, err := tx.DepartmentByName(prop.ID, pl.department); err != nil {
			return delivered{}, err
		} else if !found {
			cmdErr = fmt.Errorf("#assign %s: %s has no such department (and no member without an @)", pl.department, prop.Slug)
		}
	}
	if cmdErr == nil {
		cmdErr = pl.checkWake(tx.Now())
	}
	if cmdErr == nil && !pl.note {
		// What `ticket reply` refuses: answering a deleted ticket (only
		// admins undelete) or one in Spam (it would mail the spammer and
		// leave the folder, the sender still marked).
		cmdErr = desk.Movable(t, "answer")
	}
	if cmdErr == nil {
		problem, err := p.answerLimits(tx, t, pl)
		if err != nil {
			return delivered{}, err
		}
		if problem != "" {
			cmdErr = errors.New(problem)
		}
	}
	m := memberMessage(prop, t, member, dec, msg, raw, body)
	if cmdErr != nil || pl.note {
		m.Kind = ticket.KindNote
	}
	if cmdErr != nil {
		m.Warnings = append(m.Warnings, "commands not applied: "+cmdErr.Error())
	}
	if err := storeMessage(tx, m, msg, raw); err != nil {
		return delivered{}, err
	}
	res := delivered{property: prop.Slug, ticket: t.Number, messageID: m.ID, thread: m.Thread}
	q := p.queue(tx, prop, env)
	if cmdErr != nil {
		return res, q.Notice(t.ID, member, "Not sent: a command failed "+threading.Tag(prop.TagFormat, t.Number),
			"Your reply was kept as an internal note and nothing was sent or changed, because:\n\n"+cmdErr.Error()+
				"\n\nFix the command and send the reply again.")
	}
	return res, p.postAgentMail(tx, q, &t, m, pl, member)
}

// postUnappliedCommands posts released member mail that carries command
// lines, released without --with-commands: the mail may be forged (it was
// held for not authenticating), so it is kept as an internal note that
// sends, queues and changes nothing, and the ticket's log names the
// commands that were not applied.
func (p *Pipeline) postUnappliedCommands(tx *store.Tx, prop ticket.Property, member ticket.Member, dec threading.Decision, msg *parsed, raw []byte, body string) (delivered, error) {
	t := dec.Ticket
	lines := strings.Join(CommandLines(msg.Text), "; ")
	m := memberMessage(prop, t, member, dec, msg, raw, body)
	m.Kind = ticket.KindNote
	m.Warnings = append(m.Warnings, "released without --with-commands: kept as an internal note, sent to nobody; commands not applied: "+lines)
	if err := storeMessage(tx, m, msg, raw); err != nil {
		return delivered{}, err
	}
	if err := tx.AddEvent(t.ID, "note", member.Email, "released mail kept as an internal note; commands not applied: "+lines); err != nil {
		return delivered{}, err
	}
	return delivered{property: prop.Slug, ticket: t.Number, messageID: m.ID, thread: m.Thread}, nil
}

// postNote stores a member's mail as an internal note on its ticket and
// sends, queues and changes nothing: why says what it was.
func (p *Pipeline) postNote(tx *store.Tx, prop ticket.Property, member ticket.Member, dec threading.Decision, msg *parsed, raw []byte, why string) (delivered, error) {
	t := dec.Ticket
	m := memberMessage(prop, t, member, dec, msg, raw, msg.Text)
	m.Kind = ticket.KindNote
	m.Warnings = append(m.Warnings, why+": kept as an internal note, sent to nobody")
	if err := storeMessage(tx, m, msg, raw); err != nil {
		return delivered{}, err
	}
	if err := tx.AddEvent(t.ID, "note", member.Email, why+" kept as an internal note"); err != nil {
		return delivered{}, err
	}
	return delivered{property: prop.Slug, ticket: t.Number, messageID: m.ID, thread: m.Thread}, nil
}

// memberMessage is the message a member's mail becomes on ticket t.
func memberMessage(prop ticket.Property, t ticket.Ticket, member ticket.Member, dec threading.Decision, msg *parsed, raw []byte, body string) *ticket.Message {
	m := newMessage(msg, raw)
	m.PropertyID, m.TicketID, m.Direction = prop.ID, t.ID, ticket.Outbound
	m.AuthorID, m.AuthorEmail, m.AuthorName = member.ID, member.Email, member.Name
	m.Thread, m.Text, m.HTML = dec.String(), trimReply(body), ""
	return m
}

// postAgentMail applies an agent's commands and posts her message through
// the desk (desk.Op.Post): the reply to the requester and every Cc'd
// participant, a copy to the other members involved, a note's @mentions;
// never to the agent. A note goes to the members only.
func (p *Pipeline) postAgentMail(tx *store.Tx, q outbox.Queue, t *ticket.Ticket, m *ticket.Message, pl plan, member ticket.Member) error {
	hasContent := strings.TrimSpace(m.Text) != "" || len(m.Attachments) > 0
	replying := m.Kind == ticket.KindEmail && hasContent
	o := &desk.Op{Tx: tx, Queue: q, Actor: desk.AsMember(member)}
	if err := applyPlan(o, t, pl, replying); err != nil {
		return err
	}
	if err := addCc(tx, q.Prop, *t, pl.cc, member.Email); err != nil {
		return err
	}
	return o.Post(t, m)
}

// applyPlan carries out validated commands through the desk. A reply
// without a status command leaves the ticket answered.
func applyPlan(o *desk.Op, t *ticket.Ticket, pl plan, replying bool) error {
	if pl.assignee != nil {
		if err := o.Assign(t, *pl.assignee, ""); err != nil {
			return err
		}
	}
	if pl.department != "" {
		if err := o.AssignDepartment(t, pl.department, ""); err != nil {
			return err
		}
	}
	if pl.priority != "" {
		if err := o.SetPriority(t, pl.priority); err != nil {
			return err
		}
	}
	if pl.topic != "" {
		if err := o.SetTopic(t, pl.topic); err != nil {
			return err
		}
	}
	for _, tag := range pl.tags {
		if err := o.AddTag(t, tag); err != nil {
			return err
		}
	}
	switch {
	case pl.spam:
		return o.MarkSpam(t)
	case pl.status == ticket.StatusSnoozed:
		return o.Snooze(t, pl.wakeAt(o.Now()))
	case pl.status == ticket.StatusClosed:
		return o.Close(t, ticket.ClosedResolved)
	case pl.status == ticket.StatusOpen:
		return o.Reopen(t)
	case replying:
		return o.Answered(t)
	}
	return o.Tx.Touch(t.ID)
}
