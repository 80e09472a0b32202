package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/imapfetch"
	"github.com/postdesk/postdesk/store"
)

// envName is what --password-env accepts: a POSIX environment variable name.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// mailboxAdd adds an IMAP mailbox that serve fetches into a property. The
// password is never taken on the command line: the path of a file holding
// it, or the name of the environment variable serve reads it from, is
// stored, never the password itself.
func mailboxAdd(ctx context.Context, e env) error {
	var pwFile, pwEnv, moveTo *string
	a, p, err := openForProperty(ctx, e, "mailbox add", func(fs *flag.FlagSet) {
		ownFlagsUsage(fs, "mailbox add [--property SLUG] imaps://USER@HOST[:PORT]/FOLDER (--password-file FILE | --password-env NAME) [--move-to FOLDER]")
		pwFile = fs.String("password-file", "", "file holding the password (its path is stored; read at each login)")
		pwEnv = fs.String("password-env", "", "environment variable of serve holding the password (its name is stored)")
		moveTo = fs.String("move-to", "", "move each stored message to this folder (default: never change the mailbox)")
	})
	if err != nil {
		return err
	}
	defer a.st.Close()
	if len(a.pos) != 1 {
		return errors.New("want exactly one argument: the mailbox URL, imaps://USER@HOST[:PORT]/FOLDER")
	}
	t, err := imapfetch.ParseURL(a.pos[0])
	if err != nil {
		return err
	}
	mb := store.Mailbox{PropertyID: p.ID, URL: t.String(), PasswordEnv: *pwEnv, MoveTo: strings.TrimSpace(*moveTo)}
	if mb.PasswordFile, err = checkPasswordSource(*pwFile, *pwEnv, e); err != nil {
		return err
	}
	if strings.ContainsAny(mb.MoveTo, "\r\n\x00") || (mb.MoveTo != "" && mb.MoveTo == t.Folder) {
		return fmt.Errorf("--move-to %q: a folder name other than the fetched folder %q", mb.MoveTo, t.Folder)
	}
	if err := a.st.AddMailbox(ctx, &mb); err != nil {
		return err
	}
	fmt.Fprintf(terminal(e.stdout), "added mailbox %d: %s into %s (serve fetches it within 30 seconds)\n", mb.ID, mb.URL, p.Slug)
	return nil
}

// checkPasswordSource checks that exactly one of --password-file and
// --password-env is given, and returns the password file's absolute path.
func checkPasswordSource(file, envVar string, e env) (string, error) {
	switch {
	case file == "" && envVar == "":
		return "", errors.New("missing --password-file or --password-env (a password is never taken on the command line)")
	case file != "" && envVar != "":
		return "", errors.New("--password-file and --password-env: give one, not both")
	case envVar != "":
		if !envName.MatchString(envVar) {
			return "", fmt.Errorf("--password-env %q: not an environment variable name", envVar)
		}
		if e.getenv(envVar) == "" {
			fmt.Fprintf(e.stderr, "note: %s is not set here; serve must have it in its environment\n", envVar)
		}
		return "", nil
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", fmt.Errorf("--password-file: %w", err)
	}
	if _, err := readPasswordFile(abs); err != nil {
		return "", fmt.Errorf("--password-file: %w", err)
	}
	if st, err := os.Stat(abs); err == nil && st.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(e.stderr, "note: %s can be read by others (chmod 600 it)\n", abs)
	}
	return abs, nil
}

// readPasswordFile reads a password: the file's first line.
func readPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	if pw = strings.TrimSuffix(pw, "\r"); pw == "" {
		return "", fmt.Errorf("%s: the first line is empty", path)
	}
	return pw, nil
}

func mailboxList(ctx context.Context, e env) error {
	a, p, err := openForProperty(ctx, e, "mailbox list", synopsis("mailbox list [--property SLUG] [--json]"))
	if err != nil {
		return err
	}
	defer a.st.Close()
	list, err := a.st.Mailboxes(ctx, p.ID)
	if err != nil {
		return err
	}
	return a.print(e.stdout, nonNil(list), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "ID\tURL\tPASSWORD\tMOVE-TO\tIMPORTED\tLAST ERROR")
		for _, m := range list {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%s\n", m.ID, m.URL, passwordSource(m), orDash(m.MoveTo), m.Imported, cell(orDash(m.LastError)))
		}
	})
}

func passwordSource(m store.Mailbox) string {
	if m.PasswordEnv != "" {
		return "env " + m.PasswordEnv
	}
	return "file " + m.PasswordFile
}

func mailboxRemove(ctx context.Context, e env) error {
	a, p, err := openForProperty(ctx, e, "mailbox remove", synopsis("mailbox remove [--property SLUG] ID"))
	if err != nil {
		return err
	}
	defer a.st.Close()
	id, err := mailboxID(a.pos)
	if err != nil {
		return err
	}
	if err := a.st.RemoveMailbox(ctx, p.ID, id); err != nil {
		return err
	}
	fmt.Fprintf(terminal(e.stdout), "removed mailbox %d (what it brought in stays; serve stops fetching it within 30 seconds)\n", id)
	return nil
}

// mailboxStatus prints how far each mailbox (or the one named) is fetched.
func mailboxStatus(ctx context.Context, e env) error {
	a, p, err := openForProperty(ctx, e, "mailbox status", synopsis("mailbox status [--property SLUG] [ID] [--json]"))
	if err != nil {
		return err
	}
	defer a.st.Close()
	list, err := a.st.Mailboxes(ctx, p.ID)
	if err != nil {
		return err
	}
	if len(a.pos) > 0 {
		id, err := mailboxID(a.pos)
		if err != nil {
			return err
		}
		m, err := a.st.MailboxByID(ctx, p.ID, id)
		if err != nil {
			return err
		}
		list = []store.Mailbox{m}
	}
	return a.print(e.stdout, nonNil(list), func(w *tabwriter.Writer) {
		for i, m := range list {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "mailbox\t%d\nurl\t%s\nproperty\t%s\npassword\t%s\nmove to\t%s\n", m.ID, m.URL, m.Property,
				passwordSource(m), orDash(m.MoveTo))
			fmt.Fprintf(w, "uidvalidity\t%d\nlast uid\t%d\nimported\t%d\nskipped\t%d\nlast import\t%s\nlast error\t%s\n",
				m.UIDValidity, m.LastUID, m.Imported, m.Skipped, when(m.LastImportAt), orDash(errorAt(m)))
		}
	})
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateTime)
}

func errorAt(m store.Mailbox) string {
	if m.LastError == "" {
		return ""
	}
	return m.LastErrorAt.Format(time.DateTime) + " " + m.LastError
}

// mailboxID reads the one positional argument, a mailbox id.
func mailboxID(pos []string) (int64, error) {
	if len(pos) != 1 {
		return 0, errors.New("want exactly one argument: the id of the mailbox (see postdesk mailbox list)")
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%q is not a mailbox id", pos[0])
	}
	return id, nil
}

// synopsis returns a flag definer that only sets the -h text.
func synopsis(text string) func(*flag.FlagSet) {
	return func(fs *flag.FlagSet) { ownFlagsUsage(fs, text) }
}

// ownFlagsUsage makes -h show the command's own flags, --data and
// --config, not every setting of serve.
func ownFlagsUsage(fs *flag.FlagSet, synopsis string) {
	settings := flag.NewFlagSet("", flag.ContinueOnError)
	config.Register(settings)
	fs.Usage = func() {
		own := flag.NewFlagSet("", flag.ContinueOnError)
		fs.VisitAll(func(f *flag.Flag) {
			if settings.Lookup(f.Name) == nil || f.Name == "data" || f.Name == "config" {
				own.Var(f.Value, f.Name, f.Usage)
			}
		})
		fmt.Fprintf(fs.Output(), "Usage: postdesk %s\n", synopsis)
		own.SetOutput(fs.Output())
		own.PrintDefaults()
		fmt.Fprintln(fs.Output(), "The settings of 'postdesk serve -h' apply as well.")
	}
}
