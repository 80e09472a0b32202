package tnef

import (
	"bytes"
	"math/rand/v2"
	"strings"

	tw "github.com/postdesk/postdesk/internal/tneftest"
)

// stream is a TNEF stream built by internal/tneftest and what Decode must
// make of it: "name type cid size" per file (see describe), and a piece of
// the error, if any. differs, when set, says why the tnef command reads the
// stream otherwise, by design.
type stream struct {
	name      string
	b         []byte
	want, err string
	differs   string
}

// content is n bytes of deterministic noise, different per seed, so that a
// file mixed up with another shows.
func content(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 0x74656e66))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// text is n bytes of readable lines.
func text(first string, n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		b.WriteString(first)
		b.WriteString(" line ")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString("\r\n")
	}
	return b.Bytes()[:n]
}

var (
	authors = text("Carol Jones <carol@example.com>", 244)
	readme  = text("postdesk test README", 893)
	// psetidCommon is PSETID_Common ([MS-OXPROPS] §1.3.2), the namespace
	// of many of Outlook's named properties.
	psetidCommon = [16]byte{0x08, 0x20, 0x06, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46}
)

// mime is PR_ATTACH_MIME_TAG as Outlook writes it, an 8-bit string.
func mime(t string) tw.Prop { return tw.String8(tw.PidTagAttachMimeTag, t) }

// inline is an image of an HTML body: 8.3 title, long name, MIME type and
// Content-ID, the names unicode as newer Outlook writes them.
func inline(name, typ, cid string, data []byte) tw.Attachment {
	return tw.Attachment{Title: strings.ToUpper(name), Data: data, Props: []tw.Prop{
		tw.Unicode(tw.PidTagAttachLongFilename, name),
		tw.Unicode(tw.PidTagAttachMimeTag, typ),
		tw.Unicode(tw.PidTagAttachContentID, cid),
		tw.Long(tw.PidTagAttachFlags, 4), // attRenderedInBody
	}}
}

// streams are the TNEF streams the tests decode, each covering one way
// Outlook and Exchange write winmail.dat.
func streams() []stream {
	var out []stream
	addBytes := func(name string, b []byte, want, err string) {
		out = append(out, stream{name: name, b: b, want: want, err: err})
	}
	add := func(name string, w *tw.Writer, want, err string) { addBytes(name, w.Bytes(), want, err) }
	file := func(title string, data []byte, props ...tw.Prop) tw.Attachment {
		return tw.Attachment{Title: title, Data: data, Props: props}
	}

	add("one-file", tw.New().Body("One file.\r\n").
		Attachment(file("AUTHORS", authors, mime("application/octet-stream"))),
		"AUTHORS application/octet-stream  244", "")

	add("two-files", tw.New().Body("Two files.\r\n").
		MessageProps(tw.String8(0x0037, "two files"), tw.Long(0x0E07, 1)).
		Attachment(file("AUTHORS", authors, mime("application/octet-stream"))).
		Attachment(file("README", readme, mime("Application/Octet-Stream"))),
		"AUTHORS application/octet-stream  244; README application/octet-stream  893", "")

	add("no-properties", tw.New().
		Attachment(file("zappa_av1.jpg", content(1, 2937))).
		Attachment(file("bookmark.htm", text("<p>bookmark</p>", 85805))),
		"zappa_av1.jpg   2937; bookmark.htm   85805", "")

	// The 8.3 title is what older readers show; the long name wins.
	add("long-filename-8bit", tw.New().
		Attachment(file("ALLPRO~1.DAT", content(2, 279),
			tw.String8(tw.PidTagAttachFilename, "ALLPRO~1.DAT"),
			tw.String8(tw.PidTagAttachLongFilename, "allproductsmar2000.dat"))),
		"allproductsmar2000.dat   279", "")

	// An 8-bit name that is not UTF-8 is Windows-1252, the code page
	// Outlook writes in the West (attOemCodepage).
	add("long-filename-cp1252", tw.New().
		Attachment(file("CAFE~1.TXT", text("menu", 120),
			tw.String8(tw.PidTagAttachLongFilename, "caf\xe9 \x80 menu.txt"))),
		"café € menu.txt   120", "")
	out[len(out)-1].differs = "tnef writes 8-bit names as they are; Decode reads them as Windows-1252"

	add("long-filename-unicode", tw.New().
		Attachment(file("RECHNU~1.PDF", content(3, 1024),
			tw.Unicode(tw.PidTagDisplayName, "Rechnung"),
			tw.Unicode(tw.PidTagAttachLongFilename, "Rechnung März – Übersicht.pdf"),
			tw.Unicode(tw.PidTagAttachMimeTag, "application/pdf"))),
		"Rechnung März – Übersicht.pdf application/pdf  1024", "")

	// Named properties with unicode names come before the file's own
	// properties and must be stepped over.
	named := tw.Named(tw.String8(0x8005, "yes"), psetidCommon, "x-sharing-config-url", 0)
	numbered := tw.Named(tw.Long(0x8006, 7), psetidCommon, "", 0x8514)
	add("unicode-mapi-names", tw.New().Body("See the images.\r\n").
		MessageProps(named, numbered).
		Attachment(file("SPACON~1.CFG", text("[console]", 8387), named, numbered,
			tw.Unicode(tw.PidTagAttachLongFilename, "spaconsole2.cfg"))).
		Attachment(inline("image001.png", "image/png", "<image001.png@01CF8C82.F4A2A290>", content(4, 3815))).
		Attachment(inline("image002.png", "image/png", "image002.png@01CF8C82.F4A2A290", content(5, 3573))),
		"spaconsole2.cfg   8387; image001.png image/png image001.png@01CF8C82.F4A2A290 3815; "+
			"image002.png image/png image002.png@01CF8C82.F4A2A290 3573", "")

	add("data-before-name", tw.New().
		Attachment(tw.Attachment{Title: "AUTOEXEC.BAT", DataFirst: true, Data: []byte{}}).
		Attachment(tw.Attachment{Title: "CONFIG.SYS", DataFirst: true, Data: []byte{}}).
		Attachment(tw.Attachment{Title: "boot.ini", DataFirst: true, Data: text("[boot loader]", 289)}),
		"AUTOEXEC.BAT   0; CONFIG.SYS   0; boot.ini   289", "")

	// Multi-valued properties before and after the ones read.
	add("multi-value", tw.New().
		MessageProps(tw.MultiString8(0x3A4F, "a", "bb", "ccc")).
		Attachment(file("208225~1.MP3", content(6, 10656),
			tw.MultiString8(0x3A51, "Voice", "Mail"),
			tw.MultiLong(0x3A50, 1, 2, 3),
			tw.String8(tw.PidTagAttachLongFilename, "208225__5_seconds__Voice_Mail.mp3"),
			mime("audio/mp3"),
			tw.Named(tw.MultiString8(0x8011, "one", "two"), psetidCommon, "Keywords", 0))),
		"208225__5_seconds__Voice_Mail.mp3 audio/mp3  10656", "")

	// The file's bytes only in PR_ATTACH_DATA_BIN, no attAttachData.
	add("data-in-properties", tw.New().
		Attachment(tw.Attachment{Title: "NOTES.TXT", NoData: true, Props: []tw.Prop{
			tw.Binary(tw.PidTagAttachDataBinary, text("notes", 500)),
			tw.String8(tw.PidTagAttachLongFilename, "meeting notes.txt"),
		}}),
		"meeting notes.txt   500", "")

	add("body-only", tw.New().Body("Just a body, no files.\r\n").
		MessageProps(tw.String8(0x0037, "hello")), "", "")

	add("garbage-at-end", tw.New().
		Attachment(file("AUTHORS", authors)).Raw([]byte("\r\n--\r\n")),
		"AUTHORS   244", "stray bytes")

	// Damaged after its third attachment: the fourth claims more bytes
	// than the stream has.
	damaged := tw.New().Body("Three images.\r\n").
		Attachment(inline("image001.jpg", "image/jpeg", "image001.jpg@01D139A1.76DB0C80", content(7, 11250))).
		Attachment(inline("image002.jpg", "image/jpeg", "image002.jpg@01D139A1.76DB0C80", content(8, 9583))).
		Attachment(inline("image003.png", "image/png", "image003.png@01D139A1.76DB0C80", content(9, 7147))).
		Attachment(tw.Attachment{Title: "image004.jpg", Data: content(10, 4000)})
	b := damaged.Bytes()
	addBytes("damaged-after-third", b[:len(b)-3000],
		"image001.jpg image/jpeg image001.jpg@01D139A1.76DB0C80 11250; image002.jpg image/jpeg image002.jpg@01D139A1.76DB0C80 9583; "+
			"image003.png image/png image003.png@01D139A1.76DB0C80 7147", "claims")
	return out
}
