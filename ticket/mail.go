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
	ID         int64
	PropertyID int64
	Reason     string
	Sender     string
	Subject    string
	RawSHA256  string
	EnvFrom    string
	EnvTo      []string
	Status     string
	ResolvedBy string
	ResolvedAt time.Time
	CreatedAt  time.Time
}

// Bounce is a delivery status notification, abuse report or failure notice.
// Only a verified one has changed anything (failed its outbox row,
// suppressed its recipient).
type Bounce struct {
	ID         int64
	PropertyID int64
	OutboxID   int64 // the row whose bounce address it reached, if any
	TicketID   int64
	Recipient  string // the recipient it reports on (as claimed, when not verified)
	Action     string // failed, delayed, delivered, relayed, expanded
	Status     string // e.g. 5.1.1
	Diagnostic string // the remote server's words
	Kind       string // dsn, arf, mdn (read receipt), other (failure notice)
	Verified   bool   // reached the row's bounce address and names its recipient
	RawSHA256  string
	CreatedAt  time.Time
}

// Suppression is an address no mail goes to until it is cleared.
type Suppression struct {
	PropertyID int64
	Address    string
	Reason     string
	TicketID   int64 // the ticket of the bounce that caused it
	BounceID   int64
	CreatedAt  time.Time
}
