package notify

import (
	"html"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// cidURL is a reference to a part of the same mail (RFC 2392), the only
// image source customer HTML keeps.
var cidURL = regexp.MustCompile(`(?i)^cid:[^\s"'<>]+$`)

// customerHTMLPolicy is what a customer's HTML passes before an agent's
// mail client shows it: the text elements, lists, tables and links of
// bluemonday's policy for user-generated content (no script, style sheet,
// style attribute, form, frame, object, media or event handler), and
// images only from parts of the mail itself (cid: URLs, RFC 2392). A
// remote image, style sheet or frame would be fetched when the agent opens
// the copy and tell the sender her IP address and when she read it; links
// stay, since following one is the agent's choice. (bluemonday.UGCPolicy
// itself allows images from anywhere, and its rules cannot be narrowed
// afterwards, only added to.) The policy is safe for concurrent use once
// built.
func customerHTMLPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardAttributes()
	p.AllowStandardURLs() // links: mailto, http, https, relative; rel="nofollow"
	p.AllowURLSchemes("cid")
	p.AllowElements("article", "aside", "figure", "section", "summary", "h1", "h2", "h3", "h4", "h5", "h6",
		"hgroup", "br", "div", "hr", "p", "span", "wbr", "blockquote", "q", "abbr", "acronym", "cite", "code",
		"dfn", "em", "figcaption", "mark", "s", "samp", "strong", "sub", "sup", "var", "b", "i", "pre", "small",
		"strike", "tt", "u", "del", "ins", "center")
	p.AllowAttrs("href").OnElements("a")
	p.AllowLists()
	p.AllowTables()
	p.AllowAttrs("align").Matching(bluemonday.ImageAlign).OnElements("img")
	p.AllowAttrs("alt").Matching(bluemonday.Paragraph).OnElements("img")
	p.AllowAttrs("height", "width").Matching(bluemonday.NumberOrPercent).OnElements("img")
	p.AllowAttrs("src").Matching(cidURL).OnElements("img")
	return p
}

// copyHTML is the HTML part of a member's copy. Our framing comes first,
// before anything of the copied mail and in a box of its own: who an
// answer goes to and who wrote what. The copied mail cannot imitate it
// there (a customer can write "Your answer goes to: …" in her mail, but
// only below it). Then the customer's HTML, sanitised, or the text, and the
// instructions.
func (c *composer) copyHTML(body string, folded int, note string) string {
	var b strings.Builder
	b.WriteString(`<div style="border:1px solid #999;background:#f2f2f2;padding:6px 10px;margin:0 0 14px 0">`)
	b.WriteString(textToHTML(strings.TrimRight(c.recipientsText(), "\n")))
	b.WriteString(`<div style="color:#555;white-space:pre-wrap">` + html.EscapeString(c.attribution()) + `</div></div>`)
	if c.msg.HTML != "" && folded == 0 {
		b.WriteString(`<div>` + c.w.html.Sanitize(c.msg.HTML) + `</div>`)
		if note != "" {
			b.WriteString(textToHTML(strings.TrimSpace(note)))
		}
	} else {
		b.WriteString(textToHTML(body))
	}
	b.WriteString(`<div style="color:#666;white-space:pre-wrap">` + html.EscapeString("-- \n"+copyFooter) + `</div>`)
	return b.String()
}

// textToHTML renders plain text as HTML that keeps its line breaks.
func textToHTML(text string) string {
	return `<div style="white-space: pre-wrap">` + html.EscapeString(text) + `</div>`
}
