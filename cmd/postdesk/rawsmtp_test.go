package main

import (
	"bytes"
	"fmt"
	"net"
	"net/textproto"
	"regexp"
	"time"
)

// rawClient is an SMTP client that sends a message's bytes as they are,
// as Python's smtplib does with bytes: no line end is rewritten; a dot
// after each LF (and at the start) is doubled, CRLF is appended when the
// message does not end with it, then the end line (RFC 5321 §4.5.2).
// net/smtp would turn bare CRs and LFs into CRLF and hide what real
// senders do.
type rawClient struct {
	conn    net.Conn
	text    *textproto.Conn
	timeout time.Duration // for each reply
}

// dialSMTP connects, reads the greeting and says EHLO.
func dialSMTP(addr string, timeout time.Duration) (*rawClient, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	c := &rawClient{conn: conn, text: textproto.NewConn(conn), timeout: timeout}
	if _, err := c.reply(220); err != nil {
		conn.Close()
		return nil, err
	}
	if err := c.cmd(250, "EHLO client.test"); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

func (c *rawClient) Close() error { return c.conn.Close() }

// reply reads one reply within the timeout; a code other than want is a
// *textproto.Error.
func (c *rawClient) reply(want int) (string, error) {
	c.conn.SetReadDeadline(time.Now().Add(c.timeout))
	_, msg, err := c.text.ReadResponse(want)
	return msg, err
}

func (c *rawClient) cmd(want int, format string, args ...any) error {
	c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
	if err := c.text.PrintfLine(format, args...); err != nil {
		return err
	}
	_, err := c.reply(want)
	return err
}

var lineStartDot = regexp.MustCompile(`(?m)^\.`)

// send runs one mail transaction and returns the error of the whole of it
// (a *textproto.Error for a refusal).
func (c *rawClient) send(from string, to []string, msg []byte) error {
	if err := c.cmd(250, "MAIL FROM:<%s>", from); err != nil {
		return err
	}
	for _, rcpt := range to {
		if err := c.cmd(250, "RCPT TO:<%s>", rcpt); err != nil {
			return err
		}
	}
	if err := c.cmd(354, "DATA"); err != nil {
		return err
	}
	data := lineStartDot.ReplaceAll(msg, []byte(".."))
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		data = append(data, "\r\n"...)
	}
	data = append(data, ".\r\n"...)
	c.conn.SetWriteDeadline(time.Now().Add(c.timeout))
	if _, err := c.conn.Write(data); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	_, err := c.reply(250)
	return err
}
