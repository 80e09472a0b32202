package tnef

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// MAPI property types ([MS-OXCDATA] §2.11.1) and the fixed sizes they take
// in a TNEF property list, padding included (§2.1.3.5).
const (
	ptypString8  = 0x001E
	ptypUnicode  = 0x001F
	ptypBinary   = 0x0102
	ptypObject   = 0x000D
	ptypMultiple = 0x1000
)

var fixedSize = map[uint16]int{
	0x0001: 0, 0x0002: 4, 0x0003: 4, 0x0004: 4, 0x0005: 8, 0x0006: 8, 0x0007: 8,
	0x000A: 4, 0x000B: 4, 0x0014: 8, 0x0040: 8, 0x0048: 16,
}

// Attachment properties read ([MS-OXPROPS]).
const (
	propDisplayName  = 0x3001
	propAttachData   = 0x3701
	propFilename     = 0x3704
	propLongFilename = 0x3707
	propMimeTag      = 0x370E
	propContentID    = 0x3712
)

var errShort = errors.New("property list ends early")

// reader reads little-endian values, failing once the input runs out.
type reader struct {
	b      []byte
	off    int
	err    error
	values uint64 // values read so far in the stream, against MaxValues
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.err = errShort
		return nil
	}
	out := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return out
}

func (r *reader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// padded reads n bytes and the padding to a multiple of 4 after them.
func (r *reader) padded(n uint64) []byte {
	out := r.bytes(n)
	if pad := (4 - n%4) % 4; r.err == nil && pad > 0 {
		if uint64(len(r.b)-r.off) < pad {
			return out // the last value may go unpadded
		}
		r.off += int(pad)
	}
	return out
}

// readProperties reads an attAttachment property list (§2.1.3.5) into f.
// values counts the values read from the stream so far, over its property
// lists, and is updated.
func readProperties(data []byte, f *file, values *uint64) error {
	r := &reader{b: data, values: *values}
	defer func() { *values = r.values }()
	count := r.u32()
	if uint64(count) > uint64(len(data))/4 {
		return fmt.Errorf("%d properties in %d bytes", count, len(data))
	}
	for i := uint32(0); i < count && r.err == nil; i++ {
		typ, id := r.u16(), r.u16()
		if id >= 0x8000 {
			skipName(r)
		}
		values := readValues(r, typ)
		if r.err != nil || len(values) == 0 {
			break
		}
		apply(f, typ, id, values[0])
	}
	if r.err != nil {
		return r.err
	}
	return nil
}

// skipName skips the name of a named property: a GUID, then a number or a
// UTF-16 string.
func skipName(r *reader) {
	r.bytes(16)
	if kind := r.u32(); kind != 0 {
		r.padded(uint64(r.u32()))
	} else {
		r.u32()
	}
}

// MaxValues bounds the values read from one TNEF stream, over all its
// property lists. Outlook writes a handful of properties per attachment; a
// stream of more values is hostile or broken, and reading stops there.
const MaxValues = 100_000

// readValues reads the values of one property: one, or a counted list for
// multi-valued types; variable-size values are each counted and padded.
//
// The count is checked against the bytes that remain before anything is
// read, so the work is linear in the input: n values of a fixed size need
// n×size bytes, n variable-size values at least 4 bytes each (their
// length), and a multi-valued type whose values take no bytes (PtypNull,
// [MS-OXCDATA] §2.11.1 defines no multi-valued form of it) is refused, as
// its count could not be checked at all.
func readValues(r *reader, typ uint16) [][]byte {
	base := typ &^ ptypMultiple
	n := uint32(1)
	variable := base == ptypString8 || base == ptypUnicode || base == ptypBinary || base == ptypObject
	if typ&ptypMultiple != 0 || variable {
		n = r.u32()
	}
	size, fixed := fixedSize[base]
	switch {
	case r.err != nil:
		return nil
	case !variable && !fixed:
		r.err = fmt.Errorf("unknown property type %#x", typ)
		return nil
	case fixed && size == 0 && typ&ptypMultiple != 0:
		r.err = fmt.Errorf("multi-valued property type %#x of values without size", typ)
		return nil
	}
	remaining := uint64(len(r.b) - r.off)
	if variable && uint64(n) > remaining/4 || fixed && uint64(n)*uint64(size) > remaining {
		r.err = errShort
		return nil
	}
	if r.values += uint64(n); r.values > MaxValues {
		r.err = fmt.Errorf("more than %d property values", MaxValues)
		return nil
	}
	out := make([][]byte, 0, min(n, 16))
	for j := uint32(0); j < n && r.err == nil; j++ {
		var v []byte
		if variable {
			v = r.padded(uint64(r.u32()))
		} else {
			v = r.bytes(uint64(size))
		}
		if j < 16 {
			out = append(out, v)
		}
	}
	return out
}

func apply(f *file, typ, id uint16, v []byte) {
	base := typ &^ ptypMultiple
	str := func() string {
		if base == ptypUnicode {
			return utf16String(v)
		}
		return string8(v)
	}
	switch id {
	case propLongFilename:
		f.longName = str()
	case propFilename:
		f.mapiName = str()
	case propDisplayName:
		f.displayName = str()
	case propMimeTag:
		f.contentType = strings.ToLower(str())
	case propContentID:
		f.contentID = strings.Trim(str(), "<> ")
	case propAttachData:
		if base == ptypBinary {
			f.mapiData = v
		}
	}
}

// string8 reads an 8-bit string: UTF-8 when valid, else windows-1252, up to
// the first NUL.
func string8(b []byte) string {
	if i := indexNUL(b); i >= 0 {
		b = b[:i]
	}
	if utf8.Valid(b) {
		return strings.TrimSpace(string(b))
	}
	s, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return strings.TrimSpace(string(s))
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// utf16String reads a UTF-16LE string up to the first NUL.
func utf16String(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return strings.TrimSpace(string(utf16.Decode(u)))
}
