package threading

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Kind says what a token identifies besides its ticket.
type Kind byte

// The kinds of token.
const (
	// KindContact: a copy sent to a contact (customer or Cc'd participant).
	KindContact Kind = 'c'
	// KindMember: a copy sent to a member (agent or admin).
	KindMember Kind = 'm'
	// KindTicket: the ticket itself, for the stable ticket reference.
	KindTicket Kind = 't'
	// KindBounce: one outbound message, for its envelope sender (VERP).
	KindBounce Kind = 'b'
	// KindNotice: a notice to a member (ID), in its Reply-To and
	// Message-ID, so that a reply to it is known for one: an internal note,
	// never mail to a customer, never answered by another notice.
	KindNotice Kind = 'n'
)

// Token is a signed identity: which property, ticket and recipient (or
// outbound message, for bounces) a reply address or Message-ID was minted for.
type Token struct {
	Kind       Kind
	KeyID      uint8
	PropertyID int64
	TicketID   int64
	// ID is the contact or member id for KindContact, KindMember and
	// KindNotice, the outbox id for KindBounce, and 0 for KindTicket.
	ID int64
}

// macLen is the truncated HMAC-SHA256 length: 80 bits, beyond guessing by
// mail, and short enough for RFC 5321's 64-octet local part.
const macLen = 10

// encoding is lower-case base32 without padding: some mail servers fold the
// case of local parts, and decoding folds it back.
var encoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Errors of token verification. A token that fails is ignored, never trusted.
var (
	ErrBadToken   = errors.New("malformed token")
	ErrUnknownKey = errors.New("token signed with an unknown or retired key")
	ErrBadMAC     = errors.New("token signature does not verify")
)

// Keys signs and verifies tokens. Tokens are signed with the current key;
// every key still listed verifies, so keys can be rotated: add a new key and
// make it current, and retire the old one once its mail is answered.
type Keys struct {
	current uint8
	secrets map[uint8][]byte
}

// NewKeys returns Keys signing with current. Every secret must be at least
// 16 bytes.
func NewKeys(current uint8, secrets map[uint8][]byte) (*Keys, error) {
	if _, ok := secrets[current]; !ok {
		return nil, fmt.Errorf("threading keys: current key %d is not among the keys", current)
	}
	k := &Keys{current: current, secrets: map[uint8][]byte{}}
	for id, s := range secrets {
		if len(s) < 16 {
			return nil, fmt.Errorf("threading keys: key %d is shorter than 16 bytes", id)
		}
		k.secrets[id] = append([]byte(nil), s...)
	}
	return k, nil
}

// Mint returns the token string for t, signed with the current key.
func (k *Keys) Mint(t Token) string {
	t.KeyID = k.current
	payload := t.payload()
	return encoding.EncodeToString(append(payload, k.mac(k.current, payload)...))
}

// Verify decodes and checks a token string, in any letter case.
func (k *Keys) Verify(s string) (Token, error) {
	raw, err := encoding.DecodeString(strings.ToLower(s))
	if err != nil || len(raw) < 2+3+macLen {
		return Token{}, ErrBadToken
	}
	payload, mac := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	keyID := payload[1]
	if _, ok := k.secrets[keyID]; !ok {
		return Token{}, ErrUnknownKey
	}
	if !hmac.Equal(mac, k.mac(keyID, payload)) {
		return Token{}, ErrBadMAC
	}
	t := Token{Kind: Kind(payload[0]), KeyID: keyID}
	rest := payload[2:]
	for _, field := range []*int64{&t.PropertyID, &t.TicketID, &t.ID} {
		v, n := binary.Uvarint(rest)
		if n <= 0 || v > 1<<62 {
			return Token{}, ErrBadToken
		}
		*field, rest = int64(v), rest[n:]
	}
	if len(rest) != 0 {
		return Token{}, ErrBadToken
	}
	switch t.Kind {
	case KindContact, KindMember, KindTicket, KindBounce, KindNotice:
		return t, nil
	}
	return Token{}, ErrBadToken
}

func (t Token) payload() []byte {
	b := []byte{byte(t.Kind), t.KeyID}
	b = binary.AppendUvarint(b, uint64(t.PropertyID))
	b = binary.AppendUvarint(b, uint64(t.TicketID))
	return binary.AppendUvarint(b, uint64(t.ID))
}

func (k *Keys) mac(keyID uint8, payload []byte) []byte {
	h := hmac.New(sha256.New, k.secrets[keyID])
	h.Write([]byte("postdesk-token-v1\x00"))
	h.Write(payload)
	return h.Sum(nil)[:macLen]
}

// ReplyAddress returns the address replies to one copy should go to: the
// property's address with the token after a '+' (RFC 5233 subaddress). It
// fails if the local part would exceed RFC 5321's 64 octets.
func (k *Keys) ReplyAddress(propertyAddr string, t Token) (string, error) {
	local, domain, ok := strings.Cut(propertyAddr, "@")
	if !ok {
		return "", fmt.Errorf("reply address: %q has no domain", propertyAddr)
	}
	if i := strings.IndexByte(local, '+'); i >= 0 {
		local = local[:i]
	}
	local += "+" + k.Mint(t)
	if len(local) > 64 {
		return "", fmt.Errorf("reply address: local part %q exceeds 64 octets", local)
	}
	return local + "@" + domain, nil
}

// TokenInAddress finds a valid token in the subaddress of addr. Every
// '+'-separated piece is tried, so a doubled "+token+token" (some forwarders
// add the subaddress again) still resolves; the first that verifies wins.
func (k *Keys) TokenInAddress(addr string) (Token, bool) {
	local, _, ok := strings.Cut(strings.Trim(addr, "<> "), "@")
	if !ok {
		return Token{}, false
	}
	pieces := strings.Split(local, "+")
	for _, p := range pieces[1:] {
		if t, err := k.Verify(p); err == nil {
			return t, true
		}
	}
	return Token{}, false
}

// Message-IDs we mint look like pd.<token>.<unique>@<domain>; the ticket
// reference is pd.<ticket token>@<domain>.
const idPrefix = "pd."

// MessageID returns a signed Message-ID (without brackets) for one outbound
// copy; unique distinguishes copies (an outbox id, say).
func (k *Keys) MessageID(t Token, unique, domain string) string {
	return idPrefix + k.Mint(t) + "." + unique + "@" + domain
}

// TicketReference returns the stable per-ticket identifier every outbound
// message lists in References, so a reply threads even when a provider
// rewrote the Message-ID we sent.
func (k *Keys) TicketReference(propertyID, ticketID int64, domain string) string {
	return idPrefix + k.Mint(Token{Kind: KindTicket, PropertyID: propertyID, TicketID: ticketID}) + "@" + domain
}

// TokenInMessageID recognises a Message-ID we minted and returns its token.
func (k *Keys) TokenInMessageID(id string) (Token, bool) {
	local, _, ok := strings.Cut(id, "@")
	if !ok || len(local) <= len(idPrefix) || !strings.EqualFold(local[:len(idPrefix)], idPrefix) {
		return Token{}, false
	}
	tok, _, _ := strings.Cut(local[len(idPrefix):], ".")
	t, err := k.Verify(tok)
	return t, err == nil
}
