package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"path"
	"strings"

	"github.com/jhillyerd/enmime/v2"

	"github.com/postdesk/postdesk/tnef"
)

// isTNEF reports whether a part is Outlook's winmail.dat: declared
// application/ms-tnef (or vnd.ms-tnef), or named winmail.dat.
func isTNEF(p *enmime.Part) bool {
	ct := strings.ToLower(p.ContentType)
	return ct == "application/ms-tnef" || ct == "application/vnd.ms-tnef" || strings.EqualFold(p.FileName, "winmail.dat")
}

// MaxAttachments bounds the attachments kept of one message: its MIME
// parts (at most MaxMIMEParts) and the files unpacked from its winmail.dat
// attachments. Each TNEF stream holds up to tnef.MaxAttachments files, so
// a mail of hundreds of winmail.dat parts would otherwise multiply into
// hundreds of thousands of attachments (a security review sent 990 × 500:
// 545 MB on intake, then minutes of rendering copies).
const MaxAttachments = MaxMIMEParts

// tnefBudget is how many more files winmail.dat attachments may add to a
// message, and how many winmail.dat attachments were left packed.
type tnefBudget struct {
	left, packed int
}

// unpackTNEF adds the files inside a winmail.dat as attachments of the
// message; the winmail.dat itself is kept too. A damaged stream gives the
// files read before the damage, and a warning. Once the budget is spent,
// the winmail.dat is kept packed, as it came, and counted in t.packed.
func (m *parsed) unpackTNEF(p *enmime.Part, t *tnefBudget) {
	if t.left <= 0 {
		t.packed++
		return
	}
	files, err := tnef.Decode(p.Content)
	if err != nil {
		m.warn("%s: %v", nonEmptyName(p.FileName, "winmail.dat"), err)
	}
	if len(files) > t.left {
		m.warn("%s: %d of its %d files unpacked: the message would have more than %d attachments (MaxAttachments)",
			nonEmptyName(p.FileName, "winmail.dat"), t.left, len(files), MaxAttachments)
		files = files[:t.left]
	}
	t.left -= len(files)
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		m.Attachments = append(m.Attachments, part{
			Filename: safeName(f.Name), ContentType: tnefType(f), ContentID: f.ContentID,
			Inline: false, Content: f.Data, SHA256: hex.EncodeToString(sum[:]),
		})
	}
}

// tnefType is the MIME type Outlook recorded for a file, or the one its
// name's extension suggests.
func tnefType(f tnef.Attachment) string {
	if ct, _, err := mime.ParseMediaType(f.ContentType); err == nil && strings.Contains(ct, "/") {
		return ct
	}
	if ct := mime.TypeByExtension(strings.ToLower(path.Ext(f.Name))); ct != "" {
		ct, _, _ = strings.Cut(ct, ";")
		return ct
	}
	return "application/octet-stream"
}

// safeName keeps the last element of a file name that may carry a path.
func safeName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if name == "" || name == "." || name == ".." {
		return "attachment.dat"
	}
	return name
}

func nonEmptyName(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
