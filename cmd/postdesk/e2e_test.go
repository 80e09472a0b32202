package main

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

func TestNewcomerTour(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	raw := readTestdata(t, "../../ingest/testdata/inline-pdf.eml")
	if err := send(srv.addr, "carol@example.com", []string{"support@acme.test"}, raw); err != nil {
		t.Fatalf("send: %v", err)
	}
	// Admin commands work while serve runs.
	var tickets []ticket.Ticket
	cliJSON(t, data, &tickets, "ticket", "list")
	if len(tickets) != 1 || tickets[0].Number != 1 || tickets[0].Subject != "Invoice problem" ||
		tickets[0].Requester != "carol@example.com" || tickets[0].Status != ticket.StatusOpen {
		t.Fatalf("ticket list = %+v", tickets)
	}
	show := cli(t, data, "ticket", "show", "1")
	for _, want := range []string{
		"inline: logo.png (image/png, 73 bytes",
		"attachment: invoice.pdf (application/pdf, 125 bytes",
		"Carol Customer <carol@example.com>",
		"Please see the logo and the invoice. Café crème.",
		"created", // the event log
	} {
		if !strings.Contains(show, want) {
			t.Errorf("ticket show lacks %q:\n%s", want, show)
		}
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	got := cli(t, data, "message", "raw", itoa64(v.Messages[0].ID))
	if got != string(raw) {
		t.Errorf("message raw differs from the bytes sent (%d vs %d bytes)", len(got), len(raw))
	}
	srv.stop(t)
}

func TestUnknownRecipientAndOversize(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data, "--max-message-size", "1KiB")
	err := send(srv.addr, "x@example.com", []string{"nobody@acme.test"}, []byte("Subject: x\r\n\r\nx\r\n"))
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("unknown recipient: %v, want 550", err)
	}
	big := []byte("Subject: big\r\n\r\n" + strings.Repeat("0123456789\r\n", 200))
	err = send(srv.addr, "x@example.com", []string{"support@acme.test"}, big)
	if err == nil || !strings.Contains(err.Error(), "552") {
		t.Errorf("oversize: %v, want 552", err)
	}
	if out := cli(t, data, "ticket", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("refused mail left tickets: %s", out)
	}
}

func TestSwaks(t *testing.T) {
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		t.Skip("swaks not installed (apt-get install swaks); .ci/run installs it")
	}
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	out, err := exec.Command(swaks, "--server", srv.addr, "--from", "erin@example.com", "--to", "support@acme.test",
		"--header", "Subject: =?UTF-8?B?w5xiZXIgdW5zIOKAkyB0ZXN0?=", "--body", "Sent with swaks",
		"--attach-type", "application/pdf", "--attach", "@../../ingest/testdata/invoice.pdf").CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	show := cli(t, data, "ticket", "show", "1")
	for _, want := range []string{"Über uns – test", "Sent with swaks", "invoice.pdf (application/pdf, 125 bytes"} {
		if !strings.Contains(show, want) {
			t.Errorf("ticket show lacks %q:\n%s", want, show)
		}
	}
}

func TestSIGKILLAfter250(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	for i := 0; i < 5; i++ {
		msg := []byte("From: k@example.com\r\nSubject: crash " + itoa64(int64(i)) + "\r\n\r\nbody\r\n")
		mustSend(t, srv.addr, "k@example.com", []string{"support@acme.test"}, string(msg))
	}
	// SIGKILL right after the last 250: no clean shutdown, no chance to flush.
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-srv.done
	startServer(t, data) // recovers the WAL on open
	var tickets []ticket.Ticket
	cliJSON(t, data, &tickets, "ticket", "list")
	if len(tickets) != 5 {
		t.Fatalf("after SIGKILL and restart: %d tickets, want 5", len(tickets))
	}
	if tickets[0].Subject != "crash 4" {
		t.Errorf("newest ticket = %q, want the one answered 250 just before the kill", tickets[0].Subject)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
