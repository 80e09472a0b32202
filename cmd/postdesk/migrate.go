package main

import (
	"context"
	"fmt"
)

// migrate applies the pending schema migrations to the database (the
// SQLite file under --data, or the PostgreSQL database of --database) and
// says which it applied, or that the database was up to date. Opening the
// store applies them, on PostgreSQL under an advisory lock, so migrate may
// run while gateways start.
func migrate(ctx context.Context, e env) error {
	fs, l := flags("migrate", e)
	cfg, err := parse(fs, l, e)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate takes no arguments, got %q", fs.Args())
	}
	cfg.LogLevel = "warn"
	st, err := openStore(ctx, cfg, newLogger(cfg, e.stderr), e.now)
	if err != nil {
		return err
	}
	defer st.Close()
	applied := st.Applied()
	if len(applied) == 0 {
		fmt.Fprintf(e.stdout, "%s: up to date\n", st.Where())
		return nil
	}
	for _, name := range applied {
		fmt.Fprintf(e.stdout, "applied %s\n", name)
	}
	fmt.Fprintf(e.stdout, "%s: %d migrations applied\n", st.Where(), len(applied))
	return nil
}
