package ticket

import (
	"fmt"
	"strings"
	"time"
)

// HookType is the type of a desk event as webhooks and live event streams
// carry it ("ticket.closed").
type HookType string

// The desk's event types.
const (
	HookTicketCreated   HookType = "ticket.created"
	HookMessageCreated  HookType = "message.created" // inbound mail, an answer or a note
	HookTicketAssigned  HookType = "ticket.assigned"
	HookPriorityChanged HookType = "ticket.priority_changed"
	HookStatusChanged   HookType = "ticket.status_changed"
	HookTicketClosed    HookType = "ticket.closed"
	HookTicketOverdue   HookType = "ticket.overdue"
)

// WebhookSecretPrefix starts every webhook signing secret (Standard
// Webhooks, "Signature scheme": the secret is base64 after the prefix).
// The desk makes secrets with it, package hook reads them.
const WebhookSecretPrefix = "whsec_"

// HookTypes lists every event type, in the order the documentation gives.
func HookTypes() []HookType {
	return []HookType{HookTicketCreated, HookMessageCreated, HookTicketAssigned, HookPriorityChanged,
		HookStatusChanged, HookTicketClosed, HookTicketOverdue}
}

// ParseHookType validates s as a HookType.
func ParseHookType(s string) (HookType, error) {
	if h, ok := oneOf(s, HookTypes()...); ok {
		return h, nil
	}
	names := make([]string, 0, len(HookTypes()))
	for _, h := range HookTypes() {
		names = append(names, string(h))
	}
	return "", fmt.Errorf("unknown event type %q (want %s)", s, strings.Join(names, ", "))
}

// HookEvent is one desk event as it is sent: the body of a webhook (the
// Standard Webhooks payload: type, timestamp, data) and the data of a live
// event. Its ticket, contact and message are snapshots taken in the
// transaction that made the event happen.
type HookEvent struct {
	Type      HookType  `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      HookData  `json:"data"`
}

// HookData is what an event is about.
type HookData struct {
	Property string   `json:"property"` // the property's slug
	Ticket   *Ticket  `json:"ticket,omitempty"`
	Contact  *Contact `json:"contact,omitempty"` // the ticket's requester
	// Message is the new message of message.created; its text and HTML
	// are cut at 64 KiB (the API serves the whole message).
	Message *Message `json:"message,omitempty"`
	// Change is the ticket event behind it: who did what (absent for
	// message.created).
	Change *HookChange `json:"change,omitempty"`
}

// HookChange is the ticket event an event comes from.
type HookChange struct {
	Kind   string `json:"kind"`
	Actor  string `json:"actor"`
	Detail string `json:"detail"`
}
