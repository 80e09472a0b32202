package history

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// Options configures an import.
type Options struct {
	Pipeline *ingest.Pipeline
	Store    *store.Store
	Property ticket.Property
	// Status is the status imported tickets are left in ("" for the
	// status arriving mail would give).
	Status ticket.Status
	// BatchSize caps the messages stored per transaction [256]; BatchBytes
	// their bytes [8 MiB]. A batch commits whole or not at all.
	BatchSize  int
	BatchBytes int64
	// MaxMessageSize skips larger messages (counted, logged) [25 MiB].
	MaxMessageSize int64
	// Progress, when set, is called after each batch has committed.
	Progress func(Progress)
	Logger   *slog.Logger
}

// Progress is how far an import got.
type Progress struct {
	Done, Total int64 // in the source's unit: bytes of an mbox, files of a Maildir
	Unit        string
	Result      ingest.HistoryResult // this run's messages so far
	TooLarge    int
}

// Summary is what an import did in this run.
type Summary struct {
	Source  string // the checkpoint's key: the kind and absolute path
	Resumed bool   // started after a checkpoint of an earlier run
	Progress
}

// batch is a prepared batch and the position after its last message.
type batch struct {
	prepared *ingest.HistoryBatch
	position string
	tooLarge int
	done     int64
}

// Import reads the mbox file or Maildir at path and stores its messages as
// history of the property, in batches, each committed with the checkpoint
// of the source: an import stopped (ctx cancelled, a crash) resumes after
// the last batch that committed, and mail already stored is never stored
// twice (the pipeline's retransmission rule). Reading and parsing the next
// batch overlaps with storing the current one.
func Import(ctx context.Context, path string, o Options) (Summary, error) {
	o = o.withDefaults()
	src, sum, err := open(ctx, path, o)
	if err != nil {
		return sum, err
	}
	defer src.Close()
	_, sum.Total = src.Progress()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan batch, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		readErr <- o.read(ctx, src, batches)
	}()
	imported, err := o.checkpointed(ctx, sum.Source)
	if err != nil {
		cancel()
	}
	for b := range batches {
		if err != nil {
			continue // drain: the reader stops at the cancel
		}
		imported += int64(b.prepared.Len() + b.tooLarge)
		h := ingest.History{Property: o.Property, Status: o.Status, Checkpoint: func(tx *store.Tx) error {
			return tx.SetCheckpoint(o.Property.ID, sum.Source, store.Checkpoint{Position: b.position, Imported: imported})
		}}
		var res ingest.HistoryResult
		if res, err = o.Pipeline.DeliverHistory(ctx, h, b.prepared); err != nil {
			cancel()
			continue
		}
		sum.Result.Add(res)
		sum.TooLarge += b.tooLarge
		sum.Done = b.done
		if o.Progress != nil {
			o.Progress(sum.Progress)
		}
	}
	if rerr := <-readErr; err == nil {
		err = rerr
	}
	return sum, err
}

// checkpointed returns the count of messages the earlier runs handed over.
func (o Options) checkpointed(ctx context.Context, source string) (int64, error) {
	c, _, err := o.Store.Checkpoint(ctx, o.Property.ID, source)
	return c.Imported, err
}

func (o Options) withDefaults() Options {
	if o.BatchSize <= 0 {
		o.BatchSize = 256
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 8 << 20
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = 25 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// open opens the source at path where the last committed batch left it.
// An mbox whose checkpoint no longer falls on a message (the file was
// rewritten) is read again from the start: what is stored already is
// recognised and not stored twice.
func open(ctx context.Context, path string, o Options) (Source, Summary, error) {
	var sum Summary
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, sum, err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return nil, sum, err
	}
	kind := "mbox"
	if st.IsDir() {
		kind = "maildir"
	}
	sum.Source, sum.Unit = kind+":"+abs, "bytes"
	if kind == "maildir" {
		sum.Unit = "files"
	}
	c, found, err := o.Store.Checkpoint(ctx, o.Property.ID, sum.Source)
	if err != nil {
		return nil, sum, err
	}
	sum.Resumed = found
	if kind == "maildir" {
		src, err := OpenMaildir(abs, c.Position, o.MaxMessageSize)
		return src, sum, err
	}
	src, err := OpenMbox(abs, c.Position, o.MaxMessageSize)
	if err != nil && found {
		o.Logger.Warn("checkpoint does not fit the file; reading it again from the start", "source", sum.Source, "err", err)
		sum.Resumed = false
		src, err = OpenMbox(abs, "", o.MaxMessageSize)
	}
	return src, sum, err
}

// read reads the source into batches and prepares (parses) each.
func (o Options) read(ctx context.Context, src Source, out chan<- batch) error {
	var items []ingest.HistoryItem
	var size int64
	b := batch{}
	flush := func() error {
		p, err := o.Pipeline.PrepareHistory(ctx, o.Property, items)
		if err != nil {
			return err
		}
		b.prepared = p
		b.done, _ = src.Progress()
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		items, size, b = nil, 0, batch{}
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		m, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			done, _ := src.Progress()
			return fmt.Errorf("read at %d: %w", done, err)
		}
		b.position = m.Position
		if m.TooLarge {
			o.Logger.Warn("archived mail over the size limit not imported", "where", m.Where, "limit", o.MaxMessageSize)
			b.tooLarge++
		} else {
			items = append(items, ingest.HistoryItem{Raw: m.Raw, From: m.From, Received: m.Received})
			size += int64(len(m.Raw))
		}
		if len(items) >= o.BatchSize || size >= o.BatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(items) > 0 || b.tooLarge > 0 {
		return flush()
	}
	return nil
}
