// Command postdesk is the email ticketing gateway: `postdesk serve` runs it,
// the other subcommands administer it, and work while serve runs.
//
// This is the one composition root: every component is built here, from the
// configuration, and run under one signal-cancelled context.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/store"
)

const usage = `postdesk: email in, tickets out.

Usage:
  postdesk serve                         run the gateway
  postdesk deliver --recipient ADDR      store one message from standard input (an MTA's pipe)
  postdesk property add|list|show        manage properties; show: forwarding mailboxes and confirmations
  postdesk forwarding add|remove         the mailboxes that forward to a property
  postdesk property set --assign-on-answer=BOOL   a property's settings (admins)
  postdesk member add|list|set           manage agents and admins; set: available, capacity, role
  postdesk member login-link EMAIL       print a one-time sign-in link into the web inbox
  postdesk member password EMAIL         set a member's web inbox password (read from stdin)
  postdesk department add|list           manage departments
  postdesk ticket list|show              read tickets (list: --folder, --mine, --search, --sort... see ticket list -h)
  postdesk ticket create|reply|note      open a ticket by hand, answer it, add an internal note
  postdesk ticket priority|tag|assign|topic|snooze|close|reopen|delete|undelete|spam   work a ticket (delete: admins)
  postdesk topic add|list                the property's topics
  postdesk reply-template add|list       saved replies, with placeholders
  postdesk ticket merge|split            merge a ticket into another; split a message off into a new ticket
  postdesk ticket field N NAME VALUE     set a custom field of a ticket
  postdesk field add|list                custom fields of tickets and contacts
  postdesk contact show|edit|note|merge  a contact's timeline; change, annotate or merge contacts
  postdesk contact field ADDR NAME VALUE set a custom field of a contact
  postdesk sla set|show                  a property's service levels: targets per priority, business hours
  postdesk audit list                    who changed the property outside its tickets, newest first
  postdesk message raw ID                print a message exactly as received
  postdesk held list                     mail accepted but not posted (forged, looping, over limits)
  postdesk held show|release|discard ID  read held mail, run it through postdesk again, or keep it out
  postdesk outbox list                   outbound mail: queued, sent, failed
  postdesk bounce list                   delivery reports and failure notices, verified or not
  postdesk suppression list|clear ADDR   addresses that bounced permanently; let mail go to one again
  postdesk mailbox add URL              fetch an IMAP mailbox (imaps://user@host/INBOX) into a property
  postdesk mailbox list|status|remove    the mailboxes fetched, how far, what failed; stop fetching one
  postdesk token create|list|revoke      API tokens of members (serve's HTTP API on --http-addr)
  postdesk webhook add|list|remove|enable|test|deliveries   signed webhooks of desk events (admins)
  postdesk check                         verify the database's integrity and invariants
  postdesk migrate                       apply pending schema migrations (serve does at start), say which
  postdesk import [--status closed] PATH import an mbox file or a Maildir as history (no mail goes out)

Every command takes --data DIR (or --database postgres://…) and the other settings of 'postdesk serve -h';
run 'postdesk GROUP' (such as 'postdesk ticket') for a group's commands and
'postdesk COMMAND -h' for a command's own flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(terminal(os.Stderr), "postdesk:", err)
		}
		var ex *exitError
		if errors.As(err, &ex) {
			os.Exit(ex.code)
		}
		os.Exit(2)
	}
}

// env is what every command gets: its arguments after the command words,
// where to write, and the environment.
type env struct {
	args   []string
	stdin  io.Reader // nil: os.Stdin
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	now    func() time.Time // the one clock (see newClock)
}

type command func(ctx context.Context, e env) error

func commands() map[string]command {
	return map[string]command{
		"serve":               serve,
		"property add":        propertyAdd,
		"property list":       propertyList,
		"property show":       propertyShow,
		"forwarding add":      forwardingAdd,
		"forwarding remove":   forwardingRemove,
		"deliver":             deliver,
		"member add":          memberAdd,
		"member list":         memberList,
		"member set":          memberSet,
		"member login-link":   memberLoginLink,
		"member password":     memberPassword,
		"property set":        propertySet,
		"ticket delete":       ticketDelete,
		"ticket undelete":     ticketUndelete,
		"ticket spam":         ticketSpam,
		"department add":      departmentAdd,
		"department list":     departmentList,
		"ticket list":         ticketList,
		"ticket show":         ticketShow,
		"ticket priority":     ticketPriority,
		"ticket tag":          ticketTag,
		"ticket assign":       ticketAssign,
		"ticket snooze":       ticketSnooze,
		"ticket close":        ticketClose,
		"ticket reopen":       ticketReopen,
		"ticket create":       ticketCreate,
		"ticket reply":        ticketReply,
		"ticket note":         ticketNote,
		"ticket topic":        ticketTopic,
		"ticket merge":        ticketMerge,
		"ticket split":        ticketSplit,
		"ticket field":        ticketField,
		"field add":           fieldAdd,
		"field list":          fieldList,
		"contact show":        contactShow,
		"contact edit":        contactEdit,
		"contact note":        contactNote,
		"contact merge":       contactMerge,
		"contact field":       contactField,
		"topic add":           topicAdd,
		"topic list":          topicList,
		"audit list":          auditList,
		"reply-template add":  templateAdd,
		"reply-template list": templateList,
		"sla set":             slaSet,
		"sla show":            slaShow,
		"message raw":         messageRaw,
		"token create":        tokenCreate,
		"token list":          tokenList,
		"token revoke":        tokenRevoke,
		"webhook add":         webhookAdd,
		"webhook list":        webhookList,
		"webhook remove":      webhookRemove,
		"webhook enable":      webhookEnable,
		"webhook test":        webhookTest,
		"webhook deliveries":  webhookDeliveries,
		"held list":           heldList,
		"held show":           heldShow,
		"held release":        heldRelease,
		"held discard":        heldDiscard,
		"outbox list":         outboxList,
		"bounce list":         bounceList,
		"suppression list":    suppressionList,
		"suppression clear":   suppressionClear,
		"check":               check,
		"migrate":             migrate,
		"mailbox add":         mailboxAdd,
		"mailbox list":        mailboxList,
		"mailbox remove":      mailboxRemove,
		"mailbox status":      mailboxStatus,
		"import":              importHistory,
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	now, err := newClock(getenv)
	if err != nil {
		return err
	}
	cmds := commands()
	for n := 2; n >= 1; n-- {
		if len(args) < n {
			continue
		}
		name := args[0]
		if n == 2 {
			name += " " + args[1]
		}
		if cmd, ok := cmds[name]; ok {
			return cmd(ctx, env{args: args[n:], stdout: stdout, stderr: stderr, getenv: getenv, now: now})
		}
	}
	if len(args) > 0 && isHelp(args[1:]) {
		if names := groupCommands(cmds, args[0]); len(names) > 0 {
			printGroup(stderr, args[0], names)
			return flag.ErrHelp
		}
	}
	fmt.Fprint(stderr, usage)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		return flag.ErrHelp
	}
	return fmt.Errorf("unknown command %q", args)
}

// flags makes a flag set for a command, with the configuration flags on it.
// Its -h shows the command's usage line and own flags; only serve's shows
// every setting.
func flags(name string, e env) (*flag.FlagSet, *config.Loader) {
	fs := flag.NewFlagSet("postdesk "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	l := config.Register(fs)
	if name != "serve" {
		ownFlagsUsage(fs, synopsisOf(name)) // a command's own -h may say more
	}
	return fs, l
}

// parse parses the command line and loads the configuration.
func parse(fs *flag.FlagSet, l *config.Loader, e env) (config.Config, error) {
	if err := fs.Parse(e.args); err != nil {
		return config.Config{}, err
	}
	cfg, err := l.Load(e.getenv)
	if err != nil {
		return cfg, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel)) // validated by config
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func openStore(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time) (*store.Store, error) {
	return store.Open(ctx, storeOptions(cfg, log, now))
}

// storeOptions are the store's options from the configuration.
func storeOptions(cfg config.Config, log *slog.Logger, now func() time.Time) store.Options {
	return store.Options{Path: cfg.DatabasePath(), Database: cfg.Database, Logger: log, BusyTimeout: cfg.BusyTimeout, Now: now}
}
