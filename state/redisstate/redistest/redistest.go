// Package redistest starts a redis-server on a loopback port for tests:
// those of package redisstate, and yours, when they run a Store (or
// replicas of a Dispatcher sharing one) against a real Redis.
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		redistest.Stop()
//		os.Exit(code)
//	}
//
//	func TestReplicas(t *testing.T) {
//		addr := redistest.Addr(t) // "127.0.0.1:PORT"
//		...
//	}
//
// The server keeps nothing on disk and is killed when the test binary
// exits (on Linux even if it dies). Without the redis-server program,
// Addr skips the test, or fails it when the environment variable CI is
// "true": CI must test against Redis.
package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// server is the redis-server the tests of one binary share: started by the
// first test that needs it, stopped by Stop.
var server struct {
	once sync.Once
	addr string
	err  error  // why there is no server
	stop func() // kills it and waits for it to exit
}

// Addr returns the address of the shared redis-server on loopback,
// starting it on first use. Without the redis-server program the test is
// skipped, or fails when CI is true: CI must test against Redis. Tests that
// share the server keep apart with key prefixes, or by flushing a database
// of their own.
func Addr(t testing.TB) string {
	t.Helper()
	server.once.Do(startServer)
	if server.err != nil {
		if errors.Is(server.err, exec.ErrNotFound) && os.Getenv("CI") != "true" {
			t.Skipf("redis-server is not installed (Debian: apt-get install redis-server); skipping the Redis tests: %v", server.err)
		}
		t.Fatalf("redis-server: %v", server.err)
	}
	return server.addr
}

func startServer() {
	path, err := exec.LookPath("redis-server")
	if err != nil {
		server.err = err
		return
	}
	for range 3 { // another process may take the port between picking and binding
		addr, stop, err := tryStart(path)
		if err == nil {
			server.addr, server.stop, server.err = addr, stop, nil
			return
		}
		server.err = err
	}
}

// tryStart starts redis-server on a free loopback port, with no
// persistence, and waits until it answers PING.
func tryStart(path string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	dir, err := os.MkdirTemp("", "redisstate-test-")
	if err != nil {
		return "", nil, err
	}
	var out bytes.Buffer
	cmd := exec.Command(path,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = &out, &out
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
		_ = os.RemoveAll(dir)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return addr, stop, nil
		}
		select {
		case <-exited:
			_ = os.RemoveAll(dir)
			return "", nil, fmt.Errorf("redis-server exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("redis-server on %s did not answer: %v; output: %s", addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the shared server, if one was started, and waits for it to
// exit. Call it from TestMain after m.Run.
func Stop() {
	if server.stop != nil {
		server.stop()
	}
}
