// Package hook sends the desk's events to the webhook endpoints of each
// property, per the Standard Webhooks specification
// (https://www.standardwebhooks.com, spec/standard-webhooks.md): a POST
// of the event's JSON with the headers webhook-id, webhook-timestamp and
// webhook-signature, the last "v1,"+base64(HMAC-SHA256(key,
// id+"."+timestamp+"."+body)) keyed with the base64 part of a "whsec_"
// secret.
//
// The events and one queued delivery per endpoint are written by the
// store in the transaction that made the event happen (store/hooks.go);
// the Sender claims the due ones with a lease, POSTs them, records every
// attempt in the endpoint's delivery log, retries failures on the
// specification's schedule, and disables an endpoint that has failed for
// days, telling the property's admins.
package hook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// SecretPrefix starts every signing secret (Standard Webhooks, "Signature
// scheme": the secret is base64 after the prefix).
const SecretPrefix = ticket.WebhookSecretPrefix

// Headers of a webhook request (Standard Webhooks, "Webhook headers").
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// MsgID is the webhook-id of an event: the same on every attempt, so that
// a receiver can drop a retry it already handled (Standard Webhooks,
// "Idempotency").
func MsgID(eventID int64) string { return "evt_" + strconv.FormatInt(eventID, 10) }

// secretKey decodes a "whsec_" secret into the HMAC key.
func secretKey(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, errors.New("webhook secret: want the whsec_ prefix")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	return key, nil
}

// Sign returns the webhook-signature of a message: "v1," and the base64
// HMAC-SHA256 of msgID.timestamp.body (Standard Webhooks, "Signature
// scheme"; the timestamp in unix seconds).
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
