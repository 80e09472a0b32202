package tnef

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tw "github.com/postdesk/postdesk/internal/tneftest"
)

// describe lists attachments as "name type cid size".
func describe(atts []Attachment) string {
	var out []string
	for _, a := range atts {
		out = append(out, fmt.Sprintf("%s %s %s %d", a.Name, a.ContentType, a.ContentID, len(a.Data)))
	}
	return strings.Join(out, "; ")
}

// TestDecode decodes the streams of streams_test.go: names, types,
// Content-IDs and sizes, and the error of a damaged stream.
func TestDecode(t *testing.T) {
	for _, s := range streams() {
		atts, err := Decode(s.b)
		if got := describe(atts); got != s.want {
			t.Errorf("%s: attachments %q, want %q", s.name, got, s.want)
		}
		if (err == nil) != (s.err == "") || (err != nil && !strings.Contains(err.Error(), s.err)) {
			t.Errorf("%s: error %v, want one containing %q", s.name, err, s.err)
		}
	}
}

// TestDecodeBytes: each file is exactly the bytes that were written, not a
// neighbour's or a slice off by a header.
func TestDecodeBytes(t *testing.T) {
	data := [][]byte{authors, readme, content(2, 279)}
	w := tw.New().
		Attachment(tw.Attachment{Title: "AUTHORS", Data: data[0]}).
		Attachment(tw.Attachment{Title: "README", DataFirst: true, Data: data[1]}).
		Attachment(tw.Attachment{Title: "X.BIN", NoData: true, Props: []tw.Prop{tw.Binary(tw.PidTagAttachDataBinary, data[2])}})
	atts, err := Decode(w.Bytes())
	if err != nil || len(atts) != len(data) {
		t.Fatalf("Decode = %d files, %v; want %d files", len(atts), err, len(data))
	}
	for i, a := range atts {
		if !bytes.Equal(a.Data, data[i]) {
			t.Errorf("file %d (%s): %d bytes differ from the %d written", i, a.Name, len(a.Data), len(data[i]))
		}
	}
}

func TestDecodeDamaged(t *testing.T) {
	if _, err := Decode([]byte("not tnef at all")); !errors.Is(err, ErrNotTNEF) {
		t.Errorf("Decode(plain text) = %v, want ErrNotTNEF", err)
	}
	good := tw.New().
		Attachment(tw.Attachment{Title: "AUTHORS", Data: authors}).
		Attachment(tw.Attachment{Title: "README", Data: readme}).Bytes()
	bad := append([]byte{}, good...)
	bad[len(bad)-5] ^= 0xff // inside the last attribute's data
	if _, err := Decode(bad); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("Decode(bad checksum) = %v, want a checksum error", err)
	}
	huge := append([]byte{}, good[:6]...)
	huge = append(huge, levelAttachment, 0x0f, 0x80, 0x06, 0x00)
	huge = binary.LittleEndian.AppendUint32(huge, 0xfffffff0)
	if _, err := Decode(append(huge, 0, 0)); err == nil {
		t.Error("Decode accepted an attribute longer than the stream")
	}
	for n := range len(good) {
		atts, _ := Decode(good[:n]) // cut anywhere: never a panic
		if len(atts) > 2 {
			t.Errorf("Decode(first %d bytes) found %d attachments", n, len(atts))
		}
	}
	// A property list whose count or lengths lie.
	lying := tw.New().Attachment(tw.Attachment{Title: "A", Data: []byte("a")}).
		Attribute(tw.LevelAttachment, tw.AttAttachment, binary.LittleEndian.AppendUint32(nil, 1000)).Bytes()
	if atts, err := Decode(lying); err == nil || len(atts) != 1 {
		t.Errorf("Decode(lying property count) = %q, %v; want the file and an error", describe(atts), err)
	}
}

// FuzzDecode: any bytes give attachments or an error, never a panic, and
// no attachment holds more bytes than the input.
func FuzzDecode(f *testing.F) {
	for _, s := range streams() {
		if len(s.b) < 64<<10 {
			f.Add(s.b)
		}
	}
	f.Add(zeroSizeValues(4 << 10))
	f.Fuzz(func(t *testing.T, b []byte) {
		atts, _ := Decode(b)
		total := 0
		for _, a := range atts {
			total += len(a.Data)
			if a.Name == "" {
				t.Error("attachment without a name")
			}
		}
		if total > len(b) {
			t.Errorf("%d bytes of attachments from %d bytes", total, len(b))
		}
	})
}

// zeroSizeValues is a stream with one file whose attAttachment property
// list of about size bytes holds entries [u16 0x1001][u16 id][u32 n], n
// the bytes remaining after the entry: multi-valued PtypNull, values that
// take no bytes, so an unchecked count costs n steps per entry and the list
// costs the square of its size (a security review measured 640 KB at 65 s).
func zeroSizeValues(size int) []byte {
	k := (size - 4) / 8
	list := binary.LittleEndian.AppendUint32(nil, uint32(k))
	total := 4 + 8*k
	for i := range k {
		list = binary.LittleEndian.AppendUint16(list, 0x1001)
		list = binary.LittleEndian.AppendUint16(list, 0x0001)
		list = binary.LittleEndian.AppendUint32(list, uint32(total-4-8*(i+1)))
	}
	return tw.New().Attachment(tw.Attachment{Title: "A.TXT", Data: []byte("a")}).
		Attribute(tw.LevelAttachment, tw.AttAttachment, list).Bytes()
}

// TestDecodeValueCounts: a value count is checked against the bytes left
// before any value is read, so hostile counts cost time linear in the
// input: multi-valued zero-size types are refused, fixed-size lists need
// n×size bytes, variable-size lists 4 bytes a value.
func TestDecodeValueCounts(t *testing.T) {
	start := time.Now()
	atts, err := Decode(zeroSizeValues(256 << 10))
	if took := time.Since(start); took > time.Second {
		t.Errorf("Decode(256 KiB of zero-size multi-values) took %v, want well under 1 s", took)
	}
	if err == nil || len(atts) != 1 {
		t.Errorf("Decode(zero-size multi-values) = %q, %v; want the file and an error", describe(atts), err)
	}
	for _, c := range []struct {
		name string
		typ  uint16
		n    uint32
		tail int // bytes after the count
	}{
		{"PtypInteger32 list longer than its bytes", 0x1003, 3, 8},
		{"PtypInteger64 list longer than its bytes", 0x1014, 2, 12},
		{"PtypBinary list of more counts than 4-byte lengths", 0x1102, 3, 8},
		{"multi-valued PtypNull", 0x1001, 0, 8},
	} {
		list := binary.LittleEndian.AppendUint32(nil, 1)
		list = binary.LittleEndian.AppendUint16(list, c.typ)
		list = binary.LittleEndian.AppendUint16(list, 0x3701)
		list = binary.LittleEndian.AppendUint32(list, c.n)
		list = append(list, make([]byte, c.tail)...)
		b := tw.New().Attachment(tw.Attachment{Title: "A.TXT", Data: []byte("a")}).
			Attribute(tw.LevelAttachment, tw.AttAttachment, list).Bytes()
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: Decode accepted it", c.name)
		}
	}
	ok := tw.New().Attachment(tw.Attachment{Title: "A.TXT", Data: []byte("a"),
		Props: []tw.Prop{tw.MultiLong(0x6000, 1, 2, 3)}}).Bytes()
	if atts, err := Decode(ok); err != nil || len(atts) != 1 {
		t.Errorf("Decode(an honest PtypMultipleInteger32) = %q, %v; want one file, no error", describe(atts), err)
	}
}
