package notify

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/emersion/go-msgauth/dkim"
)

// DKIM signs outbound mail (RFC 6376) with one key, in the domain of each
// property's From address: publish the key under
// <selector>._domainkey.<domain> for every such domain.
type DKIM struct {
	selector string
	signer   crypto.Signer
}

// signedHeaders are the fields the signature covers (RFC 6376 §5.4.1).
var signedHeaders = []string{"From", "Reply-To", "To", "Subject", "Date", "Message-Id", "In-Reply-To", "References",
	"Mime-Version", "Content-Type", "Auto-Submitted"}

// LoadDKIM reads a PEM private key (PKCS #8, or PKCS #1 RSA) for selector.
func LoadDKIM(keyFile, selector string) (*DKIM, error) {
	if selector == "" {
		return nil, errors.New("dkim: a selector is required")
	}
	b, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("dkim: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("dkim: %s holds no PEM block", keyFile)
	}
	var key any
	if key, err = x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		if key, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return nil, fmt.Errorf("dkim: %s: not a PKCS #8 or PKCS #1 private key", keyFile)
		}
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("dkim: %s: unsupported key type %T", keyFile, key)
	}
	return &DKIM{selector: selector, signer: signer}, nil
}

// NewDKIM signs with a key already in memory.
func NewDKIM(signer crypto.Signer, selector string) *DKIM {
	return &DKIM{selector: selector, signer: signer}
}

// Sign returns raw with a DKIM-Signature for domain prepended.
func (d *DKIM) Sign(domain string, raw []byte) ([]byte, error) {
	var out bytes.Buffer
	err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{
		Domain: domain, Selector: d.selector, Signer: d.signer, HeaderKeys: signedHeaders,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
	})
	if err != nil {
		return nil, fmt.Errorf("dkim sign: %w", err)
	}
	return out.Bytes(), nil
}
