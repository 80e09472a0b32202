package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/history"
	"github.com/postdesk/postdesk/ticket"
)

// importHistory imports an mbox file or a Maildir as the property's history:
// no mail goes out, the mail keeps its dates, threads are rebuilt. A rerun
// stores nothing twice and resumes where an interrupted run stopped.
func importHistory(ctx context.Context, e env) error {
	var status *string
	var batch *int
	a, p, err := openForProperty(ctx, e, "import", func(fs *flag.FlagSet) {
		ownFlagsUsage(fs, "import [--property SLUG] [--status closed] PATH\n\n"+
			"PATH is an mbox file (mboxo or mboxrd) or a Maildir (a directory with cur/ and new/).\n")
		status = fs.String("status", "", "leave every imported ticket in this status: open, answered or closed (default: as arriving mail would)")
		batch = fs.Int("batch", 256, "messages stored per transaction (1 to 10000)")
	})
	if err != nil {
		return err
	}
	defer a.st.Close()
	path, err := importArgs(a.pos, *status, *batch)
	if err != nil {
		return err
	}
	log := newLogger(a.cfg, e.stderr)
	pipeline, err := commandPipeline(ctx, a.cfg, a.st, log)
	if err != nil {
		return err
	}
	debug.SetGCPercent(a.cfg.GCPercent) // as serve: the import is as busy
	debug.SetMemoryLimit(a.cfg.MemoryLimit)
	pr := newProgress(e.stderr, time.Now)
	sum, err := history.Import(ctx, path, history.Options{
		Pipeline: pipeline, Store: a.st, Property: p,
		Status: ticket.Status(*status), BatchSize: *batch, MaxMessageSize: a.cfg.MaxMessageBytes,
		Progress: pr.update, Logger: log.With("component", "import"),
	})
	pr.finish()
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("import interrupted: %d messages stored in this run, every batch committed whole; run the same command again to resume", sum.Result.Stored)
	}
	if err != nil {
		return fmt.Errorf("import %s: %w", path, err)
	}
	return a.print(e.stdout, sum, func(w *tabwriter.Writer) { writeSummary(w, sum, pr.elapsed()) })
}

// importArgs checks the command's arguments, each problem naming its flag.
func importArgs(pos []string, status string, batch int) (string, error) {
	var problems []string
	if len(pos) != 1 {
		problems = append(problems, fmt.Sprintf("PATH: give one mbox file or Maildir (got %d arguments)", len(pos)))
	}
	switch ticket.Status(status) {
	case "", ticket.StatusOpen, ticket.StatusAnswered, ticket.StatusClosed:
	default:
		problems = append(problems, fmt.Sprintf("--status: %q is not open, answered or closed", status))
	}
	if batch < 1 || batch > 10000 {
		problems = append(problems, fmt.Sprintf("--batch: %d is not between 1 and 10000", batch))
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "\n"))
	}
	return pos[0], nil
}

func writeSummary(w *tabwriter.Writer, sum history.Summary, took time.Duration) {
	r := sum.Result
	rate := float64(r.Total()) / max(took.Seconds(), 1e-3)
	fmt.Fprintf(w, "source\t%s\n", sum.Source)
	if sum.Resumed {
		fmt.Fprintf(w, "resumed\tafter the last batch of an earlier run\n")
	}
	fmt.Fprintf(w, "stored\t%d\nalready there\t%d\nheld\t%d\nunreadable\t%d\ntoo large\t%d\ntook\t%s (%.0f messages/s)\n",
		r.Stored, r.Duplicates, r.Held, r.Unreadable, sum.TooLarge, took.Round(time.Millisecond), rate)
}

// progress shows how an import goes: a bar redrawn in place on a terminal,
// a plain line every few seconds otherwise (a log file, a pipe).
type progress struct {
	w        io.Writer
	terminal bool
	now      func() time.Time
	start    time.Time
	last     time.Time
	drawn    bool
}

func newProgress(w io.Writer, now func() time.Time) *progress {
	return &progress{w: w, terminal: isTerminal(w), now: now, start: now()}
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *progress) update(pr history.Progress) {
	now := p.now()
	every := 2 * time.Second
	if p.terminal {
		every = 100 * time.Millisecond
	}
	if now.Sub(p.last) < every && pr.Done < pr.Total {
		return
	}
	p.last = now
	n := pr.Result.Total() + pr.TooLarge
	rate := float64(n) / max(now.Sub(p.start).Seconds(), 1e-3)
	pct := 100.0
	if pr.Total > 0 {
		pct = 100 * float64(pr.Done) / float64(pr.Total)
	}
	if !p.terminal {
		fmt.Fprintf(p.w, "import: %.0f%% (%d of %d %s), %d messages, %.0f/s\n", pct, pr.Done, pr.Total, pr.Unit, n, rate)
		return
	}
	const width = 30
	full := int(pct * width / 100)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%%  %d messages  %.0f/s ", strings.Repeat("#", full), strings.Repeat(".", width-full), pct, n, rate)
	p.drawn = true
}

// finish ends the bar's line.
func (p *progress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) elapsed() time.Duration { return p.now().Sub(p.start) }
