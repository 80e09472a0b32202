package web

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ticket"
)

// An action is one form of the ticket page: it reads its form and returns
// the desk operation to run on the ticket, the one the API's route of the
// same change runs, with the member as actor.
type action func(s *Server, c *call) (func(*desk.Op, *ticket.Ticket) error, error)

// actions are the ticket page's forms by the last part of their path.
var actions = map[string]action{
	"answer": writeAction(true),
	"note":   writeAction(false),
	"assign": func(_ *Server, c *call) (func(*desk.Op, *ticket.Ticket) error, error) {
		return assignStep(c.r.PostFormValue("to"), c.r.PostFormValue("note"))
	},
	"priority": priorityAction,
	"tags":     tagsAction,
	"topic": func(_ *Server, c *call) (func(*desk.Op, *ticket.Ticket) error, error) {
		topic := strings.TrimSpace(c.r.PostFormValue("topic"))
		return func(o *desk.Op, t *ticket.Ticket) error { return o.SetTopic(t, topic) }, nil
	},
	"snooze": func(s *Server, c *call) (func(*desk.Op, *ticket.Ticket) error, error) {
		until, err := snoozeUntil(s.now(), s.zone(c.r.Context(), c.prop.ID), c.r.PostFormValue("preset"), c.r.PostFormValue("until"))
		if err != nil {
			return nil, err
		}
		return func(o *desk.Op, t *ticket.Ticket) error { return o.Snooze(t, until) }, nil
	},
	"close": func(_ *Server, c *call) (func(*desk.Op, *ticket.Ticket) error, error) {
		r, err := ticket.ParseCloseReason(c.r.PostFormValue("reason"))
		if err != nil {
			return nil, badForm("reason: %v", err)
		}
		return func(o *desk.Op, t *ticket.Ticket) error { return o.Close(t, r) }, nil
	},
	"reopen":   step((*desk.Op).Reopen),
	"spam":     step((*desk.Op).MarkSpam),
	"unspam":   step((*desk.Op).UnmarkSpam),
	"delete":   step((*desk.Op).Delete),
	"undelete": step((*desk.Op).Undelete),
	"fields":   fieldsAction,
}

// step is an action without a form of its own.
func step(op func(*desk.Op, *ticket.Ticket) error) action {
	return func(*Server, *call) (func(*desk.Op, *ticket.Ticket) error, error) { return op, nil }
}

// writeAction is the answer to the customer (desk's Reply, as `ticket
// reply` and the API's replies route) or the internal note (Note), with
// the form's files.
func writeAction(answer bool) action {
	return func(s *Server, c *call) (func(*desk.Op, *ticket.Ticket) error, error) {
		files, err := answerFiles(c.r)
		if err != nil {
			return nil, err
		}
		text := c.r.PostFormValue("text")
		return func(o *desk.Op, t *ticket.Ticket) error {
			var err error
			if answer {
				_, err = o.Reply(t, text, files, s.answerRcpts)
			} else {
				_, err = o.Note(t, text, files)
			}
			return err
		}, nil
	}
}

func priorityAction(_ *Server, c *call) (func(*desk.Op, *ticket.Ticket) error, error) {
	p, err := ticket.ParsePriority(c.r.PostFormValue("priority"))
	if err != nil {
		return nil, badForm("priority: %v", err)
	}
	return func(o *desk.Op, t *ticket.Ticket) error { return o.SetPriority(t, p) }, nil
}

// tagsAction adds the tags typed ("a, b") or removes the one whose button
// was pressed.
func tagsAction(_ *Server, c *call) (func(*desk.Op, *ticket.Ticket) error, error) {
	add := splitWords(c.r.PostFormValue("add"))
	remove := c.r.PostFormValue("remove")
	if len(add) == 0 && remove == "" {
		return nil, badForm("give a tag to add")
	}
	return func(o *desk.Op, t *ticket.Ticket) error {
		for _, tag := range add {
			if err := o.AddTag(t, tag); err != nil {
				return err
			}
		}
		if remove != "" {
			return o.RemoveTag(t, remove)
		}
		return nil
	}, nil
}

// fieldsAction sets the custom fields of the form (field.NAME), as the
// API's PATCH fields does; the desk leaves unchanged ones alone.
func fieldsAction(_ *Server, c *call) (func(*desk.Op, *ticket.Ticket) error, error) {
	values := map[string]string{}
	for k, v := range c.r.PostForm {
		if name, ok := strings.CutPrefix(k, "field."); ok && len(v) == 1 {
			values[name] = v[0]
		}
	}
	if len(values) == 0 {
		return nil, badForm("the form sets no field")
	}
	return func(o *desk.Op, t *ticket.Ticket) error {
		for _, name := range slices.Sorted(maps.Keys(values)) {
			if err := o.SetField(t, name, values[name]); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// ticketAction runs the action of the path on ticket {n} in one desk
// transaction, once the form's ETag holds for the ticket as read in it,
// then sends the browser back to the ticket (POST-redirect-GET). A
// refusal shows the ticket page again with the desk's words and the text
// the member was writing.
func (s *Server) ticketAction(c *call) error {
	n, ok := formInt(c.r.PathValue("n"))
	if !ok {
		return errNotFound
	}
	act, ok := actions[c.r.PathValue("action")]
	if !ok {
		return errNotFound
	}
	tag := c.r.PostFormValue("etag")
	if tag == "" {
		return &pageError{http.StatusBadRequest, "The form carries no etag: reload the ticket and try again."}
	}
	fn, err := act(s, c)
	if err == nil {
		_, err = s.desk.Do(c.r.Context(), c.prop, c.actor(), n, func(o *desk.Op, t *ticket.Ticket) error {
			if err := desk.IfMatch(o.Tx, tag, *t); err != nil {
				return err
			}
			return fn(o, t)
		})
	}
	if status, refused := refusal(err); refused {
		s.log.Info("ticket action refused", "property", c.prop.Slug, "ticket", n, "action", c.r.PathValue("action"),
			"member", c.member.Email, "reason", err.Error())
		return s.showTicket(c, status, refusalText(err), draftOf(c))
	}
	if err != nil {
		return err
	}
	http.Redirect(c.w, c.r, "/p/"+c.prop.Slug+"/tickets/"+itoa(n), http.StatusSeeOther)
	return nil
}

// refusal tells a refusal, shown on the ticket page with its status, from
// a failure.
func refusal(err error) (int, bool) {
	var pe *pageError
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, desk.ErrStale):
		return http.StatusConflict, true
	case errors.Is(err, desk.ErrForbidden):
		return http.StatusForbidden, true
	case errors.Is(err, desk.ErrInvalid):
		return http.StatusUnprocessableEntity, true
	case errors.As(err, &pe) && pe.status < 500:
		return pe.status, true
	}
	return 0, false
}

// refusalText is the words of a refusal: the desk's.
func refusalText(err error) string {
	if errors.Is(err, desk.ErrStale) {
		return "The ticket changed: reload it to see what changed, then try again."
	}
	return err.Error()
}

// draftOf keeps the text of a refused answer or note.
func draftOf(c *call) draft {
	switch c.r.PathValue("action") {
	case "answer":
		return draft{Answer: c.r.PostFormValue("text")}
	case "note":
		return draft{Note: c.r.PostFormValue("text")}
	}
	return draft{}
}

// assignStep reads the assign form's target: "member:ADDRESS",
// "department:NAME" or "none", as `ticket assign` takes them.
func assignStep(to, note string) (func(*desk.Op, *ticket.Ticket) error, error) {
	kind, name, _ := strings.Cut(to, ":")
	switch {
	case kind == "none":
		return func(o *desk.Op, t *ticket.Ticket) error { return o.Unassign(t) }, nil
	case kind == "member" && name != "":
		return func(o *desk.Op, t *ticket.Ticket) error { return o.AssignTo(t, name, note) }, nil
	case kind == "department" && name != "":
		return func(o *desk.Op, t *ticket.Ticket) error { return o.AssignDepartment(t, name, note) }, nil
	}
	return nil, badForm("choose a member or a department to assign the ticket to")
}

// splitWords reads a form's list given as "a, b c" (tags, event types).
func splitWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// answerFiles reads the files of the answer or note form (field
// "files"), as the compose form's.
func answerFiles(r *http.Request) ([]desk.File, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	return formFiles(r.MultipartForm.File["files"])
}

// snoozeUntil is when a snooze ends: a preset ("1h", "tomorrow" 9:00,
// "monday" 9:00 of the next Monday), or the form's date-time
// (YYYY-MM-DDTHH:MM, as an input of type datetime-local gives it), both
// in the property's zone.
func snoozeUntil(now time.Time, loc *time.Location, preset, until string) (time.Time, error) {
	now = now.In(loc)
	nine := func(days int) time.Time {
		return time.Date(now.Year(), now.Month(), now.Day()+days, 9, 0, 0, 0, loc)
	}
	switch preset {
	case "1h":
		return now.Add(time.Hour), nil
	case "tomorrow":
		return nine(1), nil
	case "monday":
		days := (int(time.Monday) - int(now.Weekday()) + 7) % 7
		if days == 0 {
			days = 7
		}
		return nine(days), nil
	case "", "until":
	default:
		return time.Time{}, badForm("snooze preset %q: 1h, tomorrow or monday", preset)
	}
	t, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(until), loc)
	if err != nil {
		return time.Time{}, badForm("snooze until %q: give a date and time such as 2026-12-01T09:00", until)
	}
	return t, nil
}
