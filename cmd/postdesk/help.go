package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// help is a command's usage line (after "postdesk ") and what it does, in
// one line: `postdesk GROUP` lists a group's commands with it, and `-h`
// prints the usage line above the command's own flags.
type help struct{ synopsis, summary string }

// helps describes the commands of commands(). A command missing here still
// works and shows its own flags; `postdesk GROUP` then lists it without a
// description.
func helps() map[string]help {
	return map[string]help{
		"serve":             {"serve [SETTINGS]", "run the gateway"},
		"deliver":           {"deliver --recipient ADDR [--sender ADDR] < MAIL", "store one message from standard input (an MTA's pipe)"},
		"check":             {"check", "verify the database's integrity and invariants"},
		"migrate":           {"migrate", "apply the pending schema migrations and say which (serve applies them at start, under a lock)"},
		"import":            {"import [--property SLUG] [--status closed] PATH", "import an mbox file or a Maildir as history (no mail goes out)"},
		"property add":      {"property add --slug S --name N --address ADDR[,ADDR...] [--from-name N] [--from-address A] [--tag-format F] [--no-ack]", "add a property: one brand, its inbound addresses"},
		"property list":     {"property list [--json]", "list the properties"},
		"property show":     {"property show [--property SLUG] [--json]", "a property's addresses, forwarding mailboxes and confirmations"},
		"forwarding add":    {"forwarding add --mailbox ADDR [--property SLUG]", "name a mailbox that forwards to the property"},
		"forwarding remove": {"forwarding remove --mailbox ADDR [--property SLUG]", "forget a forwarding mailbox"},
		"member add":        {"member add --email E [--name N] [--role agent|admin] [--as ADMIN] [--property SLUG]", "add an agent or admin (once the property has an admin: as an admin)"},
		"member list":       {"member list [--property SLUG] [--json]", "list the members: role, available, capacity"},
		"member set":        {"member set EMAIL [--available=true|false] [--capacity N] [--role agent|admin] --as ADMIN (once the property has one)", "a member's availability for round-robin, capacity and role (admins)"},
		"member login-link": {"member login-link EMAIL", "print a one-time link that signs a member in to the web inbox (the first admin's way in)"},
		"member password":   {"member password EMAIL", "set a member's password for the web inbox, read from the first line of standard input; her web sessions are signed out"},
		"property set":      {"property set [--property SLUG] --assign-on-answer=true|false --as ADMIN", "a property's settings (admins)"},
		"department add":    {"department add --name N [--members A,B] [--default] [--as ADMIN] [--property SLUG]", "add a department (once the property has an admin: as an admin)"},
		"department list":   {"department list [--property SLUG] [--json]", "list the departments and their members"},
		"ticket list": {"ticket list [--folder F] [--mine --as EMAIL] [--assignee EMAIL] [--unassigned] [--department NAME] " +
			"[--priority P] [--tag TAG] [--topic NAME] [--overdue] [--requester EMAIL] [--search TEXT] " +
			"[--sort activity|due|priority] [--limit N] [--after CURSOR]" + " [--property SLUG] [--json]", "list tickets"},
		"ticket show": {"ticket show N [--property SLUG] [--json]", "a ticket's messages, authors, attachments and event log"},
		"ticket create": {"ticket create --as EMAIL (--requester ADDR | --name N --email E [--phone P]) --subject S\n" +
			"       (--message TEXT | --message-file F) [--attach FILE]... [--priority P] [--tag T]... [--topic T]\n" +
			"       [--department D] [--assignee EMAIL | --unassigned] [--no-mail]", "open a ticket by hand: write to a customer, or record a phone call"},
		"ticket reply":    {"ticket reply N --as EMAIL (--message TEXT | --message-file F | --template NAME)", "answer the customer, as a reply by mail would"},
		"ticket note":     {"ticket note N --as EMAIL --message TEXT", "add an internal note; @name tells that member"},
		"ticket topic":    {"ticket topic N (NAME | --none) --as EMAIL", "set or clear a ticket's topic"},
		"ticket priority": {"ticket priority N lowest|low|medium|high|highest --as EMAIL", "change a ticket's priority"},
		"ticket tag":      {"ticket tag N [--remove] TAG... --as EMAIL", "tag or untag a ticket"},
		"ticket assign":   {"ticket assign N (MEMBER-EMAIL | --department NAME | --none) [--note TEXT] --as EMAIL", "give a ticket to a member or a department, or to nobody"},
		"ticket delete":   {"ticket delete N --as ADMIN", "delete a ticket: hidden, kept (admins)"},
		"ticket undelete": {"ticket undelete N --as ADMIN", "bring a deleted ticket back, open (admins)"},
		"ticket spam":     {"ticket spam N [--undo] --as EMAIL", "mark a ticket and its sender as spam, or unmark them"},
		"ticket snooze":   {"ticket snooze N (--for DURATION | --until TIME) --as EMAIL", "put a ticket away until a time"},
		"ticket close":    {"ticket close N [--reason resolved|cancelled] --as EMAIL", "close a ticket"},
		"ticket reopen":   {"ticket reopen N --as EMAIL", "open a closed ticket again"},
		"ticket merge":    {"ticket merge SOURCE TARGET --as EMAIL", "merge a ticket into another: its messages, people and log move there"},
		"ticket split":    {"ticket split N MESSAGE-ID --as EMAIL", "move one message of a ticket off into a new ticket"},
		"ticket field":    {"ticket field N NAME VALUE --as EMAIL", "set a ticket's custom field (an empty VALUE clears it)"},
		"field add":       {"field add NAME --for ticket|contact --type text|number|date|choice [--choice C]... --as ADMIN-EMAIL", "define a custom field of tickets or contacts (admins)"},
		"token create":    {"token create --member EMAIL [--label TEXT] [--json]", "make an API token for a member: printed once, kept hashed"},
		"token list":      {"token list [--member EMAIL] [--json]", "list API tokens: member, label, last use, revoked"},
		"token revoke":    {"token revoke ID", "revoke an API token: it stops working at once"},
		"webhook add": {"webhook add --url URL [--events TYPE,...] [--description D] --as ADMIN [--property SLUG] [--json]",
			"add a webhook endpoint: desk events POSTed, signed (Standard Webhooks); prints its secret once (admins)"},
		"webhook list":        {"webhook list [--property SLUG] [--json]", "list the webhook endpoints: events, enabled, failing since"},
		"webhook remove":      {"webhook remove ID --as ADMIN [--property SLUG]", "remove a webhook endpoint, its queue and its log (admins)"},
		"webhook enable":      {"webhook enable ID --as ADMIN [--property SLUG]", "turn a disabled webhook endpoint on again (admins)"},
		"webhook test":        {"webhook test ID --as ADMIN [--property SLUG] [--json]", "send a signed test event to an endpoint and print the outcome (admins)"},
		"webhook deliveries":  {"webhook deliveries ID [--limit N] [--property SLUG] [--json]", "an endpoint's delivery log, newest first: status, error, duration"},
		"field list":          {"field list [--property SLUG] [--json]", "list the property's custom fields"},
		"contact show":        {"contact show ADDR [--limit N] [--property SLUG] [--json]", "a contact, their fields and their timeline, newest first"},
		"contact edit":        {"contact edit ADDR [--name N] [--phone P] --as EMAIL", "change a contact's name or phone"},
		"contact note":        {"contact note ADDR --message TEXT --as EMAIL", "keep a note on a contact, shown in their timeline"},
		"contact merge":       {"contact merge FROM-ADDR INTO-ADDR --as EMAIL", "merge two contacts; FROM's address becomes INTO's alias"},
		"contact field":       {"contact field ADDR NAME VALUE --as EMAIL", "set a contact's custom field (an empty VALUE clears it)"},
		"topic add":           {"topic add NAME --as ADMIN-EMAIL", "add a topic to the property's list (admins)"},
		"topic list":          {"topic list [--property SLUG] [--json]", "list the property's topics"},
		"audit list":          {"audit list [--limit N] [--property SLUG] [--json]", "who changed the property (members, departments, topics, saved replies, fields, SLA, settings), newest first"},
		"reply-template add":  {"reply-template add NAME --as EMAIL (--text T | --file F)", "save a reply, with placeholders such as {{customer.first_name}}"},
		"reply-template list": {"reply-template list [--property SLUG] [--json]", "list the saved replies"},
		"sla set":             {"sla set --as ADMIN --first-response PRIORITY=DURATION... --resolution PRIORITY=DURATION... [--hours SPEC --time-zone ZONE [--holiday DATE]...] [--warn-share 0.8]", "set the property's service levels: targets per priority, business hours (admins)"},
		"sla show":            {"sla show [--property SLUG] [--json]", "the property's service levels"},
		"message raw":         {"message raw ID", "print a message exactly as received"},
		"held list":           {"held list [--all] [--property SLUG] [--json]", "mail accepted but not posted (forged, looping, over limits)"},
		"held show":           {"held show ID [--property SLUG]", "read held mail and why it was held"},
		"held release":        {"held release ID --as EMAIL [--with-commands] [--property SLUG]", "run held mail through postdesk again"},
		"held discard":        {"held discard ID --as EMAIL [--property SLUG]", "keep held mail out for good"},
		"outbox list":         {"outbox list [--status queued|sent|failed] [--property SLUG] [--json]", "outbound mail: queued, sent, failed"},
		"bounce list":         {"bounce list [--property SLUG] [--json]", "delivery reports and failure notices, verified or not"},
		"suppression list":    {"suppression list [--property SLUG] [--json]", "addresses that bounced permanently"},
		"suppression clear":   {"suppression clear ADDR --as ADMIN-EMAIL [--property SLUG]", "let mail go to a suppressed address again"},
		"mailbox add":         {"mailbox add imaps://USER@HOST/FOLDER (--password-file F | --password-env NAME)", "fetch an IMAP mailbox into a property"},
		"mailbox list":        {"mailbox list [--property SLUG] [--json]", "the mailboxes fetched"},
		"mailbox status":      {"mailbox status [ID] [--property SLUG] [--json]", "how far each mailbox was fetched, what failed"},
		"mailbox remove":      {"mailbox remove ID [--property SLUG]", "stop fetching a mailbox"},
	}
}

// synopsisOf is the usage line of a command: from helps, else its name.
func synopsisOf(name string) string {
	if h, ok := helps()[name]; ok {
		return h.synopsis
	}
	return name + " [FLAGS]"
}

// groupCommands returns the names of the commands of group ("ticket":
// "ticket list", "ticket show", ...), sorted.
func groupCommands(cmds map[string]command, group string) []string {
	var names []string
	for name := range cmds {
		if strings.HasPrefix(name, group+" ") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// isHelp reports whether args ask a group for help: nothing after the
// group's name, or -h, --help or help.
func isHelp(args []string) bool {
	return len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help"
}

// printGroup lists a group's commands, each with what it does.
func printGroup(w io.Writer, group string, names []string) {
	fmt.Fprintf(w, "Usage: postdesk %s COMMAND [FLAGS]\n\nCommands:\n", group)
	h := helps()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, name := range names {
		fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimPrefix(name, group+" "), h[name].summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun 'postdesk %s COMMAND -h' for a command's flags.\n", group)
}
