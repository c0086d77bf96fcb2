// Command coldstart measures each Lambda's cold start the way Lambda reports
// it: the INIT duration under the Lambda Runtime Interface Emulator
// (aws-lambda-rie), from the start of the runtime domain's init to the
// runtime's first /next call, which a Go function makes once main has built
// its handler and called lambda.Start. The emulator logs it as
// "INIT REPORT(durationMs: …)". (Its REPORT line's "Init Duration" stops
// before the bootstrap has even started — aws-lambda-runtime-interface-
// emulator issue 106 — so it is not used.)
//
// Every function and the hello-world yardstick (infra/coldstart/hello) are
// built the same way, with make build's flags for this machine's
// architecture, and run round-robin in the same run, so that what the
// machine is doing at the moment weighs on all of them alike; each
// function's median is reported as a multiple of hello's. The arm64 size is
// the deployed artefact's (make build).
//
//	go run ./infra/coldstart [-runs 15] [-rie aws-lambda-rie] [-o DIR]
//
// The functions get the environment template.yaml gives them, with fake
// values: init makes no network call (a function that did would show it
// here), and the one invocation that triggers init is pointed at a closed
// port. Exit status 1 if a function is above its limit (ws-connect 1.5×,
// the others 2×), or if email-summary is over 25 MB (arm64).
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// limits are the issue-12 budgets: INIT as a multiple of hello's.
var limits = map[string]float64{"ws-connect": 1.5}

const defaultLimit = 2.0

// sizeLimits are the size budgets of the arm64 binaries, in bytes (MB as
// the issue counts them: 59 MB = 58.8e6 bytes).
var sizeLimits = map[string]int64{"email-summary": 25e6}

// env is what template.yaml sets (fake values) plus what Lambda sets.
var env = []string{
	"AWS_REGION=us-west-2",
	"AWS_DEFAULT_REGION=us-west-2",
	"AWS_ACCESS_KEY_ID=coldstart",
	"AWS_SECRET_ACCESS_KEY=coldstart",
	"AWS_SESSION_TOKEN=coldstart",
	"AWS_ENDPOINT_URL=http://127.0.0.1:9", // nothing listens: no call leaves the machine
	"AWS_LAMBDA_LOG_LEVEL=INFO",
	"AWS_LAMBDA_FUNCTION_TIMEOUT=10",
	"TABLE_NAME=ahca-coldstart",
	"CONFIG_BUCKET=ahca-coldstart-configs",
	"STAGE=dev",
	"WEB_ORIGIN=https://chat.example.com",
	"PUBLIC_BASE_URL=https://voice.example.com",
	"WS_URL=wss://ws.example.com/dev",
	"TWILIO_AUTH_TOKEN_REF=ssm:/ahca/dev/twilio-auth-token",
	"TWILIO_ACCOUNT_SID=ssm:/ahca/dev/twilio-account-sid",
	"TWILIO_SMS_FROM=ssm:/ahca/dev/twilio-sms-from",
	"OPENAI_API_KEY_REF=ssm:/ahca/dev/openai-api-key",
	"EMAIL_MAX_ATTEMPTS=5",
	"TRANSCRIPT_RETENTION_DAYS=30",
}

// events trigger init; the answer does not matter.
var events = map[string]string{
	"ws-connect":    `{"requestContext":{"routeKey":"$connect","connectionId":"c1","eventType":"CONNECT"}}`,
	"ws-disconnect": `{"requestContext":{"routeKey":"$disconnect","connectionId":"c1","eventType":"DISCONNECT"}}`,
	"ws-message":    `{"requestContext":{"routeKey":"$default","connectionId":"c1","eventType":"MESSAGE","domainName":"127.0.0.1:9","stage":"dev"},"body":"not json"}`,
	"twilio-voice":  `{"rawPath":"/twilio/voice","requestContext":{"http":{"method":"GET"}}}`,
	"email-summary": `{"Records":[]}`,
	"hello":         `{}`,
}

var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

func main() {
	runs := flag.Int("runs", 15, "cold starts per function")
	rie := flag.String("rie", "aws-lambda-rie", "the emulator `executable`")
	out := flag.String("o", "", "build `dir`ectory (default: a temporary one)")
	flag.Parse()
	if err := run(*runs, *rie, *out, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

type result struct {
	name   string
	size   int64 // arm64, bytes
	host   int64 // this machine's architecture, bytes
	inits  []float64
	median float64
}

func run(runs int, rie, dir string, w io.Writer) error {
	rie, err := exec.LookPath(rie)
	if err != nil {
		return fmt.Errorf("%w (go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@latest)", err)
	}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "coldstart"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	names := []string{"hello"}
	mains, _ := filepath.Glob("functions/*/main.go")
	for _, m := range mains {
		names = append(names, filepath.Base(filepath.Dir(m)))
	}
	if len(names) == 1 {
		return fmt.Errorf("no functions/*/main.go: run from the repository root")
	}
	results := map[string]*result{}
	for _, n := range names {
		pkg := "./functions/" + n
		if n == "hello" {
			pkg = "./infra/coldstart/hello"
		}
		r := &result{name: n}
		for _, arch := range []string{runtime.GOARCH, "arm64"} {
			bin := filepath.Join(dir, arch, n, "bootstrap")
			if r.host != 0 && arch == runtime.GOARCH {
				continue
			}
			fmt.Fprintf(os.Stderr, "coldstart: build %s (linux/%s)\n", n, arch)
			if err := build(pkg, arch, bin); err != nil {
				return err
			}
			fi, err := os.Stat(bin)
			if err != nil {
				return err
			}
			if arch == runtime.GOARCH {
				r.host = fi.Size()
			}
			if arch == "arm64" {
				r.size = fi.Size()
			}
		}
		results[n] = r
	}
	if runtime.GOOS != "linux" {
		return fmt.Errorf("the emulator runs linux binaries; this is %s", runtime.GOOS)
	}
	// One unrecorded round first: page cache, emulator binary.
	for round := 0; round <= runs; round++ {
		for _, n := range names {
			ms, err := coldStart(rie, filepath.Join(dir, runtime.GOARCH, n, "bootstrap"), events[n])
			if err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
			if round > 0 {
				results[n].inits = append(results[n].inits, ms)
			}
		}
		fmt.Fprintf(os.Stderr, "coldstart: round %d/%d\n", round, runs)
	}
	for _, r := range results {
		r.median = median(r.inits)
	}
	return report(w, names, results, runs)
}

func build(pkg, arch, out string) error {
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s for %s: %w", pkg, arch, err)
	}
	return nil
}

// coldStart runs the bootstrap in a fresh emulator, invokes it once and
// returns the INIT duration the emulator reported, in milliseconds.
func coldStart(rie, bootstrap, event string) (float64, error) {
	ports, err := freePorts(2)
	if err != nil {
		return 0, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, rie,
		"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(ports[1]),
		bootstrap)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Dir = filepath.Dir(bootstrap)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	var (
		logs  bytes.Buffer
		found = make(chan float64, 1)
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			logs.WriteString(sc.Text() + "\n")
			if m := initReport.FindStringSubmatch(sc.Text()); m != nil {
				if ms, err := strconv.ParseFloat(m[1], 64); err == nil {
					select {
					case found <- ms:
					default:
					}
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		pw.Close()
		wg.Wait()
	}()
	invoked := make(chan error, 1)
	go func() { invoked <- invoke(ctx, "http://"+addr+"/2015-03-31/functions/function/invocations", event) }()
	select {
	case ms := <-found:
		return ms, nil
	case err := <-invoked:
		// The answer came before the log line was read, or never will.
		select {
		case ms := <-found:
			return ms, nil
		case <-time.After(2 * time.Second):
		}
		if err == nil {
			err = fmt.Errorf("no INIT REPORT line")
		}
		return 0, fmt.Errorf("%w; emulator output:\n%s", err, logs.String())
	case <-ctx.Done():
		return 0, fmt.Errorf("timed out; emulator output:\n%s", logs.String())
	}
}

// invoke posts the event until the emulator listens, then returns once it
// has answered.
func invoke(ctx context.Context, url, event string) error {
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(event))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func report(w io.Writer, names []string, results map[string]*result, runs int) error {
	hello := results["hello"].median
	fmt.Fprintf(w, "Cold start under aws-lambda-rie: INIT duration, median of %d per function, linux/%s, %s\n\n", runs, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(w, "| function | size arm64 (MB) | size %s (MB) | INIT median (ms) | min–max (ms) | × hello | limit |\n|---|---|---|---|---|---|---|\n", runtime.GOARCH)
	var over []string
	for _, n := range names {
		r := results[n]
		ratio := r.median / hello
		limit, verdict := "", ""
		if n != "hello" {
			l, ok := limits[n]
			if !ok {
				l = defaultLimit
			}
			limit = fmt.Sprintf("≤ %.1f×", l)
			if ratio > l {
				verdict = " **over**"
				over = append(over, fmt.Sprintf("%s INIT %.2f× hello (limit %.1f×)", n, ratio, l))
			}
			if l, ok := sizeLimits[n]; ok && r.size > l {
				over = append(over, fmt.Sprintf("%s is %.1f MB (limit %.0f MB)", n, mb(r.size), mb(l)))
			}
		}
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %.1f | %.1f–%.1f | %.2f%s | %s |\n", n, mb(r.size), mb(r.host), r.median, slices.Min(r.inits), slices.Max(r.inits), ratio, verdict, limit)
	}
	if len(over) > 0 {
		return fmt.Errorf("over budget: %s", strings.Join(over, "; "))
	}
	return nil
}

func mb(b int64) float64 { return float64(b) / 1e6 }
