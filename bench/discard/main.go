// Command discard is the library floor of BENCHMARKS.md: a go-smtp server
// that accepts every recipient and copies each message to io.Discard. What
// postdesk adds (parsing, threading, durable storage) is measured against it.
package main

import (
	"flag"
	"io"
	"log"
	"time"

	"github.com/emersion/go-smtp"
)

type session struct{}

func (session) Reset()                               {}
func (session) Logout() error                        { return nil }
func (session) Mail(string, *smtp.MailOptions) error { return nil }
func (session) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (session) Data(r io.Reader) error               { _, err := io.Copy(io.Discard, r); return err }

func main() {
	addr := flag.String("addr", "127.0.0.1:2600", "listen address")
	flag.Parse()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return session{}, nil }))
	srv.Addr, srv.Domain = *addr, "discard.local"
	srv.MaxMessageBytes, srv.MaxLineLength = 25<<20, 128<<10
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	log.Fatal(srv.ListenAndServe())
}
