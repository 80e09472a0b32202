// Command postdesk-load drives an SMTP server with concurrent sessions and
// reports throughput and the latency of the final 250 (p50, p99, max). A
// chosen share of the mails are replies to earlier ones, so that threading
// lookups run, not only new tickets. With -verify it opens postdesk's
// database afterwards and checks that every message answered 250 is stored
// exactly once. Its fill subcommand writes a large store directly, for
// growth measurements; its query subcommand times ticket lists and
// searches on such a store, and apiquery the same through the HTTP API; webpages times the web inbox's pages; its mbox subcommand writes an mbox file for
// `postdesk import`.
//
//	postdesk-load -addr 127.0.0.1:2525 -sessions 8 -messages 20000 -size 2048 -per-conn 50 -replies 0.2
//	postdesk-load -addr 127.0.0.1:2525,127.0.0.1:2526 -duration 30s -messages 1000000 -accepted ids.txt -verify postgres://…
//	postdesk-load fill -data postdesk-data -property acme -messages 1000000
//	postdesk-load query -data postdesk-data -property acme -runs 50
//	postdesk-load apiquery -url http://127.0.0.1:8025 -token TOKEN -property acme -runs 100
//	postdesk-load webpages -url http://127.0.0.1:8125 -sink 127.0.0.1:2626 -email fill1@agents.test -runs 50
//	postdesk-load outbound -data DIR -relay smtp://127.0.0.1:2601?tls=none -messages 10000
//	postdesk-load mbox -messages 20000 -size 2048 > history.mbox
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	run := run
	args := os.Args[1:]
	if len(args) > 0 {
		switch args[0] {
		case "fill":
			run, args = fill, args[1:]
		case "outbound":
			run, args = outboundRun, args[1:]
		case "mbox":
			run, args = mboxRun, args[1:]
		case "query":
			run, args = queryRun, args[1:]
		case "apiquery":
			run, args = apiQueryRun, args[1:]
		case "webpages":
			run, args = webPagesRun, args[1:]
		}
	}
	if err := run(ctx, args, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "postdesk-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("postdesk-load", flag.ContinueOnError)
	var o options
	addrs := fs.String("addr", "127.0.0.1:2525", "SMTP server to drive; several, comma-separated, share the sessions (a session moves to the next when its server fails)")
	fs.IntVar(&o.sessions, "sessions", 8, "concurrent SMTP sessions")
	fs.IntVar(&o.messages, "messages", 10000, "messages to send in all")
	fs.IntVar(&o.size, "size", 2048, "approximate size of each message in bytes")
	fs.IntVar(&o.perConn, "per-conn", 100, "messages per connection (1: a new connection for each)")
	fs.Float64Var(&o.replies, "replies", 0.2, "share of messages that reply to an earlier one (0 to 1)")
	fs.StringVar(&o.to, "to", "support@acme.test", "recipient")
	fs.StringVar(&o.from, "from", "", "sender of every message (default: a different customer per message)")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "give up on one SMTP exchange after this long")
	fs.Int64Var(&o.declare, "declare-size", 0, "SIZE declared in MAIL FROM (default: the real size)")
	fs.Int64Var(&o.rate, "rate", 0, "pace each session's DATA to this many bytes per second (default: as fast as possible)")
	fs.DurationVar(&o.duration, "duration", 0, "stop starting messages after this long (default: no limit; -messages still caps)")
	verify := fs.String("verify", "", "postdesk data directory, or postgres:// URL, to check afterwards: each 250 stored exactly once")
	accepted := fs.String("accepted", "", "write the Message-IDs answered 250 to this file, one a line")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, a := range strings.Split(*addrs, ",") {
		if a = strings.TrimSpace(a); a != "" {
			o.addrs = append(o.addrs, a)
		}
	}
	if err := o.validate(); err != nil {
		return err
	}
	rep, err := drive(ctx, o)
	if err != nil {
		return err
	}
	if *accepted != "" {
		if err := rep.writeAccepted(*accepted); err != nil {
			return err
		}
	}
	if *verify != "" {
		if err := rep.verify(ctx, *verify); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(out).Encode(rep)
	}
	rep.print(out)
	if rep.Failed > 0 || rep.Missing > 0 || rep.Duplicated > 0 {
		return fmt.Errorf("%d failed, %d missing, %d stored twice", rep.Failed, rep.Missing, rep.Duplicated)
	}
	return nil
}
