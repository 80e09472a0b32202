package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ticket"
)

// The ticket page: one timeline of the ticket's mail, answers, notes and
// events, and a form for each thing an agent does to it (ticketact.go).
// Every form carries the ticket's ETag as the page showed it: a change
// asked of a ticket that changed since is refused (desk.ErrStale).

// ticketRoutes registers the ticket page and its actions.
func (s *Server) ticketRoutes() {
	s.handle("GET /p/{prop}/tickets/{n}", s.ticketPage)
	s.mux.Handle("POST /p/{prop}/tickets/{n}/{action}", maxBody(maxComposeBody, s.propPage(s.ticketAction)))
}

// ticketPage is what the ticket page shows.
type ticketPage struct {
	T            ticket.Ticket
	ETag         string
	Participants []ticket.Contact
	Items        []timelineItem
	NewestFirst  bool
	Admin        bool
	Members      []ticket.Member
	Departments  []ticket.Department
	Topics       []string
	Fields       []fieldRow
	Loc          *time.Location // the property's zone (its SLA business hours'), else UTC
	Error        string         // the desk's refusal of the last action
	Draft        draft          // what the refused form held, to write on
	Now          time.Time
	URL          string // the page's path; each action posts to URL/ACTION
	Prop         string // the property's slug
	CSRF         string // the session's form token, carried by every form
	Priorities   []ticket.Priority
}

// draft is the text of a refused answer or note, shown again.
type draft struct{ Answer, Note string }

// PageTitle names the page after the ticket.
func (p ticketPage) PageTitle() string { return p.T.Ref() + " " + p.T.Subject }

// At formats an instant in the property's zone.
func (p ticketPage) At(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.Loc).Format("Mon 2 Jan 2006 15:04 MST")
}

// Overdue reports whether due has passed while the ticket is not closed.
func (p ticketPage) Overdue(due time.Time) bool {
	return !due.IsZero() && due.Before(p.Now) && p.T.Status != ticket.StatusClosed
}

// Zone names the property's zone.
func (p ticketPage) Zone() string { return p.Loc.String() }

// timelineItem is a message or an event, in time order.
type timelineItem struct {
	At     time.Time
	Msg    *messageView
	Event  *ticket.Event
	Gap    int    // this many messages are folded here
	GapURL string // the page with every message
}

// messageView is a message as the timeline shows it.
type messageView struct {
	ticket.Message
	Body          template.HTML // the sanitised HTML, if the message has HTML
	Blocked       bool          // a remote image was blocked
	RemoteShown   bool          // remote images are shown on request
	Files         []fileView
	ShowImagesURL string
	HTMLURL       string // the page showing its HTML, when shown as text here
}

// fileView is an attachment with the URL it downloads from.
type fileView struct {
	ticket.Attachment
	URL string
}

// fieldRow is a custom field of tickets with the ticket's value.
type fieldRow struct {
	ticket.Field
	Value string
}

// ticketPage shows ticket {n}: GET, and after a refused action with its
// error (showTicket).
func (s *Server) ticketPage(c *call) error {
	return s.showTicket(c, http.StatusOK, "", draft{})
}

// showTicket renders the ticket page with status and, after a refused
// action, the desk's words and the text the member had written.
func (s *Server) showTicket(c *call, status int, errMsg string, d draft) error {
	n, ok := formInt(c.r.PathValue("n"))
	if !ok {
		return errNotFound
	}
	ctx := c.r.Context()
	p := ticketPage{Admin: c.isAdmin(), Error: errMsg, Draft: d, Now: s.now(), Loc: s.zone(ctx, c.prop.ID),
		CSRF: c.sess.CSRF, Priorities: ticket.Priorities()}
	v, err := desk.ReadTicket(ctx, s.st, c.prop, n)
	if err != nil {
		return err
	}
	p.T, p.Participants, p.ETag = v.Ticket, v.Participants, v.ETag
	p.Prop = c.prop.Slug
	p.URL = "/p/" + c.prop.Slug + "/tickets/" + itoa(p.T.Number)
	p.NewestFirst = c.r.URL.Query().Get("order") == "newest"
	p.Items = s.timeline(c, p.T, v.Messages, v.Events, p.NewestFirst)
	if err := s.choices(ctx, c, &p); err != nil {
		return err
	}
	for _, it := range p.Items {
		if it.Msg != nil && it.Msg.RemoteShown && it.Msg.Body != "" {
			allowRemoteImages(c.w.Header())
		}
	}
	return c.render(status, "ticket", p)
}

// shownMessages is how many messages a long ticket shows at first: its
// first and the newest ones; the others are behind a link ("show all"),
// so that the page stays fast on a ticket of hundreds of mails.
const shownMessages = 40

// timeline merges the ticket's messages and events (as desk.ReadTicket
// read them), oldest first or
// newest first. Remote images are shown for the message named by the
// query's images parameter only. A long ticket's middle is folded into a
// gap, unless the query says all.
func (s *Server) timeline(c *call, t ticket.Ticket, msgs []ticket.Message, events []ticket.Event, newestFirst bool) []timelineItem {
	q := c.r.URL.Query()
	showImages, _ := strconv.ParseInt(q.Get("images"), 10, 64)
	var gap *timelineItem
	if hidden := len(msgs) - shownMessages; hidden > 0 && q.Get("all") == "" {
		first, rest := msgs[0], msgs[hidden+1:]
		cutoff := rest[0].CreatedAt
		all := url.Values{"all": {"1"}}
		if newestFirst {
			all.Set("order", "newest")
		}
		gap = &timelineItem{At: cutoff.Add(-time.Nanosecond), Gap: hidden,
			GapURL: "/p/" + c.prop.Slug + "/tickets/" + itoa(t.Number) + "?" + all.Encode()}
		msgs = append([]ticket.Message{first}, rest...)
		events = slices.DeleteFunc(events, func(e ticket.Event) bool {
			return e.CreatedAt.After(first.CreatedAt) && e.CreatedAt.Before(cutoff)
		})
	}
	items := make([]timelineItem, 0, len(msgs)+len(events)+1)
	z := newSanitizer()
	asHTML := htmlShown(msgs, q.Get("html"))
	for i := range msgs {
		items = append(items, timelineItem{At: msgs[i].CreatedAt, Msg: s.messageView(c, z, t, msgs[i], showImages == msgs[i].ID, asHTML[i])})
	}
	for i := range events {
		items = append(items, timelineItem{At: events[i].CreatedAt, Event: &events[i]})
	}
	if gap != nil {
		items = append(items, *gap)
	}
	slices.SortStableFunc(items, func(a, b timelineItem) int {
		if newestFirst {
			return b.At.Compare(a.At)
		}
		return a.At.Compare(b.At)
	})
	return items
}

// messageView prepares one message: its attachments' download links (the
// API's route, which serves them as downloads that never run in this
// origin) and its HTML made inert, its cid: images pointing at its parts.
func (s *Server) messageView(c *call, z *sanitizer, t ticket.Ticket, m ticket.Message, remote, asHTML bool) *messageView {
	v := &messageView{Message: m, RemoteShown: remote}
	base := "/api/properties/" + c.prop.Slug + "/tickets/" + itoa(t.Number) + "/messages/" + itoa(m.ID) + "/attachments/"
	cids := map[string]string{}
	for _, a := range m.Attachments {
		u := base + itoa(a.ID)
		v.Files = append(v.Files, fileView{Attachment: a, URL: u})
		if a.ContentID != "" {
			cids[contentID(a.ContentID)] = u
		}
	}
	if strings.TrimSpace(m.HTML) != "" && !asHTML {
		v.HTMLURL = "/p/" + c.prop.Slug + "/tickets/" + itoa(t.Number) + "?" + url.Values{"html": {itoa(m.ID)}, "all": {"1"}}.Encode() + "#m" + itoa(m.ID)
	}
	if strings.TrimSpace(m.HTML) != "" && asHTML {
		v.Body, v.Blocked = z.sanitize(m.HTML, bodyOptions{Remote: remote, CIDs: cids})
		q := url.Values{"images": {itoa(m.ID)}}
		if c.r.URL.Query().Get("order") == "newest" {
			q.Set("order", "newest")
		}
		v.ShowImagesURL = "/p/" + c.prop.Slug + "/tickets/" + itoa(t.Number) + "?" + q.Encode() + "#m" + itoa(m.ID)
	}
	return v
}

// A page's cost grows with the mail HTML it sanitises (some 0.2 to 0.5 s
// a MiB of dense markup), and a sender decides how much there is: up to
// ingest.MaxBodyBytes a message, on as many messages as she sends. So a
// message's HTML is shown inline up to maxMessageHTML, and a page shows
// at most maxPageHTML of it, newest first; the rest are shown as their
// text, each with a link to the page showing its HTML (?html=ID).
const (
	maxMessageHTML = 256 << 10
	maxPageHTML    = 1 << 20
)

// htmlShown says which of msgs (oldest first) show their HTML: the one
// asked for by ID, and the newest that fit the page's budget.
func htmlShown(msgs []ticket.Message, asked string) []bool {
	want, _ := strconv.ParseInt(asked, 10, 64)
	shown := make([]bool, len(msgs))
	left := maxPageHTML
	for i := len(msgs) - 1; i >= 0; i-- {
		n := len(msgs[i].HTML)
		switch {
		case msgs[i].ID == want:
			shown[i] = true
		case n <= maxMessageHTML && n <= left:
			shown[i], left = true, left-n
		}
	}
	return shown
}

// choices fills what the page's forms offer: members, departments, topics
// and the ticket's custom fields.
func (s *Server) choices(ctx context.Context, c *call, p *ticketPage) error {
	var err error
	if p.Members, err = s.st.Members(ctx, c.prop.Slug); err != nil {
		return err
	}
	if p.Departments, err = s.st.Departments(ctx, c.prop.Slug); err != nil {
		return err
	}
	if p.Topics, err = s.topicNames(ctx, c.prop.ID); err != nil {
		return err
	}
	fields, err := s.st.Fields(ctx, c.prop.ID)
	if err != nil {
		return err
	}
	for _, f := range fields {
		if f.For == ticket.FieldForTicket {
			p.Fields = append(p.Fields, fieldRow{Field: f, Value: p.T.Fields[f.Name]})
		}
	}
	return nil
}

// topicNames are the names of the property's topics, which the inbox's
// filter and the ticket page's topic form offer.
func (s *Server) topicNames(ctx context.Context, propertyID int64) ([]string, error) {
	topics, err := s.st.PropertyTopics(ctx, propertyID)
	var names []string
	for _, t := range topics {
		names = append(names, t.Name)
	}
	return names, err
}

// zone is the property's time zone: its SLA policy's business hours', else
// UTC. Snooze presets (tomorrow 9:00) and the times shown are in it.
func (s *Server) zone(ctx context.Context, propertyID int64) *time.Location {
	p, found, err := s.st.SLAPolicy(ctx, propertyID)
	if err != nil {
		s.log.Warn("SLA policy unread; times shown in UTC", "property", propertyID, "err", err)
		return time.UTC
	}
	if !found {
		return time.UTC
	}
	cal, err := p.Clock()
	if err != nil || cal.Location() == nil {
		return time.UTC
	}
	return cal.Location()
}

// allowRemoteImages lets this one answer load images from anywhere: the
// member asked to see a message's remote images. Script, style and every
// other source stay as strict as on every page.
func allowRemoteImages(h http.Header) {
	const strict = "img-src 'self' data:"
	csp := h.Get("Content-Security-Policy")
	if strings.Contains(csp, strict) {
		h.Set("Content-Security-Policy", strings.Replace(csp, strict, strict+" http: https:", 1))
	}
}
