package store

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// stallProxy forwards TCP connections to a server until stall is called;
// from then on it forwards nothing and closes nothing, as a network that
// stops carrying packets without a reset.
type stallProxy struct {
	ln      net.Listener
	target  string
	stalled atomic.Bool
	mu      sync.Mutex
	conns   []net.Conn
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *stallProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go p.pipe(s, c)
		go p.pipe(c, s)
	}
}

// pipe copies from src to dst until the proxy stalls; then it holds what
// it read.
func (p *stallProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if p.stalled.Load() {
			io.Copy(io.Discard, src) // swallow, answer nothing
			return
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *stallProxy) stall() { p.stalled.Store(true) }

func (p *stallProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

// TestTxTimeoutOnStalledNetwork: the network to PostgreSQL stops carrying
// packets (no reset): a write fails within the transaction deadline
// rather than holding the writer, and every caller, for minutes.
func TestTxTimeoutOnStalledNetwork(t *testing.T) {
	if !onPostgres() {
		t.Skip("a network to the database is PostgreSQL's")
	}
	opts := testOptions(t)
	cfg, err := pgx.ParseConfig(opts.Database)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newStallProxy(t, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))))
	_, port, _ := net.SplitHostPort(proxy.ln.Addr().String())
	opts.Database = "postgres://" + cfg.User + ":" + cfg.Password + "@127.0.0.1:" + port + "/" + cfg.Database + "?sslmode=disable"
	opts.BusyTimeout, opts.TxTimeout = 300*time.Millisecond, time.Second
	ctx := context.Background()
	st, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	write := func() error {
		return st.Update(ctx, func(tx *Tx) error {
			_, err := tx.exec(`INSERT INTO settings (name, value) VALUES ('stall', 'x') ON CONFLICT (name) DO NOTHING`)
			return err
		})
	}
	if err := write(); err != nil {
		t.Fatalf("write before the stall: %v", err)
	}
	proxy.stall()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- write() }()
	select {
	case err := <-done:
		if !errors.Is(err, errTxTimeout) {
			t.Errorf("write on a stalled network: %v, want %v", err, errTxTimeout)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("write failed after %s, want within about the 1s deadline", took)
		}
	case <-time.After(15 * time.Second):
		proxy.close() // a reset, which unblocks the writer for Close
		t.Fatal("write on a stalled network still waiting after 15s")
	}
}
