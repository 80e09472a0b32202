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

// unpackTNEF adds the files inside a winmail.dat as attachments of the
// message; the winmail.dat itself is kept too. A damaged stream gives the
// files read before the damage, and a warning.
func (m *parsed) unpackTNEF(p *enmime.Part) {
	files, err := tnef.Decode(p.Content)
	if err != nil {
		m.warn("%s: %v", nonEmptyName(p.FileName, "winmail.dat"), err)
	}
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
