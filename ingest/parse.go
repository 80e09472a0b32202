package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
	"golang.org/x/text/encoding/charmap"

	"github.com/postdesk/postdesk/threading"
)

// undeclaredCharset marks text parts that declared no charset. It names no
// real charset, so enmime leaves such parts' bytes unconverted and we decide
// afterwards whether guessing is needed.
const undeclaredCharset = "x-postdesk-undeclared"

// parsed is what ingest keeps of a message after parsing: the headers that
// matter, the bodies in UTF-8, the attachments and the parser's warnings.
type parsed struct {
	From        *mail.Address
	ReplyTo     []*mail.Address
	To, Cc      []*mail.Address
	Subject     string
	Date        time.Time
	MessageID   string
	Synthetic   bool
	InReplyTo   []string
	References  []string
	Header      map[string][]string // raw header values by canonical key
	Text, HTML  string
	Attachments []part
	Warnings    []string
	ContentHash string
	RawSHA256   string  // of the bytes as received
	Report      *report // a delivery status notification or abuse report
	Returned    bool    // includes a returned message or its header, as bounces do
	Automatic   bool    // sent by a machine (RFC 3834 and kin): never answered
	AutoReason  string  // which header said so
}

type part struct {
	Filename    string
	ContentType string
	ContentID   string
	Inline      bool
	Content     []byte
	SHA256      string
}

// parser holds the two enmime parsers: the fast one trusts declared charsets
// and guesses none; the full one (enmime's defaults) guesses, and is used only
// for mail with undeclared text that is not valid UTF-8.
type parser struct {
	fast, full *enmime.Parser
}

func newParser() *parser {
	return &parser{
		fast: enmime.NewParser(append(lenient(),
			enmime.DisableCharacterDetection(true),
			enmime.SetCustomParseMediaType(markUndeclaredCharset),
		)...),
		full: enmime.NewParser(lenient()...),
	}
}

// lenient are the parser options that keep malformed mail: a broken part is
// skipped with a warning instead of failing the message.
func lenient() []enmime.Option {
	return []enmime.Option{
		enmime.SkipMalformedParts(true),
		enmime.MultipartWOBoundaryAsSinglePart(true),
		enmime.StripMediaTypeInvalidCharacters(true),
		enmime.SetReadPartErrorPolicy(enmime.AllowCorruptTextPartErrorPolicy),
	}
}

// markUndeclaredCharset parses a Content-Type as enmime does, and gives text
// types that declare no charset the undeclaredCharset marker.
func markUndeclaredCharset(ctype string) (string, map[string]string, []string, error) {
	mtype, params, invalid, err := mediatype.Parse(ctype)
	if err == nil && strings.HasPrefix(mtype, "text/") && params["charset"] == "" {
		if params == nil {
			params = map[string]string{}
		}
		params["charset"] = undeclaredCharset
	}
	return mtype, params, invalid, err
}

// parse reads raw as a MIME message. It fails only when the header cannot be
// read at all; everything else malformed becomes a warning.
func (p *parser) parse(raw []byte) (*parsed, error) {
	text := raw
	if bytes.IndexByte(raw, '\n') < 0 && bytes.IndexByte(raw, '\r') >= 0 {
		// Old Mac line ends (CR only): the MIME parser needs LF.
		text = bytes.ReplaceAll(raw, []byte("\r"), []byte("\r\n"))
	}
	var env *enmime.Envelope
	err := mimeShape(text)
	if err == nil {
		env, err = p.fast.ReadEnvelope(bytes.NewReader(text))
	}
	if err != nil {
		// The MIME structure is beyond repair or beyond the limits of
		// mimeShape; keep the header and treat the body as opaque text,
		// so the mail is still stored.
		env, err = headerOnly(text, err)
		if err != nil {
			return nil, err
		}
	}
	if len(env.GetHeaderKeys()) == 0 {
		return nil, fmt.Errorf("message has no header fields")
	}
	if needsCharsetGuess(env) {
		if full, err := p.full.ReadEnvelope(bytes.NewReader(text)); err == nil {
			env = full
		}
	}
	m := &parsed{Header: map[string][]string{}}
	for _, k := range env.GetHeaderKeys() {
		m.Header[k] = env.GetHeaderValues(k)
	}
	m.readHeaders(env)
	m.Text, m.HTML = m.body(env.Text, "text"), m.body(env.HTML, "HTML")
	m.readParts(env)
	m.Report, m.Returned = readReport(env.Root), returnsMessage(env.Root)
	for _, e := range env.Errors {
		if !strings.Contains(e.Detail, undeclaredCharset) {
			m.Warnings = append(m.Warnings, e.Error())
		}
	}
	m.ContentHash = contentHash(text)
	m.RawSHA256 = sha256Hex(raw)
	if m.MessageID == "" {
		m.MessageID, m.Synthetic = "synthetic."+m.ContentHash[:32]+"@postdesk.invalid", true
	}
	return m, nil
}

// body returns a text or HTML body as stored: valid UTF-8 (undeclared
// ISO-2022-JP decoded), capped.
func (m *parsed) body(s, what string) string {
	s = m.utf8(s, what)
	if jp, ok := decodeJIS(s); ok {
		s = jp
	}
	return m.capped(s, what)
}

// MaxBodyBytes caps the text and HTML bodies stored for display and search.
// A longer body is cut (at a character boundary) with a warning; the raw
// message, always stored whole, keeps every byte.
const MaxBodyBytes = 1 << 20

func (m *parsed) capped(body, what string) string {
	if len(body) <= MaxBodyBytes {
		return body
	}
	cut := MaxBodyBytes
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	m.warn("%s body of %d bytes stored cut to %d; the raw message holds it all", what, len(body), cut)
	return strings.Clone(body[:cut]) // let the long body go
}

// utf8 returns body as valid UTF-8. Text that is still not UTF-8 after
// enmime's conversion and guessing came undeclared and unrecognised: it is
// read as windows-1252, as WHATWG's encoding standard reads unlabelled
// Western text, and a warning says so.
func (m *parsed) utf8(body, what string) string {
	if utf8.ValidString(body) {
		return body
	}
	out, err := charmap.Windows1252.NewDecoder().String(body)
	if err != nil {
		m.warn("%s body is not valid UTF-8 and could not be read as windows-1252: %v", what, err)
		return strings.ToValidUTF8(body, "\uFFFD")
	}
	m.warn("%s body declares no charset and is not UTF-8: read as windows-1252", what)
	return out
}

// headerOnly builds an envelope from the header alone, the body kept as
// plain text with a warning naming the MIME error. It fails only when not
// even a header can be read. A header past MaxHeaderBytes or MaxHeaderLines
// is read up to the limit only (cutHeader), with a warning; the raw
// message keeps the rest.
func headerOnly(raw []byte, mimeErr error) (*enmime.Envelope, error) {
	header, body := splitHeader(raw)
	header, cut := cutHeader(header)
	root := enmime.NewPart("text/plain")
	env, err := enmime.EnvelopeFromPart(root)
	if err != nil {
		return nil, fmt.Errorf("message cannot be parsed: %v", mimeErr)
	}
	hdr, err := mail.ReadMessage(bytes.NewReader(append(append([]byte{}, header...), "\r\n\r\n"...)))
	if err != nil || len(hdr.Header) == 0 {
		return nil, fmt.Errorf("message header cannot be read: %v", mimeErr)
	}
	for k, vs := range hdr.Header {
		for _, v := range vs {
			env.AddHeader(k, v)
		}
	}
	env.Text = string(body)
	env.Errors = append(env.Errors, &enmime.Error{Name: "Malformed MIME", Detail: mimeErr.Error(), Severe: true})
	if cut {
		env.Errors = append(env.Errors, &enmime.Error{Name: "Malformed header", Severe: true,
			Detail: fmt.Sprintf("header read up to its first %d bytes only; the raw message holds the rest", len(header))})
	}
	return env, nil
}

// needsCharsetGuess reports whether a text part declared no charset and
// carries bytes that are not UTF-8: the only case where guessing can change
// the result. 7-bit ISO-2022-JP is valid UTF-8 and recognised afterwards by
// its escape sequences (decodeJIS): guessing does not tell it apart.
func needsCharsetGuess(env *enmime.Envelope) bool {
	undeclared := false
	walk(env.Root, func(p *enmime.Part) {
		if p.Charset == undeclaredCharset && !utf8.Valid(p.Content) {
			undeclared = true
		}
	})
	return undeclared
}

func walk(p *enmime.Part, fn func(*enmime.Part)) {
	for ; p != nil; p = p.NextSibling {
		fn(p)
		walk(p.FirstChild, fn)
	}
}

func (m *parsed) readHeaders(env *enmime.Envelope) {
	m.From = m.firstAddress(env, "From")
	m.ReplyTo = m.mailboxes("Reply-To", m.addresses(env, "Reply-To"))
	m.To = m.mailboxes("To", m.addresses(env, "To"))
	m.Cc = m.mailboxes("Cc", m.addresses(env, "Cc"))
	m.Subject = oneLine(decodeWords(env.GetHeader("Subject")))
	if d, err := env.Date(); err == nil {
		m.Date = d.UTC()
	} else if env.GetHeader("Date") != "" {
		m.warn("unreadable Date header %q", env.GetHeader("Date"))
	}
	if raw := env.GetHeader("Message-Id"); raw != "" {
		if id, ok := threading.ParseMessageID(raw); ok {
			m.MessageID = id
		} else {
			m.warn("unreadable Message-ID %q", raw)
		}
	}
	m.InReplyTo = threading.ParseIDList(strings.Join(env.GetHeaderValues("In-Reply-To"), " "))
	m.References = threading.ParseIDList(strings.Join(env.GetHeaderValues("References"), " "))
}

// oneLine returns decoded unstructured header text (a Subject, a display
// name) as the one line it is once unfolded (RFC 5322 §3.2.5, §2.2.3):
// each CR, LF, tab and other C0 or C1 control character, which only an
// encoded word (RFC 2047) can have put there, becomes a space. Left in, a
// newline in a subject forges rows in the CLI's tables and lines in the
// notices that quote it.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func (m *parsed) firstAddress(env *enmime.Envelope, key string) *mail.Address {
	l := m.mailboxes(key, m.addresses(env, key))
	if len(l) == 0 {
		return nil
	}
	return l[0]
}

// addresses reads an address list header. When the strict parser fails, each
// comma-separated piece is tried on its own, so one broken entry does not lose
// the others.
func (m *parsed) addresses(env *enmime.Envelope, key string) []*mail.Address {
	if env.GetHeader(key) == "" {
		return nil
	}
	l, err := env.AddressList(key)
	if err == nil {
		return l
	}
	var out []*mail.Address
	for _, v := range env.GetHeaderValues(key) {
		for _, piece := range strings.Split(v, ",") {
			if a, err := mail.ParseAddress(strings.TrimSpace(piece)); err == nil {
				out = append(out, a)
			} else if a := bareAddress(piece); a != nil {
				out = append(out, a)
			}
		}
	}
	m.warn("malformed %s header %q: %v", key, env.GetHeader(key), err)
	return out
}

// bareAddress finds something shaped like local@domain in s.
func bareAddress(s string) *mail.Address {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(" \t<>\"'();:,", r) }) {
		if i := strings.IndexByte(f, '@'); i > 0 && i < len(f)-1 && strings.Count(f, "@") == 1 {
			return &mail.Address{Address: f}
		}
	}
	return nil
}

// readParts collects attachments, inline parts and other non-body parts.
func (m *parsed) readParts(env *enmime.Envelope) {
	add := func(p *enmime.Part, inline bool) {
		name := p.FileName
		if full, ok := continuedFilename(p); ok {
			name = full
		}
		if name == "" {
			name = defaultName(p.ContentType)
		}
		sum := sha256.Sum256(p.Content)
		m.Attachments = append(m.Attachments, part{
			Filename: name, ContentType: p.ContentType, ContentID: strings.Trim(p.ContentID, "<> "),
			Inline: inline, Content: p.Content, SHA256: hex.EncodeToString(sum[:]),
		})
	}
	// Files unpacked from winmail.dat count against MaxAttachments with
	// the MIME parts, which mimeShape has bounded already.
	t := tnefBudget{left: MaxAttachments - len(env.Attachments) - len(env.Inlines) - len(env.OtherParts)}
	for _, p := range env.Attachments {
		add(p, false)
		if isTNEF(p) {
			m.unpackTNEF(p, &t)
		}
	}
	for _, p := range env.Inlines {
		add(p, true)
	}
	for _, p := range env.OtherParts {
		add(p, p.ContentID != "")
	}
	if t.packed > 0 {
		m.warn("%d winmail.dat attachments left packed: the message would have more than %d attachments (MaxAttachments)",
			t.packed, MaxAttachments)
	}
}

// continuedFilename reads a filename split into RFC 2231 continuations from
// the part's Content-Disposition (filename*N) or Content-Type (name*N):
// the MIME parser loses the first segment when they carry a charset.
func continuedFilename(p *enmime.Part) (string, bool) {
	if p.Header == nil {
		return "", false
	}
	if name, ok := rfc2231Param(p.Header.Get("Content-Disposition"), "filename"); ok && name != "" {
		return name, true
	}
	if name, ok := rfc2231Param(p.Header.Get("Content-Type"), "name"); ok && name != "" {
		return name, true
	}
	return "", false
}

func defaultName(ctype string) string {
	ext := ".bin"
	if exts, _ := mime.ExtensionsByType(ctype); len(exts) > 0 {
		ext = exts[0]
	}
	return "attachment" + ext
}

func (m *parsed) warn(format string, args ...any) {
	m.Warnings = append(m.Warnings, fmt.Sprintf(format, args...))
}

// contentHash identifies a message for retransmission checks: the same mail
// arriving again, directly from an MTA's retry or through a mailing list,
// has the same originator fields and body. Only the fields the author's
// client writes count (RFC 5322 §3.6: origination date, originator but not
// Sender or Reply-To, destination, identification, Subject; and the MIME
// fields that say how to read the body). Trace fields (Received,
// Return-Path, Delivered-To), the list fields (RFC 2369 List-*, RFC 2919
// List-Id, Precedence) and anything else a hop adds (Sender, Reply-To
// munging, X-headers, signatures and authentication results) do not.
//
// The body counts byte for byte, so a list that appends a footer, or
// re-encodes the body, makes a different message: it is kept, not taken
// for a retransmission. Deciding that a mail with the same Message-ID and
// extra text is "the same" would drop what the extra text says, and
// nothing accepted is dropped; lists that leave the body alone (most, and
// every list that keeps DKIM signatures valid) are recognised.
//
// Line ends are normalised first (CRLF, LF and a lone CR alike), so mail
// whose hops mixed them still splits into its fields and body. A mail
// without a Message-ID field gets its synthetic id from this hash, so for
// it every field but the trace fields counts, as does any line that is not
// a header field at all.
func contentHash(raw []byte) string {
	h := sha256.New()
	norm := bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
	header, body := splitHeader(norm)
	lines := unfold(header)
	hasID := false
	for _, line := range lines {
		if name, _, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(name), "message-id") {
			hasID = true
		}
	}
	for _, line := range lines {
		name, _, ok := strings.Cut(line, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		switch {
		case !ok || !fieldName(name):
		case hasID && !hashedField[name]:
			continue
		case !hasID && traceField[name]:
			continue
		}
		h.Write([]byte(line))
		h.Write([]byte{'\n'})
	}
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// hashedField are the header fields contentHash covers (lower case).
var hashedField = map[string]bool{
	"date": true, "from": true, "to": true, "cc": true, "bcc": true, "message-id": true,
	"in-reply-to": true, "references": true, "subject": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
}

// traceField are the fields hops add, left out of the hash even of mail
// without a Message-ID.
var traceField = map[string]bool{
	"received": true, "return-path": true, "delivered-to": true, "x-original-to": true, "dkim-signature": true,
	"arc-seal": true, "arc-message-signature": true, "arc-authentication-results": true,
	"authentication-results": true, "received-spf": true,
}

// fieldName reports whether s is a header field name (RFC 5322 §3.6.8:
// printable ASCII but colon, here without spaces).
func fieldName(s string) bool {
	if s == "" || len(s) > 76 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// splitHeader splits raw at the first empty line.
func splitHeader(raw []byte) (header, body []byte) {
	for _, sep := range [][]byte{[]byte("\r\n\r\n"), []byte("\n\n")} {
		if i := bytes.Index(raw, sep); i >= 0 {
			return raw[:i], raw[i+len(sep):]
		}
	}
	return raw, nil
}

// unfold joins folded header lines (RFC 5322 §2.2.3) and drops line ends.
// Each field is built once, in time linear in its length however many
// lines it is folded over.
func unfold(header []byte) []string {
	var (
		out []string
		cur []byte // the field being joined
		has bool   // cur holds a line
	)
	for rest := header; ; {
		line := rest
		i := bytes.IndexByte(rest, '\n')
		if i >= 0 {
			line, rest = bytes.TrimSuffix(rest[:i], []byte("\r")), rest[i+1:]
		}
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') && has {
			cur = append(append(cur, ' '), bytes.TrimSpace(line)...)
		} else {
			if has {
				out = append(out, string(cur))
			}
			cur, has = append(cur[:0], line...), true
		}
		if i < 0 {
			break
		}
	}
	return append(out, string(cur))
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
