package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// The commands that write on the desk: open a ticket by hand, answer one,
// note on one, saved replies and topics. Each is a desk operation as the
// member --as names; the logic is desk's.

// listFlag is a flag that may be given more than once.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// readFiles reads the --attach files.
func readFiles(paths []string) ([]desk.File, error) {
	var files []desk.File
	var total int64
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("--attach: %w", err)
		}
		if total += fi.Size(); total > desk.MaxFileBytes {
			return nil, fmt.Errorf("--attach: the files come to more than %d MiB, more than one mail carries", desk.MaxFileBytes>>20)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--attach: %w", err)
		}
		files = append(files, desk.File{Name: p, Data: data})
	}
	return files, nil
}

// messageText reads --message or --message-file: exactly one (or neither
// when other is set, the text coming from elsewhere).
func messageText(text, file string, other bool) (string, error) {
	switch {
	case text != "" && file != "", (text != "" || file != "") && other:
		return "", errors.New("give one of --message, --message-file and --template")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--message-file: %w", err)
		}
		return string(b), nil
	case text == "" && !other:
		return "", errors.New("give the text: --message TEXT or --message-file FILE")
	}
	return text, nil
}

func ticketCreate(ctx context.Context, e env) error {
	var n desk.NewTicket
	var requester, email, text, file, prio *string
	var attach, tags listFlag
	c, err := openDesk(ctx, e, "ticket create", true, 0, func(fs *flag.FlagSet) {
		requester = fs.String("requester", "", "the customer: the address of an existing contact")
		email = fs.String("email", "", "the customer's address, to add her as a contact (with --name, --phone)")
		fs.StringVar(&n.Name, "name", "", "the new contact's name")
		fs.StringVar(&n.Phone, "phone", "", "the new contact's phone number")
		fs.StringVar(&n.Subject, "subject", "", "the ticket's subject (required)")
		text = fs.String("message", "", "the first message")
		file = fs.String("message-file", "", "read the first message from this file")
		fs.Var(&attach, "attach", "attach this file (repeat for more)")
		prio = fs.String("priority", "", "lowest, low, medium (default), high or highest")
		fs.Var(&tags, "tag", "tag the ticket (repeat for more)")
		fs.StringVar(&n.Topic, "topic", "", "one of the property's topics (postdesk topic list)")
		fs.StringVar(&n.Department, "department", "", "the department (default: the property's default department)")
		fs.StringVar(&n.Assignee, "assignee", "", "assign it to this member (default: you)")
		fs.BoolVar(&n.Unassigned, "unassigned", false, "leave it unassigned: the department's members get the copy")
		fs.BoolVar(&n.NoMail, "no-mail", false, "record a phone call: the message is kept as a note and nobody is mailed")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	switch {
	case (*requester == "") == (*email == ""):
		return errors.New("give the customer: --requester ADDR (a contact) or --email E [--name N] (a new one)")
	case *requester != "" && (n.Name != "" || n.Phone != ""):
		return errors.New("--name and --phone describe a new contact: use them with --email, not --requester")
	}
	n.Requester, n.NewContact = *requester+*email, *email != ""
	if n.Text, err = messageText(*text, *file, false); err != nil {
		return err
	}
	if *prio != "" {
		if n.Priority, err = ticket.ParsePriority(*prio); err != nil {
			return fmt.Errorf("--priority: %w", err)
		}
	}
	n.Tags = tags
	if n.Files, err = readFiles(attach); err != nil {
		return err
	}
	var t ticket.Ticket
	err = c.desk.Run(ctx, c.prop, c.actor, func(o *desk.Op) error {
		t, _, err = o.Create(n)
		return err
	})
	if err != nil {
		return err
	}
	return c.printTicket(e, t)
}

func ticketReply(ctx context.Context, e env) error {
	var text, file, tmpl *string
	var attach listFlag
	c, err := openDesk(ctx, e, "ticket reply", true, 1, func(fs *flag.FlagSet) {
		text = fs.String("message", "", "the answer")
		file = fs.String("message-file", "", "read the answer from this file")
		tmpl = fs.String("template", "", "answer with this saved reply, its placeholders filled in (postdesk reply-template list)")
		fs.Var(&attach, "attach", "attach this file (repeat for more)")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	body, err := messageText(*text, *file, *tmpl != "")
	if err != nil {
		return err
	}
	files, err := readFiles(attach)
	if err != nil {
		return err
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error {
		if *tmpl != "" {
			if body, err = o.RenderTemplate(*t, *tmpl); err != nil {
				return err
			}
		}
		_, err := o.Reply(t, body, files, c.cfg.AnswerRcptsMax)
		return err
	})
}

func ticketNote(ctx context.Context, e env) error {
	var text, file *string
	var attach listFlag
	c, err := openDesk(ctx, e, "ticket note", true, 1, func(fs *flag.FlagSet) {
		text = fs.String("message", "", "the note; @name tells that member (first word of her name, or her address before @)")
		file = fs.String("message-file", "", "read the note from this file")
		fs.Var(&attach, "attach", "attach this file (repeat for more)")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	body, err := messageText(*text, *file, false)
	if err != nil {
		return err
	}
	files, err := readFiles(attach)
	if err != nil {
		return err
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error {
		_, err := o.Note(t, body, files)
		return err
	})
}

func ticketTopic(ctx context.Context, e env) error {
	var none *bool
	c, err := openDesk(ctx, e, "ticket topic", true, anyArgs, func(fs *flag.FlagSet) {
		none = fs.Bool("none", false, "take the ticket's topic off")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	name := ""
	switch {
	case *none && len(c.pos) == 1:
	case !*none && len(c.pos) >= 2:
		name = strings.Join(c.pos[1:], " ")
	default:
		return c.usage()
	}
	return c.change(ctx, e, func(o *desk.Op, t *ticket.Ticket) error { return o.SetTopic(t, name) })
}

func topicAdd(ctx context.Context, e env) error {
	c, err := openDesk(ctx, e, "topic add", true, anyArgs, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	if len(c.pos) == 0 {
		return c.usage()
	}
	var tp store.Topic
	err = c.desk.Run(ctx, c.prop, c.actor, func(o *desk.Op) error {
		tp, err = o.AddTopic(strings.Join(c.pos, " "))
		return err
	})
	if err != nil {
		return err
	}
	return c.print(e.stdout, tp, func(w *tabwriter.Writer) { fmt.Fprintf(w, "added topic %s to %s\n", tp.Name, c.prop.Slug) })
}

func topicList(ctx context.Context, e env) error {
	return listOf(ctx, e, "topic list", func(ctx context.Context, c *deskCmd) ([]store.Topic, error) {
		return c.st.PropertyTopics(ctx, c.prop.ID)
	}, "TOPIC", func(tp store.Topic) string { return cell(tp.Name) })
}

func templateAdd(ctx context.Context, e env) error {
	var text, file *string
	c, err := openDesk(ctx, e, "reply-template add", true, 1, func(fs *flag.FlagSet) {
		text = fs.String("text", "", "the reply; placeholders: {{"+strings.Join(desk.Placeholders, "}} {{")+"}}")
		file = fs.String("file", "", "read the reply from this file")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	if (*text == "") == (*file == "") {
		return errors.New("give the reply: --text T or --file F")
	}
	body := *text
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			return fmt.Errorf("--file: %w", err)
		}
		body = string(b)
	}
	var r store.ReplyTemplate
	err = c.desk.Run(ctx, c.prop, c.actor, func(o *desk.Op) error {
		r, err = o.AddReplyTemplate(c.pos[0], body)
		return err
	})
	if err != nil {
		return err
	}
	return c.print(e.stdout, r, func(w *tabwriter.Writer) { fmt.Fprintf(w, "added saved reply %s to %s\n", r.Name, c.prop.Slug) })
}

func templateList(ctx context.Context, e env) error {
	return listOf(ctx, e, "reply-template list", func(ctx context.Context, c *deskCmd) ([]store.ReplyTemplate, error) {
		return c.st.PropertyReplyTemplates(ctx, c.prop.ID)
	}, "NAME\tBY\tTEXT", func(r store.ReplyTemplate) string {
		first, _, _ := strings.Cut(r.Body, "\n")
		return r.Name + "\t" + r.CreatedBy + "\t" + cell(first)
	})
}
