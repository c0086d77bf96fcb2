package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// rieForTest finds aws-lambda-rie (make deps installs it) or skips; under
// CI=true a missing emulator fails the test instead.
func rieForTest(t *testing.T) string {
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(filepath.SplitList(string(out[:len(out)-1]))[0], "bin", "aws-lambda-rie")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("aws-lambda-rie not installed: make deps installs it (infra/scripts/lambda-rie.sh install)")
	}
	t.Skip("aws-lambda-rie not installed (bash infra/scripts/lambda-rie.sh install)")
	return ""
}

// Concurrent invocations get execution environments of their own (cold
// starts), a warm one is reused, the environment is exactly what the
// function is given, and handler errors and panics come back as
// FunctionErrors, as Lambda reports them.
func TestFunction(t *testing.T) {
	rie := rieForTest(t)
	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./testdata/hello")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	f := &Function{Name: "hello", Bootstrap: bin, Env: map[string]string{"STAGE": "dev"}, Timeout: 10 * time.Second,
		MemoryMB: 128, MaxConcurrency: 3, RIE: rie, Output: io.Discard}
	defer f.Stop()
	ctx := context.Background()

	var mu sync.Mutex
	pids := map[int]bool{}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := f.Invoke(ctx, []byte(`{"SleepMS":500}`))
			var r reply
			if err != nil || json.Unmarshal(out, &r) != nil || r.Stage != "dev" || r.Home != "" {
				t.Errorf("invoke: %s, %v", out, err)
				return
			}
			mu.Lock()
			pids[r.PID] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(pids) != 3 || f.Environments() != 3 {
		t.Errorf("3 concurrent invocations ran in %d processes, %d environments; want 3", len(pids), f.Environments())
	}
	out, err := f.Invoke(ctx, []byte(`{}`))
	var r reply
	if err != nil || json.Unmarshal(out, &r) != nil || !pids[r.PID] || f.Environments() != 3 {
		t.Errorf("a warm invocation: %s, %v (environments %d)", out, err, f.Environments())
	}
	var fe *FunctionError
	if _, err := f.Invoke(ctx, []byte(`{"Fail":true}`)); !errors.As(err, &fe) || fe.Message != "asked to fail" {
		t.Errorf("handler error: %v", err)
	}
	if _, err := f.Invoke(ctx, []byte(`{"Panic":true}`)); !errors.As(err, &fe) || fe.Message != "asked to panic" {
		t.Errorf("panic: %v", err)
	}
	if out, err := f.Invoke(ctx, []byte(`{}`)); err != nil {
		t.Errorf("after a panic: %s, %v", out, err)
	}
	if len(f.InitDurations()) < 3 {
		t.Errorf("init durations = %v, want one per cold start", f.InitDurations())
	}
}

type reply struct {
	PID   int
	Stage string
	Home  string
}
