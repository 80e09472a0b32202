package ingest

import (
	"encoding/base64"
	"mime"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
)

// What the MIME parser leaves undecoded, decoded here: 7-bit ISO-2022-JP
// text that declares no charset, RFC 2231 parameters continued over
// several segments in a charset other than UTF-8, and encoded words whose
// base64 carries more padding than it needs.

// jisEscape matches the escape sequences that switch ISO-2022-JP (RFC
// 1468) into JIS X 0208 or JIS X 0212. No other text contains them.
var jisEscape = regexp.MustCompile("\x1b\\$[@B]|\x1b\\$\\(D")

// decodeJIS decodes body as ISO-2022-JP when it is 7-bit and switches into
// a JIS character set. Such text passes for ASCII, so a declared charset is
// all that tells it apart; mail that declares none is still Japanese.
func decodeJIS(body string) (string, bool) {
	if !jisEscape.MatchString(body) || !is7bit(body) {
		return body, false
	}
	out, err := japanese.ISO2022JP.NewDecoder().String(body)
	if err != nil || !utf8.ValidString(out) {
		return body, false
	}
	return out, true
}

func is7bit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// charsetDecoder finds a decoder by MIME charset name (IANA registry, then
// the WHATWG names).
func charsetDecoder(name string) *encoding.Decoder {
	name = strings.TrimSpace(name)
	for _, idx := range []*ianaindex.Index{ianaindex.MIME, ianaindex.IANA} {
		if e, err := idx.Encoding(name); err == nil && e != nil {
			return e.NewDecoder()
		}
	}
	return nil
}

// maxSegments bounds the RFC 2231 continuations of one parameter.
const maxSegments = 100

// rfc2231Param returns a parameter of a Content-Type or
// Content-Disposition value that RFC 2231 §3 and §4 split into continued
// segments (name*0*=charset'lang'%XX…; name*1*=%XX…; name*2=plain…): the
// segments are joined in order, percent-decoded where marked, and then the
// whole is converted from the charset of segment 0. It returns false when
// the parameter is not continued.
func rfc2231Param(value, name string) (string, bool) {
	segs := map[int]string{}
	encoded := map[int]bool{}
	for _, p := range splitParams(value) {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		base, rest, ok := strings.Cut(k, "*")
		if !ok || base != strings.ToLower(name) || rest == "" {
			continue
		}
		enc := strings.HasSuffix(rest, "*")
		n, err := strconv.Atoi(strings.TrimSuffix(rest, "*"))
		if err != nil || n < 0 || n >= maxSegments {
			continue
		}
		segs[n], encoded[n] = unquote(strings.TrimSpace(v)), enc
	}
	if len(segs) == 0 {
		return "", false
	}
	order := make([]int, 0, len(segs))
	for n := range segs {
		order = append(order, n)
	}
	sort.Ints(order)
	charset := ""
	var raw strings.Builder
	for i, n := range order {
		if n != i {
			break // RFC 2231 §3: segments are numbered from 0 without gaps
		}
		s := segs[n]
		if n == 0 && encoded[0] {
			if parts := strings.SplitN(s, "'", 3); len(parts) == 3 {
				charset, s = parts[0], parts[2]
			}
		}
		if encoded[n] {
			if dec, err := url.PathUnescape(s); err == nil {
				s = dec
			}
		}
		raw.WriteString(s)
	}
	return decodeCharset(raw.String(), charset), true
}

// decodeCharset converts s from charset to UTF-8; an unknown charset or
// invalid bytes leave s as it is when it is UTF-8 already.
func decodeCharset(s, charset string) string {
	if charset != "" && !strings.EqualFold(charset, "utf-8") && !strings.EqualFold(charset, "us-ascii") {
		if d := charsetDecoder(charset); d != nil {
			if out, err := d.String(s); err == nil && utf8.ValidString(out) {
				return out
			}
		}
	}
	if out, ok := decodeJIS(s); ok {
		return out
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// splitParams splits the parameters of a header value at semicolons
// outside quoted strings, dropping the leading media type or disposition.
func splitParams(value string) []string {
	var out []string
	var cur strings.Builder
	quoted, escaped := false, false
	for _, r := range value {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && quoted:
			escaped = true
		case r == '"':
			quoted = !quoted
		case r == ';' && !quoted:
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(r)
	}
	out = append(out, cur.String())
	if len(out) > 0 {
		out = out[1:]
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.ReplaceAll(strings.ReplaceAll(s[1:len(s)-1], `\"`, `"`), `\\`, `\`)
	}
	return s
}

// encodedWord is an RFC 2047 §2 encoded word.
var encodedWord = regexp.MustCompile(`=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=`)

// decodeWords decodes the RFC 2047 encoded words the standard decoder
// refused. Base64 with more '=' than it needs (a known mailer bug) is read
// without the excess; charsets come from the IANA registry, so gb18030 and
// the like are read too. Whitespace between adjacent encoded words is
// dropped (RFC 2047 §6.2). A word that still cannot be read is kept as is.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	var out strings.Builder
	last, prevWord := 0, false
	for _, loc := range encodedWord.FindAllStringSubmatchIndex(s, -1) {
		between := s[last:loc[0]]
		word, ok := decodeWord(s[loc[2]:loc[3]], s[loc[4]:loc[5]], s[loc[6]:loc[7]])
		if !(prevWord && ok && strings.TrimSpace(between) == "") {
			out.WriteString(between)
		}
		if ok {
			out.WriteString(word)
		} else {
			out.WriteString(s[loc[0]:loc[1]])
		}
		last, prevWord = loc[1], ok
	}
	out.WriteString(s[last:])
	return out.String()
}

func decodeWord(charset, enc, text string) (string, bool) {
	if i := strings.IndexByte(charset, '*'); i >= 0 {
		charset = charset[:i] // RFC 2231 §5 language
	}
	var raw []byte
	var err error
	if enc == "b" || enc == "B" {
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(text, "="))
	} else {
		var dec string
		dec, err = (&mime.WordDecoder{}).Decode("=?utf-8?q?" + text + "?=")
		raw = []byte(dec)
	}
	if err != nil {
		return "", false
	}
	if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "us-ascii") {
		return strings.ToValidUTF8(string(raw), "\uFFFD"), true
	}
	d := charsetDecoder(charset)
	if d == nil {
		return "", false
	}
	out, err := d.Bytes(raw)
	if err != nil {
		return "", false
	}
	return string(out), true
}
