package ticket

import "time"

// The mail postdesk sends, held mail and delivery reports, in the domain's
// words; the store keeps them as rows.

// Outbox row kinds.
const (
	OutAck    = "ack"    // acknowledgement of a new ticket to the customer
	OutCopy   = "copy"   // a copy of a message to a member
	OutReply  = "reply"  // an agent's reply to a customer or Cc'd participant
	OutNotice = "notice" // a notice to a member: held mail, failed delivery, bad command
)

// Outbox row states.
const (
	OutQueued = "queued"
	OutSent   = "sent"
	OutFailed = "failed"
)

// The states of held mail.
const (
	HeldWaiting   = "held"      // kept, neither released nor discarded
	HeldReleased  = "released"  // run through the pipeline again
	HeldDiscarded = "discarded" // judged unwanted; the raw bytes stay
)

// HeldMail is a mail accepted but not posted, with the envelope it came in.
type HeldMail struct {
	ID         int64     `json:"id"`
	PropertyID int64     `json:"property_id"`
	Reason     string    `json:"reason"`
	Sender     string    `json:"sender"`
	Subject    string    `json:"subject"`
	RawSHA256  string    `json:"raw_sha256"`
	EnvFrom    string    `json:"env_from"`
	EnvTo      []string  `json:"env_to"`
	Status     string    `json:"status"`
	ResolvedBy string    `json:"resolved_by,omitempty"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	CreatedAt  time.Time `json:"created_at"`
}

// Bounce is a delivery status notification, abuse report or failure notice.
// Only a verified one has changed anything (failed its outbox row,
// suppressed its recipient).
type Bounce struct {
	ID         int64     `json:"id"`
	PropertyID int64     `json:"property_id"`
	OutboxID   int64     `json:"outbox_id,omitempty"` // the row whose bounce address it reached, if any
	TicketID   int64     `json:"ticket_id,omitempty"`
	Recipient  string    `json:"recipient"`  // the recipient it reports on (as claimed, when not verified)
	Action     string    `json:"action"`     // failed, delayed, delivered, relayed, expanded
	Status     string    `json:"status"`     // e.g. 5.1.1
	Diagnostic string    `json:"diagnostic"` // the remote server's words
	Kind       string    `json:"kind"`       // dsn, arf, mdn (read receipt), other (failure notice)
	Verified   bool      `json:"verified"`   // reached the row's bounce address and names its recipient
	RawSHA256  string    `json:"raw_sha256"`
	CreatedAt  time.Time `json:"created_at"`
}

// Suppression is an address no mail goes to until it is cleared.
type Suppression struct {
	PropertyID int64     `json:"property_id"`
	Address    string    `json:"address"`
	Reason     string    `json:"reason"`
	TicketID   int64     `json:"ticket_id,omitempty"` // the ticket of the bounce that caused it
	BounceID   int64     `json:"bounce_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}
