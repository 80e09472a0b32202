package smtpd

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// TestConnectionLimitPerClient: one client holding its share of connections
// is refused, while another client is still served; a freed connection makes
// room again.
func TestConnectionLimitPerClient(t *testing.T) {
	addr := start(t, Options{MaxConnections: 10, MaxConnectionsPerIP: 3}, newRecorder("support@acme.test"))
	greeting := func(from string) (net.Conn, string) {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial from %s: %v", from, err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(c).ReadString('\n')
		return c, line
	}
	var held []net.Conn
	for i := 0; i < 3; i++ {
		c, line := greeting("127.0.0.1")
		if !strings.HasPrefix(line, "220") {
			t.Fatalf("connection %d from 127.0.0.1: %q, want 220", i+1, line)
		}
		held = append(held, c)
	}
	if _, line := greeting("127.0.0.1"); !strings.HasPrefix(line, "421 4.7.0") || !strings.Contains(line, "from your address") {
		t.Errorf("4th connection from 127.0.0.1: %q, want 421 4.7.0 … from your address", line)
	}
	if _, line := greeting("127.0.0.2"); !strings.HasPrefix(line, "220") {
		t.Errorf("another client while 127.0.0.1 is at its cap: %q, want 220", line)
	}
	held[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, line := greeting("127.0.0.1")
		if strings.HasPrefix(line, "220") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after one connection closed, 127.0.0.1 still gets %q", line)
		}
		time.Sleep(20 * time.Millisecond) // the server notices the close asynchronously
	}
}

func TestClientKey(t *testing.T) {
	tests := []struct{ ip, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"},
	}
	for _, tt := range tests {
		if got := clientKey(&net.TCPAddr{IP: net.ParseIP(tt.ip)}); got != tt.want {
			t.Errorf("clientKey(%s) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}
