package durable_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/durable/embedded"
)

// childEnv names the data directory when the test binary runs as a
// receiver process (TestEmbeddedSurvivesSIGKILL and the other tests that
// kill one); childModeEnv says what its handler does.
const (
	childEnv     = "RETABHOOK_DURABLE_CHILD_DIR"
	childModeEnv = "RETABHOOK_DURABLE_CHILD_MODE"
)

// The child receiver's handlers.
const (
	childBlocks = "block" // announces each delivery it starts and blocks
	childExits  = "exit"  // announces each delivery it starts and exits the process
	childStores = "store" // runs no workers: it only stores deliveries
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		childReceiver(dir, os.Getenv(childModeEnv))
		return
	}
	os.Exit(m.Run())
}

// childReceiver is a receiver whose handler never succeeds: it announces
// each delivery it starts ("STARTED id"), then blocks or exits the process
// (mode; or it runs no workers at all). It announces its dead letters ("DEAD id"), prints its URL, then
// serves until it is killed.
func childReceiver(dir, mode string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	e, err := embedded.Open(ctx, durable.WithDir(dir), durable.WithLogger(quiet()), durable.WithAckWait(time.Second),
		durable.WithWorkers(4), durable.WithMaxAttempts(2), durable.WithObserver(printDeadLetters{}))
	if err != nil {
		fail(err)
	}
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quiet()), framework.WithDispatcher(e))
	if err != nil {
		fail(err)
	}
	framework.Handle(r, func(ctx context.Context, ev Event) error {
		d, _ := framework.DeliveryFrom(ctx)
		fmt.Printf("STARTED %s\n", d.ID)
		if mode == childExits {
			os.Exit(3) // a crash the process does not survive
		}
		select {} // never succeeds: the process is killed first
	})
	if mode != childStores {
		go func() { _ = e.Run(ctx, r) }()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	fmt.Printf("URL http://%s\n", ln.Addr())
	fail(http.Serve(ln, r))
}

type printDeadLetters struct{}

func (printDeadLetters) QueueEvent(_ context.Context, ev framework.QueueEvent) {
	if ev.Type == framework.QueueDeadLettered {
		fmt.Printf("DEAD %s\n", ev.DeliveryID)
	}
}

// child is a receiver process started by startChild.
type child struct {
	cmd   *exec.Cmd
	URL   string
	Lines chan string // what it prints after its URL; closed when it exits
	done  bool
}

// startChild starts the test binary as a receiver on dir, with the
// handler mode, and waits for its URL (or its exit). It is killed at
// cleanup.
func startChild(t *testing.T, dir, mode string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir, childModeEnv+"="+mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &child{cmd: cmd, Lines: make(chan string, 1024)}
	t.Cleanup(func() {
		if !c.done {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	url, eof := make(chan string, 1), make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "URL "); ok {
				url <- u
				continue
			}
			c.Lines <- sc.Text()
		}
		close(c.Lines)
		close(eof)
	}()
	select {
	case c.URL = <-url:
	case <-eof: // it exited first (a handler that exits the process); c.URL is ""
	case <-time.After(60 * time.Second):
		t.Fatal("the child receiver did not start")
	}
	return c
}

// kill sends SIGKILL to the child and waits for it.
func (c *child) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
	c.done = true
	err := c.cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal())
}

// TestEmbeddedSurvivesSIGKILL accepts deliveries in a real second process,
// kills it with SIGKILL while handlers run and before any succeeds, then
// opens the same data directory here: every accepted delivery is
// processed.
func TestEmbeddedSurvivesSIGKILL(t *testing.T) {
	const n = 60
	dir := t.TempDir()
	ch := startChild(t, dir, childBlocks)
	url, lines := ch.URL, ch.Lines

	accepted := map[string]bool{}
	c := &http.Client{Timeout: 30 * time.Second}
	for i := range n {
		rep, err := send(c, url, eventBody(i), secret)
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, rep.Code)
		accepted[rep.DeliveryID] = true
	}
	require.Len(t, accepted, n)
	// Handlers are running (and blocked) in the child: kill it now.
	started := 0
	for started < 4 {
		select {
		case l := <-lines:
			if strings.HasPrefix(l, "STARTED ") {
				started++
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d handlers started in the child", started)
		}
	}
	ch.kill(t)

	// Restart on the same directory, in this process.
	e := openEngine(t, fast(dir)...)
	ta := newTally()
	r := newRouter(t, e, func(ctx context.Context, ev Event) error { ta.record(ctx, true); return nil })
	run(t, e, r)
	waitFor(t, 60*time.Second, "every accepted delivery processed", func() bool { return ta.successCount() == n })
	ta.mu.Lock()
	defer ta.mu.Unlock()
	for id := range accepted {
		require.Equal(t, 1, ta.successes[id], "delivery %s", id)
	}
	require.Len(t, ta.successes, n)
	st, err := e.Stats(context.Background())
	require.NoError(t, err)
	require.Zero(t, st.Waiting)
	require.Zero(t, st.DeadLetters)

	// The de-duplication window survived the restart too.
	srv := serve(t, r)
	rep, err := send(srv.Client(), srv.URL, eventBody(0), secret)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rep.Code)
	require.Equal(t, "duplicate", rep.Status)
}
