package ingest

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/reply"
	"github.com/postdesk/postdesk/sla"
	"github.com/postdesk/postdesk/ticket"
)

// command is one command line at the top of an agent's reply.
type command struct {
	name string // close, reopen, assign, priority, snooze, tag, topic, note, cc
	arg  string
	line string
}

var commandLine = regexp.MustCompile(`^#([a-zA-Z]+)(?:\s+(.*))?$`)

// splitCommands takes the command lines off the top of an agent's reply: a
// command is a line "#word [argument]" before any other text (blank lines
// between are allowed). "#1 thing to note" is text, not a command.
func splitCommands(text string) (cmds []command, rest string) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	i := 0
	for ; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" {
			continue
		}
		m := commandLine.FindStringSubmatch(line)
		if m == nil {
			break
		}
		cmds = append(cmds, command{name: strings.ToLower(m[1]), arg: strings.TrimSpace(m[2]), line: line})
	}
	return cmds, strings.Join(lines[i:], "\n")
}

// plan is the validated effect of an agent's commands. Commands are
// checked whole before any is applied, so a bad one changes nothing.
type plan struct {
	status   ticket.Status // "" for no change
	assignee *ticket.Member
	// department: #assign NAME without an @, checked against the
	// property's departments before anything is applied (see
	// postAsMember).
	department string
	spam       bool // #spam: the ticket is spam; the reply is kept as a note
	priority   ticket.Priority
	snooze     time.Duration // #snooze DURATION
	wake       time.Time     // #snooze DATE
	tags       []string
	topic      string // a topic of the property, checked when planned
	note       bool
	cc         []*mail.Address // to add as participants
}

// memberFinder resolves #assign arguments.
type memberFinder func(email string) (ticket.Member, bool, error)

// topicFinder resolves #topic arguments to the topic's name, or an error
// saying there is no such topic (desk.FindTopic).
type topicFinder func(name string) (string, error)

// planCommands validates every command against ticket t. me is the agent
// who sent them.
func planCommands(cmds []command, t ticket.Ticket, me ticket.Member, find memberFinder, topics topicFinder) (plan, error) {
	var p plan
	var problems []string
	for _, c := range cmds {
		err := p.add(c, me, find)
		if err == nil && c.name == "topic" {
			p.topic, err = topics(c.arg)
		}
		if err == nil && (c.name == "close" || c.name == "reopen" || c.name == "snooze" || c.name == "spam") {
			err = desk.Movable(t, c.name)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", c.line, err))
		}
	}
	if err := desk.TagsFit(t, p.tags); err != nil && len(problems) == 0 {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return plan{}, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return p, nil
}

func (p *plan) add(c command, me ticket.Member, find memberFinder) error {
	switch c.name {
	case "close", "reopen", "note", "spam":
		if c.arg != "" {
			return fmt.Errorf("#%s takes no argument", c.name)
		}
		switch c.name {
		case "close":
			p.status = ticket.StatusClosed
		case "reopen":
			p.status = ticket.StatusOpen
		case "spam":
			p.spam, p.note = true, true
		default:
			p.note = true
		}
	case "assign":
		return p.assign(c.arg, me, find)
	case "priority":
		prio, err := ticket.ParsePriority(c.arg)
		if err != nil {
			return err
		}
		p.priority = prio
	case "snooze":
		d, at, err := parseSnooze(c.arg)
		if err != nil {
			return err
		}
		p.snooze, p.wake, p.status = d, at, ticket.StatusSnoozed
	case "tag":
		tag, err := desk.ParseTag(c.arg)
		if err != nil {
			return err
		}
		p.tags = append(p.tags, tag)
	case "cc":
		return p.addCc(c.arg, find)
	case "topic":
		if c.arg == "" {
			return fmt.Errorf("#topic needs the name of one of the property's topics")
		}
	default:
		return fmt.Errorf("unknown command (known: #close, #reopen, #assign, #priority, #snooze, #tag, #topic, #note, #cc, #spam)")
	}
	return nil
}

func (p *plan) assign(arg string, me ticket.Member, find memberFinder) error {
	if arg == "" {
		return fmt.Errorf("#assign needs an address, \"me\" or a department")
	}
	if strings.EqualFold(arg, "me") {
		p.assignee = &me
		return nil
	}
	if !strings.Contains(arg, "@") {
		p.department = arg
		return nil
	}
	m, ok, err := find(strings.Trim(arg, "<>"))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s is not a member of this property", arg)
	}
	p.assignee = &m
	return nil
}

// addCc validates the addresses of a #cc command: members get copies
// anyway and are not participants.
func (p *plan) addCc(arg string, find memberFinder) error {
	addrs, err := parseCc(arg)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if _, member, err := find(a.Address); err != nil {
			return err
		} else if member {
			return fmt.Errorf("%s is a member; members are not added as participants", a.Address)
		}
	}
	p.cc = append(p.cc, addrs...)
	return nil
}

// snoozeDates are the layouts of a #snooze date, read in UTC.
var snoozeDates = []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", time.DateOnly}

// parseSnooze reads a #snooze argument: a duration ("30m", "4h", "2d",
// "1w", "1d12h") or a date, "2026-12-01" (midnight UTC),
// "2026-12-01T09:00" (UTC) or RFC 3339.
func parseSnooze(s string) (time.Duration, time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, time.Time{}, fmt.Errorf("#snooze needs a duration such as 4h, 2d or 1w, or a date such as 2026-12-01")
	}
	for _, layout := range snoozeDates {
		if at, err := time.Parse(layout, s); err == nil {
			return 0, at, nil
		}
	}
	d, err := sla.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, time.Time{}, fmt.Errorf("%q is not a duration such as 4h, 2d or 1w, nor a date such as 2026-12-01", s)
	}
	if d > desk.MaxSnooze {
		return 0, time.Time{}, fmt.Errorf("%q: a ticket is snoozed for at most a year", s)
	}
	return d, time.Time{}, nil
}

// wakeAt is when a #snooze wakes the ticket, for a plan made at now.
func (p plan) wakeAt(now time.Time) time.Time {
	if !p.wake.IsZero() {
		return p.wake
	}
	return now.Add(p.snooze)
}

// checkWake refuses a #snooze date that has passed or is more than a year
// ahead, at planning, so that it fails the commands and not the delivery.
func (p plan) checkWake(now time.Time) error {
	if p.wake.IsZero() {
		return nil
	}
	return desk.SnoozeTime(now, p.wake)
}

// trimReply keeps an agent's own words, answers between quoted lines
// included (see package reply).
func trimReply(text string) string { return reply.Trim(text) }
