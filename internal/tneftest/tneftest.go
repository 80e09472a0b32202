// Package tneftest writes TNEF streams (Outlook's winmail.dat) for tests,
// following [MS-OXTNEF]: the signature and legacy key (§2.1.3.1), then
// attributes of message and attachment level, each with its checksum
// (§2.1.3.2), and MAPI property lists inside attMsgProps and attAttachment
// (§2.1.3.4). It writes what a test asks for and nothing more, so a test can
// also build a stream that is wrong on purpose with [Writer.Attribute] and
// [Writer.Raw].
package tneftest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"unicode/utf16"
)

// Signature starts every TNEF stream (§2.1.3.1).
const Signature = 0x223E9F78

// Attribute levels (§2.1.3.2).
const (
	LevelMessage    = 0x01
	LevelAttachment = 0x02
)

// Attribute identifiers (§2.1.3.3): the attribute's type in the high word
// (atpString 0x0001, atpText 0x0002, atpByte 0x0006, atpDword 0x0008), its
// id in the low word.
const (
	AttBody           = 0x0002800C
	AttMessageClass   = 0x00078008
	AttMsgProps       = 0x00069003
	AttTnefVersion    = 0x00089006
	AttOemCodepage    = 0x00069007
	AttAttachData     = 0x0006800F
	AttAttachTitle    = 0x00018010
	AttAttachRendData = 0x00069002
	AttAttachment     = 0x00069005
)

// MAPI property types ([MS-OXCDATA] §2.11.1).
const (
	PtypInteger32 = 0x0003
	PtypString8   = 0x001E
	PtypString    = 0x001F // UTF-16LE
	PtypBinary    = 0x0102
	MultipleFlag  = 0x1000
)

// Property ids of attachments ([MS-OXPROPS]).
const (
	PidTagDisplayName        = 0x3001
	PidTagAttachDataBinary   = 0x3701
	PidTagAttachFilename     = 0x3704
	PidTagAttachLongFilename = 0x3707
	PidTagAttachMimeTag      = 0x370E
	PidTagAttachContentID    = 0x3712
	PidTagAttachFlags        = 0x3714
)

// Writer builds one TNEF stream.
type Writer struct {
	b []byte
}

// New starts a stream the way Outlook does: signature, legacy key, then
// attTnefVersion, attOemCodepage and attMessageClass (§2.1.3.3.1-3).
func New() *Writer {
	w := &Writer{}
	w.b = binary.LittleEndian.AppendUint32(w.b, Signature)
	w.b = binary.LittleEndian.AppendUint16(w.b, 0x0106) // legacy key: any value
	w.Attribute(LevelMessage, AttTnefVersion, binary.LittleEndian.AppendUint32(nil, 0x00010000))
	codepage := binary.LittleEndian.AppendUint32(nil, 1252)
	w.Attribute(LevelMessage, AttOemCodepage, binary.LittleEndian.AppendUint32(codepage, 0))
	w.Attribute(LevelMessage, AttMessageClass, cString("IPM.Microsoft Mail.Note"))
	return w
}

// Bytes returns the stream written so far.
func (w *Writer) Bytes() []byte { return w.b }

// Raw appends bytes as they are, for damage.
func (w *Writer) Raw(b []byte) *Writer {
	w.b = append(w.b, b...)
	return w
}

// Attribute appends one attribute: level, id, length, data and the
// checksum of the data, the sum of its bytes modulo 65536 (§2.1.3.2).
func (w *Writer) Attribute(level byte, id uint32, data []byte) *Writer {
	w.b = append(w.b, level)
	w.b = binary.LittleEndian.AppendUint32(w.b, id)
	w.b = binary.LittleEndian.AppendUint32(w.b, uint32(len(data)))
	w.b = append(w.b, data...)
	w.b = binary.LittleEndian.AppendUint16(w.b, Checksum(data))
	return w
}

// Checksum is the sum of the bytes modulo 65536 (§2.1.3.2).
func Checksum(data []byte) uint16 {
	var s uint16
	for _, c := range data {
		s += uint16(c)
	}
	return s
}

// Body appends the message's plain text body, attBody (§2.1.3.3.9).
func (w *Writer) Body(text string) *Writer {
	return w.Attribute(LevelMessage, AttBody, cString(text))
}

// MessageProps appends attMsgProps, the message's MAPI properties.
func (w *Writer) MessageProps(props ...Prop) *Writer {
	return w.Attribute(LevelMessage, AttMsgProps, PropList(props...))
}

// Attachment describes one attached file. Title is the 8.3 name of
// attAttachTitle; Props go into attAttachment, where Outlook puts the long
// file name, the MIME type and the Content-ID.
type Attachment struct {
	Title     string
	Data      []byte
	NoData    bool // write no attAttachData (the data is in Props)
	DataFirst bool // write attAttachData before attAttachTitle
	Props     []Prop
}

// Attachment appends the attributes of one attachment, starting with
// attAttachRendData, which opens an attachment (§2.1.3.3.15).
func (w *Writer) Attachment(a Attachment) *Writer {
	w.Attribute(LevelAttachment, AttAttachRendData, rendData())
	data := func() {
		if !a.NoData {
			w.Attribute(LevelAttachment, AttAttachData, a.Data)
		}
	}
	if a.DataFirst {
		data()
	}
	if a.Title != "" {
		w.Attribute(LevelAttachment, AttAttachTitle, cString(a.Title))
	}
	if !a.DataFirst {
		data()
	}
	if len(a.Props) > 0 {
		w.Attribute(LevelAttachment, AttAttachment, PropList(a.Props...))
	}
	return w
}

// rendData is the attAttachRendData of a file attachment: AttachType
// (1, a file), AttachPosition (-1: not rendered in the body), RenderWidth,
// RenderHeight and DataFlags (§2.1.3.3.15).
func rendData() []byte {
	b := binary.LittleEndian.AppendUint16(nil, 1)
	b = binary.LittleEndian.AppendUint32(b, 0xFFFFFFFF)
	b = binary.LittleEndian.AppendUint16(b, 32)
	b = binary.LittleEndian.AppendUint16(b, 32)
	return binary.LittleEndian.AppendUint32(b, 0)
}

// Prop is one MAPI property of a property list (§2.1.3.4).
type Prop struct {
	Type, ID uint16
	Name     *Name    // for named properties, ID >= 0x8000
	Values   [][]byte // one value, or a list when Type has MultipleFlag
}

// Name names a named property: a namespace GUID and a number or a string.
type Name struct {
	GUID   [16]byte
	Number uint32
	String string // used when not empty
}

// String8 is an 8-bit string property, NUL-terminated as Outlook writes it.
func String8(id uint16, s string) Prop {
	return Prop{Type: PtypString8, ID: id, Values: [][]byte{cString(s)}}
}

// Unicode is a UTF-16LE string property, NUL-terminated.
func Unicode(id uint16, s string) Prop {
	return Prop{Type: PtypString, ID: id, Values: [][]byte{utf16z(s)}}
}

// Binary is a binary property.
func Binary(id uint16, b []byte) Prop {
	return Prop{Type: PtypBinary, ID: id, Values: [][]byte{b}}
}

// Long is a 32-bit integer property.
func Long(id uint16, n uint32) Prop {
	return Prop{Type: PtypInteger32, ID: id, Values: [][]byte{binary.LittleEndian.AppendUint32(nil, n)}}
}

// MultiString8 is a multi-valued 8-bit string property.
func MultiString8(id uint16, s ...string) Prop {
	p := Prop{Type: PtypString8 | MultipleFlag, ID: id}
	for _, v := range s {
		p.Values = append(p.Values, cString(v))
	}
	return p
}

// MultiLong is a multi-valued 32-bit integer property.
func MultiLong(id uint16, n ...uint32) Prop {
	p := Prop{Type: PtypInteger32 | MultipleFlag, ID: id}
	for _, v := range n {
		p.Values = append(p.Values, binary.LittleEndian.AppendUint32(nil, v))
	}
	return p
}

// Named gives p a name; p.ID should be 0x8000 or above.
func Named(p Prop, guid [16]byte, name string, number uint32) Prop {
	p.Name = &Name{GUID: guid, String: name, Number: number}
	return p
}

// PropList encodes a property list: the count, then each property's tag,
// its name if it is a named property, and its value or values. Values of
// variable size (strings, binary) are counted, each preceded by its length
// and padded to 4 bytes; a multi-valued property is counted too; a single
// fixed-size value stands alone, padded to 4 bytes (§2.1.3.4).
func PropList(props ...Prop) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(props)))
	for _, p := range props {
		b = binary.LittleEndian.AppendUint16(b, p.Type)
		b = binary.LittleEndian.AppendUint16(b, p.ID)
		if p.Name != nil {
			b = appendName(b, p.Name)
		}
		base := p.Type &^ MultipleFlag
		variable := base == PtypString8 || base == PtypString || base == PtypBinary
		if variable || p.Type&MultipleFlag != 0 {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(p.Values)))
		}
		for _, v := range p.Values {
			if variable {
				b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
			}
			b = pad(append(b, v...))
		}
	}
	return b
}

// appendName writes a named property's PropNameSpace, PropIDType and either
// the number or the counted, padded UTF-16LE name (§2.1.3.4).
func appendName(b []byte, n *Name) []byte {
	b = append(b, n.GUID[:]...)
	if n.String == "" {
		b = binary.LittleEndian.AppendUint32(b, 0)
		return binary.LittleEndian.AppendUint32(b, n.Number)
	}
	s := utf16z(n.String)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
	return pad(append(b, s...))
}

func pad(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func cString(s string) []byte { return append([]byte(s), 0) }

func utf16z(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return append(b, 0, 0)
}

// Mail is a mail with the given header fields (each ending in CRLF), a text
// part, and one winmail.dat attachment (application/ms-tnef, base64) per
// stream, as Outlook sends it.
func Mail(header string, streams ...[]byte) []byte {
	var b bytes.Buffer
	b.WriteString(header + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B0\r\n\r\n" +
		"--B0\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n")
	for _, s := range streams {
		b.WriteString("--B0\r\nContent-Type: application/ms-tnef; name=winmail.dat\r\n" +
			"Content-Disposition: attachment; filename=winmail.dat\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		enc := base64.StdEncoding.EncodeToString(s)
		for ; len(enc) > 76; enc = enc[76:] {
			b.WriteString(enc[:76] + "\r\n")
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--B0--\r\n")
	return b.Bytes()
}
