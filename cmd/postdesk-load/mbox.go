package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"
)

// mboxRun writes an mbox file (mboxrd, LF line ends, as mail clients and
// MTAs write them) of generated messages for `postdesk import`: each about
// -size bytes, from a different customer, a -replies share answering an
// earlier one, some without a Message-ID, and a body line beginning with
// "From " escaped as ">From ".
//
//	postdesk-load mbox -messages 20000 -size 2048 > history.mbox
func mboxRun(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("postdesk-load mbox", flag.ContinueOnError)
	n := fs.Int("messages", 10000, "messages to write")
	size := fs.Int("size", 2048, "approximate size of each message in bytes")
	replies := fs.Float64("replies", 0.2, "share of messages that reply to an earlier one (0 to 1)")
	noID := fs.Float64("no-message-id", 0.05, "share of messages without a Message-ID (0 to 1)")
	to := fs.String("to", "support@acme.test", "recipient")
	seed := fs.Uint64("seed", 1, "random seed: the same seed writes the same file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var problems []string
	if *n < 0 {
		problems = append(problems, "-messages: must not be negative")
	}
	if *size < 300 || *size > 10<<20 {
		problems = append(problems, "-size: must be between 300 and 10485760")
	}
	if *replies < 0 || *replies > 1 || *noID < 0 || *noID > 1 {
		problems = append(problems, "-replies, -no-message-id: must be between 0 and 1")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	w := bufio.NewWriterSize(out, 1<<20)
	rng := rand.New(rand.NewPCG(*seed, 0))
	body := strings.ReplaceAll(filler(*size), "\r\n", "\n") + "From here on, a line an mbox must escape.\n"
	start := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range *n {
		if i%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		date := start.Add(time.Duration(i) * time.Minute)
		from := fmt.Sprintf("customer%d@example.com", i)
		fmt.Fprintf(w, "From %s %s\n", from, date.Format(time.ANSIC))
		fmt.Fprintf(w, "From: Customer %d <%s>\nTo: %s\nDate: %s\n", i, from, *to, date.Format(time.RFC1123Z))
		if rng.Float64() >= *noID {
			fmt.Fprintf(w, "Message-ID: <hist-%d@example.com>\n", i)
		}
		subject := fmt.Sprintf("history message %d", i)
		if i > 0 && rng.Float64() < *replies {
			parent := rng.IntN(i)
			subject = fmt.Sprintf("Re: history message %d", parent)
			fmt.Fprintf(w, "In-Reply-To: <hist-%d@example.com>\nReferences: <hist-%d@example.com>\n", parent, parent)
		}
		fmt.Fprintf(w, "Subject: %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n", subject)
		w.WriteString(strings.ReplaceAll(body, "\nFrom ", "\n>From "))
		w.WriteString("\n")
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if f, ok := out.(*os.File); ok {
		return f.Sync()
	}
	return nil
}
