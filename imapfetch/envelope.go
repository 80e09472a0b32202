package imapfetch

import (
	"bufio"
	"bytes"
	"net/mail"
	"net/textproto"
	"strings"
)

// EnvelopeSender is the envelope sender of a message taken from a mailbox:
// the Return-Path the delivering MTA recorded (RFC 5321 §4.4), "" for the
// null sender <>, or, when the mailbox holds no Return-Path (mail copied
// in by a client), the From address, so that such mail is not mistaken
// for a bounce; an unreadable Return-Path counts as none. It is "" when
// neither can be read.
func EnvelopeSender(raw []byte) string {
	h, _ := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
	if rp := h.Values("Return-Path"); len(rp) > 0 {
		v := strings.TrimSpace(rp[0])
		v = strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">")
		if v == "" {
			return ""
		}
		if !strings.ContainsAny(v, " \t<>,;") && strings.Contains(v, "@") {
			return v
		}
	}
	if a, err := mail.ParseAddress(h.Get("From")); err == nil {
		return a.Address
	}
	return ""
}
