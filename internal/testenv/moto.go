package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Moto is a running moto_server.
type Moto struct {
	// Endpoint is the server's base URL, such as http://127.0.0.1:40123.
	Endpoint string
	cmd      *exec.Cmd
	log      *lockedWriter
	done     chan struct{}
}

// MotoBinary is the command that starts moto's server mode.
const MotoBinary = "moto_server"

// StartMoto starts moto_server on a free loopback port and waits until it
// answers.
func StartMoto(ctx context.Context) (*Moto, error) {
	bin, err := exec.LookPath(MotoBinary)
	if err != nil {
		return nil, fmt.Errorf("%s not found on PATH (install it with: pip install 'moto[server]'): %w", MotoBinary, err)
	}
	var lastErr error
	for try := 0; try < 3; try++ {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		m, err := startMotoOn(ctx, bin, port)
		if err == nil {
			return m, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func startMotoOn(ctx context.Context, bin string, port int) (*Moto, error) {
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	log := &lockedWriter{w: &bytes.Buffer{}}
	cmd.Stdout = log
	cmd.Stderr = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Fake credentials keep any SDK inside moto from looking for real ones.
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	m := &Moto{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, log: log, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(m.done) }()

	deadline := time.Now().Add(20 * time.Second)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-m.done:
			return nil, fmt.Errorf("moto_server exited during start-up: %s", log.String())
		case <-ctx.Done():
			m.Stop()
			return nil, ctx.Err()
		default:
		}
		resp, err := client.Get(m.Endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return m, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.Stop()
	return nil, errors.New("moto_server did not answer within 20s")
}

// Reset clears every resource held by the server.
func (m *Moto) Reset() error {
	resp, err := http.Post(m.Endpoint+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("moto reset answered %s", resp.Status)
	}
	return nil
}

// Stop ends the server and its child processes.
func (m *Moto) Stop() {
	if m == nil || m.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		<-m.done
	}
}

var (
	sharedMotoOnce sync.Once
	sharedMoto     *Moto
	sharedMotoErr  error
)

// RequireMoto returns a moto_server shared by the tests of one package, reset
// to empty. It skips the test when moto_server is missing, or fails it under
// CI. Call StopSharedMoto from TestMain after m.Run.
func RequireMoto(tb testing.TB) *Moto {
	tb.Helper()
	sharedMotoOnce.Do(func() {
		sharedMoto, sharedMotoErr = StartMoto(context.Background())
	})
	if sharedMotoErr != nil {
		Unavailable(tb, "moto_server", sharedMotoErr)
	}
	if err := sharedMoto.Reset(); err != nil {
		tb.Fatalf("reset moto_server: %v", err)
	}
	return sharedMoto
}

// StopSharedMoto stops the server RequireMoto started, if any.
func StopSharedMoto() {
	if sharedMoto != nil {
		sharedMoto.Stop()
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
