// Package tnef reads the files inside a TNEF stream: the winmail.dat
// (application/ms-tnef) that Outlook and Exchange attach in place of a
// message's attachments. It implements the parts of [MS-OXTNEF] that carry
// attachments: the attribute stream (§2.1.3), attachment attributes
// (attAttachRendData, attAttachTitle, attAttachData) and the attachment's
// MAPI properties (attAttachment, §2.1.3.5) for the long file name, MIME
// type, Content-ID and data. Message bodies (RTF) and embedded messages are
// left alone: the winmail.dat itself is kept by the caller.
//
// It is pure and bounded: every length is checked against the input, so
// hostile bytes give an error, never a panic or an allocation larger than
// the input.
package tnef

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// signature starts every TNEF stream (§2.1.3.1), little-endian.
const signature = 0x223E9F78

// Attribute levels and the attachment attributes read (§2.1.3.3).
const (
	levelAttachment = 0x02

	attAttachData       = 0x800F
	attAttachTitle      = 0x8010
	attAttachRendData   = 0x9002
	attAttachment       = 0x9005
	attributeHeaderSize = 1 + 4 + 4 // level, id, length
	checksumSize        = 2
)

// MaxAttachments bounds the files read from one stream.
const MaxAttachments = 500

// ErrNotTNEF means the bytes do not start with the TNEF signature.
var ErrNotTNEF = errors.New("tnef: no TNEF signature")

// Attachment is one file inside a TNEF stream.
type Attachment struct {
	Name        string // the long file name when given, else the 8.3 title
	ContentType string // the MIME type Outlook recorded, if any
	ContentID   string // for inline images of an HTML or RTF body
	Data        []byte // a slice of the input
}

// Decode returns the attachments of a TNEF stream. A stream that ends
// early, has a bad checksum or unreadable properties returns the files read
// before the fault together with an error saying where it was.
func Decode(b []byte) ([]Attachment, error) {
	if len(b) < 6 || binary.LittleEndian.Uint32(b) != signature {
		return nil, ErrNotTNEF
	}
	var d decoder
	off := 6 // signature and legacy key
	for off < len(b) {
		if len(b)-off < attributeHeaderSize+checksumSize {
			return d.done(fmt.Errorf("tnef: %d stray bytes at offset %d", len(b)-off, off))
		}
		level, id := b[off], binary.LittleEndian.Uint32(b[off+1:])
		n := binary.LittleEndian.Uint32(b[off+5:])
		start := off + attributeHeaderSize
		if uint64(n) > uint64(len(b)-start-checksumSize) {
			return d.done(fmt.Errorf("tnef: attribute %#x at offset %d claims %d bytes, %d remain", id, off, n, len(b)-start-checksumSize))
		}
		data := b[start : start+int(n)]
		if sum := binary.LittleEndian.Uint16(b[start+int(n):]); sum != checksum(data) {
			return d.done(fmt.Errorf("tnef: bad checksum of attribute %#x at offset %d", id, off))
		}
		off = start + int(n) + checksumSize
		if level != levelAttachment {
			continue
		}
		if err := d.attribute(uint16(id), data); err != nil {
			return d.done(fmt.Errorf("tnef: attribute %#x at offset %d: %w", id, off, err))
		}
		if len(d.files) > MaxAttachments {
			return d.done(fmt.Errorf("tnef: more than %d attachments", MaxAttachments))
		}
	}
	return d.done(nil)
}

// checksum is the sum of the bytes modulo 65536 (§2.1.3.2).
func checksum(data []byte) uint16 {
	var s uint16
	for _, c := range data {
		s += uint16(c)
	}
	return s
}

// decoder collects attachments as their attributes go by. An attachment
// starts with attAttachRendData; attributes seen before any start one too.
type decoder struct {
	files  []*file
	values uint64 // MAPI property values read, against MaxValues
}

type file struct {
	title, longName, mapiName, displayName, contentType, contentID string
	data, mapiData                                                 []byte
	hasData                                                        bool
}

func (d *decoder) current() *file {
	if len(d.files) == 0 {
		d.files = append(d.files, &file{})
	}
	return d.files[len(d.files)-1]
}

func (d *decoder) attribute(id uint16, data []byte) error {
	switch id {
	case attAttachRendData:
		d.files = append(d.files, &file{})
	case attAttachTitle:
		d.current().title = string8(data)
	case attAttachData:
		f := d.current()
		f.data, f.hasData = data, true
	case attAttachment:
		return readProperties(data, d.current(), &d.values)
	}
	return nil
}

// done returns the files that have data, named.
func (d *decoder) done(err error) ([]Attachment, error) {
	var out []Attachment
	for _, f := range d.files {
		data := f.data
		if !f.hasData {
			data = f.mapiData
		}
		if data == nil {
			continue
		}
		name := firstNonEmpty(f.longName, f.mapiName, f.title, f.displayName)
		if name == "" {
			name = fmt.Sprintf("attachment-%d.dat", len(out)+1)
		}
		out = append(out, Attachment{Name: name, ContentType: f.contentType, ContentID: f.contentID, Data: data})
	}
	return out, err
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
