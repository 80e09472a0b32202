package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/postdesk/postdesk/config"
	"github.com/postdesk/postdesk/store"
)

// gatewayFile is the file under --data that keeps a generated gateway name.
const gatewayFile = "instance-id"

// deploymentID is the name every gateway of the deployment puts in the loop
// header of its mail (outbox.LoopHeader): generated on the first start and
// kept in the database, so that mail any of them sent is recognised as ours
// by all of them when it comes back.
func deploymentID(ctx context.Context, st *store.Store) (string, error) {
	return st.EnsureSetting(ctx, "instance-id", func() (string, error) { return generatedName("deployment id") })
}

// gatewayName is this gateway's own name (--instance-id), which owns its
// claims on outbox rows and mailboxes: two gateways sharing a database must
// differ, and a restarted gateway must keep it (its first step takes back
// what its predecessor claimed). Without the flag it is generated once and
// kept in the data directory, which is the gateway's own.
func gatewayName(cfg config.Config) (string, error) {
	if cfg.InstanceID != "" {
		return cfg.InstanceID, nil
	}
	path := filepath.Join(cfg.DataDir, gatewayFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil && strings.TrimSpace(string(b)) != "":
		return strings.TrimSpace(string(b)), nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("gateway name: %w", err)
	}
	name, err := generatedName("gateway name")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("gateway name: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(name+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("gateway name: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("gateway name: %w", err)
	}
	return name, nil
}

// generatedName is the host name and ten random characters.
func generatedName(what string) (string, error) {
	host, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("%s: the host name: %w", what, err)
	}
	return host + "-" + rand.Text()[:10], nil
}
