package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/hook"
)

// webhookAdd adds a webhook endpoint to a property and prints its signing
// secret, once.
func webhookAdd(ctx context.Context, e env) error {
	var spec desk.WebhookSpec
	var events string
	c, err := openDesk(ctx, e, "webhook add", true, 0, func(fs *flag.FlagSet) {
		fs.StringVar(&spec.URL, "url", "", "where events are POSTed (http:// or https://)")
		fs.StringVar(&events, "events", "", "the event types it gets, comma separated (default: every type)")
		fs.StringVar(&spec.Description, "description", "", "what it is for")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	if events != "" {
		spec.Events = strings.Split(events, ",")
	}
	w, err := c.desk.AddWebhook(ctx, c.prop, c.actor, spec)
	if err != nil {
		return err
	}
	if c.json {
		return c.print(e.stdout, w, nil)
	}
	fmt.Fprintln(e.stdout, w.Secret)
	fmt.Fprintf(terminal(e.stderr), "webhook %d of %s: %s (%s)\nthe line above is its signing secret, shown once: keep it now\n",
		w.ID, c.prop.Slug, w.URL, desk.EventsText(w.Events))
	return nil
}

// webhookList prints a property's endpoints, without their secrets.
func webhookList(ctx context.Context, e env) error {
	c, err := openDesk(ctx, e, "webhook list", false, 0, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	hooks, err := c.st.Webhooks(ctx, c.prop.ID)
	if err != nil {
		return err
	}
	return c.print(e.stdout, nonNil(hooks), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "ID\tURL\tEVENTS\tENABLED\tFAILING SINCE\tDESCRIPTION")
		for _, h := range hooks {
			enabled := strconv.FormatBool(h.Enabled)
			if h.DisabledReason != "" {
				enabled += " (" + h.DisabledReason + ")"
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", h.ID, cell(h.URL), desk.EventsText(h.Events), cell(enabled),
				timeOrDash(h.FailingSince), cell(orDash(h.Description)))
		}
	})
}

// webhookByArg opens a webhook command that names an endpoint by id.
func webhookByArg(ctx context.Context, e env, name string, acting bool, define func(*flag.FlagSet)) (*deskCmd, int64, error) {
	c, err := openDesk(ctx, e, name, acting, 1, define)
	if err != nil {
		return nil, 0, err
	}
	id, err := strconv.ParseInt(c.pos[0], 10, 64)
	if err != nil || id <= 0 {
		c.st.Close()
		return nil, 0, fmt.Errorf("%q is not a webhook id (postdesk webhook list)", c.pos[0])
	}
	return c, id, nil
}

// webhookRemove deletes an endpoint, what is queued for it and its log.
func webhookRemove(ctx context.Context, e env) error {
	c, id, err := webhookByArg(ctx, e, "webhook remove", true, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	if err := c.desk.RemoveWebhook(ctx, c.prop, c.actor, id); err != nil {
		return err
	}
	fmt.Fprintf(terminal(e.stdout), "webhook %d of %s removed\n", id, c.prop.Slug)
	return nil
}

// webhookEnable turns a disabled endpoint on again.
func webhookEnable(ctx context.Context, e env) error {
	c, id, err := webhookByArg(ctx, e, "webhook enable", true, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	w, err := c.desk.EnableWebhook(ctx, c.prop, c.actor, id)
	if err != nil {
		return err
	}
	return c.print(e.stdout, w, func(tw *tabwriter.Writer) {
		fmt.Fprintf(tw, "webhook %d of %s enabled: %s\n", w.ID, c.prop.Slug, w.URL)
	})
}

// webhookTest sends a signed test event to an endpoint through the
// sender's own path, records it in the delivery log and prints what came
// of it. Admins only: it makes postdesk call out.
func webhookTest(ctx context.Context, e env) error {
	c, id, err := webhookByArg(ctx, e, "webhook test", true, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	a, err := c.desk.TestWebhook(ctx, c.prop, c.actor, id, hook.New(hook.Options{Store: c.st, Now: e.now}).Test)
	if err != nil {
		return err
	}
	if err := c.print(e.stdout, a, func(tw *tabwriter.Writer) {
		fmt.Fprintf(tw, "%s\t%s\tHTTP %s\t%d ms\t%s\n", a.MsgID, a.Outcome, statusOrDash(a.Status), a.DurationMS, a.Error)
	}); err != nil {
		return err
	}
	if a.Outcome != hook.OutcomeDelivered {
		return &exitError{code: 1, err: fmt.Errorf("webhook %d: the test was not delivered: %s", id, a.Error)}
	}
	return nil
}

// webhookDeliveries prints an endpoint's delivery log, newest first.
func webhookDeliveries(ctx context.Context, e env) error {
	var limit *int
	c, id, err := webhookByArg(ctx, e, "webhook deliveries", false, func(fs *flag.FlagSet) {
		limit = fs.Int("limit", 50, "how many attempts, newest first (1 to 10000)")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	if *limit < 1 || *limit > 10000 {
		return fmt.Errorf("--limit %d: want 1 to 10000", *limit)
	}
	if _, err := c.st.Webhook(ctx, c.prop.ID, id); err != nil {
		return err
	}
	log, err := c.st.WebhookAttempts(ctx, id, 0, *limit)
	if err != nil {
		return err
	}
	return c.print(e.stdout, nonNil(log), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "WHEN\tEVENT\tTYPE\tATTEMPT\tOUTCOME\tSTATUS\tMS\tERROR")
		for _, a := range log {
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\t%d\t%s\n", a.StartedAt.Format(time.DateTime), a.MsgID, a.Type, a.Attempt,
				a.Outcome, statusOrDash(a.Status), a.DurationMS, cell(orDash(a.Error)))
		}
	})
}

// statusOrDash shows an HTTP status, or "-" when no answer came.
func statusOrDash(s int) string {
	if s == 0 {
		return "-"
	}
	return strconv.Itoa(s)
}
