package localaws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Function runs one Lambda function's bootstrap under the AWS Lambda
// Runtime Interface Emulator (aws-lambda-rie), the way Lambda runs it:
// one invocation at a time per execution environment (an RIE process and
// its bootstrap), a new environment — a cold start — when every existing
// one is busy, up to MaxConcurrency, after which invocations wait (Lambda
// would throttle). An environment whose invocation failed at the transport
// level or timed out is discarded, as Lambda discards a crashed one.
type Function struct {
	Name      string            // e.g. ws-message; AWS_LAMBDA_FUNCTION_NAME
	Bootstrap string            // the executable
	Env       map[string]string // the function's whole environment (nothing is inherited)
	Timeout   time.Duration     // the function's timeout (template Timeout)
	MemoryMB  int               // reported as AWS_LAMBDA_FUNCTION_MEMORY_SIZE
	// MaxConcurrency caps the execution environments; 0 means 4.
	MaxConcurrency int
	// RIE is the aws-lambda-rie executable.
	RIE string
	// Output receives the environments' output (the function's logs and
	// the emulator's START/END/REPORT lines), each line prefixed with the
	// function's name.
	Output io.Writer
	Log    *slog.Logger

	mu      sync.Mutex
	idle    []*environment
	all     map[*environment]bool
	freed   chan struct{} // signalled when an environment is released
	stopped bool
	inits   []time.Duration
}

// FunctionError is an error the handler returned (or a panic): the
// invocation completed and Lambda reports errorType and errorMessage.
type FunctionError struct {
	Function string
	Type     string `json:"errorType"`
	Message  string `json:"errorMessage"`
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("%s: function error %s: %s", e.Function, e.Type, e.Message)
}

type environment struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{} // closed when the process has exited
}

// starting serializes emulator starts (see start).
var starting sync.Mutex

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: time.Minute}}

// Invoke runs one invocation with the event JSON and returns the
// function's response payload. A handler error is a *FunctionError.
func (f *Function) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	env, err := f.acquire(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.Timeout+5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, env.url, bytes.NewReader(event))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		f.discard(env)
		return nil, fmt.Errorf("%s: invoke: %w", f.Name, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		f.discard(env)
		return nil, fmt.Errorf("%s: invoke: %w", f.Name, err)
	}
	if resp.StatusCode != http.StatusOK {
		// A crash during init or invoke (502, with the error payload when
		// the handler panicked), a timeout (504), or a reservation
		// problem: this environment is done for.
		f.discard(env)
		var fe FunctionError
		if json.Unmarshal(body, &fe) == nil && fe.Type != "" && isErrorPayload(body) {
			fe.Function = f.Name
			return nil, &fe
		}
		return nil, fmt.Errorf("%s: invoke answered %d: %s", f.Name, resp.StatusCode, bytes.TrimSpace(body))
	}
	if strings.HasPrefix(string(body), "Task timed out") {
		f.discard(env)
		return nil, fmt.Errorf("%s: %s", f.Name, body)
	}
	f.release(env)
	var fe FunctionError
	if json.Unmarshal(body, &fe) == nil && fe.Type != "" && fe.Message != "" && isErrorPayload(body) {
		fe.Function = f.Name
		return nil, &fe
	}
	return body, nil
}

// isErrorPayload reports whether a JSON object has only the fields of a
// Lambda error payload (errorMessage, errorType, stackTrace).
func isErrorPayload(body []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return false
	}
	for k := range m {
		if k != "errorMessage" && k != "errorType" && k != "stackTrace" {
			return false
		}
	}
	return true
}

func (f *Function) acquire(ctx context.Context) (*environment, error) {
	for {
		f.mu.Lock()
		if f.stopped {
			f.mu.Unlock()
			return nil, fmt.Errorf("%s: %w", f.Name, ErrStopped)
		}
		if f.all == nil {
			f.all = map[*environment]bool{}
			f.freed = make(chan struct{}, 1)
		}
		if n := len(f.idle); n > 0 {
			env := f.idle[n-1]
			f.idle = f.idle[:n-1]
			f.mu.Unlock()
			select {
			case <-env.done: // exited while idle
				f.forget(env)
				continue
			default:
				return env, nil
			}
		}
		max := f.MaxConcurrency
		if max <= 0 {
			max = 4
		}
		if len(f.all) < max {
			env := &environment{}
			f.all[env] = true // reserve the slot while it starts
			f.mu.Unlock()
			if err := f.start(ctx, env); err != nil {
				f.forget(env)
				return nil, err
			}
			return env, nil
		}
		freed := f.freed
		f.mu.Unlock()
		select {
		case <-freed:
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: no execution environment free (%d busy): %w", f.Name, max, ctx.Err())
		}
	}
}

func (f *Function) release(env *environment) {
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		env.kill()
		return
	}
	f.idle = append(f.idle, env)
	f.mu.Unlock()
	select {
	case f.freed <- struct{}{}:
	default:
	}
}

func (f *Function) discard(env *environment) {
	env.kill()
	f.forget(env)
}

func (f *Function) forget(env *environment) {
	f.mu.Lock()
	delete(f.all, env)
	f.mu.Unlock()
	select {
	case f.freed <- struct{}{}:
	default:
	}
}

// start launches an RIE process for env and waits until it accepts
// invocations. The bootstrap itself starts (INIT) on the first invocation.
func (f *Function) start(ctx context.Context, env *environment) error {
	// One start at a time in this process: a port found free is bound by
	// its emulator before the next start looks for one (two emulators
	// given the same port would leave both environments on one of them).
	starting.Lock()
	defer starting.Unlock()
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	cmd := exec.Command(f.RIE,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(ports[1]),
		"--log-level", "warn",
		f.Bootstrap)
	cmd.Env = f.environ()
	out := f.Output
	if out == nil {
		out = io.Discard
	}
	w := &lineWriter{prefix: "[" + f.Name + "] ", out: out, onLine: f.scanReport}
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: start %s: %w", f.Name, f.RIE, err)
	}
	env.cmd, env.url, env.done = cmd, "http://"+addr+"/2015-03-31/functions/function/invocations", make(chan struct{})
	go func() { cmd.Wait(); w.flush(); close(env.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			select {
			case <-env.done: // something else answered; ours failed to bind
				return fmt.Errorf("%s: aws-lambda-rie exited at start (%v); %s was taken", f.Name, cmd.ProcessState, addr)
			case <-time.After(20 * time.Millisecond):
			}
			return nil
		}
		select {
		case <-env.done:
			return fmt.Errorf("%s: aws-lambda-rie exited at start (%v)", f.Name, cmd.ProcessState)
		case <-ctx.Done():
			env.kill()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			env.kill()
			return fmt.Errorf("%s: aws-lambda-rie did not listen on %s within 10 s", f.Name, addr)
		}
	}
}

// environ is the process environment: the function's variables and what
// Lambda itself sets, nothing inherited from this process.
func (f *Function) environ() []string {
	m := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        f.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(int(f.Timeout / time.Second)),
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + f.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      "local",
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
	}
	for k, v := range f.Env {
		m[k] = v
	}
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

var initDuration = regexp.MustCompile(`^REPORT RequestId: \S+\s+Init Duration: ([0-9.]+) ms`)

func (f *Function) scanReport(line string) {
	if m := initDuration.FindStringSubmatch(line); m != nil {
		ms, _ := strconv.ParseFloat(m[1], 64)
		f.mu.Lock()
		f.inits = append(f.inits, time.Duration(ms*float64(time.Millisecond)))
		f.mu.Unlock()
	}
}

// InitDurations are the INIT durations the emulator reported, one per cold
// start.
func (f *Function) InitDurations() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.inits...)
}

// Environments returns how many execution environments exist.
func (f *Function) Environments() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.all)
}

// Stop ends every execution environment; invocations after it fail.
func (f *Function) Stop() {
	f.mu.Lock()
	f.stopped = true
	envs := make([]*environment, 0, len(f.all))
	for env := range f.all {
		envs = append(envs, env)
	}
	f.idle = nil
	f.mu.Unlock()
	for _, env := range envs {
		env.kill()
	}
	for _, env := range envs {
		if env.done != nil {
			select {
			case <-env.done:
			case <-time.After(5 * time.Second):
			}
		}
	}
}

func (env *environment) kill() {
	if env.cmd != nil && env.cmd.Process != nil {
		killGroup(env.cmd)
	}
}

// freePorts returns n distinct ports free on 127.0.0.1 at the time of the
// call.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// lineWriter prefixes each line; a line is written whole.
type lineWriter struct {
	prefix string
	out    io.Writer
	onLine func(string)
	mu     sync.Mutex
	buf    []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) emit(line string) {
	line = strings.TrimRight(line, "\r")
	if w.onLine != nil {
		w.onLine(line)
	}
	io.WriteString(w.out, w.prefix+line+"\n")
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = nil
	}
}

// ErrStopped is returned by invocations after Stop.
var ErrStopped = errors.New("stopped")
